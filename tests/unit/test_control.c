// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/*
 * The control socket's transport (daemon/control.c): a real sd-event loop
 * and real Unix sockets in a temporary directory, driven from the same
 * process by running the loop one iteration at a time.
 */
#define _GNU_SOURCE	/* struct ucred */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>
#include <systemd/sd-event.h>

#include "control.h"
#include "log.h"
#include "protocol.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))
/* Loop iterations that may wait (100 ms each) before a test gives up. */
#define SPINS 300

static sd_event *ev;
static char dir[64];
static char path[128];		/* dir/run/sock: run/ is created */

/* What the handler saw. */
static int calls;
static struct pzd_peer last_peer;

/*
 * Replies {"echo": LINE, "uid": .., "gid": .., "pid": .., "ngroups": ..};
 * "big N" replies N bytes, "null" fails (NULL).
 */
static char *echo_handler(const struct pzd_peer *peer, const char *line,
			  size_t len, void *ud)
{
	struct json_object *o;
	unsigned long n;
	char *s;

	ck_assert_ptr_eq(ud, &calls);
	calls++;
	last_peer = *peer;
	if (len == 4 && !memcmp(line, "null", 4))
		return NULL;
	if (len > 4 && len < 20 && !memcmp(line, "big ", 4)) {
		char num[20];

		memcpy(num, line + 4, len - 4);
		num[len - 4] = '\0';
		n = strtoul(num, NULL, 10);
		s = malloc(n + 1);
		ck_assert_ptr_nonnull(s);
		memset(s, 'b', n);
		s[n] = '\0';
		return s;
	}
	o = json_object_new_object();
	json_object_object_add(o, "echo", json_object_new_string_len(line,
							(int)len));
	json_object_object_add(o, "uid", json_object_new_int64(peer->uid));
	json_object_object_add(o, "gid", json_object_new_int64(peer->gid));
	json_object_object_add(o, "pid", json_object_new_int64(peer->pid));
	json_object_object_add(o, "ngroups",
			       json_object_new_int64((int64_t)peer->ngroups));
	s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return s;
}

static void setup(void)
{
	strcpy(dir, "/tmp/pzd-ctl-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/run/sock", dir);
	ck_assert_int_ge(sd_event_new(&ev), 0);
	calls = 0;
	memset(&last_peer, 0, sizeof(last_peer));
}

static void teardown(void)
{
	char p[160];

	ev = sd_event_unref(ev);
	unlink(path);
	snprintf(p, sizeof(p), "%s/run", dir);
	rmdir(p);
	snprintf(p, sizeof(p), "%s/passed", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/file", dir);
	unlink(p);
	rmdir(dir);
}

/* One loop iteration; waits up to 100 ms when there is nothing to do. */
static void spin(void)
{
	ck_assert_int_ge(sd_event_run(ev, 100 * 1000), 0);
}

/* Run the loop until c has n connections. */
static void wait_clients(struct pzd_control *c, size_t n)
{
	for (int i = 0; i < SPINS && pzd_control_clients(c) != n; i++)
		spin();
	ck_assert_uint_eq(pzd_control_clients(c), n);
}

static struct pzd_control *serve(void)
{
	struct pzd_control *c;

	ck_assert_int_eq(pzd_control_new(ev, -1, path, echo_handler, &calls,
					 &c), 0);
	ck_assert_ptr_nonnull(c);
	return c;
}

/* The client side of a connection, with its unread input. */
struct conn {
	int fd;
	char *buf;
	size_t len, cap;
};

static int sock_connect(const char *p)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	strcpy(sa.sun_path, p);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

static void conn_open(struct conn *c)
{
	memset(c, 0, sizeof(*c));
	c->fd = sock_connect(path);
	ck_assert_msg(c->fd >= 0, "connect: %s", strerror(-c->fd));
}

static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->buf);
	c->buf = NULL;
	c->len = c->cap = 0;
}

/* Send it all, letting the loop read when the socket is full. */
static void conn_send(struct conn *c, const void *data, size_t len)
{
	const char *p = data;
	int waits = 0;

	while (len > 0) {
		ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			ck_assert_msg(errno == EAGAIN, "send: %m");
			ck_assert_int_lt(waits++, SPINS);
			spin();
			continue;
		}
		p += n;
		len -= (size_t)n;
	}
}

static void conn_sends(struct conn *c, const char *s)
{
	conn_send(c, s, strlen(s));
}

