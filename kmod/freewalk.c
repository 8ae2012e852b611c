// SPDX-License-Identifier: GPL-2.0-only
/*
 * How much of a node's free memory is zeroed right now. The kernel keeps no
 * count of reported blocks, so we walk the free lists the way free page
 * reporting does: blocks of the reporting order and up, under the zone lock,
 * from each list's tail (reported blocks are put back at the tail). Zeroed
 * means reported and not held (held.c). A walk is
 * bounded (PZ_WALK_CAP blocks per list per lock hold) and cached for a
 * second, so unprivileged status readers cannot keep zone locks busy.
 *
 * Zones that free page reporting skips (free memory below the low watermark
 * plus one full batch, e.g. a 16 MiB ZONE_DMA) can never be zeroed by us and
 * are left out of both counts.
 */
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/page-isolation.h>
#include <linux/vmstat.h>

#include "prezero.h"

#define PZ_WALK_CAP		4096
#define PZ_WALK_MAX_AGE_NS	NSEC_PER_SEC
/* mm/page_reporting.h: blocks per report call (not exported) */
#define PZ_REPORTING_CAPACITY	32

u64 pz_node_free_bytes(int nid)
{
	pg_data_t *pgdat = NODE_DATA(nid);
	unsigned long pages = 0;
	int i;

	for (i = 0; i < MAX_NR_ZONES; i++)
		if (populated_zone(&pgdat->node_zones[i]))
			pages += zone_page_state(&pgdat->node_zones[i],
						 NR_FREE_PAGES);
	return (u64)pages << PAGE_SHIFT;
}

/* The same test free page reporting applies before it touches a zone. */
bool pz_zone_reportable(struct zone *zone)
{
	unsigned long need = low_wmark_pages(zone) +
			     (PZ_REPORTING_CAPACITY << pz_order);

	return zone_page_state(zone, NR_FREE_PAGES) >= need;
}

static void pz_walk_zone(struct pz_node *pn, struct zone *zone,
			 struct pz_walk *w)
{
	unsigned int order, mt, seen;
	unsigned long flags;
	struct page *page;

	for (order = pz_order; order < NR_PAGE_ORDERS; order++) {
		struct free_area *area = &zone->free_area[order];
		u64 block = PAGE_SIZE << order;

		w->free_large_bytes += READ_ONCE(area->nr_free) * block;
		for (mt = 0; mt < MIGRATE_TYPES; mt++) {
			if (is_migrate_isolate(mt))
				continue;
			seen = 0;
			/* One list per lock hold: at most PZ_WALK_CAP steps. */
			spin_lock_irqsave(&zone->lock, flags);
			list_for_each_entry_reverse(page, &area->free_list[mt],
						    buddy_list) {
				if (++seen > PZ_WALK_CAP) {
					w->exact = false;
					break;
				}
				if (PageReported(page) &&
				    !pz_held_test(pn, page, order))
					w->zeroed_bytes += block;
			}
			spin_unlock_irqrestore(&zone->lock, flags);
		}
		cond_resched();
	}
}

/* @fresh: walk now even if the cached walk is recent. */
void pz_walk_get(struct pz_node *pn, bool fresh, struct pz_walk *out)
{
	pg_data_t *pgdat = NODE_DATA(pn->nid);
	u64 now = ktime_get_ns();
	int i;

	mutex_lock(&pn->walk_lock);
	if (fresh || !pn->walk.when_ns ||
	    now - pn->walk.when_ns > PZ_WALK_MAX_AGE_NS) {
		struct pz_walk w = { .exact = true, .when_ns = now };

		for (i = 0; i < MAX_NR_ZONES; i++) {
			struct zone *zone = &pgdat->node_zones[i];

			if (populated_zone(zone) && pz_zone_reportable(zone))
				pz_walk_zone(pn, zone, &w);
		}
		pn->walk = w;
	}
	*out = pn->walk;
	mutex_unlock(&pn->walk_lock);
}
