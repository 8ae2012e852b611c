// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/* Samplers and topology (daemon/sample.c, daemon/topology.c). */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <numa.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "sample.h"
#include "topology.h"

#define DATA PZ_TEST_DATA "/sample/"
#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* ---- cpulist ---- */

static const unsigned int l_one[] = { 5 };
static const unsigned int l_pair[] = { 10, 11 };
static const unsigned int l_run[] = { 0, 1, 2, 3 };
static const unsigned int l_mix[] = { 0, 1, 2, 3, 8, 10, 11 };
static const unsigned int l_sparse[] = { 1, 3, 5 };
static const unsigned int l_dup[] = { 0, 0, 1, 1, 4, 4 };
static const unsigned int l_big[] = { 4294967294u, 4294967295u };
static const unsigned int l_ends[] = { 0, 2, 3, 4, 7 };

static const struct {
	const unsigned int *cpu;
	size_t n;
	const char *s;
} lists[] = {
	{ NULL, 0, "" },
	{ l_one, 1, "5" },
	{ l_pair, 2, "10-11" },
	{ l_run, 4, "0-3" },
	{ l_mix, 7, "0-3,8,10-11" },
	{ l_sparse, 3, "1,3,5" },
	{ l_dup, 6, "0-1,4" },
	{ l_big, 2, "4294967294-4294967295" },
	{ l_ends, 5, "0,2-4,7" },
};

START_TEST(cpulist)
{
	char buf[128];

	memset(buf, 'x', sizeof(buf));
	ck_assert_ptr_eq(pzd_cpulist_format(lists[_i].cpu, lists[_i].n, buf,
					    sizeof(buf)), buf);
	ck_assert_str_eq(buf, lists[_i].s);
}
END_TEST

START_TEST(cpulist_truncated)
{
	unsigned int cpu[200];
	char full[2048], buf[16];
	size_t i, len;

	for (i = 0; i < N(cpu); i++)
		cpu[i] = (unsigned int)i * 2;
	pzd_cpulist_format(cpu, N(cpu), full, sizeof(full));
	ck_assert_uint_gt(strlen(full), sizeof(buf));
	ck_assert(!strncmp(full, "0,2,4,6,", 8));

	memset(buf, 'x', sizeof(buf));
	pzd_cpulist_format(cpu, N(cpu), buf, sizeof(buf));
	len = strlen(buf);
	ck_assert_uint_lt(len, sizeof(buf));
	ck_assert_str_eq(buf + len - 3, "...");
	/* what is left before "..." is whole items of the full list */
	ck_assert(!strncmp(full, buf, len - 3));
	ck_assert_int_eq(full[len - 3], ',');
	ck_assert_str_eq(buf, "0,2,4,6,8,10...");

	/* fits exactly: no "..." */
	pzd_cpulist_format(l_mix, 7, buf, 12);
	ck_assert_str_eq(buf, "0-3,8,10-11");
	pzd_cpulist_format(l_mix, 7, buf, 11);
	ck_assert_str_eq(buf, "0-3,8...");

	/* len 0 writes nothing */
	buf[0] = 'x';
	pzd_cpulist_format(l_mix, 7, buf, 0);
	ck_assert_int_eq(buf[0], 'x');
}
END_TEST

/* ---- /proc/stat ---- */

START_TEST(stat_fixture)
{
	struct pzd_cpu_times c[4];

	ck_assert_int_eq(pzd_read_proc_stat(DATA "stat-a.txt", c, 4), 3);
	ck_assert(c[0].valid);
	/* idle + iowait; guest and guest_nice (40, 7) not in total */
	ck_assert_uint_eq(c[0].idle, 1000 + 20);
	ck_assert_uint_eq(c[0].total, 100 + 5 + 50 + 1000 + 20 + 1 + 2 + 3);
	ck_assert(c[1].valid);
	ck_assert_uint_eq(c[1].idle, 500);
	ck_assert_uint_eq(c[1].total, 800);
	ck_assert(!c[2].valid);		/* no cpu2 line */
	ck_assert(c[3].valid);		/* four fields only */
	ck_assert_uint_eq(c[3].idle, 80);
	ck_assert_uint_eq(c[3].total, 100);
}
END_TEST

