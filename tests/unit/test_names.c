// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/* Enum names (client/nl.c) must match proto/prezero.yaml. */
#include <check.h>
#include <stdlib.h>

#include "nl.h"

START_TEST(fault_skip)
{
	ck_assert_str_eq(pz_fault_skip_name(PREZERO_FAULT_SKIP_UNSUPPORTED),
			 "unsupported");
	ck_assert_str_eq(pz_fault_skip_name(PREZERO_FAULT_SKIP_SUPPORTED),
			 "supported");
	ck_assert_ptr_null(pz_fault_skip_name(PREZERO_FAULT_SKIP_SUPPORTED + 1));
	ck_assert_ptr_null(pz_fault_skip_name(UINT32_MAX));
}
END_TEST

START_TEST(reporting)
{
	ck_assert_str_eq(pz_reporting_name(PREZERO_REPORTING_REGISTERED),
			 "registered");
	ck_assert_str_eq(pz_reporting_name(PREZERO_REPORTING_TAKEN), "taken");
	ck_assert_str_eq(pz_reporting_name(PREZERO_REPORTING_UNAVAILABLE),
			 "unavailable");
	ck_assert_ptr_null(pz_reporting_name(PREZERO_REPORTING_UNAVAILABLE + 1));
}
END_TEST

START_TEST(verdict)
{
	ck_assert_str_eq(pz_verdict_name(PREZERO_VERDICT_ZERO), "zero");
	ck_assert_str_eq(pz_verdict_name(PREZERO_VERDICT_DIRTY), "dirty");
	ck_assert_str_eq(pz_verdict_name(PREZERO_VERDICT_MIXED), "mixed");
	ck_assert_str_eq(pz_verdict_name(PREZERO_VERDICT_INCONCLUSIVE),
			 "inconclusive");
	ck_assert_str_eq(pz_verdict_name(PREZERO_VERDICT_NO_SAMPLE),
			 "no-sample");
	ck_assert_ptr_null(pz_verdict_name(PREZERO_VERDICT_NO_SAMPLE + 1));
}
END_TEST

START_TEST(event_type)
{
	ck_assert_str_eq(pz_event_type_name(PREZERO_EVENT_TYPE_BUDGET_EXHAUSTED),
			 "budget-exhausted");
	ck_assert_str_eq(pz_event_type_name(PREZERO_EVENT_TYPE_NODE_SCRUBBED),
			 "node-scrubbed");
	ck_assert_str_eq(pz_event_type_name(PREZERO_EVENT_TYPE_REPORTING_LOST),
			 "reporting-lost");
	ck_assert_ptr_null(pz_event_type_name(PREZERO_EVENT_TYPE_REPORTING_LOST + 1));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("names");
	TCase *tc = tcase_create("enums");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, fault_skip);
	tcase_add_test(tc, reporting);
	tcase_add_test(tc, verdict);
	tcase_add_test(tc, event_type);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
