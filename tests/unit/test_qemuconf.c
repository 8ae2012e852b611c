// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/*
 * libvirt's qemu.conf as prezero-hook reads it (client/qemuconf.c): the
 * virconf grammar, the first-assignment-wins rule, the defaults of Debian
 * 12's libvirt 9.0, and user/group ids as libvirt resolves them.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qemuconf.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	const char *text;
	const char *dir, *user, *group;
} goods[] = {
	{ "", PZ_QEMU_MEMORY_BACKING_DIR, PZ_QEMU_USER, PZ_QEMU_GROUP },
	{ "\n\n  \n", PZ_QEMU_MEMORY_BACKING_DIR, PZ_QEMU_USER, PZ_QEMU_GROUP },
	/* Debian's file: everything commented out */
	{ "# Master configuration file for the QEMU driver.\n"
	  "#user = \"libvirt-qemu\"\n#group = \"libvirt-qemu\"\n"
	  "#memory_backing_dir = \"/var/lib/libvirt/qemu/ram\"\n",
	  PZ_QEMU_MEMORY_BACKING_DIR, PZ_QEMU_USER, PZ_QEMU_GROUP },
	{ "memory_backing_dir = \"/dev/hugepages/vms\"\n",
	  "/dev/hugepages/vms/libvirt/qemu", PZ_QEMU_USER, PZ_QEMU_GROUP },
	{ "  memory_backing_dir\t=\t'/dev/shm/vms'   # on tmpfs\nuser=\"+107\"\ngroup = \"kvm\"",
	  "/dev/shm/vms/libvirt/qemu", "+107", "kvm" },
	/* the first assignment wins, as in libvirt */
	{ "user = \"qemu\"\nuser = \"root\"\n", PZ_QEMU_MEMORY_BACKING_DIR, "qemu", PZ_QEMU_GROUP },
	/* lists over several lines, numbers, ';' separators, other keys */
	{ "cgroup_controllers = [ \"cpu\", \"devices\",\n   \"memory\",\n  ]\n"
	  "vnc_port = 5900; max_files = -1\n"
	  "hugetlbfs_mount = [\"/dev/hugepages2M\",\n\"/dev/hugepages1G\"]\n"
	  "nested = [ [ 1, 2 ], [] ]\n"
	  "group = \"libvirt\"\n",
	  PZ_QEMU_MEMORY_BACKING_DIR, PZ_QEMU_USER, "libvirt" },
	/* a triple-quoted string over lines; quotes of the other kind inside */
	{ "security_driver = \"\"\"a\nb \" c\"\"\"\nuser = 'it\"s'\n",
	  PZ_QEMU_MEMORY_BACKING_DIR, "it\"s", PZ_QEMU_GROUP },
	{ "memory_backing_dir = \"/a # not a comment\"\r\n",
	  "/a # not a comment/libvirt/qemu", PZ_QEMU_USER, PZ_QEMU_GROUP },
	/* a prefix of a key is another key */
	{ "users = \"x\"\nuser_x = \"y\"\n", PZ_QEMU_MEMORY_BACKING_DIR, PZ_QEMU_USER,
	  PZ_QEMU_GROUP },
};

START_TEST(parse_good)
{
	struct pz_qemu_conf c;
	char err[128] = "";
	int ret = pz_qemu_conf_parse(goods[_i].text, strlen(goods[_i].text), &c,
				     err, sizeof(err));

	ck_assert_msg(ret == 0, "case %d: %d %s", _i, ret, err);
	ck_assert_str_eq(c.memory_backing_dir, goods[_i].dir);
	ck_assert_str_eq(c.user, goods[_i].user);
	ck_assert_str_eq(c.group, goods[_i].group);
	pz_qemu_conf_free(&c);
}
END_TEST

static const struct {
	const char *text, *why;
} bads[] = {
	{ "memory_backing_dir = /var/lib\n", "line 1: expecting a value" },
	{ "user = \"qemu\n", "line 1: unterminated string" },
	{ "\n\nuser = 'qemu\"\n", "line 3: unterminated string" },
	{ "x = \"\"\"never closed\n\n", "line 3: unterminated string" },
	{ "user \"qemu\"\n", "line 1: expecting '=' after user" },
	{ "user = 107\n", "line 1: user: expected a string" },
	{ "memory_backing_dir = [ \"/a\" ]\n", "line 1: memory_backing_dir: expected a string" },
	{ "group = \"a\" \"b\"\n", "line 1: expecting a newline or ';'" },
	{ "l = [ \"a\" \"b\" ]\n", "line 1: expecting ',' in a list" },
	{ "l = [ \"a\",\n \"b\"\n", "line 3: list is not closed with ]" },
	{ "l = [ # comment\n ]\n", "line 1: expecting a value" },
	{ "1abc = 2\n", "line 1: expecting a name" },
	{ "n = -\n", "line 1: unterminated number" },
	{ "a = 1\n\n\n= 2\n", "line 4: expecting a name" },
	{ "l = [[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]\n", "nested too deep" },
};

START_TEST(parse_bad)
{
	struct pz_qemu_conf c;
	char err[128] = "";
	int ret = pz_qemu_conf_parse(bads[_i].text, strlen(bads[_i].text), &c,
				     err, sizeof(err));

	ck_assert_msg(ret == -EINVAL, "case %d: %d", _i, ret);
	ck_assert_msg(strstr(err, bads[_i].why), "case %d: \"%s\" lacks \"%s\"",
		      _i, err, bads[_i].why);
	ck_assert_ptr_null(c.memory_backing_dir);
	ck_assert_ptr_null(c.user);
	ck_assert_ptr_null(c.group);
}
END_TEST

