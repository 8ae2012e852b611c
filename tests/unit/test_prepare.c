// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/*
 * vm-prepare's machinery (daemon/prepare.c) over fake /proc and /sys trees
 * (tests/unit/data/prepare/README), and read-only over the host's.
 *
 * The kernel's side of a write is played by a fake kernel: the test is
 * linked with -Wl,--wrap=close, so every close() of prepare.c comes here
 * first; after a file of the temporary tree that was open for writing is
 * closed, the fake kernel does what Linux would: compaction swaps in a
 * defragmented buddyinfo, a raised nr_hugepages is granted up to a limit
 * the test sets (the kernel may find fewer free pages than asked).
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "prepare.h"

#define DATA PZ_TEST_DATA "/prepare/"
#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)
#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define HP2M "/hugepages/hugepages-2048kB/"
#define HP1G "/hugepages/hugepages-1048576kB/"
#define NODE "/sys/devices/system/node/node"

/* ---- the fake kernel ---- */

static struct {
	char root[PATH_MAX];	/* the temporary tree, "" when none */
	unsigned int any_writes;	/* closes of write fds, any path */
	unsigned int writes;		/* ...under root */
	char last[PATH_MAX];		/* the last such file, under root */
	char value[64];			/* what it held at close */
	/* the hugetlb pool being raised: counters before, and the most
	 * pages the node can have */
	uint64_t hp_nr, hp_free, hp_max;
} fk;

int __real_close(int fd);
int __wrap_close(int fd);

static void put_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_msg(f, "%s: %s", path, strerror(errno));
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

static void get_file(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n;

	ck_assert_msg(f, "%s: %s", path, strerror(errno));
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
}

static bool ends_with(const char *s, const char *tail)
{
	size_t ls = strlen(s), lt = strlen(tail);

	return ls >= lt && !strcmp(s + ls - lt, tail);
}

static void fake_kernel(const char *path)
{
	char p[PATH_MAX + 64], v[32];
	uint64_t w, nr;

	fk.writes++;
	snprintf(fk.last, sizeof(fk.last), "%s", path + strlen(fk.root));
	get_file(path, fk.value, sizeof(fk.value));
	if (ends_with(path, "/compact")) {
		snprintf(p, sizeof(p), "%s/proc/buddyinfo.after-compact",
			 fk.root);
		if (!access(p, F_OK)) {
			char q[PATH_MAX + 32];

			snprintf(q, sizeof(q), "%s/proc/buddyinfo", fk.root);
			ck_assert_int_eq(rename(p, q), 0);
		}
	} else if (ends_with(path, "/nr_hugepages")) {
		/* the pool's new pages leave the buddy allocator */
		snprintf(p, sizeof(p), "%s/proc/buddyinfo.after-hugetlb",
			 fk.root);
		if (!access(p, F_OK)) {
			char q[PATH_MAX + 32];

			snprintf(q, sizeof(q), "%s/proc/buddyinfo", fk.root);
			ck_assert_int_eq(rename(p, q), 0);
		}
		w = strtoull(fk.value, NULL, 10);
		nr = w < fk.hp_max ? w : fk.hp_max;
		ck_assert_uint_ge(nr, fk.hp_nr);
		snprintf(v, sizeof(v), "%" PRIu64 "\n", nr);
		put_file(path, v);
		snprintf(p, sizeof(p), "%.*s/free_hugepages",
			 (int)(strlen(path) - strlen("/nr_hugepages")), path);
		snprintf(v, sizeof(v), "%" PRIu64 "\n",
			 fk.hp_free + (nr - fk.hp_nr));
		put_file(p, v);
	}
}

int __wrap_close(int fd)
{
	char link[64], path[PATH_MAX];
	bool wrote = false;
	ssize_t n;
	int fl, r;

	fl = fcntl(fd, F_GETFL);
	if (fl >= 0 && (fl & O_ACCMODE) != O_RDONLY) {
		fk.any_writes++;
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, path, sizeof(path) - 1);
		if (n > 0 && fk.root[0]) {
			path[n] = '\0';
			wrote = !strncmp(path, fk.root, strlen(fk.root)) &&
				path[strlen(fk.root)] == '/';
		}
	}
	r = __real_close(fd);
	if (wrote)
		fake_kernel(path);
	return r;
}

/* ---- trees ---- */

/* Copy DATA/name to a temporary directory, the fake kernel's root. */
static const char *tree(const char *name)
{
	char tmp[] = "/tmp/pz-prepare.XXXXXX", cmd[PATH_MAX * 2 + 32];

	ck_assert_ptr_nonnull(mkdtemp(tmp));
	snprintf(cmd, sizeof(cmd), "cp -a '%s%s/.' '%s'", DATA, name, tmp);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_ptr_nonnull(realpath(tmp, fk.root));
	fk.writes = 0;
	fk.any_writes = 0;
	return fk.root;
}

static void tree_setup(void)
{
	memset(&fk, 0, sizeof(fk));
	/* the fixtures come from 4 KiB-page kernels */
	ck_assert_int_eq(sysconf(_SC_PAGESIZE), 4096);
}

static void tree_teardown(void)
{
	char cmd[PATH_MAX + 16];

	if (fk.root[0] && !strncmp(fk.root, "/tmp/pz-prepare.", 16)) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fk.root);
		if (system(cmd))
			fprintf(stderr, "could not remove %s\n", fk.root);
	}
	fk.root[0] = '\0';
}

static void in_tree(char *buf, size_t len, const char *rel)
{
	snprintf(buf, len, "%s%s", fk.root, rel);
}

static uint64_t tree_u64(const char *rel)
{
	char p[PATH_MAX * 2], v[64], *end;
	uint64_t x;

	in_tree(p, sizeof(p), rel);
	get_file(p, v, sizeof(v));
	x = strtoull(v, &end, 10);
	ck_assert_msg(end != v && *end == '\n', "%s: \"%s\"", p, v);
	return x;
}

