// SPDX-License-Identifier: GPL-2.0-only
/*
 * The "prezero" generic netlink family. Policies and the op table are
 * generated from proto/prezero.yaml (netlink_gen.c); this file holds the
 * handlers. Ops run under the genl mutex (the family is not parallel_ops),
 * so they never race each other.
 */
#include <linux/utsname.h>
#include <net/genetlink.h>

#include "netlink_gen.h"
#include "prezero.h"

static struct genl_family pz_family;
static DEFINE_MUTEX(pz_event_lock);
static bool pz_family_live;

/*
 * GENL_REQ_ATTR_CHECK() names the missing attribute for programs; add the
 * words for people, as every rejection carries a message.
 */
static bool pz_attr_missing(struct genl_info *info, int type)
{
	if (!GENL_REQ_ATTR_CHECK(info, type))
		return false;
	NL_SET_ERR_MSG(info->extack, "missing node id attribute");
	return true;
}

/* A node with memory that the module manages, or an extack and NULL. */
static struct pz_node *pz_node_from_attr(struct genl_info *info,
					 struct nlattr *attr)
{
	u32 nid = nla_get_u32(attr);
	struct pz_node *pn = NULL;

	if (nid < MAX_NUMNODES)
		pn = pz_node_get(nid);
	if (!pn)
		NL_SET_ERR_MSG_ATTR(info->extack, attr,
				    "no such NUMA node with memory");
	return pn;
}

static int pz_fill_caps(struct sk_buff *skb, void *unused)
{
	if (nla_put_string(skb, PREZERO_A_CAPS_RELEASE, utsname()->release) ||
	    nla_put_string(skb, PREZERO_A_CAPS_MODULE_VERSION,
			   PREZERO_MODULE_VERSION) ||
	    nla_put_u32(skb, PREZERO_A_CAPS_REPORTING_ORDER, pz_order) ||
	    /* No released kernel lets faults skip zeroing reported pages. */
	    nla_put_u32(skb, PREZERO_A_CAPS_FAULT_SKIP,
			PREZERO_FAULT_SKIP_UNSUPPORTED) ||
	    nla_put_u32(skb, PREZERO_A_CAPS_REPORTING,
			PREZERO_REPORTING_REGISTERED) ||
	    nla_put_u8(skb, PREZERO_A_CAPS_INIT_ON_ALLOC,
		       want_init_on_alloc(GFP_KERNEL)) ||
	    nla_put_u8(skb, PREZERO_A_CAPS_INIT_ON_FREE, want_init_on_free()) ||
	    nla_put_u32(skb, PREZERO_A_CAPS_NR_NODES, pz_nr_nodes()) ||
	    nla_put_u32(skb, PREZERO_A_CAPS_VERIFY_MAX_SAMPLES,
			PREZERO_VERIFY_MAX_SAMPLES) ||
	    nla_put_u64_64bit(skb, PREZERO_A_CAPS_BUDGET_MAX,
			      PREZERO_BUDGET_MAX, PREZERO_A_CAPS_PAD))
		return -EMSGSIZE;
	return 0;
}

