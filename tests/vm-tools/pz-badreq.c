// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/*
 * pz-badreq: send malformed requests to the prezero family and check the
 * kernel's answers (run as root inside the test VM, module loaded).
 *
 *   pz-badreq [--node N]            malformed requests (needs CAP_NET_ADMIN)
 *   pz-badreq --unpriv [--node N]   drop to uid/gid 65534 without
 *                                   capabilities: set-node and verify must
 *                                   fail with EPERM, get-caps and a get-node
 *                                   dump must still work
 *
 * One line per case: "ok CASE # detail" or "not ok CASE: why". For every
 * case the errno, the extended ACK message and the reference node's state
 * (enabled, budget-rate, budget-burst) afterwards are checked.
 * Exit status: 0 all ok, 1 a case failed, 2 usage, 3 module not loaded.
 */
#define _GNU_SOURCE	/* setresuid, setresgid */
#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include "nl.h"

#define UNPRIV_ID 65534
#define UNKNOWN_CMD 0xf0

static struct pz_nl *nl;
static uint32_t ref_node;
static struct pz_node baseline;
static int ncases, nfailed;

static const char *errname(int neg)
{
	static char buf[32];

	switch (-neg) {
	case 0: return "success";
	case EINVAL: return "EINVAL";
	case ERANGE: return "ERANGE";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EPERM: return "EPERM";
	case EACCES: return "EACCES";
	case ENOENT: return "ENOENT";
	case ENODEV: return "ENODEV";
	case E2BIG: return "E2BIG";
	case EMSGSIZE: return "EMSGSIZE";
	case EPROTO: return "EPROTO";
	case ETIMEDOUT: return "ETIMEDOUT";
	case ENOMEM: return "ENOMEM";
	case EBUSY: return "EBUSY";
	default:
		snprintf(buf, sizeof(buf), "errno %d", -neg);
		return buf;
	}
}

