// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/*
 * The daemon's side of the control protocol (proto/control.md): status,
 * config-show, node-set and reload over the daemon's state. protocol.c has
 * already parsed, validated and permission-checked the request.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "log.h"
#include "prepare.h"
#include "prezerod.h"

static void jadd(struct json_object *o, const char *k, struct json_object *v)
{
	json_object_object_add(o, k, v);
}

static struct json_object *ju64(uint64_t v)
{
	return json_object_new_uint64(v);
}

/* A number with a fixed number of decimals ("97.25", not 97.2500000001). */
static struct json_object *jdouble(double v, int decimals)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%.*f", decimals, v);
	return json_object_new_double_s(strtod(buf, NULL), buf);
}

static struct json_object *daemon_json(struct pzd_daemon *d)
{
	struct json_object *o = json_object_new_object();
	bool loaded = pzd_module_loaded(d->mod);

	jadd(o, "version", json_object_new_string(PREZERO_VERSION));
	jadd(o, "pid", json_object_new_int(getpid()));
	jadd(o, "uptime_s",
	     jdouble((double)(pzd_now_ms() - d->start_ms) / 1000, 1));
	jadd(o, "state", json_object_new_string(loaded ? "running" : "degraded"));
	jadd(o, "reason", json_object_new_string(loaded ? d->status :
						  pzd_module_reason(d->mod)));
	jadd(o, "config", json_object_new_string(d->cfg.path));
	jadd(o, "interval_ms", json_object_new_int((int)d->cfg.interval_ms));
	return o;
}

static const char *name_or(const char *name, const char *dflt)
{
	return name ? name : dflt;
}

static struct json_object *module_json(struct pzd_daemon *d)
{
	struct json_object *o = json_object_new_object();
	const struct pz_caps *c;

	if (!pzd_module_loaded(d->mod)) {
		jadd(o, "loaded", json_object_new_boolean(false));
		jadd(o, "reason", json_object_new_string(pzd_module_reason(d->mod)));
		return o;
	}
	c = pzd_module_caps(d->mod);
	jadd(o, "loaded", json_object_new_boolean(true));
	jadd(o, "release", json_object_new_string(c->release));
	jadd(o, "module_version", json_object_new_string(c->module_version));
	jadd(o, "fault_skip",
	     json_object_new_string(name_or(pz_fault_skip_name(c->fault_skip), "unknown")));
	jadd(o, "reporting",
	     json_object_new_string(name_or(pz_reporting_name(c->reporting), "unknown")));
	jadd(o, "reporting_order", json_object_new_int((int)c->reporting_order));
	jadd(o, "init_on_alloc", json_object_new_boolean(c->init_on_alloc));
	jadd(o, "init_on_free", json_object_new_boolean(c->init_on_free));
	jadd(o, "nr_nodes", json_object_new_int((int)c->nr_nodes));
	jadd(o, "budget_max", ju64(c->budget_max));
	return o;
}

static struct json_object *pressure_json(struct pzd_daemon *d)
{
	struct json_object *o = json_object_new_object();
	uint64_t now = pzd_now_ms(), until = d->sys.pressure_until_ms;

	jadd(o, "valid", json_object_new_boolean(d->sys.psi_valid));
	jadd(o, "cpu_some_avg10", jdouble(d->sys.cpu_some_avg10, 2));
	jadd(o, "memory_some_avg10",
	     jdouble(d->sys.memory_some_avg10, 2));
	jadd(o, "memory_full_avg10",
	     jdouble(d->sys.memory_full_avg10, 2));
	jadd(o, "memory_trigger", json_object_new_boolean(d->psi_fd >= 0));
	jadd(o, "memory_hold_s",
	     jdouble(until > now ? (double)(until - now) / 1000 : 0, 1));
	return o;
}

static struct json_object *mod_node_json(const struct pz_node *m)
{
	struct json_object *o = json_object_new_object();

