/* SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause */
/*
 * prezero-nl: the one netlink client library of prezero (prezeroctl, prezerod
 * and the test tools). It speaks the "prezero" generic netlink family
 * described in proto/prezero.yaml (see the uapi header linux/prezero.h).
 *
 * Conventions:
 *  - Every call returns 0 or a negative errno. When a struct pz_err is passed
 *    (it may be NULL) it is always filled: err is the same negative errno and
 *    msg is the kernel's extended ACK message ("" if none). Errors are the
 *    kernel's real errno (from struct nlmsgerr), never libnl's NLE_ codes.
 *  - pz_nl_open() returns -ENOENT when the family does not exist: the
 *    module is not loaded.
 *  - Reply structs carry a bitmask `has` of the attributes that were present
 *    (bit N = attribute id N, test it with PZ_HAS()); absent attributes read
 *    as 0 and unknown (newer) attributes are ignored.
 *  - A handle is not thread-safe. A handle subscribed to events queues the
 *    events that arrive while it waits for a reply; pz_nl_recv_event() returns
 *    them first. Daemons usually keep one handle for requests and another one
 *    for events.
 */
#ifndef PREZERO_CLIENT_NL_H
#define PREZERO_CLIENT_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/prezero.h>

struct nl_msg;
struct nlmsghdr;
struct pz_nl;

#define PZ_ERR_MSG_LEN 256

struct pz_err {
	int err;			/* 0 or a negative errno */
	char msg[PZ_ERR_MSG_LEN];	/* NLMSGERR_ATTR_MSG, "" if none */
	/* Further extended ACK data; each valid only if its has_ flag is set. */
	bool has_offs;
	uint32_t offs;			/* NLMSGERR_ATTR_OFFS: byte offset in the request */
	bool has_miss_type;
	uint32_t miss_type;		/* NLMSGERR_ATTR_MISS_TYPE: missing attribute */
	bool has_miss_nest;
	uint32_t miss_nest;		/* NLMSGERR_ATTR_MISS_NEST */
};

/* Attribute presence: PZ_HAS(&node, PREZERO_A_NODE_ZEROED_FREE_EXACT) */
#define PZ_HAS(s, attr) ((((s)->has) >> (attr)) & 1)

struct pz_caps {
	uint64_t has;			/* bits PREZERO_A_CAPS_* */
	char release[128];		/* kernel release (uname -r) */
	char module_version[64];
	uint32_t reporting_order;
	uint32_t fault_skip;		/* enum prezero_fault_skip */
	uint32_t reporting;		/* enum prezero_reporting */
	uint8_t init_on_alloc;
	uint8_t init_on_free;
	uint32_t nr_nodes;
	uint32_t verify_max_samples;
	uint64_t budget_max;
};

struct pz_node {
	uint64_t has;			/* bits PREZERO_A_NODE_* */
	uint32_t id;
	uint8_t enabled;
	uint64_t budget_rate;
	uint64_t budget_burst;
	int64_t budget_tokens;
	uint64_t free_bytes;
	uint64_t free_large_bytes;
	uint64_t zeroed_free_bytes;
	uint8_t zeroed_free_exact;
	uint64_t zeroed_bytes;
	uint64_t zeroed_blocks;
	uint64_t zero_ns;
	uint64_t report_calls;
	uint64_t returned_blocks;
	uint64_t exhausted;
	uint8_t scrubbed;
};

/* What pz_nl_set_node() changes: the fields whose PZ_SET_ flag is set. */
#define PZ_SET_ENABLED	(1u << 0)
#define PZ_SET_RATE	(1u << 1)
#define PZ_SET_BURST	(1u << 2)

struct pz_node_set {
	uint32_t id;
	unsigned int flags;		/* PZ_SET_* */
	bool enabled;
	uint64_t budget_rate;
	uint64_t budget_burst;
};

struct pz_verify {
	uint64_t has;			/* bits PREZERO_A_VERIFY_* */
	uint32_t node;
	uint32_t block_bytes;
	uint32_t probes;
	uint32_t sampled;
	uint32_t zero;
	uint32_t dirty;
	uint32_t reported;
	uint32_t reported_dirty;
	uint32_t verdict;		/* enum prezero_verdict */
};

struct pz_event {
	uint64_t has;			/* bits PREZERO_A_EVENT_* */
	uint32_t type;			/* enum prezero_event_type */
	uint32_t node;
	uint64_t bytes;
};

/* ---- handle ---------------------------------------------------------- */

