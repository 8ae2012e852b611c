// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/* Size parsing and formatting (client/size.c), strict integers (number.c). */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>

#include <linux/prezero.h>

#include "number.h"
#include "size.h"

#define KiB (UINT64_C(1) << 10)
#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)
#define TiB (UINT64_C(1) << 40)

static const struct {
	const char *s;
	uint64_t v;
} good[] = {
	{ "0", 0 },
	{ "1", 1 },
	{ "4096", 4096 },
	{ "0B", 0 },
	{ "4096B", 4096 },
	{ "10b", 10 },
	{ "1.0", 1 },
	{ "1K", KiB },
	{ "1k", KiB },
	{ "0.5K", 512 },
	{ "512M", 512 * MiB },
	{ "64MiB", 64 * MiB },
	{ "64mib", 64 * MiB },
	{ "1G", GiB },
	{ "1g", GiB },
	{ "1GiB", GiB },
	{ "1.5G", GiB + GiB / 2 },
	{ "1.50G", GiB + GiB / 2 },
	{ "0.1G", 107374182 },	/* rounded down */
	{ "0.000000000000000000001G", 0 },
	{ "1T", TiB },		/* the maximum itself */
	{ "1TiB", TiB },
	{ "1024G", TiB },
	{ "1099511627776", TiB },
	{ "0.5T", TiB / 2 },
	{ "007M", 7 * MiB },
};

static const char *const invalid[] = {
	"", "abc", "-1", "-0", "-1G", "+5", " 5", "5 ", "1 G", "G", "1.5",
	"0.3", "1.", ".5G", "1..5G", "1.5.G", "0x10", "1e9", "12x", "1KB", "1kb",
	"1MB", "1GB", "1GiBs", "1Gi", "1iB", "1BB", "1GG", "1,5G", "1_000",
	"nan", "inf", "1\n",
};

static const char *const too_large[] = {
	"1099511627777", "1.0000001T", "2T", "1.5T", "1025G", "1P", "1E",
	"16E", "17E", "99999999999999999999999", "18446744073709551616",
};

START_TEST(parse_good)
{
	uint64_t v = 12345;
	const char *why = "unset";
	int r = pz_parse_size(good[_i].s, PREZERO_BUDGET_MAX, &v, &why);

	ck_assert_msg(r == 0, "'%s' rejected: %s", good[_i].s, why);
	ck_assert_msg(v == good[_i].v, "'%s' = %llu, want %llu", good[_i].s,
		      (unsigned long long)v, (unsigned long long)good[_i].v);
	ck_assert_ptr_null(why);
}
END_TEST

START_TEST(parse_invalid)
{
	uint64_t v = 12345;
	const char *why = NULL;
	int r = pz_parse_size(invalid[_i], PREZERO_BUDGET_MAX, &v, &why);

	ck_assert_msg(r == -EINVAL, "'%s' gave %d (v=%llu)", invalid[_i], r,
		      (unsigned long long)v);
	ck_assert_ptr_nonnull(why);
	ck_assert_msg(v == 12345, "'%s' wrote the output", invalid[_i]);
}
END_TEST

START_TEST(parse_too_large)
{
	uint64_t v = 12345;
	const char *why = NULL;
	int r = pz_parse_size(too_large[_i], PREZERO_BUDGET_MAX, &v, &why);

	ck_assert_msg(r == -ERANGE, "'%s' gave %d", too_large[_i], r);
	ck_assert_ptr_nonnull(why);
	ck_assert(v == 12345);
}
END_TEST

START_TEST(parse_misc)
{
	uint64_t v = 0;
	const char *why;

	/* NULL why is allowed; the maximum is a parameter */
	ck_assert_int_eq(pz_parse_size("abc", 100, &v, NULL), -EINVAL);
	ck_assert_int_eq(pz_parse_size("101", 100, &v, NULL), -ERANGE);
	ck_assert_int_eq(pz_parse_size("100", 100, &v, NULL), 0);
	ck_assert(v == 100);
	ck_assert_int_eq(pz_parse_size(NULL, 100, &v, &why), -EINVAL);
	ck_assert_int_eq(pz_parse_size("18446744073709551615", UINT64_MAX, &v,
				       NULL), 0);
	ck_assert(v == UINT64_MAX);
	ck_assert_int_eq(pz_parse_size("15.999E", UINT64_MAX, &v, NULL), 0);
	ck_assert_int_eq(pz_parse_size("16E", UINT64_MAX, &v, NULL), -ERANGE);
	/* the budget maximum is exactly 1 TiB */
	ck_assert(PREZERO_BUDGET_MAX == TiB);
}
END_TEST

