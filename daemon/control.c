// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/*
 * The control socket's transport (proto/control.md, "Framing"). Everything
 * runs from the sd-event loop and nothing blocks: sockets are non-blocking,
 * a connection has at most one reply in flight and is not read while that
 * reply waits for the peer, so a peer that never reads costs one reply and
 * one request buffer until its idle timeout closes it.
 */
#define _GNU_SOURCE	/* accept4, struct ucred */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "control.h"
#include "log.h"
#include "protocol.h"

/* A reply larger than this is replaced by an error: no peer can make the
 * daemon hold more than this much output per connection. */
#define MAX_OUTPUT (UINT64_C(4) << 20)
/* Connections taken per wakeup, so a flood cannot starve the sampling. */
#define ACCEPT_BATCH 16
/* After accept fails for lack of resources (EMFILE...), wait this long
 * instead of spinning on a listening socket that stays readable. */
#define ACCEPT_PAUSE_USEC (UINT64_C(1000) * 1000)
#define INPUT_MIN 4096
#define INPUT_MAX (PZD_CTL_MAX_REQUEST + 1)	/* a full request + '\n' */

struct client {
	struct pzd_control *ctl;
	struct client *prev, *next;
	int fd;
	struct pzd_peer peer;
	sd_event_source *io;
	sd_event_source *timer;
	uint32_t events;	/* what io currently waits for */

	/* Received bytes; requests are in[start..len), scanned up to scan. */
	char *in;
	size_t in_cap, start, len, scan;

	/* The one reply in flight, newline included. */
	char *out;
	size_t out_len, out_off;

	bool peer_eof;		/* the peer sent everything it will send */
	bool closing;		/* too-large: close once the reply is out */
	bool draining;		/* reply out, write side shut: wait for EOF */
};

struct pzd_control {
	sd_event *event;
	int fd;
	sd_event_source *listen;
	sd_event_source *resume;	/* re-enables listen after a pause */
	char *path;			/* what we bound, NULL if passed an fd */
	dev_t dev;			/* ...and its inode, to unlink only it */
	ino_t ino;
	pzd_control_handler handler;
	void *userdata;
	uint64_t idle_usec;
	struct client *clients;
	size_t nclients;
};

bool pzd_peer_in_group(const struct pzd_peer *p, bool has_gid, gid_t admin_gid)
{
	if (p->uid == 0)
		return true;
	if (!has_gid)
		return false;
	if (p->gid == admin_gid)
		return true;
	for (size_t i = 0; i < p->ngroups && i < PZD_CTL_MAX_GROUPS; i++)
		if (p->groups[i] == admin_gid)
			return true;
	return false;
}

static void client_free(struct client *cl)
{
	struct pzd_control *c = cl->ctl;

	log_debug("control: connection %d (pid %d uid %u) closed", cl->fd,
		  (int)cl->peer.pid, (unsigned int)cl->peer.uid);
	sd_event_source_disable_unref(cl->io);
	sd_event_source_disable_unref(cl->timer);
	close(cl->fd);
	if (cl->prev)
		cl->prev->next = cl->next;
	else
		c->clients = cl->next;
	if (cl->next)
		cl->next->prev = cl->prev;
	c->nclients--;
	free(cl->in);
	free(cl->out);
	free(cl);
}

/* The idle timeout counts from now. */
static void client_touch(struct client *cl)
{
	uint64_t now;

	if (sd_event_now(cl->ctl->event, CLOCK_MONOTONIC, &now) < 0)
		return;
	sd_event_source_set_time(cl->timer, now + cl->ctl->idle_usec);
	sd_event_source_set_enabled(cl->timer, SD_EVENT_ONESHOT);
}

static int client_set_events(struct client *cl, uint32_t events)
{
	int r;

	if (cl->events == events)
		return 0;
	r = sd_event_source_set_io_events(cl->io, events);
	if (r < 0) {
		log_warning("control: connection %d: cannot wait for I/O: %s",
			    cl->fd, strerror(-r));
		return r;
	}
	cl->events = events;
	return 0;
}