START_TEST(parse_nul)
{
	static const char text[] = "user = \"a\"\n\0group = \"b\"\n";
	struct pz_qemu_conf c;
	char err[128];

	ck_assert_int_eq(pz_qemu_conf_parse(text, sizeof(text) - 1, &c, err,
					    sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "NUL"));
}
END_TEST

START_TEST(load)
{
	char dir[] = "/tmp/pz-qemuconf.XXXXXX", path[64], err[256];
	struct pz_qemu_conf c;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/qemu.conf", dir);
	/* missing: the defaults, as libvirt */
	ck_assert_int_eq(pz_qemu_conf_load(path, &c, err, sizeof(err)), 0);
	ck_assert_str_eq(c.memory_backing_dir, PZ_QEMU_MEMORY_BACKING_DIR);
	pz_qemu_conf_free(&c);

	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("memory_backing_dir = \"/dev/shm/ram\"\nuser = \"+0\"\n", f);
	fclose(f);
	ck_assert_int_eq(pz_qemu_conf_load(path, &c, err, sizeof(err)), 0);
	ck_assert_str_eq(c.memory_backing_dir, "/dev/shm/ram/libvirt/qemu");
	ck_assert_str_eq(c.user, "+0");
	pz_qemu_conf_free(&c);

	/* the environment names the file when no path is given */
	setenv(PZ_QEMU_CONF_ENV, path, 1);
	ck_assert_str_eq(pz_qemu_conf_path(NULL), path);
	ck_assert_int_eq(pz_qemu_conf_load(NULL, &c, err, sizeof(err)), 0);
	ck_assert_str_eq(c.memory_backing_dir, "/dev/shm/ram/libvirt/qemu");
	pz_qemu_conf_free(&c);
	setenv(PZ_QEMU_CONF_ENV, "", 1);
	ck_assert_str_eq(pz_qemu_conf_path(NULL), PZ_QEMU_CONF_PATH);
	unsetenv(PZ_QEMU_CONF_ENV);
	ck_assert_str_eq(pz_qemu_conf_path(NULL), PZ_QEMU_CONF_PATH);
	ck_assert_str_eq(pz_qemu_conf_path("/x"), "/x");

	/* errors name the file */
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("# ok\nuser = 0\n", f);
	fclose(f);
	ck_assert_int_eq(pz_qemu_conf_load(path, &c, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, path));
	ck_assert_ptr_nonnull(strstr(err, "line 2: user: expected a string"));

	/* too large */
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fseek(f, PZ_QEMU_CONF_MAX, SEEK_SET), 0);
	fputc('\n', f);
	fclose(f);
	ck_assert_int_eq(pz_qemu_conf_load(path, &c, err, sizeof(err)), -EFBIG);

	/* a directory is not a file */
	ck_assert_int_lt(pz_qemu_conf_load(dir, &c, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, dir));

	unlink(path);
	rmdir(dir);
}
END_TEST

START_TEST(ids)
{
	uid_t u = 4242;
	gid_t g = 4242;

	ck_assert_int_eq(pz_qemu_uid("+0", &u), 0);
	ck_assert_uint_eq(u, 0);
	ck_assert_int_eq(pz_qemu_uid("+64055", &u), 0);
	ck_assert_uint_eq(u, 64055);
	ck_assert_int_eq(pz_qemu_uid("root", &u), 0);
	ck_assert_uint_eq(u, 0);
	/* no such name: the name as a number */
	ck_assert_int_eq(pz_qemu_uid("123456", &u), 0);
	ck_assert_uint_eq(u, 123456);
	u = 4242;
	ck_assert_int_eq(pz_qemu_uid("no-such-user-pz", &u), -ENOENT);
	ck_assert_int_eq(pz_qemu_uid("+", &u), -EINVAL);
	ck_assert_int_eq(pz_qemu_uid("+x", &u), -EINVAL);
	ck_assert_int_eq(pz_qemu_uid("+-1", &u), -EINVAL);
	ck_assert_int_eq(pz_qemu_uid("+4294967295", &u), -EINVAL);
	ck_assert_int_eq(pz_qemu_uid("", &u), -EINVAL);
	ck_assert_uint_eq(u, 4242);	/* unchanged on error */

	ck_assert_int_eq(pz_qemu_gid("+0", &g), 0);
	ck_assert_uint_eq(g, 0);
	ck_assert_int_eq(pz_qemu_gid("root", &g), 0);
	ck_assert_uint_eq(g, 0);
	ck_assert_int_eq(pz_qemu_gid("+65534", &g), 0);
	ck_assert_uint_eq(g, 65534);
	ck_assert_int_eq(pz_qemu_gid("777777", &g), 0);
	ck_assert_uint_eq(g, 777777);
	ck_assert_int_eq(pz_qemu_gid("no-such-group-pz", &g), -ENOENT);
	ck_assert_int_eq(pz_qemu_gid("+9x", &g), -EINVAL);
}
END_TEST

static Suite *qemuconf_suite(void)
{
	Suite *s = suite_create("qemuconf");
	TCase *tc = tcase_create("parse");

	tcase_add_loop_test(tc, parse_good, 0, N(goods));
	tcase_add_loop_test(tc, parse_bad, 0, N(bads));
	tcase_add_test(tc, parse_nul);
	tcase_add_test(tc, load);
	tcase_add_test(tc, ids);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(qemuconf_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
