// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/*
 * prezero-nl: client of the "prezero" generic netlink family (libnl-genl-3).
 *
 * One request is in flight at a time. Replies, ACKs and errors are matched by
 * sequence number in our own callbacks (libnl's sequence check is replaced,
 * so multicast events, which carry sequence 0, can share the socket). Errors
 * keep the kernel's errno and its extended ACK (NETLINK_EXT_ACK).
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "monotime.h"
#include "nl.h"
#include "nl_policy_gen.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif
#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

#define PZ_DEFAULT_TIMEOUT_MS 30000
#define PZ_EVQ_LEN 64
#define PZ_RCVBUF (256 * 1024)

struct pz_req {
	uint32_t seq;
	bool active;
	bool done;
	bool intr;			/* NLM_F_DUMP_INTR seen */
	int kerr;			/* kernel errno (negative) */
	struct pz_err ext;		/* its extended ACK */
	/* Per reply message; a non-zero return is kept in perr and stops
	 * further calls (the remaining replies are still read). */
	int (*parse)(struct pz_req *req, struct nlmsghdr *nlh);
	void *arg;
	int perr;
	unsigned int replies;
};

struct pz_nl {
	struct nl_sock *sk;
	struct nl_cb *cb;
	int fd;
	uint16_t family;
	uint32_t version;
	int grp_events;			/* -1: the family has no such group */
	bool subscribed;
	int timeout_ms;
	struct pz_req *req;		/* request in flight, or NULL */
	const struct nlmsghdr *cur;	/* message being processed (MSG_IN) */
	struct pz_event evq[PZ_EVQ_LEN];
	unsigned int evq_head;
	unsigned int evq_len;
	bool ev_lost;
};

/* ---- errors --------------------------------------------------------- */

static void err_clear(struct pz_err *err)
{
	if (err)
		memset(err, 0, sizeof(*err));
}

static int err_set(struct pz_err *err, int neg_errno)
{
	if (err) {
		memset(err, 0, sizeof(*err));
		err->err = neg_errno;
	}
	return neg_errno;
}

/* libnl error (NLE_*) to errno, for failures that did not come from an
 * nlmsgerr. sys_errno: errno right after the failing call (libnl loses
 * e.g. ENOBUFS in NLE_NOMEM). */
static int nle_to_errno(int nle, int sys_errno)
{
	switch (nle < 0 ? -nle : nle) {
	case NLE_NOMEM:
		return sys_errno == ENOBUFS ? ENOBUFS : ENOMEM;
	case NLE_INTR:
		return EINTR;
	case NLE_BAD_SOCK:
		return EBADF;
	case NLE_AGAIN:
		return EAGAIN;
	case NLE_EXIST:
		return EEXIST;
	case NLE_INVAL:
		return EINVAL;
	case NLE_RANGE:
		return ERANGE;
	case NLE_MSGSIZE:
		return EMSGSIZE;
	case NLE_OPNOTSUPP:
		return EOPNOTSUPP;
	case NLE_AF_NOSUPPORT:
		return EAFNOSUPPORT;
	case NLE_OBJ_NOTFOUND:
		return ENOENT;
	case NLE_NOATTR:
	case NLE_MISSING_ATTR:
	case NLE_MSG_TOOSHORT:
	case NLE_MSG_TRUNC:
	case NLE_SEQ_MISMATCH:
	case NLE_MSGTYPE_NOSUPPORT:
	case NLE_PARSE_ERR:
	case NLE_ATTRSIZE:
		return EPROTO;
	case NLE_MSG_OVERFLOW:
		return ENOBUFS;
	case NLE_NOADDR:
		return EADDRNOTAVAIL;
	case NLE_BUSY:
		return EBUSY;
	case NLE_PROTO_MISMATCH:
		return EPROTONOSUPPORT;
	case NLE_NOACCESS:
		return EACCES;
	case NLE_PERM:
		return EPERM;
	case NLE_NODEV:
		return ENODEV;
	case NLE_DUMP_INTR:
		return EAGAIN;
	default:
		return EIO;
	}
}

const char *pz_err_str(const struct pz_err *err, char *buf, size_t len)
{
	if (!len)
		return buf;
	if (!err || !err->err)
		snprintf(buf, len, "%s", strerror(0));
	else if (err->msg[0])
		snprintf(buf, len, "%s (kernel: %s)", strerror(-err->err),
			 err->msg);
	else
		snprintf(buf, len, "%s", strerror(-err->err));
	return buf;
}

