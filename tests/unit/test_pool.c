// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/*
 * The warm pool (daemon/pool.c): the fill plan and names as pure
 * functions, then a real pool on a tmpfs directory (/dev/shm): fill,
 * claim, refusals that change nothing, adoption of good files and
 * deletion of bad ones at start.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <json-c/json.h>
#include <linux/magic.h>

#include "config.h"
#include "log.h"
#include "pool.h"
#include "protocol.h"

#define MiB (UINT64_C(1) << 20)
#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- pure parts ---- */

START_TEST(align)
{
	ck_assert_uint_eq(pzd_pool_align(1, 4096), 4096);
	ck_assert_uint_eq(pzd_pool_align(4096, 4096), 4096);
	ck_assert_uint_eq(pzd_pool_align(4097, 2 * MiB), 2 * MiB);
	ck_assert_uint_eq(pzd_pool_align(0, 4096), 0);
	ck_assert_uint_eq(pzd_pool_align(UINT64_MAX - 5, 4096), 0);
}
END_TEST

START_TEST(names)
{
	static const struct {
		const char *name;
		int ok;
		unsigned int node;
		uint64_t seq;
	} t[] = {
		{ "n0-1.pool", 1, 0, 1 },
		{ "n3-17.pool", 1, 3, 17 },
		{ "n255-18446744073709551615.pool", 1, 255, UINT64_MAX },
		{ "n256-1.pool", 0, 0, 0 },
		{ "n01-1.pool", 0, 0, 0 },
		{ "n1-01.pool", 0, 0, 0 },
		{ "n1-+1.pool", 0, 0, 0 },
		{ "n-1-1.pool", 0, 0, 0 },
		{ "n1-1.pool.tmp", 0, 0, 0 },
		{ "n1-1.poo", 0, 0, 0 },
		{ ".fill-n1-1", 0, 0, 0 },
		{ "n1.pool", 0, 0, 0 },
		{ "", 0, 0, 0 },
	};

	for (size_t i = 0; i < N(t); i++) {
		unsigned int node = 999;
		uint64_t seq = 999;
		int r = pzd_pool_parse_name(t[i].name, &node, &seq);

		ck_assert_msg((r == 0) == t[i].ok, "%s", t[i].name);
		if (t[i].ok) {
			ck_assert_uint_eq(node, t[i].node);
			ck_assert_uint_eq(seq, t[i].seq);
		}
	}
}
END_TEST

START_TEST(plan)
{
	struct pzd_pool_want want[4] = {
		{ 16 * MiB, 0 }, { 16 * MiB, 0 }, { 40 * MiB, 7 }, { 8 * MiB, 0 }
	};
	uint64_t files[3] = { 16 * MiB, 64 * MiB, 10 * MiB };
	int match[4];
	bool used[3];
	int next;

	/* 40M takes the 64M file (the only one big enough), one 16M takes
	 * the 16M file, 8M the 10M one, one 16M is left to fill. */
	next = pzd_pool_plan(want, 4, files, 3, match, used);
	ck_assert_int_eq(match[2], 1);
	ck_assert(used[0] && used[1] && used[2]);
	ck_assert_int_eq(match[3], 2);
	ck_assert((match[0] == 0) != (match[1] == 0));
	ck_assert_int_eq(next, match[0] < 0 ? 0 : 1);

	/* No files: the largest want is filled first. */
	next = pzd_pool_plan(want, 4, files, 0, match, used);
	ck_assert_int_eq(next, 2);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(match[i], -1);

	/* No wants: nothing used, nothing to fill. */
	next = pzd_pool_plan(want, 0, files, 3, match, used);
	ck_assert_int_eq(next, -1);
	ck_assert(!used[0] && !used[1] && !used[2]);
}
END_TEST

/* Random plans against the rules: each file at most once, a match is big
 * enough, next is an unmatched want no smaller than any other unmatched
 * one, and a want is unmatched only if no free file fits it. */
