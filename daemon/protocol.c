// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/*
 * The control protocol (proto/control.md): one request line in, one reply
 * line out. Parsing and validation are strict, so a bad request gets a
 * clear error and never reaches the daemon's ops.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "config.h"
#include "protocol.h"

#ifndef PREZERO_VERSION
#define PREZERO_VERSION "unknown"
#endif

/* Nesting a request needs: 2 (request, id); the rest is headroom for ids. */
#define JSON_DEPTH 16
#define TO_STRING_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

void pzd_proto_seterr(struct pzd_proto_err *err, const char *code,
		      const char *fmt, ...)
{
	size_t n = sizeof(err->message) - 1;
	va_list ap;
	int len;

	err->code = code;
	va_start(ap, fmt);
	len = vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	if (len < 0) {
		err->message[0] = '\0';
		return;
	}
	if ((size_t)len <= n)
		return;
	/*
	 * Truncated: the message may quote the request (a command name), and
	 * the cut must not leave half a UTF-8 sequence, which a strict client
	 * would reject as bad JSON. Drop continuation bytes and the lead byte
	 * they belong to.
	 */
	while (n > 0 && ((unsigned char)err->message[n - 1] & 0xc0) == 0x80)
		n--;
	if (n > 0 && ((unsigned char)err->message[n - 1] & 0x80))
		n--;
	err->message[n] = '\0';
}

/* Add v to o; takes v's reference even on failure. */
static int jadd(struct json_object *o, const char *key, struct json_object *v)
{
	if (!v)
		return -1;
	if (json_object_object_add(o, key, v)) {
		json_object_put(v);
		return -1;
	}
	return 0;
}

/* A reply as a malloc'ed line without newline, or NULL on out of memory. */
static char *to_line(struct json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, TO_STRING_FLAGS);

	/*
	 * json-c escapes control characters in strings, so a raw newline
	 * cannot happen; if it ever did it would split the reply in two and
	 * desynchronise the client, so refuse it.
	 */
	if (!s || strchr(s, '\n'))
		return NULL;
	return strdup(s);
}

/* A deep copy of the request's id (which may be JSON null) into o. */
static int add_id(struct json_object *o, struct json_object *id)
{
	struct json_object *idc = NULL;

	if (!id)
		return json_object_object_add(o, "id", NULL) ? -1 : 0;
	if (json_object_deep_copy(id, &idc, NULL))
		return -1;
	return jadd(o, "id", idc);
}

/* {"ok": false, ["id": id,] "error": {"code": .., "message": ..}} */
static struct json_object *error_obj(bool has_id, struct json_object *id,
				     const char *code, const char *msg)
{
	struct json_object *o = json_object_new_object();
	struct json_object *e = json_object_new_object();

	if (!o || !e)
		goto fail;
	if (jadd(o, "ok", json_object_new_boolean(0)))
		goto fail;
	if (has_id && add_id(o, id))
		goto fail;
	if (jadd(e, "code", json_object_new_string(code)) ||
	    jadd(e, "message", json_object_new_string(msg)))
		goto fail;
	if (jadd(o, "error", e)) {
		e = NULL;
		goto fail;
	}
	return o;
fail:
	json_object_put(e);
	json_object_put(o);
	return NULL;
}

static char *error_line(bool has_id, struct json_object *id,
			const char *code, const char *msg)
{
	struct json_object *o = error_obj(has_id, id, code, msg);
	char *s;

	if (!o)
		return NULL;
	s = to_line(o);
	json_object_put(o);
	return s;
}

char *pzd_protocol_error_reply(const char *code, const char *msg)
{
	return error_line(false, NULL, code, msg);
}

/* A string member equal to s (json strings may hold NUL bytes). */
static bool str_is(struct json_object *v, const char *s)
{
	return json_object_is_type(v, json_type_string) &&
	       (size_t)json_object_get_string_len(v) == strlen(s) &&
	       !memcmp(json_object_get_string(v), s, strlen(s));
}

/*
 * An integer in 0..max. json-c keeps integers above INT64_MAX as uint64 and
 * saturates those beyond uint64 (and below INT64_MIN), and get_int64 clamps
 * to INT64_MAX: every out-of-range number, however big, lands outside
 * 0..max. Doubles (1.5, 1e3) are not integers.
 */
