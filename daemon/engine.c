// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/*
 * One round every interval_ms: sample every node, run the policy, give the
 * module the budgets that changed. A PSI memory trigger runs a round at
 * once, so pressure takes budget away without waiting for the tick.
 *
 * Budgets are sent only when they change: the module refills a node's
 * bucket on every set, so periodic resends would grant more than the rate.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "log.h"
#include "prezerod.h"

#define PSI_STAT "/proc/stat"
#define PSI_CPU "/proc/pressure/cpu"
#define PSI_MEMORY "/proc/pressure/memory"
#define PSI_WINDOW_US 1000000

struct pzd_node *pzd_engine_node(struct pzd_daemon *d, unsigned int id)
{
	for (size_t i = 0; i < d->nnode; i++)
		if (d->node[i].id == id)
			return &d->node[i];
	return NULL;
}

/* ---- sampling ---------------------------------------------------------- */

static void sample_cpus(struct pzd_daemon *d)
{
	struct pzd_cpu_times *t;
	int ret;

	ret = pzd_read_proc_stat(PSI_STAT, d->cpu_cur, d->ncpu);
	if (ret < 0) {
		log_warning("%s: %s", PSI_STAT, strerror(-ret));
		for (size_t i = 0; i < d->nnode; i++)
			d->node[i].sample.cpu_valid = false;
		d->have_cpu_prev = d->have_cpu_old = false;
		return;
	}
	if (d->have_cpu_prev) {
		/*
		 * The share is over the last two rounds (from cpu_old when
		 * there is one): a single 250 ms sample swings by several
		 * points with any kernel housekeeping. A node whose CPUs
		 * become fully busy falls to about half in its first busy
		 * round (below any idle_min_pct over 50) and to 0 in the
		 * second, so the budget still goes within two rounds.
		 */
		const struct pzd_cpu_times *from = d->have_cpu_old ? d->cpu_old
								   : d->cpu_prev;
		uint64_t self_ns = d->self_credit_ns +
				   (d->have_cpu_old ? d->self_credit_prev_ns : 0);
		uint64_t all_ns = self_ns;

		for (size_t i = 0; i < d->nnode; i++)
			all_ns += d->node[i].credit_ns +
				  (d->have_cpu_old ? d->node[i].credit_prev_ns : 0);
		for (size_t i = 0; i < d->nnode; i++) {
			struct pzd_node *n = &d->node[i];
			const struct pzd_topo_node *tn = n->topo;
			uint64_t credit = n->credit_ns + self_ns +
					  (d->have_cpu_old ? n->credit_prev_ns : 0);
			double idle;

			/*
			 * The node's worker zeroes on the node's CPUs: that
			 * time is ours and counts as idle, or granting a
			 * budget would make the node look busy and take the
			 * budget back (credit_ns). So is prezerod's own
			 * sampling; where it ran is not known, so every node
			 * gets it (at most our own small share too idle).
			 * Memory-only nodes follow the whole machine.
			 */
			if (tn->ncpu)
				idle = pzd_idle_pct_credit(from, d->cpu_cur,
							   tn->cpu, tn->ncpu,
							   credit, d->clk_tck);
			else
				idle = pzd_idle_pct_credit(from, d->cpu_cur,
							   d->all_cpu, d->ncpu,
							   all_ns, d->clk_tck);
			/* No time passed: keep the previous sample. */
			if (idle >= 0) {
				n->sample.cpu_valid = true;
				n->sample.idle_pct = idle;
			}
		}
	}
	/* Rotate: old <- prev <- cur, and the credits with them. */
	t = d->cpu_old;
	d->cpu_old = d->cpu_prev;
	d->cpu_prev = d->cpu_cur;
	d->cpu_cur = t;
	d->have_cpu_old = d->have_cpu_prev;
	d->have_cpu_prev = true;
	d->self_credit_prev_ns = d->self_credit_ns;
	for (size_t i = 0; i < d->nnode; i++)
		d->node[i].credit_prev_ns = d->node[i].credit_ns;
}