/* One recv: > 0 bytes, 0 EOF, -errno. */
static ssize_t conn_fill(struct conn *c)
{
	ssize_t n;

	if (c->cap - c->len < 65536) {
		c->cap = c->cap * 2 + 65536;
		c->buf = realloc(c->buf, c->cap);
		ck_assert_ptr_nonnull(c->buf);
	}
	n = recv(c->fd, c->buf + c->len, c->cap - c->len, MSG_DONTWAIT);
	if (n < 0)
		return -errno;
	c->len += (size_t)n;
	return n;
}

/* The next reply line (malloc'ed, no newline), NULL at EOF. */
static char *conn_line(struct conn *c)
{
	for (int waits = 0; waits < SPINS;) {
		char *nl = c->buf ? memchr(c->buf, '\n', c->len) : NULL;
		ssize_t n;

		if (nl) {
			size_t k = (size_t)(nl - c->buf);
			char *line = strndup(c->buf, k);

			ck_assert_ptr_nonnull(line);
			memmove(c->buf, nl + 1, c->len - k - 1);
			c->len -= k + 1;
			return line;
		}
		n = conn_fill(c);
		if (n > 0)
			continue;
		if (n == 0)
			return NULL;
		ck_assert_msg(n == -EAGAIN, "recv: %s", strerror((int)-n));
		spin();
		waits++;
	}
	ck_abort_msg("no reply");
	return NULL;
}

/* The server closed the connection and sent nothing more: 0 for a clean
 * EOF, else -errno of the reset. */
static int conn_end(struct conn *c)
{
	for (int waits = 0; waits < SPINS; waits++) {
		ssize_t n = conn_fill(c);

		ck_assert_msg(n <= 0, "unexpected data: %.*s", (int)c->len,
			      c->buf);
		if (n == 0 || n != -EAGAIN) {
			ck_assert_uint_eq(c->len, 0);
			return (int)n;
		}
		spin();
	}
	ck_abort_msg("the connection stays open");
	return -1;
}

static struct json_object *parse(const char *s)
{
	struct json_object *o;

	ck_assert_ptr_nonnull(s);
	o = json_tokener_parse(s);
	ck_assert_msg(o != NULL, "not JSON: %s", s);
	return o;
}

static const char *get_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	ck_assert_msg(json_object_object_get_ex(o, key, &v), "no %s", key);
	return json_object_get_string(v);
}

static int64_t get_int(struct json_object *o, const char *key)
{
	struct json_object *v;

	ck_assert_msg(json_object_object_get_ex(o, key, &v), "no %s", key);
	return json_object_get_int64(v);
}

/* The next reply is the echo of want. */
static void expect_echo(struct conn *c, const char *want)
{
	char *line = conn_line(c);
	struct json_object *o = parse(line);

	ck_assert_str_eq(get_str(o, "echo"), want);
	json_object_put(o);
	free(line);
}

/* The next reply is an error with this code, and then the connection
 * ends cleanly. */
static void expect_error(struct conn *c, const char *code)
{
	char *line = conn_line(c);
	struct json_object *o = parse(line), *e, *ok;

	ck_assert(json_object_object_get_ex(o, "ok", &ok));
	ck_assert(!json_object_get_boolean(ok));
	ck_assert(json_object_object_get_ex(o, "error", &e));
	ck_assert_str_eq(get_str(e, "code"), code);
	ck_assert(strlen(get_str(e, "message")) > 0);
	json_object_put(o);
	free(line);
}