static int get_uint(struct json_object *v, const char *cmd, const char *name,
		    uint64_t max, uint64_t *out, struct pzd_proto_err *err)
{
	int64_t x;

	if (!json_object_is_type(v, json_type_int)) {
		pzd_proto_seterr(err, "bad-request",
				 "%s: \"%s\" must be an integer", cmd, name);
		return -1;
	}
	x = json_object_get_int64(v);
	if (x < 0 || (uint64_t)x > max) {
		pzd_proto_seterr(err, "bad-request",
				 "%s: \"%s\" must be 0..%llu", cmd, name,
				 (unsigned long long)max);
		return -1;
	}
	*out = (uint64_t)x;
	return 0;
}

/* "node": a node id, or "all" where allowed; absent is all nodes. */
static int get_node(struct json_object *req, const char *cmd, bool allow_all,
		    bool required, int *node, struct pzd_proto_err *err)
{
	const char *what = allow_all ? "a node number or \"all\"" :
				       "a node number";
	struct json_object *v;
	int64_t x;

	if (!json_object_object_get_ex(req, "node", &v)) {
		if (required) {
			pzd_proto_seterr(err, "bad-request",
					 "%s: missing member \"node\"", cmd);
			return -1;
		}
		*node = PZD_NODE_ALL;
		return 0;
	}
	if (allow_all && str_is(v, "all")) {
		*node = PZD_NODE_ALL;
		return 0;
	}
	x = json_object_is_type(v, json_type_int) ? json_object_get_int64(v) :
						    -1;
	if (x < 0) {
		pzd_proto_seterr(err, "bad-request", "%s: \"node\" must be %s",
				 cmd, what);
		return -1;
	}
	/* Well-formed, but no machine has it: the same error as a node id
	 * below the limit that this machine lacks. */
	if (x >= PZD_MAX_NODES) {
		pzd_proto_seterr(err, "no-such-node",
				 "%s: node %lld does not exist", cmd,
				 (long long)x);
		return -1;
	}
	*node = (int)x;
	return 0;
}

static int no_op(const char *cmd, struct pzd_proto_err *err)
{
	pzd_proto_seterr(err, "internal", "%s: not supported by this daemon",
			 cmd);
	return -1;
}

static int cmd_ping(const struct pzd_protocol *p, struct json_object *req,
		    struct json_object *reply, struct pzd_proto_err *err)
{
	(void)p;
	(void)req;
	if (jadd(reply, "version", json_object_new_string(PREZERO_VERSION)) ||
	    jadd(reply, "pid", json_object_new_int64(getpid()))) {
		pzd_proto_seterr(err, "internal", "ping: out of memory");
		return -1;
	}
	return 0;
}

static int cmd_status(const struct pzd_protocol *p, struct json_object *req,
		      struct json_object *reply, struct pzd_proto_err *err)
{
	int node;

	if (get_node(req, "status", false, false, &node, err))
		return -1;
	if (!p->ops->status)
		return no_op("status", err);
	return p->ops->status(p->ud, node, reply, err);
}

static int cmd_config_show(const struct pzd_protocol *p,
			   struct json_object *req, struct json_object *reply,
			   struct pzd_proto_err *err)
{
	(void)req;
	if (!p->ops->config_show)
		return no_op("config-show", err);
	return p->ops->config_show(p->ud, reply, err);
}

static int cmd_node_set(const struct pzd_protocol *p, struct json_object *req,
			struct json_object *reply, struct pzd_proto_err *err)
{
	struct pzd_node_set_req r = { 0 };
	struct json_object *v;
	int node;

