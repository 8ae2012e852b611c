/* SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause */
/*
 * A Xen guest's exclude list: the guest frame ranges that are not populated
 * (its balloon gave them back), in the file format of proto/xen-exclude.md.
 * prezerod builds and writes lists; prezeroctl reads them (xen exclude,
 * xen filter-core). No Xen library here: the lists are plain data.
 */
#ifndef PREZERO_CLIENT_XENEXCLUDE_H
#define PREZERO_CLIENT_XENEXCLUDE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct json_object;

/* Guest frames [start, end): end is exclusive, start < end. */
struct pz_range {
	uint64_t start, end;
};

/*
 * Ranges in ascending order, disjoint and not adjacent (adjacent ones are
 * merged). At most max ranges are kept: a list that would need more stops
 * there and is marked truncated — fewer exclusions are always safe (a dump
 * tool then reads a few unpopulated frames), more would lose guest data.
 */
struct pz_ranges {
	struct pz_range *r;
	size_t n, cap, max;
	uint64_t frames;	/* sum of end - start over r[] */
	bool truncated;
};

/* Default bound: 1 M ranges (16 MiB). */
#define PZ_RANGES_MAX_DEFAULT ((size_t)1 << 20)
/* The most a list may hold: the reader refuses more, prezerod's max_ranges
 * goes no higher (16 M ranges, 256 MiB in memory). */
#define PZ_EXCLUDE_RANGES_MAX ((size_t)1 << 24)
/* The most ranges prezerod's xen-exclude reply carries (~1.5 MB of JSON);
 * past this the reply says "ranges": null and the files have them. */
#define PZ_EXCLUDE_REPLY_RANGES ((size_t)1 << 16)

/* max 0: PZ_RANGES_MAX_DEFAULT. */
void pz_ranges_init(struct pz_ranges *rs, size_t max);
/* Frees r[] and empties rs (it may be freed again or reused). */
void pz_ranges_free(struct pz_ranges *rs);
/*
 * Append [start, end): start must be >= the end of the last range (equal
 * merges). Returns 0 (also when the list is full: it is then marked
 * truncated and the range dropped), -EINVAL (start >= end or out of
 * order), -ENOMEM.
 */
int pz_ranges_add(struct pz_ranges *rs, uint64_t start, uint64_t end);
/*
 * Add the frames base + i for which bad[i] is true, i < n (a scan batch,
 * in ascending order after what was added before).
 */
int pz_ranges_add_batch(struct pz_ranges *rs, uint64_t base, const bool *bad,
			size_t n);
/* Is frame in one of the ranges? (binary search) */
bool pz_ranges_contains(const struct pz_ranges *rs, uint64_t frame);

/* The header of an exclude list (proto/xen-exclude.md). */
struct pz_exclude_hdr {
	uint32_t domid;
	char uuid[37];		/* "" if unknown */
	char name[128];		/* "" if unknown */
	char type[8];		/* "pv", "pvh", "hvm" */
	uint64_t generation;	/* 1, 2, ... per domain */
	uint32_t page_size;	/* 4096 */
	int64_t time;		/* when scanned: Unix seconds */
	uint64_t scanned_frames;	/* frames [0, scanned_frames) examined */
	bool complete;		/* false: truncated, or part of the scan failed */
};

/*
 * The text form; returns 0, -EINVAL when the header cannot be written
 * (type not pv/pvh/hvm, uuid neither empty nor canonical, generation 0,
 * page size not a power of two in [512, 1 GiB], negative time, a range
 * beyond scanned_frames), or -errno from the FILE. complete is written as
 * h->complete && !rs->truncated; control characters in the name become
 * '?' (also in the JSON form).
 */
int pz_exclude_write_text(FILE *f, const struct pz_exclude_hdr *h,
			  const struct pz_ranges *rs);
/*
 * The JSON form as an object (caller puts it); NULL without memory. A list
 * of more than max_inline ranges gets "ranges": null and "range_count"
 * instead: a tree costs ~200 bytes a range, so large lists are read from
 * the files (proto/xen-exclude.md, control protocol).
 */
struct json_object *pz_exclude_to_json(const struct pz_exclude_hdr *h,
				       const struct pz_ranges *rs,
				       size_t max_inline);
/*
 * The JSON form written to f as one line, streamed: the same bytes as
 * pz_exclude_to_json(h, rs, SIZE_MAX) printed with JSON_C_TO_STRING_PLAIN,
 * without building the ranges' tree. 0, -ENOMEM or -errno from the FILE.
 */
int pz_exclude_write_json(FILE *f, const struct pz_exclude_hdr *h,
			  const struct pz_ranges *rs);
/*
 * Parse the text form strictly. Returns 0, or -1 with err set to
 * "LINE: reason" (the caller prefixes the file name). rs is initialised
 * here (max: PZ_EXCLUDE_RANGES_MAX) and must be freed by the caller.
 */
int pz_exclude_parse_text(FILE *f, struct pz_exclude_hdr *h,
			  struct pz_ranges *rs, char *err, size_t errlen);

/* The longest line the parser takes (without its newline). */
#define PZ_EXCLUDE_LINE_MAX 1024

/*
 * Open and parse the text form at path. Returns 0, or -1 with err set to
 * "PATH:LINE: reason" or "PATH: strerror". rs as for pz_exclude_parse_text.
 */
int pz_exclude_read_file(const char *path, struct pz_exclude_hdr *h,
			 struct pz_ranges *rs, char *err, size_t errlen);

#endif /* PREZERO_CLIENT_XENEXCLUDE_H */