__attribute__((format(printf, 2, 3)))
static void result(const char *name, const char *fail_fmt, ...)
{
	ncases++;
	if (!fail_fmt)
		return;
	nfailed++;
	va_list ap;

	printf("not ok %s: ", name);
	va_start(ap, fail_fmt);
	vprintf(fail_fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void pass(const char *name, const char *detail)
{
	ncases++;
	printf("ok %s%s%s\n", name, detail && *detail ? " # " : "",
	       detail ? detail : "");
	fflush(stdout);
}

/* "" if the reference node is as before, else why not. */
static const char *state_changed(char *buf, size_t len)
{
	struct pz_node now;
	struct pz_err e;
	char eb[PZ_ERR_MSG_LEN + 64];

	if (pz_nl_get_node(nl, ref_node, &now, &e) < 0) {
		snprintf(buf, len, "get-node %u afterwards failed: %s", ref_node,
			 pz_err_str(&e, eb, sizeof(eb)));
		return buf;
	}
	if (now.enabled != baseline.enabled ||
	    now.budget_rate != baseline.budget_rate ||
	    now.budget_burst != baseline.budget_burst) {
		snprintf(buf, len,
			 "node %u changed: enabled %u->%u rate %llu->%llu burst %llu->%llu",
			 ref_node, baseline.enabled, now.enabled,
			 (unsigned long long)baseline.budget_rate,
			 (unsigned long long)now.budget_rate,
			 (unsigned long long)baseline.budget_burst,
			 (unsigned long long)now.budget_burst);
		return buf;
	}
	return "";
}

static struct nl_msg *req(uint8_t cmd, int flags)
{
	struct nl_msg *m = pz_nl_msg_new(nl, cmd, flags);

	if (!m) {
		fprintf(stderr, "pz-badreq: out of memory\n");
		exit(1);
	}
	return m;
}

enum msg_rule { MSG_REQUIRED, MSG_OPTIONAL };

/*
 * Send m (freed here), expect errno want or want2 (0: only want), the
 * extack message per rule, a missing-attribute report naming miss (if the
 * kernel sends one; 0: none expected) and the reference node unchanged.
 */
static void expect_miss(const char *name, struct nl_msg *m, int want,
			int want2, enum msg_rule rule, uint32_t miss)
{
	char detail[PZ_ERR_MSG_LEN + 128], st[256], extra[64] = "";
	unsigned int replies = 0;
	struct pz_err e;
	const char *changed;
	int r;

	r = pz_nl_send_raw(nl, m, &replies, &e);
	nlmsg_free(m);
	changed = state_changed(st, sizeof(st));
	if (e.has_miss_type)
		snprintf(extra, sizeof(extra), ", missing attribute %u",
			 e.miss_type);

	if (r != want && (!want2 || r != want2)) {
		result(name, "got %s, want %s%s%s (extack \"%s\"%s, %u replies)%s%s",
		       errname(r), errname(want), want2 ? " or " : "",
		       want2 ? errname(want2) : "", e.msg, extra, replies,
		       *changed ? "; " : "", changed);
		return;
	}
	if (rule == MSG_REQUIRED && !e.msg[0]) {
		result(name, "%s but no extack message%s%s%s", errname(r), extra,
		       *changed ? "; " : "", changed);
		return;
	}
	if (miss && e.has_miss_type && e.miss_type != miss) {
		result(name, "%s names missing attribute %u, want %u", errname(r),
		       e.miss_type, miss);
		return;
	}
	if (*changed) {
		result(name, "%s", changed);
		return;
	}
	if (e.msg[0])
		snprintf(detail, sizeof(detail), "%s, extack \"%s\"%s",
			 errname(r), e.msg, extra);
	else
		snprintf(detail, sizeof(detail), "%s, no extack message%s",
			 errname(r), extra);
	pass(name, detail);
}

static void expect(const char *name, struct nl_msg *m, int want, int want2,
		   enum msg_rule rule)
{
	expect_miss(name, m, want, want2, rule, 0);
}

/* Expect success with at least min_replies reply messages. */
static void expect_ok(const char *name, struct nl_msg *m,
		      unsigned int min_replies)
{
	char eb[PZ_ERR_MSG_LEN + 64], st[256], detail[64];
	unsigned int replies = 0;
	struct pz_err e;
	const char *changed;
	int r;

	r = pz_nl_send_raw(nl, m, &replies, &e);
	nlmsg_free(m);
	changed = state_changed(st, sizeof(st));
	if (r < 0) {
		result(name, "failed: %s", pz_err_str(&e, eb, sizeof(eb)));
		return;
	}
	if (replies < min_replies) {
		result(name, "%u replies, want at least %u", replies,
		       min_replies);
		return;
	}
	if (*changed) {
		result(name, "%s", changed);
		return;
	}
	snprintf(detail, sizeof(detail), "%u repl%s", replies,
		 replies == 1 ? "y" : "ies");
	pass(name, detail);
}

static struct nl_msg *set_node(bool with_id)
{
	struct nl_msg *m = req(PREZERO_CMD_SET_NODE, 0);

	if (with_id)
		nla_put_u32(m, PREZERO_A_NODE_ID, ref_node);
	return m;
}

static void malformed_cases(void)
{
	struct nl_msg *m;
	uint32_t u32 = 1;
	uint16_t u16 = 0;

	/* wrong lengths */
	m = set_node(true);
	nla_put(m, PREZERO_A_NODE_BUDGET_RATE, sizeof(u32), &u32);
	expect("set-node-rate-u32", m, -EINVAL, 0, MSG_REQUIRED);

	m = set_node(false);
	nla_put(m, PREZERO_A_NODE_ID, sizeof(u16), &u16);
	nla_put_u8(m, PREZERO_A_NODE_ENABLED, baseline.enabled);
	expect("set-node-id-u16", m, -EINVAL, 0, MSG_REQUIRED);

	/* missing node id */
	m = set_node(false);
	nla_put_u64(m, PREZERO_A_NODE_BUDGET_RATE, 1 << 20);
	expect_miss("set-node-no-id", m, -EINVAL, 0, MSG_REQUIRED,
		    PREZERO_A_NODE_ID);

	/* node ids: no such node, then beyond the policy maximum */
	m = req(PREZERO_CMD_SET_NODE, 0);
	nla_put_u32(m, PREZERO_A_NODE_ID, 4096);
	nla_put_u8(m, PREZERO_A_NODE_ENABLED, 1);
	expect("set-node-id-4096", m, -EINVAL, -ERANGE, MSG_REQUIRED);

	m = req(PREZERO_CMD_SET_NODE, 0);
	nla_put_u32(m, PREZERO_A_NODE_ID, 0x10000);
	nla_put_u8(m, PREZERO_A_NODE_ENABLED, 1);
	expect("set-node-id-0x10000", m, -ERANGE, 0, MSG_REQUIRED);

	m = req(PREZERO_CMD_GET_NODE, 0);
	nla_put_u32(m, PREZERO_A_NODE_ID, 4096);
	expect("get-node-id-4096", m, -EINVAL, -ERANGE, MSG_REQUIRED);

	/* values out of range */
	m = set_node(true);
	nla_put_u64(m, PREZERO_A_NODE_BUDGET_RATE, UINT64_C(1) << 62);
	expect("set-node-rate-2^62", m, -ERANGE, 0, MSG_REQUIRED);

	m = set_node(true);
	nla_put_u64(m, PREZERO_A_NODE_BUDGET_BURST, PREZERO_BUDGET_MAX + 1);
	expect("set-node-burst-max+1", m, -ERANGE, 0, MSG_REQUIRED);

	m = set_node(true);
	nla_put_u8(m, PREZERO_A_NODE_ENABLED, 2);
	expect("set-node-enabled-2", m, -ERANGE, 0, MSG_REQUIRED);

	/* a valid change together with a bad attribute changes nothing */
	m = set_node(true);
	nla_put_u8(m, PREZERO_A_NODE_ENABLED, !baseline.enabled);
	nla_put_u64(m, PREZERO_A_NODE_BUDGET_BURST, UINT64_C(1) << 62);
	expect("set-node-partly-valid", m, -ERANGE, 0, MSG_REQUIRED);

	/* attributes the operation does not take */
	m = set_node(true);
	nla_put_u32(m, PREZERO_A_NODE_MAX + 1, 1);
	expect("set-node-unknown-attr", m, -EINVAL, 0, MSG_REQUIRED);

	m = set_node(true);
	nla_put_u64(m, PREZERO_A_NODE_ZERO_NS, 1);
	expect("set-node-zero-ns", m, -EINVAL, 0, MSG_REQUIRED);

	m = req(PREZERO_CMD_GET_CAPS, 0);
	nla_put_string(m, PREZERO_A_CAPS_RELEASE, "6.1");
	expect("get-caps-stray-attr", m, -EINVAL, 0, MSG_REQUIRED);

	m = req(PREZERO_CMD_GET_CAPS, 0);
	nla_put_u32(m, PREZERO_A_CAPS_MAX + 1, 1);
	expect("get-caps-unknown-attr", m, -EINVAL, 0, MSG_REQUIRED);

	/* verify */
	m = req(PREZERO_CMD_VERIFY, 0);
	nla_put_u32(m, PREZERO_A_VERIFY_NODE, ref_node);
	nla_put_u32(m, PREZERO_A_VERIFY_SAMPLES, 0);
	expect("verify-samples-0", m, -ERANGE, 0, MSG_REQUIRED);

	m = req(PREZERO_CMD_VERIFY, 0);
	nla_put_u32(m, PREZERO_A_VERIFY_NODE, ref_node);
	nla_put_u32(m, PREZERO_A_VERIFY_SAMPLES, PREZERO_VERIFY_MAX_SAMPLES + 1);
	expect("verify-samples-65", m, -ERANGE, 0, MSG_REQUIRED);

	m = req(PREZERO_CMD_VERIFY, 0);
	nla_put_u32(m, PREZERO_A_VERIFY_SAMPLES, 1);
	expect_miss("verify-no-node", m, -EINVAL, 0, MSG_REQUIRED,
		    PREZERO_A_VERIFY_NODE);

	m = req(PREZERO_CMD_VERIFY, 0);
	nla_put_u32(m, PREZERO_A_VERIFY_NODE, 4096);
	expect("verify-node-4096", m, -EINVAL, -ERANGE, MSG_REQUIRED);

	/* commands: unknown, the event command, a dump of a do-only op.
	 * The genetlink core rejects these without an extack message. */
	m = req(UNKNOWN_CMD, 0);
	expect("unknown-cmd", m, -EOPNOTSUPP, 0, MSG_OPTIONAL);

	m = req(PREZERO_CMD_EVENT, 0);
	expect("event-cmd", m, -EOPNOTSUPP, 0, MSG_OPTIONAL);

	m = req(PREZERO_CMD_GET_CAPS, NLM_F_DUMP);
	expect("get-caps-dump", m, -EOPNOTSUPP, 0, MSG_OPTIONAL);

	/* and the well-formed requests still work */
	expect_ok("get-caps", req(PREZERO_CMD_GET_CAPS, 0), 1);
	expect_ok("get-node-dump", req(PREZERO_CMD_GET_NODE, NLM_F_DUMP), 1);
}

static bool has_net_admin(bool *known)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
		.pid = 0,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	memset(data, 0, sizeof(data));
	*known = syscall(SYS_capget, &hdr, data) == 0;
	if (!*known)
		return true;
	return (data[CAP_NET_ADMIN / 32].effective |
		data[CAP_NET_ADMIN / 32].permitted) &
	       (1u << (CAP_NET_ADMIN % 32));
}

static bool drop_privileges(void)
{
	bool known;
	int cap;

	if (geteuid() == 0 || getuid() == 0) {
		/* The bounding set first (needs CAP_SETPCAP), then ids: the
		 * kernel clears the capability sets on the uid change. */
		for (cap = 0; cap < 64; cap++)
			if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 &&
			    errno == EINVAL)
				break;
		if (setgroups(0, NULL) < 0 ||
		    setresgid(UNPRIV_ID, UNPRIV_ID, UNPRIV_ID) < 0 ||
		    setresuid(UNPRIV_ID, UNPRIV_ID, UNPRIV_ID) < 0) {
			result("drop-privileges", "%s", strerror(errno));
			return false;
		}
	}
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	if (has_net_admin(&known)) {
		result("drop-privileges", "CAP_NET_ADMIN still held%s",
		       known ? "" : " (capget failed)");
		return false;
	}
	char detail[64];

	snprintf(detail, sizeof(detail), "uid %u gid %u, no CAP_NET_ADMIN",
		 (unsigned int)getuid(), (unsigned int)getgid());
	pass("drop-privileges", detail);
	return true;
}