START_TEST(echo_and_creds)
{
	struct pzd_control *c;
	struct json_object *o;
	struct conn a;
	struct stat st;
	char *line, run[160];
	gid_t groups[256];
	mode_t mask = umask(077);
	int ng;

	/* The modes do not depend on the umask. */
	c = serve();
	umask(mask);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_int_eq(st.st_mode & 07777, 0666);
	snprintf(run, sizeof(run), "%s/run", dir);
	ck_assert_int_eq(stat(run, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0755);

	conn_open(&a);
	wait_clients(c, 1);
	conn_sends(&a, "hello\n");
	line = conn_line(&a);
	o = parse(line);
	ck_assert_str_eq(get_str(o, "echo"), "hello");
	ck_assert_int_eq(get_int(o, "uid"), getuid());
	ck_assert_int_eq(get_int(o, "gid"), getgid());
	ck_assert_int_eq(get_int(o, "pid"), getpid());
	json_object_put(o);
	free(line);

	/* The supplementary groups are ours. */
	ng = getgroups(N(groups), groups);
	ck_assert_int_ge(ng, 0);
	ck_assert_uint_eq(last_peer.ngroups,
			  ng < PZD_CTL_MAX_GROUPS ? ng : PZD_CTL_MAX_GROUPS);
	for (size_t i = 0; i < last_peer.ngroups; i++) {
		bool found = false;

		for (int k = 0; k < ng; k++)
			found |= groups[k] == last_peer.groups[i];
		ck_assert_msg(found, "group %u is not ours",
			      (unsigned int)last_peer.groups[i]);
	}
	conn_close(&a);
	wait_clients(c, 0);
	pzd_control_free(c);
}
END_TEST

START_TEST(order_and_framing)
{
	struct pzd_control *c = serve();
	struct conn a;

	conn_open(&a);
	/* Several requests in one write: answered in order. */
	conn_sends(&a, "one\ntwo\nthree\n");
	expect_echo(&a, "one");
	expect_echo(&a, "two");
	expect_echo(&a, "three");
	ck_assert_int_eq(calls, 3);

	/* One request in pieces, with the loop running in between. */
	conn_sends(&a, "{\"pa");
	for (int i = 0; i < 3; i++)
		ck_assert_int_ge(sd_event_run(ev, 0), 0);
	ck_assert_int_eq(calls, 3);
	conn_sends(&a, "rt\":");
	for (int i = 0; i < 3; i++)
		ck_assert_int_ge(sd_event_run(ev, 0), 0);
	conn_sends(&a, "1}\nfour");
	expect_echo(&a, "{\"part\":1}");
	conn_sends(&a, "\n");
	expect_echo(&a, "four");

	/* Blank lines are no requests. */
	conn_sends(&a, "\n  \n\t\r\n\r\nfive\n");
	expect_echo(&a, "five");
	ck_assert_int_eq(calls, 6);

	/* A CR is part of the line; the protocol treats it as space. */
	conn_sends(&a, "six\r\n");
	expect_echo(&a, "six\r");
	conn_close(&a);
	pzd_control_free(c);
}
END_TEST

START_TEST(too_large)
{
	struct pzd_control *c = serve();
	size_t n = PZD_CTL_MAX_REQUEST + 2;
	char *big = malloc(n + 1);
	struct conn a;
	char *line;

	ck_assert_ptr_nonnull(big);
	/* Exactly the limit is fine, and so is what follows it. */
	memset(big, 'x', n);
	big[PZD_CTL_MAX_REQUEST] = '\n';
	conn_open(&a);
	conn_send(&a, big, PZD_CTL_MAX_REQUEST + 1);
	conn_sends(&a, "after\n");
	line = conn_line(&a);
	ck_assert_ptr_nonnull(line);
	ck_assert_uint_gt(strlen(line), PZD_CTL_MAX_REQUEST);
	free(line);
	expect_echo(&a, "after");
	ck_assert_int_eq(calls, 2);

	/* One byte more: too-large, then EOF; the request is not handled. */
	memset(big, 'y', n);
	big[n - 1] = '\n';
	conn_sends(&a, "ok\n");
	conn_send(&a, big, n);
	expect_echo(&a, "ok");
	expect_error(&a, "too-large");
	ck_assert_int_eq(conn_end(&a), 0);
	ck_assert_int_eq(calls, 3);
	conn_close(&a);
	wait_clients(c, 0);

	/* Also when the peer keeps sending after the limit. */
	conn_open(&a);
	for (int i = 0; i < 3; i++)
		conn_send(&a, big, n - 1);
	expect_error(&a, "too-large");
	ck_assert_int_eq(conn_end(&a), 0);
	conn_close(&a);
	ck_assert_int_eq(calls, 3);
	free(big);
	pzd_control_free(c);
}
END_TEST

START_TEST(max_clients)
{
	struct pzd_control *c = serve();
	struct conn a[PZD_CTL_MAX_CLIENTS], extra;

	for (int i = 0; i < PZD_CTL_MAX_CLIENTS; i++)
		conn_open(&a[i]);
	wait_clients(c, PZD_CTL_MAX_CLIENTS);

	/* One too many: busy, then closed; the others are untouched. */
	conn_open(&extra);
	conn_sends(&extra, "hi\n");
	expect_error(&extra, "busy");
	ck_assert_int_eq(conn_end(&extra), 0);
	conn_close(&extra);
	ck_assert_uint_eq(pzd_control_clients(c), PZD_CTL_MAX_CLIENTS);
	ck_assert_int_eq(calls, 0);
	for (int i = 0; i < PZD_CTL_MAX_CLIENTS; i += 9) {
		char msg[16];

		snprintf(msg, sizeof(msg), "c%d\n", i);
		conn_sends(&a[i], msg);
		msg[strlen(msg) - 1] = '\0';
		expect_echo(&a[i], msg);
	}

	/* A free slot is served again. */
	conn_close(&a[5]);
	wait_clients(c, PZD_CTL_MAX_CLIENTS - 1);
	conn_open(&a[5]);
	conn_sends(&a[5], "back\n");
	expect_echo(&a[5], "back");
	ck_assert_uint_eq(pzd_control_clients(c), PZD_CTL_MAX_CLIENTS);

	/* Freeing the control closes every connection. */
	pzd_control_free(c);
	for (int i = 0; i < PZD_CTL_MAX_CLIENTS; i++) {
		ck_assert_int_eq(conn_end(&a[i]), 0);
		conn_close(&a[i]);
	}
}
END_TEST

START_TEST(eof)
{
	struct pzd_control *c = serve();
	struct conn a;

	/* A partial request at EOF is dropped. */
	conn_open(&a);
	conn_sends(&a, "one\npartial");
	ck_assert_int_eq(shutdown(a.fd, SHUT_WR), 0);
	expect_echo(&a, "one");
	ck_assert_int_eq(conn_end(&a), 0);
	ck_assert_int_eq(calls, 1);
	conn_close(&a);
	wait_clients(c, 0);

	/* Requests sent before EOF are all answered. */
	conn_open(&a);
	conn_sends(&a, "a\nb\n");
	ck_assert_int_eq(shutdown(a.fd, SHUT_WR), 0);
	expect_echo(&a, "a");
	expect_echo(&a, "b");
	ck_assert_int_eq(conn_end(&a), 0);
	conn_close(&a);
	wait_clients(c, 0);
	pzd_control_free(c);
}
END_TEST

START_TEST(handler_fails)
{
	struct pzd_control *c = serve();
	struct conn a;
	int r;

	conn_open(&a);
	conn_sends(&a, "first\nnull\nnever\n");
	expect_echo(&a, "first");
	/* Closed: with "never" unread a reset, else EOF. */
	r = conn_end(&a);
	ck_assert_msg(r == 0 || r == -ECONNRESET, "%s", strerror(-r));
	ck_assert_int_eq(calls, 2);
	conn_close(&a);
	wait_clients(c, 0);

	/* A reply beyond the output limit becomes an error. */
	conn_open(&a);
	conn_sends(&a, "big 5000000\nstill\n");
	expect_error(&a, "internal");
	expect_echo(&a, "still");
	/* Below it, a big reply arrives whole. */
	conn_sends(&a, "big 3000000\n");
	{
		char *line = conn_line(&a);

		ck_assert_ptr_nonnull(line);
		ck_assert_uint_eq(strlen(line), 3000000);
		free(line);
	}
	conn_close(&a);
	pzd_control_free(c);
}
END_TEST

START_TEST(idle_timeout)
{
	struct pzd_control *c = serve();
	struct conn a, b;

	pzd_control_set_idle_timeout(c, 50);
	conn_open(&a);
	conn_open(&b);
	conn_sends(&b, "half a req");
	wait_clients(c, 2);
	/* Both are closed without an answer, eventually. */
	ck_assert_int_eq(conn_end(&a), 0);
	ck_assert_int_eq(conn_end(&b), 0);
	ck_assert_int_eq(calls, 0);
	wait_clients(c, 0);
	conn_close(&a);
	conn_close(&b);
	pzd_control_free(c);
}
END_TEST

/* Each answered request starts the idle time afresh. */
START_TEST(activity_keeps_alive)
{
	struct pzd_control *c = serve();
	struct conn a;

	pzd_control_set_idle_timeout(c, 1000);
	conn_open(&a);
	/* 8 x 200 ms is well past the timeout, each pause well within. */
	for (int i = 0; i < 8; i++) {
		usleep(200 * 1000);
		conn_sends(&a, "tick\n");
		expect_echo(&a, "tick");
	}
	ck_assert_uint_eq(pzd_control_clients(c), 1);
	conn_close(&a);
	pzd_control_free(c);
}
END_TEST

/*
 * A peer that sends requests and never reads the replies: the daemon stops
 * reading from it (so the peer's writes stall), stays responsive to
 * others, and drops the peer at its idle timeout.
 */
START_TEST(slow_reader)
{
	static const char req[] = "big 100000\n";
	struct pzd_control *c = serve();
	size_t sent = 0;
	int stalled = 0;
	struct conn a, b;

	pzd_control_set_idle_timeout(c, 300);
	conn_open(&a);
	while (stalled < 50) {
		ssize_t n = send(a.fd, req, sizeof(req) - 1,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		ck_assert_int_ge(sd_event_run(ev, 0), 0);
		if (n < 0) {
			ck_assert_int_eq(errno, EAGAIN);
			stalled++;
			continue;
		}
		stalled = 0;
		sent += (size_t)n;
		/* A daemon that kept reading would never stall the peer. */
		ck_assert_uint_lt(sent, 64 << 20);
	}
	/* Replies stay unread: the daemon answered only a bounded part. */
	ck_assert_int_gt(calls, 0);
	ck_assert_uint_lt((size_t)calls, sent / (sizeof(req) - 1));

	conn_open(&b);
	conn_sends(&b, "alive\n");
	expect_echo(&b, "alive");
	conn_close(&b);

	/* The stalled peer is dropped when its time is up. */
	wait_clients(c, 0);
	conn_close(&a);
	pzd_control_free(c);
}
END_TEST

START_TEST(stale_socket)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct pzd_control *c;
	char run[160];
	struct conn a;
	int fd;

	/* A socket file nobody listens on, as a crashed daemon leaves. */
	snprintf(run, sizeof(run), "%s/run", dir);
	ck_assert_int_eq(mkdir(run, 0700), 0);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	strcpy(sa.sun_path, path);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	ck_assert_int_eq(sock_connect(path), -ECONNREFUSED);

	c = serve();
	conn_open(&a);
	conn_sends(&a, "new\n");
	expect_echo(&a, "new");
	conn_close(&a);
	pzd_control_free(c);
}
END_TEST

START_TEST(live_socket)
{
	struct pzd_control *c = serve(), *c2 = (void *)1;
	struct conn a;
	struct stat st;

	ck_assert_int_eq(pzd_control_new(ev, -1, path, echo_handler, &calls,
					 &c2), -EADDRINUSE);
	ck_assert_ptr_null(c2);
	/* The first one is undisturbed. */
	ck_assert_int_eq(lstat(path, &st), 0);
	conn_open(&a);
	conn_sends(&a, "still mine\n");
	expect_echo(&a, "still mine");
	conn_close(&a);
	pzd_control_free(c);
}
END_TEST

START_TEST(not_a_socket)
{
	struct pzd_control *c = (void *)1;
	char run[160], buf[16] = "";
	int fd;

	snprintf(run, sizeof(run), "%s/run", dir);
	ck_assert_int_eq(mkdir(run, 0755), 0);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "keep", 4), 4);
	close(fd);
	ck_assert_int_eq(pzd_control_new(ev, -1, path, echo_handler, &calls,
					 &c), -EEXIST);
	ck_assert_ptr_null(c);
	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(read(fd, buf, sizeof(buf) - 1), 4);
	ck_assert_str_eq(buf, "keep");
	close(fd);
}
END_TEST