START_TEST(stat_small_max)
{
	struct pzd_cpu_times c[2];

	/* cpu3 is counted but not stored; nothing written past max */
	memset(c, 0xaa, sizeof(c));
	ck_assert_int_eq(pzd_read_proc_stat(DATA "stat-b.txt", c, 1), 4);
	ck_assert(c[0].valid);
	ck_assert_uint_eq(c[0].idle, 1930);
	ck_assert_uint_eq(c[1].total, 0xaaaaaaaaaaaaaaaaULL);
	ck_assert_int_eq(pzd_parse_proc_stat("cpu7 1 2 3 4\n", c, 0), 1);
}
END_TEST

START_TEST(stat_stale_entries_cleared)
{
	struct pzd_cpu_times c[4];

	memset(c, 0, sizeof(c));
	ck_assert_int_eq(pzd_read_proc_stat(DATA "stat-b.txt", c, 4), 4);
	ck_assert(c[2].valid);
	/* cpu2 went offline: its old reading must not survive */
	ck_assert_int_eq(pzd_read_proc_stat(DATA "stat-a.txt", c, 4), 3);
	ck_assert(!c[2].valid);
}
END_TEST

static const struct {
	const char *text;
	int ret;
	uint64_t idle, total;		/* of cpu0 when ret > 0 */
} stat_lines[] = {
	{ "cpu0 1 2 3 4\n", 1, 4, 10 },
	{ "cpu0 1 2 3 4", 1, 4, 10 },			/* no final newline */
	{ "cpu0 1 2 3 4 5\n", 1, 9, 15 },
	{ "cpu0 1 2 3 4 5 6 7 8\n", 1, 9, 36 },
	{ "cpu0 1 2 3 4 5 6 7 8 9 10\n", 1, 9, 36 },
	{ "cpu0 1 2 3 4 5 6 7 8 9 10 11\n", 1, 9, 36 },	/* a new field */
	{ "cpu0\t1\t2 3  4 \n", 1, 4, 10 },
	{ "cpu  9 9 9 9\ncpu0 1 2 3 4\n", 1, 4, 10 },
	{ "intr 1 2\ncpu0 1 2 3 4\nctxt 5\n", 1, 4, 10 },
	{ "cpu0 1 2 3 4\ncpu1 1 2 3 4\n", 2, 4, 10 },
	{ "cpu0 0 0 0 18446744073709551615\n", 1, UINT64_MAX, UINT64_MAX },
	{ "", -EINVAL, 0, 0 },
	{ "\n", -EINVAL, 0, 0 },
	{ "cpu  1 2 3 4\n", -EINVAL, 0, 0 },		/* aggregate only */
	{ "intr 1 2 3\nctxt 4\n", -EINVAL, 0, 0 },
	{ "cpu0 1 2 3\n", -EINVAL, 0, 0 },
	{ "cpu0\n", -EINVAL, 0, 0 },
	{ "cpu0 1 2 3 4\ncpu1 1 2 3\n", -EINVAL, 0, 0 },
	{ "cpu0 1 2 x 4\n", -EINVAL, 0, 0 },
	{ "cpu0 1 2 3 4x\n", -EINVAL, 0, 0 },
	{ "cpu0 1 2 3 -4\n", -EINVAL, 0, 0 },
	{ "cpu0 1 2 3 +4\n", -EINVAL, 0, 0 },
	{ "cpu0 1 2 3 4\r\n", -EINVAL, 0, 0 },
	{ "cpu0 1 2 3 18446744073709551616\n", -EINVAL, 0, 0 },
	{ "cpux 1 2 3 4\n", -EINVAL, 0, 0 },
	{ "cpu-1 1 2 3 4\n", -EINVAL, 0, 0 },
	{ "cpu\n", -EINVAL, 0, 0 },
	{ "cpu4294967296 1 2 3 4\n", -EINVAL, 0, 0 },
	{ "cpu0 1 2 3 4\ncpu0 1 2 3 4\n", -EINVAL, 0, 0 },
	{ "cpu01 2 3 4\n", -EINVAL, 0, 0 },
};