	if (get_node(req, "node-set", true, true, &node, err))
		return -1;
	if (json_object_object_get_ex(req, "enabled", &v)) {
		if (!json_object_is_type(v, json_type_boolean)) {
			pzd_proto_seterr(err, "bad-request",
					 "node-set: \"enabled\" must be true or false");
			return -1;
		}
		r.ovr.has_enabled = true;
		r.ovr.enabled = json_object_get_boolean(v);
	}
	if (json_object_object_get_ex(req, "rate", &v)) {
		if (get_uint(v, "node-set", "rate", PZD_BUDGET_MAX,
			     &r.ovr.rate, err))
			return -1;
		r.ovr.has_rate = true;
	}
	if (json_object_object_get_ex(req, "burst", &v)) {
		if (get_uint(v, "node-set", "burst", PZD_BUDGET_MAX,
			     &r.ovr.burst, err))
			return -1;
		r.ovr.has_burst = true;
	}
	if (json_object_object_get_ex(req, "reset", &v)) {
		if (!json_object_is_type(v, json_type_boolean) ||
		    !json_object_get_boolean(v)) {
			pzd_proto_seterr(err, "bad-request",
					 "node-set: \"reset\" can only be true");
			return -1;
		}
		r.reset = true;
	}
	if (r.reset && (r.ovr.has_enabled || r.ovr.has_rate ||
			r.ovr.has_burst)) {
		pzd_proto_seterr(err, "bad-request",
				 "node-set: \"reset\" cannot be combined with \"enabled\", \"rate\" or \"burst\"");
		return -1;
	}
	if (!r.reset && !r.ovr.has_enabled && !r.ovr.has_rate &&
	    !r.ovr.has_burst) {
		pzd_proto_seterr(err, "bad-request",
				 "node-set: nothing to set (give \"enabled\", \"rate\", \"burst\" or \"reset\")");
		return -1;
	}
	if (!p->ops->node_set)
		return no_op("node-set", err);
	return p->ops->node_set(p->ud, node, &r, reply, err);
}

static int cmd_reload(const struct pzd_protocol *p, struct json_object *req,
		      struct json_object *reply, struct pzd_proto_err *err)
{
	(void)req;
	if (!p->ops->reload)
		return no_op("reload", err);
	return p->ops->reload(p->ud, reply, err);
}

/* An optional string member: 1..max bytes, no NUL, no '/' if a name. */
static int get_str(struct json_object *req, const char *cmd, const char *name,
		   bool required, size_t max, bool is_name, const char **out,
		   struct pzd_proto_err *err)
{
	struct json_object *v;
	size_t len;

	*out = NULL;
	if (!json_object_object_get_ex(req, name, &v)) {
		if (!required)
			return 0;
		pzd_proto_seterr(err, "bad-request", "%s: missing member \"%s\"",
				 cmd, name);
		return -1;
	}
	if (!json_object_is_type(v, json_type_string)) {
		pzd_proto_seterr(err, "bad-request", "%s: \"%s\" must be a string",
				 cmd, name);
		return -1;
	}
	len = (size_t)json_object_get_string_len(v);
	if (!len || len > max || strlen(json_object_get_string(v)) != len ||
	    (is_name && strchr(json_object_get_string(v), '/'))) {
		pzd_proto_seterr(err, "bad-request",
				 "%s: \"%s\" must be 1-%zu bytes%s", cmd, name,
				 max, is_name ? " without \"/\"" : "");
		return -1;
	}
	*out = json_object_get_string(v);
	return 0;
}

static int get_bool(struct json_object *req, const char *cmd, const char *name,
		    bool *out, struct pzd_proto_err *err)
{
	struct json_object *v;

	if (!json_object_object_get_ex(req, name, &v))
		return 0;
	if (!json_object_is_type(v, json_type_boolean)) {
		pzd_proto_seterr(err, "bad-request",
				 "%s: \"%s\" must be true or false", cmd, name);
		return -1;
	}
	*out = json_object_get_boolean(v);
	return 0;
}

/* A required size: 1..PZD_SIZE_MAX bytes. */
static int get_size(struct json_object *v, const char *cmd, uint64_t *out,
		    struct pzd_proto_err *err)
{
	if (get_uint(v, cmd, "size", PZD_SIZE_MAX, out, err))
		return -1;
	if (!*out) {
		pzd_proto_seterr(err, "bad-request", "%s: \"size\" must be > 0",
				 cmd);
		return -1;
	}
	return 0;
}

static int need(struct json_object *req, const char *cmd, const char *name,
		struct json_object **v, struct pzd_proto_err *err)
{
	if (json_object_object_get_ex(req, name, v))
		return 0;
	pzd_proto_seterr(err, "bad-request", "%s: missing member \"%s\"", cmd,
			 name);
	return -1;
}