static void sample_psi(struct pzd_daemon *d)
{
	struct pzd_psi cpu, mem;
	int ret;

	ret = pzd_read_psi(PSI_CPU, &cpu);
	if (ret == 0)
		ret = pzd_read_psi(PSI_MEMORY, &mem);
	if (ret < 0) {
		/* PSI off (psi=0) or not built: the policy ignores it. */
		if (!d->psi_warned)
			log_notice("no pressure stall information (%s), deciding on CPU idle share and free memory only",
				   strerror(-ret));
		d->psi_warned = true;
		d->sys.psi_valid = false;
		return;
	}
	d->sys.psi_valid = true;
	d->pool_pressure = d->psi_fired;
	/* The pool gives back while stalls go on at the trigger's rate (a
	 * share of the round), not for the whole avg10 or hold period. */
	if (d->have_mem_stall && mem.some_total_us >= d->mem_stall_us &&
	    d->cfg.psi_trigger_ms &&
	    mem.some_total_us - d->mem_stall_us >=
	    (uint64_t)d->cfg.psi_trigger_ms * d->cfg.interval_ms)
		d->pool_pressure = true;
	d->mem_stall_us = mem.some_total_us;
	d->have_mem_stall = true;
	d->sys.cpu_some_avg10 = cpu.some_avg10;
	d->sys.memory_some_avg10 = mem.some_avg10;
	d->sys.memory_full_avg10 = mem.has_full ? mem.full_avg10 : 0;
}

static void sample_memory(struct pzd_daemon *d, uint64_t now)
{
	for (size_t i = 0; i < d->nnode; i++) {
		struct pzd_node *n = &d->node[i];
		struct pzd_pool_node_in *in = &d->pool_in[n->id];

		n->sample.mem_valid = pzd_node_memory(n->id,
						      &n->sample.free_bytes,
						      &n->sample.total_bytes) == 0;
		n->sample.priority = now < n->priority_until_ms;
		in->present = true;
		in->mem_valid = n->sample.mem_valid;
		in->free_bytes = n->sample.free_bytes;
		in->total_bytes = n->sample.total_bytes;
	}
}

/* The zero rate: zeroed_bytes over the last PZD_RATE_WINDOW_MS. */
static void update_rate(struct pzd_node *n, uint64_t now)
{
	unsigned int oldest;

	if (!n->have_mod) {
		n->hist_len = 0;
		n->zero_rate = 0;
		return;
	}
	/* A counter that went back means a reloaded module: start over. */
	if (n->hist_len) {
		unsigned int last = (n->hist_head + PZD_RATE_SLOTS - 1) %
				    PZD_RATE_SLOTS;

		if (n->mod.zeroed_bytes < n->hist[last].bytes)
			n->hist_len = 0;
	}
	n->hist[n->hist_head].ms = now;
	n->hist[n->hist_head].bytes = n->mod.zeroed_bytes;
	n->hist_head = (n->hist_head + 1) % PZD_RATE_SLOTS;
	if (n->hist_len < PZD_RATE_SLOTS)
		n->hist_len++;
	/* Drop samples older than the window, keeping one at its edge. */
	while (n->hist_len > 2) {
		unsigned int o = (n->hist_head + PZD_RATE_SLOTS - n->hist_len +
				  1) % PZD_RATE_SLOTS;

		if (now - n->hist[o].ms < PZD_RATE_WINDOW_MS)
			break;
		n->hist_len--;
	}
	oldest = (n->hist_head + PZD_RATE_SLOTS - n->hist_len) % PZD_RATE_SLOTS;
	if (n->hist_len < 2 || now <= n->hist[oldest].ms) {
		n->zero_rate = 0;
		return;
	}
	n->zero_rate = (double)(n->mod.zeroed_bytes - n->hist[oldest].bytes) *
		       1000.0 / (double)(now - n->hist[oldest].ms);
}

static void sample_module(struct pzd_daemon *d, uint64_t now)
{
	struct pz_node *mods = NULL;
	struct pz_err e;
	size_t nmod = 0;

	for (size_t i = 0; i < d->nnode; i++)
		d->node[i].have_mod = false;
	if (pzd_module_loaded(d->mod) &&
	    pzd_module_dump(d->mod, &mods, &nmod, &e) < 0 &&
	    pzd_module_loaded(d->mod)) {
		char buf[PZ_ERR_MSG_LEN + 64];

		log_warning("reading the module's nodes: %s",
			    pz_err_str(&e, buf, sizeof(buf)));
	}
	for (size_t j = 0; j < nmod; j++) {
		struct pzd_node *n = pzd_engine_node(d, mods[j].id);

		if (!n)
			continue;
		/* Zeroing time since the last round (0 after a reload). */
		n->zero_ns_delta = n->had_mod && mods[j].zero_ns >= n->mod.zero_ns ?
				   mods[j].zero_ns - n->mod.zero_ns : 0;
		n->mod = mods[j];
		n->have_mod = true;
	}
	for (size_t i = 0; i < d->nnode; i++) {
		if (!d->node[i].have_mod)
			d->node[i].zero_ns_delta = 0;
		d->node[i].had_mod = d->node[i].have_mod;
	}
	free(mods);
	for (size_t i = 0; i < d->nnode; i++)
		update_rate(&d->node[i], now);
}