START_TEST(stat_parse)
{
	struct pzd_cpu_times c[2], before[2];
	int r;

	memset(c, 0x5a, sizeof(c));
	memcpy(before, c, sizeof(c));
	r = pzd_parse_proc_stat(stat_lines[_i].text, c, 2);
	ck_assert_msg(r == stat_lines[_i].ret, "'%s': %d, want %d",
		      stat_lines[_i].text, r, stat_lines[_i].ret);
	if (r < 0) {
		ck_assert_msg(!memcmp(c, before, sizeof(c)),
			      "'%s' changed the output on error",
			      stat_lines[_i].text);
		return;
	}
	ck_assert(c[0].valid);
	ck_assert_uint_eq(c[0].idle, stat_lines[_i].idle);
	ck_assert_uint_eq(c[0].total, stat_lines[_i].total);
	ck_assert(c[1].valid == (r == 2));
}
END_TEST

/* A /proc/stat of a machine with many CPUs: far more than one read(). */
START_TEST(stat_large)
{
	enum { NCPU = 6000 };
	char path[] = "/tmp/pz-test-stat-XXXXXX";
	struct pzd_cpu_times *c;
	unsigned int i;
	FILE *f;
	int fd;

	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "cpu  1 2 3 4 5 6 7 8 0 0\n");
	for (i = 0; i < NCPU; i++)
		fprintf(f, "cpu%u %u 0 %u %u %u 0 0 0 0 0\n", i, i, 2 * i,
			1000000 + i, 3);
	fprintf(f, "intr 12345\nctxt 678\n");
	ck_assert_int_eq(fclose(f), 0);

	c = calloc(NCPU, sizeof(*c));
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(pzd_read_proc_stat(path, c, NCPU), NCPU);
	unlink(path);
	for (i = 0; i < NCPU; i++) {
		ck_assert(c[i].valid);
		ck_assert_uint_eq(c[i].idle, 1000000 + i + 3);
		ck_assert_uint_eq(c[i].total, i + 2 * i + 1000000 + i + 3);
	}
	free(c);
}
END_TEST

START_TEST(stat_read_errors)
{
	struct pzd_cpu_times c[2];
	char path[] = "/tmp/pz-test-stat-XXXXXX";
	int fd;

	ck_assert_int_eq(pzd_read_proc_stat(DATA "no-such-file", c, 2),
			 -ENOENT);
	ck_assert_int_eq(pzd_read_proc_stat(DATA, c, 2), -EISDIR);
	/* a NUL byte: not text */
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "cpu0 1 2 3 4\n\0cpu1 1 2 3 4\n", 27), 27);
	close(fd);
	ck_assert_int_eq(pzd_read_proc_stat(path, c, 2), -EINVAL);
	unlink(path);
}
END_TEST

START_TEST(stat_host)
{
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	struct pzd_cpu_times c[4096];
	int i, n, valid = 0;

	n = pzd_read_proc_stat("/proc/stat", c, N(c));
	ck_assert_int_eq(n, online);
	for (i = 0; i < N(c); i++) {
		if (!c[i].valid)
			continue;
		valid++;
		ck_assert_uint_le(c[i].idle, c[i].total);
		ck_assert_uint_gt(c[i].total, 0);
	}
	ck_assert_int_eq(valid, n);
}
END_TEST

/* ---- idle share ---- */