/* Reply to @info with one message written by @fill. */
static int pz_reply(struct genl_info *info,
		    int (*fill)(struct sk_buff *skb, void *arg), void *arg)
{
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &pz_family, 0, info->genlhdr->cmd);
	if (!hdr || fill(msg, arg)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

int prezero_nl_get_caps_doit(struct sk_buff *skb, struct genl_info *info)
{
	return pz_reply(info, pz_fill_caps, NULL);
}

static int pz_fill_node(struct sk_buff *skb, void *arg)
{
	struct pz_node *pn = arg;
	struct pz_node_stats st;
	struct pz_walk w;

	pz_node_stats(pn, &st);
	pz_walk_get(pn, false, &w);

#define PUT64(a, v) nla_put_u64_64bit(skb, a, v, PREZERO_A_NODE_PAD)
	if (nla_put_u32(skb, PREZERO_A_NODE_ID, pn->nid) ||
	    nla_put_u8(skb, PREZERO_A_NODE_ENABLED, st.enabled) ||
	    PUT64(PREZERO_A_NODE_BUDGET_RATE, st.rate) ||
	    PUT64(PREZERO_A_NODE_BUDGET_BURST, st.burst) ||
	    nla_put_s64(skb, PREZERO_A_NODE_BUDGET_TOKENS, st.tokens,
			PREZERO_A_NODE_PAD) ||
	    PUT64(PREZERO_A_NODE_FREE_BYTES, pz_node_free_bytes(pn->nid)) ||
	    PUT64(PREZERO_A_NODE_FREE_LARGE_BYTES, w.free_large_bytes) ||
	    PUT64(PREZERO_A_NODE_ZEROED_FREE_BYTES, w.zeroed_bytes) ||
	    nla_put_u8(skb, PREZERO_A_NODE_ZEROED_FREE_EXACT, w.exact) ||
	    PUT64(PREZERO_A_NODE_ZEROED_BYTES, st.zeroed_bytes) ||
	    PUT64(PREZERO_A_NODE_ZEROED_BLOCKS, st.zeroed_blocks) ||
	    PUT64(PREZERO_A_NODE_ZERO_NS, st.zero_ns) ||
	    PUT64(PREZERO_A_NODE_REPORT_CALLS, st.report_calls) ||
	    PUT64(PREZERO_A_NODE_RETURNED_BLOCKS, st.returned_blocks) ||
	    PUT64(PREZERO_A_NODE_EXHAUSTED, st.exhausted) ||
	    nla_put_u8(skb, PREZERO_A_NODE_SCRUBBED, st.scrubbed))
		return -EMSGSIZE;
#undef PUT64
	return 0;
}

int prezero_nl_get_node_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct pz_node *pn;

	if (pz_attr_missing(info, PREZERO_A_NODE_ID))
		return -EINVAL;
	pn = pz_node_from_attr(info, info->attrs[PREZERO_A_NODE_ID]);
	if (!pn)
		return -EINVAL;
	return pz_reply(info, pz_fill_node, pn);
}

/* A dump of every node, or of the one node named in the request. */
int prezero_nl_get_node_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	/* Already validated against the op's policy by the genl core. */
	const struct nlattr *only = nlmsg_find_attr(cb->nlh, GENL_HDRLEN,
						    PREZERO_A_NODE_ID);
	int nid;

	/* cb->args[0]: the next node id to dump */
	for (nid = cb->args[0]; nid < MAX_NUMNODES; nid++) {
		struct pz_node *pn = pz_node_get(nid);
		void *hdr;

		if (!pn || (only && nla_get_u32(only) != nid))
			continue;
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &pz_family, NLM_F_MULTI,
				  PREZERO_CMD_GET_NODE);
		if (!hdr)
			break;
		if (pz_fill_node(skb, pn)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
	}
	cb->args[0] = nid;
	return skb->len;
}

int prezero_nl_set_node_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **a = info->attrs;
	u64 rate, burst, *prate = NULL, *pburst = NULL;
	bool enabled, *penabled = NULL;
	struct pz_node *pn;

	if (pz_attr_missing(info, PREZERO_A_NODE_ID))
		return -EINVAL;
	pn = pz_node_from_attr(info, a[PREZERO_A_NODE_ID]);
	if (!pn)
		return -EINVAL;
	if (!a[PREZERO_A_NODE_ENABLED] && !a[PREZERO_A_NODE_BUDGET_RATE] &&
	    !a[PREZERO_A_NODE_BUDGET_BURST]) {
		NL_SET_ERR_MSG(info->extack,
			       "nothing to set: give enabled, budget-rate or budget-burst");
		return -EINVAL;
	}
	if (a[PREZERO_A_NODE_ENABLED]) {
		enabled = nla_get_u8(a[PREZERO_A_NODE_ENABLED]);
		penabled = &enabled;
	}
	if (a[PREZERO_A_NODE_BUDGET_RATE]) {
		rate = nla_get_u64(a[PREZERO_A_NODE_BUDGET_RATE]);
		prate = &rate;
	}
	if (a[PREZERO_A_NODE_BUDGET_BURST]) {
		burst = nla_get_u64(a[PREZERO_A_NODE_BUDGET_BURST]);
		pburst = &burst;
	}
	/* Everything is validated: from here on the request takes effect. */
	pz_budget_set(pn, penabled, prate, pburst);
	if (pz_budget_granted(pn))
		pz_kick(pn, 0);
	return pz_reply(info, pz_fill_node, pn);
}