static uint32_t get_u32_unaligned(const void *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

int pz_extack_parse(const struct nlmsghdr *nlh, size_t len, struct pz_err *err)
{
	const unsigned char *base = (const unsigned char *)nlh;
	size_t msglen, off;
	int32_t error;

	err_clear(err);
	if (!nlh || len < NLMSG_HDRLEN)
		return -EBADMSG;
	msglen = nlh->nlmsg_len;
	if (msglen < NLMSG_HDRLEN || msglen > len)
		return -EBADMSG;

	if (nlh->nlmsg_type == NLMSG_ERROR) {
		struct nlmsgerr e;

		if (msglen < NLMSG_HDRLEN + sizeof(e))
			return -EBADMSG;
		memcpy(&e, base + NLMSG_HDRLEN, sizeof(e));
		error = e.error;
		off = sizeof(e);
		/* Unless capped, the request follows (its header is in e.msg). */
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
			if (e.msg.nlmsg_len < NLMSG_HDRLEN)
				return -EBADMSG;
			off += e.msg.nlmsg_len - NLMSG_HDRLEN;
		}
	} else if (nlh->nlmsg_type == NLMSG_DONE) {
		if (msglen < NLMSG_HDRLEN + sizeof(int32_t)) {
			error = 0;	/* old kernels: empty DONE */
			off = 0;
		} else {
			memcpy(&error, base + NLMSG_HDRLEN, sizeof(error));
			off = sizeof(int32_t);
		}
	} else {
		return -EBADMSG;
	}
	if (err)
		err->err = error > 0 ? -error : error;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || !err)
		return 0;
	off = NLMSG_HDRLEN + NLMSG_ALIGN(off);
	while (off + NLA_HDRLEN <= msglen) {
		struct nlattr nla;
		const unsigned char *data;
		size_t alen;

		memcpy(&nla, base + off, sizeof(nla));
		if (nla.nla_len < NLA_HDRLEN || off + nla.nla_len > msglen)
			break;	/* malformed: ignore the rest */
		data = base + off + NLA_HDRLEN;
		alen = nla.nla_len - NLA_HDRLEN;
		switch (nla.nla_type & NLA_TYPE_MASK) {
		case NLMSGERR_ATTR_MSG: {
			size_t n = strnlen((const char *)data, alen);

			if (n >= sizeof(err->msg))
				n = sizeof(err->msg) - 1;
			memcpy(err->msg, data, n);
			err->msg[n] = '\0';
			while (n && (err->msg[n - 1] == '\n' ||
				     err->msg[n - 1] == ' '))
				err->msg[--n] = '\0';
			break;
		}
		case NLMSGERR_ATTR_OFFS:
			if (alen >= 4) {
				err->has_offs = true;
				err->offs = get_u32_unaligned(data);
			}
			break;
		case NLMSGERR_ATTR_MISS_TYPE:
			if (alen >= 4) {
				err->has_miss_type = true;
				err->miss_type = get_u32_unaligned(data);
			}
			break;
		case NLMSGERR_ATTR_MISS_NEST:
			if (alen >= 4) {
				err->has_miss_nest = true;
				err->miss_nest = get_u32_unaligned(data);
			}
			break;
		default:
			break;	/* cookie, policy, newer: not used */
		}
		off += NLA_ALIGN(nla.nla_len);
	}
	return 0;
}

/* ---- enum names ------------------------------------------------------- */

#define NAME(tbl, v) ((v) < sizeof(tbl) / sizeof((tbl)[0]) ? (tbl)[v] : NULL)

const char *pz_fault_skip_name(uint32_t v)
{
	static const char *const names[] = {
		[PREZERO_FAULT_SKIP_UNSUPPORTED] = "unsupported",
		[PREZERO_FAULT_SKIP_SUPPORTED] = "supported",
	};
	return NAME(names, v);
}

const char *pz_reporting_name(uint32_t v)
{
	static const char *const names[] = {
		[PREZERO_REPORTING_REGISTERED] = "registered",
		[PREZERO_REPORTING_TAKEN] = "taken",
		[PREZERO_REPORTING_UNAVAILABLE] = "unavailable",
	};
	return NAME(names, v);
}

const char *pz_verdict_name(uint32_t v)
{
	static const char *const names[] = {
		[PREZERO_VERDICT_ZERO] = "zero",
		[PREZERO_VERDICT_DIRTY] = "dirty",
		[PREZERO_VERDICT_MIXED] = "mixed",
		[PREZERO_VERDICT_INCONCLUSIVE] = "inconclusive",
		[PREZERO_VERDICT_NO_SAMPLE] = "no-sample",
	};
	return NAME(names, v);
}

const char *pz_event_type_name(uint32_t v)
{
	static const char *const names[] = {
		[PREZERO_EVENT_TYPE_BUDGET_EXHAUSTED] = "budget-exhausted",
		[PREZERO_EVENT_TYPE_NODE_SCRUBBED] = "node-scrubbed",
		[PREZERO_EVENT_TYPE_REPORTING_LOST] = "reporting-lost",
	};
	return NAME(names, v);
}