START_TEST(idle_fixtures)
{
	static const unsigned int all[] = { 0, 1, 2, 3 }, c0[] = { 0 },
		c1[] = { 1 }, c2[] = { 2 }, c12[] = { 1, 2 }, c3[] = { 3 };
	struct pzd_cpu_times a[4], b[4];

	ck_assert_int_eq(pzd_read_proc_stat(DATA "stat-a.txt", a, 4), 3);
	ck_assert_int_eq(pzd_read_proc_stat(DATA "stat-b.txt", b, 4), 4);
	/*
	 * cpu0: idle +910 of +970; cpu1 went backwards (offline and back)
	 * and cpu2 is new: both count as no time; cpu3: +70 of +100.
	 */
	ck_assert_double_eq_tol(pzd_idle_pct(a, b, all, 4),
				100.0 * (910 + 70) / (970 + 100), 1e-9);
	ck_assert_double_eq_tol(pzd_idle_pct(a, b, c0, 1), 100.0 * 910 / 970,
				1e-9);
	ck_assert_double_eq_tol(pzd_idle_pct(a, b, c3, 1), 70.0, 1e-9);
	ck_assert_double_eq(pzd_idle_pct(a, b, c1, 1), -1);
	ck_assert_double_eq(pzd_idle_pct(a, b, c2, 1), -1);
	ck_assert_double_eq(pzd_idle_pct(a, b, c12, 2), -1);
	/* no time passed */
	ck_assert_double_eq(pzd_idle_pct(a, a, all, 4), -1);
	ck_assert_double_eq(pzd_idle_pct(a, b, all, 0), -1);
}
END_TEST

START_TEST(task_stat)
{
	uint64_t t = 0;

	/* comm with spaces and parentheses: fields count from the last ')' */
	ck_assert_int_eq(pzd_parse_task_stat(
		"42 (a) b (c) S 2 0 0 0 -1 69238880 0 0 0 0 123 456 0 0 39 19 1 0 5",
		&t), 0);
	ck_assert_uint_eq(t, 123 + 456);
	ck_assert_int_eq(pzd_parse_task_stat("42 (x) S 2 0 0", &t), -EINVAL);
	ck_assert_int_eq(pzd_parse_task_stat("no parenthesis", &t), -EINVAL);
	ck_assert_int_eq(pzd_read_task_cpu(getpid(), &t), 0);
	/* pid_max is at most 2^22: this one cannot exist */
	ck_assert_int_eq(pzd_read_task_cpu(1 << 23, &t), -ENOENT);
}
END_TEST

/* The kernel's own per-CPU threads show how worker threads are found. */
START_TEST(find_kthreads)
{
	pid_t pid[8];
	char path[64], comm[64] = "";
	FILE *f;
	int n = pzd_find_kthreads("ksoftirqd/", pid, 8);

	ck_assert_int_ge(n, 1);
	ck_assert_int_gt(pid[0], 0);
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid[0]);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(comm, sizeof(comm), f));
	fclose(f);
	ck_assert_str_eq(comm, "ksoftirqd/0\n");
	ck_assert_int_eq(pzd_find_kthreads("no-such-thread/", pid, 8), 0);
	for (int i = 0; i < 8; i++)
		ck_assert_int_eq(pid[i], 0);
}
END_TEST

START_TEST(idle_credit)
{
	static const unsigned int c01[] = { 0, 1 };
	struct pzd_cpu_times a[2] = {
		{ true, 100, 1000 }, { true, 100, 1000 },
	}, b[2] = {
		{ true, 100, 1100 },	/* 1 s busy at 100 ticks/s */
		{ true, 150, 1100 },	/* half idle */
	};

	/* no credit: the same as pzd_idle_pct */
	ck_assert_double_eq_tol(pzd_idle_pct_credit(a, b, c01, 2, 0, 100),
				25.0, 1e-9);
	/* 0.5 s of zeroing counts as 50 idle ticks of 200 */
	ck_assert_double_eq_tol(pzd_idle_pct_credit(a, b, c01, 2, 500000000,
						    100), 50.0, 1e-9);
	/* the tick unit matters: 0.5 s at 1000 ticks/s is 500 ticks */
	ck_assert_double_eq_tol(pzd_idle_pct_credit(a, b, c01, 2, 500000000,
						    1000), 100.0, 1e-9);
	/* never above 100, whatever the credit */
	ck_assert_double_eq_tol(pzd_idle_pct_credit(a, b, c01, 2, UINT64_MAX,
						    100), 100.0, 1e-9);
	/* no time passed: no share, credit or not */
	ck_assert_double_eq(pzd_idle_pct_credit(a, a, c01, 2, 500000000, 100),
			    -1);
}
END_TEST