START_TEST(plan_random)
{
	unsigned int seed = 12345;

	for (int round = 0; round < 20000; round++) {
		struct pzd_pool_want want[8];
		uint64_t files[8];
		int match[8], next;
		bool used[8];
		size_t nw = (size_t)rand_r(&seed) % 9, nf = (size_t)rand_r(&seed) % 9;

		for (size_t i = 0; i < nw; i++) {
			want[i].size = (uint64_t)(1 + rand_r(&seed) % 6) * MiB;
			want[i].resv_id = (uint64_t)(rand_r(&seed) % 2);
		}
		for (size_t j = 0; j < nf; j++)
			files[j] = (uint64_t)(1 + rand_r(&seed) % 6) * MiB;
		next = pzd_pool_plan(want, nw, files, nf, match, used);
		for (size_t j = 0; j < nf; j++) {
			int n = 0;

			for (size_t i = 0; i < nw; i++)
				n += match[i] == (int)j;
			ck_assert_int_eq(n, used[j] ? 1 : 0);
		}
		for (size_t i = 0; i < nw; i++) {
			if (match[i] >= 0) {
				ck_assert_uint_ge(files[match[i]], want[i].size);
				continue;
			}
			for (size_t j = 0; j < nf; j++)
				ck_assert(used[j] || files[j] < want[i].size);
			ck_assert_int_ge(next, 0);
			ck_assert_int_lt(match[next], 0);
			ck_assert_uint_ge(want[next].size, want[i].size);
		}
		if (next >= 0)
			ck_assert_int_lt(match[next], 0);
		else
			for (size_t i = 0; i < nw; i++)
				ck_assert_int_ge(match[i], 0);
	}
}
END_TEST

/* ---- a pool on tmpfs ---- */

static char base[64], dir[96];
static struct pzd_config *cfg;
static sd_event *ev;