/* ---- reply parsers ------------------------------------------------------ */

static uint64_t has_mask(struct nlattr **tb, int max)
{
	uint64_t has = 0;
	int i;

	for (i = 1; i <= max && i < 64; i++)
		if (tb[i])
			has |= UINT64_C(1) << i;
	return has;
}

#define GET(tb, attr, dst, getter)			\
	do {						\
		if ((tb)[attr])				\
			(dst) = getter((tb)[attr]);	\
	} while (0)

static int parse_caps(struct nlmsghdr *nlh, struct pz_caps *c)
{
	struct nlattr *tb[PREZERO_A_CAPS_MAX + 1];

	if (genlmsg_parse(nlh, 0, tb, PREZERO_A_CAPS_MAX, prezero_caps_policy) < 0)
		return -EPROTO;
	memset(c, 0, sizeof(*c));
	c->has = has_mask(tb, PREZERO_A_CAPS_MAX);
	if (tb[PREZERO_A_CAPS_RELEASE])
		nla_strlcpy(c->release, tb[PREZERO_A_CAPS_RELEASE],
			    sizeof(c->release));
	if (tb[PREZERO_A_CAPS_MODULE_VERSION])
		nla_strlcpy(c->module_version, tb[PREZERO_A_CAPS_MODULE_VERSION],
			    sizeof(c->module_version));
	GET(tb, PREZERO_A_CAPS_REPORTING_ORDER, c->reporting_order, nla_get_u32);
	GET(tb, PREZERO_A_CAPS_FAULT_SKIP, c->fault_skip, nla_get_u32);
	GET(tb, PREZERO_A_CAPS_REPORTING, c->reporting, nla_get_u32);
	GET(tb, PREZERO_A_CAPS_INIT_ON_ALLOC, c->init_on_alloc, nla_get_u8);
	GET(tb, PREZERO_A_CAPS_INIT_ON_FREE, c->init_on_free, nla_get_u8);
	GET(tb, PREZERO_A_CAPS_NR_NODES, c->nr_nodes, nla_get_u32);
	GET(tb, PREZERO_A_CAPS_VERIFY_MAX_SAMPLES, c->verify_max_samples,
	    nla_get_u32);
	GET(tb, PREZERO_A_CAPS_BUDGET_MAX, c->budget_max, nla_get_u64);
	return 0;
}

static int parse_node(struct nlmsghdr *nlh, struct pz_node *n)
{
	struct nlattr *tb[PREZERO_A_NODE_MAX + 1];

	if (genlmsg_parse(nlh, 0, tb, PREZERO_A_NODE_MAX, prezero_node_policy) < 0)
		return -EPROTO;
	memset(n, 0, sizeof(*n));
	n->has = has_mask(tb, PREZERO_A_NODE_MAX);
	GET(tb, PREZERO_A_NODE_ID, n->id, nla_get_u32);
	GET(tb, PREZERO_A_NODE_ENABLED, n->enabled, nla_get_u8);
	GET(tb, PREZERO_A_NODE_BUDGET_RATE, n->budget_rate, nla_get_u64);
	GET(tb, PREZERO_A_NODE_BUDGET_BURST, n->budget_burst, nla_get_u64);
	GET(tb, PREZERO_A_NODE_BUDGET_TOKENS, n->budget_tokens,
	    (int64_t)nla_get_u64);
	GET(tb, PREZERO_A_NODE_FREE_BYTES, n->free_bytes, nla_get_u64);
	GET(tb, PREZERO_A_NODE_FREE_LARGE_BYTES, n->free_large_bytes,
	    nla_get_u64);
	GET(tb, PREZERO_A_NODE_ZEROED_FREE_BYTES, n->zeroed_free_bytes,
	    nla_get_u64);
	GET(tb, PREZERO_A_NODE_ZEROED_FREE_EXACT, n->zeroed_free_exact,
	    nla_get_u8);
	GET(tb, PREZERO_A_NODE_ZEROED_BYTES, n->zeroed_bytes, nla_get_u64);
	GET(tb, PREZERO_A_NODE_ZEROED_BLOCKS, n->zeroed_blocks, nla_get_u64);
	GET(tb, PREZERO_A_NODE_ZERO_NS, n->zero_ns, nla_get_u64);
	GET(tb, PREZERO_A_NODE_REPORT_CALLS, n->report_calls, nla_get_u64);
	GET(tb, PREZERO_A_NODE_RETURNED_BLOCKS, n->returned_blocks,
	    nla_get_u64);
	GET(tb, PREZERO_A_NODE_EXHAUSTED, n->exhausted, nla_get_u64);
	GET(tb, PREZERO_A_NODE_SCRUBBED, n->scrubbed, nla_get_u8);
	return 0;
}

