// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/*
 * pz-dirty: leave dirty free memory behind.
 *
 *   pz-dirty SIZE                 e.g. 512M, 1.5G, 4096
 *   pz-dirty --percent-free P     P% (0 < P <= 100) of MemAvailable
 *
 * Maps SIZE bytes of anonymous memory (2 MiB aligned, MADV_HUGEPAGE),
 * writes a non-zero byte pattern into every byte, page by page, then unmaps
 * it and exits 0: the freed memory is dirty. Prints one line with what it
 * did. Exit status: 0 done, 1 failure (e.g. mmap), 2 usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "size.h"

#define HUGE_SZ (UINT64_C(2) << 20)

static int usage(void)
{
	fprintf(stderr, "usage: pz-dirty SIZE | pz-dirty --percent-free P\n");
	return 2;
}

/* MemAvailable in bytes, 0 if unknown. */
static uint64_t mem_available(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	unsigned long long kb = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return (uint64_t)kb * 1024;
}

/* AnonHugePages of the mapping starting at addr, in kB (-1: unknown). */
static long long anon_huge_kb(const void *addr)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512], want[32];
	long long kb = -1;
	int in = 0;

	if (!f)
		return -1;
	snprintf(want, sizeof(want), "%lx-", (unsigned long)(uintptr_t)addr);
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, want, strlen(want))) {
			in = 1;
			continue;
		}
		if (in && sscanf(line, "AnonHugePages: %lld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

int main(int argc, char **argv)
{
	uint64_t size, off;
	const char *why;
	char b[32];
	long page = sysconf(_SC_PAGESIZE);
	unsigned char *map, *p;
	size_t maplen;
	long long huge;
	int thp = 1;

	if (argc == 3 && !strcmp(argv[1], "--percent-free")) {
		char *end;
		double pct = strtod(argv[2], &end);
		uint64_t avail = mem_available();

		if (*end || !*argv[2] || !isfinite(pct) || pct <= 0 || pct > 100)
			return usage();
		if (!avail) {
			fprintf(stderr, "pz-dirty: no MemAvailable in /proc/meminfo\n");
			return 1;
		}
		size = (uint64_t)((double)avail * pct / 100.0);
	} else if (argc == 2) {
		if (pz_parse_size(argv[1], UINT64_MAX, &size, &why) < 0) {
			fprintf(stderr, "pz-dirty: invalid size '%s': %s\n",
				argv[1], why);
			return 2;
		}
	} else {
		return usage();
	}
	if (page <= 0)
		page = 4096;
	size = (size + (uint64_t)page - 1) / (uint64_t)page * (uint64_t)page;
	if (!size) {
		printf("pz-dirty: nothing to do (size 0)\n");
		return 0;
	}
	if (size > SIZE_MAX - HUGE_SZ) {
		fprintf(stderr, "pz-dirty: size too large\n");
		return 1;
	}

	/* Over-map by 2 MiB so the region can start on a huge page. */
	maplen = (size_t)(size + HUGE_SZ);
	map = mmap(NULL, maplen, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (map == MAP_FAILED) {
		fprintf(stderr, "pz-dirty: mmap %s: %s\n",
			pz_format_size(size, b, sizeof(b)), strerror(errno));
		return 1;
	}
	p = (unsigned char *)(((uintptr_t)map + HUGE_SZ - 1) &
			      ~(uintptr_t)(HUGE_SZ - 1));
	if (madvise(p, (size_t)size, MADV_HUGEPAGE) < 0)
		thp = 0;	/* no THP in this kernel: 4 KiB pages then */

	for (off = 0; off < size; off += (uint64_t)page) {
		/* non-zero, and different from page to page */
		unsigned char pat = (unsigned char)(off / (uint64_t)page % 255 + 1);

		memset(p + off, pat, (size_t)page);
	}
	/* keep the writes: the compiler may not drop them before munmap */
	__asm__ __volatile__("" : : "r"(p) : "memory");

	huge = anon_huge_kb(p);
	if (huge < 0)
		huge = anon_huge_kb(map);
	munmap(map, maplen);

	printf("pz-dirty: dirtied %" PRIu64 " bytes (%s), MADV_HUGEPAGE %s",
	       size, pz_format_size(size, b, sizeof(b)), thp ? "ok" : "failed");
	if (huge >= 0)
		printf(", AnonHugePages %lld kB", huge);
	putchar('\n');
	return 0;
}
