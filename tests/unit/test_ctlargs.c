// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/*
 * prezeroctl's pool and vm arguments (client/ctlargs.c): durations, modes,
 * sizes, owners (against this host's passwd and group databases), VM
 * names and NODE:SIZE lists.
 */
#include <check.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctlargs.h"

#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)
#define PiB (UINT64_C(1) << 50)

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* ---- durations ---------------------------------------------------------- */

static const struct {
	const char *s;
	uint64_t v;
} durations[] = {
	{ "0", 0 },
	{ "30", 30 },
	{ "30s", 30 },
	{ "007s", 7 },
	{ "5m", 300 },
	{ "2h", 7200 },
	{ "1d", 86400 },
	{ "4294967296", UINT64_C(4294967296) },
};

static const char *const bad_durations[] = {
	"", "s", "m", "-1", "+5", " 5", "5 ", "5ms", "5M", "5H", "5S", "1.5h",
	"5x", "5hh", "0x10", "1e3", "5 m", "1h30m",
};

START_TEST(duration_good)
{
	uint64_t v = 12345;
	const char *why = "unset";
	int r = pz_parse_duration(durations[_i].s, UINT64_MAX, &v, &why);

	ck_assert_msg(r == 0, "'%s' rejected: %s", durations[_i].s, why);
	ck_assert_msg(v == durations[_i].v, "'%s' = %llu, want %llu",
		      durations[_i].s, (unsigned long long)v,
		      (unsigned long long)durations[_i].v);
	ck_assert_ptr_null(why);
}
END_TEST

START_TEST(duration_bad)
{
	uint64_t v = 12345;
	const char *why = NULL;
	int r = pz_parse_duration(bad_durations[_i], UINT64_MAX, &v, &why);

	ck_assert_msg(r == -EINVAL, "'%s' gave %d (v=%llu)", bad_durations[_i],
		      r, (unsigned long long)v);
	ck_assert_ptr_nonnull(why);
	ck_assert_msg(v == 12345, "'%s' wrote the output", bad_durations[_i]);
}
END_TEST

START_TEST(duration_range)
{
	uint64_t v = 12345;

	/* the maximum is in seconds, after the unit */
	ck_assert_int_eq(pz_parse_duration("120", 120, &v, NULL), 0);
	ck_assert(v == 120);
	ck_assert_int_eq(pz_parse_duration("2m", 120, &v, NULL), 0);
	ck_assert(v == 120);
	v = 12345;
	ck_assert_int_eq(pz_parse_duration("121", 120, &v, NULL), -ERANGE);
	ck_assert_int_eq(pz_parse_duration("3m", 120, &v, NULL), -ERANGE);
	ck_assert_int_eq(pz_parse_duration("1h", 120, &v, NULL), -ERANGE);
	ck_assert(v == 12345);
	/* overflow, not wrap-around */
	ck_assert_int_eq(pz_parse_duration("18446744073709551615", UINT64_MAX,
					   &v, NULL), 0);
	ck_assert(v == UINT64_MAX);
	v = 12345;
	ck_assert_int_eq(pz_parse_duration("18446744073709551616", UINT64_MAX,
					   &v, NULL), -ERANGE);
	ck_assert_int_eq(pz_parse_duration("213503982334602d", UINT64_MAX, &v,
					   NULL), -ERANGE);
	ck_assert_int_eq(pz_parse_duration("99999999999999999999999s",
					   UINT64_MAX, &v, NULL), -ERANGE);
	ck_assert(v == 12345);
	ck_assert_int_eq(pz_parse_duration(NULL, UINT64_MAX, &v, NULL),
			 -EINVAL);
}
END_TEST

/* ---- modes -------------------------------------------------------------- */

static const struct {
	const char *s;
	unsigned int v;
} modes[] = {
	{ "0", 0 }, { "600", 0600 }, { "0600", 0600 }, { "00640", 0640 },
	{ "777", 0777 }, { "0777", 0777 }, { "4", 04 },
};

static const char *const bad_modes[] = {
	"", "8", "0800", "0x1ff", "-600", "+600", "u+rw", "0o600", " 600",
	"600 ", "6.0",
};

static const char *const big_modes[] = {
	"1000", "01777", "4755", "2700", "77777777777777777777777",
};

START_TEST(mode_parse)
{
	unsigned int m = 4242;
	const char *why = "unset";
	int i;

	for (i = 0; i < N(modes); i++) {
		ck_assert_msg(pz_parse_mode(modes[i].s, &m, &why) == 0,
			      "'%s' rejected: %s", modes[i].s, why);
		ck_assert_msg(m == modes[i].v, "'%s' = %o", modes[i].s, m);
		ck_assert_ptr_null(why);
	}
	m = 4242;
	for (i = 0; i < N(bad_modes); i++) {
		why = NULL;
		ck_assert_msg(pz_parse_mode(bad_modes[i], &m, &why) == -EINVAL,
			      "'%s' accepted", bad_modes[i]);
		ck_assert_ptr_nonnull(why);
	}
	for (i = 0; i < N(big_modes); i++) {
		why = NULL;
		ck_assert_msg(pz_parse_mode(big_modes[i], &m, &why) == -ERANGE,
			      "'%s' accepted", big_modes[i]);
		ck_assert_ptr_nonnull(why);
	}
	ck_assert_int_eq(pz_parse_mode(NULL, &m, NULL), -EINVAL);
	ck_assert_uint_eq(m, 4242);
}
END_TEST

/* ---- sizes and VM names ------------------------------------------------- */

START_TEST(pool_size)
{
	uint64_t v = 12345;
	const char *why = "unset";

	ck_assert_int_eq(pz_parse_pool_size("1", &v, &why), 0);
	ck_assert(v == 1);
	ck_assert_ptr_null(why);
	ck_assert_int_eq(pz_parse_pool_size("4G", &v, NULL), 0);
	ck_assert(v == 4 * GiB);
	ck_assert_int_eq(pz_parse_pool_size("1P", &v, NULL), 0);
	ck_assert(v == PiB);
	ck_assert(PZ_CTL_SIZE_MAX == PiB);
	v = 12345;
	ck_assert_int_eq(pz_parse_pool_size("0", &v, &why), -ERANGE);
	ck_assert_ptr_nonnull(why);
	ck_assert_int_eq(pz_parse_pool_size("0.1K", &v, NULL), 0);
	ck_assert(v == 102);
	v = 12345;
	ck_assert_int_eq(pz_parse_pool_size("0.0001K", &v, NULL), -ERANGE);
	ck_assert_int_eq(pz_parse_pool_size("1125899906842625", &v, NULL),
			 -ERANGE);
	ck_assert_int_eq(pz_parse_pool_size("2P", &v, NULL), -ERANGE);
	ck_assert_int_eq(pz_parse_pool_size("16E", &v, NULL), -ERANGE);
	ck_assert_int_eq(pz_parse_pool_size("4GB", &v, NULL), -EINVAL);
	ck_assert_int_eq(pz_parse_pool_size("-1G", &v, NULL), -EINVAL);
	ck_assert_int_eq(pz_parse_pool_size("", &v, NULL), -EINVAL);
	ck_assert(v == 12345);
}
END_TEST

START_TEST(vm_name)
{
	char name[PZ_VM_NAME_MAX + 2];
	const char *why = "unset";

	ck_assert_int_eq(pz_check_vm_name("web1", &why), 0);
	ck_assert_ptr_null(why);
	ck_assert_int_eq(pz_check_vm_name("a b.c-d_e", NULL), 0);
	memset(name, 'a', sizeof(name));
	name[PZ_VM_NAME_MAX] = '\0';
	ck_assert_int_eq(pz_check_vm_name(name, NULL), 0);
	name[PZ_VM_NAME_MAX] = 'a';
	name[PZ_VM_NAME_MAX + 1] = '\0';
	ck_assert_int_eq(pz_check_vm_name(name, &why), -ERANGE);
	ck_assert_ptr_nonnull(why);
	why = NULL;
	ck_assert_int_eq(pz_check_vm_name("", &why), -EINVAL);
	ck_assert_ptr_nonnull(why);
	ck_assert_int_eq(pz_check_vm_name("a/b", NULL), -EINVAL);
	ck_assert_int_eq(pz_check_vm_name("/", NULL), -EINVAL);
	ck_assert_int_eq(pz_check_vm_name(NULL, NULL), -EINVAL);
}
END_TEST

/* ---- owners, against this host's databases ------------------------------ */

static void expect_owner(const char *s, uid_t want_uid, gid_t want_gid)
{
	const char *why = "unset";
	uid_t u = 4242;
	gid_t g = 4242;

	ck_assert_msg(pz_resolve_owner(s, &u, &g, &why) == 0,
		      "'%s' rejected: %s", s, why);
	ck_assert_msg(u == want_uid && g == want_gid,
		      "'%s' = %u:%u, want %u:%u", s, (unsigned int)u,
		      (unsigned int)g, (unsigned int)want_uid,
		      (unsigned int)want_gid);
	ck_assert_ptr_null(why);
}

static void expect_owner_error(const char *s, int want)
{
	const char *why = NULL;
	uid_t u = 4242;
	gid_t g = 4242;
	int r = pz_resolve_owner(s, &u, &g, &why);

	ck_assert_msg(r == want, "'%s' gave %d, want %d", s, r, want);
	ck_assert_ptr_nonnull(why);
	ck_assert_msg(u == 4242 && g == 4242, "'%s' wrote the output", s);
}

START_TEST(owner_root)
{
	struct passwd *pw = getpwuid(0);
	struct group *gr;
	char buf[512];
	uid_t uid;
	gid_t gid;

	ck_assert_ptr_nonnull(pw);
	/* copies: the next lookup may overwrite pw */
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	snprintf(buf, sizeof(buf), "%s", pw->pw_name);
	expect_owner(buf, uid, gid);
	expect_owner("0", 0, gid);
	expect_owner("0:0", 0, 0);
	gr = getgrgid(gid);
	ck_assert_ptr_nonnull(gr);
	snprintf(buf, sizeof(buf), "0:%s", gr->gr_name);
	expect_owner(buf, 0, gid);
	/* a group id needs no group entry */
	expect_owner("0:4000000000", 0, 4000000000u);
}
END_TEST

/* A user other than root whose primary group is not root's, if any. */
START_TEST(owner_other_user)
{
	struct passwd *pw;
	struct group *gr;
	char name[256], group[256], buf[600];
	uid_t uid = 0;
	gid_t gid = 0, other = 0;
	bool found = false;

	setpwent();
	while ((pw = getpwent())) {
		if (pw->pw_uid && pw->pw_gid && strlen(pw->pw_name) < 64 &&
		    strspn(pw->pw_name, "0123456789") != strlen(pw->pw_name)) {
			snprintf(name, sizeof(name), "%s", pw->pw_name);
			uid = pw->pw_uid;
			gid = pw->pw_gid;
			found = true;
			break;
		}
	}
	endpwent();
	/* Debian has daemon, bin, sys, nobody... */
	ck_assert_msg(found, "no user other than root with a group other than root's on this host");
	/* the name resolves to its id and primary group */
	expect_owner(name, uid, gid);
	/* the uid too, when getpwuid() finds the same entry */
	pw = getpwuid(uid);
	if (pw && pw->pw_gid == gid) {
		snprintf(buf, sizeof(buf), "%u", (unsigned int)uid);
		expect_owner(buf, uid, gid);
	}
	/* an explicit group wins over the primary one */
	gr = getgrgid(0);
	ck_assert_ptr_nonnull(gr);
	snprintf(group, sizeof(group), "%s", gr->gr_name);
	other = gr->gr_gid;
	snprintf(buf, sizeof(buf), "%s:%s", name, group);
	expect_owner(buf, uid, other);
	snprintf(buf, sizeof(buf), "%s:0", name);
	expect_owner(buf, uid, 0);
}
END_TEST

START_TEST(owner_errors)
{
	char buf[64];
	unsigned long id;

	expect_owner_error("", -EINVAL);
	expect_owner_error(":0", -EINVAL);
	expect_owner_error("0:", -EINVAL);
	expect_owner_error("pz-no-such-user-x", -ENOENT);
	expect_owner_error("pz-no-such-user-x:0", -ENOENT);
	expect_owner_error("0:pz-no-such-group-x", -ENOENT);
	/* (uid_t)-1 is chown's "no change", not an id */
	expect_owner_error("4294967295", -EINVAL);
	expect_owner_error("0:4294967295", -EINVAL);
	expect_owner_error("99999999999999999999", -EINVAL);
	expect_owner_error("0:99999999999999999999", -EINVAL);
	expect_owner_error("0:-1", -ENOENT);

	/* a uid without passwd entry: no primary group, unless given */
	for (id = 4000000000ul; id > 3999990000ul && getpwuid((uid_t)id); id--)
		;
	ck_assert_ptr_null(getpwuid((uid_t)id));
	snprintf(buf, sizeof(buf), "%lu", id);
	expect_owner_error(buf, -ENOENT);
	snprintf(buf, sizeof(buf), "%lu:0", id);
	expect_owner(buf, (uid_t)id, 0);
	ck_assert_int_eq(pz_resolve_owner(NULL, &(uid_t){ 0 }, &(gid_t){ 0 },
					  NULL), -EINVAL);
}
END_TEST

/* ---- NODE:SIZE ---------------------------------------------------------- */

START_TEST(node_size)
{
	static const struct {
		const char *s;
		int ret;
	} bad[] = {
		{ "", -EINVAL }, { "0", -EINVAL }, { "4G", -EINVAL },
		{ ":4G", -EINVAL }, { "0:", -EINVAL }, { "x:4G", -EINVAL },
		{ "-1:4G", -EINVAL }, { " 0:4G", -EINVAL }, { "0: 4G", -EINVAL },
		{ "0:4G:1", -EINVAL }, { "0:4GB", -EINVAL }, { "0x1:4G", -EINVAL },
		{ "65536:4G", -ERANGE }, { "99999999999999999999:1", -ERANGE },
		{ "0:0", -ERANGE }, { "0:2P", -ERANGE },
	};
	struct pz_node_size ns = { 77, 77 };
	const char *why = "unset";
	int i;

	ck_assert_int_eq(pz_parse_node_size("0:4G", &ns, &why), 0);
	ck_assert_uint_eq(ns.node, 0);
	ck_assert(ns.size == 4 * GiB);
	ck_assert_ptr_null(why);
	ck_assert_int_eq(pz_parse_node_size("007:512M", &ns, NULL), 0);
	ck_assert_uint_eq(ns.node, 7);
	ck_assert(ns.size == 512 * MiB);
	ck_assert_int_eq(pz_parse_node_size("65535:1", &ns, NULL), 0);
	ck_assert_uint_eq(ns.node, PZ_NODE_ID_MAX);
	ck_assert(ns.size == 1);
	for (i = 0; i < N(bad); i++) {
		why = NULL;
		ck_assert_msg(pz_parse_node_size(bad[i].s, &ns, &why) == bad[i].ret,
			      "'%s' did not give %d", bad[i].s, bad[i].ret);
		ck_assert_ptr_nonnull(why);
		ck_assert(ns.node == PZ_NODE_ID_MAX && ns.size == 1);
	}
	ck_assert_int_eq(pz_parse_node_size(NULL, &ns, NULL), -EINVAL);
}
END_TEST

START_TEST(node_size_list)
{
	char *ok[] = { "1:4G", "0:2M", "3:1" };
	char *dup[] = { "0:1G", "1:1G", "0:2G" };
	char *badarg[] = { "0:1G", "1:x", "2:1G" };
	struct pz_node_size out[PZ_PREPARE_MAX_NODES + 1];
	static char many[PZ_PREPARE_MAX_NODES + 1][16];
	char *args[PZ_PREPARE_MAX_NODES + 1];
	const char *why = "unset";
	size_t bad = 99;
	int i;

	ck_assert_int_eq(pz_parse_node_sizes(ok, 3, out, &bad, &why), 0);
	ck_assert_ptr_null(why);
	ck_assert_uint_eq(out[0].node, 1);
	ck_assert(out[0].size == 4 * GiB);
	ck_assert_uint_eq(out[1].node, 0);
	ck_assert(out[1].size == 2 * MiB);
	ck_assert_uint_eq(out[2].node, 3);
	ck_assert(out[2].size == 1);

	why = NULL;
	ck_assert_int_eq(pz_parse_node_sizes(dup, 3, out, &bad, &why), -EINVAL);
	ck_assert_uint_eq(bad, 2);
	ck_assert_ptr_nonnull(why);
	ck_assert_int_eq(pz_parse_node_sizes(badarg, 3, out, &bad, NULL),
			 -EINVAL);
	ck_assert_uint_eq(bad, 1);
	bad = 99;
	ck_assert_int_eq(pz_parse_node_sizes(ok, 0, out, &bad, NULL), -EINVAL);
	ck_assert_uint_eq(bad, 0);

	/* 256 distinct nodes are fine, one more is too many */
	for (i = 0; i <= PZ_PREPARE_MAX_NODES; i++) {
		snprintf(many[i], sizeof(many[i]), "%d:1M", i);
		args[i] = many[i];
	}
	ck_assert_int_eq(pz_parse_node_sizes(args, PZ_PREPARE_MAX_NODES, out,
					     &bad, NULL), 0);
	ck_assert_uint_eq(out[PZ_PREPARE_MAX_NODES - 1].node,
			  PZ_PREPARE_MAX_NODES - 1);
	ck_assert_int_eq(pz_parse_node_sizes(args, PZ_PREPARE_MAX_NODES + 1,
					     out, &bad, NULL), -E2BIG);
	ck_assert_uint_eq(bad, PZ_PREPARE_MAX_NODES);
}
END_TEST

static Suite *ctlargs_suite(void)
{
	Suite *s = suite_create("ctlargs");
	TCase *tc = tcase_create("parse");

	tcase_add_loop_test(tc, duration_good, 0, N(durations));
	tcase_add_loop_test(tc, duration_bad, 0, N(bad_durations));
	tcase_add_test(tc, duration_range);
	tcase_add_test(tc, mode_parse);
	tcase_add_test(tc, pool_size);
	tcase_add_test(tc, vm_name);
	tcase_add_test(tc, node_size);
	tcase_add_test(tc, node_size_list);
	suite_add_tcase(s, tc);
	tc = tcase_create("owner");
	tcase_add_test(tc, owner_root);
	tcase_add_test(tc, owner_other_user);
	tcase_add_test(tc, owner_errors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ctlargs_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
