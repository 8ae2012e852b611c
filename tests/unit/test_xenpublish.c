// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/*
 * prezerod's exclude list files (daemon/xen_publish.c): written whole or
 * not at all, the generation read back, the sweep of gone guests' files.
 * The xenstore copy needs a dom0 (tests/xen/).
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xen.h"

static char dir[64];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/pz-xenpub.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d)))
		unlinkat(dirfd(d), e->d_name, 0);
	if (d)
		closedir(d);
	rmdir(dir);
}

static void make_pub(struct pzd_xen_pub *p, struct pz_ranges *rs,
		     uint32_t domid, uint64_t gen, size_t nranges)
{
	memset(p, 0, sizeof(*p));
	pz_ranges_init(rs, 0);
	for (size_t i = 0; i < nranges; i++)
		ck_assert_int_eq(pz_ranges_add(rs, 0x1000 + 4 * i,
					       0x1000 + 4 * i + 2), 0);
	p->hdr.domid = domid;
	snprintf(p->hdr.name, sizeof(p->hdr.name), "guest%u", domid);
	snprintf(p->hdr.type, sizeof(p->hdr.type), "pvh");
	p->hdr.generation = gen;
	p->hdr.page_size = 4096;
	p->hdr.time = 1764748800;
	p->hdr.scanned_frames = 0x100000;
	p->hdr.complete = true;
	p->ranges = rs;
}

/* The directory's entries other than . and .. */
static int entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static off_t size_of(const char *path)
{
	struct stat st;

	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0644);
	return st.st_size;
}

START_TEST(write_and_read_back)
{
	struct pzd_xen_pub p;
	struct pz_exclude_hdr h;
	struct pz_ranges rs, back;
	char path[PATH_MAX], err[256];
	FILE *f;

	make_pub(&p, &rs, 7, 41, 3);
	ck_assert_uint_eq(pzd_xen_publish_last_gen(dir, 7), 0);
	ck_assert_int_eq(pzd_xen_publish_files(dir, &p), 0);
	ck_assert_uint_eq(pzd_xen_publish_last_gen(dir, 7), 41);
	ck_assert_uint_eq(pzd_xen_publish_last_gen(dir, 8), 0);
	ck_assert_int_eq(entries(), 2);	/* .exclude, .exclude.json */
	pzd_xen_publish_path(dir, 7, false, path, sizeof(path));
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_msg(!pz_exclude_parse_text(f, &h, &back, err, sizeof(err)),
		      "%s", err);
	fclose(f);
	ck_assert_uint_eq(h.domid, 7);
	ck_assert_uint_eq(h.generation, 41);
	ck_assert_uint_eq(back.n, 3);
	ck_assert_uint_eq(back.frames, 6);
	pz_ranges_free(&back);
	pzd_xen_publish_path(dir, 7, true, path, sizeof(path));
	ck_assert_int_gt(size_of(path), 0);
	pz_ranges_free(&rs);
}
END_TEST

/* A write that fails (here: the file size limit, as a full disk would)
 * leaves the old files as they were and no temporary behind. */
START_TEST(failed_write_keeps_old)
{
	struct pzd_xen_pub p;
	struct pz_ranges rs, big;
	struct rlimit old, lim;
	char path[PATH_MAX];
	off_t before;

	make_pub(&p, &rs, 3, 5, 2);
	ck_assert_int_eq(pzd_xen_publish_files(dir, &p), 0);
	pzd_xen_publish_path(dir, 3, false, path, sizeof(path));
	before = size_of(path);

	make_pub(&p, &big, 3, 6, 20000);
	signal(SIGXFSZ, SIG_IGN);
	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 4096;
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
	ck_assert_int_eq(pzd_xen_publish_files(dir, &p), -EFBIG);
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &old), 0);

	ck_assert_int_eq(size_of(path), before);
	ck_assert_uint_eq(pzd_xen_publish_last_gen(dir, 3), 5);
	ck_assert_int_eq(entries(), 2);
	/* And with room again, the new list goes in whole. */
	ck_assert_int_eq(pzd_xen_publish_files(dir, &p), 0);
	ck_assert_uint_eq(pzd_xen_publish_last_gen(dir, 3), 6);
	ck_assert_int_gt(size_of(path), before);
	ck_assert_int_eq(entries(), 2);
	pz_ranges_free(&rs);
	pz_ranges_free(&big);
}
END_TEST

START_TEST(missing_dir_is_made)
{
	struct pzd_xen_pub p;
	struct pz_ranges rs;
	char sub[128];

	snprintf(sub, sizeof(sub), "%s/a/b", dir);
	make_pub(&p, &rs, 1, 1, 1);
	ck_assert_int_eq(pzd_xen_publish_files(sub, &p), 0);
	ck_assert_uint_eq(pzd_xen_publish_last_gen(sub, 1), 1);
	pzd_xen_unpublish(sub, NULL, 1);
	ck_assert_uint_eq(pzd_xen_publish_last_gen(sub, 1), 0);
	rmdir(sub);
	snprintf(sub, sizeof(sub), "%s/a", dir);
	rmdir(sub);
	pz_ranges_free(&rs);
}
END_TEST

static bool only_2(void *ud, uint32_t domid)
{
	ck_assert_ptr_eq(ud, dir);
	return domid == 2;
}

START_TEST(sweep)
{
	static const char *const junk[] = { "notes.txt", "2.exclude.bak" };
	struct pzd_xen_pub p;
	struct pz_ranges rs;
	char path[PATH_MAX];
	FILE *f;

	for (uint32_t d = 1; d <= 3; d++) {
		make_pub(&p, &rs, d, d, 1);
		ck_assert_int_eq(pzd_xen_publish_files(dir, &p), 0);
		pz_ranges_free(&rs);
	}
	/* A temporary of a write cut short, and files that are not ours. */
	snprintf(path, sizeof(path), "%s/.2.exclude.Ab12Cd", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, junk[i]);
		f = fopen(path, "w");
		ck_assert_ptr_nonnull(f);
		fclose(f);
	}
	ck_assert_int_eq(entries(), 9);
	pzd_xen_publish_sweep(dir, only_2, dir);
	/* 2's two files and the two others stay. */
	ck_assert_int_eq(entries(), 4);
	ck_assert_uint_eq(pzd_xen_publish_last_gen(dir, 2), 2);
	ck_assert_uint_eq(pzd_xen_publish_last_gen(dir, 1), 0);
	ck_assert_uint_eq(pzd_xen_publish_last_gen(dir, 3), 0);
}
END_TEST

/* A file that is not a list: starting over at generation 1 is fine. */
START_TEST(bad_old_file)
{
	char path[PATH_MAX];
	FILE *f;

	pzd_xen_publish_path(dir, 9, false, path, sizeof(path));
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("prezero-xen-exclude 1\ngeneration: x\n\n", f);
	fclose(f);
	ck_assert_uint_eq(pzd_xen_publish_last_gen(dir, 9), 0);
}
END_TEST

static Suite *xenpublish_suite(void)
{
	Suite *s = suite_create("xenpublish");
	TCase *tc = tcase_create("files");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, write_and_read_back);
	tcase_add_test(tc, failed_write_keeps_old);
	tcase_add_test(tc, missing_dir_is_made);
	tcase_add_test(tc, sweep);
	tcase_add_test(tc, bad_old_file);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(xenpublish_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
