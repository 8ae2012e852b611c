/* SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause */
/*
 * vm-prepare (proto/control.md): make large chunks of a node's memory
 * available before a VM that the warm pool does not serve (anonymous THP
 * memory, or <hugepages/>) pins its memory at start.
 *
 * Every path is under a root prefix: "" on a real system, a directory
 * holding a fake proc/ and sys/ tree in the unit tests. The functions keep
 * no state and may run on any thread.
 *
 * Side effects of pzd_prepare_node(), both only when the node is short and
 * the caller asked for them; both block the caller while the kernel works
 * (run them off the event loop on big nodes):
 *
 * - compaction (anon): writing the node's sys/devices/system/node/nodeN/
 *   compact file makes the kernel compact every zone of the node in the
 *   writer's context. It costs CPU time on that node (up to seconds on a
 *   large, fragmented node) and migrates movable pages, so running tasks
 *   take page faults and TLB flushes. Nothing is left behind.
 *
 * - hugetlb top-up: the node's nr_hugepages is raised (never lowered) by
 *   the shortfall in huge pages. The kernel allocates the pages now (for
 *   1 GiB pages by searching for contiguous ranges, slow) and may manage
 *   fewer. The raised pool is PERSISTENT: its pages stay reserved for
 *   hugetlb, out of reach of everything else, after the VM stops, until an
 *   admin lowers it by writing the wanted count to
 *   /sys/devices/system/node/nodeN/hugepages/hugepages-<kB>kB/nr_hugepages
 *   (free pages above it are freed at once, pages in use when released)
 *   or to /proc/sys/vm/nr_hugepages (2 MiB pages, all nodes). The
 *   kernel first turns the node's surplus pages (overcommitted ones, like
 *   the warm pool's hugetlbfs files) into persistent ones, so after a
 *   top-up those come back to the buddy allocator only after a lowering.
 */
#ifndef PREZEROD_PREPARE_H
#define PREZEROD_PREPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_object;

enum pzd_backing {
	PZD_BACKING_ANON,	/* THP: 2 MiB chunks from the buddy allocator */
	PZD_BACKING_HUGETLB_2M,	/* the node's hugetlb pool of 2 MiB pages */
	PZD_BACKING_HUGETLB_1G,	/* ...of 1 GiB pages */
};

/* "anon", "hugetlb-2M", "hugetlb-1G" (exact). 0, or -EINVAL if unknown. */
int pzd_backing_parse(const char *name, enum pzd_backing *backing);
/* The name as above; "?" for a value outside the enum. */
const char *pzd_backing_name(enum pzd_backing backing);
/* The chunk the backing is served in: 2 MiB or 1 GiB; 0 outside the enum. */
uint64_t pzd_backing_chunk(enum pzd_backing backing);

/* Sizes a node may be prepared for: 1 B .. 1 PiB. */
#define PZD_PREPARE_SIZE_MAX (UINT64_C(1) << 50)
/* Order columns accepted in /proc/buddyinfo (x86 has 11, arm64 with
 * 64 KiB pages 14). */
#define PZD_BUDDY_MAX_ORDERS 32
/* Size of the error and action strings below. */
#define PZD_PREPARE_MSG 256

/* One node's free blocks per order, all its zones summed. */
struct pzd_buddy {
	unsigned int norders;	/* order columns of the file */
	unsigned int nzones;	/* the node's lines; 0: no memory (all 0) */
	uint64_t blocks[PZD_BUDDY_MAX_ORDERS];	/* [norders..] are 0 */
};

/*
 * Parse /proc/buddyinfo text ("Node 0, zone   Normal   1170   2685 ...")
 * for one node. Every line is checked, not only the node's: each must be
 * "Node N, zone NAME" and 1..PZD_BUDDY_MAX_ORDERS counts, all lines the
 * same number of them. A node without a line (no memory) gives nzones 0.
 * Returns 0, or -EBADMSG with err set ("line 3: ...") and *b unchanged.
 */
int pzd_buddyinfo_parse(const char *text, unsigned int node,
			struct pzd_buddy *b, char *err, size_t errlen);
/* Read ROOT/proc/buddyinfo and parse it: 0, -EBADMSG or -errno, err
 * naming the file. */