static void unpriv_cases(void)
{
	struct nl_msg *m;

	m = set_node(true);
	nla_put_u8(m, PREZERO_A_NODE_ENABLED, baseline.enabled);
	expect("unpriv-set-node", m, -EPERM, 0, MSG_OPTIONAL);

	m = set_node(true);
	nla_put_u8(m, PREZERO_A_NODE_ENABLED, !baseline.enabled);
	nla_put_u64(m, PREZERO_A_NODE_BUDGET_RATE, 0);
	expect("unpriv-set-node-change", m, -EPERM, 0, MSG_OPTIONAL);

	m = req(PREZERO_CMD_VERIFY, 0);
	nla_put_u32(m, PREZERO_A_VERIFY_NODE, ref_node);
	nla_put_u32(m, PREZERO_A_VERIFY_SAMPLES, 1);
	expect("unpriv-verify", m, -EPERM, 0, MSG_OPTIONAL);

	expect_ok("unpriv-get-caps", req(PREZERO_CMD_GET_CAPS, 0), 1);
	expect_ok("unpriv-get-node-dump",
		  req(PREZERO_CMD_GET_NODE, NLM_F_DUMP), 1);
	m = req(PREZERO_CMD_GET_NODE, 0);
	nla_put_u32(m, PREZERO_A_NODE_ID, ref_node);
	expect_ok("unpriv-get-node", m, 1);
}

