// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/*
 * prezerod's Xen parsing (daemon/xen_parse.c): xenstore values, watch
 * paths, the xenstore copy of a list, old list files, scan scheduling.
 * No Xen needed.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xen_parse.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const struct {
	const char *s;
	uint64_t max, v;
	int ret;
} kibs[] = {
	{ "0", 100, 0, 0 },
	{ "524288", PZD_XEN_KIB_MAX, 524288, 0 },
	{ "1099511627776", PZD_XEN_KIB_MAX, PZD_XEN_KIB_MAX, 0 },
	{ "1099511627777", PZD_XEN_KIB_MAX, 0, -ERANGE },
	{ "18446744073709551615", UINT64_MAX, UINT64_MAX, 0 },
	{ "18446744073709551616", UINT64_MAX, 0, -ERANGE },
	{ "99999999999999999999999", UINT64_MAX, 0, -ERANGE },
	{ "9", 5, 0, -ERANGE },
	{ "5", 5, 5, 0 },
	{ "", 100, 0, -EINVAL },
	{ "-1", 100, 0, -EINVAL },
	{ "+1", 100, 0, -EINVAL },
	{ " 1", 100, 0, -EINVAL },
	{ "1 ", 100, 0, -EINVAL },
	{ "01", 100, 0, -EINVAL },
	{ "1k", 100, 0, -EINVAL },
	{ "0x10", 100, 0, -EINVAL },
	{ "1.5", 100, 0, -EINVAL },
};

START_TEST(kib)
{
	uint64_t v = 12345;
	int ret = pzd_xen_parse_kib(kibs[_i].s, strlen(kibs[_i].s),
				    kibs[_i].max, &v);

	ck_assert_msg(ret == kibs[_i].ret, "\"%s\": %d, expected %d",
		      kibs[_i].s, ret, kibs[_i].ret);
	if (!ret)
		ck_assert_uint_eq(v, kibs[_i].v);
	else
		ck_assert_uint_eq(v, 12345);	/* untouched on error */
}
END_TEST

START_TEST(kib_len)
{
	uint64_t v;

	/* The length counts, not a NUL: xs_read values are not strings. */
	ck_assert_int_eq(pzd_xen_parse_kib("1234xyz", 4, 10000, &v), 0);
	ck_assert_uint_eq(v, 1234);
	ck_assert_int_eq(pzd_xen_parse_kib("12\0" "4", 4, 10000, &v), -EINVAL);
	ck_assert_int_eq(pzd_xen_parse_kib(NULL, 0, 10000, &v), -EINVAL);
}
END_TEST

static const struct {
	const char *path, *suffix;
	uint32_t domid;
	int ret;
} watches[] = {
	{ "/local/domain/7/memory/target", "/memory/target", 7, 0 },
	{ "/local/domain/0/memory/target", "/memory/target", 0, 0 },
	{ "/local/domain/32751/memory/target", "/memory/target", 32751, 0 },
	{ "/local/domain/32752/memory/target", "/memory/target", 0, -EINVAL },
	{ "/local/domain/99999999999/memory/target", "/memory/target", 0, -EINVAL },
	{ "/local/domain/07/memory/target", "/memory/target", 0, -EINVAL },
	{ "/local/domain/-7/memory/target", "/memory/target", 0, -EINVAL },
	{ "/local/domain//memory/target", "/memory/target", 0, -EINVAL },
	{ "/local/domain/7/memory/target/x", "/memory/target", 0, -EINVAL },
	{ "/local/domain/7/memory/targe", "/memory/target", 0, -EINVAL },
	{ "/local/domain/7/memory/static-max", "/memory/target", 0, -EINVAL },
	{ "/local/domain/7x/memory/target", "/memory/target", 0, -EINVAL },
	{ "/local/domains/7/memory/target", "/memory/target", 0, -EINVAL },
	{ "@introduceDomain", "/memory/target", 0, -EINVAL },
	{ "/local/domain/12", "", 12, 0 },
	{ "/local/domain/12/", "", 0, -EINVAL },
	{ "", "", 0, -EINVAL },
};