static int parse_verify(struct nlmsghdr *nlh, struct pz_verify *v)
{
	struct nlattr *tb[PREZERO_A_VERIFY_MAX + 1];

	if (genlmsg_parse(nlh, 0, tb, PREZERO_A_VERIFY_MAX,
			  prezero_verify_policy) < 0)
		return -EPROTO;
	memset(v, 0, sizeof(*v));
	v->has = has_mask(tb, PREZERO_A_VERIFY_MAX);
	GET(tb, PREZERO_A_VERIFY_NODE, v->node, nla_get_u32);
	GET(tb, PREZERO_A_VERIFY_BLOCK_BYTES, v->block_bytes, nla_get_u32);
	GET(tb, PREZERO_A_VERIFY_PROBES, v->probes, nla_get_u32);
	GET(tb, PREZERO_A_VERIFY_SAMPLED, v->sampled, nla_get_u32);
	GET(tb, PREZERO_A_VERIFY_ZERO, v->zero, nla_get_u32);
	GET(tb, PREZERO_A_VERIFY_DIRTY, v->dirty, nla_get_u32);
	GET(tb, PREZERO_A_VERIFY_REPORTED, v->reported, nla_get_u32);
	GET(tb, PREZERO_A_VERIFY_REPORTED_DIRTY, v->reported_dirty,
	    nla_get_u32);
	GET(tb, PREZERO_A_VERIFY_VERDICT, v->verdict, nla_get_u32);
	return 0;
}

static int parse_event(struct nlmsghdr *nlh, struct pz_event *ev)
{
	struct nlattr *tb[PREZERO_A_EVENT_MAX + 1];

	if (genlmsg_parse(nlh, 0, tb, PREZERO_A_EVENT_MAX,
			  prezero_event_policy) < 0)
		return -EPROTO;
	memset(ev, 0, sizeof(*ev));
	ev->has = has_mask(tb, PREZERO_A_EVENT_MAX);
	GET(tb, PREZERO_A_EVENT_TYPE, ev->type, nla_get_u32);
	GET(tb, PREZERO_A_EVENT_NODE, ev->node, nla_get_u32);
	GET(tb, PREZERO_A_EVENT_BYTES, ev->bytes, nla_get_u64);
	return 0;
}

/* ---- libnl callbacks ---------------------------------------------------- */

static bool is_event(const struct pz_nl *nl, struct nlmsghdr *nlh)
{
	const struct genlmsghdr *g;

	if (!nl->subscribed || nlh->nlmsg_type != nl->family ||
	    nlh->nlmsg_seq != 0 || !genlmsg_valid_hdr(nlh, 0))
		return false;
	g = nlmsg_data(nlh);
	return g->cmd == PREZERO_CMD_EVENT;
}

static void evq_push(struct pz_nl *nl, const struct pz_event *ev)
{
	if (nl->evq_len == PZ_EVQ_LEN) {	/* full: drop the oldest */
		nl->evq_head = (nl->evq_head + 1) % PZ_EVQ_LEN;
		nl->evq_len--;
		nl->ev_lost = true;
	}
	nl->evq[(nl->evq_head + nl->evq_len) % PZ_EVQ_LEN] = *ev;
	nl->evq_len++;
}

static struct pz_req *cur_req(struct pz_nl *nl, const struct nlmsghdr *nlh)
{
	struct pz_req *r = nl->req;

	if (!r || !r->active || r->done || nlh->nlmsg_seq != r->seq)
		return NULL;
	return r;
}

static int cb_msg_in(struct nl_msg *msg, void *arg)
{
	struct pz_nl *nl = arg;

	nl->cur = nlmsg_hdr(msg);
	return NL_OK;
}

static int cb_seq_check(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	return NL_OK;	/* matched in the callbacks below */
}

static int cb_valid(struct nl_msg *msg, void *arg)
{
	struct pz_nl *nl = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct pz_req *r;

	if (is_event(nl, nlh)) {
		struct pz_event ev;

		if (parse_event(nlh, &ev) == 0)
			evq_push(nl, &ev);
		return NL_OK;
	}
	r = cur_req(nl, nlh);
	if (!r)
		return NL_OK;	/* stale reply or foreign message */
	r->replies++;
	if (!r->perr && r->parse)
		r->perr = r->parse(r, nlh);
	return NL_OK;
}

static int cb_finish(struct nl_msg *msg, void *arg)
{
	struct pz_nl *nl = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct pz_req *r = cur_req(nl, nlh);

	if (!r)
		return NL_SKIP;
	if (pz_extack_parse(nlh, nlh->nlmsg_len, &r->ext) < 0)
		memset(&r->ext, 0, sizeof(r->ext));
	r->kerr = r->ext.err;
	r->done = true;
	return NL_STOP;
}