/* Write what the peer takes. 1: all out, 0: the rest waits, -1: closed. */
static int client_flush(struct client *cl)
{
	while (cl->out_off < cl->out_len) {
		ssize_t n = send(cl->fd, cl->out + cl->out_off,
				 cl->out_len - cl->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			log_debug("control: connection %d: send: %m", cl->fd);
			return -1;
		}
		cl->out_off += (size_t)n;
	}
	free(cl->out);
	cl->out = NULL;
	cl->out_len = cl->out_off = 0;
	return 1;
}

/* Queue reply (malloc'ed, no newline); takes it. -1 on out of memory. */
static int client_queue(struct client *cl, char *reply)
{
	size_t n;
	char *p;

	if (!reply)
		return -1;
	n = strlen(reply);
	if (n + 1 > MAX_OUTPUT) {
		log_warning("control: a reply of %zu bytes is too large, sending an error instead",
			    n);
		free(reply);
		reply = pzd_protocol_error_reply("internal",
						 "the reply is too large");
		if (!reply)
			return -1;
		n = strlen(reply);
	}
	p = realloc(reply, n + 2);
	if (!p) {
		free(reply);
		return -1;
	}
	p[n] = '\n';
	p[n + 1] = '\0';
	cl->out = p;
	cl->out_len = n + 1;
	cl->out_off = 0;
	return 0;
}

static bool blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return false;
	return true;
}

/*
 * Take the next complete request off the input and queue its reply.
 * 1: one was handled, 0: none is complete, -1: out of memory.
 */
static int client_next_request(struct client *cl)
{
	char *line, *nl;
	size_t n;

	if (cl->scan >= cl->len)
		return 0;	/* nothing new (maybe no buffer yet) */
	line = cl->in + cl->start;
	nl = memchr(cl->in + cl->scan, '\n', cl->len - cl->scan);
	if (!nl) {
		cl->scan = cl->len;
		return 0;
	}
	n = (size_t)(nl - line);
	cl->start += n + 1;
	cl->scan = cl->start;
	if (cl->start == cl->len)
		cl->start = cl->len = cl->scan = 0;
	if (n > PZD_CTL_MAX_REQUEST) {
		/* Cannot happen: the buffer holds at most one request and
		 * its newline. Stay on the safe side of the contract. */
		cl->closing = true;
		return client_queue(cl, pzd_protocol_error_reply("too-large",
				"request exceeds 65536 bytes")) ? -1 : 1;
	}
	if (blank(line, n)) {
		client_touch(cl);
		return 1;
	}
	return client_queue(cl, cl->ctl->handler(&cl->peer, line, n,
						  cl->ctl->userdata)) ? -1 : 1;
}

/* Wait for events next; frees cl and returns -1 if that fails. */
static int client_wait(struct client *cl, uint32_t events)
{
	if (client_set_events(cl, events) < 0) {
		client_free(cl);
		return -1;
	}
	return 0;
}

/*
 * Advance the connection as far as it goes without waiting: send the
 * pending reply, then answer the next buffered request, one at a time.
 * Frees cl when it is done with; returns -1 then.
 */
static int client_step(struct client *cl)
{
	for (;;) {
		int r;

		if (cl->out) {
			r = client_flush(cl);
			if (r < 0)
				goto close;
			if (r == 0)
				return client_wait(cl, EPOLLOUT);
			/* Delivered: the idle time of the next request starts
			 * now. A closing peer's timer keeps running: it has
			 * had its answer. */
			if (!cl->closing)
				client_touch(cl);
		}
		if (cl->closing) {
			/*
			 * Shut our side so the peer sees EOF after the reply,
			 * then read and drop what it still sends until it
			 * closes (or the timer fires): closing with unread
			 * data would reset the connection, and the peer might
			 * lose the reply.
			 */
			shutdown(cl->fd, SHUT_WR);
			cl->draining = true;
			cl->start = cl->len = cl->scan = 0;
			return client_wait(cl, EPOLLIN);
		}
		r = client_next_request(cl);
		if (r < 0) {
			log_warning("control: connection %d: out of memory, closing it",
				    cl->fd);
			goto close;
		}
		if (r > 0)
			continue;
		if (cl->len - cl->start > PZD_CTL_MAX_REQUEST) {
			log_debug("control: connection %d: request too large",
				  cl->fd);
			cl->closing = true;
			if (client_queue(cl, pzd_protocol_error_reply("too-large",
					 "request exceeds 65536 bytes")))
				goto close;
			continue;
		}
		if (cl->peer_eof)
			goto close;	/* a partial request is dropped */
		return client_wait(cl, EPOLLIN);
	}
close:
	client_free(cl);
	return -1;
}

