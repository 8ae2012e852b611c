// SPDX-License-Identifier: GPL-2.0-only
/*
 * The free page reporting callback and the per-node zeroing workers.
 *
 * report() runs from the kernel's reporting work with the zone lock dropped
 * and may sleep; the blocks it is given are off the free lists until it
 * returns. With budget, the node's worker zeroes them and they go back
 * marked "reported". Without, the node holds them (held.c): they go back
 * marked as well, so the pass moves on to the other nodes, and we re-offer
 * them when tokens return (pz_kick: release held blocks, then free a block
 * above the reporting order, which requests a pass). On an idle host
 * nothing else would start a pass.
 */
#include <linux/cpumask.h>
#include <linux/gfp.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/topology.h>

#include "prezero.h"

/* mm/page_reporting.c: a pass starts this long after it is requested. */
#define PZ_PASS_DELAY (2 * HZ)
/* After a node's last report call: later than the next pass would start. */
#define PZ_SETTLE_DELAY (PZ_PASS_DELAY + HZ)

static void pz_zero_work(struct kthread_work *work)
{
	struct pz_node *pn = container_of(work, struct pz_node, zero_work);
	struct scatterlist *sg;
	unsigned int i;
	u64 start = ktime_get_ns(), bytes = 0;

	for_each_sg(pn->job_sgl, sg, pn->job_nents, i) {
		pz_zero_block(sg_page(sg), sg->length >> PAGE_SHIFT);
		bytes += sg->length;
		cond_resched();
	}
	atomic64_add(ktime_get_ns() - start, &pn->zero_ns);
	atomic64_add(bytes, &pn->zeroed_bytes);
	atomic64_add(pn->job_nents, &pn->zeroed_blocks);
	complete(&pn->job_done);
}

/*
 * Kick when @ns have passed (U64_MAX: never). The pass we request starts
 * PZ_PASS_DELAY after the kick, so kick that much earlier.
 */
static void pz_kick_in(struct pz_node *pn, u64 ns)
{
	unsigned long delay;

	if (ns == U64_MAX)
		return;
	delay = nsecs_to_jiffies(ns) + 1;
	pz_kick(pn, delay > PZ_PASS_DELAY ? delay - PZ_PASS_DELAY : 0);
}

static int pz_report(struct page_reporting_dev_info *prdev,
		     struct scatterlist *sgl, unsigned int nents)
{
	struct pz_node *pn = pz_node_get(page_to_nid(sg_page(sgl)));
	struct scatterlist *sg;
	unsigned int i;
	u64 bytes = 0, wait_ns;
	bool first_miss;

	if (!pn || READ_ONCE(pz_stopping))
		return -ENODEV;

	atomic64_inc(&pn->report_calls);
	for_each_sg(sgl, sg, nents, i)
		bytes += sg->length;

	if (!pz_budget_take(pn, bytes, &wait_ns)) {
		/* Beyond the held map (memory hot-added): refuse the batch. */
		if (!pz_held_mark(pn, sgl, nents, true))
			return -ENOSPC;
		atomic64_add(nents, &pn->returned_blocks);
		spin_lock(&pn->lock);
		first_miss = !pn->starved && pn->enabled && pn->rate;
		pn->starved = true;
		/* Free memory the node did not zero: no longer scrubbed. */
		pn->scrubbed = false;
		spin_unlock(&pn->lock);
		if (first_miss) {
			atomic64_inc(&pn->exhausted);
			pz_event(PREZERO_EVENT_TYPE_BUDGET_EXHAUSTED, pn->nid,
				 pn->rate);
		}
		pz_kick_in(pn, wait_ns);
		return 0;
	}

	spin_lock(&pn->lock);
	pn->scrubbed = false;
	spin_unlock(&pn->lock);

	/* Zero on the node's own low-priority worker and wait for it. */
	pn->job_sgl = sgl;
	pn->job_nents = nents;
	reinit_completion(&pn->job_done);
	kthread_queue_work(pn->worker, &pn->zero_work);
	wait_for_completion(&pn->job_done);
	/* Zeroed now, whatever it was before; cannot fail, it was in range. */
	pz_held_mark(pn, sgl, nents, false);
	/* Blocks still held: re-offer them as soon as the bucket is full. */
	if (pz_held_any(pn))
		pz_kick_in(pn, pz_budget_refill_ns(pn));