START_TEST(bad_args)
{
	struct pzd_control *c = (void *)1;
	char longp[200];

	ck_assert_int_eq(pzd_control_new(ev, -1, "", echo_handler, &calls, &c),
			 -EINVAL);
	ck_assert_ptr_null(c);
	ck_assert_int_eq(pzd_control_new(ev, -1, NULL, echo_handler, &calls,
					 &c), -EINVAL);
	ck_assert_int_eq(pzd_control_new(ev, -1, path, NULL, &calls, &c),
			 -EINVAL);
	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	ck_assert_int_eq(pzd_control_new(ev, -1, longp, echo_handler, &calls,
					 &c), -ENAMETOOLONG);
	/* The parent of the directory must exist: only one level is made. */
	snprintf(longp, sizeof(longp), "%s/a/b/sock", dir);
	ck_assert_int_eq(pzd_control_new(ev, -1, longp, echo_handler, &calls,
					 &c), -ENOENT);
}
END_TEST

static int listening_socket(const char *p, int type, bool do_listen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	strcpy(sa.sun_path, p);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	if (do_listen)
		ck_assert_int_eq(listen(fd, 16), 0);
	return fd;
}

START_TEST(passed_fd)
{
	struct pzd_control *c;
	struct conn a;
	struct stat st;
	int fd;

	/* As systemd passes it: blocking, listening, bound elsewhere. */
	snprintf(path, sizeof(path), "%s/passed", dir);
	fd = listening_socket(path, SOCK_STREAM, true);
	ck_assert_int_eq(pzd_control_new(ev, fd, NULL, echo_handler, &calls,
					 &c), 0);
	ck_assert(fcntl(fd, F_GETFL) & O_NONBLOCK);
	conn_open(&a);
	conn_sends(&a, "via fd\n");
	expect_echo(&a, "via fd");
	ck_assert_int_eq(last_peer.uid, getuid());
	conn_close(&a);
	pzd_control_free(c);
	/* The fd was ours to close, the path is not ours to remove. */
	ck_assert_int_eq(fcntl(fd, F_GETFD), -1);
	ck_assert_int_eq(errno, EBADF);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
}
END_TEST