	jadd(o, "enabled", json_object_new_boolean(m->enabled));
	jadd(o, "budget_rate", ju64(m->budget_rate));
	jadd(o, "budget_burst", ju64(m->budget_burst));
	jadd(o, "budget_tokens", json_object_new_int64(m->budget_tokens));
	jadd(o, "free_bytes", ju64(m->free_bytes));
	jadd(o, "free_large_bytes", ju64(m->free_large_bytes));
	jadd(o, "zeroed_free_bytes", ju64(m->zeroed_free_bytes));
	jadd(o, "zeroed_free_exact", json_object_new_boolean(m->zeroed_free_exact));
	jadd(o, "zeroed_bytes", ju64(m->zeroed_bytes));
	jadd(o, "zeroed_blocks", ju64(m->zeroed_blocks));
	jadd(o, "zero_ns", ju64(m->zero_ns));
	jadd(o, "report_calls", ju64(m->report_calls));
	jadd(o, "returned_blocks", ju64(m->returned_blocks));
	jadd(o, "exhausted", ju64(m->exhausted));
	jadd(o, "scrubbed", json_object_new_boolean(m->scrubbed));
	return o;
}

static struct json_object *override_json(const struct pzd_override *v)
{
	struct json_object *o = json_object_new_object();

	if (v->has_enabled)
		jadd(o, "enabled", json_object_new_boolean(v->enabled));
	if (v->has_rate)
		jadd(o, "rate", ju64(v->rate));
	if (v->has_burst)
		jadd(o, "burst", ju64(v->burst));
	return o;
}

static struct json_object *node_json(struct pzd_daemon *d,
				     const struct pzd_node *n)
{
	struct json_object *o = json_object_new_object();
	bool enabled;
	uint64_t cap_rate, cap_burst;

	pzd_policy_cap(&d->cfg, n->id, &n->ovr, &enabled, &cap_rate, &cap_burst);
	jadd(o, "id", json_object_new_int((int)n->id));
	jadd(o, "cpus", json_object_new_string(n->topo->cpulist));
	jadd(o, "state",
	     json_object_new_string(pzd_node_state_name(n->budget.state)));
	jadd(o, "reason", json_object_new_string(n->budget.reason));
	jadd(o, "idle_pct", n->sample.cpu_valid ?
	     jdouble(n->sample.idle_pct, 2) : NULL);
	jadd(o, "free_bytes", ju64(n->sample.free_bytes));
	jadd(o, "total_bytes", ju64(n->sample.total_bytes));
	jadd(o, "cap_rate", ju64(enabled ? cap_rate : 0));
	jadd(o, "cap_burst", ju64(enabled ? cap_burst : 0));
	/* What the module has from us, 0 until it has it. */
	jadd(o, "budget_rate", ju64(n->sent ? n->sent_rate : 0));
	jadd(o, "budget_burst", ju64(n->sent ? n->sent_burst : 0));
	jadd(o, "override", override_json(&n->ovr));
	jadd(o, "module", n->have_mod ? mod_node_json(&n->mod) : NULL);
	jadd(o, "zero_rate", ju64((uint64_t)(n->zero_rate + 0.5)));
	jadd(o, "pool", pzd_pool_node_json(d->pool, n->id));
	return o;
}

/* The node, or every node (PZD_NODE_ALL), as an array. */
static struct json_object *nodes_json(struct pzd_daemon *d, int node)
{
	struct json_object *nodes = json_object_new_array();

	for (size_t i = 0; i < d->nnode; i++)
		if (node == PZD_NODE_ALL || d->node[i].id == (unsigned int)node)
			json_object_array_add(nodes, node_json(d, &d->node[i]));
	return nodes;
}

static int op_status(void *ud, int node, struct json_object *reply,
		     struct pzd_proto_err *err)
{
	struct pzd_daemon *d = ud;

	if (node != PZD_NODE_ALL && !pzd_engine_node(d, (unsigned int)node)) {
		pzd_proto_seterr(err, "no-such-node", "node %d does not exist",
				 node);
		return -1;
	}
	jadd(reply, "daemon", daemon_json(d));
	jadd(reply, "module", module_json(d));
	jadd(reply, "pressure", pressure_json(d));
	jadd(reply, "nodes", nodes_json(d, node));
	jadd(reply, "pool", pzd_pool_json(d->pool, pzd_now_ms()));
	return 0;
}