START_TEST(watch_path)
{
	uint32_t d = 4242;
	int ret = pzd_xen_watch_domid(watches[_i].path, watches[_i].suffix, &d);

	ck_assert_msg(ret == watches[_i].ret, "\"%s\": %d", watches[_i].path,
		      ret);
	ck_assert_uint_eq(d, ret ? 4242 : watches[_i].domid);
}
END_TEST

START_TEST(domid_string)
{
	uint32_t d = 1;

	ck_assert(pzd_xen_parse_domid("0", &d));
	ck_assert_uint_eq(d, 0);
	ck_assert(pzd_xen_parse_domid("32751", &d));
	ck_assert_uint_eq(d, 32751);
	ck_assert(!pzd_xen_parse_domid("32752", &d));
	ck_assert(!pzd_xen_parse_domid("01", &d));
	ck_assert(!pzd_xen_parse_domid("1a", &d));
	ck_assert(!pzd_xen_parse_domid("", &d));
	ck_assert(!pzd_xen_parse_domid("guest1", &d));
	ck_assert(!pzd_xen_parse_domid(NULL, &d));
}
END_TEST

START_TEST(uuids)
{
	static const char good[] = "/vm/0b6e6d4c-2c1f-4f60-9d2b-0d7f6fd1a1b2";
	static const char upper[] = "/vm/0B6E6D4C-2C1F-4F60-9D2B-0D7F6FD1A1B2";
	char u[37];

	ck_assert(pzd_xen_uuid_valid("0b6e6d4c-2c1f-4f60-9d2b-0d7f6fd1a1b2"));
	ck_assert(!pzd_xen_uuid_valid("0b6e6d4c-2c1f-4f60-9d2b-0d7f6fd1a1b"));
	ck_assert(!pzd_xen_uuid_valid("0b6e6d4c-2c1f-4f60-9d2b-0d7f6fd1a1b23"));
	ck_assert(!pzd_xen_uuid_valid("0b6e6d4c2c1f-4f60-9d2b-0d7f6fd1a1b2-"));
	ck_assert(!pzd_xen_uuid_valid("gb6e6d4c-2c1f-4f60-9d2b-0d7f6fd1a1b2"));
	ck_assert_int_eq(pzd_xen_vm_uuid(good, strlen(good), u), 0);
	ck_assert_str_eq(u, "0b6e6d4c-2c1f-4f60-9d2b-0d7f6fd1a1b2");
	ck_assert_int_eq(pzd_xen_vm_uuid(upper, strlen(upper), u), 0);
	ck_assert_str_eq(u, "0b6e6d4c-2c1f-4f60-9d2b-0d7f6fd1a1b2");
	ck_assert_int_eq(pzd_xen_vm_uuid(good, strlen(good) - 1, u), -EINVAL);
	ck_assert_int_eq(pzd_xen_vm_uuid(good + 1, strlen(good) - 1, u),
			 -EINVAL);
	ck_assert_int_eq(pzd_xen_vm_uuid("/vm/", 4, u), -EINVAL);
	ck_assert_int_eq(pzd_xen_vm_uuid(NULL, 0, u), -EINVAL);
}
END_TEST

START_TEST(names)
{
	char out[8];

	pzd_xen_clean_name("guest", 5, out, sizeof(out));
	ck_assert_str_eq(out, "guest");
	pzd_xen_clean_name("a\nb\tc\x7f", 6, out, sizeof(out));
	ck_assert_str_eq(out, "a?b?c?");
	pzd_xen_clean_name("abcdefghij", 10, out, sizeof(out));
	ck_assert_str_eq(out, "abcdefg");
	/* "abcde" + "é" (c3 a9) + "x": the cut falls after c3 */
	pzd_xen_clean_name("abcdef\xc3\xa9x", 9, out, sizeof(out));
	ck_assert_str_eq(out, "abcdef?");
	/* "abcd" + "€" (e2 82 ac): cut after e2 82 */
	pzd_xen_clean_name("abcd\xe2\x82\xac", 7, out, sizeof(out));
	ck_assert_str_eq(out, "abcd\xe2\x82\xac");
	pzd_xen_clean_name("abcde\xe2\x82\xac", 8, out, sizeof(out));
	ck_assert_str_eq(out, "abcde??");
	pzd_xen_clean_name("", 0, out, sizeof(out));
	ck_assert_str_eq(out, "");
}
END_TEST

