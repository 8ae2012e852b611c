// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/* The zeroing policy (daemon/policy.c): rules, their order, hysteresis. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "policy.h"

#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)
#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static struct pzd_config cfg;

static void setup(void)
{
	pzd_config_defaults(&cfg);
}

/* An idle machine with no pressure and plenty of free memory. */
static struct pzd_sys_sample calm(void)
{
	struct pzd_sys_sample s = { .psi_valid = true };

	return s;
}

static struct pzd_node_sample idle(double pct)
{
	struct pzd_node_sample n = {
		.cpu_valid = true, .idle_pct = pct,
		.mem_valid = true, .free_bytes = 50 * GiB,
		.total_bytes = 100 * GiB,
	};

	return n;
}

/* One round for node 0 without override. */
static struct pzd_budget round0(uint64_t now, const struct pzd_sys_sample *s,
				const struct pzd_node_sample *n,
				struct pzd_policy_state *st)
{
	struct pzd_budget b;

	memset(&b, 0x5a, sizeof(b));
	pzd_policy_decide(&cfg, 0, NULL, now, s, n, st, &b);
	return b;
}

static void assert_none(const struct pzd_budget *b)
{
	ck_assert_uint_eq(b->rate, 0);
	ck_assert_uint_eq(b->burst, 0);
}

static void assert_granted(const struct pzd_budget *b)
{
	ck_assert_msg(b->state == PZD_NODE_GRANTED, "state %s: %s",
		      pzd_node_state_name(b->state), b->reason);
	ck_assert_uint_eq(b->rate, b->cap_rate);
	ck_assert_uint_eq(b->burst, b->cap_burst);
}

static void assert_state(const struct pzd_budget *b, enum pzd_node_state s)
{
	ck_assert_msg(b->state == s, "state %s (%s), want %s",
		      pzd_node_state_name(b->state), b->reason,
		      pzd_node_state_name(s));
	if (s != PZD_NODE_GRANTED)
		assert_none(b);
}

START_TEST(state_names)
{
	static const char *const names[] = {
		[PZD_NODE_GRANTED] = "granted",
		[PZD_NODE_SETTLING] = "settling",
		[PZD_NODE_BUSY] = "busy",
		[PZD_NODE_PRESSURE] = "pressure",
		[PZD_NODE_LOW_FREE] = "low-free",
		[PZD_NODE_DISABLED] = "disabled",
		[PZD_NODE_NO_MODULE] = "no-module",
		[PZD_NODE_NO_DATA] = "no-data",
	};
	int i;

	for (i = 0; i < N(names); i++)
		ck_assert_str_eq(pzd_node_state_name(i), names[i]);
	ck_assert_str_eq(pzd_node_state_name(N(names)), "unknown");
	ck_assert_str_eq(pzd_node_state_name(-1), "unknown");
}
END_TEST

/*
 * Every combination of the conditions that deny budget: the first in the
 * documented order decides, and with none the node is granted.
 */
enum {
	C_DISABLED, C_NO_DATA, C_TRIGGER, C_MEM_PSI, C_LOW_FREE, C_IDLE_LOW,
	C_CPU_PSI, C_SETTLING, C_COUNT
};

static const struct {
	enum pzd_node_state state;
	const char *reason;
} rule[C_COUNT] = {
	[C_DISABLED] = { PZD_NODE_DISABLED, "disabled in config" },
	[C_NO_DATA] = { PZD_NODE_NO_DATA, "waiting for a second CPU sample" },
	[C_TRIGGER] = { PZD_NODE_PRESSURE,
			"memory pressure trigger, 8.2 s left" },
	[C_MEM_PSI] = { PZD_NODE_PRESSURE, "memory pressure 3.2% (> 1%)" },
	[C_LOW_FREE] = { PZD_NODE_LOW_FREE,
			 "free 1.2% of node memory (< 2%)" },
	[C_IDLE_LOW] = { PZD_NODE_BUSY, "CPUs 12% idle (< 90%)" },
	[C_CPU_PSI] = { PZD_NODE_BUSY, "cpu pressure 35.0% (> 20%)" },
	[C_SETTLING] = { PZD_NODE_SETTLING, "idle 95%, granting in 1.2 s" },
};

