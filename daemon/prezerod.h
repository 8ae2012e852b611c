/* SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause */
/*
 * prezerod's state, shared by its event-loop glue: main.c (start, signals,
 * systemd), engine.c (sample, decide, grant) and status.c (the control
 * protocol's operations).
 */
#ifndef PREZEROD_PREZEROD_H
#define PREZEROD_PREZEROD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <systemd/sd-event.h>

#include "config.h"
#include "control.h"
#include "module.h"
#include "monotime.h"
#include "policy.h"
#include "pool.h"
#include "protocol.h"
#include "sample.h"
#include "topology.h"
#include "xen.h"

/* zeroed_bytes history for the zero rate: about 5 s of samples. */
#define PZD_RATE_WINDOW_MS 5000
#define PZD_RATE_SLOTS 64

struct pzd_node {
	unsigned int id;
	const struct pzd_topo_node *topo;

	struct pzd_node_sample sample;
	struct pzd_policy_state pstate;
	struct pzd_budget budget;	/* this round's decision */
	struct pzd_override ovr;	/* runtime override (node-set) */

	/* What the module has from us; sent = false forces a resend. */
	bool sent;
	uint64_t sent_rate, sent_burst;
	int last_set_err;		/* to log a failing set once */

	bool have_mod;			/* mod is this round's module data */
	bool had_mod;			/* ...and was last round's */
	struct pz_node mod;
	uint64_t zero_ns_delta;		/* module's zeroing time this round */
	pid_t worker_pid;		/* the node's "prezero/N" thread, 0: unknown */
	bool worker_have_prev;
	uint64_t worker_ticks;		/* its utime + stime at the last round */
	uint64_t credit_ns;		/* busy time counted as idle this round */
	uint64_t credit_prev_ns;	/* ...and the round before */
	struct { uint64_t ms, bytes; } hist[PZD_RATE_SLOTS];
	unsigned int hist_len, hist_head;
	double zero_rate;		/* bytes/s */
	uint64_t priority_until_ms;	/* vm-prepare's scrubbing priority */
};

struct pzd_daemon {
	sd_event *event;
	uint64_t start_ms;

	/* Config: where from, and what came from the command line. */
	char config_path[PATH_MAX];
	bool config_explicit;		/* --config given: missing is an error */
	const char *socket_arg;		/* --socket */
	int log_level_arg;		/* --log-level, -1 if not given */
	struct pzd_config cfg;
	bool config_defaults;		/* the default file was missing */

	struct pzd_topology topo;
	struct pzd_node *node;		/* one per topology node, by id */
	size_t nnode;

	struct pzd_cpu_times *cpu_prev, *cpu_cur, *cpu_old;
	unsigned int *all_cpu;		/* 0..ncpu-1, for memory-only nodes */
	size_t ncpu;			/* entries of the CPU arrays */
	bool have_cpu_prev, have_cpu_old;
	bool workers_stale;		/* find the worker threads again */
	bool self_have_prev;
	uint64_t self_ticks;		/* our own utime + stime, last round */
	uint64_t self_credit_ns;	/* our own CPU time this round */
	uint64_t self_credit_prev_ns;	/* ...and the round before */
	long clk_tck;			/* /proc/stat's unit, ticks per second */
	struct pzd_sys_sample sys;
	bool psi_warned;

	struct pzd_pool *pool;
	struct pzd_pool_node_in *pool_in;	/* by node id */
	size_t pool_nnode;		/* highest node id + 1 */
	bool have_mem_stall;
	uint64_t mem_stall_us;		/* memory "some" total, last round */
	bool psi_fired;			/* the trigger fired since the round */
	bool pool_pressure;		/* this round: the pool gives back */

	struct pzd_module *mod;
	struct pzd_xen *xen;		/* Xen dom0 exclude lists (xen.c) */
	struct pzd_control *ctl;
	struct pzd_protocol proto;

	sd_event_source *tick;
	sd_event_source *pool_watch;
	sd_event_source *psi_src;
	int psi_fd;
	unsigned int psi_armed_ms;	/* psi_trigger_ms the trigger has */

	char status[256];		/* the last STATUS= sent */
	bool stopping;
};

/* engine.c */
int pzd_engine_start(struct pzd_daemon *d);
void pzd_engine_stop(struct pzd_daemon *d);
/* Sample, decide and send budgets now (also run by the tick). */
void pzd_engine_round(struct pzd_daemon *d);
/* Set every node's module budget to 0 (stop). */
void pzd_engine_release(struct pzd_daemon *d);
/* The config changed: re-arm the trigger and the tick, resend budgets. */
void pzd_engine_config_changed(struct pzd_daemon *d);
void pzd_engine_module_change(struct pzd_module *m,
			      enum pzd_module_change change,
			      const struct pz_event *ev, void *userdata);
struct pzd_node *pzd_engine_node(struct pzd_daemon *d, unsigned int id);
/* The monotonic clock in the policy's unit (uint64_t ms). */
static inline uint64_t pzd_now_ms(void)
{
	return (uint64_t)pz_mono_ms();
}

/* status.c */
extern const struct pzd_protocol_ops pzd_status_ops;

/* main.c */
/* Load the config (at start and on reload). 0, or -1 with err filled and
 * d->cfg unchanged. */
int pzd_reload(struct pzd_daemon *d, char *err, size_t errlen);

#endif
