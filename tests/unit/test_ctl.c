// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/*
 * The control-socket client (client/ctl.c) against a fake prezerod: a
 * thread serving one connection of a Unix socket in a temporary directory,
 * as the test case scripts it.
 */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>

#include "ctl.h"

enum act {
	ACT_ECHO,	/* answer every request with {"ok":true,"id":..,"req":line} */
	ACT_RAW,	/* answer the first request with raw, then wait for EOF */
	ACT_SILENT,	/* read the request, never answer */
	ACT_CLOSE,	/* read the request, close */
	ACT_HANGUP,	/* write raw without reading anything, close */
	ACT_TRICKLE,	/* read the request, then one byte every 10 ms */
};

struct fake {
	char dir[64];
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int lfd;
	int stop[2];		/* a byte here ends the server wherever it is */
	pthread_t th;
	/* the script */
	enum act act;
	const char *raw;	/* ACT_RAW, ACT_HANGUP */
	size_t raw_len;		/* 0: strlen(raw) */
	size_t chunk;		/* write in pieces this big, a pause between (0: at once) */
	bool close_after;	/* ACT_RAW: close after writing raw */
	size_t pad;		/* ACT_ECHO: add "pad": that many 'x' */
	/* what happened */
	char rx[65536];		/* every byte received, NUL-terminated */
	size_t nrx;
	int requests;
};

/* ---- the fake server -------------------------------------------------- */

/* Wait for fd (events) or the stop pipe: false when stopped. */
static bool srv_wait(struct fake *f, int fd, short events)
{
	struct pollfd p[2] = {
		{ .fd = fd, .events = events },
		{ .fd = f->stop[0], .events = POLLIN },
	};

	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		if (p[1].revents)
			return false;
		return true;
	}
}

static bool srv_write(struct fake *f, int fd, const char *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		size_t n = len - off;
		ssize_t w;

		/* pieces end at multiples of chunk, whatever send() took */
		if (f->chunk && n > f->chunk - off % f->chunk)
			n = f->chunk - off % f->chunk;
		if (!srv_wait(f, fd, POLLOUT))
			return false;
		w = send(fd, buf + off, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (w < 0)
			return false;	/* the client has gone */
		/* let the client see a partial line */
		if (f->chunk && !((off + (size_t)w) % f->chunk))
			usleep(1000);
		off += (size_t)w;
	}
	return true;
}

/* Read one request line into line (NUL-terminated, newline dropped):
 * false at EOF or when stopped. Records every byte in f->rx. */
static bool srv_read_line(struct fake *f, int fd, char *line, size_t size)
{
	size_t n = 0;

	for (;;) {
		char ch;
		ssize_t r;

		if (!srv_wait(f, fd, POLLIN))
			return false;
		r = recv(fd, &ch, 1, MSG_DONTWAIT);
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (r <= 0)
			return false;
		if (f->nrx < sizeof(f->rx) - 1) {
			f->rx[f->nrx++] = ch;
			f->rx[f->nrx] = '\0';
		}
		if (ch == '\n') {
			line[n] = '\0';
			f->requests++;
			return true;
		}
		if (n < size - 1)
			line[n++] = ch;
	}
}

static void srv_wait_eof(struct fake *f, int fd)
{
	char buf[256];

	for (;;) {
		ssize_t r;

		if (!srv_wait(f, fd, POLLIN))
			return;
		r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (r <= 0)
			return;
	}
}

static void srv_echo(struct fake *f, int fd)
{
	static char line[65536];

	while (srv_read_line(f, fd, line, sizeof(line))) {
		struct json_object *req = json_tokener_parse(line);
		struct json_object *rep = json_object_new_object();
		struct json_object *id = NULL;
		const char *s;
		char *out;
		size_t len;
		bool ok;

		if (req && json_object_object_get_ex(req, "id", &id))
			json_object_object_add(rep, "id", json_object_get(id));
		json_object_object_add(rep, "ok", json_object_new_boolean(1));
		json_object_object_add(rep, "req", json_object_new_string(line));
		if (f->pad) {
			char *p = malloc(f->pad + 1);

			if (!p)
				abort();
			memset(p, 'x', f->pad);
			p[f->pad] = '\0';
			json_object_object_add(rep, "pad",
					       json_object_new_string(p));
			free(p);
		}
		s = json_object_to_json_string_ext(rep, JSON_C_TO_STRING_PLAIN);
		len = strlen(s);
		out = malloc(len + 1);
		if (!out)
			abort();
		memcpy(out, s, len);
		out[len] = '\n';
		ok = srv_write(f, fd, out, len + 1);
		free(out);
		json_object_put(rep);
		json_object_put(req);
		if (!ok)
			return;
	}
}