/* CPU ticks since the last call, as ns; 0 the first time or if they
 * went back. */
static uint64_t ticks_ns(struct pzd_daemon *d, uint64_t ticks, bool *have_prev,
			 uint64_t *prev)
{
	uint64_t ns = 0;

	if (*have_prev && ticks >= *prev && d->clk_tck > 0)
		ns = (ticks - *prev) * 1000000000ULL / (uint64_t)d->clk_tck;
	*prev = ticks;
	*have_prev = true;
	return ns;
}

/*
 * The CPU time of each node's worker thread ("prezero/N") since the last
 * round: what the idle share credits back. It counts everything the worker
 * does, and also a batch still being zeroed; the module's zero_ns grows only
 * when a batch ends (a batch can outlast a round), so it is the fallback
 * when the thread cannot be found. prezerod's own CPU time (its reads of
 * /proc and the module's dump, which runs in its context) is credited too.
 */
static void sample_workers(struct pzd_daemon *d)
{
	pid_t pid[PZD_MAX_NODES];
	uint64_t ticks;

	if (d->workers_stale && pzd_module_loaded(d->mod)) {
		d->workers_stale = false;
		if (pzd_find_kthreads("prezero/", pid, PZD_MAX_NODES) < 0)
			memset(pid, 0, sizeof(pid));
		for (size_t i = 0; i < d->nnode; i++) {
			struct pzd_node *n = &d->node[i];

			n->worker_pid = n->id < PZD_MAX_NODES ? pid[n->id] : 0;
			n->worker_have_prev = false;
		}
	}
	for (size_t i = 0; i < d->nnode; i++) {
		struct pzd_node *n = &d->node[i];

		n->credit_ns = n->zero_ns_delta;
		if (!n->have_mod || !n->worker_pid)
			continue;
		if (pzd_read_task_cpu(n->worker_pid, &ticks) < 0) {
			/* Gone (module reloaded): look again next round. */
			n->worker_pid = 0;
			d->workers_stale = true;
			continue;
		}
		n->credit_ns = ticks_ns(d, ticks, &n->worker_have_prev,
					&n->worker_ticks);
	}
	d->self_credit_ns = 0;
	if (pzd_read_task_cpu(getpid(), &ticks) == 0)
		d->self_credit_ns = ticks_ns(d, ticks, &d->self_have_prev,
					     &d->self_ticks);
}

/* ---- deciding and granting -------------------------------------------- */

static void send_budget(struct pzd_daemon *d, struct pzd_node *n)
{
	struct pz_err e;
	char buf[PZ_ERR_MSG_LEN + 64];
	int ret;

	if (n->sent && n->sent_rate == n->budget.rate &&
	    n->sent_burst == n->budget.burst)
		return;
	ret = pzd_module_set_budget(d->mod, n->id, n->budget.rate,
				    n->budget.burst, &e);
	if (ret < 0) {
		if (ret != n->last_set_err && pzd_module_loaded(d->mod))
			log_warning("node %u: setting the budget failed: %s",
				    n->id, pz_err_str(&e, buf, sizeof(buf)));
		n->last_set_err = ret;
		n->sent = false;
		return;
	}
	if (n->budget.rate != n->sent_rate || !n->sent)
		log_debug("node %u: budget %llu B/s, burst %llu B (%s)", n->id,
			  (unsigned long long)n->budget.rate,
			  (unsigned long long)n->budget.burst,
			  n->budget.reason);
	n->last_set_err = 0;
	n->sent = true;
	n->sent_rate = n->budget.rate;
	n->sent_burst = n->budget.burst;
}