START_TEST(rule_order)
{
	unsigned int mask = (unsigned int)_i;
	struct pzd_sys_sample s = calm();
	struct pzd_node_sample n = idle(95);
	struct pzd_policy_state st = { .idle = true, .idle_since_ms = 1000 };
	uint64_t now = 100000;
	struct pzd_budget b;
	int first;

	if (mask & (1U << C_DISABLED))
		cfg.enabled = false;
	if (mask & (1U << C_NO_DATA))
		n.cpu_valid = false;
	if (mask & (1U << C_TRIGGER))
		s.pressure_until_ms = now + 8200;
	if (mask & (1U << C_MEM_PSI))
		s.memory_some_avg10 = 3.21;
	if (mask & (1U << C_LOW_FREE))
		n.free_bytes = n.total_bytes * 12 / 1000;
	if (mask & (1U << C_IDLE_LOW))
		n.idle_pct = 12.3;
	if (mask & (1U << C_CPU_PSI))
		s.cpu_some_avg10 = 35;
	if (mask & (1U << C_SETTLING))
		st.idle_since_ms = now - 800;

	b = round0(now, &s, &n, &st);
	ck_assert_uint_eq(b.cap_rate, 256 * MiB);
	ck_assert_uint_eq(b.cap_burst, 512 * MiB);
	for (first = 0; first < C_COUNT; first++)
		if (mask & (1U << first))
			break;
	if (first == C_COUNT) {
		assert_granted(&b);
		ck_assert_uint_eq(b.rate, 256 * MiB);
		ck_assert_str_eq(b.reason, "idle 95% for 99.0 s");
		return;
	}
	assert_state(&b, rule[first].state);
	ck_assert_str_eq(b.reason, rule[first].reason);
}
END_TEST

/* Values exactly at a threshold, and just past it. */
static const struct {
	const char *what;
	double idle_pct, cpu_psi, mem_psi;
	uint64_t free_bytes, total_bytes;
	uint64_t now, idle_since, pressure_until;
	enum pzd_node_state state;
	const char *reason;
} bounds[] = {
	{ "idle == idle_min_pct is idle", 90.0, 0, 0, 1, 1, 5000, 0, 0,
	  PZD_NODE_GRANTED, "idle 90% for 5.0 s" },
	{ "idle just below", 89.96, 0, 0, 1, 1, 5000, 0, 0,
	  PZD_NODE_BUSY, "CPUs 89.96% idle (< 90%)" },
	{ "idle far below", 89.999, 0, 0, 1, 1, 5000, 0, 0,
	  PZD_NODE_BUSY, "CPUs 89.99% idle (< 90%)" },
	{ "cpu psi == max is no pressure", 99, 20.0, 0, 1, 1, 5000, 0, 0,
	  PZD_NODE_GRANTED, "idle 99% for 5.0 s" },
	{ "cpu psi above", 99, 20.01, 0, 1, 1, 5000, 0, 0,
	  PZD_NODE_BUSY, "cpu pressure 20.01% (> 20%)" },
	{ "memory psi == max is no pressure", 99, 0, 1.0, 1, 1, 5000, 0, 0,
	  PZD_NODE_GRANTED, "idle 99% for 5.0 s" },
	{ "memory psi above", 99, 0, 1.01, 1, 1, 5000, 0, 0,
	  PZD_NODE_PRESSURE, "memory pressure 1.01% (> 1%)" },
	{ "free == min_free_pct is enough", 99, 0, 0, 20000, 1000000,
	  5000, 0, 0, PZD_NODE_GRANTED, "idle 99% for 5.0 s" },
	{ "free one byte less", 99, 0, 0, 19999, 1000000, 5000, 0, 0,
	  PZD_NODE_LOW_FREE, "free 1.99% of node memory (< 2%)" },
	{ "free one byte less, big node", 99, 0, 0, 2 * GiB - 1, 100 * GiB,
	  5000, 0, 0, PZD_NODE_LOW_FREE, "free 1.99% of node memory (< 2%)" },
	{ "no free memory", 99, 0, 0, 0, 1000000, 5000, 0, 0,
	  PZD_NODE_LOW_FREE, "free 0.0% of node memory (< 2%)" },
	{ "idle exactly idle_after_ms", 99, 0, 0, 1, 1, 7000, 5000, 0,
	  PZD_NODE_GRANTED, "idle 99% for 2.0 s" },
	{ "idle 1 ms short", 99, 0, 0, 1, 1, 6999, 5000, 0,
	  PZD_NODE_SETTLING, "idle 99%, granting in 0.1 s" },
	{ "trigger hold ends exactly now", 99, 0, 0, 1, 1, 7000, 0, 7000,
	  PZD_NODE_GRANTED, "idle 99% for 7.0 s" },
	{ "trigger hold 1 ms left", 99, 0, 0, 1, 1, 6999, 0, 7000,
	  PZD_NODE_PRESSURE, "memory pressure trigger, 0.1 s left" },
	{ "all at the edge", 90.0, 20.0, 1.0, 2, 100, 2000, 0, 2000,
	  PZD_NODE_GRANTED, "idle 90% for 2.0 s" },
};