static void setup(void)
{
	struct statfs sf;

	pzd_log_set_level(getenv("PZ_DEBUG") ? LOG_DEBUG : LOG_ERR);
	ck_assert(!statfs("/dev/shm", &sf));
	ck_assert_msg(sf.f_type == TMPFS_MAGIC, "/dev/shm is not tmpfs");
	snprintf(base, sizeof(base), "/dev/shm/pz-unit-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(base));
	snprintf(dir, sizeof(dir), "%s/pool", base);
	cfg = calloc(1, sizeof(*cfg));
	pzd_config_defaults(cfg);
	snprintf(cfg->pool_dir, sizeof(cfg->pool_dir), "%s", dir);
	snprintf(cfg->pool_state_file, sizeof(cfg->pool_state_file),
		 "%s/state.json", base);
	cfg->pool_target = 8 * MiB;
	cfg->pool_file_size = 4 * MiB;
	cfg->pool_fill_rate = 0;
	cfg->pool_reserve_pct = 0;
	ck_assert_int_ge(sd_event_new(&ev), 0);
}

static void teardown(void)
{
	char cmd[128];

	sd_event_unref(ev);
	free(cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	ck_assert_int_eq(system(cmd), 0);
}

static const struct pzd_pool_node_in plenty = {
	.present = true, .mem_valid = true,
	.free_bytes = UINT64_C(1) << 40, .total_bytes = UINT64_C(1) << 41,
};

/* Rounds until the node's pool reports state, at most ~10 s. */
static struct json_object *wait_state(struct pzd_pool *p, const char *state)
{
	for (int i = 0; i < 1000; i++) {
		struct json_object *o, *s;

		pzd_pool_round(p, &plenty, 1, false, 1000 + (uint64_t)i);
		o = pzd_pool_node_json(p, 0);
		ck_assert_ptr_nonnull(o);
		if (json_object_object_get_ex(o, "state", &s) &&
		    !strcmp(json_object_get_string(s), state))
			return o;
		json_object_put(o);
		sd_event_run(ev, 10000);
	}
	ck_abort_msg("the pool never got to %s", state);
	return NULL;
}

static int64_t member(struct json_object *o, const char *k)
{
	struct json_object *v;

	ck_assert_msg(json_object_object_get_ex(o, k, &v), "no %s", k);
	return json_object_get_int64(v);
}

static int count_files(const char *prefix)
{
	char cmd[256], buf[32] = "";
	FILE *f;

	snprintf(cmd, sizeof(cmd), "ls -A '%s' | grep -c '^%s' || true", dir,
		 prefix);
	f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(buf, sizeof(buf), f));
	pclose(f);
	return atoi(buf);
}

static int claim(struct pzd_pool *p, uint64_t size, const char *path,
		 const char **code)
{
	struct pzd_pool_claim_req r = {
		.node = 0, .size = size, .path = path, .uid = 65534,
		.gid = 65534, .mode = 0640,
	};
	struct json_object *reply = json_object_new_object();
	struct pzd_proto_err err = { 0 };
	int ret = pzd_pool_claim(p, &r, reply, &err);

	*code = ret ? err.code : NULL;
	json_object_put(reply);
	return ret;
}

START_TEST(fill_and_claim)
{
	struct pzd_pool *p = pzd_pool_new(ev, cfg, 1);
	struct json_object *o;
	char path[160], other[160];
	const char *code;
	struct stat st;
	int fd;

	ck_assert(pzd_pool_usable(p));
	o = wait_state(p, "full");
	ck_assert_int_eq(member(o, "bytes"), 8 * MiB);
	ck_assert_int_eq(member(o, "files"), 2);
	json_object_put(o);
	ck_assert_int_eq(count_files("n0-"), 2);

	/* Refusals change nothing. */
	snprintf(path, sizeof(path), "%s/vm", base);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "keep", 4), 4);
	close(fd);
	ck_assert_int_eq(claim(p, MiB, path, &code), -1);
	ck_assert_str_eq(code, "bad-path");
	ck_assert(!stat(path, &st) && st.st_size == 4);
	ck_assert_int_eq(claim(p, 5 * MiB, "/dev/shm/x/y", &code), -1);
	ck_assert_str_eq(code, "bad-path");
	ck_assert_int_eq(claim(p, MiB, "relative", &code), -1);
	ck_assert_str_eq(code, "bad-path");
	ck_assert_int_eq(claim(p, MiB, "/tmp/pz-unit-other", &code), -1);
	ck_assert(!strcmp(code, "cross-device") || !strcmp(code, "bad-path"));
	ck_assert_int_eq(claim(p, 5 * MiB, path, &code), -1);
	ck_assert_int_eq(claim(p, 5 * MiB, "/dev/shm/pz-unit-new", &code), -1);
	ck_assert_str_eq(code, "pool-empty");
	ck_assert_int_eq(count_files("n0-"), 2);

	/* A claim: shrunk to the page-rounded size, owner and mode set. */
	snprintf(other, sizeof(other), "%s/vm2", base);
	ck_assert_int_eq(claim(p, MiB + 1, other, &code), 0);
	ck_assert(!stat(other, &st));
	ck_assert_uint_eq((uint64_t)st.st_size,
			  MiB + (uint64_t)sysconf(_SC_PAGESIZE));
	ck_assert_uint_eq(st.st_uid, 65534);
	ck_assert_uint_eq(st.st_gid, 65534);
	ck_assert_uint_eq(st.st_mode & 07777, 0640);
	ck_assert_uint_ge((uint64_t)st.st_blocks * 512, (uint64_t)st.st_size);
	ck_assert_int_eq(count_files("n0-"), 1);
	ck_assert_int_eq(count_files(".claim-"), 0);

	/* ...and the pool refills. */
	o = wait_state(p, "full");
	ck_assert_int_eq(member(o, "claims"), 1);
	ck_assert_int_eq(member(o, "files"), 2);
	json_object_put(o);
	pzd_pool_free(p);
	ck_assert_int_eq(count_files(".fill-"), 0);
}
END_TEST

/* At start: good files adopted, bad ones deleted, leftovers deleted,
 * strangers left alone. */