static int cb_ack(struct nl_msg *msg, void *arg)
{
	struct pz_nl *nl = arg;
	struct pz_req *r = cur_req(nl, nlmsg_hdr(msg));

	if (!r)
		return NL_SKIP;
	r->kerr = 0;
	r->done = true;
	return NL_STOP;
}

static int cb_dump_intr(struct nl_msg *msg, void *arg)
{
	struct pz_nl *nl = arg;
	struct pz_req *r = cur_req(nl, nlmsg_hdr(msg));

	if (r)
		r->intr = true;
	return NL_OK;
}

static int cb_err(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	struct pz_nl *nl = arg;
	const struct nlmsghdr *nlh = nl->cur;
	struct pz_req *r;

	(void)who;
	if (!nlh || nlh->nlmsg_type != NLMSG_ERROR)
		return NL_SKIP;
	r = cur_req(nl, nlh);
	if (!r)
		return NL_SKIP;
	if (pz_extack_parse(nlh, nlh->nlmsg_len, &r->ext) < 0) {
		memset(&r->ext, 0, sizeof(r->ext));
		r->ext.err = e->error;
	}
	r->kerr = e->error > 0 ? -e->error : e->error;
	if (!r->kerr)
		r->kerr = -EPROTO;
	r->done = true;
	return NL_STOP;
}

/* ---- request engine ---------------------------------------------------- */

/* 1: readable, 0: deadline passed, <0: -errno (-EINTR only if !restart). */
static int wait_readable(int fd, int64_t deadline, bool restart)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int timeout = -1, r;

		if (deadline >= 0) {
			int64_t left = deadline - pz_mono_ms();

			if (left < 0)
				left = 0;
			timeout = left > 3600000 ? 3600000 : (int)left;
		}
		r = poll(&p, 1, timeout);
		if (r > 0)
			return 1;
		if (r == 0) {
			if (deadline >= 0 && pz_mono_ms() >= deadline)
				return 0;
			continue;
		}
		if (errno == EINTR && restart)
			continue;
		return -errno;
	}
}

/* Read once from the socket through our callbacks. 0 or -errno. */
static int recv_once(struct pz_nl *nl)
{
	int r;

	errno = 0;
	r = nl_recvmsgs(nl->sk, nl->cb);
	nl->cur = NULL;
	if (r >= 0)
		return 0;
	r = -nle_to_errno(r, errno);
	if (r == -ENOBUFS) {
		/* Overrun: messages were dropped. A lost reply ends in the
		 * request's timeout; lost events are reported once. */
		if (nl->subscribed)
			nl->ev_lost = true;
		return 0;
	}
	return r;
}

static int run_req(struct pz_nl *nl, struct nl_msg *msg, struct pz_req *r,
		   struct pz_err *err)
{
	int64_t deadline;
	int ret;

	r->active = true;
	r->done = false;
	nl_complete_msg(nl->sk, msg);
	r->seq = nlmsg_hdr(msg)->nlmsg_seq;
	errno = 0;
	ret = nl_send(nl->sk, msg);
	if (ret < 0)
		return err_set(err, -nle_to_errno(ret, errno));

	deadline = nl->timeout_ms < 0 ? -1 : pz_mono_ms() + nl->timeout_ms;
	nl->req = r;
	ret = 0;
	while (!r->done) {
		ret = wait_readable(nl->fd, deadline, true);
		if (ret == 0)
			ret = -ETIMEDOUT;
		if (ret < 0)
			break;
		ret = recv_once(nl);
		if (r->done)
			ret = 0;
		if (ret < 0)
			break;
	}
	nl->req = NULL;
	r->active = false;
	if (ret < 0)
		return err_set(err, ret);
	if (r->kerr) {
		if (err) {
			*err = r->ext;
			err->err = r->kerr;
		}
		return r->kerr;
	}
	if (r->perr)
		return err_set(err, r->perr < 0 ? r->perr : -EPROTO);
	if (r->intr)
		return err_set(err, -EAGAIN);
	err_clear(err);
	return 0;
}

/* Run a request whose reply is handled by parse(); frees msg. */
static int request(struct pz_nl *nl, struct nl_msg *msg,
		   int (*parse)(struct pz_req *, struct nlmsghdr *), void *arg,
		   struct pz_req *r, struct pz_err *err)
{
	int ret;

	memset(r, 0, sizeof(*r));
	r->parse = parse;
	r->arg = arg;
	ret = run_req(nl, msg, r, err);
	nlmsg_free(msg);
	return ret;
}

static struct nl_msg *new_msg(uint16_t family, uint8_t cmd, int flags,
			      uint8_t version)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, flags, cmd,
			 version)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

