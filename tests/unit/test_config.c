// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/* prezerod.conf parsing (daemon/config.c). */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <json-c/json.h>

#include "config.h"

#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)
#define TiB (UINT64_C(1) << 40)

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

#define FULL_CONF	PZ_TEST_DATA "/config/full.conf"
/* tests/unit/data -> the source tree's top */
#define PACKAGED_CONF	PZ_TEST_DATA "/../../../packaging/prezerod.conf"

static char tmp_path[64];

/* A temporary file holding len bytes of text; unlink with drop_tmp(). */
static const char *write_tmp_len(const char *text, size_t len)
{
	const char *dir = getenv("TMPDIR");
	int fd;

	snprintf(tmp_path, sizeof(tmp_path), "%s/pzconf-XXXXXX",
		 dir && strlen(dir) < 40 ? dir : "/tmp");
	fd = mkstemp(tmp_path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
	ck_assert_int_eq(close(fd), 0);
	return tmp_path;
}

static const char *write_tmp(const char *text)
{
	return write_tmp_len(text, strlen(text));
}

static void drop_tmp(void)
{
	unlink(tmp_path);
}

/* Load text from a file; the config is heap-allocated (it is 10 KiB). */
static int load_text(const char *text, struct pzd_config *c, char *err,
		     size_t errlen)
{
	int r;

	write_tmp(text);
	r = pzd_config_load(tmp_path, c, err, errlen);
	drop_tmp();
	return r;
}

static struct pzd_config *new_conf(void)
{
	struct pzd_config *c = malloc(sizeof(*c));

	ck_assert_ptr_nonnull(c);
	/* Garbage, so that nothing passes by being zero by chance. */
	memset(c, 0xa5, sizeof(*c));
	return c;
}

/* Expect text to fail with "TMPFILE:reason" (reason holds the line). */
static void expect_error(const char *text, const char *reason)
{
	struct pzd_config *c = new_conf();
	char err[512], want[512];

	ck_assert_int_eq(load_text(text, c, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:%s", tmp_path, reason);
	ck_assert_str_eq(err, want);
	free(c);
}

static void assert_node_eq(const struct pzd_node_conf *a,
			   const struct pzd_node_conf *b, int i)
{
	ck_assert_msg(a->has_enabled == b->has_enabled &&
		      a->has_rate == b->has_rate &&
		      a->has_burst == b->has_burst, "node %d: has_ flags", i);
	if (a->has_enabled)
		ck_assert_msg(a->enabled == b->enabled, "node %d enabled", i);
	if (a->has_rate)
		ck_assert_msg(a->rate == b->rate, "node %d rate", i);
	if (a->has_burst)
		ck_assert_msg(a->burst == b->burst, "node %d burst", i);
}

/* Every field but path. */
static void assert_conf_eq(const struct pzd_config *a,
			   const struct pzd_config *b)
{
	ck_assert_str_eq(a->socket_path, b->socket_path);
	ck_assert_int_eq(a->log_level, b->log_level);
	ck_assert_str_eq(a->admin_group, b->admin_group);
	if (a->admin_group[0])
		ck_assert_uint_eq(a->admin_gid, b->admin_gid);
	ck_assert_uint_eq(a->interval_ms, b->interval_ms);
	ck_assert_double_eq(a->idle_min_pct, b->idle_min_pct);
	ck_assert_uint_eq(a->idle_after_ms, b->idle_after_ms);
	ck_assert_double_eq(a->psi_cpu_max, b->psi_cpu_max);
	ck_assert_double_eq(a->psi_memory_max, b->psi_memory_max);
	ck_assert_uint_eq(a->psi_trigger_ms, b->psi_trigger_ms);
	ck_assert_uint_eq(a->pressure_hold_ms, b->pressure_hold_ms);
	ck_assert_double_eq(a->min_free_pct, b->min_free_pct);
	ck_assert_int_eq(a->enabled, b->enabled);
	ck_assert_uint_eq(a->rate, b->rate);
	ck_assert_uint_eq(a->burst, b->burst);
	ck_assert_str_eq(a->pool_dir, b->pool_dir);
	ck_assert_uint_eq(a->pool_target, b->pool_target);
	ck_assert_uint_eq(a->pool_file_size, b->pool_file_size);
	ck_assert_uint_eq(a->pool_fill_rate, b->pool_fill_rate);
	ck_assert_double_eq(a->pool_reserve_pct, b->pool_reserve_pct);
	ck_assert_int_eq(a->pool_hugetlb_overcommit,
			 b->pool_hugetlb_overcommit);
	ck_assert_str_eq(a->pool_state_file, b->pool_state_file);
	ck_assert_int_eq(a->xen_enabled, b->xen_enabled);
	ck_assert_str_eq(a->xen_dir, b->xen_dir);
	ck_assert_uint_eq(a->xen_settle_s, b->xen_settle_s);
	ck_assert_uint_eq(a->xen_min_interval_s, b->xen_min_interval_s);
	ck_assert_uint_eq(a->xen_max_ranges, b->xen_max_ranges);
	ck_assert_int_eq(a->xen_hvm_scan, b->xen_hvm_scan);
	for (int i = 0; i < PZD_MAX_NODES; i++)
		assert_node_eq(&a->node[i], &b->node[i], i);
}

START_TEST(defaults)
{
	struct pzd_config *c = new_conf();

	pzd_config_defaults(c);
	ck_assert_str_eq(c->path, "");
	ck_assert_str_eq(c->socket_path, "/run/prezerod/prezerod.sock");
	ck_assert_int_eq(c->log_level, LOG_INFO);
	ck_assert_str_eq(c->admin_group, "");
	ck_assert_uint_eq(c->interval_ms, 250);
	ck_assert_double_eq(c->idle_min_pct, 90);
	ck_assert_uint_eq(c->idle_after_ms, 2000);
	ck_assert_double_eq(c->psi_cpu_max, 20);
	ck_assert_double_eq(c->psi_memory_max, 1);
	ck_assert_uint_eq(c->psi_trigger_ms, 100);
	ck_assert_uint_eq(c->pressure_hold_ms, 10000);
	ck_assert_double_eq(c->min_free_pct, 2);
	ck_assert(c->enabled);
	ck_assert_uint_eq(c->rate, 256 * MiB);
	ck_assert_uint_eq(c->burst, 0);
	ck_assert_str_eq(c->pool_dir, "/dev/hugepages/prezero");
	ck_assert_uint_eq(c->pool_target, 0);
	ck_assert_uint_eq(c->pool_file_size, GiB);
	ck_assert_uint_eq(c->pool_fill_rate, 256 * MiB);
	ck_assert_double_eq(c->pool_reserve_pct, 5);
	ck_assert(c->pool_hugetlb_overcommit);
	ck_assert_str_eq(c->pool_state_file, "/run/prezerod/pool.json");
	ck_assert_int_eq(c->xen_enabled, PZD_XEN_AUTO);
	ck_assert_str_eq(c->xen_dir, "/run/prezerod/xen");
	ck_assert_uint_eq(c->xen_settle_s, 5);
	ck_assert_uint_eq(c->xen_min_interval_s, 30);
	ck_assert_uint_eq(c->xen_max_ranges, 1048576);
	ck_assert_int_eq(c->xen_hvm_scan, PZD_XEN_HVM_SCAN_AUTO);
	for (int i = 0; i < PZD_MAX_NODES; i++) {
		ck_assert(!c->node[i].has_enabled && !c->node[i].has_rate &&
			  !c->node[i].has_burst && !c->node[i].has_pool_target);
		ck_assert_uint_eq(pzd_config_pool_target(c, (unsigned int)i), 0);
	}
	free(c);
}
END_TEST

/* An empty file, and one of comments only, are the defaults. */
START_TEST(empty_file)
{
	static const char *const texts[] = {
		"",
		"\n\n",
		"# comment\n; comment\n   # indented comment\n",
		"[daemon]\n[policy]\n[node 7]\n",
		"\xef\xbb\xbf[policy]\r\nenabled = yes\r\n",
	};
	struct pzd_config *c = new_conf(), *d = new_conf();
	char err[512];

	pzd_config_defaults(d);
	for (int i = 0; i < N(texts); i++) {
		ck_assert_msg(!load_text(texts[i], c, err, sizeof(err)),
			      "%d: %s", i, err);
		assert_conf_eq(c, d);
		ck_assert_str_eq(c->path, tmp_path);
	}
	free(c);
	free(d);
}
END_TEST

START_TEST(full_file)
{
	struct pzd_config *c = new_conf();
	char err[512];

	ck_assert_msg(!pzd_config_load(FULL_CONF, c, err, sizeof(err)), "%s",
		      err);
	ck_assert_str_eq(c->path, FULL_CONF);
	ck_assert_str_eq(c->socket_path, "/run/test/pz.sock");
	ck_assert_int_eq(c->log_level, LOG_DEBUG);
	ck_assert_str_eq(c->admin_group, "root");
	ck_assert_uint_eq(c->admin_gid, 0);
	ck_assert_uint_eq(c->interval_ms, 1000);
	ck_assert_double_eq(c->idle_min_pct, 75.5);
	ck_assert_uint_eq(c->idle_after_ms, 5000);
	ck_assert_double_eq(c->psi_cpu_max, 12.25);
	ck_assert_double_eq(c->psi_memory_max, 0.5);
	ck_assert_uint_eq(c->psi_trigger_ms, 0);
	ck_assert_uint_eq(c->pressure_hold_ms, 3600000);
	ck_assert_double_eq(c->min_free_pct, 100);
	ck_assert(!c->enabled);
	ck_assert_uint_eq(c->rate, GiB + GiB / 2);
	ck_assert_uint_eq(c->burst, 4 * GiB);
	ck_assert_str_eq(c->pool_dir, "/mnt/huge 1G/pool");
	ck_assert_uint_eq(c->pool_target, 8 * GiB);
	ck_assert_uint_eq(c->pool_file_size, 2 * GiB);
	ck_assert_uint_eq(c->pool_fill_rate, 100 * MiB);
	ck_assert_double_eq(c->pool_reserve_pct, 12.5);
	ck_assert(!c->pool_hugetlb_overcommit);
	ck_assert_str_eq(c->pool_state_file, "/var/lib/prezero/pool.json");
	ck_assert(c->node[3].has_pool_target && c->node[3].pool_target == 0);
	ck_assert_uint_eq(pzd_config_pool_target(c, 3), 0);
	ck_assert_uint_eq(pzd_config_pool_target(c, 0), 8 * GiB);

	ck_assert(c->node[0].has_enabled && c->node[0].enabled);
	ck_assert(!c->node[0].has_rate && !c->node[0].has_burst);
	ck_assert(!c->node[3].has_enabled);
	ck_assert(c->node[3].has_rate && c->node[3].rate == 0);
	ck_assert(c->node[3].has_burst && c->node[3].burst == 64 * MiB);
	ck_assert(c->node[255].has_rate && c->node[255].rate == TiB);
	ck_assert(!c->node[255].has_enabled && !c->node[255].has_burst);
	for (int i = 0; i < PZD_MAX_NODES; i++) {
		if (i == 0 || i == 3 || i == 255)
			continue;
		ck_assert_msg(!c->node[i].has_enabled && !c->node[i].has_rate &&
			      !c->node[i].has_burst, "node %d", i);
	}
	free(c);
}
END_TEST

/* Values that are accepted, at the edges of their ranges. */
enum vtype { V_UINT, V_PCT, V_BOOL, V_SIZE, V_LEVEL, V_STR };

static const struct {
	const char *section, *key, *value;
	enum vtype type;
	size_t off;
	double want;		/* V_STR: unused, the value itself */
} good[] = {
#define F(f) offsetof(struct pzd_config, f)
	{ "daemon", "socket", "/x", V_STR, F(socket_path), 0 },
	{ "daemon", "socket", "/run/a b", V_STR, F(socket_path), 0 },
	{ "daemon", "socket", "/0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345",
	  V_STR, F(socket_path), 0 },	/* 107 characters */
	{ "daemon", "log_level", "err", V_LEVEL, F(log_level), LOG_ERR },
	{ "daemon", "log_level", "warning", V_LEVEL, F(log_level), LOG_WARNING },
	{ "daemon", "log_level", "notice", V_LEVEL, F(log_level), LOG_NOTICE },
	{ "daemon", "log_level", "Info", V_LEVEL, F(log_level), LOG_INFO },
	{ "daemon", "log_level", "debug", V_LEVEL, F(log_level), LOG_DEBUG },
	{ "daemon", "admin_group", "", V_STR, F(admin_group), 0 },
	{ "daemon", "admin_group", "root", V_STR, F(admin_group), 0 },
	{ "daemon", "interval_ms", "100", V_UINT, F(interval_ms), 100 },
	{ "daemon", "interval_ms", "10000", V_UINT, F(interval_ms), 10000 },
	{ "daemon", "interval_ms", "0500", V_UINT, F(interval_ms), 500 },
	{ "policy", "idle_min_pct", "0", V_PCT, F(idle_min_pct), 0 },
	{ "policy", "idle_min_pct", "100", V_PCT, F(idle_min_pct), 100 },
	{ "policy", "idle_min_pct", "100.0", V_PCT, F(idle_min_pct), 100 },
	{ "policy", "idle_min_pct", "99.99", V_PCT, F(idle_min_pct), 99.99 },
	{ "policy", "idle_after_ms", "0", V_UINT, F(idle_after_ms), 0 },
	{ "policy", "idle_after_ms", "600000", V_UINT, F(idle_after_ms), 600000 },
	{ "policy", "psi_cpu_max", "0.1", V_PCT, F(psi_cpu_max), 0.1 },
	{ "policy", "psi_cpu_max", "100", V_PCT, F(psi_cpu_max), 100 },
	{ "policy", "psi_memory_max", "0", V_PCT, F(psi_memory_max), 0 },
	{ "policy", "psi_memory_max", "55", V_PCT, F(psi_memory_max), 55 },
	{ "policy", "psi_trigger_ms", "0", V_UINT, F(psi_trigger_ms), 0 },
	{ "policy", "psi_trigger_ms", "1", V_UINT, F(psi_trigger_ms), 1 },
	{ "policy", "psi_trigger_ms", "1000", V_UINT, F(psi_trigger_ms), 1000 },
	{ "policy", "pressure_hold_ms", "0", V_UINT, F(pressure_hold_ms), 0 },
	{ "policy", "pressure_hold_ms", "3600000", V_UINT, F(pressure_hold_ms),
	  3600000 },
	{ "policy", "min_free_pct", "0", V_PCT, F(min_free_pct), 0 },
	{ "policy", "min_free_pct", "7.5", V_PCT, F(min_free_pct), 7.5 },
	{ "policy", "enabled", "yes", V_BOOL, F(enabled), 1 },
	{ "policy", "enabled", "TRUE", V_BOOL, F(enabled), 1 },
	{ "policy", "enabled", "on", V_BOOL, F(enabled), 1 },
	{ "policy", "enabled", "1", V_BOOL, F(enabled), 1 },
	{ "policy", "enabled", "no", V_BOOL, F(enabled), 0 },
	{ "policy", "enabled", "False", V_BOOL, F(enabled), 0 },
	{ "policy", "enabled", "OFF", V_BOOL, F(enabled), 0 },
	{ "policy", "enabled", "0", V_BOOL, F(enabled), 0 },
	{ "policy", "rate", "0", V_SIZE, F(rate), 0 },
	{ "policy", "rate", "4096", V_SIZE, F(rate), 4096 },
	{ "policy", "rate", "512K", V_SIZE, F(rate), 512 * 1024 },
	{ "policy", "rate", "1T", V_SIZE, F(rate), (double)TiB },
	{ "policy", "burst", "1TiB", V_SIZE, F(burst), (double)TiB },
	{ "policy", "burst", "1.5M", V_SIZE, F(burst), (double)(MiB + MiB / 2) },
	{ "pool", "dir", "/", V_STR, F(pool_dir), 0 },
	{ "pool", "dir", "/dev/hugepages/prezero", V_STR, F(pool_dir), 0 },
	{ "pool", "target", "0", V_SIZE, F(pool_target), 0 },
	{ "pool", "target", "64G", V_SIZE, F(pool_target), (double)(64 * GiB) },
	{ "pool", "file_size", "2M", V_SIZE, F(pool_file_size), (double)(2 * MiB) },
	{ "pool", "fill_rate", "1G", V_SIZE, F(pool_fill_rate), (double)GiB },
	{ "pool", "reserve_pct", "0", V_PCT, F(pool_reserve_pct), 0 },
	{ "pool", "hugetlb_overcommit", "no", V_BOOL, F(pool_hugetlb_overcommit), 0 },
	{ "pool", "state_file", "/run/x.json", V_STR, F(pool_state_file), 0 },
	/* [xen] enabled is an int: V_LEVEL compares ints */
	{ "xen", "enabled", "auto", V_LEVEL, F(xen_enabled), PZD_XEN_AUTO },
	{ "xen", "enabled", "AUTO", V_LEVEL, F(xen_enabled), PZD_XEN_AUTO },
	{ "xen", "enabled", "yes", V_LEVEL, F(xen_enabled), PZD_XEN_YES },
	{ "xen", "enabled", "on", V_LEVEL, F(xen_enabled), PZD_XEN_YES },
	{ "xen", "enabled", "1", V_LEVEL, F(xen_enabled), PZD_XEN_YES },
	{ "xen", "enabled", "no", V_LEVEL, F(xen_enabled), PZD_XEN_NO },
	{ "xen", "enabled", "False", V_LEVEL, F(xen_enabled), PZD_XEN_NO },
	{ "xen", "dir", "/var/lib/prezero/xen", V_STR, F(xen_dir), 0 },
	{ "xen", "settle_s", "0", V_UINT, F(xen_settle_s), 0 },
	{ "xen", "settle_s", "3600", V_UINT, F(xen_settle_s), 3600 },
	{ "xen", "min_interval_s", "0", V_UINT, F(xen_min_interval_s), 0 },
	{ "xen", "min_interval_s", "86400", V_UINT, F(xen_min_interval_s),
	  86400 },
	{ "xen", "max_ranges", "1", V_UINT, F(xen_max_ranges), 1 },
	{ "xen", "max_ranges", "16777216", V_UINT, F(xen_max_ranges),
	  16777216 },
	{ "xen", "hvm_scan", "query", V_LEVEL, F(xen_hvm_scan),
	  PZD_XEN_HVM_SCAN_QUERY },
	{ "xen", "hvm_scan", "Query", V_LEVEL, F(xen_hvm_scan),
	  PZD_XEN_HVM_SCAN_QUERY },
	{ "xen", "hvm_scan", "auto", V_LEVEL, F(xen_hvm_scan),
	  PZD_XEN_HVM_SCAN_AUTO },
#undef F
};

START_TEST(good_values)
{
	struct pzd_config *c = new_conf(), *d = new_conf();
	const char *p;
	char text[512], err[512];

	snprintf(text, sizeof(text), "[%s]\n%s = %s\n", good[_i].section,
		 good[_i].key, good[_i].value);
	ck_assert_msg(!load_text(text, c, err, sizeof(err)), "%s", err);
	p = (const char *)c + good[_i].off;
	switch (good[_i].type) {
	case V_UINT: {
		unsigned int v;

		memcpy(&v, p, sizeof(v));
		ck_assert_uint_eq(v, good[_i].want);
		break;
	}
	case V_PCT: {
		double v;

		memcpy(&v, p, sizeof(v));
		ck_assert_double_eq(v, good[_i].want);
		break;
	}
	case V_BOOL: {
		bool v;

		memcpy(&v, p, sizeof(v));
		ck_assert_int_eq(v, good[_i].want);
		break;
	}
	case V_SIZE: {
		uint64_t v;

		memcpy(&v, p, sizeof(v));
		ck_assert_uint_eq(v, (uint64_t)good[_i].want);
		break;
	}
	case V_LEVEL: {
		int v;

		memcpy(&v, p, sizeof(v));
		ck_assert_int_eq(v, good[_i].want);
		break;
	}
	case V_STR:
		ck_assert_str_eq(p, good[_i].value);
		break;
	}
	/* Nothing else moved from the defaults. */
	pzd_config_defaults(d);
	memcpy((char *)d + good[_i].off, p,
	       good[_i].type == V_STR ? strlen(p) + 1 :
	       good[_i].type == V_UINT ? sizeof(unsigned int) :
	       good[_i].type == V_PCT ? sizeof(double) :
	       good[_i].type == V_BOOL ? sizeof(bool) :
	       good[_i].type == V_SIZE ? sizeof(uint64_t) : sizeof(int));
	d->admin_gid = c->admin_gid;
	assert_conf_eq(c, d);
	free(c);
	free(d);
}
END_TEST

/* Bad values: the whole message after "PATH:" for "[section]\nkey = value". */
static const struct {
	const char *section, *key, *value, *reason;
} bad[] = {
	{ "daemon", "socket", "", "2: socket: \"\" is not an absolute path" },
	{ "daemon", "socket", "run/x", "2: socket: \"run/x\" is not an absolute path" },
	{ "daemon", "socket", "\"/run/x\"", "2: socket: \"\"/run/x\"\" is not an absolute path" },
	{ "daemon", "socket", "/01234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456",
	  "2: socket: path longer than 107 characters" },
	{ "daemon", "log_level", "", "2: log_level: \"\" is not one of err, warning, notice, info, debug" },
	{ "daemon", "log_level", "loud", "2: log_level: \"loud\" is not one of err, warning, notice, info, debug" },
	{ "daemon", "log_level", "6", "2: log_level: \"6\" is not one of err, warning, notice, info, debug" },
	{ "daemon", "admin_group", "no-such-group-pz", "2: admin_group: unknown group \"no-such-group-pz\"" },
	{ "daemon", "admin_group", "4294967295", "2: admin_group: unknown group \"4294967295\"" },
	{ "daemon", "admin_group", "-1", "2: admin_group: unknown group \"-1\"" },
	{ "daemon", "admin_group", "0123456789012345678901234567890123456789012345678901234567890123",
	  "2: admin_group: \"0123456789012345678901234567890123456789012345678901234567890123\" is longer than 63 characters" },
	{ "daemon", "interval_ms", "99", "2: interval_ms: \"99\" is out of range 100-10000" },
	{ "daemon", "interval_ms", "10001", "2: interval_ms: \"10001\" is out of range 100-10000" },
	{ "daemon", "interval_ms", "0", "2: interval_ms: \"0\" is out of range 100-10000" },
	{ "daemon", "interval_ms", "99999999999999999999999", "2: interval_ms: \"99999999999999999999999\" is out of range 100-10000" },
	{ "daemon", "interval_ms", "-250", "2: interval_ms: \"-250\" is not a whole number 100-10000" },
	{ "daemon", "interval_ms", "+250", "2: interval_ms: \"+250\" is not a whole number 100-10000" },
	{ "daemon", "interval_ms", "250ms", "2: interval_ms: \"250ms\" is not a whole number 100-10000" },
	{ "daemon", "interval_ms", "250.0", "2: interval_ms: \"250.0\" is not a whole number 100-10000" },
	{ "daemon", "interval_ms", "0x100", "2: interval_ms: \"0x100\" is not a whole number 100-10000" },
	{ "daemon", "interval_ms", "", "2: interval_ms: \"\" is not a whole number 100-10000" },
	{ "daemon", "interval_ms", "250 # ms", "2: interval_ms: \"250 # ms\" is not a whole number 100-10000 (comments start with \";\")" },
	{ "daemon", "interval_ms", "250;x", "2: interval_ms: \"250;x\" is not a whole number 100-10000" },
	{ "policy", "idle_min_pct", "120", "2: idle_min_pct: \"120\" is not a percentage 0-100" },
	{ "policy", "idle_min_pct", "100.01", "2: idle_min_pct: \"100.01\" is not a percentage 0-100" },
	{ "policy", "idle_min_pct", "-1", "2: idle_min_pct: \"-1\" is not a percentage 0-100" },
	{ "policy", "idle_min_pct", "90%", "2: idle_min_pct: \"90%\" is not a percentage 0-100" },
	{ "policy", "idle_min_pct", "1e2", "2: idle_min_pct: \"1e2\" is not a percentage 0-100" },
	{ "policy", "idle_min_pct", "nan", "2: idle_min_pct: \"nan\" is not a percentage 0-100" },
	{ "policy", "idle_min_pct", "inf", "2: idle_min_pct: \"inf\" is not a percentage 0-100" },
	{ "policy", "idle_min_pct", "0x10", "2: idle_min_pct: \"0x10\" is not a percentage 0-100" },
	{ "policy", "idle_min_pct", ".5", "2: idle_min_pct: \".5\" is not a percentage 0-100" },
	{ "policy", "idle_min_pct", "5.", "2: idle_min_pct: \"5.\" is not a percentage 0-100" },
	{ "policy", "idle_min_pct", "", "2: idle_min_pct: \"\" is not a percentage 0-100" },
	{ "policy", "idle_after_ms", "600001", "2: idle_after_ms: \"600001\" is out of range 0-600000" },
	{ "xen", "enabled", "maybe", "2: enabled: \"maybe\" is not auto or a boolean (yes/no, true/false, on/off, 1/0)" },
	{ "xen", "enabled", "", "2: enabled: \"\" is not auto or a boolean (yes/no, true/false, on/off, 1/0)" },
	{ "xen", "dir", "run/xen", "2: dir: \"run/xen\" is not an absolute path" },
	{ "xen", "settle_s", "3601", "2: settle_s: \"3601\" is out of range 0-3600" },
	{ "xen", "settle_s", "-1", "2: settle_s: \"-1\" is not a whole number 0-3600" },
	{ "xen", "min_interval_s", "86401", "2: min_interval_s: \"86401\" is out of range 0-86400" },
	{ "xen", "max_ranges", "0", "2: max_ranges: \"0\" is out of range 1-16777216" },
	{ "xen", "max_ranges", "16777217", "2: max_ranges: \"16777217\" is out of range 1-16777216" },
	{ "xen", "scan", "yes", "2: unknown key \"scan\" in [xen]" },
	{ "xen", "hvm_scan", "map", "2: hvm_scan: \"map\" is not auto or query" },
	{ "xen", "hvm_scan", "", "2: hvm_scan: \"\" is not auto or query" },
	{ "policy", "idle_after_ms", "2s", "2: idle_after_ms: \"2s\" is not a whole number 0-600000" },
	{ "policy", "psi_cpu_max", "101", "2: psi_cpu_max: \"101\" is not a percentage 0-100" },
	{ "policy", "psi_memory_max", "1000", "2: psi_memory_max: \"1000\" is not a percentage 0-100" },
	{ "policy", "psi_memory_max", "one", "2: psi_memory_max: \"one\" is not a percentage 0-100" },
	{ "policy", "psi_trigger_ms", "1001", "2: psi_trigger_ms: \"1001\" is out of range 0-1000" },
	{ "policy", "psi_trigger_ms", "off", "2: psi_trigger_ms: \"off\" is not a whole number 0-1000" },
	{ "policy", "pressure_hold_ms", "3600001", "2: pressure_hold_ms: \"3600001\" is out of range 0-3600000" },
	{ "policy", "pressure_hold_ms", "4294967296", "2: pressure_hold_ms: \"4294967296\" is out of range 0-3600000" },
	{ "policy", "min_free_pct", "100.5", "2: min_free_pct: \"100.5\" is not a percentage 0-100" },
	{ "policy", "enabled", "", "2: enabled: \"\" is not a boolean (yes/no, true/false, on/off, 1/0)" },
	{ "policy", "enabled", "y", "2: enabled: \"y\" is not a boolean (yes/no, true/false, on/off, 1/0)" },
	{ "policy", "enabled", "2", "2: enabled: \"2\" is not a boolean (yes/no, true/false, on/off, 1/0)" },
	{ "policy", "enabled", "yes please", "2: enabled: \"yes please\" is not a boolean (yes/no, true/false, on/off, 1/0)" },
	{ "policy", "rate", "", "2: rate: \"\" is not a size (empty size)" },
	{ "policy", "rate", "-1", "2: rate: \"-1\" is not a size (negative size)" },
	{ "policy", "rate", "fast", "2: rate: \"fast\" is not a size (not a number)" },
	{ "policy", "rate", "1GB", "2: rate: \"1GB\" is not a size (ambiguous unit: units are binary, write K or KiB, M or MiB, ...)" },
	{ "policy", "rate", "1.5", "2: rate: \"1.5\" is not a size (not a whole number of bytes)" },
	{ "policy", "rate", "1G # comment", "2: rate: \"1G # comment\" is not a size (unknown unit (use B, K, M, G, T or KiB, MiB, ...)); comments start with \";\"" },
	{ "policy", "rate", "1T1", "2: rate: \"1T1\" is not a size (unknown unit (use B, K, M, G, T or KiB, MiB, ...))" },
	{ "policy", "rate", "1099511627777", "2: rate: \"1099511627777\" is larger than 1 TiB" },
	{ "policy", "rate", "2T", "2: rate: \"2T\" is larger than 1 TiB" },
	{ "policy", "burst", "1P", "2: burst: \"1P\" is larger than 1 TiB" },
	{ "policy", "burst", "16E", "2: burst: \"16E\" is larger than 1 TiB" },
	{ "node 1", "enabled", "maybe", "2: enabled: \"maybe\" is not a boolean (yes/no, true/false, on/off, 1/0)" },
	{ "node 1", "rate", "1.1T", "2: rate: \"1.1T\" is larger than 1 TiB" },
	{ "node 1", "burst", "x", "2: burst: \"x\" is not a size (not a number)" },
	/* long values are cut in the message */
	{ "policy", "rate", "123456789012345678901234567890123456789012345678901234567890123456789",
	  "2: rate: \"1234567890123456789012345678901234567890123456789012345678901234...\" is larger than 1 TiB" },
};

START_TEST(bad_values)
{
	char text[512];

	snprintf(text, sizeof(text), "[%s]\n%s = %s\n", bad[_i].section,
		 bad[_i].key, bad[_i].value);
	expect_error(text, bad[_i].reason);
}
END_TEST

/* Sections, keys and syntax: whole files and their whole messages. */
static const struct {
	const char *text, *reason;
} bad_files[] = {
	{ "[policy]\nidel_min_pct = 90\n", "2: unknown key \"idel_min_pct\" in [policy]" },
	{ "[policy]\nRate = 1G\n", "2: unknown key \"Rate\" in [policy]" },
	{ "[daemon]\nrate = 1G\n", "2: unknown key \"rate\" in [daemon]" },
	{ "[policy]\nsocket = /x\n", "2: unknown key \"socket\" in [policy]" },
	{ "[node 2]\nidle_min_pct = 5\n", "2: unknown key \"idle_min_pct\" in [node 2] (only enabled, rate, burst, pool_target)" },
	{ "rate = 1G\n", "1: key \"rate\" before any [section]" },
	{ "[policy]\n= 5\n", "2: unknown key \"\" in [policy]" },
	{ "[Policy]\n", "1: unknown section [Policy]" },
	{ "[]\n", "1: unknown section []" },
	{ "[ policy ]\n", "1: unknown section [ policy ]" },
	{ "[policy]\nrate = 1G\n\n# empty unknown section\n[nodes 1]\n",
	  "5: unknown section [nodes 1]" },
	{ "[node]\n", "1: unknown section [node]" },
	{ "\xef\xbb\xbf[nodes 1]\n", "1: unknown section [nodes 1]" },	/* BOM */
	{ "[node 01]\n", "1: [node 01]: node must be a number 0-255 without leading zeros" },
	{ "[node x]\n", "1: [node x]: node must be a number 0-255 without leading zeros" },
	{ "[node -1]\n", "1: [node -1]: node must be a number 0-255 without leading zeros" },
	{ "[node +1]\n", "1: [node +1]: node must be a number 0-255 without leading zeros" },
	{ "[node 1 ]\n", "1: [node 1 ]: node must be a number 0-255 without leading zeros" },
	{ "[node  1]\n", "1: [node  1]: node must be a number 0-255 without leading zeros" },
	{ "[node 1x]\n", "1: [node 1x]: node must be a number 0-255 without leading zeros" },
	{ "[node ]\n", "1: [node ]: node must be a number 0-255 without leading zeros" },
	{ "[node 256]\n", "1: [node 256]: node must be 0-255" },
	{ "[node 99999999999999999999]\n", "1: [node 99999999999999999999]: node must be 0-255" },
	{ "[node1]\n", "1: unknown section [node1]" },
	{ "[Node 1]\n", "1: unknown section [Node 1]" },
	{ "[policy] junk\n", "1: text after \"[policy]\" (comments start with \";\" after a space)" },
	{ "[policy]; comment\n", "1: text after \"[policy]\" (comments start with \";\" after a space)" },
	{ "[policy] # comment\n", "1: text after \"[policy]\" (comments start with \";\" after a space)" },
	{ "[policy\nrate = 1G\n", "1: syntax error: \"[\" without \"]\"" },
	{ "[policy]\nenabled\n", "2: syntax error (not \"key = value\" or \"[section]\")" },
	{ "[policy]\nrate 1G\n", "2: syntax error (not \"key = value\" or \"[section]\")" },
	/* inih's syntax error comes first when it is on an earlier line */
	{ "[policy]\nrate 1G\nburst = x\n", "2: syntax error (not \"key = value\" or \"[section]\")" },
	{ "[policy]\nburst = x\nrate 1G\n", "2: burst: \"x\" is not a size (not a number)" },
	/* duplicates */
	{ "[policy]\nrate = 1G\nrate = 1G\n", "3: rate: set twice in [policy] (first on line 2)" },
	{ "[policy]\nrate = 1G\n[daemon]\n[policy]\n\nrate = 2G\n", "6: rate: set twice in [policy] (first on line 2)" },
	{ "[daemon]\nlog_level = info\nlog_level = debug\n", "3: log_level: set twice in [daemon] (first on line 2)" },
	{ "[node 4]\nburst = 1G\n[node 4]\nburst = 1G\n", "4: burst: set twice in [node 4] (first on line 2)" },
	/* one error is enough: the first bad line is reported */
	{ "[policy]\nrate = x\nburst = y\n", "2: rate: \"x\" is not a size (not a number)" },
	/* indented lines are keys, not continuations of the previous value */
	{ "[policy]\nenabled = yes\n  enabled = no\n", "3: enabled: set twice in [policy] (first on line 2)" },
	{ "[policy]\nrate = 1G\n\n\n\n\n# comment\n; comment\n  bogus = 1\n", "9: unknown key \"bogus\" in [policy]" },
};

START_TEST(bad_file)
{
	expect_error(bad_files[_i].text, bad_files[_i].reason);
}
END_TEST

START_TEST(error_line_number)
{
	/* The example of prezerod.conf(5): the bad line is the 7th. */
	expect_error("# prezerod.conf\n"
		     "\n"
		     "[daemon]\n"
		     "log_level = debug\n"
		     "\n"
		     "[policy]\n"
		     "idle_min_pct = 120\n"
		     "rate = 1G\n",
		     "7: idle_min_pct: \"120\" is not a percentage 0-100");
	/* CRLF line ends count as one line each. */
	expect_error("[policy]\r\n\r\nrate = 1G\r\nburst = q\r\n",
		     "4: burst: \"q\" is not a size (not a number)");
	/* The last line needs no newline. */
	expect_error("[policy]\nrate = 1G\nburst = q",
		     "3: burst: \"q\" is not a size (not a number)");
}
END_TEST

START_TEST(syntax)
{
	struct pzd_config *c = new_conf();
	char err[512];

	/* ':' separates too; inline ';' comments after a space; indentation. */
	ck_assert_msg(!load_text("[policy] ; comment\n"
				 "  rate: 1G ; one gigabyte\n"
				 "\tburst=2G\n"
				 "  [node 1]   \n"
				 "enabled = no ;\n", c, err, sizeof(err)), "%s", err);
	ck_assert_uint_eq(c->rate, GiB);
	ck_assert_uint_eq(c->burst, 2 * GiB);
	ck_assert(c->node[1].has_enabled && !c->node[1].enabled);
	free(c);
}
END_TEST

START_TEST(inline_semicolon)
{
	/* ';' right after a value is part of it */
	expect_error("[node 1]\nenabled = no;\n",
		     "2: enabled: \"no;\" is not a boolean (yes/no, true/false, on/off, 1/0)");
}
END_TEST

START_TEST(long_lines)
{
	struct pzd_config *c = new_conf();
	char text[4096], err[512];
	int n;

	/* 198 characters is the longest key line (inih's 200 bytes) */
	n = snprintf(text, sizeof(text), "[daemon]\nsocket = /%0188d\n", 0);
	ck_assert_int_eq(n, 9 + 198 + 1);
	ck_assert_int_eq(load_text(text, c, err, sizeof(err)), -1);
	/* well, too long for a socket, but it got to the value check */
	ck_assert_ptr_nonnull(strstr(err, ":2: socket: path longer than 107"));
	snprintf(text, sizeof(text), "[daemon]\nsocket = /%0189d\n", 0);
	expect_error(text, "2: line longer than 198 characters");
	/* leading whitespace does not count */
	snprintf(text, sizeof(text), "[policy]\n%80sburst = 1%0188d\n", "", 0);
	expect_error(text, "2: burst: \"1000000000000000000000000000000000000000000000000000000000000000...\" is larger than 1 TiB");
	/* comment lines may be longer */
	memset(text, '#', 3000);
	strcpy(text + 3000, "\n[policy]\nrate = 7M\n");
	ck_assert_msg(!load_text(text, c, err, sizeof(err)), "%s", err);
	ck_assert_uint_eq(c->rate, 7 * MiB);
	free(c);
}
END_TEST

START_TEST(nul_byte)
{
	static const char text[] = "[policy]\nrate = 1G\0\nburst = 1G\n";

	write_tmp_len(text, sizeof(text) - 1);
	{
		struct pzd_config *c = new_conf();
		char err[512], want[512];

		ck_assert_int_eq(pzd_config_load(tmp_path, c, err, sizeof(err)),
				 -1);
		snprintf(want, sizeof(want), "%s:2: NUL byte in line", tmp_path);
		ck_assert_str_eq(err, want);
		free(c);
	}
	drop_tmp();
}
END_TEST

START_TEST(nodes)
{
	struct pzd_config *c = new_conf();
	char err[512];

	ck_assert_msg(!load_text("[node 0]\nenabled = no\n"
				 "[node 9]\nburst = 1M\n"
				 "[node 200]\nrate = 0\n"
				 "[node 9]\nrate = 3M\n"
				 "[node 255]\nenabled = true\nrate = 1K\nburst = 2K\n"
				 "[node 12]\n",
				 c, err, sizeof(err)), "%s", err);
	ck_assert(c->node[0].has_enabled && !c->node[0].enabled);
	ck_assert(!c->node[0].has_rate && !c->node[0].has_burst);
	ck_assert(c->node[9].has_burst && c->node[9].burst == MiB);
	ck_assert(c->node[9].has_rate && c->node[9].rate == 3 * MiB);
	ck_assert(!c->node[9].has_enabled);
	ck_assert(c->node[200].has_rate && c->node[200].rate == 0);
	ck_assert(c->node[255].has_enabled && c->node[255].enabled);
	ck_assert(c->node[255].rate == 1024 && c->node[255].burst == 2048);
	ck_assert(!c->node[12].has_enabled && !c->node[12].has_rate &&
		  !c->node[12].has_burst);
	/* the [policy] values are untouched */
	ck_assert(c->enabled);
	ck_assert_uint_eq(c->rate, 256 * MiB);
	free(c);
}
END_TEST

START_TEST(admin_group)
{
	struct pzd_config *c = new_conf();
	char err[512];

	ck_assert_msg(!load_text("[daemon]\nadmin_group = root\n", c, err,
				 sizeof(err)), "%s", err);
	ck_assert_uint_eq(c->admin_gid, 0);
	/* a gid without a name is taken as it is */
	ck_assert_msg(!load_text("[daemon]\nadmin_group = 3999999\n", c, err,
				 sizeof(err)), "%s", err);
	ck_assert_str_eq(c->admin_group, "3999999");
	ck_assert_uint_eq(c->admin_gid, 3999999);
	ck_assert_msg(!load_text("[daemon]\nadmin_group =\n", c, err,
				 sizeof(err)), "%s", err);
	ck_assert_str_eq(c->admin_group, "");
	free(c);
}
END_TEST

START_TEST(missing_file)
{
	struct pzd_config *c = new_conf();
	char err[512];

	ck_assert_int_eq(pzd_config_load(PZ_TEST_DATA "/config/no-such.conf",
					 c, err, sizeof(err)), -1);
	ck_assert_str_eq(err, PZ_TEST_DATA
			 "/config/no-such.conf: No such file or directory");
	free(c);
}
END_TEST

START_TEST(not_a_file)
{
	struct pzd_config *c = new_conf();
	char err[512], want[600], dir[64];

	ck_assert_int_eq(pzd_config_load(PZ_TEST_DATA "/config", c, err,
					 sizeof(err)), -1);
	ck_assert_str_eq(err, PZ_TEST_DATA "/config: Is a directory");

	/* A FIFO: refused at once, not waited on. */
	snprintf(dir, sizeof(dir), "/tmp/pzconf-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(want, sizeof(want), "%s/fifo", dir);
	ck_assert_int_eq(mkfifo(want, 0600), 0);
	ck_assert_int_eq(pzd_config_load(want, c, err, sizeof(err)), -1);
	strcat(want, ": not a regular file");
	ck_assert_str_eq(err, want);
	want[strlen(dir) + 5] = '\0';
	unlink(want);
	rmdir(dir);

	ck_assert_int_eq(pzd_config_load("/dev/null", c, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "/dev/null: not a regular file");
	free(c);
}
END_TEST

START_TEST(size_limit)
{
	const size_t max = 1024 * 1024;
	struct pzd_config *c = new_conf();
	char *text = malloc(max + 2), err[512], want[512];

	ck_assert_ptr_nonnull(text);
	/* exactly 1 MiB: comment lines, then a key on the last line */
	memset(text, '#', max);
	for (size_t i = 100; i < max; i += 100)
		text[i] = '\n';
	memcpy(text + max - 20, "\n[policy]\nrate = 3M\n", 20);
	write_tmp_len(text, max);
	ck_assert_msg(!pzd_config_load(tmp_path, c, err, sizeof(err)), "%s",
		      err);
	ck_assert_uint_eq(c->rate, 3 * MiB);
	drop_tmp();
	/* one byte more */
	text[max] = '\n';
	write_tmp_len(text, max + 1);
	ck_assert_int_eq(pzd_config_load(tmp_path, c, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: larger than 1048576 bytes (1 MiB)",
		 tmp_path);
	ck_assert_str_eq(err, want);
	drop_tmp();
	free(text);
	free(c);
}
END_TEST

/* A failed load leaves the caller's config as it was. */
START_TEST(error_changes_nothing)
{
	struct pzd_config *c = new_conf(), *copy = new_conf();
	char err[512];

	ck_assert(!pzd_config_load(FULL_CONF, c, err, sizeof(err)));
	memcpy(copy, c, sizeof(*c));
	ck_assert_int_eq(load_text("[policy]\nrate = 5M\n[node 3]\nrate = 9M\n"
				   "burst = 1P\n", c, err, sizeof(err)), -1);
	ck_assert(!memcmp(c, copy, sizeof(*c)));
	ck_assert_int_eq(pzd_config_load("/nonexistent/x.conf", c, err,
					 sizeof(err)), -1);
	ck_assert(!memcmp(c, copy, sizeof(*c)));
	/* a short or missing error buffer is fine */
	ck_assert_int_eq(load_text("[x]\n", c, err, 8), -1);
	ck_assert_uint_eq(strlen(err), 7);
	ck_assert_int_eq(load_text("[x]\n", c, NULL, 0), -1);
	ck_assert(!memcmp(c, copy, sizeof(*c)));
	free(copy);
	free(c);
}
END_TEST

static const struct {
	uint64_t rate, burst, want;
} bursts[] = {
	{ 0, 0, 0 },
	{ 0, 5, 5 },
	{ 100 * MiB, 5, 5 },
	{ 1, 0, 64 * MiB },
	{ 32 * MiB, 0, 64 * MiB },
	{ 32 * MiB + 1, 0, 64 * MiB + 2 },
	{ 256 * MiB, 0, 512 * MiB },
	{ TiB / 2, 0, TiB },
	{ TiB / 2 + 1, 0, TiB },
	{ TiB, 0, TiB },
	{ TiB, TiB, TiB },
	{ UINT64_MAX, 0, TiB },
};

START_TEST(default_burst)
{
	ck_assert_uint_eq(pzd_default_burst(bursts[_i].rate, bursts[_i].burst),
			  bursts[_i].want);
}
END_TEST

START_TEST(node_cap)
{
	struct pzd_config *c = new_conf();
	uint64_t rate, burst;
	bool enabled;
	char err[512];

	ck_assert_msg(!load_text("[policy]\nrate = 100M\nenabled = yes\n"
				 "[node 1]\nrate = 1G\n"
				 "[node 2]\nburst = 10M\n"
				 "[node 3]\nenabled = no\n"
				 "[node 4]\nrate = 0\n"
				 "[node 5]\nrate = 0\nburst = 8M\n"
				 "[node 6]\nrate = 8M\nburst = 0\n",
				 c, err, sizeof(err)), "%s", err);
	pzd_config_node_cap(c, 0, &enabled, &rate, &burst);
	ck_assert(enabled);
	ck_assert_uint_eq(rate, 100 * MiB);
	ck_assert_uint_eq(burst, 200 * MiB);
	pzd_config_node_cap(c, 1, &enabled, &rate, &burst);
	ck_assert(enabled);
	ck_assert_uint_eq(rate, GiB);
	ck_assert_uint_eq(burst, 2 * GiB);
	pzd_config_node_cap(c, 2, &enabled, &rate, &burst);
	ck_assert_uint_eq(rate, 100 * MiB);
	ck_assert_uint_eq(burst, 10 * MiB);
	pzd_config_node_cap(c, 3, &enabled, &rate, &burst);
	ck_assert(!enabled);
	ck_assert_uint_eq(rate, 100 * MiB);
	pzd_config_node_cap(c, 4, &enabled, &rate, &burst);
	ck_assert_uint_eq(rate, 0);
	ck_assert_uint_eq(burst, 0);
	pzd_config_node_cap(c, 5, &enabled, &rate, &burst);
	ck_assert_uint_eq(rate, 0);
	ck_assert_uint_eq(burst, 8 * MiB);
	pzd_config_node_cap(c, 6, &enabled, &rate, &burst);
	ck_assert_uint_eq(rate, 8 * MiB);
	ck_assert_uint_eq(burst, 64 * MiB);
	/* no such node: the [policy] cap */
	pzd_config_node_cap(c, PZD_MAX_NODES, &enabled, &rate, &burst);
	ck_assert(enabled);
	ck_assert_uint_eq(rate, 100 * MiB);
	ck_assert_uint_eq(burst, 200 * MiB);

	/* [policy] burst applies to nodes that set only a rate */
	ck_assert(!load_text("[policy]\nburst = 1G\nenabled = no\n"
			     "[node 1]\nrate = 1M\n", c, err, sizeof(err)));
	pzd_config_node_cap(c, 1, &enabled, &rate, &burst);
	ck_assert(!enabled);
	ck_assert_uint_eq(rate, MiB);
	ck_assert_uint_eq(burst, GiB);
	free(c);
}
END_TEST

static struct json_object *member(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	ck_assert_msg(json_object_object_get_ex(o, key, &v), "no \"%s\"", key);
	return v;
}

static uint64_t get_u64(struct json_object *o, const char *key)
{
	struct json_object *v = member(o, key);

	ck_assert(json_object_is_type(v, json_type_int));
	return (uint64_t)json_object_get_int64(v);
}

static double get_dbl(struct json_object *o, const char *key)
{
	struct json_object *v = member(o, key);

	ck_assert(json_object_is_type(v, json_type_double) ||
		  json_object_is_type(v, json_type_int));
	return json_object_get_double(v);
}

static bool get_bool(struct json_object *o, const char *key)
{
	struct json_object *v = member(o, key);

	ck_assert(json_object_is_type(v, json_type_boolean));
	return json_object_get_boolean(v);
}

static const char *get_str(struct json_object *o, const char *key)
{
	struct json_object *v = member(o, key);

	ck_assert(json_object_is_type(v, json_type_string));
	return json_object_get_string(v);
}

START_TEST(to_json)
{
	struct pzd_config *c = new_conf();
	struct json_object *j, *back, *d, *p, *n;
	const char *order[] = { "daemon", "policy", "pool", "xen", "node 0",
				"node 3", "node 255" };
	char err[512];
	int i = 0;

	ck_assert(!pzd_config_load(FULL_CONF, c, err, sizeof(err)));
	j = pzd_config_to_json(c);
	ck_assert_ptr_nonnull(j);
	/* Through text and back, as config-show's client sees it. */
	back = json_tokener_parse(json_object_to_json_string_ext(j,
						JSON_C_TO_STRING_PLAIN));
	json_object_put(j);
	ck_assert_ptr_nonnull(back);

	json_object_object_foreach(back, key, val) {
		(void)val;
		ck_assert_int_lt(i, N(order));
		ck_assert_str_eq(key, order[i]);
		i++;
	}
	ck_assert_int_eq(i, N(order));

	d = member(back, "daemon");
	ck_assert_int_eq(json_object_object_length(d), 4);
	ck_assert_str_eq(get_str(d, "socket"), c->socket_path);
	ck_assert_str_eq(get_str(d, "log_level"), "debug");
	ck_assert_str_eq(get_str(d, "admin_group"), c->admin_group);
	ck_assert_uint_eq(get_u64(d, "interval_ms"), c->interval_ms);

	p = member(back, "policy");
	ck_assert_int_eq(json_object_object_length(p), 10);
	ck_assert_double_eq(get_dbl(p, "idle_min_pct"), c->idle_min_pct);
	ck_assert_uint_eq(get_u64(p, "idle_after_ms"), c->idle_after_ms);
	ck_assert_double_eq(get_dbl(p, "psi_cpu_max"), c->psi_cpu_max);
	ck_assert_double_eq(get_dbl(p, "psi_memory_max"), c->psi_memory_max);
	ck_assert_uint_eq(get_u64(p, "psi_trigger_ms"), c->psi_trigger_ms);
	ck_assert_uint_eq(get_u64(p, "pressure_hold_ms"), c->pressure_hold_ms);
	ck_assert_double_eq(get_dbl(p, "min_free_pct"), c->min_free_pct);
	ck_assert_int_eq(get_bool(p, "enabled"), c->enabled);
	ck_assert_uint_eq(get_u64(p, "rate"), c->rate);
	ck_assert_uint_eq(get_u64(p, "burst"), c->burst);

	p = member(back, "pool");
	ck_assert_int_eq(json_object_object_length(p), 7);
	ck_assert_str_eq(get_str(p, "dir"), c->pool_dir);
	ck_assert_uint_eq(get_u64(p, "target"), c->pool_target);
	ck_assert_uint_eq(get_u64(p, "file_size"), c->pool_file_size);
	ck_assert_uint_eq(get_u64(p, "fill_rate"), c->pool_fill_rate);
	ck_assert_double_eq(get_dbl(p, "reserve_pct"), c->pool_reserve_pct);
	ck_assert_int_eq(get_bool(p, "hugetlb_overcommit"),
			 c->pool_hugetlb_overcommit);
	ck_assert_str_eq(get_str(p, "state_file"), c->pool_state_file);

	p = member(back, "xen");
	ck_assert_int_eq(json_object_object_length(p), 6);
	ck_assert_str_eq(get_str(p, "enabled"), "auto");
	ck_assert_str_eq(get_str(p, "hvm_scan"), "auto");
	ck_assert_str_eq(get_str(p, "dir"), c->xen_dir);
	ck_assert_uint_eq(get_u64(p, "settle_s"), c->xen_settle_s);
	ck_assert_uint_eq(get_u64(p, "min_interval_s"), c->xen_min_interval_s);
	ck_assert_uint_eq(get_u64(p, "max_ranges"), c->xen_max_ranges);

	n = member(back, "node 0");
	ck_assert_int_eq(json_object_object_length(n), 1);
	ck_assert_int_eq(get_bool(n, "enabled"), true);
	n = member(back, "node 3");
	ck_assert_int_eq(json_object_object_length(n), 3);
	ck_assert_uint_eq(get_u64(n, "pool_target"), 0);
	ck_assert_uint_eq(get_u64(n, "rate"), 0);
	ck_assert_uint_eq(get_u64(n, "burst"), 64 * MiB);
	n = member(back, "node 255");
	ck_assert_int_eq(json_object_object_length(n), 1);
	ck_assert_uint_eq(get_u64(n, "rate"), TiB);
	json_object_put(back);

	/* The defaults: no node sections, log level by name. */
	pzd_config_defaults(c);
	c->log_level = LOG_WARNING;
	j = pzd_config_to_json(c);
	ck_assert_int_eq(json_object_object_length(j), 4);
	ck_assert_str_eq(get_str(member(j, "daemon"), "log_level"), "warning");
	ck_assert_str_eq(get_str(member(j, "daemon"), "admin_group"), "");
	ck_assert_int_eq(get_bool(member(j, "policy"), "enabled"), true);
	json_object_put(j);
	c->xen_enabled = PZD_XEN_NO;
	j = pzd_config_to_json(c);
	ck_assert_str_eq(get_str(member(j, "xen"), "enabled"), "no");
	json_object_put(j);
	c->xen_enabled = PZD_XEN_YES;
	j = pzd_config_to_json(c);
	ck_assert_str_eq(get_str(member(j, "xen"), "enabled"), "yes");
	json_object_put(j);
	c->xen_hvm_scan = PZD_XEN_HVM_SCAN_QUERY;
	j = pzd_config_to_json(c);
	ck_assert_str_eq(get_str(member(j, "xen"), "hvm_scan"), "query");
	json_object_put(j);
	free(c);
}
END_TEST

/* The file installed to /etc: as shipped, and with every key uncommented,
 * it gives exactly the built-in defaults. */
START_TEST(packaged_file)
{
	static const char *const all_keys[] = {
		"socket", "log_level", "admin_group", "interval_ms",
		"idle_min_pct", "idle_after_ms", "psi_cpu_max",
		"psi_memory_max", "psi_trigger_ms", "pressure_hold_ms",
		"min_free_pct", "enabled", "rate", "burst", "dir", "target",
		"file_size", "fill_rate", "reserve_pct", "hugetlb_overcommit",
		"state_file", "settle_s", "min_interval_s", "max_ranges",
		"hvm_scan",
	};
	struct pzd_config *c = new_conf(), *d = new_conf();
	char err[512], line[512], *text;
	size_t len = 0, cap = 65536;
	int found = 0;
	FILE *f;

	pzd_config_defaults(d);
	ck_assert_msg(!pzd_config_load(PACKAGED_CONF, c, err, sizeof(err)),
		      "%s", err);
	assert_conf_eq(c, d);

	/* "#key = value" lines (no space after '#') are the keys. */
	text = malloc(cap);
	ck_assert_ptr_nonnull(text);
	f = fopen(PACKAGED_CONF, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		const char *s = line;

		if (line[0] == '#' && line[1] >= 'a' && line[1] <= 'z') {
			s = line + 1;
			for (int i = 0; i < N(all_keys); i++) {
				size_t kl = strlen(all_keys[i]);

				if (!strncmp(s, all_keys[i], kl) &&
				    s[kl] == ' ' && s[kl + 1] == '=')
					found |= 1 << i;
			}
		}
		ck_assert_uint_lt(len + strlen(s), cap);
		memcpy(text + len, s, strlen(s));
		len += strlen(s);
	}
	fclose(f);
	text[len] = '\0';
	ck_assert_int_eq(found, (1 << N(all_keys)) - 1);
	ck_assert_msg(!load_text(text, c, err, sizeof(err)), "%s", err);
	assert_conf_eq(c, d);
	free(text);
	free(c);
	free(d);
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("load");

	tcase_add_test(tc, defaults);
	tcase_add_test(tc, empty_file);
	tcase_add_test(tc, full_file);
	tcase_add_loop_test(tc, good_values, 0, N(good));
	tcase_add_loop_test(tc, bad_values, 0, N(bad));
	tcase_add_loop_test(tc, bad_file, 0, N(bad_files));
	tcase_add_test(tc, error_line_number);
	tcase_add_test(tc, syntax);
	tcase_add_test(tc, inline_semicolon);
	tcase_add_test(tc, long_lines);
	tcase_add_test(tc, nul_byte);
	tcase_add_test(tc, nodes);
	tcase_add_test(tc, admin_group);
	tcase_add_test(tc, missing_file);
	tcase_add_test(tc, not_a_file);
	tcase_add_test(tc, size_limit);
	tcase_add_test(tc, error_changes_nothing);
	tcase_add_test(tc, packaged_file);
	suite_add_tcase(s, tc);
	tc = tcase_create("use");
	tcase_add_loop_test(tc, default_burst, 0, N(bursts));
	tcase_add_test(tc, node_cap);
	tcase_add_test(tc, to_json);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(config_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