START_TEST(passed_fd_wrong)
{
	struct pzd_control *c = (void *)1;
	char p[160];
	int fds[2], fd;

	/* Not a socket, a datagram socket, a stream socket not listening:
	 * refused, and the fd stays the caller's. */
	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(pzd_control_new(ev, fds[0], NULL, echo_handler,
					 &calls, &c), -ENOTSOCK);
	ck_assert_ptr_null(c);
	ck_assert_int_ge(fcntl(fds[0], F_GETFD), 0);
	close(fds[0]);
	close(fds[1]);

	snprintf(p, sizeof(p), "%s/passed", dir);
	fd = listening_socket(p, SOCK_DGRAM, false);
	ck_assert_int_eq(pzd_control_new(ev, fd, NULL, echo_handler, &calls,
					 &c), -ENOTSOCK);
	ck_assert_int_ge(fcntl(fd, F_GETFD), 0);
	close(fd);
	unlink(p);

	fd = listening_socket(p, SOCK_STREAM, false);
	ck_assert_int_eq(pzd_control_new(ev, fd, NULL, echo_handler, &calls,
					 &c), -ENOTSOCK);
	ck_assert_int_ge(fcntl(fd, F_GETFD), 0);
	close(fd);
}
END_TEST

START_TEST(free_unlinks)
{
	struct pzd_control *c = serve();
	struct stat st;
	int fd;

	ck_assert_int_eq(lstat(path, &st), 0);
	pzd_control_free(c);
	ck_assert_int_eq(lstat(path, &st), -1);
	ck_assert_int_eq(errno, ENOENT);

	/* A file that replaced our socket is not ours. */
	c = serve();
	ck_assert_int_eq(unlink(path), 0);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	ck_assert_int_ge(fd, 0);
	close(fd);
	pzd_control_free(c);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISREG(st.st_mode));

	pzd_control_free(NULL);
	ck_assert_uint_eq(pzd_control_clients(NULL), 0);
}
END_TEST

