/* SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause */
/*
 * The pure parts of prezerod's Xen support (proto/xen-exclude.md): values
 * read from xenstore, watch paths, the xenstore copy of a list, an old
 * list's generation, when a domain is due for a scan. No Xen library here,
 * so tests/unit/test_xenparse.c runs on any host.
 */
#ifndef PREZEROD_XEN_PARSE_H
#define PREZEROD_XEN_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xenexclude.h"

/* Domain ids below DOMID_FIRST_RESERVED (0x7ff0) name domains. */
#define PZD_XEN_DOMID_MAX 0x7fefu
/* A guest's memory in KiB: at most 1 PiB (far above any Xen host). */
#define PZD_XEN_KIB_MAX (UINT64_C(1) << 40)

/* The xenstore copy: at most this many bytes per list/N node, nodes. */
#define PZD_XEN_XS_CHUNK 2048
#define PZD_XEN_XS_NODES 64

/*
 * A xenstore value of len bytes (no NUL needed) as decimal KiB: digits
 * only (no sign, no space, no leading zero unless "0"), at most max.
 * 0, -EINVAL (not a number), -ERANGE (above max).
 */
int pzd_xen_parse_kib(const char *s, size_t len, uint64_t max, uint64_t *out);

/*
 * A watch path "/local/domain/<domid><suffix>" (suffix e.g.
 * "/memory/target"; "" for the domain's directory itself): the domid.
 * The number is decimal without leading zeros and <= PZD_XEN_DOMID_MAX.
 * 0 or -EINVAL.
 */
int pzd_xen_watch_domid(const char *path, const char *suffix, uint32_t *domid);

/* A string member "domid" of a protocol request: a decimal domid? */
bool pzd_xen_parse_domid(const char *s, uint32_t *domid);

/* 8-4-4-4-12 hex digits. */
bool pzd_xen_uuid_valid(const char *s);

/* xenstore "vm" ("/vm/<uuid>") -> uuid (37 bytes); -EINVAL if not. */
int pzd_xen_vm_uuid(const char *s, size_t len, char *uuid);

/*
 * A domain name of len bytes into out (outlen > 0): cut to fit, control
 * characters (and a cut UTF-8 sequence's bytes) replaced by '?'.
 */
void pzd_xen_clean_name(const char *s, size_t len, char *out, size_t outlen);

/*
 * The ranges as xenstore list/N values: "START-END" in lowercase hex
 * without 0x, separated by one space, each value at most chunk_max bytes.
 * buf holds max_nodes values of chunk_max + 1 bytes each (NUL-terminated;
 * value i at buf + i * (chunk_max + 1)). Returns the number of values
 * (0 for no ranges), or -E2BIG when they do not fit in max_nodes.
 */
int pzd_xen_list_chunks(const struct pz_range *r, size_t n, char *buf,
			size_t chunk_max, size_t max_nodes);

/*
 * The generation of an exclude list file's text (its first len bytes):
 * the "generation:" header line before the first empty line, after the
 * "prezero-xen-exclude 1" line. 0 or -EINVAL.
 */
int pzd_xen_file_generation(const char *text, size_t len, uint64_t *gen);

/* "<domid>.exclude" or "<domid>.exclude.json", or a leftover temporary
 * ".<domid>.exclude*": the domid; else -EINVAL. */
int pzd_xen_file_domid(const char *name, uint32_t *domid, bool *temp);

/* What the scheduler knows of one domain (all times in ms, monotonic). */
struct pzd_xen_sched {
	uint64_t changed_ms;	/* target or current last moved (or first seen) */
	uint64_t last_scan_ms;	/* the last scan started, valid if scanned */
	bool scanned;		/* a scan has been done */
	bool dirty;		/* the balloon moved since the last scan */
	bool scannable;		/* has static-max and a type we can scan */
};

/* Settled: nothing moved for settle_ms. */
bool pzd_xen_settled(const struct pzd_xen_sched *s, uint64_t now,
		     uint64_t settle_ms);

/*
 * Due for a scan now: scannable, never scanned or moved since, settled,
 * and the last scan at least min_interval_ms ago.
 */
bool pzd_xen_scan_due(const struct pzd_xen_sched *s, uint64_t now,
		      uint64_t settle_ms, uint64_t min_interval_ms);

#endif