static void *srv_main(void *arg)
{
	struct fake *f = arg;
	char line[4096];
	size_t rawlen = f->raw ? (f->raw_len ? f->raw_len : strlen(f->raw)) : 0;
	int fd;

	if (!srv_wait(f, f->lfd, POLLIN))
		return NULL;
	fd = accept(f->lfd, NULL, NULL);
	if (fd < 0)
		return NULL;
	switch (f->act) {
	case ACT_ECHO:
		srv_echo(f, fd);
		break;
	case ACT_RAW:
		if (srv_read_line(f, fd, line, sizeof(line)) &&
		    srv_write(f, fd, f->raw, rawlen) && !f->close_after)
			srv_wait_eof(f, fd);
		break;
	case ACT_SILENT:
		if (srv_read_line(f, fd, line, sizeof(line)))
			srv_wait_eof(f, fd);
		break;
	case ACT_CLOSE:
		srv_read_line(f, fd, line, sizeof(line));
		break;
	case ACT_HANGUP:
		srv_write(f, fd, f->raw, rawlen);
		break;
	case ACT_TRICKLE:
		if (!srv_read_line(f, fd, line, sizeof(line)))
			break;
		/* 200 bytes over 2 s, then close: a deadline per read would
		 * never expire and end in ECONNRESET instead */
		f->chunk = 1;
		for (int i = 0; i < 200; i++) {
			usleep(9000);
			if (!srv_write(f, fd, i ? " " : "{", 1))
				break;
		}
		break;
	}
	close(fd);
	return NULL;
}

static int fake_listen(struct fake *f, int backlog)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->path);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	if (backlog >= 0)
		ck_assert_int_eq(listen(fd, backlog), 0);
	return fd;
}

static void fake_dir(struct fake *f)
{
	memset(f, 0, sizeof(*f));
	f->lfd = -1;
	f->stop[0] = f->stop[1] = -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/pz-test-ctl.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/prezerod.sock", f->dir);
}

/* Set the script in f (after fake_dir) and serve it. */
static void fake_start(struct fake *f)
{
	f->lfd = fake_listen(f, 8);
	ck_assert_int_eq(pipe(f->stop), 0);
	ck_assert_int_eq(pthread_create(&f->th, NULL, srv_main, f), 0);
}

static void fake_stop(struct fake *f)
{
	if (f->stop[1] >= 0) {
		ck_assert_int_eq(write(f->stop[1], "x", 1), 1);
		pthread_join(f->th, NULL);
		close(f->stop[0]);
		close(f->stop[1]);
	}
	if (f->lfd >= 0)
		close(f->lfd);
	unlink(f->path);
	rmdir(f->dir);
}

/* Connect to f and make one call of req (consumed); returns the result. */
static int one_call(struct fake *f, struct json_object *req,
		    struct json_object **reply, int timeout_ms)
{
	struct pz_ctl *c;
	int ret;

	ck_assert_int_eq(pz_ctl_connect(f->path, 2000, &c), 0);
	ret = pz_ctl_call(c, req, reply, timeout_ms);
	pz_ctl_close(c);
	json_object_put(req);
	return ret;
}

static const char *str_member(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return NULL;
	return json_object_get_string(v);
}

/* ---- framing ---------------------------------------------------------- */

/* ACT_ECHO's reply to {"cmd":"status"} without the pad's x-es */
#define ECHO_FRAME (sizeof("{\"ok\":true,\"req\":\"{\\\"cmd\\\":\\\"status\\\"}\",\"pad\":\"\"}") - 1)

/* Two requests on one connection: each is one line, each reply is the
 * answer to its own request. */