struct nl_msg *pz_nl_msg_new(struct pz_nl *nl, uint8_t cmd, int flags)
{
	return new_msg(nl->family, cmd, flags, PREZERO_FAMILY_VERSION);
}

static int count_only(struct pz_req *r, struct nlmsghdr *nlh)
{
	(void)r;
	(void)nlh;
	return 0;
}

int pz_nl_send_raw(struct pz_nl *nl, struct nl_msg *msg, unsigned int *replies,
		   struct pz_err *err)
{
	struct pz_req r;
	int ret;

	memset(&r, 0, sizeof(r));
	r.parse = count_only;
	ret = run_req(nl, msg, &r, err);
	if (replies)
		*replies = r.replies;
	return ret;
}

/* ---- family resolution ------------------------------------------------- */

static int parse_family(struct pz_req *r, struct nlmsghdr *nlh)
{
	static struct nla_policy pol[CTRL_ATTR_MAX + 1] = {
		[CTRL_ATTR_FAMILY_ID] = { .type = NLA_U16 },
		[CTRL_ATTR_FAMILY_NAME] = { .type = NLA_STRING },
		[CTRL_ATTR_VERSION] = { .type = NLA_U32 },
		[CTRL_ATTR_MCAST_GROUPS] = { .type = NLA_NESTED },
	};
	static struct nla_policy gpol[CTRL_ATTR_MCAST_GRP_MAX + 1] = {
		[CTRL_ATTR_MCAST_GRP_NAME] = { .type = NLA_STRING },
		[CTRL_ATTR_MCAST_GRP_ID] = { .type = NLA_U32 },
	};
	struct pz_nl *nl = r->arg;
	struct nlattr *tb[CTRL_ATTR_MAX + 1];
	struct nlattr *grp;
	int rem;

	if (genlmsg_parse(nlh, 0, tb, CTRL_ATTR_MAX, pol) < 0 ||
	    !tb[CTRL_ATTR_FAMILY_ID])
		return -EPROTO;
	nl->family = nla_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
	if (tb[CTRL_ATTR_VERSION])
		nl->version = nla_get_u32(tb[CTRL_ATTR_VERSION]);
	if (!tb[CTRL_ATTR_MCAST_GROUPS])
		return 0;
	nla_for_each_nested(grp, tb[CTRL_ATTR_MCAST_GROUPS], rem) {
		struct nlattr *gtb[CTRL_ATTR_MCAST_GRP_MAX + 1];

		if (nla_parse_nested(gtb, CTRL_ATTR_MCAST_GRP_MAX, grp, gpol) < 0)
			continue;
		if (gtb[CTRL_ATTR_MCAST_GRP_NAME] && gtb[CTRL_ATTR_MCAST_GRP_ID] &&
		    !strcmp(nla_get_string(gtb[CTRL_ATTR_MCAST_GRP_NAME]),
			    PREZERO_MCGRP_EVENTS))
			nl->grp_events = (int)nla_get_u32(gtb[CTRL_ATTR_MCAST_GRP_ID]);
	}
	return 0;
}

static int resolve_family(struct pz_nl *nl, struct pz_err *err)
{
	struct nl_msg *msg;
	struct pz_req r;
	int ret;

	msg = new_msg(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0, 1);
	if (!msg)
		return err_set(err, -ENOMEM);
	if (nla_put_string(msg, CTRL_ATTR_FAMILY_NAME, PREZERO_FAMILY_NAME) < 0) {
		nlmsg_free(msg);
		return err_set(err, -ENOMEM);
	}
	ret = request(nl, msg, parse_family, nl, &r, err);
	if (ret == 0 && !r.replies)
		ret = err_set(err, -EPROTO);
	return ret;
}

/* ---- handle ------------------------------------------------------------ */

