/* SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause */
/*
 * The control protocol's meaning (proto/control.md): parse and validate a
 * request, check permissions, call the daemon through pzd_protocol_ops and
 * build the reply. No I/O, so tests/unit/test_protocol.c drives it with
 * fake ops.
 */
#ifndef PREZEROD_PROTOCOL_H
#define PREZEROD_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control.h"
#include "policy.h"
#include "pool.h"

struct json_object;

/* The error of a failed op: code is one of proto/control.md's codes. */
struct pzd_proto_err {
	const char *code;
	char message[256];
};

/* node-set: an override (what is set) or a reset. */
struct pzd_node_set_req {
	bool reset;
	struct pzd_override ovr;
};

#define PZD_NODE_ALL (-1)

/* vm-prepare's request, validated. */
struct pzd_vm_prepare_req {
	size_t n;
	struct {
		unsigned int node;
		uint64_t size;
	} item[PZD_MAX_NODES];
	const char *backing;		/* "anon", "hugetlb-2M", "hugetlb-1G" */
	const char *name;		/* "for", NULL if none */
	bool compact, topup;
};

/* xen-exclude's "dom": a domid, or a domain name. */
struct pzd_xen_dom_req {
	bool by_name;
	uint32_t domid;
	const char *name;
};

/* Largest size in a pool or prepare request: 1 PiB. */
#define PZD_SIZE_MAX (UINT64_C(1) << 50)

/*
 * What the daemon provides. Each op adds its members to reply and returns
 * 0, or fills err and returns -1. node is a node id or PZD_NODE_ALL.
 */
struct pzd_protocol_ops {
	int (*status)(void *ud, int node, struct json_object *reply,
		      struct pzd_proto_err *err);
	int (*config_show)(void *ud, struct json_object *reply,
			   struct pzd_proto_err *err);
	int (*node_set)(void *ud, int node, const struct pzd_node_set_req *req,
			struct json_object *reply, struct pzd_proto_err *err);
	int (*reload)(void *ud, struct json_object *reply,
		      struct pzd_proto_err *err);
	/* The warm pool (pool.h); the requests are validated. */
	int (*pool_claim)(void *ud, const struct pzd_pool_claim_req *req,
			  struct json_object *reply, struct pzd_proto_err *err);
	int (*vm_reserve)(void *ud, unsigned int node, uint64_t size,
			  const char *name, uint64_t ttl_s,
			  struct json_object *reply, struct pzd_proto_err *err);
	int (*vm_unreserve)(void *ud, uint64_t id, const char *name,
			    struct json_object *reply,
			    struct pzd_proto_err *err);
	int (*vm_release)(void *ud, const char *name, struct json_object *reply,
			  struct pzd_proto_err *err);
	int (*vm_prepare)(void *ud, const struct pzd_vm_prepare_req *req,
			  struct json_object *reply, struct pzd_proto_err *err);
	/* Xen dom0 (proto/xen-exclude.md). */
	int (*xen_list)(void *ud, struct json_object *reply,
			struct pzd_proto_err *err);
	int (*xen_exclude)(void *ud, const struct pzd_xen_dom_req *dom,
			   struct json_object *reply,
			   struct pzd_proto_err *err);
	/* May the peer change settings (root or admin_group)? And the group's
	 * name for the permission-denied message ("" = root only). */
	bool (*is_admin)(void *ud, const struct pzd_peer *peer);
	const char *(*admin_group)(void *ud);
};

/* A pzd_control_handler: userdata is a struct pzd_protocol. */
struct pzd_protocol {
	const struct pzd_protocol_ops *ops;
	void *ud;
};
char *pzd_protocol_handle(const struct pzd_peer *peer, const char *line,
			  size_t len, void *protocol);

/* {"ok": false, "error": {"code": code, "message": msg}} as a malloc'ed
 * string (for transport errors: too-large, busy). */
char *pzd_protocol_error_reply(const char *code, const char *msg);

void pzd_proto_seterr(struct pzd_proto_err *err, const char *code,
		      const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