/* The protocol behind the transport: a ping over the socket. */
static bool never_admin(void *ud, const struct pzd_peer *peer)
{
	(void)ud;
	(void)peer;
	return false;
}

START_TEST(with_protocol)
{
	static const struct pzd_protocol_ops ops = { .is_admin = never_admin };
	struct pzd_protocol proto = { .ops = &ops };
	struct pzd_control *c;
	struct json_object *o;
	struct conn a;
	char *line;

	ck_assert_int_eq(pzd_control_new(ev, -1, path, pzd_protocol_handle,
					 &proto, &c), 0);
	conn_open(&a);
	conn_sends(&a, "{\"cmd\":\"ping\",\"id\":\"p\"}\n{\"cmd\":\"reload\"}\n");
	line = conn_line(&a);
	o = parse(line);
	ck_assert_str_eq(get_str(o, "id"), "p");
	ck_assert_int_eq(get_int(o, "pid"), getpid());
	json_object_put(o);
	free(line);
	expect_error(&a, "permission-denied");
	conn_close(&a);
	pzd_control_free(c);
}
END_TEST

START_TEST(peer_in_group)
{
	struct pzd_peer p = { .uid = 1000, .gid = 100 };

	ck_assert(!pzd_peer_in_group(&p, false, 100));
	ck_assert(pzd_peer_in_group(&p, true, 100));
	ck_assert(!pzd_peer_in_group(&p, true, 27));
	p.groups[0] = 4;
	p.groups[1] = 27;
	p.ngroups = 2;
	ck_assert(pzd_peer_in_group(&p, true, 27));
	ck_assert(!pzd_peer_in_group(&p, false, 27));
	ck_assert(!pzd_peer_in_group(&p, true, 5));
	/* Only the groups counted. */
	p.groups[2] = 5;
	ck_assert(!pzd_peer_in_group(&p, true, 5));
	p.ngroups = 3;
	ck_assert(pzd_peer_in_group(&p, true, 5));
	/* Root always. */
	p.uid = 0;
	ck_assert(pzd_peer_in_group(&p, false, 0));
	ck_assert(pzd_peer_in_group(&p, true, 12345));
}
END_TEST