static int cmd_pool_claim(const struct pzd_protocol *p,
			  struct json_object *req, struct json_object *reply,
			  struct pzd_proto_err *err)
{
	static const char cmd[] = "pool-claim";
	struct pzd_pool_claim_req r = { .mode = 0600 };
	struct json_object *v;
	uint64_t x;

	if (json_object_object_get_ex(req, "node", &v) && str_is(v, "any")) {
		r.node = PZD_NODE_ANY;
	} else {
		int node;

		if (get_node(req, cmd, false, true, &node, err))
			return -1;
		r.node = node;
	}
	if (need(req, cmd, "size", &v, err) || get_size(v, cmd, &r.size, err))
		return -1;
	if (get_str(req, cmd, "path", true, PATH_MAX - 1, false, &r.path, err))
		return -1;
	if (r.path[0] != '/') {
		pzd_proto_seterr(err, "bad-path",
				 "%s: \"path\" must be absolute", cmd);
		return -1;
	}
	if (json_object_object_get_ex(req, "uid", &v)) {
		if (get_uint(v, cmd, "uid", UINT32_MAX - 1, &x, err))
			return -1;
		r.uid = (uid_t)x;
	}
	if (json_object_object_get_ex(req, "gid", &v)) {
		if (get_uint(v, cmd, "gid", UINT32_MAX - 1, &x, err))
			return -1;
		r.gid = (gid_t)x;
	}
	if (json_object_object_get_ex(req, "mode", &v)) {
		if (get_uint(v, cmd, "mode", 0777, &x, err))
			return -1;
		r.mode = (unsigned int)x;
	}
	if (get_str(req, cmd, "for", false, 255, true, &r.name, err))
		return -1;
	if (!p->ops->pool_claim)
		return no_op(cmd, err);
	return p->ops->pool_claim(p->ud, &r, reply, err);
}

static int cmd_vm_reserve(const struct pzd_protocol *p,
			  struct json_object *req, struct json_object *reply,
			  struct pzd_proto_err *err)
{
	static const char cmd[] = "vm-reserve";
	struct json_object *v;
	uint64_t size, ttl = 0;
	const char *name;
	int node;

	if (get_node(req, cmd, false, true, &node, err))
		return -1;
	if (need(req, cmd, "size", &v, err) || get_size(v, cmd, &size, err))
		return -1;
	if (get_str(req, cmd, "for", false, 255, true, &name, err))
		return -1;
	if (json_object_object_get_ex(req, "ttl_s", &v)) {
		if (get_uint(v, cmd, "ttl_s", UINT64_C(1) << 32, &ttl, err))
			return -1;
		if (!ttl) {
			pzd_proto_seterr(err, "bad-request",
					 "%s: \"ttl_s\" must be > 0", cmd);
			return -1;
		}
	}
	if (!p->ops->vm_reserve)
		return no_op(cmd, err);
	return p->ops->vm_reserve(p->ud, (unsigned int)node, size, name, ttl,
				  reply, err);
}

static int cmd_vm_unreserve(const struct pzd_protocol *p,
			    struct json_object *req, struct json_object *reply,
			    struct pzd_proto_err *err)
{
	static const char cmd[] = "vm-unreserve";
	struct json_object *v;
	const char *name;
	uint64_t id = 0;
	bool has_id = json_object_object_get_ex(req, "id", &v);

	if (has_id && get_uint(v, cmd, "id", INT64_MAX, &id, err))
		return -1;
	if (has_id && !id) {
		pzd_proto_seterr(err, "bad-request", "%s: \"id\" must be > 0",
				 cmd);
		return -1;
	}
	if (get_str(req, cmd, "for", false, 255, true, &name, err))
		return -1;
	if (has_id == !!name) {
		pzd_proto_seterr(err, "bad-request",
				 "%s: give exactly one of \"id\" and \"for\"", cmd);
		return -1;
	}
	if (!p->ops->vm_unreserve)
		return no_op(cmd, err);
	return p->ops->vm_unreserve(p->ud, id, name, reply, err);
}

static int cmd_vm_release(const struct pzd_protocol *p,
			  struct json_object *req, struct json_object *reply,
			  struct pzd_proto_err *err)
{
	static const char cmd[] = "vm-release";
	const char *name;