START_TEST(adoption)
{
	struct pzd_pool *p = pzd_pool_new(ev, cfg, 1);
	struct json_object *o;
	char path[160];
	int fd;

	o = wait_state(p, "full");
	json_object_put(o);
	pzd_pool_free(p);

	/* A truncated file, a wrong mode, a leftover fill, a stranger. */
	snprintf(path, sizeof(path), "%s/n0-100.pool", dir);
	fd = open(path, O_CREAT | O_RDWR, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert(!ftruncate(fd, 4 * MiB));	/* a hole: not populated */
	close(fd);
	snprintf(path, sizeof(path), "%s/n0-101.pool", dir);
	fd = open(path, O_CREAT | O_RDWR, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert(!fallocate(fd, 0, 0, 4 * MiB));
	ck_assert(!fchmod(fd, 0644));
	close(fd);
	snprintf(path, sizeof(path), "%s/.fill-n0-102", dir);
	fd = open(path, O_CREAT | O_RDWR, 0600);
	close(fd);
	snprintf(path, sizeof(path), "%s/README", dir);
	fd = open(path, O_CREAT | O_RDWR, 0600);
	close(fd);
	ck_assert_int_eq(count_files("n0-"), 4);

	p = pzd_pool_new(ev, cfg, 1);
	ck_assert_int_eq(count_files("n0-"), 2);
	ck_assert_int_eq(count_files(".fill-"), 0);
	ck_assert_int_eq(count_files("README"), 1);
	pzd_pool_round(p, &plenty, 1, false, 1);
	o = pzd_pool_node_json(p, 0);
	ck_assert_int_eq(member(o, "bytes"), 8 * MiB);
	json_object_put(o);
	pzd_pool_free(p);
}
END_TEST

/* Short of memory: files go; pressure: files go, no refill while held. */
START_TEST(give_back)
{
	struct pzd_pool *p = pzd_pool_new(ev, cfg, 1);
	struct pzd_pool_node_in in = plenty;
	struct json_object *o;

	o = wait_state(p, "full");
	json_object_put(o);
	/* Reserve 3 MiB, 2.5 MiB free: it gives back up to twice the
	 * reserve, 3.5 MiB: one file. */
	cfg->pool_reserve_pct = 3;
	in.total_bytes = 100 * MiB;
	in.free_bytes = 5 * MiB / 2;
	pzd_pool_round(p, &in, 1, false, 100000);
	o = pzd_pool_node_json(p, 0);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(o, "state")),
			 "releasing");
	ck_assert_int_eq(member(o, "files"), 1);
	ck_assert_int_eq(member(o, "released_bytes"), 4 * MiB);
	json_object_put(o);
	/* Memory back, but held: no fill yet. */
	pzd_pool_round(p, &plenty, 1, false, 100001);
	o = pzd_pool_node_json(p, 0);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(o, "state")),
			 "waiting");
	json_object_put(o);
	/* Memory stalls: a file goes even with plenty free. */
	pzd_pool_round(p, &plenty, 1, true, 100002);
	o = pzd_pool_node_json(p, 0);
	ck_assert_int_eq(member(o, "files"), 0);
	ck_assert_int_eq(member(o, "released_bytes"), 8 * MiB);
	json_object_put(o);
	ck_assert_int_eq(count_files("n0-"), 0);
	pzd_pool_free(p);
}
END_TEST

/* A directory others can enter is refused: claims would leak. */
START_TEST(unsafe_dir)
{
	struct pzd_pool *p;
	struct pzd_pool_claim_req r = { .node = 0, .size = 1, .path = "/dev/shm/x" };
	struct json_object *reply = json_object_new_object();
	struct pzd_proto_err err = { 0 };

	ck_assert(!mkdir(dir, 0755));
	ck_assert(!chmod(dir, 0755));
	p = pzd_pool_new(ev, cfg, 1);
	ck_assert(!pzd_pool_usable(p));
	ck_assert_ptr_nonnull(strstr(pzd_pool_reason(p), "not accessible"));
	ck_assert_ptr_null(pzd_pool_node_json(p, 0));
	ck_assert_int_eq(pzd_pool_claim(p, &r, reply, &err), -1);
	ck_assert_str_eq(err.code, "no-pool");
	json_object_put(reply);
	pzd_pool_free(p);
}
END_TEST

static Suite *pool_suite(void)
{
	Suite *s = suite_create("pool");
	TCase *tc = tcase_create("pure");

	tcase_add_test(tc, align);
	tcase_add_test(tc, names);
	tcase_add_test(tc, plan);
	tcase_add_test(tc, plan_random);
	suite_add_tcase(s, tc);
	tc = tcase_create("tmpfs");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, fill_and_claim);
	tcase_add_test(tc, adoption);
	tcase_add_test(tc, give_back);
	tcase_add_test(tc, unsafe_dir);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(pool_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