START_TEST(boundaries)
{
	struct pzd_sys_sample s = calm();
	struct pzd_node_sample n = idle(bounds[_i].idle_pct);
	struct pzd_policy_state st = {
		.idle = true, .idle_since_ms = bounds[_i].idle_since,
	};
	struct pzd_budget b;

	s.cpu_some_avg10 = bounds[_i].cpu_psi;
	s.memory_some_avg10 = bounds[_i].mem_psi;
	s.pressure_until_ms = bounds[_i].pressure_until;
	n.free_bytes = bounds[_i].free_bytes;
	n.total_bytes = bounds[_i].total_bytes;
	b = round0(bounds[_i].now, &s, &n, &st);
	ck_assert_msg(b.state == bounds[_i].state, "%s: %s (%s)",
		      bounds[_i].what, pzd_node_state_name(b.state), b.reason);
	ck_assert_msg(!strcmp(b.reason, bounds[_i].reason), "%s: '%s'",
		      bounds[_i].what, b.reason);
	if (b.state == PZD_NODE_GRANTED)
		assert_granted(&b);
	else
		assert_none(&b);
}
END_TEST

START_TEST(reasons)
{
	struct pzd_sys_sample s = calm();
	struct pzd_node_sample n = idle(97);
	struct pzd_policy_state st = { 0 };
	struct pzd_override o = { .has_enabled = true, .enabled = false };
	struct pzd_budget b;

	b = round0(0, &s, &n, &st);
	ck_assert_str_eq(b.reason, "idle 97%, granting in 2.0 s");
	b = round0(2000, &s, &n, &st);
	ck_assert_str_eq(b.reason, "idle 97% for 2.0 s");
	b = round0(2049, &s, &n, &st);
	ck_assert_str_eq(b.reason, "idle 97% for 2.0 s");
	b = round0(2150, &s, &n, &st);
	ck_assert_str_eq(b.reason, "idle 97% for 2.1 s");

	pzd_policy_decide(&cfg, 0, &o, 3000, &s, &n, &st, &b);
	ck_assert_str_eq(b.reason, "disabled by override");

	/* a cap of 0 is granted, and says so */
	cfg.rate = 0;
	b = round0(4000, &s, &n, &st);
	assert_granted(&b);
	ck_assert_uint_eq(b.rate, 0);
	ck_assert_uint_eq(b.burst, 0);
	ck_assert_str_eq(b.reason, "idle 97% for 4.0 s; cap is 0");
}
END_TEST

/* ---- hysteresis over rounds ---- */

