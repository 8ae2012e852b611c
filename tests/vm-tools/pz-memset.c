// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/*
 * pz-memset: single-thread memset bandwidth, the yardstick for the module's
 * zeroing rate.
 *
 *   pz-memset SIZE REPS      e.g. pz-memset 256M 8
 *
 * Maps SIZE bytes (MADV_HUGEPAGE), touches them once, then times REPS passes
 * of memset(buf, 0, SIZE) and prints one JSON line:
 *   {"memset_gib_per_s": X, "size": N, "reps": R, "cpu_s_per_gib": Y}
 * (wall time: CLOCK_MONOTONIC; CPU time: CLOCK_THREAD_CPUTIME_ID).
 * Exit status: 0 done, 1 failure, 2 usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "size.h"

static double seconds(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int usage(void)
{
	fprintf(stderr, "usage: pz-memset SIZE REPS\n");
	return 2;
}

int main(int argc, char **argv)
{
	double t0, t1, c0, c1, gib;
	unsigned long reps, i;
	const char *why;
	uint64_t size;
	char *end;
	void *buf;

	if (argc != 3)
		return usage();
	if (pz_parse_size(argv[1], UINT64_MAX, &size, &why) < 0) {
		fprintf(stderr, "pz-memset: invalid size '%s': %s\n", argv[1],
			why);
		return 2;
	}
	if (!size) {
		fprintf(stderr, "pz-memset: size must not be 0\n");
		return 2;
	}
	errno = 0;
	reps = strtoul(argv[2], &end, 10);
	if (errno || *end || argv[2][0] < '0' || argv[2][0] > '9' || !reps)
		return usage();
	if (size > SIZE_MAX / 2) {
		fprintf(stderr, "pz-memset: size too large\n");
		return 1;
	}

	buf = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		fprintf(stderr, "pz-memset: mmap: %s\n", strerror(errno));
		return 1;
	}
	madvise(buf, (size_t)size, MADV_HUGEPAGE);
	memset(buf, 1, (size_t)size);	/* fault everything in first */
	__asm__ __volatile__("" : : "r"(buf) : "memory");

	t0 = seconds(CLOCK_MONOTONIC);
	c0 = seconds(CLOCK_THREAD_CPUTIME_ID);
	for (i = 0; i < reps; i++) {
		memset(buf, 0, (size_t)size);
		/* buf escapes and memory is clobbered: no pass can be elided */
		__asm__ __volatile__("" : : "r"(buf) : "memory");
	}
	c1 = seconds(CLOCK_THREAD_CPUTIME_ID);
	t1 = seconds(CLOCK_MONOTONIC);
	munmap(buf, (size_t)size);

	gib = (double)size * (double)reps / (double)(UINT64_C(1) << 30);
	printf("{\"memset_gib_per_s\": %.3f, \"size\": %" PRIu64
	       ", \"reps\": %lu, \"cpu_s_per_gib\": %.6f}\n",
	       t1 > t0 ? gib / (t1 - t0) : 0.0, size, reps,
	       gib > 0 ? (c1 - c0) / gib : 0.0);
	return 0;
}