/* STATUS= for systemd: what the daemon is doing, sent when it changes. */
static void notify_status(struct pzd_daemon *d)
{
	char s[sizeof(d->status)];
	size_t len = 0;

	if (!pzd_module_loaded(d->mod)) {
		snprintf(s, sizeof(s), "Degraded: prezero %s",
			 pzd_module_reason(d->mod));
	} else {
		len = (size_t)snprintf(s, sizeof(s), "Zeroing:");
		for (size_t i = 0; i < d->nnode && len < sizeof(s); i++)
			len += (size_t)snprintf(s + len, sizeof(s) - len,
						"%s node %u %s", i ? "," : "",
						d->node[i].id,
						pzd_node_state_name(d->node[i].budget.state));
	}
	if (!strcmp(s, d->status))
		return;
	snprintf(d->status, sizeof(d->status), "%s", s);
	sd_notifyf(0, "STATUS=%s", s);
}

void pzd_engine_round(struct pzd_daemon *d)
{
	uint64_t now = pzd_now_ms();
	bool loaded;

	if (d->stopping)
		return;
	/* The module first: its zeroing time corrects the idle share. */
	sample_module(d, now);
	sample_workers(d);
	sample_cpus(d);
	sample_psi(d);
	sample_memory(d, now);
	/* The pool first: memory it gives back counts as free below. */
	pzd_pool_round(d->pool, d->pool_in, d->pool_nnode, d->pool_pressure,
		       now);
	d->psi_fired = false;
	loaded = pzd_module_loaded(d->mod);
	for (size_t i = 0; i < d->nnode; i++) {
		struct pzd_node *n = &d->node[i];
		enum pzd_node_state old = n->budget.state;

		pzd_policy_decide(&d->cfg, n->id, &n->ovr, now, &d->sys,
				  &n->sample, &n->pstate, &n->budget);
		if (!loaded || !n->have_mod) {
			n->budget.state = PZD_NODE_NO_MODULE;
			n->budget.rate = n->budget.burst = 0;
			snprintf(n->budget.reason, sizeof(n->budget.reason),
				 loaded ? "the module does not manage this node"
					: "prezero module not loaded");
		} else {
			send_budget(d, n);
		}
		/* Grants and revocations are news; settling and flapping
		 * between kinds of "no" are not. */
		if ((old == PZD_NODE_GRANTED) != (n->budget.state == PZD_NODE_GRANTED))
			log_debug("node %u: %s: %s", n->id,
				  pzd_node_state_name(n->budget.state),
				  n->budget.reason);
	}
	notify_status(d);
}

static int on_tick(sd_event_source *s, uint64_t usec, void *ud)
{
	struct pzd_daemon *d = ud;

	pzd_engine_round(d);
	/* Time sources are one-shot: re-arm for the next round. */
	sd_event_source_set_time(s, usec + (uint64_t)d->cfg.interval_ms * 1000);
	sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
	return 0;
}

/* The pool's watch: free memory every POOL_WATCH_MS while the pool holds
 * memory (a 250 ms round is too slow for an allocator at GB/s). */
#define POOL_WATCH_MS 50

static int on_pool_watch(sd_event_source *s, uint64_t usec, void *ud)
{
	struct pzd_daemon *d = ud;

	if (pzd_pool_holds(d->pool)) {
		for (size_t i = 0; i < d->nnode; i++) {
			struct pzd_pool_node_in *in = &d->pool_in[d->node[i].id];

			in->mem_valid = pzd_node_memory(d->node[i].id,
							&in->free_bytes,
							&in->total_bytes) == 0;
		}
		pzd_pool_watch(d->pool, d->pool_in, d->pool_nnode, pzd_now_ms());
	}
	sd_event_source_set_time(s, usec + POOL_WATCH_MS * 1000);
	sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
	return 0;
}

/* ---- PSI trigger --------------------------------------------------------- */

static int on_psi(sd_event_source *s, int fd, uint32_t revents, void *ud)
{
	struct pzd_daemon *d = ud;

	(void)fd;
	if (revents & EPOLLERR) {
		/* The trigger's file went away (cgroup/PSI reconfigured). */
		log_warning("PSI memory trigger failed, relying on sampling");
		sd_event_source_set_enabled(s, SD_EVENT_OFF);
		return 0;
	}
	if (!(revents & EPOLLPRI))
		return 0;
	if (!d->sys.pressure_until_ms || pzd_now_ms() >= d->sys.pressure_until_ms)
		log_info("memory pressure: no zeroing for %u ms",
			 d->cfg.pressure_hold_ms);
	d->sys.pressure_until_ms = pzd_now_ms() + d->cfg.pressure_hold_ms;
	d->psi_fired = true;
	pzd_engine_round(d);
	return 0;
}

