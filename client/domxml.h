/* SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause */
/*
 * domxml: the parts of a libvirt domain XML that decide how a guest's RAM
 * is backed, parsed with libxml2 into plain C, and the rules libvirt 9.0's
 * QEMU driver applies to them (the per-domain short name, the RAM backend
 * ids, the backend of each guest NUMA cell), for the libvirt hook
 * prezero-hook(8).
 *
 * Sizes are bytes. libvirt keeps memory sizes in KiB rounded up, and so
 * does this parser: a size of "1" with unit "b" is 1024 bytes.
 */
#ifndef PREZERO_CLIENT_DOMXML_H
#define PREZERO_CLIENT_DOMXML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A domain XML longer than this is refused unparsed. */
#define PZ_DOM_MAX_XML (16u << 20)
/* Host NUMA node ids and guest NUMA cell ids are below this (prezerod's
 * node ids are 0..255; QEMU has at most 128 guest cells). */
#define PZ_DOM_MAX_NODES 256
/* libvirt's VIR_DOMAIN_SHORT_NAME_MAX: characters of the name kept in the
 * per-domain directory name "<id>-<name>". */
#define PZ_DOM_SHORT_NAME_MAX 20

/* A set of node (or guest cell) ids, 0..PZ_DOM_MAX_NODES-1. */
struct pz_nodeset {
	uint64_t w[PZ_DOM_MAX_NODES / 64];
};

enum pz_dom_access {
	PZ_DOM_ACCESS_DEFAULT,	/* not given */
	PZ_DOM_ACCESS_SHARED,	/* MAP_SHARED: QEMU writes to the file's pages */
	PZ_DOM_ACCESS_PRIVATE,	/* MAP_PRIVATE: copy on write */
};

enum pz_dom_source {
	PZ_DOM_SOURCE_DEFAULT,	/* no <source type=...> */
	PZ_DOM_SOURCE_ANONYMOUS,
	PZ_DOM_SOURCE_FILE,
	PZ_DOM_SOURCE_MEMFD,
};

enum pz_dom_alloc {
	PZ_DOM_ALLOC_DEFAULT,
	PZ_DOM_ALLOC_IMMEDIATE,	/* QEMU preallocates all of it */
	PZ_DOM_ALLOC_ONDEMAND,
};

enum pz_dom_numa_mode {
	PZ_DOM_NUMA_STRICT,	/* libvirt's default */
	PZ_DOM_NUMA_PREFERRED,
	PZ_DOM_NUMA_INTERLEAVE,
	PZ_DOM_NUMA_RESTRICTIVE,
};

/* <cpu><numa><cell id cpus memory unit memAccess> */
struct pz_dom_cell {
	unsigned int id;		/* libvirt: 0..ncells-1, each once */
	uint64_t bytes;
	char *cpus;			/* NULL when not given */
	enum pz_dom_access access;	/* memAccess */
};

/* <numatune><memory mode nodeset|placement> or <memnode cellid mode nodeset> */
struct pz_dom_numatune {
	bool set;			/* the element is there */
	unsigned int cellid;		/* memnode only */
	enum pz_dom_numa_mode mode;
	bool has_nodes;			/* false: placement='auto' (numad decides) */
	struct pz_nodeset nodes;	/* host nodes */
};

/* <memoryBacking><hugepages><page size unit nodeset> */
struct pz_dom_page {
	uint64_t bytes;
	bool has_cells;			/* no nodeset: every cell not named elsewhere */
	struct pz_nodeset cells;	/* guest cells */
};

/* A VFIO PCI device: <hostdev mode='subsystem' type='pci'> or
 * <interface type='hostdev'>, with its <source><address>. */
struct pz_dom_pci {
	bool has_address;
	unsigned int domain, bus, slot, function;
};

struct pz_dom {
	char *name;
	long long id;			/* -1: no id (the domain is not running) */
	uint64_t memory_bytes;		/* <memory>; 0 when not given */
	struct pz_dom_cell *cells;	/* by id */
	size_t ncells;
	struct pz_dom_numatune numa_memory;	/* <numatune><memory> */
	struct pz_dom_numatune *memnodes;
	size_t nmemnodes;
	bool hugepages;			/* <hugepages> is there */
	struct pz_dom_page *pages;	/* npages 0 with hugepages: the default size */
	size_t npages;
	enum pz_dom_source source;
	enum pz_dom_access access;
	enum pz_dom_alloc alloc;
	unsigned int alloc_threads;	/* 0: not given */
	bool locked;
	struct pz_dom_pci *hostdevs;
	size_t nhostdevs;
	char *machine;			/* <os><type machine=...>; NULL when not given */
	char *arch;			/* <os><type arch=...>; NULL when not given */
};

/*
 * Parse a domain XML of len bytes (at most PZ_DOM_MAX_XML). The parse is
 * XXE-safe: no network, no external entities, no DTD at all (libvirt never
 * sends one: a DOCTYPE is an error). Returns 0 and fills *d (release it
 * with pz_dom_free()), or a negative errno with a one-line reason in err:
 *   -EINVAL  not well-formed, not a <domain>, a missing or invalid value
 *   -ERANGE  a size, id or count out of range
 *   -EFBIG   longer than PZ_DOM_MAX_XML
 *   -ENOMEM
 * On error *d is empty (pz_dom_free() is harmless on it).
 */
