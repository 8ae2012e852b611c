// SPDX-License-Identifier: GPL-2.0-only
/*
 * prezero.ko: zero free memory in idle time, per NUMA node, within budgets
 * granted over generic netlink. See proto/prezero.yaml for the interface.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/nodemask.h>
#include <linux/slab.h>

#include "prezero.h"

static ulong budget_rate;
module_param(budget_rate, ulong, 0444);
MODULE_PARM_DESC(budget_rate,
		 "Budget at load for every node, bytes/s (default 0: wait for prezerod)");

static ulong budget_burst;
module_param(budget_burst, ulong, 0444);
MODULE_PARM_DESC(budget_burst,
		 "Burst at load for every node, bytes (default: budget_rate)");

/* The order we ask free page reporting for: the kernel's default. */
unsigned int pz_order;
bool pz_stopping;

static struct pz_node *pz_nodes[MAX_NUMNODES];

struct pz_node *pz_node_get(int nid)
{
	if (nid < 0 || nid >= MAX_NUMNODES)
		return NULL;
	return pz_nodes[nid];
}

unsigned int pz_nr_nodes(void)
{
	unsigned int n = 0;
	int nid;

	for (nid = 0; nid < MAX_NUMNODES; nid++)
		n += !!pz_nodes[nid];
	return n;
}

static void pz_free_nodes(void)
{
	int nid;

	for (nid = 0; nid < MAX_NUMNODES; nid++) {
		if (!pz_nodes[nid])
			continue;
		pz_node_stop(pz_nodes[nid]);
		kfree(pz_nodes[nid]);
		pz_nodes[nid] = NULL;
	}
}

/*
 * Nodes with memory at load time. A node hot-added later is not managed:
 * its batches are refused, which ends the kernel's pass (README: reload).
 */
static int pz_alloc_nodes(void)
{
	u64 burst = budget_burst ? budget_burst : budget_rate;
	int nid, err;

	for_each_node_state(nid, N_MEMORY) {
		struct pz_node *pn = kzalloc_node(sizeof(*pn), GFP_KERNEL, nid);

		if (!pn)
			return -ENOMEM;
		pn->nid = nid;
		pz_budget_init(pn, budget_rate, burst);
		pz_nodes[nid] = pn;
		err = pz_node_start(pn);
		if (err)
			return err;
	}
	return 0;
}

static int __init pz_init(void)
{
	int err;

	pz_order = pageblock_order;
	if (pz_order + 1 >= NR_PAGE_ORDERS) {
		pr_err("pageblock order %u leaves no larger order to re-arm reporting\n",
		       pz_order);
		return -EINVAL;
	}
	err = pz_alloc_nodes();
	if (err)
		goto err_nodes;
	err = pz_netlink_init();
	if (err)
		goto err_nodes;
	err = page_reporting_register(&pz_prdev);
	if (err) {
		if (err == -EBUSY)
			pr_err("free page reporting is already in use by another driver (e.g. virtio_balloon); not loading\n");
		else
			pr_err("cannot register for free page reporting: %d\n",
			       err);
		goto err_netlink;
	}
	pr_info("zeroing free blocks of order %u and up on %u node(s), budget %lu B/s\n",
		pz_order, pz_nr_nodes(), budget_rate);
	return 0;

err_netlink:
	pz_netlink_exit();
err_nodes:
	WRITE_ONCE(pz_stopping, true);
	pz_free_nodes();
	return err;
}

static void __exit pz_exit(void)
{
	/* No new events, kicks or zeroing; then no new requests. */
	WRITE_ONCE(pz_stopping, true);
	pz_netlink_exit();
	/* Waits for a report() in progress, which waits for its zeroing. */
	page_reporting_unregister(&pz_prdev);
	pz_free_nodes();
}

module_init(pz_init);
module_exit(pz_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("The prezero authors");
MODULE_DESCRIPTION("Zero free memory in idle time through free page reporting");
MODULE_VERSION(PREZERO_MODULE_VERSION);