	mod_delayed_work(system_wq, &pn->settle_work, PZ_SETTLE_DELAY);
	return 0;
}

struct page_reporting_dev_info pz_prdev = {
	.report = pz_report,
	/* 0: the kernel's default, pageblock_order */
};

/*
 * Re-offer the held blocks the node's tokens will cover when the pass runs,
 * then request a pass: free a block above the reporting order. Such a free
 * goes straight to the buddy lists (never a per-cpu list) and asks free page
 * reporting for a pass, which starts PZ_PASS_DELAY later. Nothing released,
 * nothing to do: blocks that were never held are offered by the passes that
 * their own freeing requested.
 */
static void pz_kick_work(struct work_struct *work)
{
	struct pz_node *pn = container_of(to_delayed_work(work),
					  struct pz_node, kick_work);
	unsigned int order = pz_order + 1;
	struct page *page;
	u64 tokens;

	if (READ_ONCE(pz_stopping) || !pz_budget_granted(pn))
		return;
	tokens = pz_budget_soon(pn, jiffies_to_nsecs(PZ_PASS_DELAY));
	if (!pz_held_release(pn, max_t(u64, tokens, PAGE_SIZE << pz_order)))
		return;
	page = alloc_pages_node(pn->nid, GFP_KERNEL | __GFP_THISNODE |
				__GFP_NOWARN | __GFP_NORETRY |
				__GFP_NOMEMALLOC, order);
	if (!page) {
		pz_event(PREZERO_EVENT_TYPE_REPORTING_LOST, pn->nid, 0);
		return;
	}
	__free_pages(page, order);
}

void pz_kick(struct pz_node *pn, unsigned long delay)
{
	if (!READ_ONCE(pz_stopping))
		mod_delayed_work(system_wq, &pn->kick_work, delay);
}

/*
 * A few seconds after the node's last report: is every large free block
 * zeroed? If not and there is budget, re-offer what the node holds.
 */
static void pz_settle_work(struct work_struct *work)
{
	struct pz_node *pn = container_of(to_delayed_work(work),
					  struct pz_node, settle_work);
	struct pz_walk w;
	bool done, announce;

	if (READ_ONCE(pz_stopping))
		return;
	pz_walk_get(pn, true, &w);
	done = w.exact && w.zeroed_bytes == w.free_large_bytes;
	spin_lock(&pn->lock);
	announce = done && !pn->scrubbed;
	pn->scrubbed = done;
	/* A starvation episode ends when the node is clean or re-granted. */
	if (done)
		pn->starved = false;
	spin_unlock(&pn->lock);
	if (announce)
		pz_event(PREZERO_EVENT_TYPE_NODE_SCRUBBED, pn->nid,
			 w.zeroed_bytes);
	else if (!done && pz_budget_granted(pn))
		pz_kick(pn, 0);
}

int pz_node_start(struct pz_node *pn)
{
	const struct cpumask *cpus = cpumask_of_node(pn->nid);
	int err;

	kthread_init_work(&pn->zero_work, pz_zero_work);
	init_completion(&pn->job_done);
	INIT_DELAYED_WORK(&pn->kick_work, pz_kick_work);
	INIT_DELAYED_WORK(&pn->settle_work, pz_settle_work);
	mutex_init(&pn->walk_lock);

	err = pz_held_init(pn);
	if (err)
		return err;
	pn->worker = kthread_create_worker(0, "prezero/%d", pn->nid);
	if (IS_ERR(pn->worker)) {
		err = PTR_ERR(pn->worker);
		pn->worker = NULL;
		return err;
	}
	/* Idle-time work: lowest nice, and on the node it zeroes. */
	set_user_nice(pn->worker->task, MAX_NICE);
	if (cpumask_intersects(cpus, cpu_online_mask))
		set_cpus_allowed_ptr(pn->worker->task, cpus);
	return 0;
}

/*
 * Only after page_reporting_unregister(): no report() can run any more, so
 * every held block can be released for good.
 */
void pz_node_stop(struct pz_node *pn)
{
	cancel_delayed_work_sync(&pn->kick_work);
	cancel_delayed_work_sync(&pn->settle_work);
	if (pn->worker)
		kthread_destroy_worker(pn->worker);
	if (pn->held) {
		pz_held_release(pn, U64_MAX);
		pz_held_free(pn);
	}
}
