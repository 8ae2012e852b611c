/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * prezero: zero free memory in idle time through free page reporting.
 *
 * The kernel's free page reporting hands us batches of free blocks (all from
 * one zone, so one NUMA node). A per-node worker thread at the lowest
 * priority, bound to the node's CPUs, zeroes a batch when the node's token
 * bucket allows it; otherwise the node holds the batch until tokens return
 * (held.c). The daemon grants the buckets over generic netlink (netlink.c).
 */
#ifndef _PREZERO_H
#define _PREZERO_H

#include <linux/atomic.h>
#include <linux/kthread.h>
#include <linux/log2.h>
#include <linux/mutex.h>
#include <linux/nodemask.h>
#include <linux/page_reporting.h>
#include <linux/scatterlist.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include <linux/prezero.h>

#define PREZERO_MODULE_VERSION "0.1.0"

/*
 * Number of buddy orders. Before 6.8 there is no NR_PAGE_ORDERS, and MAX_ORDER
 * changed meaning in 6.4; MAX_ORDER_NR_PAGES is the largest block throughout.
 */
#ifndef NR_PAGE_ORDERS
#define NR_PAGE_ORDERS (ilog2(MAX_ORDER_NR_PAGES) + 1)
#endif

/* A free-list walk: what the node's large free blocks hold right now. */
struct pz_walk {
	u64 free_large_bytes;	/* blocks >= reporting order, exact */
	u64 zeroed_bytes;	/* of those, marked reported */
	bool exact;		/* false: a list was longer than the cap */
	u64 when_ns;		/* ktime_get_ns() of the walk; 0 = never */
};

/* Snapshot of a node's budget and counters for netlink. */
struct pz_node_stats {
	bool enabled;
	u64 rate, burst;
	s64 tokens;
	u64 zeroed_bytes, zeroed_blocks, zero_ns;
	u64 report_calls, returned_blocks, exhausted;
	bool scrubbed;
};

struct pz_node {
	int nid;

	/* Budget (budget.c), under @lock. */
	spinlock_t lock;
	bool enabled;
	u64 rate;		/* bytes per second */
	u64 burst;		/* most tokens */
	s64 tokens;		/* bytes; < 0 after an overshoot */
	u64 refill_ns;
	bool starved;		/* out of budget, event sent */
	bool scrubbed;		/* last settle check found all zeroed */

	/* Counters since load, read without the lock. */
	atomic64_t zeroed_bytes;
	atomic64_t zeroed_blocks;
	atomic64_t zero_ns;
	atomic64_t report_calls;
	atomic64_t returned_blocks;
	atomic64_t exhausted;

	/* Zeroing runs on this node's worker (report.c). */
	struct kthread_worker *worker;
	struct kthread_work zero_work;
	struct scatterlist *job_sgl;
	unsigned int job_nents;
	struct completion job_done;

	/* Re-arm reporting when tokens return; check for "scrubbed". */
	struct delayed_work kick_work;
	struct delayed_work settle_work;

	/* Blocks reported without zeroing (held.c), a bit per block. */
	unsigned long *held;
	unsigned long held_base;	/* pfn of bit 0 */
	unsigned long held_bits;

	/* Cached free-list walk (freewalk.c). */
	struct mutex walk_lock;
	struct pz_walk walk;
};

/* main.c */
extern unsigned int pz_order;
extern bool pz_stopping;
struct pz_node *pz_node_get(int nid);
unsigned int pz_nr_nodes(void);

/* budget.c */
void pz_budget_init(struct pz_node *pn, u64 rate, u64 burst);
bool pz_budget_take(struct pz_node *pn, u64 bytes, u64 *wait_ns);
bool pz_budget_granted(struct pz_node *pn);
u64 pz_budget_soon(struct pz_node *pn, u64 ns);
u64 pz_budget_refill_ns(struct pz_node *pn);
void pz_budget_set(struct pz_node *pn, const bool *enabled,
		   const u64 *rate, const u64 *burst);
void pz_node_stats(struct pz_node *pn, struct pz_node_stats *st);

/* report.c */
extern struct page_reporting_dev_info pz_prdev;
int pz_node_start(struct pz_node *pn);
void pz_node_stop(struct pz_node *pn);
void pz_kick(struct pz_node *pn, unsigned long delay);

/* held.c */
int pz_held_init(struct pz_node *pn);
void pz_held_free(struct pz_node *pn);
bool pz_held_mark(struct pz_node *pn, struct scatterlist *sgl,
		  unsigned int nents, bool held);
bool pz_held_test(struct pz_node *pn, struct page *page, unsigned int order);
u64 pz_held_release(struct pz_node *pn, u64 bytes);
bool pz_held_any(struct pz_node *pn);

/* zero.c */
void pz_zero_block(struct page *page, unsigned long nr);

/* freewalk.c */
u64 pz_node_free_bytes(int nid);
bool pz_zone_reportable(struct zone *zone);
void pz_walk_get(struct pz_node *pn, bool fresh, struct pz_walk *out);

/* verify.c */
struct pz_verify {
	u32 nid;
	u32 block_bytes, probes, sampled, zero, dirty, reported, reported_dirty;
	u32 verdict;
};

void pz_verify_node(struct pz_node *pn, u32 samples, struct pz_verify *v);

/* netlink.c */
int pz_netlink_init(void);
void pz_netlink_exit(void);
void pz_event(u32 type, int nid, u64 bytes);

#endif /* _PREZERO_H */
