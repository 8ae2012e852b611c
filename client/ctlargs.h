/* SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause */
/*
 * Command-line values of prezeroctl's pool and vm commands (proto/control.md
 * "The warm pool"): durations, file modes, owners, sizes, NODE:SIZE lists
 * and VM names. Nothing here prints: each call returns 0 or a negative
 * errno and, through why (may be NULL), a short reason for the message.
 * Outputs are left unchanged on error.
 */
#ifndef PREZERO_CLIENT_CTLARGS_H
#define PREZERO_CLIENT_CTLARGS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The largest node number prezeroctl accepts (prezerod knows 0..255 and
 * answers no-such-node above: the daemon, not the client, says which
 * nodes exist). */
#define PZ_NODE_ID_MAX 0xffff
/* The largest size prezerod takes in a pool or vm request: 1 PiB. */
#define PZ_CTL_SIZE_MAX (UINT64_C(1) << 50)
/* vm-prepare takes at most this many nodes. */
#define PZ_PREPARE_MAX_NODES 256
/* A VM name ("for") is 1..255 bytes without '/'. */
#define PZ_VM_NAME_MAX 255

/*
 * A duration in whole seconds: digits, then optionally one unit s, m, h
 * or d ("30", "30s", "5m", "2h", "1d"). Returns -EINVAL (malformed) or
 * -ERANGE (more than max seconds).
 */
int pz_parse_duration(const char *s, uint64_t max, uint64_t *secs,
		      const char **why);

/* A file mode: octal digits only ("0600", "640"), 0..0777. -EINVAL or
 * -ERANGE (above 0777: no setuid, setgid or sticky bit). */
int pz_parse_mode(const char *s, unsigned int *mode, const char **why);

/* A size for the pool (pz_parse_size()'s syntax), more than 0 and at most
 * PZ_CTL_SIZE_MAX. -EINVAL, or -ERANGE (0 or too large). */
int pz_parse_pool_size(const char *s, uint64_t *out, const char **why);

/*
 * USER[:GROUP] to ids. USER and GROUP are names (looked up first) or
 * decimal ids. Without GROUP the group is USER's primary group, which a
 * numeric USER without a passwd entry does not have. -EINVAL (malformed:
 * empty USER or GROUP, an id out of range) or -ENOENT (no such user or
 * group).
 */
int pz_resolve_owner(const char *s, uid_t *uid, gid_t *gid, const char **why);

/* A VM name as prezerod takes it in "for": -EINVAL or -ERANGE (too long). */
int pz_check_vm_name(const char *s, const char **why);

struct pz_node_size {
	uint32_t node;
	uint64_t size;
};

/* "NODE:SIZE" ("0:4G"): NODE 0..PZ_NODE_ID_MAX, SIZE as
 * pz_parse_pool_size(). -EINVAL or -ERANGE. */
int pz_parse_node_size(const char *s, struct pz_node_size *out,
		       const char **why);

/*
 * n "NODE:SIZE" arguments into out[n]: 1..PZ_PREPARE_MAX_NODES of them
 * with distinct nodes. On error *bad is the index of the offending
 * argument (0 when there is none, the first past the limit when there
 * are too many). -EINVAL (also: no argument, a node given twice),
 * -ERANGE, or -E2BIG (more than PZ_PREPARE_MAX_NODES). out[] may be
 * partly written on error.
 */
int pz_parse_node_sizes(char *const *args, size_t n, struct pz_node_size *out,
			size_t *bad, const char **why);

#endif /* PREZERO_CLIENT_CTLARGS_H */