START_TEST(hysteresis)
{
	struct pzd_sys_sample s = calm();
	struct pzd_node_sample in = idle(95), busy = idle(50);
	struct pzd_policy_state st = { 0 };
	struct pzd_budget b;
	uint64_t t;

	/* idle from t=0: settling until idle_after_ms, then granted */
	for (t = 0; t < 2000; t += 250) {
		b = round0(t, &s, &in, &st);
		assert_state(&b, PZD_NODE_SETTLING);
	}
	b = round0(2000, &s, &in, &st);
	assert_granted(&b);
	ck_assert_uint_eq(b.rate, 256 * MiB);
	b = round0(2250, &s, &in, &st);
	assert_granted(&b);

	/* one busy sample revokes at once */
	b = round0(2500, &s, &busy, &st);
	assert_state(&b, PZD_NODE_BUSY);
	ck_assert(!st.idle);

	/* idle again restarts the wait from there */
	b = round0(2750, &s, &in, &st);
	assert_state(&b, PZD_NODE_SETTLING);
	ck_assert_str_eq(b.reason, "idle 95%, granting in 2.0 s");
	b = round0(4500, &s, &in, &st);
	assert_state(&b, PZD_NODE_SETTLING);
	ck_assert_str_eq(b.reason, "idle 95%, granting in 0.3 s");
	b = round0(4750, &s, &in, &st);
	assert_granted(&b);

	/* cpu pressure is busy too, and restarts the clock */
	s.cpu_some_avg10 = 50;
	b = round0(5000, &s, &in, &st);
	assert_state(&b, PZD_NODE_BUSY);
	s.cpu_some_avg10 = 0;
	b = round0(5250, &s, &in, &st);
	assert_state(&b, PZD_NODE_SETTLING);

	/* a round without a CPU sample restarts it as well */
	b = round0(9000, &s, &in, &st);
	assert_granted(&b);
	in.cpu_valid = false;
	b = round0(9250, &s, &in, &st);
	assert_state(&b, PZD_NODE_NO_DATA);
	in.cpu_valid = true;
	b = round0(9500, &s, &in, &st);
	assert_state(&b, PZD_NODE_SETTLING);
	b = round0(11500, &s, &in, &st);
	assert_granted(&b);
}
END_TEST

START_TEST(idle_after_zero)
{
	struct pzd_sys_sample s = calm();
	struct pzd_node_sample in = idle(95), busy = idle(5);
	struct pzd_policy_state st = { 0 };
	struct pzd_budget b;

	cfg.idle_after_ms = 0;
	b = round0(1000, &s, &in, &st);
	assert_granted(&b);
	ck_assert_str_eq(b.reason, "idle 95% for 0.0 s");
	b = round0(1250, &s, &busy, &st);
	assert_state(&b, PZD_NODE_BUSY);
	b = round0(1500, &s, &in, &st);
	assert_granted(&b);
}
END_TEST

START_TEST(clock_backwards)
{
	struct pzd_sys_sample s = calm();
	struct pzd_node_sample in = idle(95);
	struct pzd_policy_state st = { 0 };
	struct pzd_budget b;

	b = round0(10000, &s, &in, &st);
	assert_state(&b, PZD_NODE_SETTLING);
	b = round0(12000, &s, &in, &st);
	assert_granted(&b);
	/* now earlier than idle_since: as if it just became idle */
	b = round0(5000, &s, &in, &st);
	assert_state(&b, PZD_NODE_SETTLING);
	ck_assert_str_eq(b.reason, "idle 95%, granting in 2.0 s");
	b = round0(6999, &s, &in, &st);
	assert_state(&b, PZD_NODE_SETTLING);
	b = round0(7000, &s, &in, &st);
	assert_granted(&b);

	/* backwards while settling must not grant either */
	st.idle = false;
	b = round0(20000, &s, &in, &st);
	assert_state(&b, PZD_NODE_SETTLING);
	b = round0(100, &s, &in, &st);
	assert_state(&b, PZD_NODE_SETTLING);
}
END_TEST

/* The idle clock keeps running under other rules (documented choice). */
START_TEST(idle_through_other_rules)
{
	struct pzd_sys_sample s = calm();
	struct pzd_node_sample in = idle(95);
	struct pzd_policy_state st = { 0 };
	struct pzd_override off = { .has_enabled = true, .enabled = false };
	struct pzd_budget b;

	s.pressure_until_ms = 5000;
	b = round0(0, &s, &in, &st);
	assert_state(&b, PZD_NODE_PRESSURE);
	ck_assert_str_eq(b.reason, "memory pressure trigger, 5.0 s left");
	b = round0(4999, &s, &in, &st);
	assert_state(&b, PZD_NODE_PRESSURE);
	b = round0(5000, &s, &in, &st);
	assert_granted(&b);

	pzd_policy_decide(&cfg, 0, &off, 6000, &s, &in, &st, &b);
	assert_state(&b, PZD_NODE_DISABLED);
	b = round0(6250, &s, &in, &st);
	assert_granted(&b);

	/* busy while disabled still stops the clock */
	pzd_policy_decide(&cfg, 0, &off, 6500, &s, &(struct pzd_node_sample){
		.cpu_valid = true, .idle_pct = 10 }, &st, &b);
	assert_state(&b, PZD_NODE_DISABLED);
	b = round0(6750, &s, &in, &st);
	assert_state(&b, PZD_NODE_SETTLING);
}
END_TEST