START_TEST(idle_edges)
{
	static const unsigned int c01[] = { 0, 1 };
	struct pzd_cpu_times a[2] = {
		{ true, 100, 1000 }, { true, 100, 1000 },
	}, b[2] = {
		{ true, 100, 1100 },	/* fully busy */
		{ true, 200, 1100 },	/* fully idle */
	};

	ck_assert_double_eq_tol(pzd_idle_pct(a, b, c01, 2), 50.0, 1e-9);
	ck_assert_double_eq_tol(pzd_idle_pct(a, b, c01, 1), 0.0, 1e-9);
	ck_assert_double_eq_tol(pzd_idle_pct(a, b, c01 + 1, 1), 100.0, 1e-9);
	/* iowait dropped (idle went back, total forward): no time */
	b[1].idle = 50;
	ck_assert_double_eq_tol(pzd_idle_pct(a, b, c01, 2), 0.0, 1e-9);
	ck_assert_double_eq(pzd_idle_pct(a, b, c01 + 1, 1), -1);
	/* idle can never exceed the time that passed */
	b[1].idle = 500;
	ck_assert_double_eq_tol(pzd_idle_pct(a, b, c01 + 1, 1), 100.0, 1e-9);
	/* a CPU missing from one reading is left out */
	b[1].valid = false;
	ck_assert_double_eq_tol(pzd_idle_pct(a, b, c01, 2), 0.0, 1e-9);
	a[0].valid = false;
	ck_assert_double_eq(pzd_idle_pct(a, b, c01, 2), -1);
}
END_TEST

/* ---- PSI ---- */

START_TEST(psi_fixtures)
{
	struct pzd_psi p;

	ck_assert_int_eq(pzd_read_psi(DATA "psi-memory.txt", &p), 0);
	ck_assert(p.has_some && p.has_full);
	ck_assert_double_eq_tol(p.some_avg10, 3.21, 1e-9);
	ck_assert_double_eq_tol(p.some_avg60, 1.50, 1e-9);
	ck_assert_uint_eq(p.some_total_us, 145212066);
	ck_assert_double_eq_tol(p.full_avg10, 0.80, 1e-9);
	ck_assert_double_eq_tol(p.full_avg60, 0.07, 1e-9);
	ck_assert_uint_eq(p.full_total_us, 23097481);

	memset(&p, 0xff, sizeof(p));
	ck_assert_int_eq(pzd_read_psi(DATA "psi-cpu-5.10.txt", &p), 0);
	ck_assert(p.has_some);
	ck_assert(!p.has_full);
	ck_assert_double_eq_tol(p.some_avg10, 35.0, 1e-9);
	ck_assert_double_eq_tol(p.some_avg60, 12.25, 1e-9);
	ck_assert_uint_eq(p.some_total_us, 987654321);
	ck_assert_double_eq(p.full_avg10, 0);
	ck_assert_uint_eq(p.full_total_us, 0);

	ck_assert_int_eq(pzd_read_psi(DATA "no-such-file", &p), -ENOENT);
}
END_TEST

#define OK_SOME "some avg10=1.00 avg60=2.00 avg300=3.00 total=4\n"

