/* SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause */
/*
 * The control socket's transport: a Unix stream socket served from the
 * sd-event loop, newline-framed requests (proto/control.md), peer
 * credentials from SO_PEERCRED/SO_PEERGROUPS, limits on size, time and
 * connections. What a request means is protocol.c's business.
 */
#ifndef PREZEROD_CONTROL_H
#define PREZEROD_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <systemd/sd-event.h>

#define PZD_CTL_MAX_REQUEST 65536
#define PZD_CTL_IDLE_TIMEOUT_MS 10000
#define PZD_CTL_MAX_CLIENTS 64
#define PZD_CTL_MAX_GROUPS 64

struct pzd_peer {
	pid_t pid;
	uid_t uid;
	gid_t gid;
	gid_t groups[PZD_CTL_MAX_GROUPS];	/* supplementary (SO_PEERGROUPS) */
	size_t ngroups;
};

/* uid 0, or gid / a supplementary group equal to admin_gid (when has_gid). */
bool pzd_peer_in_group(const struct pzd_peer *p, bool has_gid, gid_t admin_gid);

/*
 * Handle one request line (without the newline, not NUL-terminated) and
 * return the reply, a malloc'ed NUL-terminated string without newline,
 * or NULL on out of memory (the connection is then closed).
 */
typedef char *(*pzd_control_handler)(const struct pzd_peer *peer,
				     const char *line, size_t len,
				     void *userdata);

struct pzd_control;

/*
 * Serve the socket: fd >= 0 is a listening socket passed by systemd
 * (sd_listen_fds), used as is; fd < 0 binds path: the parent directory is
 * created (0755), a stale socket is replaced, a live one (another daemon
 * answers) is an error (-EADDRINUSE), and the socket is made 0666 (the
 * protocol checks permissions per request). Returns 0 or -errno.
 * On success the control owns fd (pzd_control_free closes it); on failure
 * the caller still does.
 */
int pzd_control_new(sd_event *e, int fd, const char *path,
		    pzd_control_handler handler, void *userdata,
		    struct pzd_control **out);
/* Close every connection and the listening socket; unlinks the path if it
 * bound it. NULL is fine. */
void pzd_control_free(struct pzd_control *c);
size_t pzd_control_clients(const struct pzd_control *c);
/* Close connections idle this long (default PZD_CTL_IDLE_TIMEOUT_MS); for
 * the tests. Applies from each connection's next activity. */
void pzd_control_set_idle_timeout(struct pzd_control *c, uint64_t ms);

#endif