static void tree_put(const char *rel, const char *text)
{
	char p[PATH_MAX * 2];

	in_tree(p, sizeof(p), rel);
	put_file(p, text);
}

/* ---- backings ---- */

START_TEST(backing_names)
{
	static const char *const names[] = { "anon", "hugetlb-2M",
					     "hugetlb-1G" };
	static const uint64_t chunk[] = { 2 * MiB, 2 * MiB, GiB };
	enum pzd_backing b;
	int i;

	for (i = 0; i < N(names); i++) {
		b = (enum pzd_backing)99;
		ck_assert_int_eq(pzd_backing_parse(names[i], &b), 0);
		ck_assert_int_eq(b, i);
		ck_assert_str_eq(pzd_backing_name(b), names[i]);
		ck_assert_uint_eq(pzd_backing_chunk(b), chunk[i]);
	}
	b = PZD_BACKING_HUGETLB_1G;
	ck_assert_int_eq(pzd_backing_parse("hugetlb-2m", &b), -EINVAL);
	ck_assert_int_eq(pzd_backing_parse("hugetlb-4M", &b), -EINVAL);
	ck_assert_int_eq(pzd_backing_parse("", &b), -EINVAL);
	ck_assert_int_eq(pzd_backing_parse(NULL, &b), -EINVAL);
	ck_assert_int_eq(b, PZD_BACKING_HUGETLB_1G);
	ck_assert_str_eq(pzd_backing_name((enum pzd_backing)3), "?");
	ck_assert_uint_eq(pzd_backing_chunk((enum pzd_backing)-1), 0);
}
END_TEST

/* ---- buddyinfo ---- */

static char *slurp(const char *path)
{
	static char buf[8192];

	get_file(path, buf, sizeof(buf));
	return buf;
}

START_TEST(buddy_k61)
{
	/* node 0: DMA + DMA32 + Normal per order, by hand */
	static const uint64_t n0[11] = {
		1 + 112 + 15203, 1 + 93 + 9120, 1 + 58 + 4011, 0 + 41 + 1502,
		2 + 27 + 530, 1 + 18 + 122, 1 + 11 + 31, 0 + 7 + 9,
		1 + 4 + 3, 1 + 2 + 1, 3 + 30 + 4
	};
	static const uint64_t n1[11] = {
		8412, 5120, 2810, 1411, 702, 350, 171, 80, 41, 60, 700
	};
	const char *text = slurp(DATA "k61/proc/buddyinfo");
	struct pzd_buddy b;
	char err[PZD_PREPARE_MSG] = "";
	uint64_t free0 = 0;
	int o;

	ck_assert_int_eq(pzd_buddyinfo_parse(text, 0, &b, err, sizeof(err)), 0);
	ck_assert_uint_eq(b.norders, 11);
	ck_assert_uint_eq(b.nzones, 3);
	for (o = 0; o < 11; o++) {
		ck_assert_uint_eq(b.blocks[o], n0[o]);
		free0 += n0[o] * (UINT64_C(4096) << o);
	}
	for (; o < PZD_BUDDY_MAX_ORDERS; o++)
		ck_assert_uint_eq(b.blocks[o], 0);
	ck_assert_uint_eq(pzd_buddy_free_bytes(&b, 4096), free0);
	/* orders 9 and 10: 4 blocks of 2 MiB, 37 of 4 MiB */
	ck_assert_uint_eq(pzd_buddy_chunk_bytes(&b, 4096, 2 * MiB), 156 * MiB);
	/* 4 MiB chunks: order 10 only */
	ck_assert_uint_eq(pzd_buddy_chunk_bytes(&b, 4096, 4 * MiB), 148 * MiB);
	/* no order holds 1 GiB */
	ck_assert_uint_eq(pzd_buddy_chunk_bytes(&b, 4096, GiB), 0);
	/* a chunk of a page or less: everything */
	ck_assert_uint_eq(pzd_buddy_chunk_bytes(&b, 4096, 4096), free0);
	ck_assert_uint_eq(pzd_buddy_chunk_bytes(&b, 4096, 1), free0);
	/* not powers of two */
	ck_assert_uint_eq(pzd_buddy_chunk_bytes(&b, 4096, 3 * MiB), 0);
	ck_assert_uint_eq(pzd_buddy_chunk_bytes(&b, 3000, 2 * MiB), 0);

	ck_assert_int_eq(pzd_buddyinfo_parse(text, 1, &b, err, sizeof(err)), 0);
	ck_assert_uint_eq(b.nzones, 1);
	for (o = 0; o < 11; o++)
		ck_assert_uint_eq(b.blocks[o], n1[o]);
	ck_assert_uint_eq(pzd_buddy_chunk_bytes(&b, 4096, 2 * MiB),
			  (60 * 2 + 700 * 4) * MiB);
	ck_assert_str_eq(err, "");
}
END_TEST

START_TEST(buddy_k612)
{
	const char *text = slurp(DATA "k612/proc/buddyinfo");
	struct pzd_buddy b;
	char err[PZD_PREPARE_MSG];
	int o;

	/* Normal + Movable */
	ck_assert_int_eq(pzd_buddyinfo_parse(text, 2, &b, err, sizeof(err)), 0);
	ck_assert_uint_eq(b.norders, 11);
	ck_assert_uint_eq(b.nzones, 2);
	ck_assert_uint_eq(b.blocks[0], 402 + 10);
	ck_assert_uint_eq(b.blocks[9], 5 + 40);
	ck_assert_uint_eq(b.blocks[10], 12 + 2048);
	ck_assert_uint_eq(pzd_buddy_chunk_bytes(&b, 4096, 2 * MiB),
			  (45 * 2 + 2060 * 4) * MiB);

	/* nothing of order 9 or more */
	ck_assert_int_eq(pzd_buddyinfo_parse(text, 1, &b, err, sizeof(err)), 0);
	ck_assert_uint_eq(b.blocks[8], 8);
	ck_assert_uint_eq(pzd_buddy_chunk_bytes(&b, 4096, 2 * MiB), 0);
	ck_assert_uint_gt(pzd_buddy_free_bytes(&b, 4096), 0);

	/* node 3 has no memory, node 7 does not exist: no lines, all 0 */
	for (unsigned int node = 3; node <= 7; node += 4) {
		memset(&b, 0xaa, sizeof(b));
		ck_assert_int_eq(pzd_buddyinfo_parse(text, node, &b, err,
						     sizeof(err)), 0);
		ck_assert_uint_eq(b.nzones, 0);
		ck_assert_uint_eq(b.norders, 11);
		for (o = 0; o < PZD_BUDDY_MAX_ORDERS; o++)
			ck_assert_uint_eq(b.blocks[o], 0);
		ck_assert_uint_eq(pzd_buddy_free_bytes(&b, 4096), 0);
	}
}
END_TEST