static int op_config_show(void *ud, struct json_object *reply,
			  struct pzd_proto_err *err)
{
	struct pzd_daemon *d = ud;
	struct json_object *ovr = json_object_new_array();

	(void)err;
	jadd(reply, "path", json_object_new_string(d->cfg.path));
	jadd(reply, "config", pzd_config_to_json(&d->cfg));
	for (size_t i = 0; i < d->nnode; i++) {
		const struct pzd_override *v = &d->node[i].ovr;
		struct json_object *o;

		if (!v->has_enabled && !v->has_rate && !v->has_burst)
			continue;
		o = override_json(v);
		json_object_object_add_ex(o, "node",
					  json_object_new_int((int)d->node[i].id), 0);
		json_object_array_add(ovr, o);
	}
	jadd(reply, "overrides", ovr);
	return 0;
}

static void apply_override(struct pzd_node *n, const struct pzd_node_set_req *r)
{
	const struct pzd_override *v = &r->ovr;

	if (r->reset) {
		memset(&n->ovr, 0, sizeof(n->ovr));
		return;
	}
	if (v->has_enabled) {
		n->ovr.has_enabled = true;
		n->ovr.enabled = v->enabled;
	}
	if (v->has_rate) {
		n->ovr.has_rate = true;
		n->ovr.rate = v->rate;
	}
	if (v->has_burst) {
		n->ovr.has_burst = true;
		n->ovr.burst = v->burst;
	}
}

static int op_node_set(void *ud, int node, const struct pzd_node_set_req *req,
		       struct json_object *reply, struct pzd_proto_err *err)
{
	struct pzd_daemon *d = ud;

	if (node != PZD_NODE_ALL && !pzd_engine_node(d, (unsigned int)node)) {
		pzd_proto_seterr(err, "no-such-node", "node %d does not exist",
				 node);
		return -1;
	}
	for (size_t i = 0; i < d->nnode; i++)
		if (node == PZD_NODE_ALL || d->node[i].id == (unsigned int)node) {
			apply_override(&d->node[i], req);
			log_info("node %u: override %s", d->node[i].id,
				 req->reset ? "reset" : "set");
		}
	/* Decide now, so the reply and the module reflect the change. */
	pzd_engine_round(d);
	jadd(reply, "nodes", nodes_json(d, node));
	return 0;
}

static int op_reload(void *ud, struct json_object *reply,
		     struct pzd_proto_err *err)
{
	struct pzd_daemon *d = ud;
	char msg[sizeof(err->message)];

	if (pzd_reload(d, msg, sizeof(msg)) < 0) {
		pzd_proto_seterr(err, "bad-config", "%s", msg);
		return -1;
	}
	jadd(reply, "config", json_object_new_string(d->cfg.path));
	return 0;
}

static bool op_is_admin(void *ud, const struct pzd_peer *peer)
{
	struct pzd_daemon *d = ud;

	return pzd_peer_in_group(peer, d->cfg.admin_group[0] != 0,
				 d->cfg.admin_gid);
}

static const char *op_admin_group(void *ud)
{
	struct pzd_daemon *d = ud;

	return d->cfg.admin_group;
}

static int op_pool_claim(void *ud, const struct pzd_pool_claim_req *req,
			 struct json_object *reply, struct pzd_proto_err *err)
{
	struct pzd_daemon *d = ud;

	return pzd_pool_claim(d->pool, req, reply, err);
}

static int op_vm_reserve(void *ud, unsigned int node, uint64_t size,
			 const char *name, uint64_t ttl_s,
			 struct json_object *reply, struct pzd_proto_err *err)
{
	struct pzd_daemon *d = ud;
	int ret = pzd_pool_reserve(d->pool, node, size, name, ttl_s, reply,
				   err);

	/* Fill for it now rather than at the next tick. */
	if (!ret)
		pzd_engine_config_changed(d);
	return ret;
}

static int op_vm_unreserve(void *ud, uint64_t id, const char *name,
			   struct json_object *reply, struct pzd_proto_err *err)
{
	struct pzd_daemon *d = ud;

	return pzd_pool_unreserve(d->pool, id, name, reply, err);
}