START_TEST(framing_two_calls)
{
	struct json_object *req, *rep;
	struct fake f;
	struct pz_ctl *c;
	char want[512];
	int i;

	fake_dir(&f);
	f.act = ACT_ECHO;
	fake_start(&f);
	ck_assert_int_eq(pz_ctl_connect(f.path, 2000, &c), 0);
	want[0] = '\0';
	for (i = 0; i < 2; i++) {
		req = pz_ctl_request(i ? "ping" : "status");
		ck_assert_ptr_nonnull(req);
		json_object_object_add(req, "id", json_object_new_int(7 + i));
		/* a newline inside a string must not end the line */
		json_object_object_add(req, "note",
				       json_object_new_string("a\nb/c"));
		strcat(want, json_object_to_json_string_ext(req,
				JSON_C_TO_STRING_PLAIN |
				JSON_C_TO_STRING_NOSLASHESCAPE));
		strcat(want, "\n");
		ck_assert_int_eq(pz_ctl_call(c, req, &rep, 2000), 0);
		ck_assert(pz_ctl_reply_ok(rep));
		ck_assert_int_eq(json_object_get_int(
			json_object_object_get(rep, "id")), 7 + i);
		ck_assert_ptr_nonnull(strstr(str_member(rep, "req"),
					     i ? "\"ping\"" : "\"status\""));
		json_object_put(rep);
		json_object_put(req);
	}
	pz_ctl_close(c);
	fake_stop(&f);
	ck_assert_int_eq(f.requests, 2);
	/* nothing added, nothing else sent */
	ck_assert_str_eq(f.rx, want);
	ck_assert_ptr_null(strstr(want, "a\nb"));
}
END_TEST

/* A reply that arrives a few bytes at a time is put together. */
START_TEST(framing_split_reply)
{
	struct json_object *rep;
	struct fake f;

	fake_dir(&f);
	f.act = ACT_ECHO;
	f.chunk = 3;
	f.pad = 100;
	fake_start(&f);
	ck_assert_int_eq(one_call(&f, pz_ctl_request("status"), &rep, 5000), 0);
	fake_stop(&f);
	ck_assert(pz_ctl_reply_ok(rep));
	ck_assert_uint_eq(strlen(str_member(rep, "pad")), 100);
	json_object_put(rep);
}
END_TEST

/* Blank lines before the reply are skipped. */
START_TEST(framing_blank_lines)
{
	static const char raw[] = "\n \r\n{\"ok\": true, \"v\": 1}\n";
	struct json_object *rep;
	struct fake f;

	fake_dir(&f);
	f.act = ACT_RAW;
	f.raw = raw;
	f.chunk = 2;
	fake_start(&f);
	ck_assert_int_eq(one_call(&f, pz_ctl_request("ping"), &rep, 5000), 0);
	fake_stop(&f);
	ck_assert_int_eq(json_object_get_int(json_object_object_get(rep, "v")),
			 1);
	json_object_put(rep);
}
END_TEST

/* Replies of 1 MiB and of exactly the limit get through. */
START_TEST(framing_large_reply)
{
	const size_t pads[] = { 1u << 20, PZ_CTL_MAX_REPLY - ECHO_FRAME };
	struct json_object *rep;
	size_t i;

	for (i = 0; i < 2; i++) {
		struct fake f;

		fake_dir(&f);
		f.act = ACT_ECHO;
		f.pad = pads[i];
		/* the newline of the longest line comes on its own */
		f.chunk = i ? PZ_CTL_MAX_REPLY : 0;
		fake_start(&f);
		ck_assert_int_eq(one_call(&f, pz_ctl_request("status"), &rep,
					  20000), 0);
		fake_stop(&f);
		ck_assert_uint_eq(strlen(str_member(rep, "pad")), pads[i]);
		if (i)
			ck_assert_uint_eq(strlen(json_object_to_json_string_ext(
				rep, JSON_C_TO_STRING_PLAIN)),
				PZ_CTL_MAX_REPLY);
		json_object_put(rep);
	}
}
END_TEST

/* One byte more than the limit is refused. */
START_TEST(framing_too_large)
{
	struct json_object *rep = (struct json_object *)&rep;
	struct fake f;

	fake_dir(&f);
	f.act = ACT_ECHO;
	f.pad = PZ_CTL_MAX_REPLY - ECHO_FRAME + 1;
	fake_start(&f);
	ck_assert_int_eq(one_call(&f, pz_ctl_request("status"), &rep, 20000),
			 -EMSGSIZE);
	ck_assert_ptr_null(rep);
	fake_stop(&f);
}
END_TEST

/* ---- deadlines -------------------------------------------------------- */