START_TEST(buddy_arm64_64k)
{
	const char *text = slurp(DATA "arm64-64k/proc/buddyinfo");
	struct pzd_buddy b;
	char err[PZD_PREPARE_MSG];

	ck_assert_int_eq(pzd_buddyinfo_parse(text, 0, &b, err, sizeof(err)), 0);
	ck_assert_uint_eq(b.norders, 14);
	ck_assert_uint_eq(b.blocks[13], 2 + 9);
	/* 64 KiB pages: 2 MiB is order 5; orders 5..13 summed by hand */
	ck_assert_uint_eq(pzd_buddy_chunk_bytes(&b, 65536, 2 * MiB),
			  (80 * 2 + 36 * 4 + 15 * 8 + 7 * 16 + 4 * 32 +
			   3 * 64 + 1 * 128 + 1 * 256 + 11 * 512) * MiB);
	/* 512 MiB (the PMD size there): order 13 only */
	ck_assert_uint_eq(pzd_buddy_chunk_bytes(&b, 65536, 512 * MiB),
			  11 * 512 * MiB);
	/* read as if 4 KiB pages, order 9 and up only */
	ck_assert_uint_eq(pzd_buddy_chunk_bytes(&b, 4096, 2 * MiB),
			  (4 * 2 + 3 * 4 + 1 * 8 + 1 * 16 + 11 * 32) * MiB);
}
END_TEST

static const struct {
	const char *text;
	const char *err;
} bad_buddy[] = {
	{ "", "no zones listed" },
	{ "\n", "line 1: expected" },
	{ "Node 0, zone DMA 1 2\n\n", "line 2: expected" },
	{ "Node x, zone DMA 1 2\n", "line 1: expected" },
	{ "Node 0 zone DMA 1 2\n", "line 1: expected" },
	{ "Node 0, zone DMA 1 2\nNode 0 , zone Normal 1 2\n",
	  "line 2: expected" },
	{ "Node -1, zone DMA 1 2\n", "line 1: expected" },
	{ "Node 4294967296, zone DMA 1 2\n", "line 1: expected" },
	{ "Node 0, DMA 1 2\n", "line 1: expected" },
	{ "Node 0, zone\n", "line 1: expected" },
	{ "Node0, zone DMA 1 2\n", "line 1: expected" },
	{ "node 0, zone DMA 1 2\n", "line 1: expected" },
	{ "Node 0, zone DMA\n", "line 1: no free block counts" },
	{ "Node 0, zone DMA   \n", "line 1: no free block counts" },
	{ "Node 0, zone DMA 1 -2\n", "line 1: free block count is not a number" },
	{ "Node 0, zone DMA 1 2x\n", "line 1: free block count is not a number" },
	{ "Node 0, zone DMA 1 0x10\n", "line 1: free block count is not a number" },
	{ "Node 0, zone DMA 1 18446744073709551616\n",
	  "line 1: free block count too large" },
	{ "Node 0, zone DMA 1 2 3\nNode 1, zone Normal 1 2 3 4\n",
	  "line 2: 4 order columns, the lines before have 3" },
	{ "Node 0, zone DMA 1 2 3\nNode 0, zone Normal 1 2\n",
	  "line 2: 2 order columns, the lines before have 3" },
	{ "Node 0, zone DMA 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 "
	  "0 0 0 0 0 0 0 0 0\n", "line 1: more than 32 order columns" },
};

START_TEST(buddy_malformed)
{
	struct pzd_buddy b, orig;
	char err[PZD_PREPARE_MSG] = "";

	memset(&b, 0x5a, sizeof(b));
	orig = b;
	ck_assert_int_eq(pzd_buddyinfo_parse(bad_buddy[_i].text, 0, &b, err,
					     sizeof(err)), -EBADMSG);
	ck_assert_msg(strstr(err, bad_buddy[_i].err),
		      "\"%s\": got \"%s\", want \"%s\"", bad_buddy[_i].text,
		      err, bad_buddy[_i].err);
	ck_assert_mem_eq(&b, &orig, sizeof(b));
	/* the error buffer may be left out */
	ck_assert_int_eq(pzd_buddyinfo_parse(bad_buddy[_i].text, 0, &b, NULL,
					     0), -EBADMSG);
}
END_TEST

START_TEST(buddy_accepts)
{
	struct pzd_buddy b;
	char err[PZD_PREPARE_MSG];

	/* 32 columns, tabs, no trailing blank, no final newline */
	ck_assert_int_eq(pzd_buddyinfo_parse("Node 0, zone DMA 1 1 1 1 1 1 1 1 "
		"1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 7", 0, &b, err,
		sizeof(err)), 0);
	ck_assert_uint_eq(b.norders, 32);
	ck_assert_uint_eq(b.blocks[31], 7);
	ck_assert_int_eq(pzd_buddyinfo_parse("Node\t5,\tzone\tNormal\t3\t4\n",
					     5, &b, err, sizeof(err)), 0);
	ck_assert_uint_eq(b.norders, 2);
	ck_assert_uint_eq(b.blocks[0], 3);
	ck_assert_uint_eq(b.blocks[1], 4);
	/* the biggest count; sums saturate */
	ck_assert_int_eq(pzd_buddyinfo_parse(
		"Node 0, zone A 18446744073709551615\n"
		"Node 0, zone B 18446744073709551615\n", 0, &b, err,
		sizeof(err)), 0);
	ck_assert_uint_eq(b.blocks[0], UINT64_MAX);
	ck_assert_uint_eq(pzd_buddy_free_bytes(&b, 4096), UINT64_MAX);
}
END_TEST