static int pz_fill_verify(struct sk_buff *skb, void *arg)
{
	struct pz_verify *v = arg;

	if (nla_put_u32(skb, PREZERO_A_VERIFY_NODE, v->nid) ||
	    nla_put_u32(skb, PREZERO_A_VERIFY_BLOCK_BYTES, v->block_bytes) ||
	    nla_put_u32(skb, PREZERO_A_VERIFY_PROBES, v->probes) ||
	    nla_put_u32(skb, PREZERO_A_VERIFY_SAMPLED, v->sampled) ||
	    nla_put_u32(skb, PREZERO_A_VERIFY_ZERO, v->zero) ||
	    nla_put_u32(skb, PREZERO_A_VERIFY_DIRTY, v->dirty) ||
	    nla_put_u32(skb, PREZERO_A_VERIFY_REPORTED, v->reported) ||
	    nla_put_u32(skb, PREZERO_A_VERIFY_REPORTED_DIRTY,
			v->reported_dirty) ||
	    nla_put_u32(skb, PREZERO_A_VERIFY_VERDICT, v->verdict))
		return -EMSGSIZE;
	return 0;
}

int prezero_nl_verify_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **a = info->attrs;
	struct pz_verify v;
	struct pz_node *pn;
	u32 samples = 16;

	if (pz_attr_missing(info, PREZERO_A_VERIFY_NODE))
		return -EINVAL;
	pn = pz_node_from_attr(info, a[PREZERO_A_VERIFY_NODE]);
	if (!pn)
		return -EINVAL;
	if (a[PREZERO_A_VERIFY_SAMPLES])
		samples = nla_get_u32(a[PREZERO_A_VERIFY_SAMPLES]);

	pz_verify_node(pn, samples, &v);
	return pz_reply(info, pz_fill_verify, &v);
}

/* Multicast an event; a no-op without listeners or once unloading began. */
void pz_event(u32 type, int nid, u64 bytes)
{
	struct sk_buff *msg;
	void *hdr;

	mutex_lock(&pz_event_lock);
	if (!pz_family_live ||
	    !genl_has_listeners(&pz_family, &init_net, PREZERO_NLGRP_EVENTS))
		goto out;
	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		goto out;
	hdr = genlmsg_put(msg, 0, 0, &pz_family, 0, PREZERO_CMD_EVENT);
	if (!hdr || nla_put_u32(msg, PREZERO_A_EVENT_TYPE, type) ||
	    nla_put_u32(msg, PREZERO_A_EVENT_NODE, nid) ||
	    nla_put_u64_64bit(msg, PREZERO_A_EVENT_BYTES, bytes,
			      PREZERO_A_EVENT_PAD)) {
		nlmsg_free(msg);
		goto out;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast(&pz_family, msg, 0, PREZERO_NLGRP_EVENTS,
			  GFP_KERNEL);
out:
	mutex_unlock(&pz_event_lock);
}

static struct genl_family pz_family __ro_after_init = {
	.name		= PREZERO_FAMILY_NAME,
	.version	= PREZERO_FAMILY_VERSION,
	.module		= THIS_MODULE,
	.ops		= prezero_nl_ops,
	.n_ops		= ARRAY_SIZE(prezero_nl_ops),
	.mcgrps		= prezero_nl_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(prezero_nl_mcgrps),
	/* resv_start_op 0: strict validation of every op */
};

int pz_netlink_init(void)
{
	int err = genl_register_family(&pz_family);

	if (!err) {
		mutex_lock(&pz_event_lock);
		pz_family_live = true;
		mutex_unlock(&pz_event_lock);
	}
	return err;
}

void pz_netlink_exit(void)
{
	mutex_lock(&pz_event_lock);
	pz_family_live = false;
	mutex_unlock(&pz_event_lock);
	genl_unregister_family(&pz_family);
}