#define CHUNK 2048
#define NODES 64

START_TEST(chunks_small)
{
	static const struct pz_range r[] = {
		{ 0x20000, 0x27000 }, { 0x3f000, 0x40000 },
	};
	char *buf = calloc(NODES, CHUNK + 1);

	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(pzd_xen_list_chunks(r, 2, buf, CHUNK, NODES), 1);
	ck_assert_str_eq(buf, "20000-27000 3f000-40000");
	ck_assert_int_eq(pzd_xen_list_chunks(r, 0, buf, CHUNK, NODES), 0);
	free(buf);
}
END_TEST

/* Many ranges: every value fits its bound, and the values read back in
 * order give exactly the ranges. */
START_TEST(chunks_roundtrip)
{
	size_t n = 3000, k = 0;
	struct pz_range *r = calloc(n, sizeof(*r));
	char *buf = calloc(NODES, CHUNK + 1);
	int nodes;

	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_nonnull(buf);
	for (size_t i = 0; i < n; i++) {
		r[i].start = i * 0x1000 + (i % 7) * 0x10;
		r[i].end = r[i].start + 1 + i % 5;
	}
	nodes = pzd_xen_list_chunks(r, n, buf, CHUNK, NODES);
	ck_assert_int_gt(nodes, 1);
	for (int j = 0; j < nodes; j++) {
		char *v = buf + (size_t)j * (CHUNK + 1), *tok, *save = NULL;

		ck_assert_uint_le(strlen(v), CHUNK);
		ck_assert_uint_gt(strlen(v), 0);
		ck_assert(v[0] != ' ' && v[strlen(v) - 1] != ' ');
		for (tok = strtok_r(v, " ", &save); tok;
		     tok = strtok_r(NULL, " ", &save)) {
			unsigned long long s, e;
			char dash;

			ck_assert_int_eq(sscanf(tok, "%llx%c%llx", &s, &dash, &e), 3);
			ck_assert_int_eq(dash, '-');
			ck_assert_uint_lt(k, n);
			ck_assert_uint_eq(s, r[k].start);
			ck_assert_uint_eq(e, r[k].end);
			k++;
		}
	}
	ck_assert_uint_eq(k, n);
	free(r);
	free(buf);
}
END_TEST

START_TEST(chunks_too_many)
{
	/* 64 values of 2048 bytes hold < 64 * 2048 / 8 ranges of 7+ bytes. */
	size_t n = 64 * 2048 / 8;
	struct pz_range *r = calloc(n, sizeof(*r));
	char *buf = calloc(NODES, CHUNK + 1);

	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_nonnull(buf);
	for (size_t i = 0; i < n; i++) {
		r[i].start = 0x100000 + 4 * i;
		r[i].end = r[i].start + 1;
	}
	ck_assert_int_eq(pzd_xen_list_chunks(r, n, buf, CHUNK, NODES), -E2BIG);
	/* A bound of one short value is honoured too. */
	ck_assert_int_eq(pzd_xen_list_chunks(r, 2, buf, 16, 1), -E2BIG);
	ck_assert_int_eq(pzd_xen_list_chunks(r, 1, buf, 16, 1), 1);
	ck_assert_str_eq(buf, "100000-100001");
	free(r);
	free(buf);
}
END_TEST

START_TEST(file_generation)
{
	static const char good[] =
		"prezero-xen-exclude 1\ndomid: 3\nuuid: \nname: g\ntype: pv\n"
		"generation: 41\npage-size: 4096\n\n0x10 0x20\n";
	static const char after_blank[] =
		"prezero-xen-exclude 1\ndomid: 3\n\ngeneration: 41\n";
	static const char bad_magic[] =
		"prezero-xen-exclude 2\ngeneration: 41\n\n";
	static const char bad_num[] =
		"prezero-xen-exclude 1\ngeneration: 4x1\n\n";
	static const char cut[] = "prezero-xen-exclude 1\ngeneration: 41";
	uint64_t g = 7;

	ck_assert_int_eq(pzd_xen_file_generation(good, strlen(good), &g), 0);
	ck_assert_uint_eq(g, 41);
	g = 7;
	ck_assert_int_eq(pzd_xen_file_generation(after_blank,
						 strlen(after_blank), &g),
			 -EINVAL);
	ck_assert_int_eq(pzd_xen_file_generation(bad_magic, strlen(bad_magic),
						 &g), -EINVAL);
	ck_assert_int_eq(pzd_xen_file_generation(bad_num, strlen(bad_num), &g),
			 -EINVAL);
	ck_assert_int_eq(pzd_xen_file_generation(cut, strlen(cut), &g),
			 -EINVAL);
	ck_assert_int_eq(pzd_xen_file_generation("", 0, &g), -EINVAL);
	ck_assert_uint_eq(g, 7);
}
END_TEST