START_TEST(buddy_read_errors)
{
	struct pzd_buddy b;
	char err[PZD_PREPARE_MSG];
	const char *root = tree("k61");

	tree_put("/proc/buddyinfo", "Node 0, zone DMA 1 2\nNode 1, zone\n");
	ck_assert_int_eq(pzd_buddyinfo_read(root, 0, &b, err, sizeof(err)),
			 -EBADMSG);
	ck_assert_ptr_nonnull(strstr(err, "/proc/buddyinfo line 2: expected"));
	ck_assert_ptr_nonnull(strstr(err, root));

	tree_put("/proc/buddyinfo", "");
	ck_assert_int_eq(pzd_buddyinfo_read(root, 0, &b, err, sizeof(err)),
			 -EBADMSG);
	ck_assert_ptr_nonnull(strstr(err, "no zones listed"));

	ck_assert_int_eq(pzd_buddyinfo_read(DATA "nowhere", 0, &b, err,
					    sizeof(err)), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "nowhere/proc/buddyinfo: No such"));
}
END_TEST

/* ---- hugetlb counters ---- */

START_TEST(hugetlb_counters)
{
	struct pzd_hugetlb h;
	char err[PZD_PREPARE_MSG];

	ck_assert_int_eq(pzd_hugetlb_read(DATA "k61", 0, 2 * MiB, &h, err,
					  sizeof(err)), 0);
	ck_assert_uint_eq(h.nr, 512);
	ck_assert_uint_eq(h.free, 100);
	ck_assert_uint_eq(h.surplus, 12);
	ck_assert_int_eq(pzd_hugetlb_read(DATA "k61", 0, GiB, &h, err,
					  sizeof(err)), 0);
	ck_assert_uint_eq(h.nr, 2);
	ck_assert_uint_eq(h.free, 1);
	ck_assert_uint_eq(h.surplus, 0);
	ck_assert_int_eq(pzd_hugetlb_read(DATA "k612", 1, 2 * MiB, &h, err,
					  sizeof(err)), 0);
	ck_assert_uint_eq(h.nr, 64);
	ck_assert_uint_eq(h.free, 64);
}
END_TEST

START_TEST(hugetlb_errors)
{
	struct pzd_hugetlb h = { 1, 2, 3 };
	char err[PZD_PREPARE_MSG];

	/* no 1 GiB pages on that machine */
	ck_assert_int_eq(pzd_hugetlb_read(DATA "k612", 0, GiB, &h, err,
					  sizeof(err)), -EOPNOTSUPP);
	ck_assert_ptr_nonnull(strstr(err, "node 0 has no 1048576kB hugetlb pages"));
	/* nor 64 KiB ones */
	ck_assert_int_eq(pzd_hugetlb_read(DATA "k61", 1, 64 << 10, &h, err,
					  sizeof(err)), -EOPNOTSUPP);
	ck_assert_ptr_nonnull(strstr(err, "node 1 has no 64kB hugetlb pages"));
	/* no node 2 */
	ck_assert_int_eq(pzd_hugetlb_read(DATA "k61", 2, 2 * MiB, &h, err,
					  sizeof(err)), -ENODEV);
	ck_assert_ptr_nonnull(strstr(err, "no node 2"));
	ck_assert_int_eq(pzd_hugetlb_read(DATA "k61", 0, 1000, &h, err,
					  sizeof(err)), -EINVAL);
	ck_assert_uint_eq(h.nr, 1);
	ck_assert_uint_eq(h.free, 2);
	ck_assert_uint_eq(h.surplus, 3);
}
END_TEST

START_TEST(hugetlb_malformed)
{
	static const char *const bad[] = { "", "\n", "12abc\n", "-1\n",
					   " 5\n", "5\n\n",
					   "99999999999999999999\n" };
	struct pzd_hugetlb h = { 1, 2, 3 };
	char err[PZD_PREPARE_MSG];
	const char *root = tree("k61");

	for (int i = 0; i < N(bad); i++) {
		tree_put(NODE "0" HP2M "free_hugepages", bad[i]);
		ck_assert_int_eq(pzd_hugetlb_read(root, 0, 2 * MiB, &h, err,
						  sizeof(err)), -EBADMSG);
		ck_assert_msg(strstr(err, "free_hugepages: not a page count"),
			      "%s", err);
	}
	ck_assert_uint_eq(h.nr, 1);
	ck_assert_uint_eq(h.free, 2);
	/* no trailing newline is fine */
	tree_put(NODE "0" HP2M "free_hugepages", "7");
	ck_assert_int_eq(pzd_hugetlb_read(root, 0, 2 * MiB, &h, err,
					  sizeof(err)), 0);
	ck_assert_uint_eq(h.free, 7);
}
END_TEST

/* A file where the kernel has a directory: not that node or page size. */
START_TEST(not_directories)
{
	char p[PATH_MAX * 2], q[PATH_MAX * 2 + 8];
	struct pzd_prepare_result r;
	struct pzd_hugetlb h;
	char err[PZD_PREPARE_MSG];
	const char *root = tree("k61");

	in_tree(p, sizeof(p), NODE "0/hugepages/hugepages-1048576kB");
	snprintf(q, sizeof(q), "%s.gone", p);
	ck_assert_int_eq(rename(p, q), 0);
	put_file(p, "2\n");
	ck_assert_int_eq(pzd_hugetlb_read(root, 0, GiB, &h, err, sizeof(err)),
			 -EOPNOTSUPP);
	ck_assert_ptr_nonnull(strstr(err, "no 1048576kB hugetlb pages"));

	in_tree(p, sizeof(p), NODE "1");
	snprintf(q, sizeof(q), "%s.gone", p);
	ck_assert_int_eq(rename(p, q), 0);
	put_file(p, "");
	ck_assert_int_eq(pzd_prepare_node(root, 1, GiB, PZD_BACKING_ANON, true,
					  true, &r), -ENODEV);
	ck_assert_ptr_nonnull(strstr(r.error, "no node 1 ("));
	ck_assert_ptr_nonnull(strstr(r.error, "is not a directory"));
	ck_assert_uint_eq(fk.writes, 0);
}
END_TEST