int pz_dom_parse(const char *xml, size_t len, struct pz_dom *d,
		 char *err, size_t errlen);
void pz_dom_free(struct pz_dom *d);

/*
 * A libvirt scaled size: a decimal value and a unit as libvirt's
 * virScaleInteger() takes them: none (KiB), "b", "bytes", "k"/"KiB" = 1024,
 * "KB" = 1000, likewise M, G, T, P, E (any case). The result in bytes is
 * rounded up to whole KiB, as libvirt keeps it, and must stay below 2^63
 * bytes (libvirt's limit). Returns 0, -EINVAL (malformed: sign, empty, bad
 * unit) or -ERANGE, with *why set on error.
 */
int pz_dom_scale(const char *value, const char *unit, uint64_t *bytes,
		 const char **why);

/* libvirt's bitmap syntax: "0-3,^2,7" (ranges, ^ excludes), ids below
 * PZ_DOM_MAX_NODES, not empty. Returns 0, -EINVAL or -ERANGE, *why set on
 * error. */
int pz_nodeset_parse(const char *s, struct pz_nodeset *ns, const char **why);
bool pz_nodeset_has(const struct pz_nodeset *ns, unsigned int id);
void pz_nodeset_add(struct pz_nodeset *ns, unsigned int id);
unsigned int pz_nodeset_weight(const struct pz_nodeset *ns);
/* The lowest id above after (-1: from the start), -1 when none. */
int pz_nodeset_next(const struct pz_nodeset *ns, int after);
/* "0-3,5" ("" when empty); truncated to len. */
char *pz_nodeset_format(const struct pz_nodeset *ns, char *buf, size_t len);

/* ---- libvirt's rules -------------------------------------------------- */

/*
 * The guest's memory is populated whole when QEMU starts: a VFIO device
 * pins it, <allocation mode='immediate'/> preallocates it, <locked/>
 * mlocks it.
 */
bool pz_dom_populated_at_start(const struct pz_dom *d);

/* How QEMU backs one RAM region (qemuBuildMemoryBackendProps()). */
enum pz_dom_backing {
	PZ_DOM_BACKING_RAM,	/* memory-backend-ram: anonymous memory */
	PZ_DOM_BACKING_MEMFD,	/* memory-backend-memfd (shmem, or hugetlb) */
	PZ_DOM_BACKING_FILE,	/* memory-backend-file on the file
				 * <memory_backing_dir>/<short name>/<alias> */
	PZ_DOM_BACKING_HUGETLB,	/* memory-backend-file, a temporary file in
				 * a hugetlbfs directory; preallocated */
};

/* One RAM region: a guest NUMA cell, or the machine's default RAM. */
struct pz_dom_ram {
	int cell;			/* -1: the machine's default RAM */
	uint64_t bytes;
	enum pz_dom_backing backing;
	bool hugetlb;			/* HUGETLB, or MEMFD with huge pages */
	uint64_t page_bytes;		/* hugetlb: 0 = the host's default size */
	enum pz_dom_access access;	/* effective: cell, else domain */
	const struct pz_dom_numatune *numa;	/* its binding, NULL: none */
};

/* One region per guest NUMA cell, else one. */
size_t pz_dom_ram_count(const struct pz_dom *d);
/* Region i, decided as libvirt 9.0 does; sys_page_bytes is the host's base
 * page size (a <page> of that size means no huge pages). */
void pz_dom_ram(const struct pz_dom *d, size_t i, uint64_t sys_page_bytes,
		struct pz_dom_ram *r);

/*
 * The id QEMU gives the default RAM of the domain's machine type, which
 * libvirt uses as the backend's alias when the guest has no NUMA cells
 * ("pc.ram" for x86 pc/q35). host_arch stands in for a missing arch. NULL
 * with *why set for machines whose id this does not know.
 */
const char *pz_dom_default_ram_id(const struct pz_dom *d, const char *host_arch,
				  const char **why);

/*
 * virDomainDefGetShortName(): "<id>-<name>" with the name cut to
 * PZ_DOM_SHORT_NAME_MAX characters of libvirtd's locale, which a hook
 * cannot see (libvirt runs hooks with LC_ALL=C). So there are two rules:
 *   PZ_DOM_NAME_BYTES  libvirtd in the C/POSIX locale: 20 bytes
 *   PZ_DOM_NAME_UTF8   libvirtd in a UTF-8 locale: 20 characters (a name
 *                      that is not valid UTF-8 falls back to 20 bytes)
 * They differ only for names with multibyte characters. Returns 0, -EINVAL
 * (no id: the domain is not running), -ENAMETOOLONG (len too small) or
 * -ENOTSUP (no UTF-8 locale to convert with).
 */
enum pz_dom_name_rule {
	PZ_DOM_NAME_BYTES,
	PZ_DOM_NAME_UTF8,
};
int pz_dom_short_name(long long id, const char *name,
		      enum pz_dom_name_rule rule, char *buf, size_t len);

#endif /* PREZERO_CLIENT_DOMXML_H */
