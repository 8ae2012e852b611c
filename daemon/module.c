// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/*
 * The prezero module seen from the daemon. Three netlink sockets:
 *  - ctrl: the generic netlink controller's "notify" group, which announces
 *    every family registered or removed: the module's load and unload;
 *  - req:  prezero-nl handle for requests (dump, set-node);
 *  - ev:   prezero-nl handle subscribed to the module's "events" group.
 * The ctrl socket is joined before the first open attempt, so a load that
 * races with the daemon's start is never missed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/genetlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "log.h"
#include "module.h"

struct pzd_module {
	sd_event *event;
	pzd_module_cb cb;
	void *userdata;

	struct nl_sock *ctrl;
	sd_event_source *ctrl_src;

	struct pz_nl *req;
	struct pz_nl *ev;
	sd_event_source *ev_src;
	struct pz_caps caps;
	char reason[PZ_ERR_MSG_LEN + 64];
};

static void module_close(struct pzd_module *m)
{
	m->ev_src = sd_event_source_disable_unref(m->ev_src);
	pz_nl_close(m->ev);
	pz_nl_close(m->req);
	m->ev = NULL;
	m->req = NULL;
}

static void set_reason(struct pzd_module *m, const char *what,
		       const struct pz_err *e)
{
	char buf[PZ_ERR_MSG_LEN + 32];

	if (e->err == -ENOENT)
		snprintf(m->reason, sizeof(m->reason), "module not loaded");
	else
		snprintf(m->reason, sizeof(m->reason), "%s: %s", what,
			 pz_err_str(e, buf, sizeof(buf)));
}

static int on_event(sd_event_source *s, int fd, uint32_t revents, void *ud)
{
	struct pzd_module *m = ud;
	struct pz_event ev;
	struct pz_err e;
	int ret;

	(void)s;
	(void)fd;
	(void)revents;
	/* Drain what is there; the handle queues events read meanwhile. */
	for (;;) {
		ret = pz_nl_recv_event(m->ev, &ev, 0, &e);
		if (ret == -ENOBUFS) {
			m->cb(m, PZD_MODULE_EVENTS_LOST, NULL, m->userdata);
			continue;
		}
		if (ret < 0)
			break;
		m->cb(m, PZD_MODULE_EVENT, &ev, m->userdata);
		if (!m->ev)	/* the callback saw the module go */
			return 0;
	}
	if (ret != -ETIMEDOUT && ret != -EINTR && ret != -EAGAIN)
		log_debug("module events: %s", strerror(-ret));
	return 0;
}

/* Open both handles if the family exists. Returns true when it is loaded. */
static bool module_open(struct pzd_module *m)
{
	struct pz_err e;
	int ret;

	if (m->req)
		return true;
	ret = pz_nl_open(&m->req, &e);
	if (ret < 0) {
		set_reason(m, "cannot open the prezero family", &e);
		return false;
	}
	/* A daemon must not stall on the kernel: replies come at once. */
	pz_nl_set_timeout(m->req, 5000);
	ret = pz_nl_get_caps(m->req, &m->caps, &e);
	if (ret < 0) {
		set_reason(m, "get-caps", &e);
		goto err;
	}
	ret = pz_nl_open(&m->ev, &e);
	if (ret == 0)
		ret = pz_nl_subscribe(m->ev, &e);
	if (ret < 0) {
		set_reason(m, "cannot subscribe to the module's events", &e);
		goto err;
	}
	ret = sd_event_add_io(m->event, &m->ev_src, pz_nl_fd(m->ev), EPOLLIN,
			      on_event, m);
	if (ret < 0) {
		e.err = ret;
		e.msg[0] = 0;
		set_reason(m, "sd_event_add_io", &e);
		goto err;
	}
	m->reason[0] = 0;
	return true;
err:
	module_close(m);
	return false;
}

static void module_gone(struct pzd_module *m, const char *why)
{
	if (!m->req)
		return;
	module_close(m);
	snprintf(m->reason, sizeof(m->reason), "%s", why);
	m->cb(m, PZD_MODULE_UNLOADED, NULL, m->userdata);
}

static void module_appeared(struct pzd_module *m)
{
	if (m->req)
		return;
	if (module_open(m))
		m->cb(m, PZD_MODULE_LOADED, NULL, m->userdata);
	else
		log_warning("prezero family appeared but cannot be used: %s",
			    m->reason);
}

/* Re-learn the truth after lost notifications or a failed request. */
static void module_resync(struct pzd_module *m)
{
	struct pz_nl *probe;
	struct pz_err e;

	if (pz_nl_open(&probe, &e) == 0) {
		pz_nl_close(probe);
		/* Reopen: the family may have been replaced (new ids). */
		module_gone(m, "module reloaded");
		module_appeared(m);
	} else if (e.err == -ENOENT) {
		module_gone(m, "module not loaded");
	}
}