int pzd_buddyinfo_read(const char *root, unsigned int node,
		       struct pzd_buddy *b, char *err, size_t errlen);

/* Free bytes in all blocks, for a page size (sysconf(_SC_PAGESIZE) on the
 * system the text came from). Saturates at UINT64_MAX. */
uint64_t pzd_buddy_free_bytes(const struct pzd_buddy *b, uint64_t page_size);
/*
 * Free bytes in blocks of at least chunk bytes (chunk 2 MiB, page 4 KiB:
 * orders >= 9), i.e. what can be handed out in whole chunks. page_size and
 * chunk must be powers of two (else 0). Saturates at UINT64_MAX.
 */
uint64_t pzd_buddy_chunk_bytes(const struct pzd_buddy *b, uint64_t page_size,
			       uint64_t chunk);

/* A node's hugetlb counters for one page size, in pages. nr includes the
 * surplus pages (as the node's nr_hugepages file shows it). */
struct pzd_hugetlb {
	uint64_t nr, free, surplus;
};

/*
 * Read ROOT/sys/devices/system/node/nodeN/hugepages/hugepages-<kB>kB/
 * {nr,free,surplus}_hugepages. Returns 0; -ENODEV (no such node);
 * -EOPNOTSUPP (the node has no such page size: the kernel or CPU does not
 * support it); -EBADMSG (a file is not one decimal number); -errno. err
 * says which and why.
 */
int pzd_hugetlb_read(const char *root, unsigned int node,
		     uint64_t page_bytes, struct pzd_hugetlb *h, char *err,
		     size_t errlen);

/* What pzd_prepare_node() found and did: the members of a node object of
 * the vm-prepare reply, but priority_s. */
#define PZD_PREPARE_ACTIONS 4
struct pzd_prepare_result {
	unsigned int node;
	uint64_t size;
	enum pzd_backing backing;
	uint64_t free_bytes;		/* the node's free memory (buddyinfo) */
	uint64_t chunk_bytes;		/* pzd_backing_chunk() */
	uint64_t servable_bytes;	/* in such chunks, after the actions */
	uint64_t short_bytes;		/* size - servable, 0 if none */
	bool compacted;			/* the compact file was written */
	uint64_t hugetlb_added_pages;	/* nr_hugepages grew by (0: anon) */
	uint64_t hugetlb_free_pages;	/* after the actions (0: anon) */
	unsigned int nactions;
	char actions[PZD_PREPARE_ACTIONS][PZD_PREPARE_MSG];
	char error[PZD_PREPARE_MSG];	/* why, when the call failed */
};

/*
 * Prepare one node for size bytes of backing (proto/control.md,
 * vm-prepare). Counts what the node can serve now: free buddy blocks of at
 * least 2 MiB (anon), or the hugetlb pool's free pages. When short:
 * - anon, compact: writes "1" to the node's compact file and counts again;
 * - hugetlb, topup: raises the node's own nr_hugepages to nr plus the
 *   shortfall in pages, reads back nr and free; hugetlb_added_pages is
 *   what the kernel managed (may be less, or 0).
 * servable counts free hugetlb pages, including ones reserved for mappings
 * already made (the kernel keeps no per-node count of those). Each action
 * is logged (info; a failed one as warning) and put in actions.
 *
 * Returns 0 also when the node stays short (the caller reads short_bytes)
 * and when an action failed (e.g. EACCES: it is in actions). Errors, with
 * res->error set: -ERANGE (size 0 or above PZD_PREPARE_SIZE_MAX), -EINVAL
 * (backing), -ENODEV (no such node), -EOPNOTSUPP (the node has no hugetlb
 * pages of that size), -EBADMSG (a kernel file could not be parsed),
 * -errno (I/O). Nothing is written on bad input.
 */
int pzd_prepare_node(const char *root, unsigned int node, uint64_t size,
		     enum pzd_backing backing, bool compact, bool topup,
		     struct pzd_prepare_result *res);

/*
 * The reply's node object for a result: node, size, backing, free_bytes,
 * chunk_bytes, servable_bytes, short_bytes, compacted, hugetlb_added_pages,
 * hugetlb_free_pages (null for anon), actions (array of strings). The
 * caller adds priority_s. NULL when out of memory.
 */
struct json_object *
pzd_prepare_result_json(const struct pzd_prepare_result *res);

#endif