/* ---- prepare: anon ---- */

START_TEST(anon_enough)
{
	struct pzd_prepare_result r;
	const char *root = tree("k61");

	/* node 0 has 156 MiB in 2 MiB chunks */
	ck_assert_int_eq(pzd_prepare_node(root, 0, 156 * MiB, PZD_BACKING_ANON,
					  true, true, &r), 0);
	ck_assert_uint_eq(r.node, 0);
	ck_assert_uint_eq(r.size, 156 * MiB);
	ck_assert_int_eq(r.backing, PZD_BACKING_ANON);
	ck_assert_uint_eq(r.chunk_bytes, 2 * MiB);
	ck_assert_uint_eq(r.servable_bytes, 156 * MiB);
	ck_assert_uint_eq(r.short_bytes, 0);
	ck_assert(!r.compacted);
	ck_assert_uint_eq(r.nactions, 0);
	ck_assert_uint_eq(r.hugetlb_added_pages, 0);
	ck_assert_uint_eq(r.hugetlb_free_pages, 0);
	ck_assert_uint_gt(r.free_bytes, r.servable_bytes);
	ck_assert_uint_eq(fk.any_writes, 0);
	ck_assert_str_eq(r.error, "");
}
END_TEST

START_TEST(anon_compact)
{
	char p[PATH_MAX * 2], v[16];
	struct pzd_prepare_result r;
	const char *root = tree("k61");

	ck_assert_int_eq(pzd_prepare_node(root, 0, 512 * MiB, PZD_BACKING_ANON,
					  true, true, &r), 0);
	ck_assert_uint_eq(fk.writes, 1);
	ck_assert_str_eq(fk.last, NODE "0/compact");
	ck_assert_str_eq(fk.value, "1");
	in_tree(p, sizeof(p), NODE "0/compact");
	get_file(p, v, sizeof(v));
	ck_assert_str_eq(v, "1");
	ck_assert(r.compacted);
	/* counted again: orders 9 and 10 of the defragmented tree */
	ck_assert_uint_eq(r.servable_bytes, (213 * 2 + 213 * 4) * MiB);
	ck_assert_uint_eq(r.short_bytes, 0);
	ck_assert_uint_eq(r.nactions, 1);
	ck_assert_str_eq(r.actions[0],
		"compacted node 0: 2 MiB chunks 156.00 MiB -> 1.25 GiB");

	/* still short after compaction: the caller sees by how much */
	tree_teardown();
	root = tree("k61");
	ck_assert_int_eq(pzd_prepare_node(root, 0, 2 * GiB, PZD_BACKING_ANON,
					  true, false, &r), 0);
	ck_assert(r.compacted);
	ck_assert_uint_eq(r.servable_bytes, 1278 * MiB);
	ck_assert_uint_eq(r.short_bytes, 2 * GiB - 1278 * MiB);
}
END_TEST

START_TEST(anon_no_compact)
{
	char p[PATH_MAX * 2], v[16];
	struct pzd_prepare_result r;
	const char *root = tree("k61");

	ck_assert_int_eq(pzd_prepare_node(root, 0, 512 * MiB, PZD_BACKING_ANON,
					  false, true, &r), 0);
	ck_assert_uint_eq(fk.any_writes, 0);
	in_tree(p, sizeof(p), NODE "0/compact");
	get_file(p, v, sizeof(v));
	ck_assert_str_eq(v, "");
	ck_assert(!r.compacted);
	ck_assert_uint_eq(r.servable_bytes, 156 * MiB);
	ck_assert_uint_eq(r.short_bytes, 356 * MiB);
	ck_assert_uint_eq(r.nactions, 0);
}
END_TEST

START_TEST(anon_compact_fails)
{
	char p[PATH_MAX * 2];
	struct pzd_prepare_result r;
	const char *root = tree("k61");

	/* a kernel without CONFIG_COMPACTION has no compact file */
	in_tree(p, sizeof(p), NODE "0/compact");
	ck_assert_int_eq(unlink(p), 0);
	ck_assert_int_eq(pzd_prepare_node(root, 0, 512 * MiB, PZD_BACKING_ANON,
					  true, true, &r), 0);
	ck_assert_int_eq(access(p, F_OK), -1);	/* not created */
	ck_assert(!r.compacted);
	ck_assert_uint_eq(r.servable_bytes, 156 * MiB);
	ck_assert_uint_eq(r.short_bytes, 356 * MiB);
	ck_assert_uint_eq(r.nactions, 1);
	ck_assert_str_eq(r.actions[0],
		"could not compact node 0: No such file or directory");
}
END_TEST

START_TEST(anon_k612)
{
	struct pzd_prepare_result r;
	const char *root = tree("k612");

	/* node 3 has no memory: all short, compaction tried */
	ck_assert_int_eq(pzd_prepare_node(root, 3, 2 * MiB, PZD_BACKING_ANON,
					  true, true, &r), 0);
	ck_assert_uint_eq(r.free_bytes, 0);
	ck_assert_uint_eq(r.servable_bytes, 0);
	ck_assert_uint_eq(r.short_bytes, 2 * MiB);
	ck_assert(r.compacted);
	ck_assert_str_eq(fk.last, NODE "3/compact");
	ck_assert_uint_eq(r.nactions, 1);

	ck_assert_int_eq(pzd_prepare_node(root, 2, 8 * GiB, PZD_BACKING_ANON,
					  false, false, &r), 0);
	ck_assert_uint_eq(r.servable_bytes, (45 * 2 + 2060 * 4) * MiB);
	ck_assert_uint_eq(r.short_bytes, 0);
}
END_TEST