int pz_nl_open(struct pz_nl **nlp, struct pz_err *err)
{
	struct pz_nl *nl;
	int one = 1, ret;

	*nlp = NULL;
	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return err_set(err, -ENOMEM);
	nl->grp_events = -1;
	nl->timeout_ms = PZ_DEFAULT_TIMEOUT_MS;
	nl->sk = nl_socket_alloc();
	nl->cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!nl->sk || !nl->cb) {
		ret = err_set(err, -ENOMEM);
		goto err;
	}
	errno = 0;
	ret = genl_connect(nl->sk);
	if (ret < 0) {
		ret = err_set(err, -nle_to_errno(ret, errno));
		goto err;
	}
	nl->fd = nl_socket_get_fd(nl->sk);
	nl_socket_enable_msg_peek(nl->sk);
	nl_socket_set_buffer_size(nl->sk, PZ_RCVBUF, 0);
	/* Best effort: old kernels lack them (then messages are just "") */
	setsockopt(nl->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(nl->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));

	nl_cb_set(nl->cb, NL_CB_MSG_IN, NL_CB_CUSTOM, cb_msg_in, nl);
	nl_cb_set(nl->cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, cb_seq_check, nl);
	nl_cb_set(nl->cb, NL_CB_VALID, NL_CB_CUSTOM, cb_valid, nl);
	nl_cb_set(nl->cb, NL_CB_FINISH, NL_CB_CUSTOM, cb_finish, nl);
	nl_cb_set(nl->cb, NL_CB_ACK, NL_CB_CUSTOM, cb_ack, nl);
	nl_cb_set(nl->cb, NL_CB_DUMP_INTR, NL_CB_CUSTOM, cb_dump_intr, nl);
	nl_cb_err(nl->cb, NL_CB_CUSTOM, cb_err, nl);

	ret = resolve_family(nl, err);
	if (ret < 0)
		goto err;
	*nlp = nl;
	return 0;
err:
	pz_nl_close(nl);
	return ret;
}

void pz_nl_close(struct pz_nl *nl)
{
	if (!nl)
		return;
	if (nl->cb)
		nl_cb_put(nl->cb);
	if (nl->sk)
		nl_socket_free(nl->sk);	/* closes the socket */
	free(nl);
}

int pz_nl_fd(const struct pz_nl *nl)
{
	return nl->fd;
}

uint16_t pz_nl_family_id(const struct pz_nl *nl)
{
	return nl->family;
}

uint32_t pz_nl_family_version(const struct pz_nl *nl)
{
	return nl->version;
}

void pz_nl_set_timeout(struct pz_nl *nl, int timeout_ms)
{
	nl->timeout_ms = timeout_ms;
}

/* ---- typed requests ---------------------------------------------------- */

static int one_caps(struct pz_req *r, struct nlmsghdr *nlh)
{
	return r->replies > 1 ? 0 : parse_caps(nlh, r->arg);
}

int pz_nl_get_caps(struct pz_nl *nl, struct pz_caps *caps, struct pz_err *err)
{
	struct nl_msg *msg = pz_nl_msg_new(nl, PREZERO_CMD_GET_CAPS, 0);
	struct pz_req r;
	int ret;

	memset(caps, 0, sizeof(*caps));
	if (!msg)
		return err_set(err, -ENOMEM);
	ret = request(nl, msg, one_caps, caps, &r, err);
	if (ret == 0 && !r.replies)
		ret = err_set(err, -EPROTO);
	return ret;
}

static int one_node(struct pz_req *r, struct nlmsghdr *nlh)
{
	return r->replies > 1 ? 0 : parse_node(nlh, r->arg);
}

int pz_nl_get_node(struct pz_nl *nl, uint32_t id, struct pz_node *node,
		   struct pz_err *err)
{
	struct nl_msg *msg = pz_nl_msg_new(nl, PREZERO_CMD_GET_NODE, 0);
	struct pz_req r;
	int ret;

	memset(node, 0, sizeof(*node));
	if (!msg || nla_put_u32(msg, PREZERO_A_NODE_ID, id) < 0) {
		nlmsg_free(msg);
		return err_set(err, -ENOMEM);
	}
	ret = request(nl, msg, one_node, node, &r, err);
	if (ret == 0 && !r.replies)
		ret = err_set(err, -EPROTO);
	return ret;
}

struct dump_ctx {
	pz_node_cb cb;
	void *arg;
};

static int each_node(struct pz_req *r, struct nlmsghdr *nlh)
{
	struct dump_ctx *d = r->arg;
	struct pz_node node;
	int ret = parse_node(nlh, &node);

	if (ret < 0)
		return ret;
	return d->cb(&node, d->arg);
}

int pz_nl_dump_nodes(struct pz_nl *nl, pz_node_cb cb, void *arg,
		     struct pz_err *err)
{
	struct nl_msg *msg = pz_nl_msg_new(nl, PREZERO_CMD_GET_NODE, NLM_F_DUMP);
	struct dump_ctx d = { .cb = cb, .arg = arg };
	struct pz_req r;
	int ret;

	if (!msg)
		return err_set(err, -ENOMEM);
	ret = request(nl, msg, each_node, &d, &r, err);
	/* A callback's own non-zero value goes back unchanged. */
	if (ret == 0 || r.kerr || !r.perr)
		return ret;
	if (err)
		err->err = r.perr < 0 ? r.perr : 0;
	return r.perr;
}

struct node_array {
	struct pz_node *v;
	size_t n, cap;
};

static int append_node(const struct pz_node *node, void *arg)
{
	struct node_array *a = arg;

	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 8;
		struct pz_node *v = realloc(a->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		a->v = v;
		a->cap = cap;
	}
	a->v[a->n++] = *node;
	return 0;
}

