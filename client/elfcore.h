/* SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause */
/*
 * Rewrite an ELF core of a guest (ELF64 little-endian ET_CORE whose
 * PT_LOAD segments describe guest-physical memory by p_paddr: a saved
 * /proc/vmcore, QEMU's dump-guest-memory) so that no PT_LOAD covers an
 * excluded frame. Dump tools (makedumpfile, crash) treat memory outside
 * every PT_LOAD as a hole and never read it. Behind prezeroctl xen
 * filter-core.
 */
#ifndef PREZERO_CLIENT_ELFCORE_H
#define PREZERO_CLIENT_ELFCORE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xenexclude.h"

/* The largest input program header table we read (56 bytes each). */
#define PZ_CORE_PHNUM_MAX ((uint64_t)1 << 20)
/* The copy buffer: the whole of what is held of the core's data. */
#define PZ_CORE_BUF_SIZE ((size_t)1 << 20)

struct pz_core_stats {
	uint64_t phdrs_in, phdrs_out;	/* program headers */
	uint64_t loads_in, loads_out;	/* of them PT_LOAD */
	uint64_t bytes_in;	/* PT_LOAD file bytes in IN */
	uint64_t bytes_kept;	/* of them in OUT */
	uint64_t bytes_skipped;	/* of them in excluded frames: not in OUT */
	uint64_t bytes_zero;	/* kept bytes that are zero: holes in OUT */
	uint64_t out_size;	/* OUT's length (its blocks: fewer) */
	bool xnum_in, xnum_out;	/* PN_XNUM: the count in section header 0 */
};

/*
 * Write in's core to out without the frames in ex (frame f covers the
 * physical bytes [f * page_size, (f + 1) * page_size)). PT_LOAD segments
 * are split around excluded frames (p_vaddr, when non-zero, moves with
 * p_paddr); other program headers and their data (the notes) are copied;
 * section headers are not (but for PN_XNUM's section 0). OUT is written
 * to a temporary file in its directory, mode 0600 (a core holds guest
 * memory), synced and renamed over OUT only when complete: on error OUT
 * is unchanged. Zero blocks of kept data become holes.
 * Returns 0 and *st, or -1 with err set to a message that names the file.
 */
/* Set it (from a signal handler) to stop a filter: it fails with
 * "interrupted" and removes its temporary file. */
extern volatile sig_atomic_t pz_core_stop;

int pz_core_filter(const char *in, const char *out,
		   const struct pz_ranges *ex, uint32_t page_size,
		   struct pz_core_stats *st, char *err, size_t errlen);

#endif /* PREZERO_CLIENT_ELFCORE_H */