START_TEST(file_names)
{
	uint32_t d = 99;
	bool t = true;

	ck_assert_int_eq(pzd_xen_file_domid("3.exclude", &d, &t), 0);
	ck_assert_uint_eq(d, 3);
	ck_assert(!t);
	ck_assert_int_eq(pzd_xen_file_domid("12.exclude.json", &d, &t), 0);
	ck_assert_uint_eq(d, 12);
	ck_assert_int_eq(pzd_xen_file_domid(".12.exclude.XyZ123", &d, &t), 0);
	ck_assert(t);
	ck_assert_int_eq(pzd_xen_file_domid("12.exclude.jsonx", &d, &t), -EINVAL);
	ck_assert_int_eq(pzd_xen_file_domid("012.exclude", &d, &t), -EINVAL);
	ck_assert_int_eq(pzd_xen_file_domid("x.exclude", &d, &t), -EINVAL);
	ck_assert_int_eq(pzd_xen_file_domid("3.excl", &d, &t), -EINVAL);
	ck_assert_int_eq(pzd_xen_file_domid(".3.other", &d, &t), -EINVAL);
	ck_assert_int_eq(pzd_xen_file_domid("..", &d, &t), -EINVAL);
}
END_TEST

START_TEST(schedule)
{
	struct pzd_xen_sched s = { .changed_ms = 1000, .scannable = true };

	/* Never scanned: due once settled (5 s), not before. */
	ck_assert(!pzd_xen_settled(&s, 5999, 5000));
	ck_assert(!pzd_xen_scan_due(&s, 5999, 5000, 30000));
	ck_assert(pzd_xen_settled(&s, 6000, 5000));
	ck_assert(pzd_xen_scan_due(&s, 6000, 5000, 30000));
	/* Scanned at 6 s and unchanged: never due. */
	s.scanned = true;
	s.last_scan_ms = 6000;
	ck_assert(!pzd_xen_scan_due(&s, 100000, 5000, 30000));
	/* Moved at 10 s: settled at 15 s, but the interval holds until 36 s. */
	s.dirty = true;
	s.changed_ms = 10000;
	ck_assert(!pzd_xen_scan_due(&s, 15000, 5000, 30000));
	ck_assert(!pzd_xen_scan_due(&s, 35999, 5000, 30000));
	ck_assert(pzd_xen_scan_due(&s, 36000, 5000, 30000));
	/* Still moving at 40 s: not settled. */
	s.changed_ms = 39000;
	ck_assert(!pzd_xen_scan_due(&s, 40000, 5000, 30000));
	ck_assert(pzd_xen_scan_due(&s, 44000, 5000, 30000));
	/* Nothing to scan with. */
	s.scannable = false;
	ck_assert(!pzd_xen_scan_due(&s, 100000, 5000, 30000));
}
END_TEST

static Suite *xenparse_suite(void)
{
	Suite *s = suite_create("xenparse");
	TCase *tc = tcase_create("values");

	tcase_add_loop_test(tc, kib, 0, N(kibs));
	tcase_add_test(tc, kib_len);
	tcase_add_loop_test(tc, watch_path, 0, N(watches));
	tcase_add_test(tc, domid_string);
	tcase_add_test(tc, uuids);
	tcase_add_test(tc, names);
	suite_add_tcase(s, tc);
	tc = tcase_create("lists");
	tcase_add_test(tc, chunks_small);
	tcase_add_test(tc, chunks_roundtrip);
	tcase_add_test(tc, chunks_too_many);
	tcase_add_test(tc, file_generation);
	tcase_add_test(tc, file_names);
	tcase_add_test(tc, schedule);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(xenparse_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