int pz_nl_dump_nodes_array(struct pz_nl *nl, struct pz_node **nodes,
			   size_t *n, struct pz_err *err)
{
	struct node_array a = { 0 };
	int ret;

	*nodes = NULL;
	*n = 0;
	ret = pz_nl_dump_nodes(nl, append_node, &a, err);
	if (ret < 0) {
		free(a.v);
		return ret;
	}
	*nodes = a.v;
	*n = a.n;
	return 0;
}

int pz_nl_set_node(struct pz_nl *nl, const struct pz_node_set *set,
		   struct pz_node *out, struct pz_err *err)
{
	struct nl_msg *msg = pz_nl_msg_new(nl, PREZERO_CMD_SET_NODE, 0);
	struct pz_node tmp;
	struct pz_req r;
	int ret;

	if (!out)
		out = &tmp;
	memset(out, 0, sizeof(*out));
	if (!msg)
		return err_set(err, -ENOMEM);
	if (nla_put_u32(msg, PREZERO_A_NODE_ID, set->id) < 0 ||
	    ((set->flags & PZ_SET_ENABLED) &&
	     nla_put_u8(msg, PREZERO_A_NODE_ENABLED, set->enabled ? 1 : 0) < 0) ||
	    ((set->flags & PZ_SET_RATE) &&
	     nla_put_u64(msg, PREZERO_A_NODE_BUDGET_RATE, set->budget_rate) < 0) ||
	    ((set->flags & PZ_SET_BURST) &&
	     nla_put_u64(msg, PREZERO_A_NODE_BUDGET_BURST, set->budget_burst) < 0)) {
		nlmsg_free(msg);
		return err_set(err, -ENOMEM);
	}
	ret = request(nl, msg, one_node, out, &r, err);
	if (ret == 0 && !r.replies)
		ret = err_set(err, -EPROTO);
	return ret;
}

static int one_verify(struct pz_req *r, struct nlmsghdr *nlh)
{
	return r->replies > 1 ? 0 : parse_verify(nlh, r->arg);
}

int pz_nl_verify(struct pz_nl *nl, uint32_t node, uint32_t samples,
		 struct pz_verify *res, struct pz_err *err)
{
	struct nl_msg *msg = pz_nl_msg_new(nl, PREZERO_CMD_VERIFY, 0);
	struct pz_req r;
	int ret;

	memset(res, 0, sizeof(*res));
	if (!msg || nla_put_u32(msg, PREZERO_A_VERIFY_NODE, node) < 0 ||
	    (samples && nla_put_u32(msg, PREZERO_A_VERIFY_SAMPLES, samples) < 0)) {
		nlmsg_free(msg);
		return err_set(err, -ENOMEM);
	}
	ret = request(nl, msg, one_verify, res, &r, err);
	if (ret == 0 && !r.replies)
		ret = err_set(err, -EPROTO);
	return ret;
}

/* ---- events ------------------------------------------------------------ */

int pz_nl_subscribe(struct pz_nl *nl, struct pz_err *err)
{
	int ret;

	if (nl->subscribed)
		return err_set(err, 0);
	if (nl->grp_events < 0)
		return err_set(err, -EPROTO);	/* family without "events" */
	errno = 0;
	ret = nl_socket_add_membership(nl->sk, nl->grp_events);
	if (ret < 0)
		return err_set(err, -nle_to_errno(ret, errno));
	nl->subscribed = true;
	return err_set(err, 0);
}

bool pz_nl_event_pending(const struct pz_nl *nl)
{
	return nl->evq_len > 0 || nl->ev_lost;
}

int pz_nl_recv_event(struct pz_nl *nl, struct pz_event *ev, int timeout_ms,
		     struct pz_err *err)
{
	int64_t deadline = timeout_ms < 0 ? -1 : pz_mono_ms() + timeout_ms;
	int ret;

	memset(ev, 0, sizeof(*ev));
	if (!nl->subscribed)
		return err_set(err, -EINVAL);
	for (;;) {
		if (nl->evq_len) {
			*ev = nl->evq[nl->evq_head];
			nl->evq_head = (nl->evq_head + 1) % PZ_EVQ_LEN;
			nl->evq_len--;
			return err_set(err, 0);
		}
		if (nl->ev_lost) {
			nl->ev_lost = false;
			return err_set(err, -ENOBUFS);
		}
		ret = wait_readable(nl->fd, deadline, false);
		if (ret == 0)
			return err_set(err, -ETIMEDOUT);
		if (ret < 0)
			return err_set(err, ret);
		ret = recv_once(nl);
		if (ret < 0)
			return err_set(err, ret);
	}
}