START_TEST(pressure_hold)
{
	struct pzd_sys_sample s = calm();
	struct pzd_node_sample in = idle(99);
	struct pzd_policy_state st = { .idle = true };
	struct pzd_budget b;
	uint64_t fired = 50000, t;

	/* what the daemon does: hold = trigger time + pressure_hold_ms */
	s.pressure_until_ms = fired + cfg.pressure_hold_ms;
	for (t = fired; t < fired + cfg.pressure_hold_ms; t += 250) {
		b = round0(t, &s, &in, &st);
		assert_state(&b, PZD_NODE_PRESSURE);
	}
	b = round0(fired + 1800, &s, &in, &st);
	ck_assert_str_eq(b.reason, "memory pressure trigger, 8.2 s left");
	b = round0(fired + cfg.pressure_hold_ms, &s, &in, &st);
	assert_granted(&b);
}
END_TEST

START_TEST(psi_invalid)
{
	struct pzd_sys_sample s = {
		.psi_valid = false, .cpu_some_avg10 = 99,
		.memory_some_avg10 = 99, .memory_full_avg10 = 99,
	};
	struct pzd_node_sample in = idle(99);
	struct pzd_policy_state st = { .idle = true };
	struct pzd_budget b;

	/* no PSI: the averages mean nothing and are not looked at */
	b = round0(5000, &s, &in, &st);
	assert_granted(&b);
	/* the same values with PSI on */
	s.psi_valid = true;
	b = round0(5000, &s, &in, &st);
	assert_state(&b, PZD_NODE_PRESSURE);
	/* a trigger that fired still holds */
	s.psi_valid = false;
	s.pressure_until_ms = 6000;
	b = round0(5000, &s, &in, &st);
	assert_state(&b, PZD_NODE_PRESSURE);
}
END_TEST

START_TEST(memory_unknown)
{
	struct pzd_sys_sample s = calm();
	struct pzd_node_sample n = idle(99);
	struct pzd_policy_state st = { .idle = true };
	struct pzd_budget b;

	n.free_bytes = 0;
	b = round0(5000, &s, &n, &st);
	assert_state(&b, PZD_NODE_LOW_FREE);
	n.mem_valid = false;
	b = round0(5000, &s, &n, &st);
	assert_granted(&b);
	n.mem_valid = true;
	n.total_bytes = 0;
	b = round0(5000, &s, &n, &st);
	assert_granted(&b);
}
END_TEST

START_TEST(nan_is_not_idle)
{
	struct pzd_sys_sample s = calm();
	struct pzd_node_sample n = idle(NAN);
	struct pzd_policy_state st = { .idle = true };
	struct pzd_budget b;

	b = round0(5000, &s, &n, &st);
	assert_state(&b, PZD_NODE_BUSY);
	n.idle_pct = 99;
	s.memory_some_avg10 = NAN;
	b = round0(10000, &s, &n, &st);
	assert_state(&b, PZD_NODE_PRESSURE);
	s.memory_some_avg10 = 0;
	s.cpu_some_avg10 = NAN;
	b = round0(15000, &s, &n, &st);
	assert_state(&b, PZD_NODE_BUSY);
}
END_TEST

/* ---- caps and overrides ---- */