/* Read what is there. 0 fine (maybe EOF), -1: the connection failed. */
static int client_read(struct client *cl)
{
	ssize_t n;

	if (cl->start > 0) {
		memmove(cl->in, cl->in + cl->start, cl->len - cl->start);
		cl->len -= cl->start;
		cl->scan -= cl->start;
		cl->start = 0;
	}
	if (cl->len == cl->in_cap) {
		size_t cap = cl->in_cap ? cl->in_cap * 2 : INPUT_MIN;
		char *p;

		if (cap > INPUT_MAX)
			cap = INPUT_MAX;
		if (cap <= cl->in_cap)
			return 0;	/* full: client_step says too-large */
		p = realloc(cl->in, cap);
		if (!p) {
			log_warning("control: connection %d: out of memory, closing it",
				    cl->fd);
			return -1;
		}
		cl->in = p;
		cl->in_cap = cap;
	}
	do
		n = recv(cl->fd, cl->in + cl->len, cl->in_cap - cl->len,
			 MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		log_debug("control: connection %d: recv: %m", cl->fd);
		return -1;
	}
	if (n == 0)
		cl->peer_eof = true;
	cl->len += (size_t)n;
	return 0;
}

/* After too-large: drop input until the peer closes. */
static int client_drain(struct client *cl)
{
	char buf[4096];
	ssize_t n;

	do
		n = recv(cl->fd, buf, sizeof(buf), MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)))
		return 0;
	client_free(cl);
	return -1;
}

static int on_client_io(sd_event_source *s, int fd, uint32_t revents,
			void *userdata)
{
	struct client *cl = userdata;

	(void)s;
	(void)fd;
	if (cl->draining) {
		client_drain(cl);
		return 0;
	}
	/* Read only when no reply is pending: that is the back-pressure.
	 * EPOLLHUP/EPOLLERR come unasked; the read or send reports them. */
	if (!cl->out && !cl->peer_eof &&
	    (revents & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
		if (client_read(cl) < 0) {
			client_free(cl);
			return 0;
		}
	}
	client_step(cl);
	return 0;
}

static int on_client_timeout(sd_event_source *s, uint64_t usec,
			     void *userdata)
{
	struct client *cl = userdata;

	(void)s;
	(void)usec;
	log_debug("control: connection %d idle for %llu ms, closing it",
		  cl->fd, (unsigned long long)(cl->ctl->idle_usec / 1000));
	client_free(cl);
	return 0;
}

static void read_peer(int fd, struct pzd_peer *peer)
{
	socklen_t len = sizeof(peer->groups);
	gid_t *all;

	peer->ngroups = 0;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, peer->groups, &len) == 0) {
		peer->ngroups = len / sizeof(gid_t);
		return;
	}
	if (errno != ERANGE) {
		log_debug("control: connection %d: SO_PEERGROUPS: %m", fd);
		return;
	}
	/* More than we keep: the kernel copies all or nothing, so fetch
	 * them all and keep the first ones. */
	all = malloc(len);
	if (all && getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, all, &len) == 0) {
		size_t n = len / sizeof(gid_t);

		if (n > PZD_CTL_MAX_GROUPS)
			n = PZD_CTL_MAX_GROUPS;
		memcpy(peer->groups, all, n * sizeof(gid_t));
		peer->ngroups = n;
		log_debug("control: connection %d: peer has %zu groups, %d kept",
			  fd, len / sizeof(gid_t), PZD_CTL_MAX_GROUPS);
	} else {
		log_debug("control: connection %d: SO_PEERGROUPS: %m", fd);
	}
	free(all);
}