	if (get_str(req, cmd, "for", true, 255, true, &name, err))
		return -1;
	if (!p->ops->vm_release)
		return no_op(cmd, err);
	return p->ops->vm_release(p->ud, name, reply, err);
}

static int cmd_vm_prepare(const struct pzd_protocol *p,
			  struct json_object *req, struct json_object *reply,
			  struct pzd_proto_err *err)
{
	static const char cmd[] = "vm-prepare";
	static const char *const backings[] = { "anon", "hugetlb-2M",
						"hugetlb-1G" };
	struct pzd_vm_prepare_req *r;
	struct json_object *arr, *v;
	bool seen[PZD_MAX_NODES] = { false };
	int ret = -1;

	r = calloc(1, sizeof(*r));
	if (!r) {
		pzd_proto_seterr(err, "internal", "%s: out of memory", cmd);
		return -1;
	}
	r->compact = r->topup = true;
	if (need(req, cmd, "nodes", &arr, err))
		goto out;
	if (!json_object_is_type(arr, json_type_array) ||
	    !json_object_array_length(arr) ||
	    json_object_array_length(arr) > PZD_MAX_NODES) {
		pzd_proto_seterr(err, "bad-request",
				 "%s: \"nodes\" must be an array of 1-%d objects",
				 cmd, PZD_MAX_NODES);
		goto out;
	}
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *o = json_object_array_get_idx(arr, i);
		int node;

		if (!json_object_is_type(o, json_type_object) ||
		    json_object_object_length(o) != 2 ||
		    !json_object_object_get_ex(o, "size", &v)) {
			pzd_proto_seterr(err, "bad-request",
					 "%s: each of \"nodes\" must be {\"node\": N, \"size\": S}",
					 cmd);
			goto out;
		}
		if (get_node(o, cmd, false, true, &node, err) ||
		    get_size(v, cmd, &r->item[i].size, err))
			goto out;
		if (seen[node]) {
			pzd_proto_seterr(err, "bad-request",
					 "%s: node %d is listed twice", cmd, node);
			goto out;
		}
		seen[node] = true;
		r->item[i].node = (unsigned int)node;
		r->n++;
	}
	if (get_str(req, cmd, "backing", true, 16, false, &r->backing, err))
		goto out;
	for (size_t i = 0; i < sizeof(backings) / sizeof(backings[0]); i++)
		if (!strcmp(r->backing, backings[i]))
			ret = 0;
	if (ret) {
		pzd_proto_seterr(err, "bad-request",
				 "%s: \"backing\" must be \"anon\", \"hugetlb-2M\" or \"hugetlb-1G\"",
				 cmd);
		goto out;
	}
	ret = -1;
	if (get_str(req, cmd, "for", false, 255, true, &r->name, err) ||
	    get_bool(req, cmd, "compact", &r->compact, err) ||
	    get_bool(req, cmd, "topup", &r->topup, err))
		goto out;
	if (!p->ops->vm_prepare) {
		ret = no_op(cmd, err);
		goto out;
	}
	ret = p->ops->vm_prepare(p->ud, r, reply, err);
out:
	free(r);
	return ret;
}

static int cmd_xen_list(const struct pzd_protocol *p,
			struct json_object *req, struct json_object *reply,
			struct pzd_proto_err *err)
{
	(void)req;
	if (!p->ops->xen_list)
		return no_op("xen-list", err);
	return p->ops->xen_list(p->ud, reply, err);
}

/* Domain ids below Xen's DOMID_FIRST_RESERVED (0x7ff0) name domains. */
#define XEN_DOMID_MAX 0x7fef

/* "dom": a domid (integer) or a domain name (string). */
static int cmd_xen_exclude(const struct pzd_protocol *p,
			   struct json_object *req, struct json_object *reply,
			   struct pzd_proto_err *err)
{
	static const char cmd[] = "xen-exclude";
	struct pzd_xen_dom_req r = { 0 };
	struct json_object *v;
	int64_t x;

