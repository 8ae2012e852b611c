// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/*
 * pz-nodewatch: sample one node of the prezero module at a steady pace, from
 * one process, so a scenario can time when a budget changes without the
 * cost (and the coarse steps) of starting a program per sample.
 *
 *   pz-nodewatch NODE INTERVAL_MS SECONDS
 *
 * Every INTERVAL_MS (10..10000) for SECONDS (1..3600) it reads the node
 * from the module (get-node) and prints one line, flushed:
 *   T budget_rate budget_burst zeroed_bytes zero_ns
 * T is the time after the read, seconds on CLOCK_BOOTTIME (the clock of
 * /proc/uptime and pz-hog). SIGTERM/SIGINT end it early (status 0).
 * Exit status: 0 done, 1 a read failed (the module went away), 2 usage,
 * 3 module not loaded.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nl.h"
#include "number.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int usage(void)
{
	fprintf(stderr, "usage: pz-nodewatch NODE INTERVAL_MS SECONDS\n");
	return 2;
}

/* An integer in [min, max]; -1 if arg is not one. */
static long parse_num(const char *arg, long min, long max)
{
	unsigned long v;

	if (pz_parse_uint(arg, (unsigned long)min, (unsigned long)max, &v) < 0)
		return -1;
	return (long)v;
}

static double seconds(const struct timespec *ts)
{
	return (double)ts->tv_sec + (double)ts->tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct timespec next, now;
	struct sigaction sa;
	long node, ms, secs;
	char buf[PZ_ERR_MSG_LEN + 64];
	struct pz_node n;
	struct pz_err e;
	struct pz_nl *nl;
	double end;
	int ret;

	if (argc != 4)
		return usage();
	node = parse_num(argv[1], 0, 1023);
	ms = parse_num(argv[2], 10, 10000);
	secs = parse_num(argv[3], 1, 3600);
	if (node < 0 || ms < 0 || secs < 0)
		return usage();

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	ret = pz_nl_open(&nl, &e);
	if (ret < 0) {
		fprintf(stderr, "pz-nodewatch: %s\n", pz_err_str(&e, buf, sizeof(buf)));
		return ret == -ENOENT ? 3 : 1;
	}
	clock_gettime(CLOCK_BOOTTIME, &next);
	end = seconds(&next) + (double)secs;
	while (!stop) {
		ret = pz_nl_get_node(nl, (uint32_t)node, &n, &e);
		clock_gettime(CLOCK_BOOTTIME, &now);
		if (ret < 0) {
			fprintf(stderr, "pz-nodewatch: node %ld: %s\n", node,
				pz_err_str(&e, buf, sizeof(buf)));
			pz_nl_close(nl);
			return 1;
		}
		printf("%.3f %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
		       seconds(&now), n.budget_rate, n.budget_burst,
		       n.zeroed_bytes, n.zero_ns);
		fflush(stdout);
		if (seconds(&now) >= end)
			break;
		/* A steady pace: the next slot, not INTERVAL_MS after the read. */
		next.tv_nsec += ms * 1000000L;
		next.tv_sec += next.tv_nsec / 1000000000L;
		next.tv_nsec %= 1000000000L;
		/* Fell behind (a busy CPU): go on from now, no burst of reads. */
		if (seconds(&next) < seconds(&now))
			next = now;
		clock_nanosleep(CLOCK_BOOTTIME, TIMER_ABSTIME, &next, NULL);
	}
	pz_nl_close(nl);
	return 0;
}
