// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
#include <errno.h>
#include <numa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "log.h"
#include "topology.h"

const char *pzd_cpulist_format(const unsigned int *cpu, size_t n, char *buf,
			       size_t len)
{
	size_t i = 0, pos = 0;
	char item[32];
	int w;

	if (!len)
		return buf;
	buf[0] = '\0';
	while (i < n) {
		unsigned int first = cpu[i], last = cpu[i];

		/* a run of consecutive numbers; duplicates are part of it */
		for (i++; i < n && (cpu[i] == last || cpu[i] == last + 1); i++)
			last = cpu[i];
		if (first == last)
			w = snprintf(item, sizeof(item), "%s%u", pos ? "," : "",
				     first);
		else
			w = snprintf(item, sizeof(item), "%s%u-%u",
				     pos ? "," : "", first, last);
		/*
		 * Does it fit, with room for a "..." that may still be needed
		 * if something follows?
		 */
		if (pos + (size_t)w + (i < n ? 3 : 0) >= len) {
			/*
			 * Cut at an item boundary: "0-3,8...". What is
			 * written so far left room for it (not so when the
			 * first item alone does not fit a tiny buffer).
			 */
			if (pos + 3 < len)
				memcpy(buf + pos, "...", 4);
			return buf;
		}
		memcpy(buf + pos, item, (size_t)w + 1);
		pos += (size_t)w;
	}
	return buf;
}

void pzd_topology_free(struct pzd_topology *t)
{
	size_t i;

	for (i = 0; i < t->nnode; i++)
		free(t->node[i].cpu);
	free(t->node);
	t->node = NULL;
	t->nnode = 0;
	t->max_cpu = 0;
}

/* No NUMA in the kernel: node 0 is the machine, with every CPU it has. */
static int load_flat(struct pzd_topology *t)
{
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	struct pzd_topo_node *n;
	long i;

	if (ncpu < 1)
		ncpu = 1;
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->cpu = calloc((size_t)ncpu, sizeof(*n->cpu));
	if (!n->cpu) {
		free(n);
		return -ENOMEM;
	}
	for (i = 0; i < ncpu; i++)
		n->cpu[i] = (unsigned int)i;
	n->ncpu = (size_t)ncpu;
	pzd_cpulist_format(n->cpu, n->ncpu, n->cpulist, sizeof(n->cpulist));
	t->node = n;
	t->nnode = 1;
	t->max_cpu = (unsigned int)ncpu;
	return 0;
}

/* The CPUs of one node from its cpumask, ascending. */
static int node_cpus(int id, struct bitmask *mask, struct pzd_topo_node *n,
		     unsigned int *max_cpu)
{
	unsigned int c, k = 0, nbits = (unsigned int)mask->size;

	if (numa_node_to_cpus(id, mask) < 0)
		return errno ? -errno : -EIO;
	n->ncpu = numa_bitmask_weight(mask);
	if (n->ncpu) {
		n->cpu = calloc(n->ncpu, sizeof(*n->cpu));
		if (!n->cpu)
			return -ENOMEM;
	}
	for (c = 0; c < nbits && k < n->ncpu; c++) {
		if (!numa_bitmask_isbitset(mask, c))
			continue;
		n->cpu[k++] = c;
		if (c + 1 > *max_cpu)
			*max_cpu = c + 1;
	}
	pzd_cpulist_format(n->cpu, n->ncpu, n->cpulist, sizeof(n->cpulist));
	return 0;
}

int pzd_topology_load(struct pzd_topology *t)
{
	struct pzd_topology r = { 0 };
	struct bitmask *mask;
	int id, max_node, err = 0;
	long long size, free_b;
	long conf;

	if (numa_available() < 0)
		return load_flat(t);

	max_node = numa_max_node();
	mask = numa_allocate_cpumask();
	r.node = calloc((size_t)max_node + 1, sizeof(*r.node));
	if (!mask || !r.node) {
		err = -ENOMEM;
		goto out;
	}
	for (id = 0; id <= max_node; id++) {
		struct pzd_topo_node *n = &r.node[r.nnode];

		if (!numa_bitmask_isbitset(numa_nodes_ptr, (unsigned int)id))
			continue;
		/*
		 * Only nodes with memory have pages to zero. The CPUs of a
		 * memoryless node belong to no node here; memory-only nodes
		 * (CXL, PMEM) are kept with no CPU.
		 */
		size = numa_node_size64(id, &free_b);
		if (size <= 0)
			continue;
		n->id = (unsigned int)id;
		err = node_cpus(id, mask, n, &r.max_cpu);
		r.nnode++;	/* so that a failure frees its cpu array */
		if (err) {
			log_err("NUMA node %d: cannot read its CPUs: %s", id,
				strerror(-err));
			goto out;
		}
	}
	if (!r.nnode) {
		log_err("no NUMA node with memory found");
		err = -ENOENT;
		goto out;
	}
	/* CPUs offline now still get a slot: they may come back. */
	conf = sysconf(_SC_NPROCESSORS_CONF);
	if (conf > 0 && (unsigned long)conf > r.max_cpu)
		r.max_cpu = (unsigned int)conf;
out:
	if (mask)
		numa_bitmask_free(mask);
	if (err) {
		pzd_topology_free(&r);
		return err;
	}
	*t = r;
	return 0;
}

const struct pzd_topo_node *pzd_topology_node(const struct pzd_topology *t,
					      unsigned int id)
{
	size_t i;

	for (i = 0; i < t->nnode; i++)
		if (t->node[i].id == id)
			return &t->node[i];
	return NULL;
}

int pzd_node_memory(unsigned int id, uint64_t *free_bytes,
		    uint64_t *total_bytes)
{
	long long size, free_b = 0;
	struct sysinfo si;

	if (numa_available() < 0) {
		if (id != 0)
			return -ENOENT;
		if (sysinfo(&si) < 0)
			return -errno;
		*total_bytes = (uint64_t)si.totalram * si.mem_unit;
		*free_bytes = (uint64_t)si.freeram * si.mem_unit;
		return 0;
	}
	if (id > (unsigned int)numa_max_node())
		return -ENOENT;
	errno = 0;
	size = numa_node_size64((int)id, &free_b);
	if (size < 0)
		return errno ? -errno : -ENOENT;
	*total_bytes = (uint64_t)size;
	*free_bytes = free_b < 0 ? 0 : (uint64_t)free_b;
	return 0;
}