static const struct {
	const char *what;
	bool cfg_enabled;
	uint64_t cfg_rate, cfg_burst;
	struct pzd_override o;
	bool enabled;
	uint64_t rate, burst;
} caps[] = {
	{ "defaults", true, 256 * MiB, 0, { 0 }, true, 256 * MiB, 512 * MiB },
	{ "small rate: 64 MiB floor", true, 10 * MiB, 0, { 0 },
	  true, 10 * MiB, 64 * MiB },
	{ "explicit config burst", true, 256 * MiB, 1 * GiB, { 0 },
	  true, 256 * MiB, 1 * GiB },
	{ "override rate: default burst from it, not the config's",
	  true, 256 * MiB, 1 * GiB,
	  { .has_rate = true, .rate = 100 * MiB }, true, 100 * MiB, 200 * MiB },
	{ "override rate, override burst 0", true, 256 * MiB, 1 * GiB,
	  { .has_rate = true, .rate = 100 * MiB, .has_burst = true },
	  true, 100 * MiB, 200 * MiB },
	{ "override rate and burst", true, 256 * MiB, 1 * GiB,
	  { .has_rate = true, .rate = 100 * MiB, .has_burst = true,
	    .burst = 5 * MiB }, true, 100 * MiB, 5 * MiB },
	{ "override burst only", true, 256 * MiB, 1 * GiB,
	  { .has_burst = true, .burst = 3 * GiB }, true, 256 * MiB, 3 * GiB },
	{ "override burst 0 only: default from the config rate",
	  true, 256 * MiB, 1 * GiB, { .has_burst = true },
	  true, 256 * MiB, 512 * MiB },
	{ "override rate 0", true, 256 * MiB, 0,
	  { .has_rate = true, .rate = 0 }, true, 0, 0 },
	{ "override rate at the maximum", true, 256 * MiB, 0,
	  { .has_rate = true, .rate = PZD_BUDGET_MAX },
	  true, PZD_BUDGET_MAX, PZD_BUDGET_MAX },
	{ "override disables", true, 256 * MiB, 0,
	  { .has_enabled = true, .enabled = false },
	  false, 256 * MiB, 512 * MiB },
	{ "override enables", false, 256 * MiB, 0,
	  { .has_enabled = true, .enabled = true },
	  true, 256 * MiB, 512 * MiB },
	{ "unset override fields change nothing", false, 7 * MiB, 9 * MiB,
	  { .enabled = true, .rate = 1, .burst = 1 }, false, 7 * MiB, 9 * MiB },
};

START_TEST(cap)
{
	bool enabled = !caps[_i].enabled;
	uint64_t rate = 12345, burst = 12345;

	cfg.enabled = caps[_i].cfg_enabled;
	cfg.rate = caps[_i].cfg_rate;
	cfg.burst = caps[_i].cfg_burst;
	pzd_policy_cap(&cfg, 0, &caps[_i].o, &enabled, &rate, &burst);
	ck_assert_msg(enabled == caps[_i].enabled, "%s: enabled", caps[_i].what);
	ck_assert_msg(rate == caps[_i].rate, "%s: rate %llu", caps[_i].what,
		      (unsigned long long)rate);
	ck_assert_msg(burst == caps[_i].burst, "%s: burst %llu", caps[_i].what,
		      (unsigned long long)burst);
}
END_TEST

START_TEST(cap_node_config)
{
	struct pzd_override o = { .has_rate = true, .rate = 32 * MiB };
	struct pzd_sys_sample s = calm();
	struct pzd_node_sample in = idle(99);
	struct pzd_policy_state st = { .idle = true };
	struct pzd_budget b;
	uint64_t rate, burst;
	bool enabled;

	/* [node 1] overrides [policy] for node 1 only */
	cfg.node[1].has_enabled = true;
	cfg.node[1].enabled = false;
	cfg.node[2].has_rate = true;
	cfg.node[2].rate = 1 * GiB;
	cfg.node[2].has_burst = true;
	cfg.node[2].burst = 3 * GiB;

	pzd_policy_cap(&cfg, 0, NULL, &enabled, &rate, &burst);
	ck_assert(enabled);
	ck_assert_uint_eq(rate, 256 * MiB);
	pzd_policy_cap(&cfg, 1, NULL, &enabled, &rate, &burst);
	ck_assert(!enabled);
	pzd_policy_cap(&cfg, 2, NULL, &enabled, &rate, &burst);
	ck_assert(enabled);
	ck_assert_uint_eq(rate, 1 * GiB);
	ck_assert_uint_eq(burst, 3 * GiB);
	/* an override rate on top: burst from the override rate */
	pzd_policy_cap(&cfg, 2, &o, &enabled, &rate, &burst);
	ck_assert_uint_eq(rate, 32 * MiB);
	ck_assert_uint_eq(burst, 64 * MiB);

	pzd_policy_decide(&cfg, 1, NULL, 5000, &s, &in, &st, &b);
	assert_state(&b, PZD_NODE_DISABLED);
	ck_assert_str_eq(b.reason, "disabled in config");
	ck_assert_uint_eq(b.cap_rate, 256 * MiB);	/* still shown */
	pzd_policy_decide(&cfg, 2, NULL, 5000, &s, &in, &st, &b);
	assert_granted(&b);
	ck_assert_uint_eq(b.rate, 1 * GiB);
	ck_assert_uint_eq(b.burst, 3 * GiB);
	pzd_policy_decide(&cfg, 2, &o, 5000, &s, &in, &st, &b);
	assert_granted(&b);
	ck_assert_uint_eq(b.rate, 32 * MiB);
	ck_assert_uint_eq(b.burst, 64 * MiB);
}
END_TEST