static const char *const psi_bad[] = {
	"",
	"\n",
	"full avg10=1.00 avg60=2.00 avg300=3.00 total=4\n",	/* no some */
	OK_SOME OK_SOME,
	OK_SOME "full avg10=1.00 avg60=2.00 avg300=3.00 total=4\n"
		"full avg10=1.00 avg60=2.00 avg300=3.00 total=4\n",
	OK_SOME "other avg10=1.00 avg60=2.00 avg300=3.00 total=4\n",
	OK_SOME "garbage\n",
	"Some avg10=1.00 avg60=2.00 avg300=3.00 total=4\n",
	"somes avg10=1.00 avg60=2.00 avg300=3.00 total=4\n",
	"someavg10=1.00 avg60=2.00 avg300=3.00 total=4\n",
	"some avg10=1.00 avg60=2.00 avg300=3.00\n",
	"some avg10=1.00 avg60=2.00 total=4\n",
	"some avg60=2.00 avg10=1.00 avg300=3.00 total=4\n",
	"some avg10=1.00 avg60=2.00 avg300=3.00 total=4 extra=5\n",
	"some avg10=1.00 avg60=2.00 avg300=3.00 total=4x\n",
	"some avg10=1.00 avg60=2.00 avg300=3.00 total=-4\n",
	"some avg10=1.00 avg60=2.00 avg300=3.00 total=\n",
	"some avg10=1.00 avg60=2.00 avg300=3.00 "
		"total=18446744073709551616\n",
	"some avg10= avg60=2.00 avg300=3.00 total=4\n",
	"some avg10=abc avg60=2.00 avg300=3.00 total=4\n",
	"some avg10=-1.00 avg60=2.00 avg300=3.00 total=4\n",
	"some avg10=+1.00 avg60=2.00 avg300=3.00 total=4\n",
	"some avg10=1e2 avg60=2.00 avg300=3.00 total=4\n",
	"some avg10=nan avg60=2.00 avg300=3.00 total=4\n",
	"some avg10=inf avg60=2.00 avg300=3.00 total=4\n",
	"some avg10=0x10 avg60=2.00 avg300=3.00 total=4\n",
	"some avg10=1. avg60=2.00 avg300=3.00 total=4\n",
	"some avg10=.5 avg60=2.00 avg300=3.00 total=4\n",
	"some avg10=100.01 avg60=2.00 avg300=3.00 total=4\n",
	"some avg10 =1.00 avg60=2.00 avg300=3.00 total=4\n",
	"some avg10=1.00 avg60=2.00 avg300=3.00 total=4\r\n",
};

START_TEST(psi_parse_bad)
{
	struct pzd_psi p, before;

	memset(&p, 0x33, sizeof(p));
	before = p;
	ck_assert_msg(pzd_parse_psi(psi_bad[_i], &p) == -EINVAL,
		      "'%s' accepted", psi_bad[_i]);
	ck_assert_msg(!memcmp(&p, &before, sizeof(p)),
		      "'%s' changed the output on error", psi_bad[_i]);
}
END_TEST

START_TEST(psi_parse_good)
{
	struct pzd_psi p;

	/* no final newline; any order of some and full; 100 is a value */
	ck_assert_int_eq(pzd_parse_psi("full avg10=0.50 avg60=0 avg300=0 total=7\n"
				       "some avg10=100.00 avg60=0.25 avg300=0.00 total=9",
				       &p), 0);
	ck_assert(p.has_some && p.has_full);
	ck_assert_double_eq_tol(p.some_avg10, 100.0, 1e-9);
	ck_assert_double_eq_tol(p.some_avg60, 0.25, 1e-9);
	ck_assert_uint_eq(p.some_total_us, 9);
	ck_assert_double_eq_tol(p.full_avg10, 0.5, 1e-9);
	ck_assert_uint_eq(p.full_total_us, 7);
}
END_TEST

START_TEST(psi_host)
{
	struct pzd_psi p;

	/* This host has PSI (/proc/pressure): reading it must work. */
	ck_assert_int_eq(pzd_read_psi("/proc/pressure/memory", &p), 0);
	ck_assert(p.has_some && p.has_full);
	ck_assert(p.some_avg10 >= 0 && p.some_avg10 <= 100);
	ck_assert(p.full_total_us <= p.some_total_us);
	ck_assert_int_eq(pzd_read_psi("/proc/pressure/cpu", &p), 0);
	ck_assert(p.has_some);
}
END_TEST

static bool have_cap(int cap)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	ck_assert_int_eq(syscall(SYS_capget, &h, d), 0);
	return d[cap / 32].effective & (1U << (cap % 32));
}