static void psi_disarm(struct pzd_daemon *d)
{
	d->psi_src = sd_event_source_disable_unref(d->psi_src);
	if (d->psi_fd >= 0)
		close(d->psi_fd);
	d->psi_fd = -1;
	d->psi_armed_ms = 0;
}

static void psi_arm(struct pzd_daemon *d)
{
	unsigned int ms = d->cfg.psi_trigger_ms;
	int fd, ret;

	if (ms == d->psi_armed_ms && (d->psi_fd >= 0 || !ms))
		return;
	psi_disarm(d);
	if (!ms)
		return;
	fd = pzd_psi_trigger_open(PSI_MEMORY, ms * 1000, PSI_WINDOW_US);
	/* Since 6.5 a window that is not a multiple of 2 s needs
	 * CAP_SYS_RESOURCE: without it, watch twice the stall in 2 s. */
	if (fd == -EINVAL)
		fd = pzd_psi_trigger_open(PSI_MEMORY, ms * 2000,
					  2 * PSI_WINDOW_US);
	if (fd < 0) {
		log_notice("no PSI memory trigger (%s), memory pressure is sampled every %u ms",
			   strerror(-fd), d->cfg.interval_ms);
		return;
	}
	ret = sd_event_add_io(d->event, &d->psi_src, fd, EPOLLPRI, on_psi, d);
	if (ret < 0) {
		close(fd);
		log_warning("PSI trigger: sd_event_add_io: %s", strerror(-ret));
		return;
	}
	d->psi_fd = fd;
	d->psi_armed_ms = ms;
}

/* ---- module changes ------------------------------------------------------ */

void pzd_engine_module_change(struct pzd_module *m,
			      enum pzd_module_change change,
			      const struct pz_event *ev, void *userdata)
{
	struct pzd_daemon *d = userdata;

	(void)m;
	switch (change) {
	case PZD_MODULE_LOADED:
		d->workers_stale = true;
		/* A fresh module has the load-time budgets: resend ours. */
		for (size_t i = 0; i < d->nnode; i++)
			d->node[i].sent = false;
		log_info("prezero module %s on %s: zeroing with the daemon's budgets",
			 pzd_module_caps(d->mod)->module_version,
			 pzd_module_caps(d->mod)->release);
		break;
	case PZD_MODULE_UNLOADED:
		for (size_t i = 0; i < d->nnode; i++)
			d->node[i].sent = false;
		log_notice("degraded: prezero %s", pzd_module_reason(d->mod));
		break;
	case PZD_MODULE_EVENT:
		if (ev->type == PREZERO_EVENT_TYPE_NODE_SCRUBBED)
			log_debug("node %u: scrubbed (%llu bytes zeroed and free)",
				  ev->node, (unsigned long long)ev->bytes);
		else
			log_debug("node %u: event %s", ev->node,
				  pz_event_type_name(ev->type) ?: "unknown");
		return;
	case PZD_MODULE_EVENTS_LOST:
		log_debug("module events lost");
		return;
	}
	/* Reentrancy: this may run inside a round (a failing request);
	 * the next tick brings everything up to date. */
}

/* ---- start and stop -------------------------------------------------------- */

void pzd_engine_config_changed(struct pzd_daemon *d)
{
	psi_arm(d);
	if (d->pool)
		pzd_pool_config(d->pool, &d->cfg);
	if (d->xen)
		pzd_xen_config(d->xen, &d->cfg);
	/* New caps reach the module in the next round (send on change). */
	if (d->tick) {
		sd_event_source_set_time_relative(d->tick, 0);
		sd_event_source_set_enabled(d->tick, SD_EVENT_ONESHOT);
	}
}