/* ---- prepare: hugetlb ---- */

static void fake_pool(const char *dir, uint64_t max)
{
	char rel[PATH_MAX];

	snprintf(rel, sizeof(rel), "%snr_hugepages", dir);
	fk.hp_nr = tree_u64(rel);
	snprintf(rel, sizeof(rel), "%sfree_hugepages", dir);
	fk.hp_free = tree_u64(rel);
	fk.hp_max = max;
}

START_TEST(hugetlb_enough)
{
	struct pzd_prepare_result r;
	const char *root = tree("k61");

	/* 100 free pages of 2 MiB */
	ck_assert_int_eq(pzd_prepare_node(root, 0, 200 * MiB,
					  PZD_BACKING_HUGETLB_2M, true, true,
					  &r), 0);
	ck_assert_uint_eq(fk.any_writes, 0);
	ck_assert_uint_eq(r.chunk_bytes, 2 * MiB);
	ck_assert_uint_eq(r.servable_bytes, 200 * MiB);
	ck_assert_uint_eq(r.short_bytes, 0);
	ck_assert_uint_eq(r.hugetlb_free_pages, 100);
	ck_assert_uint_eq(r.hugetlb_added_pages, 0);
	ck_assert(!r.compacted);
	ck_assert_uint_eq(r.nactions, 0);
	/* free_bytes is the buddy allocator's, as for anon */
	ck_assert_uint_gt(r.free_bytes, 0);
}
END_TEST

START_TEST(hugetlb_topup_granted)
{
	struct pzd_prepare_result r;
	const char *root = tree("k61");

	fake_pool(NODE "0" HP2M, 100000);
	tree_put("/proc/buddyinfo.after-hugetlb",
		 "Node 0, zone Normal 10 0 0 0 0 0 0 0 0 0 1\n"
		 "Node 1, zone Normal 1 0 0 0 0 0 0 0 0 0 0\n");
	/* 1 GiB + 1 byte, 200 MiB free: 824 MiB + 1 short, 413 pages */
	ck_assert_int_eq(pzd_prepare_node(root, 0, GiB + 1,
					  PZD_BACKING_HUGETLB_2M, true, true,
					  &r), 0);
	ck_assert_uint_eq(fk.writes, 1);
	ck_assert_str_eq(fk.last, NODE "0" HP2M "nr_hugepages");
	/* nr (surplus included) + shortfall: never lower than it was */
	ck_assert_str_eq(fk.value, "925\n");
	ck_assert_uint_eq(tree_u64(NODE "0" HP2M "nr_hugepages"), 925);
	ck_assert_uint_eq(r.hugetlb_added_pages, 413);
	ck_assert_uint_eq(r.hugetlb_free_pages, 513);
	ck_assert_uint_eq(r.servable_bytes, 513 * 2 * MiB);
	ck_assert_uint_eq(r.short_bytes, 0);
	ck_assert(!r.compacted);
	/* free memory counted after the pool grew */
	ck_assert_uint_eq(r.free_bytes, 10 * 4096 + 4 * MiB);
	ck_assert_uint_eq(r.nactions, 1);
	ck_assert_str_eq(r.actions[0],
		"raised node 0 hugetlb-2M pool by 413 pages (asked 413)");
	/* the other node and page size untouched */
	ck_assert_uint_eq(tree_u64(NODE "1" HP2M "nr_hugepages"), 0);
	ck_assert_uint_eq(tree_u64(NODE "0" HP1G "nr_hugepages"), 2);
}
END_TEST

START_TEST(hugetlb_topup_partial)
{
	struct pzd_prepare_result r;
	const char *root = tree("k61");

	/* the kernel finds room for 700 pages on the node, 924 asked */
	fake_pool(NODE "0" HP2M, 700);
	ck_assert_int_eq(pzd_prepare_node(root, 0, GiB,
					  PZD_BACKING_HUGETLB_2M, false, true,
					  &r), 0);
	ck_assert_str_eq(fk.value, "924\n");
	ck_assert_uint_eq(r.hugetlb_added_pages, 700 - 512);
	ck_assert_uint_eq(r.hugetlb_free_pages, 100 + 188);
	ck_assert_uint_eq(r.servable_bytes, 288 * 2 * MiB);
	ck_assert_uint_eq(r.short_bytes, GiB - 576 * MiB);
	ck_assert_str_eq(r.actions[0],
		"raised node 0 hugetlb-2M pool by 188 pages (asked 412)");

	/* 1 GiB pages on node 1, none yet: 5 asked, 1 granted */
	fake_pool(NODE "1" HP1G, 1);
	ck_assert_int_eq(pzd_prepare_node(root, 1, 4 * GiB + 1,
					  PZD_BACKING_HUGETLB_1G, true, true,
					  &r), 0);
	ck_assert_str_eq(fk.last, NODE "1" HP1G "nr_hugepages");
	ck_assert_str_eq(fk.value, "5\n");
	ck_assert_uint_eq(r.chunk_bytes, GiB);
	ck_assert_uint_eq(r.hugetlb_added_pages, 1);
	ck_assert_uint_eq(r.hugetlb_free_pages, 1);
	ck_assert_uint_eq(r.servable_bytes, GiB);
	ck_assert_uint_eq(r.short_bytes, 3 * GiB + 1);

	/* nothing granted */
	fake_pool(NODE "1" HP2M, 0);
	ck_assert_int_eq(pzd_prepare_node(root, 1, 3 * MiB,
					  PZD_BACKING_HUGETLB_2M, true, true,
					  &r), 0);
	ck_assert_str_eq(fk.value, "2\n");
	ck_assert_uint_eq(r.hugetlb_added_pages, 0);
	ck_assert_uint_eq(r.short_bytes, 3 * MiB);
	ck_assert_str_eq(r.actions[0],
		"raised node 1 hugetlb-2M pool by 0 pages (asked 2)");
	ck_assert_uint_eq(fk.writes, 3);
}
END_TEST