/* Root only: a peer in more groups than we keep gets the first ones. */
START_TEST(many_groups)
{
	struct pzd_control *c = serve();
	gid_t groups[PZD_CTL_MAX_GROUPS + 6];
	int status = -1;
	pid_t pid;

	for (int i = 0; i < N(groups); i++)
		groups[i] = (gid_t)(20000 + i);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		char buf[512];
		int fd;

		strcpy(sa.sun_path, path);
		if (setgroups(N(groups), groups) < 0)
			_exit(2);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&sa,
				      sizeof(sa)) < 0)
			_exit(3);
		if (write(fd, "groups\n", 7) != 7)
			_exit(4);
		if (read(fd, buf, sizeof(buf)) <= 0)
			_exit(5);
		_exit(0);
	}
	for (int i = 0; i < SPINS; i++) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		ck_assert_int_ge(r, 0);
		if (r == pid)
			break;
		spin();
	}
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "client failed: %d", status);
	ck_assert_int_eq(calls, 1);
	ck_assert_int_eq(last_peer.pid, pid);
	ck_assert_uint_eq(last_peer.ngroups, PZD_CTL_MAX_GROUPS);
	for (int i = 0; i < PZD_CTL_MAX_GROUPS; i++)
		ck_assert_uint_eq(last_peer.groups[i], groups[i]);
	/* As a non-root peer: the kept groups count, the others not. */
	last_peer.uid = 1000;
	ck_assert(pzd_peer_in_group(&last_peer, true,
				    groups[PZD_CTL_MAX_GROUPS - 1]));
	ck_assert(!pzd_peer_in_group(&last_peer, true,
				     groups[PZD_CTL_MAX_GROUPS]));
	wait_clients(c, 0);
	pzd_control_free(c);
}
END_TEST

static Suite *control_suite(void)
{
	Suite *s = suite_create("control");
	TCase *tc = tcase_create("transport");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, echo_and_creds);
	tcase_add_test(tc, order_and_framing);
	tcase_add_test(tc, too_large);
	tcase_add_test(tc, max_clients);
	tcase_add_test(tc, eof);
	tcase_add_test(tc, handler_fails);
	tcase_add_test(tc, idle_timeout);
	tcase_add_test(tc, activity_keeps_alive);
	tcase_add_test(tc, slow_reader);
	tcase_add_test(tc, with_protocol);
	suite_add_tcase(s, tc);

	tc = tcase_create("setup");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, stale_socket);
	tcase_add_test(tc, live_socket);
	tcase_add_test(tc, not_a_socket);
	tcase_add_test(tc, bad_args);
	tcase_add_test(tc, passed_fd);
	tcase_add_test(tc, passed_fd_wrong);
	tcase_add_test(tc, free_unlinks);
	suite_add_tcase(s, tc);

	tc = tcase_create("credentials");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, peer_in_group);
	if (geteuid() == 0)
		tcase_add_test(tc, many_groups);
	else
		fprintf(stderr, "control: not root, many_groups not run\n");
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(control_suite());
	int failed;

	/* PZD_TEST_LOG=1: the transport's debug log, to see what it does. */
	if (getenv("PZD_TEST_LOG"))
		pzd_log_set_level(LOG_DEBUG);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
