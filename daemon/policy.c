// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

static const char *const state_names[] = {
	[PZD_NODE_GRANTED] = "granted",
	[PZD_NODE_SETTLING] = "settling",
	[PZD_NODE_BUSY] = "busy",
	[PZD_NODE_PRESSURE] = "pressure",
	[PZD_NODE_LOW_FREE] = "low-free",
	[PZD_NODE_DISABLED] = "disabled",
	[PZD_NODE_NO_MODULE] = "no-module",
	[PZD_NODE_NO_DATA] = "no-data",
};

const char *pzd_node_state_name(enum pzd_node_state s)
{
	if ((unsigned int)s >= sizeof(state_names) / sizeof(state_names[0]) ||
	    !state_names[s])
		return "unknown";
	return state_names[s];
}

void pzd_policy_cap(const struct pzd_config *c, unsigned int node,
		    const struct pzd_override *o, bool *enabled,
		    uint64_t *rate, uint64_t *burst)
{
	bool en;
	uint64_t r, b;

	pzd_config_node_cap(c, node, &en, &r, &b);
	if (o) {
		if (o->has_enabled)
			en = o->enabled;
		/*
		 * A burst from the config was sized for the config's rate: an
		 * override rate brings its own default burst unless the
		 * override sets one too.
		 */
		if (o->has_rate || o->has_burst) {
			if (o->has_rate)
				r = o->rate;
			b = pzd_default_burst(r, o->has_burst ? o->burst : 0);
		}
	}
	*enabled = en;
	*rate = r;
	*burst = b;
}

/*
 * A percentage for a reason sentence, with at least prec decimals and as
 * many more as keep it on the right side of the threshold it is compared
 * with: 89.96 must not read "90% idle (< 90%)".
 */
static void fmt_pct(char *buf, size_t len, double v, double threshold,
		    int prec)
{
	for (; prec < 3; prec++) {
		snprintf(buf, len, "%.*f", prec, v);
		if ((strtod(buf, NULL) < threshold) == (v < threshold) &&
		    (strtod(buf, NULL) > threshold) == (v > threshold))
			return;
	}
	/* Closer than that: two decimals rounded away from the threshold. */
	snprintf(buf, len, "%.2f",
		 v < threshold ? floor(v * 100) / 100 : ceil(v * 100) / 100);
}

/* Tenths of a second, rounded down (elapsed) or up (still to wait). */
static double secs_down(uint64_t ms)
{
	return (double)(ms / 100) / 10.0;
}

static double secs_up(uint64_t ms)
{
	return (double)(ms / 100 + (ms % 100 != 0)) / 10.0;
}

__attribute__((format(printf, 3, 4)))
static void decide(struct pzd_budget *out, enum pzd_node_state state,
		   const char *fmt, ...)
{
	va_list ap;

	out->state = state;
	va_start(ap, fmt);
	vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
	va_end(ap);
}

/*
 * "above max" written so that NaN counts as above: a reading we cannot
 * make sense of must not grant budget.
 */
static bool above(double v, double max)
{
	return !(v <= max);
}

void pzd_policy_decide(const struct pzd_config *c, unsigned int node,
		       const struct pzd_override *o, uint64_t now_ms,
		       const struct pzd_sys_sample *sys,
		       const struct pzd_node_sample *ns,
		       struct pzd_policy_state *st, struct pzd_budget *out)
{
	bool enabled, cpu_busy = false, psi = sys->psi_valid;
	uint64_t elapsed = 0;
	char v[32];

	memset(out, 0, sizeof(*out));
	pzd_policy_cap(c, node, o, &enabled, &out->cap_rate, &out->cap_burst);

	/*
	 * The idle clock follows the CPU sample on every round, whatever
	 * rule decides below, so a node that stayed idle while disabled or
	 * under memory pressure is granted as soon as that ends.
	 */
	if (ns->cpu_valid) {
		cpu_busy = !(ns->idle_pct >= c->idle_min_pct) ||
			   (psi && above(sys->cpu_some_avg10, c->psi_cpu_max));
		if (cpu_busy) {
			st->idle = false;
		} else if (!st->idle || now_ms < st->idle_since_ms) {
			/* newly idle, or the clock went back: start over */
			st->idle = true;
			st->idle_since_ms = now_ms;
		}
		if (st->idle)
			elapsed = now_ms - st->idle_since_ms;
	} else {
		st->idle = false;
	}

	if (!enabled) {
		if (o && o->has_enabled)
			decide(out, PZD_NODE_DISABLED, "disabled by override");
		else
			decide(out, PZD_NODE_DISABLED, "disabled in config");
		return;
	}
	if (!ns->cpu_valid) {
		decide(out, PZD_NODE_NO_DATA, "waiting for a second CPU sample");
		return;
	}
	/* A trigger that fired is a fact even when the averages are not. */
	if (now_ms < sys->pressure_until_ms) {
		decide(out, PZD_NODE_PRESSURE,
		       "memory pressure trigger, %.1f s left",
		       secs_up(sys->pressure_until_ms - now_ms));
		return;
	}
	if (psi && above(sys->memory_some_avg10, c->psi_memory_max)) {
		fmt_pct(v, sizeof(v), sys->memory_some_avg10, c->psi_memory_max,
			1);
		decide(out, PZD_NODE_PRESSURE, "memory pressure %s%% (> %g%%)",
		       v, c->psi_memory_max);
		return;
	}
	if (ns->mem_valid && ns->total_bytes &&
	    (double)ns->free_bytes * 100.0 <
	    c->min_free_pct * (double)ns->total_bytes) {
		double pct = (double)ns->free_bytes * 100.0 /
			     (double)ns->total_bytes;

		fmt_pct(v, sizeof(v), pct, c->min_free_pct, 1);
		decide(out, PZD_NODE_LOW_FREE,
		       "free %s%% of node memory (< %g%%)", v, c->min_free_pct);
		return;
	}
	if (cpu_busy) {
		if (!(ns->idle_pct >= c->idle_min_pct)) {
			fmt_pct(v, sizeof(v), ns->idle_pct, c->idle_min_pct, 0);
			decide(out, PZD_NODE_BUSY, "CPUs %s%% idle (< %g%%)", v,
			       c->idle_min_pct);
		} else {
			fmt_pct(v, sizeof(v), sys->cpu_some_avg10,
				c->psi_cpu_max, 1);
			decide(out, PZD_NODE_BUSY, "cpu pressure %s%% (> %g%%)",
			       v, c->psi_cpu_max);
		}
		return;
	}
	fmt_pct(v, sizeof(v), ns->idle_pct, c->idle_min_pct, 0);
	if (elapsed < c->idle_after_ms && !ns->priority) {
		decide(out, PZD_NODE_SETTLING, "idle %s%%, granting in %.1f s",
		       v, secs_up(c->idle_after_ms - elapsed));
		return;
	}
	out->rate = out->cap_rate;
	out->burst = out->cap_burst;
	decide(out, PZD_NODE_GRANTED, "idle %s%% for %.1f s%s", v,
	       secs_down(elapsed), out->rate ? "" : "; cap is 0");
}