int pzd_engine_start(struct pzd_daemon *d)
{
	int ret;

	d->psi_fd = -1;
	d->clk_tck = sysconf(_SC_CLK_TCK);
	ret = pzd_topology_load(&d->topo);
	if (ret < 0) {
		log_err("NUMA topology: %s", strerror(-ret));
		return ret;
	}
	d->nnode = d->topo.nnode;
	d->node = calloc(d->nnode ? d->nnode : 1, sizeof(*d->node));
	d->ncpu = d->topo.max_cpu ? d->topo.max_cpu : 1;
	d->cpu_prev = calloc(d->ncpu, sizeof(*d->cpu_prev));
	d->cpu_cur = calloc(d->ncpu, sizeof(*d->cpu_cur));
	d->cpu_old = calloc(d->ncpu, sizeof(*d->cpu_old));
	d->all_cpu = calloc(d->ncpu, sizeof(*d->all_cpu));
	if (!d->node || !d->cpu_prev || !d->cpu_cur || !d->cpu_old ||
	    !d->all_cpu)
		return -ENOMEM;
	for (size_t c = 0; c < d->ncpu; c++)
		d->all_cpu[c] = c;
	for (size_t i = 0; i < d->nnode; i++) {
		d->node[i].id = d->topo.node[i].id;
		d->node[i].topo = &d->topo.node[i];
		d->node[i].budget.state = PZD_NODE_NO_DATA;
		snprintf(d->node[i].budget.reason,
			 sizeof(d->node[i].budget.reason), "starting");
	}
	for (size_t i = 0; i < d->nnode; i++)
		log_info("node %u: CPUs %s", d->node[i].id,
			 d->node[i].topo->cpulist[0] ? d->node[i].topo->cpulist
						     : "none");
	/* The pool is by node id; ids may have gaps. */
	for (size_t i = 0; i < d->nnode; i++)
		if (d->node[i].id + 1 > d->pool_nnode)
			d->pool_nnode = d->node[i].id + 1;
	d->pool_in = calloc(d->pool_nnode ? d->pool_nnode : 1,
			    sizeof(*d->pool_in));
	if (!d->pool_in)
		return -ENOMEM;
	d->pool = pzd_pool_new(d->event, &d->cfg, d->pool_nnode);
	if (!d->pool)
		return -ENOMEM;

	ret = pzd_module_new(d->event, pzd_engine_module_change, d, &d->mod);
	if (ret < 0) {
		log_err("generic netlink: %s", strerror(-ret));
		return ret;
	}
	if (!pzd_module_loaded(d->mod))
		log_notice("degraded: prezero %s; waiting for it to be loaded",
			   pzd_module_reason(d->mod));
	/* Off (and silent) unless this host is a Xen dom0. */
	d->xen = pzd_xen_new(d->event, &d->cfg);
	if (!d->xen)
		return -ENOMEM;
	psi_arm(d);
	/* The first round takes the first CPU sample; idle shares follow. */
	pzd_engine_round(d);
	ret = sd_event_add_time_relative(d->event, &d->tick, CLOCK_MONOTONIC,
					 (uint64_t)d->cfg.interval_ms * 1000,
					 10000, on_tick, d);
	if (ret < 0) {
		log_err("timer: %s", strerror(-ret));
		return ret;
	}
	ret = sd_event_add_time_relative(d->event, &d->pool_watch,
					 CLOCK_MONOTONIC, POOL_WATCH_MS * 1000,
					 5000, on_pool_watch, d);
	if (ret < 0)
		log_err("timer: %s", strerror(-ret));
	return ret;
}

void pzd_engine_release(struct pzd_daemon *d)
{
	struct pz_node *mods = NULL;
	char buf[PZ_ERR_MSG_LEN + 64];
	struct pz_err e;
	size_t nmod = 0;

	if (!d->mod || !pzd_module_loaded(d->mod))
		return;
	/* Every node the module has, whether we sampled it or not. */
	if (pzd_module_dump(d->mod, &mods, &nmod, &e) < 0) {
		log_warning("taking the budgets back: %s",
			    pz_err_str(&e, buf, sizeof(buf)));
		return;
	}
	for (size_t i = 0; i < nmod && pzd_module_loaded(d->mod); i++)
		if (pzd_module_set_budget(d->mod, mods[i].id, 0, 0, &e) < 0)
			log_warning("node %u: taking the budget back failed: %s",
				    mods[i].id, pz_err_str(&e, buf, sizeof(buf)));
	free(mods);
}

void pzd_engine_stop(struct pzd_daemon *d)
{
	d->tick = sd_event_source_disable_unref(d->tick);
	d->pool_watch = sd_event_source_disable_unref(d->pool_watch);
	psi_disarm(d);
	pzd_xen_free(d->xen);
	d->xen = NULL;
	pzd_module_free(d->mod);
	d->mod = NULL;
	pzd_pool_free(d->pool);
	d->pool = NULL;
	free(d->pool_in);
	d->pool_in = NULL;
	free(d->node);
	free(d->cpu_prev);
	free(d->cpu_cur);
	free(d->cpu_old);
	free(d->all_cpu);
	d->all_cpu = NULL;
	d->node = NULL;
	d->cpu_prev = d->cpu_cur = d->cpu_old = NULL;
	pzd_topology_free(&d->topo);
}