START_TEST(psi_trigger)
{
	const char *mem = "/proc/pressure/memory";
	int fd, fl;

	/* A 2 s window is allowed with or without CAP_SYS_RESOURCE. */
	fd = pzd_psi_trigger_open(mem, 100000, 2000000);
	ck_assert_msg(fd >= 0, "trigger: %s", strerror(-fd));
	fl = fcntl(fd, F_GETFL);
	ck_assert_int_ge(fl, 0);
	ck_assert_int_eq(fl & O_ACCMODE, O_RDWR);
	ck_assert(fl & O_NONBLOCK);
	ck_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	/* a second trigger on the same open file is refused by the kernel:
	 * proof the first one was installed */
	ck_assert_int_lt(write(fd, "some 100000 2000000", 20), 0);
	ck_assert_int_eq(errno, EBUSY);
	close(fd);

	/*
	 * Since Linux 6.5 a window that is not a multiple of 2 s needs
	 * CAP_SYS_RESOURCE (containers often drop it): the daemon's 1 s
	 * window works only with it.
	 */
	fd = pzd_psi_trigger_open(mem, 100000, 1000000);
	if (have_cap(CAP_SYS_RESOURCE)) {
		ck_assert_msg(fd >= 0, "trigger: %s", strerror(-fd));
		close(fd);
	} else {
		ck_assert_int_eq(fd, -EINVAL);
	}

	/* window under 500 ms, over 10 s, stall larger than the window */
	ck_assert_int_eq(pzd_psi_trigger_open(mem, 100000, 400000), -EINVAL);
	ck_assert_int_eq(pzd_psi_trigger_open(mem, 100000, 20000000), -EINVAL);
	ck_assert_int_eq(pzd_psi_trigger_open(mem, 4000000, 2000000), -EINVAL);
	ck_assert_int_eq(pzd_psi_trigger_open(DATA "no-such-file", 100000,
					      2000000), -ENOENT);
}
END_TEST

/* ---- topology ---- */

static void check_node(const struct pzd_topology *t,
		       const struct pzd_topo_node *n)
{
	char list[128];
	size_t i;

	for (i = 0; i < n->ncpu; i++) {
		ck_assert_uint_lt(n->cpu[i], t->max_cpu);
		if (i)
			ck_assert_uint_gt(n->cpu[i], n->cpu[i - 1]);
	}
	pzd_cpulist_format(n->cpu, n->ncpu, list, sizeof(list));
	ck_assert_str_eq(n->cpulist, list);
	ck_assert_ptr_eq(pzd_topology_node(t, n->id), n);
}

START_TEST(topology_host)
{
	struct pzd_cpu_times c[4096];
	struct pzd_topology t;
	uint64_t free_b, total;
	int i, n, covered = 0;
	size_t j, k;

	ck_assert_int_eq(pzd_topology_load(&t), 0);
	ck_assert_uint_ge(t.nnode, 1);
	for (j = 0; j < t.nnode; j++) {
		if (j)
			ck_assert_uint_gt(t.node[j].id, t.node[j - 1].id);
		check_node(&t, &t.node[j]);
		ck_assert_int_eq(pzd_node_memory(t.node[j].id, &free_b,
						 &total), 0);
		ck_assert_uint_gt(total, 0);
		ck_assert_uint_le(free_b, total);
	}
	ck_assert_ptr_null(pzd_topology_node(&t, 100000));

	/* every online CPU (a cpuN line in /proc/stat) is in one node */
	n = pzd_read_proc_stat("/proc/stat", c, N(c));
	ck_assert_int_eq(n, sysconf(_SC_NPROCESSORS_ONLN));
	for (i = 0; i < N(c); i++) {
		int found = 0;

		if (!c[i].valid)
			continue;
		ck_assert_uint_lt((unsigned int)i, t.max_cpu);
		for (j = 0; j < t.nnode; j++)
			for (k = 0; k < t.node[j].ncpu; k++)
				found += t.node[j].cpu[k] == (unsigned int)i;
		ck_assert_msg(found == 1, "cpu%d is in %d nodes", i, found);
		covered++;
	}
	ck_assert_int_eq(covered, sysconf(_SC_NPROCESSORS_ONLN));

	pzd_topology_free(&t);
	ck_assert_ptr_null(t.node);
	ck_assert_uint_eq(t.nnode, 0);
}
END_TEST

