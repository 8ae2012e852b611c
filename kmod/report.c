// SPDX-License-Identifier: GPL-2.0-only
/*
 * The free page reporting callback and the per-node zeroing workers.
 *
 * report() runs from the kernel's reporting work with the zone lock dropped
 * and may sleep; the blocks it is given are off the free lists until it
 * returns. Returning 0 puts them back marked "reported", which is what we
 * promise means "zeroed". Returning an error puts them back unmarked and
 * ends the kernel's pass, so out of budget we return at once and re-arm the
 * pass ourselves (pz_kick) when tokens are back: on an idle host nothing
 * else would, since only freeing a large block requests a new pass.
 */
#include <linux/cpumask.h>
#include <linux/gfp.h>
#include <linux/highmem.h>
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
		struct page *page = sg_page(sg);
		unsigned long n, nr = sg->length >> PAGE_SHIFT;

		for (n = 0; n < nr; n++)
			clear_highpage(nth_page(page, n));
		bytes += sg->length;
		cond_resched();
	}
	atomic64_add(ktime_get_ns() - start, &pn->zero_ns);
	atomic64_add(bytes, &pn->zeroed_bytes);
	atomic64_add(pn->job_nents, &pn->zeroed_blocks);
	complete(&pn->job_done);
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
		atomic64_add(nents, &pn->returned_blocks);
		spin_lock(&pn->lock);
		first_miss = !pn->starved && pn->enabled && pn->rate;
		pn->starved = true;
		spin_unlock(&pn->lock);
		if (first_miss) {
			atomic64_inc(&pn->exhausted);
			pz_event(PREZERO_EVENT_TYPE_BUDGET_EXHAUSTED, pn->nid,
				 pn->rate);
		}
		/* The pass we request starts PZ_PASS_DELAY after the kick. */
		if (wait_ns != U64_MAX) {
			unsigned long delay = nsecs_to_jiffies(wait_ns) + 1;

			pz_kick(pn, delay > PZ_PASS_DELAY ?
				delay - PZ_PASS_DELAY : 0);
		}
		return -ENOSPC;
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

	mod_delayed_work(system_wq, &pn->settle_work, PZ_SETTLE_DELAY);
	return 0;
}

struct page_reporting_dev_info pz_prdev = {
	.report = pz_report,
	/* 0: the kernel's default, pageblock_order */
};

/*
 * Request a reporting pass: free a block above the reporting order. Such a
 * free goes straight to the buddy lists (never a per-cpu list) and asks
 * free page reporting for a pass, which starts two seconds later.
 */
static void pz_kick_work(struct work_struct *work)
{
	struct pz_node *pn = container_of(to_delayed_work(work),
					  struct pz_node, kick_work);
	unsigned int order = pz_order + 1;
	struct page *page;

	if (READ_ONCE(pz_stopping) || !pz_budget_granted(pn))
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
 * zeroed? If not and there are tokens, the pass ended early (budget): re-arm.
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

	kthread_init_work(&pn->zero_work, pz_zero_work);
	init_completion(&pn->job_done);
	INIT_DELAYED_WORK(&pn->kick_work, pz_kick_work);
	INIT_DELAYED_WORK(&pn->settle_work, pz_settle_work);
	mutex_init(&pn->walk_lock);

	pn->worker = kthread_create_worker(0, "prezero/%d", pn->nid);
	if (IS_ERR(pn->worker)) {
		int err = PTR_ERR(pn->worker);

		pn->worker = NULL;
		return err;
	}
	/* Idle-time work: lowest nice, and on the node it zeroes. */
	set_user_nice(pn->worker->task, MAX_NICE);
	if (cpumask_intersects(cpus, cpu_online_mask))
		set_cpus_allowed_ptr(pn->worker->task, cpus);
	return 0;
}

/* Only after page_reporting_unregister(): no report() can run any more. */
void pz_node_stop(struct pz_node *pn)
{
	cancel_delayed_work_sync(&pn->kick_work);
	cancel_delayed_work_sync(&pn->settle_work);
	if (pn->worker)
		kthread_destroy_worker(pn->worker);
}