static int op_vm_release(void *ud, const char *name, struct json_object *reply,
			 struct pzd_proto_err *err)
{
	struct pzd_daemon *d = ud;
	int ret = pzd_pool_release(d->pool, name, reply, err);

	if (!ret)
		pzd_engine_config_changed(d);
	return ret;
}

/* How long vm-prepare gives a node scrubbing priority. */
#define PREPARE_PRIORITY_MS 30000

static int op_vm_prepare(void *ud, const struct pzd_vm_prepare_req *req,
			 struct json_object *reply, struct pzd_proto_err *err)
{
	struct pzd_daemon *d = ud;
	struct pzd_prepare_result *res;
	struct json_object *arr;
	enum pzd_backing backing;
	uint64_t now = pzd_now_ms();
	int ret = 0;

	if (pzd_backing_parse(req->backing, &backing)) {
		pzd_proto_seterr(err, "bad-request",
				 "vm-prepare: unknown backing \"%s\"", req->backing);
		return -1;
	}
	/* Every node first: a bad request does nothing. */
	for (size_t i = 0; i < req->n; i++)
		if (!pzd_engine_node(d, req->item[i].node)) {
			pzd_proto_seterr(err, "no-such-node",
					 "vm-prepare: node %u does not exist",
					 req->item[i].node);
			return -1;
		}
	res = calloc(req->n, sizeof(*res));
	arr = json_object_new_array();
	if (!res || !arr) {
		free(res);
		json_object_put(arr);
		pzd_proto_seterr(err, "internal", "vm-prepare: out of memory");
		return -1;
	}
	log_info("vm-prepare%s%s: %zu node(s), %s", req->name ? " for " : "",
		 req->name ? req->name : "", req->n, req->backing);
	for (size_t i = 0; i < req->n && !ret; i++) {
		struct pzd_node *n = pzd_engine_node(d, req->item[i].node);
		struct json_object *o;

		ret = pzd_prepare_node("", n->id, req->item[i].size, backing,
				       req->compact, req->topup, &res[i]);
		if (ret) {
			pzd_proto_seterr(err, ret == -ENODEV ? "no-such-node" :
					 ret == -EBADMSG || ret == -ENOMEM ||
					 ret == -EIO ? "internal" : "bad-request",
					 "vm-prepare: node %u: %s", n->id,
					 res[i].error);
			break;
		}
		n->priority_until_ms = now + PREPARE_PRIORITY_MS;
		o = pzd_prepare_result_json(&res[i]);
		if (!o || json_object_array_add(arr, o)) {
			json_object_put(o);
			pzd_proto_seterr(err, "internal", "vm-prepare: out of memory");
			ret = -ENOMEM;
			break;
		}
		jadd(o, "priority_s", json_object_new_int(PREPARE_PRIORITY_MS / 1000));
	}
	free(res);
	if (ret) {
		json_object_put(arr);
		return -1;
	}
	jadd(reply, "nodes", arr);
	/* Priority takes effect now, not at the next tick. */
	pzd_engine_config_changed(d);
	return 0;
}

static int op_xen_list(void *ud, struct json_object *reply,
		       struct pzd_proto_err *err)
{
	struct pzd_daemon *d = ud;

	return pzd_xen_list(d->xen, reply, err);
}

static int op_xen_exclude(void *ud, const struct pzd_xen_dom_req *dom,
			  struct json_object *reply, struct pzd_proto_err *err)
{
	struct pzd_daemon *d = ud;

	return pzd_xen_exclude(d->xen, dom, reply, err);
}

const struct pzd_protocol_ops pzd_status_ops = {
	.xen_list = op_xen_list,
	.xen_exclude = op_xen_exclude,
	.vm_prepare = op_vm_prepare,
	.pool_claim = op_pool_claim,
	.vm_reserve = op_vm_reserve,
	.vm_unreserve = op_vm_unreserve,
	.vm_release = op_vm_release,
	.status = op_status,
	.config_show = op_config_show,
	.node_set = op_node_set,
	.reload = op_reload,
	.is_admin = op_is_admin,
	.admin_group = op_admin_group,
};
