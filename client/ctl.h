/* SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause */
/*
 * prezero-ctl: the client side of prezerod's control socket
 * (proto/control.md), used by prezeroctl and the libvirt hook.
 *
 * Conventions:
 *  - Every call returns 0 or a negative errno and never prints.
 *  - Deadlines are in milliseconds, each covering the whole call (poll()
 *    on CLOCK_MONOTONIC, not a timeout per read); a negative one waits for
 *    ever, 0 fails with -ETIMEDOUT as soon as the call would have to wait.
 *    A signal does not end a call early.
 *  - Writes use MSG_NOSIGNAL: a daemon that goes away never raises SIGPIPE
 *    in the caller. The socket is close-on-exec.
 *  - After a failed pz_ctl_call() the connection is out of step (a late
 *    reply may still come): later calls return -ENOTCONN; reconnect.
 *  - A handle is not thread-safe.
 */
#ifndef PREZERO_CLIENT_CTL_H
#define PREZERO_CLIENT_CTL_H

#include <stdbool.h>

struct json_object;
struct pz_ctl;

/* Where prezerod listens unless configured otherwise (prezerod.conf(5)
 * "socket ="; daemon/config.h's PZD_SOCKET_PATH is the same). */
#define PZ_CTL_SOCKET_PATH "/run/prezerod/prezerod.sock"
/* Environment variable that overrides the default path. */
#define PZ_CTL_SOCKET_ENV "PREZERO_SOCKET"
/* A reply line longer than this (newline excluded) is refused. */
#define PZ_CTL_MAX_REPLY (16u << 20)
/* prezeroctl's deadline for one exchange with the daemon. */
#define PZ_CTL_TIMEOUT_MS 5000

/* path if not NULL, else $PREZERO_SOCKET if set and not empty, else
 * PZ_CTL_SOCKET_PATH. */
const char *pz_ctl_socket_path(const char *path);

/*
 * Connect to the daemon's socket. Returns 0 and *out, or:
 *   -ENOENT, -ECONNREFUSED  no daemon (no socket, or nobody listens on it;
 *                           pz_ctl_no_daemon() tells these apart from the rest)
 *   -EACCES                 the socket or its directory is not accessible
 *   -ETIMEDOUT              the daemon's accept queue stayed full
 *   -ENAMETOOLONG           path does not fit a sockaddr_un
 *   other -errno            from socket() or connect()
 */
int pz_ctl_connect(const char *path, int timeout_ms, struct pz_ctl **out);

/* The error means that no daemon runs at that path. */
bool pz_ctl_no_daemon(int err);

/*
 * One request/reply exchange. req is sent as it is (nothing is added, not
 * even "id") as one line; the reply line is parsed into *reply (the
 * caller's reference, json_object_put() it), which is then always an
 * object with a boolean "ok". Returns 0 (whether "ok" is true or false),
 * or:
 *   -ETIMEDOUT     the deadline passed before a whole reply came
 *   -EPROTO        the reply is not one JSON object with a boolean "ok",
 *                  or more than one line came
 *   -EMSGSIZE      the reply exceeds PZ_CTL_MAX_REPLY bytes
 *   -ECONNRESET    the daemon closed the connection before a whole reply
 *   -ENOTCONN      an earlier call on this connection failed
 *   -EINVAL        req is NULL
 *   other -errno   from send() or recv()
 * If the daemon answers and closes at once (the "busy" error), the reply
 * is returned even though sending the request failed.
 */
int pz_ctl_call(struct pz_ctl *c, struct json_object *req,
		struct json_object **reply, int timeout_ms);

/* Closes the connection; NULL is fine. */
void pz_ctl_close(struct pz_ctl *c);

/* A new request {"cmd": cmd}; NULL on out of memory. */
struct json_object *pz_ctl_request(const char *cmd);

/* The reply's "ok" is true. */
bool pz_ctl_reply_ok(struct json_object *reply);

/* For a failed reply: error.code and error.message, or "unknown" and ""
 * when the daemon left them out. The strings live as long as reply. */
const char *pz_ctl_error_code(struct json_object *reply);
const char *pz_ctl_error_message(struct json_object *reply);

#endif /* PREZERO_CLIENT_CTL_H */