	if (need(req, cmd, "dom", &v, err))
		return -1;
	if (json_object_is_type(v, json_type_string)) {
		if (get_str(req, cmd, "dom", true, 127, false, &r.name, err))
			return -1;
		r.by_name = true;
	} else if (json_object_is_type(v, json_type_int) &&
		   (x = json_object_get_int64(v)) >= 0) {
		/* Well-formed but beyond any domain: as for nodes. */
		if (x > XEN_DOMID_MAX) {
			pzd_proto_seterr(err, "no-such-domain",
					 "%s: domain %lld does not exist", cmd,
					 (long long)x);
			return -1;
		}
		r.domid = (uint32_t)x;
	} else {
		pzd_proto_seterr(err, "bad-request",
				 "%s: \"dom\" must be a domain id or name", cmd);
		return -1;
	}
	if (!p->ops->xen_exclude)
		return no_op(cmd, err);
	return p->ops->xen_exclude(p->ud, &r, reply, err);
}

struct command {
	const char *name;
	bool admin;			/* changes settings: root or admin_group */
	const char *const *members;	/* allowed besides cmd and id */
	int (*run)(const struct pzd_protocol *p, struct json_object *req,
		   struct json_object *reply, struct pzd_proto_err *err);
};

static const char *const no_members[] = { NULL };
static const char *const status_members[] = { "node", NULL };
static const char *const node_set_members[] = {
	"node", "enabled", "rate", "burst", "reset", NULL
};

static const char *const claim_members[] = {
	"node", "size", "path", "uid", "gid", "mode", "for", NULL
};
static const char *const reserve_members[] = {
	"node", "size", "for", "ttl_s", NULL
};
static const char *const unreserve_members[] = { "id", "for", NULL };
static const char *const release_members[] = { "for", NULL };
static const char *const xen_exclude_members[] = { "dom", NULL };
static const char *const prepare_members[] = {
	"nodes", "backing", "for", "compact", "topup", NULL
};

static const struct command commands[] = {
	{ "ping", false, no_members, cmd_ping },
	{ "status", false, status_members, cmd_status },
	{ "config-show", false, no_members, cmd_config_show },
	{ "node-set", true, node_set_members, cmd_node_set },
	{ "reload", true, no_members, cmd_reload },
	{ "pool-claim", true, claim_members, cmd_pool_claim },
	{ "vm-reserve", true, reserve_members, cmd_vm_reserve },
	{ "vm-unreserve", true, unreserve_members, cmd_vm_unreserve },
	{ "vm-release", true, release_members, cmd_vm_release },
	{ "vm-prepare", true, prepare_members, cmd_vm_prepare },
	{ "xen-list", false, no_members, cmd_xen_list },
	{ "xen-exclude", false, xen_exclude_members, cmd_xen_exclude },
};

static const struct command *find_command(struct json_object *cmd)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (str_is(cmd, commands[i].name))
			return &commands[i];
	return NULL;
}

static bool member_allowed(const struct command *c, const char *key)
{
	if (!strcmp(key, "cmd") || !strcmp(key, "id"))
		return true;
	for (const char *const *m = c->members; *m; m++)
		if (!strcmp(key, *m))
			return true;
	return false;
}

static bool peer_is_admin(const struct pzd_protocol *p,
			  const struct pzd_peer *peer)
{
	if (!peer)
		return false;
	if (!p->ops->is_admin)
		return peer->uid == 0;
	return p->ops->is_admin(p->ud, peer);
}

static void permission_denied(const struct pzd_protocol *p,
			      const struct command *c,
			      struct pzd_proto_err *err)
{
	const char *group = p->ops->admin_group ?
			    p->ops->admin_group(p->ud) : NULL;

	if (group && *group)
		pzd_proto_seterr(err, "permission-denied",
				 "%s: only root or group \"%s\" may change settings",
				 c->name, group);
	else
		pzd_proto_seterr(err, "permission-denied",
				 "%s: only root may change settings", c->name);
}

/*
 * Parse line as exactly one JSON object. Returns it, or NULL with err set
 * (bad-json, or bad-request for a JSON value that is not an object).
 */
static struct json_object *parse(const char *line, size_t len,
				 struct pzd_proto_err *err)
{
	struct json_tokener *tok;
	struct json_object *o;
	char *buf;

