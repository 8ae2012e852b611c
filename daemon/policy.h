/* SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause */
/*
 * The zeroing policy: a pure function from one round of samples, the config
 * and the node's previous policy state to the node's budget. No I/O, no
 * clock: the caller passes now_ms. Unit-tested in tests/unit/test_policy.c.
 *
 * Rules, in order (the first that applies decides):
 *   disabled  - the node is disabled by config or override: budget 0
 *   no-data   - no CPU sample yet for the node: budget 0
 *   pressure  - a memory PSI trigger fired less than pressure_hold_ms ago,
 *               or memory "some" avg10 > psi_memory_max: budget 0
 *   low-free  - the node's free memory < min_free_pct of its total: budget 0
 *   busy      - the node's CPUs idle < idle_min_pct (the caller's share over
 *               its last two samples), or
 *               cpu "some" avg10 > psi_cpu_max: budget 0 (at once: one busy
 *               sample is enough, so budget goes within one interval)
 *   settling  - idle, but for less than idle_after_ms: budget 0
 *   granted   - idle for idle_after_ms: the node's cap (rate, burst)
 * A busy node never gets budget; an idle one always gets its full cap.
 *
 * Boundaries: idle means idle_pct >= idle_min_pct; pressure and busy need
 * avg10 strictly > the max; low-free is free < min_free_pct% of total
 * (exactly at a threshold is fine); granted once now - idle_since >=
 * idle_after_ms (so idle_after_ms 0 grants on the first idle sample). A NaN
 * reading counts as busy / pressure.
 * The idle clock (st) follows the busy rule on every round that has a CPU
 * sample, whichever rule decides: one busy sample stops it, a round without
 * a CPU sample stops it, now_ms going backwards restarts it (never grants
 * early). A node that stayed idle while disabled or under pressure is
 * granted as soon as that ends.
 * sys->psi_valid false: the avg10 rules are skipped; a fired trigger
 * (pressure_until_ms) still holds. ns->mem_valid false or total 0: the
 * low-free rule is skipped.
 * A granted node with cap rate 0 is "granted" with budget 0 ("; cap is 0").
 */
#ifndef PREZEROD_POLICY_H
#define PREZEROD_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"

enum pzd_node_state {
	PZD_NODE_GRANTED,
	PZD_NODE_SETTLING,
	PZD_NODE_BUSY,
	PZD_NODE_PRESSURE,
	PZD_NODE_LOW_FREE,
	PZD_NODE_DISABLED,
	PZD_NODE_NO_MODULE,	/* set by the daemon, never by the policy */
	PZD_NODE_NO_DATA,
};

/* Runtime overrides (prezeroctl node ...): what is set wins over config. */
struct pzd_override {
	bool has_enabled, has_rate, has_burst;
	bool enabled;
	uint64_t rate;
	uint64_t burst;		/* 0 = default rule from the rate */
};

/* System-wide pressure (PSI is not per node). */
struct pzd_sys_sample {
	bool psi_valid;		/* false: no /proc/pressure (PSI off) */
	double cpu_some_avg10;	/* percent */
	double memory_some_avg10;
	double memory_full_avg10;
	uint64_t pressure_until_ms;	/* trigger fired: no budget before this */
};

struct pzd_node_sample {
	bool cpu_valid;		/* idle_pct is from two /proc/stat readings */
	double idle_pct;	/* share of the node's CPU time idle, 0..100 */
	bool mem_valid;
	uint64_t free_bytes;
	uint64_t total_bytes;
	bool priority;		/* vm-prepare: grant without idle_after_ms */
};

/* Kept by the caller per node between rounds; zero-initialise. */
struct pzd_policy_state {
	bool idle;		/* the previous round found the node idle */
	uint64_t idle_since_ms;
};

struct pzd_budget {
	enum pzd_node_state state;
	uint64_t rate;		/* bytes/s given to the module */
	uint64_t burst;		/* bytes */
	uint64_t cap_rate;	/* the node's effective cap, for status */
	uint64_t cap_burst;
	char reason[128];	/* one human sentence: "CPUs 12% idle (< 90%)" */
};

/* o may be NULL (no override). */
void pzd_policy_decide(const struct pzd_config *c, unsigned int node,
		       const struct pzd_override *o, uint64_t now_ms,
		       const struct pzd_sys_sample *sys,
		       const struct pzd_node_sample *ns,
		       struct pzd_policy_state *st, struct pzd_budget *out);

/* The effective cap with an override applied: pzd_config_node_cap(), then
 * what the override sets. An override rate or burst resolves the burst
 * afresh: pzd_default_burst(rate, override burst or 0), i.e. an override
 * rate without an override burst (or with burst 0) gets the default rule
 * from the override rate, never the config's burst; an override burst 0
 * alone gets the default rule from the config's rate. */
void pzd_policy_cap(const struct pzd_config *c, unsigned int node,
		    const struct pzd_override *o, bool *enabled,
		    uint64_t *rate, uint64_t *burst);

/* "granted", "settling", ... as in proto/control.md. */
const char *pzd_node_state_name(enum pzd_node_state s);

#endif
