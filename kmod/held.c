// SPDX-License-Identifier: GPL-2.0-only
/*
 * Held blocks: free blocks a node had no budget to zero.
 *
 * Refusing a batch (an error from report()) would end the kernel's whole
 * reporting pass, and the pass walks zones in node order: one node without
 * budget would starve every node after it. So a node without tokens holds
 * its batch instead: report() returns 0, the kernel marks the blocks
 * reported, and we remember them in a per-node bitmap, one bit per block of
 * the reporting order. "Reported and not held" is what means zeroed.
 *
 * When tokens return, pz_held_release() clears PageReported on as many held
 * blocks as the tokens cover, under the zone lock (mm changes the flag only
 * there), and the next pass offers exactly those again. At unload every held
 * block is released, so no stale "reported" flag outlives the bitmap.
 *
 * A bit whose block was allocated in the meantime is stale; it is dropped
 * when release finds the block in use. Bits of blocks in flight (isolated
 * by a pass: not buddy, no references) are left alone.
 */
#include <linux/bitmap.h>
#include <linux/memory_hotplug.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "prezero.h"

int pz_held_init(struct pz_node *pn)
{
	/* Aligned: bit N must map back to a block head (node 0 starts at 1). */
	pn->held_base = round_down(node_start_pfn(pn->nid), 1UL << pz_order);
	pn->held_bits = DIV_ROUND_UP(node_end_pfn(pn->nid) - pn->held_base,
				     1UL << pz_order);
	pn->held = bitmap_zalloc(pn->held_bits, GFP_KERNEL);
	return pn->held ? 0 : -ENOMEM;
}

void pz_held_free(struct pz_node *pn)
{
	bitmap_free(pn->held);
	pn->held = NULL;
}

/* Bits of the block at @pfn of @order: [*first, *first + *n). */
static bool pz_held_range(struct pz_node *pn, unsigned long pfn,
			  unsigned int order, unsigned long *first,
			  unsigned long *n)
{
	if (pfn < pn->held_base || order < pz_order)
		return false;
	*first = (pfn - pn->held_base) >> pz_order;
	*n = 1UL << (order - pz_order);
	return *first + *n <= pn->held_bits;
}

/* Atomic bit by bit: report() may set neighbouring bits meanwhile. */
static void pz_held_clear(struct pz_node *pn, unsigned long first,
			  unsigned long n)
{
	while (n--)
		clear_bit(first++, pn->held);
}

/* Mark (or clear) the batch's blocks; false if one lies beyond the map. */
bool pz_held_mark(struct pz_node *pn, struct scatterlist *sgl,
		  unsigned int nents, bool held)
{
	struct scatterlist *sg;
	unsigned long first, n, i;
	unsigned int k;

	for_each_sg(sgl, sg, nents, k)
		if (!pz_held_range(pn, page_to_pfn(sg_page(sg)),
				   get_order(sg->length), &first, &n))
			return false;
	for_each_sg(sgl, sg, nents, k) {
		pz_held_range(pn, page_to_pfn(sg_page(sg)),
			      get_order(sg->length), &first, &n);
		if (!held) {
			pz_held_clear(pn, first, n);
			continue;
		}
		for (i = first; i < first + n; i++)
			set_bit(i, pn->held);
	}
	return true;
}

bool pz_held_any(struct pz_node *pn)
{
	return find_first_bit(pn->held, pn->held_bits) < pn->held_bits;
}

/*
 * Is this reported free block one we hold? Exact under the zone lock, a
 * sample's estimate without it.
 */
bool pz_held_test(struct pz_node *pn, struct page *page, unsigned int order)
{
	unsigned long first, n;

	if (!pz_held_range(pn, page_to_pfn(page), order, &first, &n))
		return false;
	return find_next_bit(pn->held, first + n, first) < first + n;
}

/*
 * Release held blocks until @bytes are released (U64_MAX: all of them).
 * Returns the bytes released.
 */
u64 pz_held_release(struct pz_node *pn, u64 bytes)
{
	unsigned long bit = 0, first, n, flags;
	u64 done = 0;

	while (done < bytes &&
	       (bit = find_next_bit(pn->held, pn->held_bits, bit)) <
	       pn->held_bits) {
		unsigned long pfn = pn->held_base + (bit << pz_order);
		struct page *page = pfn_to_online_page(pfn);
		struct zone *zone;
		unsigned int order;

		if (!page) {
			clear_bit(bit++, pn->held);
			continue;
		}
		zone = page_zone(page);
		spin_lock_irqsave(&zone->lock, flags);
		order = page_private(page);
		if (PageBuddy(page) && PageReported(page) && order >= pz_order &&
		    pz_held_range(pn, pfn, order, &first, &n)) {
			/*
			 * The whole block goes back to unreported, as
			 * __ClearPageReported() would do, atomically.
			 */
			clear_bit(PG_reported, &page->flags);
			pz_held_clear(pn, first, n);
			done += PAGE_SIZE << order;
		} else if (!PageBuddy(page) && page_ref_count(page)) {
			/* Allocated since: the bit is stale. */
			clear_bit(bit, pn->held);
		}
		spin_unlock_irqrestore(&zone->lock, flags);
		bit++;
		cond_resched();
	}
	return done;
}