	if (memchr(line, '\0', len)) {
		pzd_proto_seterr(err, "bad-json", "request contains a NUL byte");
		return NULL;
	}
	/*
	 * json-c wants to see the end of a top-level number or literal, so
	 * hand it the terminating NUL as well (len + 1): then "123" is
	 * complete and "{" is "unexpected end of data", not "continue".
	 */
	buf = malloc(len + 1);
	tok = json_tokener_new_ex(JSON_DEPTH);
	if (!buf || !tok) {
		free(buf);
		if (tok)
			json_tokener_free(tok);
		pzd_proto_seterr(err, "internal", "out of memory");
		return NULL;
	}
	memcpy(buf, line, len);
	buf[len] = '\0';
	/* Strict: trailing characters after the value are an error. */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT
#ifdef JSON_TOKENER_VALIDATE_UTF8
			       | JSON_TOKENER_VALIDATE_UTF8
#endif
			       );
	o = json_tokener_parse_ex(tok, buf, (int)len + 1);
	if (!o) {
		enum json_tokener_error e = json_tokener_get_error(tok);

		if (e == json_tokener_success)	/* "null" */
			pzd_proto_seterr(err, "bad-json",
					 "request must be a JSON object");
		else
			pzd_proto_seterr(err, "bad-json",
					 "invalid JSON at byte %zu: %s",
					 json_tokener_get_parse_end(tok),
					 json_tokener_error_desc(e));
	} else if (json_tokener_get_parse_end(tok) < len) {
		/* Not reached with STRICT, which rejects the trailing
		 * characters itself; kept so the rule never depends on it. */
		pzd_proto_seterr(err, "bad-json",
				 "invalid JSON at byte %zu: trailing characters",
				 json_tokener_get_parse_end(tok));
		json_object_put(o);
		o = NULL;
	} else if (!json_object_is_type(o, json_type_object)) {
		pzd_proto_seterr(err, "bad-json",
				 "request must be a JSON object");
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	free(buf);
	return o;
}

char *pzd_protocol_handle(const struct pzd_peer *peer, const char *line,
			  size_t len, void *protocol)
{
	const struct pzd_protocol *p = protocol;
	struct pzd_proto_err err = { .code = NULL, .message = "" };
	struct json_object *req, *reply = NULL, *id = NULL, *cmdv;
	const struct command *c = NULL;
	bool has_id;
	char *out;

	if (len > PZD_CTL_MAX_REQUEST) {
		/* The transport never passes one; the same answer if it did. */
		return pzd_protocol_error_reply("too-large",
						"request exceeds 65536 bytes");
	}
	req = parse(line, len, &err);
	if (!req)
		return error_line(false, NULL, err.code, err.message);
	has_id = json_object_object_get_ex(req, "id", &id);

	if (!json_object_object_get_ex(req, "cmd", &cmdv)) {
		pzd_proto_seterr(&err, "bad-request", "missing member \"cmd\"");
		goto fail;
	}
	if (!json_object_is_type(cmdv, json_type_string)) {
		pzd_proto_seterr(&err, "bad-request",
				 "\"cmd\" must be a string");
		goto fail;
	}
	c = find_command(cmdv);
	if (!c) {
		pzd_proto_seterr(&err, "unknown-command",
				 "unknown command \"%s\" (known: ping, status, config-show, node-set, reload)",
				 json_object_get_string(cmdv));
		goto fail;
	}
	json_object_object_foreach(req, key, val) {
		(void)val;
		if (!member_allowed(c, key)) {
			pzd_proto_seterr(&err, "bad-request",
					 "%s: unknown member \"%s\"", c->name,
					 key);
			goto fail;
		}
	}
	/* Before anything else looks at the arguments: a peer that may not
	 * change settings learns nothing and changes nothing. */
	if (c->admin && !peer_is_admin(p, peer)) {
		permission_denied(p, c, &err);
		goto fail;
	}

	reply = json_object_new_object();
	if (!reply || jadd(reply, "ok", json_object_new_boolean(1)))
		goto oom;
	if (has_id && add_id(reply, id))
		goto oom;
	if (c->run(p, req, reply, &err)) {
		if (!err.code) {
			/* An op that failed without saying why. */
			pzd_proto_seterr(&err, "internal", "%s failed",
					 c->name);
		}
		goto fail;
	}
	out = to_line(reply);
	json_object_put(reply);
	json_object_put(req);
	return out;

oom:
	pzd_proto_seterr(&err, "internal", "out of memory");
fail:
	json_object_put(reply);
	out = error_line(has_id, id, err.code, err.message);
	json_object_put(req);
	return out;
}