START_TEST(overrides)
{
	struct pzd_sys_sample s = calm();
	struct pzd_node_sample in = idle(99), busy = idle(1);
	struct pzd_policy_state st = { 0 };
	struct pzd_override o = { 0 };
	struct pzd_budget b;

	/* enabled=false beats an idle node */
	b = round0(0, &s, &in, &st);
	b = round0(3000, &s, &in, &st);
	assert_granted(&b);
	o.has_enabled = true;
	o.enabled = false;
	pzd_policy_decide(&cfg, 0, &o, 3250, &s, &in, &st, &b);
	assert_state(&b, PZD_NODE_DISABLED);
	ck_assert_str_eq(b.reason, "disabled by override");
	ck_assert_uint_eq(b.cap_rate, 256 * MiB);

	/* enabled=true beats enabled = false in config */
	cfg.enabled = false;
	b = round0(3500, &s, &in, &st);
	assert_state(&b, PZD_NODE_DISABLED);
	ck_assert_str_eq(b.reason, "disabled in config");
	o.enabled = true;
	pzd_policy_decide(&cfg, 0, &o, 3750, &s, &in, &st, &b);
	assert_granted(&b);
	/* but not a busy node */
	pzd_policy_decide(&cfg, 0, &o, 4000, &s, &busy, &st, &b);
	assert_state(&b, PZD_NODE_BUSY);

	/* rate and burst overrides */
	cfg.enabled = true;
	o = (struct pzd_override){ .has_rate = true, .rate = 8 * MiB,
				   .has_burst = true, .burst = 16 * MiB };
	pzd_policy_decide(&cfg, 0, &o, 4250, &s, &in, &st, &b);
	assert_state(&b, PZD_NODE_SETTLING);
	ck_assert_uint_eq(b.cap_rate, 8 * MiB);
	ck_assert_uint_eq(b.cap_burst, 16 * MiB);
	pzd_policy_decide(&cfg, 0, &o, 6250, &s, &in, &st, &b);
	assert_granted(&b);
	ck_assert_uint_eq(b.rate, 8 * MiB);
	ck_assert_uint_eq(b.burst, 16 * MiB);

	/* reset: an empty override is the config again */
	o = (struct pzd_override){ 0 };
	pzd_policy_decide(&cfg, 0, &o, 6500, &s, &in, &st, &b);
	assert_granted(&b);
	ck_assert_uint_eq(b.rate, 256 * MiB);
	ck_assert_uint_eq(b.burst, 512 * MiB);
}
END_TEST

/* ---- property: never granted while busy ---- */

