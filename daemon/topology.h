/* SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause */
/*
 * NUMA topology from libnuma: the nodes, their CPUs and memory. Without
 * NUMA support (numa_available() < 0) the machine is one node 0 with every
 * configured CPU (0..sysconf(_SC_NPROCESSORS_CONF)-1; offline ones have no
 * /proc/stat line and drop out of the idle share by themselves). Only nodes
 * with memory are listed: memory-only nodes have ncpu 0, the CPUs of a
 * memoryless node are in no node.
 */
#ifndef PREZEROD_TOPOLOGY_H
#define PREZEROD_TOPOLOGY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pzd_topo_node {
	unsigned int id;
	unsigned int *cpu;	/* CPU numbers, ascending */
	size_t ncpu;		/* 0: memory-only node */
	char cpulist[128];	/* "0-3,8", "" when no CPU */
};

struct pzd_topology {
	struct pzd_topo_node *node;	/* ascending id, nodes with memory */
	size_t nnode;
	unsigned int max_cpu;		/* highest possible CPU number + 1 */
};

int pzd_topology_load(struct pzd_topology *t);	/* 0 or -errno */
void pzd_topology_free(struct pzd_topology *t);
const struct pzd_topo_node *pzd_topology_node(const struct pzd_topology *t,
					      unsigned int id);

/* Free and total memory of a node (libnuma numa_node_size64). */
int pzd_node_memory(unsigned int id, uint64_t *free_bytes,
		    uint64_t *total_bytes);

/* "0-3,8" from a sorted list (duplicates allowed); returns buf. When it
 * does not fit len it is cut after a whole item and ends in "...". */
const char *pzd_cpulist_format(const unsigned int *cpu, size_t n, char *buf,
			       size_t len);

#endif