START_TEST(hugetlb_no_topup)
{
	struct pzd_prepare_result r;
	const char *root = tree("k61");

	ck_assert_int_eq(pzd_prepare_node(root, 0, GiB,
					  PZD_BACKING_HUGETLB_2M, true, false,
					  &r), 0);
	ck_assert_uint_eq(fk.any_writes, 0);
	ck_assert_uint_eq(tree_u64(NODE "0" HP2M "nr_hugepages"), 512);
	ck_assert_uint_eq(r.servable_bytes, 200 * MiB);
	ck_assert_uint_eq(r.short_bytes, GiB - 200 * MiB);
	ck_assert_uint_eq(r.hugetlb_free_pages, 100);
	ck_assert(!r.compacted);
	ck_assert_uint_eq(r.nactions, 0);
}
END_TEST

/* ---- prepare: bad input changes nothing ---- */

START_TEST(prepare_rejects)
{
	struct pzd_prepare_result r;
	const char *root = tree("k61");

	ck_assert_int_eq(pzd_prepare_node(root, 0, 0, PZD_BACKING_ANON, true,
					  true, &r), -ERANGE);
	ck_assert_ptr_nonnull(strstr(r.error, "size 0 out of range"));
	ck_assert_int_eq(pzd_prepare_node(root, 0, PZD_PREPARE_SIZE_MAX + 1,
					  PZD_BACKING_HUGETLB_2M, true, true,
					  &r), -ERANGE);
	ck_assert_ptr_nonnull(strstr(r.error, "out of range"));
	ck_assert_int_eq(pzd_prepare_node(root, 0, 1, (enum pzd_backing)7,
					  true, true, &r), -EINVAL);
	ck_assert_ptr_nonnull(strstr(r.error, "unknown backing 7"));
	ck_assert_int_eq(pzd_prepare_node(root, 2, GiB, PZD_BACKING_ANON,
					  true, true, &r), -ENODEV);
	ck_assert_ptr_nonnull(strstr(r.error, "no node 2"));
	ck_assert_int_eq(pzd_prepare_node(root, 4294967295u, GiB,
					  PZD_BACKING_HUGETLB_1G, true, true,
					  &r), -ENODEV);
	ck_assert_uint_eq(fk.any_writes, 0);
	/* paths that do not fit PATH_MAX */
	for (size_t len = PATH_MAX - 30; len <= PATH_MAX + 10; len += 20) {
		char *longroot = malloc(len + 1);
		struct pzd_hugetlb h;
		struct pzd_buddy b;
		char err[PZD_PREPARE_MSG];

		ck_assert_ptr_nonnull(longroot);
		memset(longroot, 'x', len);
		longroot[len] = '\0';
		ck_assert_int_eq(pzd_prepare_node(longroot, 0, GiB,
			PZD_BACKING_ANON, true, true, &r), -ENAMETOOLONG);
		ck_assert_ptr_nonnull(strstr(r.error, "path too long"));
		ck_assert_int_eq(pzd_hugetlb_read(longroot, 0, GiB, &h, err,
						  sizeof(err)), -ENAMETOOLONG);
		ck_assert_int_eq(pzd_buddyinfo_read(longroot, 0, &b, err,
						    sizeof(err)), -ENAMETOOLONG);
		free(longroot);
	}
	/* the largest size is fine */
	ck_assert_int_eq(pzd_prepare_node(root, 0, PZD_PREPARE_SIZE_MAX,
					  PZD_BACKING_ANON, false, false, &r), 0);
	ck_assert_uint_eq(r.short_bytes, PZD_PREPARE_SIZE_MAX - 156 * MiB);

	tree_teardown();
	root = tree("k612");
	ck_assert_int_eq(pzd_prepare_node(root, 0, GiB, PZD_BACKING_HUGETLB_1G,
					  true, true, &r), -EOPNOTSUPP);
	ck_assert_ptr_nonnull(strstr(r.error, "no 1048576kB hugetlb pages"));
	ck_assert_uint_eq(fk.any_writes, 0);
}
END_TEST

START_TEST(prepare_bad_files)
{
	struct pzd_prepare_result r;
	const char *root = tree("k61");

	tree_put("/proc/buddyinfo", "Node 0, zone DMA 1 2\nNode 1, zone N 1\n");
	ck_assert_int_eq(pzd_prepare_node(root, 0, GiB, PZD_BACKING_ANON,
					  true, true, &r), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(r.error, "/proc/buddyinfo line 2: 1 order"));
	ck_assert_uint_eq(fk.any_writes, 0);

	tree_teardown();
	root = tree("k61");
	tree_put(NODE "0" HP2M "nr_hugepages", "lots\n");
	ck_assert_int_eq(pzd_prepare_node(root, 0, GiB, PZD_BACKING_HUGETLB_2M,
					  true, true, &r), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(r.error, "nr_hugepages: not a page count"));
	ck_assert_uint_eq(fk.any_writes, 0);
}
END_TEST

/* ---- the reply's node object ---- */

static void json_u64(struct json_object *o, const char *k, uint64_t want)
{
	struct json_object *v;

	ck_assert_msg(json_object_object_get_ex(o, k, &v), "no %s", k);
	ck_assert_msg(json_object_is_type(v, json_type_int), "%s: not int", k);
	ck_assert_uint_eq(json_object_get_uint64(v), want);
}