START_TEST(timeout_silent)
{
	struct json_object *rep;
	struct pz_ctl *c;
	struct fake f;

	fake_dir(&f);
	f.act = ACT_SILENT;
	fake_start(&f);
	ck_assert_int_eq(pz_ctl_connect(f.path, 2000, &c), 0);
	struct json_object *req = pz_ctl_request("status");

	ck_assert_int_eq(pz_ctl_call(c, req, &rep, 200), -ETIMEDOUT);
	ck_assert_ptr_null(rep);
	/* out of step now: a late reply could be taken for the next one */
	ck_assert_int_eq(pz_ctl_call(c, req, &rep, 200), -ENOTCONN);
	json_object_put(req);
	pz_ctl_close(c);
	fake_stop(&f);
	ck_assert_int_eq(f.requests, 1);
}
END_TEST

/* The deadline covers the whole reply, not each read. */
START_TEST(timeout_trickle)
{
	struct json_object *rep;
	struct fake f;

	fake_dir(&f);
	f.act = ACT_TRICKLE;
	fake_start(&f);
	ck_assert_int_eq(one_call(&f, pz_ctl_request("status"), &rep, 300),
			 -ETIMEDOUT);
	fake_stop(&f);
}
END_TEST

/* A listener whose accept queue is full: connect gives up. */
START_TEST(timeout_connect)
{
	struct pz_ctl *c[8];
	struct fake f;
	int i, n = 0, ret = 0;

	fake_dir(&f);
	f.lfd = fake_listen(&f, 0);	/* never accepts */
	/* no time at all still connects while the queue has room */
	ck_assert_int_eq(pz_ctl_connect(f.path, 0, &c[0]), 0);
	for (i = n = 1; i < 8; i++) {
		ret = pz_ctl_connect(f.path, 100, &c[i]);
		if (ret < 0)
			break;
		n++;
	}
	ck_assert_int_eq(ret, -ETIMEDOUT);
	ck_assert_ptr_null(c[n]);
	ck_assert_int_eq(pz_ctl_connect(f.path, 0, &c[n]), -ETIMEDOUT);
	for (i = 0; i < n; i++)
		pz_ctl_close(c[i]);
	fake_stop(&f);
}
END_TEST

/* ---- the daemon goes away --------------------------------------------- */

START_TEST(closed_without_reply)
{
	struct json_object *rep;
	struct fake f;

	fake_dir(&f);
	f.act = ACT_CLOSE;
	fake_start(&f);
	ck_assert_int_eq(one_call(&f, pz_ctl_request("status"), &rep, 5000),
			 -ECONNRESET);
	ck_assert_ptr_null(rep);
	fake_stop(&f);
	ck_assert_int_eq(f.requests, 1);
}
END_TEST

START_TEST(closed_mid_reply)
{
	struct json_object *rep;
	struct fake f;

	fake_dir(&f);
	f.act = ACT_RAW;
	f.raw = "{\"ok\": true, \"nodes\": [";
	f.close_after = true;
	fake_start(&f);
	ck_assert_int_eq(one_call(&f, pz_ctl_request("status"), &rep, 5000),
			 -ECONNRESET);
	ck_assert_ptr_null(rep);
	fake_stop(&f);
}
END_TEST

/* "busy": the daemon answers at once and closes without reading. */
START_TEST(busy_hangup)
{
	struct json_object *rep;
	struct pz_ctl *c;
	struct fake f;

	fake_dir(&f);
	f.act = ACT_HANGUP;
	f.raw = "{\"ok\": false, \"error\": {\"code\": \"busy\", \"message\": \"too many connections\"}}\n";
	fake_start(&f);
	ck_assert_int_eq(pz_ctl_connect(f.path, 2000, &c), 0);
	/* make sure the daemon has hung up before the request goes out */
	pthread_join(f.th, NULL);
	struct json_object *req = pz_ctl_request("status");

	ck_assert_int_eq(pz_ctl_call(c, req, &rep, 5000), 0);
	ck_assert(!pz_ctl_reply_ok(rep));
	ck_assert_str_eq(pz_ctl_error_code(rep), "busy");
	ck_assert_str_eq(pz_ctl_error_message(rep), "too many connections");
	json_object_put(rep);
	/* and nothing more comes from it */
	ck_assert_int_lt(pz_ctl_call(c, req, &rep, 1000), 0);
	ck_assert_ptr_null(rep);
	json_object_put(req);
	pz_ctl_close(c);
	close(f.stop[0]);
	close(f.stop[1]);
	f.stop[1] = -1;
	fake_stop(&f);
}
END_TEST

