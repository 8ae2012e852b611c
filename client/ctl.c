// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/*
 * prezero-ctl: newline-framed JSON over prezerod's Unix stream socket
 * (proto/control.md). See ctl.h for the conventions.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "ctl.h"
#include "monotime.h"

struct pz_ctl {
	int fd;
	bool broken;		/* a call failed: replies may be out of step */
};

/* ---- deadlines -------------------------------------------------------- */

/* -1: none */
static int64_t deadline_of(int timeout_ms)
{
	return timeout_ms < 0 ? -1 : pz_mono_ms() + timeout_ms;
}

/* Milliseconds left (-1: no deadline), 0 when it has passed. */
static int left_ms(int64_t deadline)
{
	int64_t left;

	if (deadline < 0)
		return -1;
	left = deadline - pz_mono_ms();
	if (left <= 0)
		return 0;
	return left > INT32_MAX ? INT32_MAX : (int)left;
}

/*
 * Wait until fd is ready for events or the deadline passes. Errors and
 * hang-ups count as ready: the following send() or recv() reports them.
 */
static int wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = events };
		int left = left_ms(deadline);
		int r;

		if (left == 0)
			return -ETIMEDOUT;
		r = poll(&p, 1, left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
		/* r == 0 or EINTR: left_ms() decides whether time is up */
	}
}

/* ---- connect ---------------------------------------------------------- */

const char *pz_ctl_socket_path(const char *path)
{
	const char *env;

	if (path)
		return path;
	env = getenv(PZ_CTL_SOCKET_ENV);
	return env && *env ? env : PZ_CTL_SOCKET_PATH;
}

bool pz_ctl_no_daemon(int err)
{
	return err == -ENOENT || err == -ECONNREFUSED;
}