static int client_new(struct pzd_control *c, int fd)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);
	struct client *cl;
	int r;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0) {
		/* Without credentials, permissions cannot be checked. */
		r = -errno;
		log_warning("control: SO_PEERCRED: %m, closing the connection");
		return r;
	}
	cl = calloc(1, sizeof(*cl));
	if (!cl) {
		log_warning("control: out of memory, closing a new connection");
		return -ENOMEM;
	}
	cl->ctl = c;
	cl->fd = fd;
	cl->peer.pid = uc.pid;
	cl->peer.uid = uc.uid;
	cl->peer.gid = uc.gid;
	read_peer(fd, &cl->peer);

	r = sd_event_add_io(c->event, &cl->io, fd, EPOLLIN, on_client_io, cl);
	if (r < 0)
		goto fail;
	cl->events = EPOLLIN;
	r = sd_event_add_time_relative(c->event, &cl->timer, CLOCK_MONOTONIC,
				       c->idle_usec, 0, on_client_timeout, cl);
	if (r < 0)
		goto fail;

	cl->next = c->clients;
	if (c->clients)
		c->clients->prev = cl;
	c->clients = cl;
	c->nclients++;
	log_debug("control: connection %d from pid %d uid %u gid %u", fd,
		  (int)uc.pid, (unsigned int)uc.uid, (unsigned int)uc.gid);
	return 0;
fail:
	log_warning("control: cannot serve a new connection: %s",
		    strerror(-r));
	sd_event_source_disable_unref(cl->io);
	sd_event_source_disable_unref(cl->timer);
	free(cl);
	return r;
}

/*
 * Over the connection limit: answer busy and close at once. The busy peer
 * gets no buffers or timers; it has probably sent its request already,
 * and dropping that unread would reset the connection before the peer
 * reads the answer, so shut our side first and take what is queued.
 */
static void reject_busy(int fd)
{
	char *reply = pzd_protocol_error_reply("busy",
					       "too many connections, try again later");
	char buf[4096];

	log_debug("control: too many connections, refusing one");
	if (reply) {
		size_t n = strlen(reply);

		reply[n] = '\n';	/* the NUL's place; sent by length */
		if (send(fd, reply, n + 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
			log_debug("control: send busy: %m");
		free(reply);
	}
	shutdown(fd, SHUT_WR);
	for (int i = 0; i < 16; i++)
		if (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) <= 0)
			break;
	close(fd);
}

static int on_resume(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct pzd_control *c = userdata;

	(void)usec;
	sd_event_source_disable_unref(s);
	c->resume = NULL;
	sd_event_source_set_enabled(c->listen, SD_EVENT_ON);
	return 0;
}

static void pause_accept(struct pzd_control *c)
{
	int r;

	if (c->resume)
		return;
	r = sd_event_add_time_relative(c->event, &c->resume, CLOCK_MONOTONIC,
				       ACCEPT_PAUSE_USEC, 0, on_resume, c);
	if (r < 0) {
		/* Stay enabled: spinning beats a socket nobody serves. */
		c->resume = NULL;
		return;
	}
	sd_event_source_set_enabled(c->listen, SD_EVENT_OFF);
}

static int on_accept(sd_event_source *s, int fd, uint32_t revents,
		     void *userdata)
{
	struct pzd_control *c = userdata;

	(void)s;
	(void)revents;
	for (int i = 0; i < ACCEPT_BATCH; i++) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (cfd < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			/* The peer went away before we took it. */
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			log_warning("control: accept: %m, not accepting for a second");
			pause_accept(c);
			return 0;
		}
		if (c->nclients >= PZD_CTL_MAX_CLIENTS) {
			reject_busy(cfd);
			continue;
		}
		if (client_new(c, cfd) < 0)
			close(cfd);
	}
	return 0;
}

/* Create the socket's directory (only the last component). */
static int make_parent(const char *path)
{
	const char *slash = strrchr(path, '/');
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	size_t n;

	if (!slash || slash == path)
		return 0;	/* the current directory or / */
	n = (size_t)(slash - path);
	memcpy(dir, path, n);
	dir[n] = '\0';
	if (mkdir(dir, 0755) < 0) {
		if (errno == EEXIST)
			return 0;
		return -errno;
	}
	/* Not subject to the umask: clients must reach the socket. */
	if (chmod(dir, 0755) < 0)
		return -errno;
	return 0;
}