START_TEST(node_memory)
{
	uint64_t free_b = 1, total = 2;

	ck_assert_int_eq(pzd_node_memory(0, &free_b, &total), 0);
	ck_assert_uint_gt(total, 0);
	ck_assert_uint_le(free_b, total);
	free_b = 1;
	total = 2;
	ck_assert_int_lt(pzd_node_memory(100000, &free_b, &total), 0);
	ck_assert_uint_eq(free_b, 1);
	ck_assert_uint_eq(total, 2);
}
END_TEST

/*
 * Without NUMA in the kernel (numa_available() < 0: get_mempolicy fails
 * with ENOSYS) the machine is node 0 with every CPU. Simulated with a
 * seccomp filter in a child; the child reports by exit status.
 */
static int flat_child(void)
{
	struct sock_filter insn[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_get_mempolicy, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { N(insn), insn };
	long conf = sysconf(_SC_NPROCESSORS_CONF);
	struct pzd_topology t;
	uint64_t free_b, total;
	char want[32];
	size_t i;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
		return 10;
	if (numa_available() >= 0)
		return 17;	/* the filter did not take */
	if (pzd_topology_load(&t))
		return 11;
	if (t.nnode != 1 || t.node[0].id != 0 ||
	    t.node[0].ncpu != (size_t)conf || t.max_cpu != conf)
		return 12;
	for (i = 0; i < t.node[0].ncpu; i++)
		if (t.node[0].cpu[i] != i)
			return 13;
	snprintf(want, sizeof(want), conf == 1 ? "0" : "0-%ld", conf - 1);
	if (strcmp(t.node[0].cpulist, want))
		return 14;
	pzd_topology_free(&t);
	if (pzd_node_memory(0, &free_b, &total) || !total || free_b > total)
		return 15;
	if (pzd_node_memory(1, &free_b, &total) != -ENOENT)
		return 16;
	return 0;
}

START_TEST(topology_flat)
{
	int status;
	pid_t pid;

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid)
		_exit(flat_child());
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "flat topology child: status 0x%x", status);
}
END_TEST

static Suite *sample_suite(void)
{
	Suite *s = suite_create("sample");
	TCase *tc = tcase_create("cpulist");

	tcase_add_loop_test(tc, cpulist, 0, N(lists));
	tcase_add_test(tc, cpulist_truncated);
	suite_add_tcase(s, tc);

	tc = tcase_create("stat");
	tcase_add_test(tc, stat_fixture);
	tcase_add_test(tc, stat_small_max);
	tcase_add_test(tc, stat_stale_entries_cleared);
	tcase_add_loop_test(tc, stat_parse, 0, N(stat_lines));
	tcase_add_test(tc, stat_large);
	tcase_add_test(tc, stat_read_errors);
	tcase_add_test(tc, stat_host);
	suite_add_tcase(s, tc);

	tc = tcase_create("idle");
	tcase_add_test(tc, idle_fixtures);
	tcase_add_test(tc, idle_edges);
	tcase_add_test(tc, idle_credit);
	tcase_add_test(tc, task_stat);
	tcase_add_test(tc, find_kthreads);
	suite_add_tcase(s, tc);

	tc = tcase_create("psi");
	tcase_add_test(tc, psi_fixtures);
	tcase_add_loop_test(tc, psi_parse_bad, 0, N(psi_bad));
	tcase_add_test(tc, psi_parse_good);
	tcase_add_test(tc, psi_host);
	tcase_add_test(tc, psi_trigger);
	suite_add_tcase(s, tc);

	tc = tcase_create("topology");
	tcase_add_test(tc, topology_host);
	tcase_add_test(tc, node_memory);
	tcase_add_test(tc, topology_flat);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(sample_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
