// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/*
 * pz-corunner: a fixed amount of work, timed, to see how much a neighbour
 * (prezerod and the module zeroing free memory) slows a workload down.
 *
 *   pz-corunner cpu MITER          MITER million rounds of an integer hash
 *                                  (registers only: CPU-bound)
 *   pz-corunner mem SIZE PASSES    PASSES read-modify-write passes over a
 *                                  SIZE buffer (e.g. 256M, far larger than
 *                                  any cache: memory-bound)
 *
 * The mem buffer is mapped (MADV_HUGEPAGE) and touched before the clock
 * starts, so page faults are not timed. Prints one JSON line:
 *   {"work": "cpu", "seconds": W, "cpu_seconds": C, "check": "0x..."}
 *   {"work": "mem", "seconds": W, "cpu_seconds": C, "gib_per_s": G,
 *    "size": N, "passes": P, "check": "0x..."}
 * W is wall time (CLOCK_MONOTONIC), C the thread's CPU time; "check" is
 * the result of the work, printed so no pass can be optimised away.
 * Exit status: 0 done, 1 failure, 2 usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "number.h"
#include "size.h"

static double seconds(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int usage(void)
{
	fprintf(stderr, "usage: pz-corunner cpu MITER | pz-corunner mem SIZE PASSES\n");
	return 2;
}

/* A positive integer no larger than max; 0 if arg is not one. */
static unsigned long parse_count(const char *arg, unsigned long max)
{
	unsigned long v;

	return pz_parse_uint(arg, 1, max, &v) < 0 ? 0 : v;
}

/* splitmix64's finaliser, chained: each round depends on the previous one,
 * so the rounds cannot overlap or be vectorised away. */
static uint64_t cpu_work(unsigned long miter)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	unsigned long i, j;

	for (i = 0; i < miter; i++) {
		for (j = 0; j < 1000000; j++) {
			x += 0x9e3779b97f4a7c15ULL;
			x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
			x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
			x ^= x >> 31;
		}
	}
	return x;
}

static int run_cpu(int argc, char **argv)
{
	unsigned long miter;
	double t0, t1, c0, c1;
	uint64_t check;

	if (argc != 3)
		return usage();
	miter = parse_count(argv[2], 1000000);
	if (!miter)
		return usage();
	t0 = seconds(CLOCK_MONOTONIC);
	c0 = seconds(CLOCK_THREAD_CPUTIME_ID);
	check = cpu_work(miter);
	c1 = seconds(CLOCK_THREAD_CPUTIME_ID);
	t1 = seconds(CLOCK_MONOTONIC);
	printf("{\"work\": \"cpu\", \"seconds\": %.4f, \"cpu_seconds\": %.4f, "
	       "\"miter\": %lu, \"check\": \"0x%016" PRIx64 "\"}\n",
	       t1 - t0, c1 - c0, miter, check);
	return 0;
}

static int run_mem(int argc, char **argv)
{
	unsigned long passes, p;
	double t0, t1, c0, c1, gib;
	uint64_t size, check = 0;
	const char *why;
	uint64_t *buf;
	size_t n, i;

	if (argc != 4)
		return usage();
	if (pz_parse_size(argv[2], UINT64_MAX, &size, &why) < 0) {
		fprintf(stderr, "pz-corunner: invalid size '%s': %s\n",
			argv[2], why);
		return 2;
	}
	passes = parse_count(argv[3], 1000000);
	if (size < sizeof(uint64_t) || !passes)
		return usage();
	if (size > SIZE_MAX / 2) {
		fprintf(stderr, "pz-corunner: size too large\n");
		return 1;
	}
	n = (size_t)size / sizeof(uint64_t);
	buf = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		fprintf(stderr, "pz-corunner: mmap: %s\n", strerror(errno));
		return 1;
	}
	madvise(buf, (size_t)size, MADV_HUGEPAGE);
	for (i = 0; i < n; i++)	/* fault everything in first */
		buf[i] = i;

	t0 = seconds(CLOCK_MONOTONIC);
	c0 = seconds(CLOCK_THREAD_CPUTIME_ID);
	for (p = 0; p < passes; p++) {
		/* stream: every word is read and written once per pass */
		for (i = 0; i < n; i++)
			buf[i] = buf[i] * 3 + p;
		/* buf escapes and memory is clobbered: no pass can be elided */
		__asm__ __volatile__("" : : "r"(buf) : "memory");
	}
	c1 = seconds(CLOCK_THREAD_CPUTIME_ID);
	t1 = seconds(CLOCK_MONOTONIC);
	for (i = 0; i < n; i += 4096 / sizeof(uint64_t))
		check ^= buf[i];
	munmap(buf, (size_t)size);

	gib = (double)size * (double)passes / (double)(UINT64_C(1) << 30);
	printf("{\"work\": \"mem\", \"seconds\": %.4f, \"cpu_seconds\": %.4f, "
	       "\"gib_per_s\": %.3f, \"size\": %" PRIu64 ", \"passes\": %lu, "
	       "\"check\": \"0x%016" PRIx64 "\"}\n",
	       t1 - t0, c1 - c0, t1 > t0 ? gib / (t1 - t0) : 0.0, size, passes,
	       check);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "cpu"))
		return run_cpu(argc, argv);
	if (!strcmp(argv[1], "mem"))
		return run_mem(argc, argv);
	return usage();
}