static int ctrl_valid(struct nl_msg *msg, void *arg)
{
	struct pzd_module *m = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct genlmsghdr *gnlh = nlmsg_data(nlh);
	struct nlattr *tb[CTRL_ATTR_MAX + 1];
	const char *name;

	if (genlmsg_parse(nlh, 0, tb, CTRL_ATTR_MAX, NULL) < 0 ||
	    !tb[CTRL_ATTR_FAMILY_NAME])
		return NL_OK;
	name = nla_get_string(tb[CTRL_ATTR_FAMILY_NAME]);
	if (strcmp(name, PREZERO_FAMILY_NAME))
		return NL_OK;
	if (gnlh->cmd == CTRL_CMD_NEWFAMILY) {
		log_info("prezero module loaded");
		module_appeared(m);
	} else if (gnlh->cmd == CTRL_CMD_DELFAMILY) {
		log_info("prezero module unloaded");
		module_gone(m, "module not loaded");
	}
	return NL_OK;
}

static int on_ctrl(sd_event_source *s, int fd, uint32_t revents, void *ud)
{
	struct pzd_module *m = ud;
	int ret;

	(void)s;
	(void)fd;
	(void)revents;
	ret = nl_recvmsgs_default(m->ctrl);
	if (ret == -NLE_NOMEM) {
		/* Overrun (ENOBUFS): notifications were lost. */
		log_notice("generic netlink notifications lost, resyncing");
		module_resync(m);
	} else if (ret < 0 && ret != -NLE_AGAIN) {
		log_debug("controller socket: %s", nl_geterror(ret));
	}
	return 0;
}

static int ctrl_open(struct pzd_module *m)
{
	int grp, ret;

	m->ctrl = nl_socket_alloc();
	if (!m->ctrl)
		return -ENOMEM;
	ret = genl_connect(m->ctrl);
	if (ret < 0)
		return -EPROTO;
	grp = genl_ctrl_resolve_grp(m->ctrl, "nlctrl", "notify");
	if (grp < 0)
		return -EPROTO;
	ret = nl_socket_add_membership(m->ctrl, grp);
	if (ret < 0)
		return -EPROTO;
	/* Notifications carry no sequence numbers of ours. */
	nl_socket_disable_seq_check(m->ctrl);
	nl_socket_modify_cb(m->ctrl, NL_CB_VALID, NL_CB_CUSTOM, ctrl_valid, m);
	ret = nl_socket_set_nonblocking(m->ctrl);
	if (ret < 0)
		return -EPROTO;
	return sd_event_add_io(m->event, &m->ctrl_src,
			       nl_socket_get_fd(m->ctrl), EPOLLIN, on_ctrl, m);
}

int pzd_module_new(sd_event *e, pzd_module_cb cb, void *userdata,
		   struct pzd_module **out)
{
	struct pzd_module *m;
	int ret;

	*out = NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->event = e;
	m->cb = cb;
	m->userdata = userdata;
	snprintf(m->reason, sizeof(m->reason), "module not loaded");
	ret = ctrl_open(m);
	if (ret < 0) {
		pzd_module_free(m);
		return ret;
	}
	*out = m;
	/* Absent at start is the normal degraded case, not a warning. */
	if (module_open(m))
		m->cb(m, PZD_MODULE_LOADED, NULL, m->userdata);
	return 0;
}

void pzd_module_free(struct pzd_module *m)
{
	if (!m)
		return;
	module_close(m);
	sd_event_source_disable_unref(m->ctrl_src);
	nl_socket_free(m->ctrl);
	free(m);
}

bool pzd_module_loaded(const struct pzd_module *m)
{
	return m->req != NULL;
}

const char *pzd_module_reason(const struct pzd_module *m)
{
	return m->req ? "" : m->reason;
}

const struct pz_caps *pzd_module_caps(const struct pzd_module *m)
{
	return &m->caps;
}

/* A request failed: if the family is gone, say so at once rather than
 * waiting for the notification. */
static int request_failed(struct pzd_module *m, int ret)
{
	if (ret == -ENOENT || ret == -EOPNOTSUPP)
		module_resync(m);
	return ret;
}

int pzd_module_dump(struct pzd_module *m, struct pz_node **nodes, size_t *n,
		    struct pz_err *err)
{
	int ret;

	*nodes = NULL;
	*n = 0;
	if (!m->req)
		return -ENOENT;
	ret = pz_nl_dump_nodes_array(m->req, nodes, n, err);
	return ret < 0 ? request_failed(m, ret) : 0;
}

int pzd_module_set_budget(struct pzd_module *m, unsigned int node,
			  uint64_t rate, uint64_t burst, struct pz_err *err)
{
	struct pz_node_set set = {
		.id = node,
		.flags = PZ_SET_ENABLED | PZ_SET_RATE | PZ_SET_BURST,
		.enabled = true,
		.budget_rate = rate,
		.budget_burst = burst,
	};
	int ret;

	if (!m->req)
		return -ENOENT;
	ret = pz_nl_set_node(m->req, &set, NULL, err);
	return ret < 0 ? request_failed(m, ret) : 0;
}