/* Connect and resolve the family and its "events" group. -ENOENT: no
 * family (module not loaded). */
int pz_nl_open(struct pz_nl **nlp, struct pz_err *err);
void pz_nl_close(struct pz_nl *nl);

/* The socket, for poll() in an event loop (readable: call pz_nl_recv_event
 * with timeout 0). */
int pz_nl_fd(const struct pz_nl *nl);
uint16_t pz_nl_family_id(const struct pz_nl *nl);
uint32_t pz_nl_family_version(const struct pz_nl *nl);

/* Longest wait for a reply, in milliseconds (default 30000; <0: forever). */
void pz_nl_set_timeout(struct pz_nl *nl, int timeout_ms);

/* ---- typed requests ---------------------------------------------------- */

int pz_nl_get_caps(struct pz_nl *nl, struct pz_caps *caps, struct pz_err *err);
int pz_nl_get_node(struct pz_nl *nl, uint32_t id, struct pz_node *node,
		   struct pz_err *err);

/* Dump every node. cb returning non-zero stops the callbacks (the rest of
 * the dump is still read) and pz_nl_dump_nodes() returns that value. */
typedef int (*pz_node_cb)(const struct pz_node *node, void *arg);
int pz_nl_dump_nodes(struct pz_nl *nl, pz_node_cb cb, void *arg,
		     struct pz_err *err);
/* Same into a malloc'ed array (free() it); *n is the count. */
int pz_nl_dump_nodes_array(struct pz_nl *nl, struct pz_node **nodes,
			   size_t *n, struct pz_err *err);

/* Change a node; out (may be NULL) receives the node's new status. */
int pz_nl_set_node(struct pz_nl *nl, const struct pz_node_set *set,
		   struct pz_node *out, struct pz_err *err);

/* samples 0: leave the attribute out (kernel default, 16). */
int pz_nl_verify(struct pz_nl *nl, uint32_t node, uint32_t samples,
		 struct pz_verify *res, struct pz_err *err);

/* ---- events ------------------------------------------------------------ */

int pz_nl_subscribe(struct pz_nl *nl, struct pz_err *err);
/* Wait up to timeout_ms (<0: forever, 0: poll) for one event.
 * -ETIMEDOUT: none came; -EINTR: a signal interrupted the wait;
 * -ENOBUFS: events were lost (socket overrun), later calls go on. */
int pz_nl_recv_event(struct pz_nl *nl, struct pz_event *ev, int timeout_ms,
		     struct pz_err *err);
/* Events already read from the socket and queued in the handle. */
bool pz_nl_event_pending(const struct pz_nl *nl);

/* ---- escape hatch (tests) ---------------------------------------------- */

/* A new request of the family: genl header filled, attributes up to the
 * caller (nla_put*). flags: extra NLM_F_ flags, e.g. NLM_F_DUMP.
 * Free with nlmsg_free(). NULL on ENOMEM. */
struct nl_msg *pz_nl_msg_new(struct pz_nl *nl, uint8_t cmd, int flags);
/* Send a caller-built message, read every reply until the ACK, the error
 * or the end of the dump. Returns 0 or the kernel's negative errno; err gets
 * the extended ACK; *replies (may be NULL) the number of reply messages.
 * The message is not freed. */
int pz_nl_send_raw(struct pz_nl *nl, struct nl_msg *msg, unsigned int *replies,
		   struct pz_err *err);

/* ---- helpers ----------------------------------------------------------- */

/* Parse an NLMSG_ERROR (struct nlmsgerr, then extended ACK TLVs) or
 * NLMSG_DONE (int error, then TLVs) message of len bytes into err; err->err
 * is the message's (negative) error, 0 for an ACK. Returns 0, or -EBADMSG
 * if the message is too short or not one of those types. Malformed or
 * unknown TLVs are skipped. */
int pz_extack_parse(const struct nlmsghdr *nlh, size_t len, struct pz_err *err);

/* "strerror (kernel: msg)" or "strerror" into buf; returns buf. */
const char *pz_err_str(const struct pz_err *err, char *buf, size_t len);

/* Names as in proto/prezero.yaml ("unsupported", "node-scrubbed", ...);
 * NULL for a value this library does not know. */
const char *pz_fault_skip_name(uint32_t v);
const char *pz_reporting_name(uint32_t v);
const char *pz_verdict_name(uint32_t v);
const char *pz_event_type_name(uint32_t v);

#endif /* PREZERO_CLIENT_NL_H */