static int usage(void)
{
	fprintf(stderr, "usage: pz-badreq [--unpriv] [--node N]\n");
	return 2;
}

int main(int argc, char **argv)
{
	char eb[PZ_ERR_MSG_LEN + 64];
	bool unpriv = false;
	struct pz_err e;
	int i, r;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--unpriv")) {
			unpriv = true;
		} else if (!strcmp(argv[i], "--node") && i + 1 < argc) {
			char *end;
			unsigned long v = strtoul(argv[++i], &end, 10);

			if (*end || !*argv[i] || v > 0xffff)
				return usage();
			ref_node = (uint32_t)v;
		} else {
			return usage();
		}
	}
	if (unpriv && !drop_privileges())
		goto out;

	r = pz_nl_open(&nl, &e);
	if (r == -ENOENT) {
		fprintf(stderr, "pz-badreq: prezero module not loaded\n");
		return 3;
	}
	if (r < 0) {
		fprintf(stderr, "pz-badreq: %s\n", pz_err_str(&e, eb, sizeof(eb)));
		return 1;
	}
	if (pz_nl_get_node(nl, ref_node, &baseline, &e) < 0) {
		result("baseline", "get-node %u: %s", ref_node,
		       pz_err_str(&e, eb, sizeof(eb)));
		pz_nl_close(nl);
		goto out;
	}
	printf("# node %u: enabled %u, budget-rate %llu, budget-burst %llu\n",
	       ref_node, baseline.enabled,
	       (unsigned long long)baseline.budget_rate,
	       (unsigned long long)baseline.budget_burst);
	if (unpriv)
		unpriv_cases();
	else
		malformed_cases();
	pz_nl_close(nl);
out:
	printf("# %d case%s, %d failed\n", ncases, ncases == 1 ? "" : "s",
	       nfailed);
	return nfailed ? 1 : 0;
}