static const struct {
	uint64_t v;
	const char *s;
} formats[] = {
	{ 0, "0 B" },
	{ 1, "1 B" },
	{ 1023, "1023 B" },
	{ 1024, "1.00 KiB" },
	{ 1536, "1.50 KiB" },
	{ 512 * MiB, "512.00 MiB" },
	{ GiB + GiB / 2, "1.50 GiB" },
	{ MiB - 1, "1.00 MiB" },	/* not "1024.00 KiB" */
	{ TiB, "1.00 TiB" },
	{ UINT64_MAX, "16.00 EiB" },
};

START_TEST(format)
{
	char buf[32];

	ck_assert_str_eq(pz_format_size(formats[_i].v, buf, sizeof(buf)),
			 formats[_i].s);
}
END_TEST

START_TEST(format_signed)
{
	char buf[32];

	ck_assert_str_eq(pz_format_ssize(0, buf, sizeof(buf)), "0 B");
	ck_assert_str_eq(pz_format_ssize(-2 * (int64_t)MiB, buf, sizeof(buf)),
			 "-2.00 MiB");
	ck_assert_str_eq(pz_format_ssize(-5, buf, sizeof(buf)), "-5 B");
	ck_assert_str_eq(pz_format_ssize(INT64_MIN, buf, sizeof(buf)),
			 "-8.00 EiB");
	ck_assert_str_eq(pz_format_ssize(INT64_MAX, buf, sizeof(buf)),
			 "8.00 EiB");
	/* truncation stays terminated */
	ck_assert_str_eq(pz_format_size(GiB, buf, 4), "1.0");
}
END_TEST

START_TEST(uint_parse)
{
	static const char *const not_digits[] = {
		"", " 1", "1 ", "+1", "-1", "0x10", "1e3", "1.0", "12a",
	};
	unsigned long v = 77;

	ck_assert_int_eq(pz_parse_uint("0", 0, 10, &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(pz_parse_uint("007", 0, 10, &v), 0);
	ck_assert_uint_eq(v, 7);
	ck_assert_int_eq(pz_parse_uint("10", 0, 10, &v), 0);
	ck_assert_uint_eq(v, 10);
	ck_assert_int_eq(pz_parse_uint("18446744073709551615", 0, ULONG_MAX, &v),
			 0);
	ck_assert_uint_eq(v, ULONG_MAX);
	/* errors leave *out alone */
	v = 77;
	ck_assert_int_eq(pz_parse_uint("11", 0, 10, &v), -ERANGE);
	ck_assert_int_eq(pz_parse_uint("0", 1, 10, &v), -ERANGE);
	ck_assert_int_eq(pz_parse_uint("18446744073709551616", 0, ULONG_MAX, &v),
			 -ERANGE);
	ck_assert_int_eq(pz_parse_uint(NULL, 0, 10, &v), -EINVAL);
	for (size_t i = 0; i < sizeof(not_digits) / sizeof(not_digits[0]); i++)
		ck_assert_msg(pz_parse_uint(not_digits[i], 0, ULONG_MAX, &v) == -EINVAL,
			      "\"%s\" accepted", not_digits[i]);
	ck_assert_uint_eq(v, 77);
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *size_suite(void)
{
	Suite *s = suite_create("size");
	TCase *tc = tcase_create("parse");

	tcase_add_loop_test(tc, parse_good, 0, N(good));
	tcase_add_loop_test(tc, parse_invalid, 0, N(invalid));
	tcase_add_loop_test(tc, parse_too_large, 0, N(too_large));
	tcase_add_test(tc, parse_misc);
	tcase_add_test(tc, uint_parse);
	suite_add_tcase(s, tc);
	tc = tcase_create("format");
	tcase_add_loop_test(tc, format, 0, N(formats));
	tcase_add_test(tc, format_signed);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(size_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
