// SPDX-License-Identifier: GPL-2.0-only
/*
 * Zeroing a free block. The memory we zero is free and will not be read
 * soon, so on x86-64 we write it with non-temporal SSE2 stores: they bypass
 * the caches (no eviction of the co-runners' working sets) and need half
 * the instructions of clear_page()'s 8-byte loop on CPUs without fast
 * "rep stosb". Elsewhere, clear_highpage().
 *
 * The FPU section is held for PZ_FPU_CHUNK pages at a time, which bounds
 * how long preemption is off (64 KiB: about 10 us at 6 GB/s).
 */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/sched.h>

#include "prezero.h"

#ifdef CONFIG_X86_64
#include <asm/fpu/api.h>

#define PZ_FPU_CHUNK 16

/* Zero one page with non-temporal stores. Caller is in an FPU section. */
static void pz_zero_page_nt(void *addr)
{
	char *p = addr, *end = p + PAGE_SIZE;

	asm volatile("pxor %%xmm0, %%xmm0" : :);
	for (; p < end; p += 64)
		asm volatile("movntdq %%xmm0, 0(%0)\n\t"
			     "movntdq %%xmm0, 16(%0)\n\t"
			     "movntdq %%xmm0, 32(%0)\n\t"
			     "movntdq %%xmm0, 48(%0)"
			     : : "r" (p) : "memory");
}

void pz_zero_block(struct page *page, unsigned long nr)
{
	unsigned long i, j;

	for (i = 0; i < nr; i += PZ_FPU_CHUNK) {
		kernel_fpu_begin();
		for (j = i; j < nr && j < i + PZ_FPU_CHUNK; j++) {
			void *addr = kmap_local_page(nth_page(page, j));

			pz_zero_page_nt(addr);
			kunmap_local(addr);
		}
		/* Non-temporal stores are weakly ordered: publish them. */
		asm volatile("sfence" : : : "memory");
		kernel_fpu_end();
	}
}
#else
void pz_zero_block(struct page *page, unsigned long nr)
{
	unsigned long i;

	for (i = 0; i < nr; i++)
		clear_highpage(nth_page(page, i));
}
#endif