/* xorshift64*: a fixed sequence, the same on every run and libc. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static double pick(const double *v, size_t n)
{
	return v[rnd() % n];
}

START_TEST(never_granted_while_busy)
{
	static const double idles[] = { 0, 12, 50, 89.99, 90, 90.01, 95, 100 },
		cpu_psi[] = { 0, 5, 19.99, 20, 20.01, 80 },
		mem_psi[] = { 0, 0.5, 1, 1.01, 3 };
	struct pzd_policy_state st = { 0 };
	uint64_t now = 1000000, idle_start = 0;
	bool model_idle = false;
	unsigned int i, granted = 0, settling = 0;

	for (i = 0; i < 100000; i++) {
		struct pzd_sys_sample s = {
			.psi_valid = rnd() % 8 != 0,
			.cpu_some_avg10 = pick(cpu_psi, N(cpu_psi)),
			.memory_some_avg10 = pick(mem_psi, N(mem_psi)),
		};
		struct pzd_node_sample n = {
			.cpu_valid = rnd() % 16 != 0,
			.idle_pct = pick(idles, N(idles)),
			.mem_valid = rnd() % 8 != 0,
			.total_bytes = 1000000,
			.free_bytes = 19990 + rnd() % 20,
		};
		struct pzd_override o = {
			.has_enabled = rnd() % 16 == 0,
			.enabled = rnd() % 2,
		};
		bool en, cpu_ok, ok;
		uint64_t r, bu;
		struct pzd_budget b;

		/* mostly forward in rounds, sometimes a jump back */
		if (rnd() % 64 == 0)
			now -= rnd() % 5000;
		else
			now += 250;
		if (rnd() % 32 == 0)
			s.pressure_until_ms = now + rnd() % 3 - 1;
		cfg.idle_after_ms = rnd() % 4 == 0 ? 0 : 2000;

		pzd_policy_decide(&cfg, 0, &o, now, &s, &n, &st, &b);

		/* an independent model of the idle clock */
		cpu_ok = n.cpu_valid && n.idle_pct >= cfg.idle_min_pct &&
			 (!s.psi_valid || s.cpu_some_avg10 <= cfg.psi_cpu_max);
		if (!cpu_ok) {
			model_idle = false;
		} else if (!model_idle || now < idle_start) {
			model_idle = true;
			idle_start = now;
		}
		pzd_policy_cap(&cfg, 0, &o, &en, &r, &bu);
		ok = en && cpu_ok && now >= s.pressure_until_ms &&
		     (!s.psi_valid ||
		      s.memory_some_avg10 <= cfg.psi_memory_max) &&
		     (!n.mem_valid ||
		      n.free_bytes * 100 >= cfg.min_free_pct * n.total_bytes) &&
		     now - idle_start >= cfg.idle_after_ms;

		/*
		 * ck_abort_msg only on failure: a Check assertion per
		 * round would make this loop slow under valgrind.
		 */
		if (b.cap_rate != r || b.cap_burst != bu || !b.reason[0])
			ck_abort_msg("round %u: cap %llu/%llu, reason '%s'", i,
				     (unsigned long long)b.cap_rate,
				     (unsigned long long)b.cap_burst,
				     b.reason);
		if ((b.state == PZD_NODE_GRANTED) != ok)
			ck_abort_msg("round %u: %s (%s), model says %s", i,
				     pzd_node_state_name(b.state), b.reason,
				     ok ? "granted" : "no budget");
		if (b.state == PZD_NODE_GRANTED) {
			granted++;
			if (b.rate != r || b.burst != bu)
				ck_abort_msg("round %u: granted less than the cap",
					     i);
		} else {
			if (b.rate || b.burst)
				ck_abort_msg("round %u: %s with budget", i,
					     pzd_node_state_name(b.state));
			settling += b.state == PZD_NODE_SETTLING;
		}
	}
	/* the sequence exercised both outcomes */
	ck_assert_uint_gt(granted, 1000);
	ck_assert_uint_gt(settling, 1000);
}
END_TEST

static Suite *policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("rules");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, state_names);
	tcase_add_loop_test(tc, rule_order, 0, 1 << C_COUNT);
	tcase_add_loop_test(tc, boundaries, 0, N(bounds));
	tcase_add_test(tc, reasons);
	tcase_add_test(tc, psi_invalid);
	tcase_add_test(tc, memory_unknown);
	tcase_add_test(tc, nan_is_not_idle);
	suite_add_tcase(s, tc);

	tc = tcase_create("hysteresis");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, hysteresis);
	tcase_add_test(tc, idle_after_zero);
	tcase_add_test(tc, clock_backwards);
	tcase_add_test(tc, idle_through_other_rules);
	tcase_add_test(tc, pressure_hold);
	suite_add_tcase(s, tc);

	tc = tcase_create("cap");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_loop_test(tc, cap, 0, N(caps));
	tcase_add_test(tc, cap_node_config);
	tcase_add_test(tc, overrides);
	suite_add_tcase(s, tc);

	tc = tcase_create("property");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, never_granted_while_busy);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(policy_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
