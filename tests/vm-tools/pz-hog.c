// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/*
 * pz-hog: keep CPUs busy, so prezerod sees a busy node.
 *
 *   pz-hog [--cpus LIST] THREADS SECONDS    e.g. pz-hog 2 30
 *                                           pz-hog --cpus 0,2 2 30
 *
 * Starts THREADS threads that spin (an integer loop, no system calls) until
 * SECONDS have passed, then exits 0. With --cpus every
 * thread is bound to the CPUs of LIST (libnuma's syntax: "0-3,8"), so the
 * load lands on one NUMA node. Before spinning it prints one line:
 *   pz-hog: N threads for S s (cpus LIST) started at T
 * with T in seconds on CLOCK_BOOTTIME, the clock of /proc/uptime, so a
 * scenario can measure from the moment the load exists. SIGTERM/SIGINT end it early (status 0).
 * Exit status: 0 done, 1 failure, 2 usage.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <numa.h>

#include "number.h"

#define MAX_THREADS 1024

static atomic_bool stop;
static double deadline;

static double now_s(void)
{
	struct timespec ts;

	/* monotonic, and the same clock as /proc/uptime (the scenarios' clock) */
	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *spin(void *arg)
{
	uint64_t x = (uintptr_t)arg + 1;
	unsigned int i;

	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		/* xorshift: pure CPU work the compiler cannot fold away */
		for (i = 0; i < 100000; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
		}
		__asm__ __volatile__("" : : "r"(x));
		if (now_s() >= deadline)
			break;
	}
	return NULL;
}

static void on_signal(int sig)
{
	(void)sig;
	atomic_store(&stop, true);
}

static int usage(void)
{
	fprintf(stderr, "usage: pz-hog [--cpus LIST] THREADS SECONDS\n");
	return 2;
}

/* A positive integer no larger than max; 0 if arg is not one. */
static unsigned long parse_count(const char *arg, unsigned long max)
{
	unsigned long v;

	return pz_parse_uint(arg, 1, max, &v) < 0 ? 0 : v;
}

int main(int argc, char **argv)
{
	pthread_t tid[MAX_THREADS];
	struct sigaction sa;
	struct bitmask *bm = NULL;
	cpu_set_t set;
	pthread_attr_t attr;
	const char *cpus = NULL;
	unsigned long nthreads, secs, i, started = 0;
	unsigned int c;
	int err;

	if (argc > 1 && !strcmp(argv[1], "--cpus")) {
		if (argc < 3)
			return usage();
		cpus = argv[2];
		argv += 2;
		argc -= 2;
	}
	if (argc != 3)
		return usage();
	nthreads = parse_count(argv[1], MAX_THREADS);
	secs = parse_count(argv[2], 86400);
	if (!nthreads || !secs)
		return usage();

	CPU_ZERO(&set);
	if (cpus) {
		if (numa_available() < 0) {
			fprintf(stderr, "pz-hog: libnuma: NUMA is not available\n");
			return 1;
		}
		/* all: CPUs outside our current affinity are still valid */
		bm = numa_parse_cpustring_all(cpus);
		if (!bm) {
			fprintf(stderr, "pz-hog: invalid CPU list '%s'\n", cpus);
			return 2;
		}
		for (c = 0; c < bm->size && c < CPU_SETSIZE; c++)
			if (numa_bitmask_isbitset(bm, c))
				CPU_SET(c, &set);
		numa_bitmask_free(bm);
		if (!CPU_COUNT(&set)) {
			fprintf(stderr, "pz-hog: CPU list '%s' is empty\n", cpus);
			return 2;
		}
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	pthread_attr_init(&attr);
	if (cpus) {
		err = pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
		if (err) {
			fprintf(stderr, "pz-hog: affinity: %s\n", strerror(err));
			return 1;
		}
	}
	deadline = now_s() + (double)secs;
	for (i = 0; i < nthreads; i++) {
		err = pthread_create(&tid[i], &attr, spin, (void *)(uintptr_t)i);
		if (err) {
			fprintf(stderr, "pz-hog: pthread_create: %s\n",
				strerror(err));
			atomic_store(&stop, true);
			break;
		}
		started++;
	}
	pthread_attr_destroy(&attr);
	if (started == nthreads) {
		printf("pz-hog: %lu threads for %lu s (cpus %s) started at %.3f\n",
		       nthreads, secs, cpus ? cpus : "any", now_s());
		fflush(stdout);
	}
	for (i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	return started == nthreads ? 0 : 1;
}