/* ---- malformed replies ------------------------------------------------ */

static const char *const garbage[] = {
	"hello\n",
	"[1, 2]\n",
	"\"ok\"\n",
	"17\n",
	"{\"ok\": true\n",			/* cut short */
	"{\"ok\": true} {\"ok\": true}\n",	/* two values */
	"{\"ok\": true} x\n",
	"{\"ok\": true}\n{\"ok\": true}\n",	/* two lines */
	"{\"id\": 1}\n",			/* no "ok" */
	"{\"ok\": 1}\n",			/* "ok" not a boolean */
	"{\"ok\": \"true\"}\n",
	"{\"ok\": tru}\n",
};

START_TEST(malformed_reply)
{
	struct json_object *rep = (struct json_object *)&rep;
	struct fake f;

	fake_dir(&f);
	f.act = ACT_RAW;
	f.raw = garbage[_i];
	fake_start(&f);
	ck_assert_int_eq(one_call(&f, pz_ctl_request("status"), &rep, 5000),
			 -EPROTO);
	ck_assert_ptr_null(rep);
	fake_stop(&f);
}
END_TEST

START_TEST(malformed_nul)
{
	static const char raw[] = "{\"ok\": true}\0 junk\n";
	struct json_object *rep;
	struct fake f;

	fake_dir(&f);
	f.act = ACT_RAW;
	f.raw = raw;
	f.raw_len = sizeof(raw) - 1;
	fake_start(&f);
	ck_assert_int_eq(one_call(&f, pz_ctl_request("status"), &rep, 5000),
			 -EPROTO);
	fake_stop(&f);
}
END_TEST

/* ---- error replies ---------------------------------------------------- */

START_TEST(error_reply)
{
	struct json_object *rep;
	struct fake f;

	fake_dir(&f);
	f.act = ACT_RAW;
	f.raw = "{\"ok\": false, \"id\": 3, \"error\": {\"code\": \"permission-denied\", \"message\": \"node-set: only root or group \\\"prezero\\\" may change settings\"}}\n";
	fake_start(&f);
	ck_assert_int_eq(one_call(&f, pz_ctl_request("node-set"), &rep, 5000),
			 0);
	fake_stop(&f);
	ck_assert(!pz_ctl_reply_ok(rep));
	ck_assert_str_eq(pz_ctl_error_code(rep), "permission-denied");
	ck_assert_str_eq(pz_ctl_error_message(rep),
			 "node-set: only root or group \"prezero\" may change settings");
	json_object_put(rep);
}
END_TEST

/* An error reply without details still reads as a failure. */
START_TEST(error_reply_bare)
{
	struct json_object *rep;
	struct fake f;

	fake_dir(&f);
	f.act = ACT_RAW;
	f.raw = "{\"ok\": false, \"error\": {\"code\": 5}}\n";
	fake_start(&f);
	ck_assert_int_eq(one_call(&f, pz_ctl_request("reload"), &rep, 5000),
			 0);
	fake_stop(&f);
	ck_assert(!pz_ctl_reply_ok(rep));
	ck_assert_str_eq(pz_ctl_error_code(rep), "unknown");
	ck_assert_str_eq(pz_ctl_error_message(rep), "");
	json_object_put(rep);
}
END_TEST

START_TEST(ok_reply_helpers)
{
	struct json_object *o = json_tokener_parse("{\"ok\": true}");

	ck_assert(pz_ctl_reply_ok(o));
	ck_assert_str_eq(pz_ctl_error_code(o), "unknown");
	json_object_put(o);
	o = json_tokener_parse("{\"ok\": false}");
	ck_assert(!pz_ctl_reply_ok(o));
	json_object_put(o);
	ck_assert(!pz_ctl_reply_ok(NULL));
}
END_TEST

/* ---- connecting ------------------------------------------------------- */

START_TEST(connect_no_socket)
{
	struct pz_ctl *c = (struct pz_ctl *)&c;
	struct fake f;
	int ret;

	fake_dir(&f);
	ret = pz_ctl_connect(f.path, 1000, &c);
	ck_assert_int_eq(ret, -ENOENT);
	ck_assert_ptr_null(c);
	ck_assert(pz_ctl_no_daemon(ret));
	fake_stop(&f);
}
END_TEST