START_TEST(result_json)
{
	struct pzd_prepare_result r;
	struct json_object *o, *v;
	const char *root = tree("k61");
	int pass;

	fake_pool(NODE "0" HP2M, 700);
	for (pass = 0; pass < 2; pass++) {
		if (pass == 0)
			ck_assert_int_eq(pzd_prepare_node(root, 0, GiB,
				PZD_BACKING_HUGETLB_2M, true, true, &r), 0);
		else
			ck_assert_int_eq(pzd_prepare_node(root, 0, 2 * GiB,
				PZD_BACKING_ANON, true, true, &r), 0);
		o = pzd_prepare_result_json(&r);
		ck_assert_ptr_nonnull(o);
		ck_assert_int_eq(json_object_object_length(o), 11);
		json_u64(o, "node", 0);
		json_u64(o, "size", r.size);
		json_u64(o, "free_bytes", r.free_bytes);
		json_u64(o, "chunk_bytes", 2 * MiB);
		json_u64(o, "servable_bytes", r.servable_bytes);
		json_u64(o, "short_bytes", r.short_bytes);
		json_u64(o, "hugetlb_added_pages", r.hugetlb_added_pages);
		ck_assert(json_object_object_get_ex(o, "backing", &v));
		ck_assert_str_eq(json_object_get_string(v),
				 pass ? "anon" : "hugetlb-2M");
		ck_assert(json_object_object_get_ex(o, "compacted", &v));
		ck_assert(json_object_is_type(v, json_type_boolean));
		ck_assert_int_eq(json_object_get_boolean(v), pass == 1);
		ck_assert(json_object_object_get_ex(o, "hugetlb_free_pages", &v));
		if (pass == 0) {
			json_u64(o, "hugetlb_free_pages", 288);
			ck_assert_uint_eq(r.hugetlb_added_pages, 188);
		} else {
			ck_assert_ptr_null(v);	/* null for anon */
		}
		ck_assert(json_object_object_get_ex(o, "actions", &v));
		ck_assert(json_object_is_type(v, json_type_array));
		ck_assert_uint_eq(json_object_array_length(v), 1);
		ck_assert_uint_eq(r.nactions, 1);
		ck_assert_str_eq(json_object_get_string(
					json_object_array_get_idx(v, 0)),
				 r.actions[0]);
		json_object_put(o);
	}
}
END_TEST

/* ---- the host, read only ---- */

START_TEST(host_read_only)
{
	struct pzd_prepare_result r;
	struct pzd_hugetlb h;
	struct pzd_buddy b;
	char err[PZD_PREPARE_MSG] = "";

	memset(&fk, 0, sizeof(fk));
	ck_assert_msg(pzd_buddyinfo_read("", 0, &b, err, sizeof(err)) == 0,
		      "%s", err);
	ck_assert_uint_ge(b.nzones, 1);
	ck_assert_uint_ge(b.norders, 1);
	ck_assert_uint_le(b.norders, PZD_BUDDY_MAX_ORDERS);
	ck_assert_uint_gt(pzd_buddy_free_bytes(&b, (uint64_t)sysconf(_SC_PAGESIZE)),
			  0);

	/* compact and topup off: nothing is written */
	ck_assert_msg(pzd_prepare_node("", 0, PZD_PREPARE_SIZE_MAX,
				       PZD_BACKING_ANON, false, false, &r) == 0,
		      "%s", r.error);
	ck_assert_uint_gt(r.free_bytes, 0);
	ck_assert_uint_le(r.servable_bytes, r.free_bytes);
	ck_assert_uint_eq(r.short_bytes, PZD_PREPARE_SIZE_MAX - r.servable_bytes);
	ck_assert(!r.compacted);
	ck_assert_uint_eq(r.nactions, 0);

	ck_assert_msg(pzd_hugetlb_read("", 0, 2 * MiB, &h, err,
				       sizeof(err)) == 0, "%s", err);
	ck_assert_uint_le(h.free, h.nr);
	ck_assert_uint_le(h.surplus, h.nr);
	ck_assert_msg(pzd_prepare_node("", 0, PZD_PREPARE_SIZE_MAX,
				       PZD_BACKING_HUGETLB_2M, false, false,
				       &r) == 0, "%s", r.error);
	ck_assert_uint_eq(r.servable_bytes, r.hugetlb_free_pages * 2 * MiB);
	ck_assert_uint_eq(r.short_bytes, PZD_PREPARE_SIZE_MAX - r.servable_bytes);
	ck_assert_uint_eq(r.hugetlb_added_pages, 0);
	ck_assert_uint_eq(r.nactions, 0);
	ck_assert_uint_eq(fk.any_writes, 0);
}
END_TEST

static Suite *prepare_suite(void)
{
	Suite *s = suite_create("prepare");
	TCase *tc;

	tc = tcase_create("parse");
	tcase_add_test(tc, backing_names);
	tcase_add_test(tc, buddy_k61);
	tcase_add_test(tc, buddy_k612);
	tcase_add_test(tc, buddy_arm64_64k);
	tcase_add_loop_test(tc, buddy_malformed, 0, N(bad_buddy));
	tcase_add_test(tc, buddy_accepts);
	tcase_add_test(tc, hugetlb_counters);
	tcase_add_test(tc, hugetlb_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("tree");
	tcase_add_checked_fixture(tc, tree_setup, tree_teardown);
	tcase_add_test(tc, buddy_read_errors);
	tcase_add_test(tc, hugetlb_malformed);
	tcase_add_test(tc, not_directories);
	tcase_add_test(tc, anon_enough);
	tcase_add_test(tc, anon_compact);
	tcase_add_test(tc, anon_no_compact);
	tcase_add_test(tc, anon_compact_fails);
	tcase_add_test(tc, anon_k612);
	tcase_add_test(tc, hugetlb_enough);
	tcase_add_test(tc, hugetlb_topup_granted);
	tcase_add_test(tc, hugetlb_topup_partial);
	tcase_add_test(tc, hugetlb_no_topup);
	tcase_add_test(tc, prepare_rejects);
	tcase_add_test(tc, prepare_bad_files);
	tcase_add_test(tc, result_json);
	suite_add_tcase(s, tc);

	tc = tcase_create("host");
	tcase_add_test(tc, host_read_only);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(prepare_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