/*
 * Something at path: a socket nobody answers on is left over from a daemon
 * that died and is removed; a live one belongs to another daemon; anything
 * else is not ours to remove.
 */
static int clear_stale(const struct sockaddr_un *sa, socklen_t salen)
{
	struct stat st;
	int fd, r;

	if (lstat(sa->sun_path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		log_err("control: %s exists and is not a socket",
			sa->sun_path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	r = connect(fd, (const struct sockaddr *)sa, salen);
	r = r < 0 ? -errno : 0;
	close(fd);
	if (r == 0 || r == -EAGAIN) {
		/* EAGAIN: its backlog is full, but it is alive. */
		log_err("control: %s: another prezerod is running",
			sa->sun_path);
		return -EADDRINUSE;
	}
	if (r != -ECONNREFUSED)
		return r;
	log_debug("control: removing stale socket %s", sa->sun_path);
	if (unlink(sa->sun_path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

static int bind_path(struct pzd_control *c, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t salen;
	struct stat st;
	size_t n;
	int fd, r;

	if (!path || !*path)
		return -EINVAL;
	n = strlen(path);
	if (n >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, n + 1);
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);

	r = make_parent(path);
	if (r < 0)
		return r;
	r = clear_stale(&sa, salen);
	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, salen) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	if (chmod(path, 0666) < 0 || listen(fd, SOMAXCONN) < 0 ||
	    lstat(path, &st) < 0) {
		r = -errno;
		unlink(path);
		close(fd);
		return r;
	}
	c->path = strdup(path);
	if (!c->path) {
		unlink(path);
		close(fd);
		return -ENOMEM;
	}
	c->dev = st.st_dev;
	c->ino = st.st_ino;
	c->fd = fd;
	return 0;
}

static int use_fd(struct pzd_control *c, int fd)
{
	int fl;

	if (sd_is_socket_unix(fd, SOCK_STREAM, 1, NULL, 0) <= 0)
		return -ENOTSOCK;
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	c->fd = fd;
	return 0;
}

int pzd_control_new(sd_event *e, int fd, const char *path,
		    pzd_control_handler handler, void *userdata,
		    struct pzd_control **out)
{
	struct pzd_control *c;
	int r;

	*out = NULL;
	if (!e || !handler)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->fd = -1;
	c->handler = handler;
	c->userdata = userdata;
	c->idle_usec = (uint64_t)PZD_CTL_IDLE_TIMEOUT_MS * 1000;
	c->event = sd_event_ref(e);

	r = fd >= 0 ? use_fd(c, fd) : bind_path(c, path);
	if (r < 0)
		goto fail;
	r = sd_event_add_io(e, &c->listen, c->fd, EPOLLIN, on_accept, c);
	if (r < 0)
		goto fail;
	if (c->path)
		log_debug("control: listening on %s", c->path);
	else
		log_debug("control: listening on fd %d from systemd", c->fd);
	*out = c;
	return 0;
fail:
	if (fd >= 0)
		c->fd = -1;	/* the caller keeps its fd */
	pzd_control_free(c);
	return r;
}

void pzd_control_free(struct pzd_control *c)
{
	struct stat st;

	if (!c)
		return;
	while (c->clients)
		client_free(c->clients);
	sd_event_source_disable_unref(c->listen);
	sd_event_source_disable_unref(c->resume);
	if (c->fd >= 0)
		close(c->fd);
	/* Only the socket we bound: a path replaced since (a new daemon's
	 * socket) stays. */
	if (c->path && lstat(c->path, &st) == 0 && st.st_dev == c->dev &&
	    st.st_ino == c->ino)
		unlink(c->path);
	free(c->path);
	sd_event_unref(c->event);
	free(c);
}

size_t pzd_control_clients(const struct pzd_control *c)
{
	return c ? c->nclients : 0;
}

void pzd_control_set_idle_timeout(struct pzd_control *c, uint64_t ms)
{
	c->idle_usec = ms * 1000;
}