/* A socket file that nobody listens on: a daemon that died. */
START_TEST(connect_stale_socket)
{
	struct pz_ctl *c;
	struct fake f;
	int ret;

	fake_dir(&f);
	f.lfd = fake_listen(&f, -1);
	ret = pz_ctl_connect(f.path, 1000, &c);
	ck_assert_int_eq(ret, -ECONNREFUSED);
	ck_assert(pz_ctl_no_daemon(ret));
	fake_stop(&f);
}
END_TEST

START_TEST(connect_bad_path)
{
	struct pz_ctl *c;
	char longpath[200];

	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	ck_assert_int_eq(pz_ctl_connect(longpath, 1000, &c), -ENAMETOOLONG);
	ck_assert(!pz_ctl_no_daemon(-ENAMETOOLONG));
	ck_assert_int_eq(pz_ctl_connect("", 1000, &c), -EINVAL);
	ck_assert_int_eq(pz_ctl_connect(NULL, 1000, &c), -EINVAL);
}
END_TEST

START_TEST(call_bad_args)
{
	struct json_object *rep = (struct json_object *)&rep;
	struct json_object *req = pz_ctl_request("ping");
	struct pz_ctl *c;
	struct fake f;

	fake_dir(&f);
	f.act = ACT_ECHO;
	fake_start(&f);
	ck_assert_int_eq(pz_ctl_connect(f.path, 2000, &c), 0);
	ck_assert_int_eq(pz_ctl_call(c, NULL, &rep, 1000), -EINVAL);
	ck_assert_ptr_null(rep);
	ck_assert_int_eq(pz_ctl_call(NULL, req, &rep, 1000), -EINVAL);
	ck_assert_int_eq(pz_ctl_call(c, req, NULL, 1000), -EINVAL);
	/* nothing went out, so the connection still works */
	ck_assert_int_eq(pz_ctl_call(c, req, &rep, 2000), 0);
	json_object_put(rep);
	json_object_put(req);
	pz_ctl_close(c);
	pz_ctl_close(NULL);
	fake_stop(&f);
	ck_assert_int_eq(f.requests, 1);
}
END_TEST

START_TEST(socket_path)
{
	ck_assert_int_eq(unsetenv(PZ_CTL_SOCKET_ENV), 0);
	ck_assert_str_eq(pz_ctl_socket_path(NULL), "/run/prezerod/prezerod.sock");
	ck_assert_str_eq(pz_ctl_socket_path("/x"), "/x");
	ck_assert_int_eq(setenv(PZ_CTL_SOCKET_ENV, "/tmp/e.sock", 1), 0);
	ck_assert_str_eq(pz_ctl_socket_path(NULL), "/tmp/e.sock");
	ck_assert_str_eq(pz_ctl_socket_path("/x"), "/x");
	ck_assert_int_eq(setenv(PZ_CTL_SOCKET_ENV, "", 1), 0);
	ck_assert_str_eq(pz_ctl_socket_path(NULL), PZ_CTL_SOCKET_PATH);
	ck_assert_int_eq(unsetenv(PZ_CTL_SOCKET_ENV), 0);
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *ctl_suite(void)
{
	Suite *s = suite_create("ctl");
	TCase *tc = tcase_create("framing");

	/* 16 MiB through a socket and JSON is slow under valgrind */
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, framing_two_calls);
	tcase_add_test(tc, framing_split_reply);
	tcase_add_test(tc, framing_blank_lines);
	tcase_add_test(tc, framing_large_reply);
	tcase_add_test(tc, framing_too_large);
	suite_add_tcase(s, tc);

	tc = tcase_create("deadline");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, timeout_silent);
	tcase_add_test(tc, timeout_trickle);
	tcase_add_test(tc, timeout_connect);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, closed_without_reply);
	tcase_add_test(tc, closed_mid_reply);
	tcase_add_test(tc, busy_hangup);
	tcase_add_loop_test(tc, malformed_reply, 0, N(garbage));
	tcase_add_test(tc, malformed_nul);
	tcase_add_test(tc, error_reply);
	tcase_add_test(tc, error_reply_bare);
	tcase_add_test(tc, ok_reply_helpers);
	suite_add_tcase(s, tc);

	tc = tcase_create("connect");
	tcase_add_test(tc, connect_no_socket);
	tcase_add_test(tc, connect_stale_socket);
	tcase_add_test(tc, connect_bad_path);
	tcase_add_test(tc, call_bad_args);
	tcase_add_test(tc, socket_path);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ctl_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