static int set_sndtimeo(int fd, int ms)
{
	struct timeval tv = {
		.tv_sec = ms / 1000,
		.tv_usec = (ms % 1000) * 1000,
	};

	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
		return -errno;
	return 0;
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

/*
 * A Unix stream connect() completes at once unless the listener's accept
 * queue is full. Then a blocking socket waits up to SO_SNDTIMEO and fails
 * with EAGAIN; a non-blocking one fails at once, and poll() would not say
 * when to retry. So connect blocking, bounded by SO_SNDTIMEO.
 */
static int connect_deadline(int fd, const struct sockaddr_un *sa,
			    int64_t deadline)
{
	for (;;) {
		int left = left_ms(deadline);
		int ret;

		/* SO_SNDTIMEO 0 would mean "for ever": no time left is one
		 * try that does not wait */
		if (left == 0)
			ret = set_nonblock(fd);
		else if (left > 0)
			ret = set_sndtimeo(fd, left);
		else
			ret = 0;
		if (ret < 0)
			return ret;
		if (!connect(fd, (const struct sockaddr *)sa, sizeof(*sa)))
			return 0;
		if (errno == EAGAIN)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

int pz_ctl_connect(const char *path, int timeout_ms, struct pz_ctl **out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int64_t deadline = deadline_of(timeout_ms);
	struct pz_ctl *c;
	size_t len;
	int fd, ret;

	*out = NULL;
	if (!path || !*path)
		return -EINVAL;
	len = strlen(path);
	if (len >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, len + 1);

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	ret = connect_deadline(fd, &sa, deadline);
	if (ret < 0)
		goto fail;
	/* From here on poll() carries the deadlines. */
	ret = set_nonblock(fd);
	if (ret < 0)
		goto fail;
	c = calloc(1, sizeof(*c));
	if (!c) {
		ret = -ENOMEM;
		goto fail;
	}
	c->fd = fd;
	*out = c;
	return 0;
fail:
	close(fd);
	return ret;
}

void pz_ctl_close(struct pz_ctl *c)
{
	if (!c)
		return;
	close(c->fd);
	free(c);
}

/* ---- one exchange ----------------------------------------------------- */

static int send_all(int fd, const char *buf, size_t len, int64_t deadline)
{
	size_t off = 0;

	while (off < len) {
		ssize_t w = send(fd, buf + off, len - off, MSG_NOSIGNAL);
		int ret;

		if (w >= 0) {
			off += (size_t)w;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		ret = wait_fd(fd, POLLOUT, deadline);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static bool blank(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return false;
	return true;
}

/*
 * Read one reply line into a malloc'ed, NUL-terminated *line (newline
 * dropped). Blank lines before it are skipped; anything but blanks after
 * it is a protocol error, since replies come strictly in turn.
 */
static int recv_line(int fd, int64_t deadline, char **line, size_t *line_len)
{
	/* the longest line, its newline and a NUL */
	const size_t limit = (size_t)PZ_CTL_MAX_REPLY + 2;
	size_t len = 0, cap = 0, scanned = 0;
	char *buf = NULL;
	int ret;

	for (;;) {
		char *nl = len > scanned ?
			   memchr(buf + scanned, '\n', len - scanned) : NULL;
		ssize_t r;

		if (nl) {
			size_t n = (size_t)(nl - buf);

			if (blank(buf, n)) {
				/* a blank line: drop it and look again */
				len -= n + 1;
				memmove(buf, nl + 1, len);
				scanned = 0;
				continue;
			}
			if (!blank(nl + 1, len - n - 1)) {
				ret = -EPROTO;
				goto out;
			}
			buf[n] = '\0';
			*line = buf;
			*line_len = n;
			return 0;
		}
		scanned = len;
		if (len >= (size_t)PZ_CTL_MAX_REPLY + 1) {
			ret = -EMSGSIZE;
			goto out;
		}
		if (cap - len < 2) {
			size_t ncap = cap ? cap * 2 : 4096;
			char *nbuf;

			if (ncap > limit)
				ncap = limit;
			nbuf = realloc(buf, ncap);
			if (!nbuf) {
				ret = -ENOMEM;
				goto out;
			}
			buf = nbuf;
			cap = ncap;
		}
		/* leave room for the NUL */
		r = recv(fd, buf + len, cap - len - 1, 0);
		if (r > 0) {
			len += (size_t)r;
			continue;
		}
		if (r == 0) {
			ret = -ECONNRESET;
			goto out;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN) {
			ret = -errno;
			goto out;
		}
		ret = wait_fd(fd, POLLIN, deadline);
		if (ret < 0)
			goto out;
	}
out:
	free(buf);
	return ret;
}

/* One JSON object with a boolean "ok", and nothing else but blanks. */
static int parse_reply(const char *line, size_t len, struct json_object **out)
{
	struct json_tokener *tok;
	struct json_object *o, *ok;
	size_t end;

	if (strlen(line) != len)	/* a NUL inside the line */
		return -EPROTO;
	tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	o = json_tokener_parse_ex(tok, line, (int)len);
	if (!o || json_tokener_get_error(tok) != json_tokener_success) {
		json_tokener_free(tok);
		json_object_put(o);
		return -EPROTO;
	}
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (end > len || !blank(line + end, len - end) ||
	    !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "ok", &ok) ||
	    !json_object_is_type(ok, json_type_boolean)) {
		json_object_put(o);
		return -EPROTO;
	}
	*out = o;
	return 0;
}

int pz_ctl_call(struct pz_ctl *c, struct json_object *req,
		struct json_object **reply, int timeout_ms)
{
	int64_t deadline = deadline_of(timeout_ms);
	char *out = NULL, *line = NULL;
	const char *s;
	size_t len, line_len = 0;
	int ret, sent;

	if (reply)
		*reply = NULL;
	if (!c || !req || !reply)
		return -EINVAL;
	if (c->broken)
		return -ENOTCONN;

	/* Plain JSON escapes control characters: the line has no newline. */
	s = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN |
					   JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!s)
		return -ENOMEM;
	len = strlen(s);
	out = malloc(len + 1);
	if (!out)
		return -ENOMEM;
	memcpy(out, s, len);
	out[len] = '\n';

	sent = send_all(c->fd, out, len + 1, deadline);
	free(out);
	/*
	 * A daemon that refuses the connection ("busy") answers and closes
	 * without reading: sending then fails, but its reply is waiting.
	 */
	if (sent < 0 && sent != -EPIPE && sent != -ECONNRESET) {
		ret = sent;
		goto fail;
	}
	ret = recv_line(c->fd, deadline, &line, &line_len);
	if (ret < 0) {
		if (sent < 0)
			ret = sent;
		goto fail;
	}
	ret = parse_reply(line, line_len, reply);
	free(line);
	if (ret < 0)
		goto fail;
	if (sent < 0)
		c->broken = true;	/* the daemon has hung up */
	return 0;
fail:
	c->broken = true;
	return ret;
}

/* ---- requests and replies -------------------------------------------- */

struct json_object *pz_ctl_request(const char *cmd)
{
	struct json_object *o = json_object_new_object();
	struct json_object *s;

	if (!o)
		return NULL;
	s = json_object_new_string(cmd);
	if (!s || json_object_object_add(o, "cmd", s)) {
		json_object_put(s);
		json_object_put(o);
		return NULL;
	}
	return o;
}

bool pz_ctl_reply_ok(struct json_object *reply)
{
	struct json_object *ok;

	return json_object_object_get_ex(reply, "ok", &ok) &&
	       json_object_is_type(ok, json_type_boolean) &&
	       json_object_get_boolean(ok);
}

static const char *error_member(struct json_object *reply, const char *key,
				const char *dflt)
{
	struct json_object *err, *v;

	if (!json_object_object_get_ex(reply, "error", &err) ||
	    !json_object_object_get_ex(err, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return dflt;
	return json_object_get_string(v);
}

const char *pz_ctl_error_code(struct json_object *reply)
{
	return error_member(reply, "code", "unknown");
}

const char *pz_ctl_error_message(struct json_object *reply)
{
	return error_member(reply, "message", "");
}
