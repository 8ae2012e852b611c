// SPDX-License-Identifier: GPL-2.0-only
/*
 * Verification: are free blocks really zero? We pick random frames of the
 * node and take the reporting-order block around each one that lies inside
 * a free block of a zone that free page reporting visits (as freewalk.c
 * counts them: a small ZONE_DMA is never offered to us). Random frames
 * make the sample fair: allocating normally would take blocks from the
 * heads of the free lists, while the blocks we
 * zeroed sit at the tails.
 *
 * A block is taken with alloc_contig_range(), which never zeroes unless
 * init_on_alloc is on (then the answer is "inconclusive"), checked with
 * memchr_inv() and freed again. Cost per sample: one contiguous-range
 * allocation (it isolates the pageblock, drains per-cpu lists with IPIs and
 * leaves the pageblock marked movable) and one read of the block. A request
 * takes at most PREZERO_VERIFY_MAX_SAMPLES blocks and probes at most
 * PZ_PROBES_PER_SAMPLE frames per sample. Callers need CAP_NET_ADMIN.
 */
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/memory_hotplug.h>
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/string.h>

#include "prezero.h"

#define PZ_PROBES_PER_SAMPLE 64

/*
 * If @pfn lies in a free block of order >= pz_order, return that block's
 * head and order (racy by nature: alloc_contig_range() re-checks it all).
 */
static struct page *pz_free_block_of(unsigned long pfn, unsigned int *border)
{
	unsigned int order;

	for (order = pz_order; order < NR_PAGE_ORDERS; order++) {
		unsigned long head = pfn & ~((1UL << order) - 1);
		struct page *page = pfn_to_online_page(head);

		if (page && PageBuddy(page) &&
		    READ_ONCE(page->private) >= order) {
			*border = READ_ONCE(page->private);
			return page;
		}
	}
	return NULL;
}

static bool pz_block_is_zero(struct page *page, unsigned long nr)
{
	unsigned long i;
	bool zero = true;

	for (i = 0; i < nr && zero; i++) {
		void *addr = kmap_local_page(nth_page(page, i));

		zero = !memchr_inv(addr, 0, PAGE_SIZE);
		kunmap_local(addr);
	}
	return zero;
}

void pz_verify_node(struct pz_node *pn, u32 samples, struct pz_verify *v)
{
	int nid = pn->nid;
	unsigned long nr = 1UL << pz_order;
	unsigned long start = ALIGN(node_start_pfn(nid), nr);
	unsigned long end = node_end_pfn(nid);
	unsigned long blocks = end > start ? (end - start) / nr : 0;
	u32 max_probes = samples * PZ_PROBES_PER_SAMPLE;

	memset(v, 0, sizeof(*v));
	v->nid = nid;
	v->block_bytes = nr << PAGE_SHIFT;

	while (blocks && v->sampled < samples && v->probes < max_probes) {
		unsigned long pfn = start + (get_random_u64() % blocks) * nr;
		struct page *page = pfn_to_online_page(pfn);
		unsigned int border;
		struct page *head;
		bool reported, zero;

		v->probes++;
		/* Only where we can zero: zones free page reporting visits. */
		if (!page || page_to_nid(page) != nid ||
		    !pz_zone_reportable(page_zone(page)))
			continue;
		head = pz_free_block_of(pfn, &border);
		if (!head)
			continue;
		/* Zeroed by us: reported, and not merely held for lack of budget. */
		reported = PageReported(head) && !pz_held_test(pn, head, border);
		if (alloc_contig_range(pfn, pfn + nr, MIGRATE_MOVABLE,
				       GFP_KERNEL | __GFP_NOWARN))
			continue;
		zero = pz_block_is_zero(page, nr);
		free_contig_range(pfn, nr);

		v->sampled++;
		if (zero)
			v->zero++;
		else
			v->dirty++;
		if (reported) {
			v->reported++;
			if (!zero)
				v->reported_dirty++;
		}
		cond_resched();
	}

	if (!v->sampled)
		v->verdict = PREZERO_VERDICT_NO_SAMPLE;
	else if (want_init_on_alloc(GFP_KERNEL))
		v->verdict = PREZERO_VERDICT_INCONCLUSIVE;
	else if (v->zero == v->sampled)
		v->verdict = PREZERO_VERDICT_ZERO;
	else if (!v->zero)
		v->verdict = PREZERO_VERDICT_DIRTY;
	else
		v->verdict = PREZERO_VERDICT_MIXED;
}
