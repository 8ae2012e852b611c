// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/*
 * prezeroctl: inspect and control the prezero kernel module.
 * See prezeroctl(8) and prezeroctl --help.
 */
#include <errno.h>
#include <getopt.h>
#include <langinfo.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "nl.h"
#include "size.h"

#ifndef PREZERO_VERSION
#define PREZERO_VERSION "unknown"
#endif

enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,		/* the operation failed */
	EXIT_USAGE = 2,
	EXIT_NOMODULE = 3,	/* the prezero family does not exist */
	EXIT_TIMEOUT = 4,	/* watch --timeout expired */
};

#define DEFAULT_MIN_BURST (UINT64_C(64) << 20)
#define JSON_PRETTY (JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED)

static const char *prog = "prezeroctl";
static bool opt_json;
static bool utf8;

static const char usage_text[] =
	"Usage: prezeroctl [--json] COMMAND [ARGS]\n"
	"\n"
	"Inspect and control prezero, which zeroes free memory in idle time.\n"
	"\n"
	"Commands:\n"
	"  caps                           what the module and the running kernel can do\n"
	"  status [NODE]                  budget, state and counters of every node (or one)\n"
	"  budget NODE|all RATE [BURST]   set the zeroing budget: RATE bytes/s, at most\n"
	"                                 BURST bytes at once (default: max(2*RATE, 64M),\n"
	"                                 0 with RATE 0);\n"
	"                                 RATE 0 stops zeroing\n"
	"  enable NODE|all                allow zeroing on the node (within its budget)\n"
	"  disable NODE|all               stop zeroing on the node\n"
	"  verify NODE [--samples N]      take N free blocks (1-64, default 16) and check\n"
	"                                 whether they are zero\n"
	"  watch [--count N] [--timeout SECONDS]\n"
	"                                 print events (one line each) as they come; stop\n"
	"                                 after N events or when SECONDS have passed\n"
	"\n"
	"Options:\n"
	"  --json        print one JSON document (watch: one JSON object per line)\n"
	"  -h, --help    show this help and exit\n"
	"  --version     show the version and exit\n"
	"\n"
	"Sizes are bytes with an optional binary unit: 4096, 512K, 64MiB, 1.5G, 1T\n"
	"(K = KiB = 1024 bytes). Budgets are at most 1T. NODE is a NUMA node number.\n"
	"'all' applies to every node, in order, and stops at the first error.\n"
	"budget, enable, disable and verify need CAP_NET_ADMIN.\n"
	"\n"
	"Exit status:\n"
	"  0  success\n"
	"  1  the operation failed (the kernel's message is printed)\n"
	"  2  usage error\n"
	"  3  the prezero module is not loaded\n"
	"  4  watch: timed out\n";

/* ---- messages --------------------------------------------------------- */

__attribute__((format(printf, 2, 3)))
static int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	if (cmd)
		fprintf(stderr, "%s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help' for more information.\n", prog);
	return EXIT_USAGE;
}

/* "prezeroctl: budget: node 1: Numerical result out of range (kernel: ...)" */
static int op_error(const char *cmd, const char *what, const struct pz_err *e)
{
	char buf[PZ_ERR_MSG_LEN + 128];

	pz_err_str(e, buf, sizeof(buf));
	fprintf(stderr, "%s: %s: %s%s%s", prog, cmd, what ? what : "",
		what ? ": " : "", buf);
	if (e->err == -EPERM)
		fprintf(stderr, " (needs CAP_NET_ADMIN)");
	fputc('\n', stderr);
	return EXIT_FAIL;
}

static int open_nl(struct pz_nl **nl, const char *cmd)
{
	struct pz_err e;
	int ret = pz_nl_open(nl, &e);

	if (ret == -ENOENT) {
		fprintf(stderr,
			"%s: prezero module not loaded (no generic netlink family \"%s\")\n",
			prog, PREZERO_FAMILY_NAME);
		return EXIT_NOMODULE;
	}
	if (ret < 0)
		return op_error(cmd, "cannot talk to the kernel", &e);
	return EXIT_OK;
}

/* ---- small helpers ---------------------------------------------------- */

static const char *or_unknown(const char *name, uint32_t v, char *buf,
			      size_t len)
{
	if (name)
		return name;
	snprintf(buf, len, "unknown(%u)", v);
	return buf;
}

/* "2 MiB" for exact binary multiples, else the 2-decimal form. */
static char *format_exact(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB",
					     "PiB", "EiB" };
	unsigned int u = 0;
	uint64_t v = bytes;

	while (v && !(v % 1024) && u < 6) {
		v /= 1024;
		u++;
	}
	if (v < 1024)
		snprintf(buf, len, "%llu %s", (unsigned long long)v, units[u]);
	else
		pz_format_size(bytes, buf, len);
	return buf;
}

/* NODE: a decimal number 0..65535. */
static bool parse_node(const char *s, uint32_t *id)
{
	unsigned long v;
	char *end;

	if (!s || !*s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > 0xffff)
		return false;
	*id = (uint32_t)v;
	return true;
}

static bool parse_uint(const char *s, unsigned long min, unsigned long max,
		       unsigned long *out)
{
	unsigned long v;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static double gib_per_s(uint64_t bytes, uint64_t ns)
{
	if (!ns)
		return NAN;
	return (double)bytes / (double)ns * 1e9 / (double)(UINT64_C(1) << 30);
}

static int print_json(struct json_object *o, int flags)
{
	puts(json_object_to_json_string_ext(o, flags |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return EXIT_OK;
}

static void jadd(struct json_object *o, const char *key, struct json_object *v)
{
	json_object_object_add(o, key, v);
}

/* ---- caps ------------------------------------------------------------- */

static int cmd_caps(int argc, char **argv)
{
	struct pz_nl *nl;
	struct pz_caps c;
	struct pz_err e;
	char b1[64], b2[64];
	int ret;

	if (argc > 1)
		return usage_error("caps", "unexpected argument '%s'", argv[1]);
	ret = open_nl(&nl, "caps");
	if (ret)
		return ret;
	ret = pz_nl_get_caps(nl, &c, &e);
	pz_nl_close(nl);
	if (ret < 0)
		return op_error("caps", NULL, &e);

	const char *fs = or_unknown(pz_fault_skip_name(c.fault_skip),
				    c.fault_skip, b1, sizeof(b1));
	const char *rep = or_unknown(pz_reporting_name(c.reporting),
				     c.reporting, b2, sizeof(b2));

	if (opt_json) {
		struct json_object *o = json_object_new_object();

#define JHAS(attr) PZ_HAS(&c, PREZERO_A_CAPS_##attr)
		if (JHAS(RELEASE))
			jadd(o, "release", json_object_new_string(c.release));
		if (JHAS(MODULE_VERSION))
			jadd(o, "module_version",
			     json_object_new_string(c.module_version));
		if (JHAS(REPORTING_ORDER))
			jadd(o, "reporting_order",
			     json_object_new_int64(c.reporting_order));
		if (JHAS(FAULT_SKIP))
			jadd(o, "fault_skip", json_object_new_string(fs));
		if (JHAS(REPORTING))
			jadd(o, "reporting", json_object_new_string(rep));
		if (JHAS(INIT_ON_ALLOC))
			jadd(o, "init_on_alloc",
			     json_object_new_boolean(c.init_on_alloc));
		if (JHAS(INIT_ON_FREE))
			jadd(o, "init_on_free",
			     json_object_new_boolean(c.init_on_free));
		if (JHAS(NR_NODES))
			jadd(o, "nr_nodes", json_object_new_int64(c.nr_nodes));
		if (JHAS(VERIFY_MAX_SAMPLES))
			jadd(o, "verify_max_samples",
			     json_object_new_int64(c.verify_max_samples));
		if (JHAS(BUDGET_MAX))
			jadd(o, "budget_max",
			     json_object_new_uint64(c.budget_max));
#undef JHAS
		return print_json(o, JSON_PRETTY);
	}

#define HAS(attr) PZ_HAS(&c, PREZERO_A_CAPS_##attr)
	printf("kernel: %s\n", HAS(RELEASE) ? c.release : "-");
	printf("module_version: %s\n",
	       HAS(MODULE_VERSION) ? c.module_version : "-");
	printf("reporting: %s\n", HAS(REPORTING) ? rep : "-");
	if (HAS(REPORTING_ORDER)) {
		long page = sysconf(_SC_PAGESIZE);
		uint64_t block = (page > 0 ? (uint64_t)page : 4096);

		if (c.reporting_order < 40) {
			block <<= c.reporting_order;
			printf("reporting_order: %u (%s blocks)\n",
			       c.reporting_order,
			       format_exact(block, b1, sizeof(b1)));
		} else {
			printf("reporting_order: %u\n", c.reporting_order);
		}
	} else {
		printf("reporting_order: -\n");
	}
	printf("fault_skip: %s\n", HAS(FAULT_SKIP) ? fs : "-");
	printf("init_on_alloc: %s\n",
	       HAS(INIT_ON_ALLOC) ? (c.init_on_alloc ? "on" : "off") : "-");
	printf("init_on_free: %s\n",
	       HAS(INIT_ON_FREE) ? (c.init_on_free ? "on" : "off") : "-");
	if (HAS(NR_NODES))
		printf("nr_nodes: %u\n", c.nr_nodes);
	else
		printf("nr_nodes: -\n");
	if (HAS(VERIFY_MAX_SAMPLES))
		printf("verify_max_samples: %u\n", c.verify_max_samples);
	else
		printf("verify_max_samples: -\n");
	if (HAS(BUDGET_MAX))
		printf("budget_max: %s (%llu bytes)\n",
		       format_exact(c.budget_max, b1, sizeof(b1)),
		       (unsigned long long)c.budget_max);
	else
		printf("budget_max: -\n");
#undef HAS
	return EXIT_OK;
}

/* ---- status ----------------------------------------------------------- */

static struct json_object *node_json(const struct pz_node *n)
{
	struct json_object *o = json_object_new_object();

#define NHAS(attr) PZ_HAS(n, PREZERO_A_NODE_##attr)
#define U64(attr, key, val)						\
	do {								\
		if (NHAS(attr))						\
			jadd(o, key, json_object_new_uint64(val));	\
	} while (0)
#define BOOL(attr, key, val)						\
	do {								\
		if (NHAS(attr))						\
			jadd(o, key, json_object_new_boolean(val));	\
	} while (0)
	U64(ID, "id", n->id);
	BOOL(ENABLED, "enabled", n->enabled);
	U64(BUDGET_RATE, "budget_rate", n->budget_rate);
	U64(BUDGET_BURST, "budget_burst", n->budget_burst);
	if (NHAS(BUDGET_TOKENS))
		jadd(o, "budget_tokens", json_object_new_int64(n->budget_tokens));
	U64(FREE_BYTES, "free_bytes", n->free_bytes);
	U64(FREE_LARGE_BYTES, "free_large_bytes", n->free_large_bytes);
	U64(ZEROED_FREE_BYTES, "zeroed_free_bytes", n->zeroed_free_bytes);
	BOOL(ZEROED_FREE_EXACT, "zeroed_free_exact", n->zeroed_free_exact);
	U64(ZEROED_BYTES, "zeroed_bytes", n->zeroed_bytes);
	U64(ZEROED_BLOCKS, "zeroed_blocks", n->zeroed_blocks);
	U64(ZERO_NS, "zero_ns", n->zero_ns);
	U64(REPORT_CALLS, "report_calls", n->report_calls);
	U64(RETURNED_BLOCKS, "returned_blocks", n->returned_blocks);
	U64(EXHAUSTED, "exhausted", n->exhausted);
	BOOL(SCRUBBED, "scrubbed", n->scrubbed);
	if (NHAS(ZEROED_BYTES) && NHAS(ZERO_NS) && n->zero_ns) {
		double g = gib_per_s(n->zeroed_bytes, n->zero_ns);
		char txt[32];

		snprintf(txt, sizeof(txt), "%.3f", g);
		jadd(o, "zero_gib_per_s", json_object_new_double_s(g, txt));
	}
#undef BOOL
#undef U64
#undef NHAS
	return o;
}

static struct json_object *nodes_json(const struct pz_node *nodes, size_t n)
{
	struct json_object *o = json_object_new_object();
	struct json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_object_array_add(a, node_json(&nodes[i]));
	jadd(o, "nodes", a);
	return o;
}

#define NCOLS 14
#define CELL 40

/* Display width of a UTF-8 string (one column per code point). */
static size_t width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

static void pad(size_t n)
{
	while (n--)
		putchar(' ');
}

static void print_status_table(const struct pz_node *nodes, size_t n)
{
	static const char *const hdr[NCOLS] = {
		"NODE", "ENABLED", "RATE/s", "BURST", "TOKENS", "FREE",
		"LARGE FREE", "ZEROED FREE", "ZEROED", "GiB/s", "REPORTS",
		"RETURNED", "EXHAUSTED", "SCRUBBED",
	};
	/* left-aligned columns: the yes/no ones */
	static const bool left[NCOLS] = { [1] = true, [13] = true };
	char (*cells)[NCOLS][CELL] = calloc(n + 1, sizeof(*cells));
	size_t w[NCOLS] = { 0 };
	bool lower_bound = false;
	size_t r, c;

	if (!cells) {
		perror(prog);
		return;
	}
	for (c = 0; c < NCOLS; c++)
		snprintf(cells[0][c], CELL, "%s", hdr[c]);
	for (r = 0; r < n; r++) {
		const struct pz_node *nd = &nodes[r];
		char (*row)[CELL] = cells[r + 1];
		char tmp[CELL];

#define HAS(attr) PZ_HAS(nd, PREZERO_A_NODE_##attr)
#define SIZE(col, attr, v)						\
		snprintf(row[col], CELL, "%s",				\
			 HAS(attr) ? pz_format_size(v, tmp, sizeof(tmp)) : "-")
#define NUM(col, attr, v)						\
		do {							\
			if (HAS(attr))					\
				snprintf(row[col], CELL, "%llu",	\
					 (unsigned long long)(v));	\
			else						\
				snprintf(row[col], CELL, "-");		\
		} while (0)
#define YESNO(col, attr, v)						\
		snprintf(row[col], CELL, "%s",				\
			 HAS(attr) ? ((v) ? "yes" : "no") : "-")

		NUM(0, ID, nd->id);
		YESNO(1, ENABLED, nd->enabled);
		SIZE(2, BUDGET_RATE, nd->budget_rate);
		SIZE(3, BUDGET_BURST, nd->budget_burst);
		snprintf(row[4], CELL, "%s", HAS(BUDGET_TOKENS) ?
			 pz_format_ssize(nd->budget_tokens, tmp, sizeof(tmp)) :
			 "-");
		SIZE(5, FREE_BYTES, nd->free_bytes);
		SIZE(6, FREE_LARGE_BYTES, nd->free_large_bytes);
		if (HAS(ZEROED_FREE_BYTES)) {
			bool exact = !HAS(ZEROED_FREE_EXACT) ||
				     nd->zeroed_free_exact;

			if (!exact)
				lower_bound = true;
			snprintf(row[7], CELL, "%s%s",
				 exact ? "" : (utf8 ? "\u2265" : ">="),
				 pz_format_size(nd->zeroed_free_bytes, tmp,
						sizeof(tmp)));
			if (!exact && HAS(FREE_LARGE_BYTES))
				snprintf(row[6], CELL, "%s%s",
					 utf8 ? "\u2265" : ">=",
					 pz_format_size(nd->free_large_bytes,
							tmp, sizeof(tmp)));
		} else {
			snprintf(row[7], CELL, "-");
		}
		SIZE(8, ZEROED_BYTES, nd->zeroed_bytes);
		if (HAS(ZEROED_BYTES) && HAS(ZERO_NS) && nd->zero_ns)
			snprintf(row[9], CELL, "%.2f",
				 gib_per_s(nd->zeroed_bytes, nd->zero_ns));
		else
			snprintf(row[9], CELL, "-");
		NUM(10, REPORT_CALLS, nd->report_calls);
		NUM(11, RETURNED_BLOCKS, nd->returned_blocks);
		NUM(12, EXHAUSTED, nd->exhausted);
		YESNO(13, SCRUBBED, nd->scrubbed);
#undef YESNO
#undef NUM
#undef SIZE
#undef HAS
	}
	for (r = 0; r <= n; r++)
		for (c = 0; c < NCOLS; c++)
			if (width(cells[r][c]) > w[c])
				w[c] = width(cells[r][c]);
	for (r = 0; r <= n; r++) {
		for (c = 0; c < NCOLS; c++) {
			size_t cw = width(cells[r][c]);
			bool last = c == NCOLS - 1;

			if (c)
				fputs("  ", stdout);
			if (left[c]) {
				fputs(cells[r][c], stdout);
				if (!last)
					pad(w[c] - cw);
			} else {
				pad(w[c] - cw);
				fputs(cells[r][c], stdout);
			}
		}
		putchar('\n');
	}
	if (lower_bound)
		printf("%s: lower bound (the free-list walk was cut short)\n",
		       utf8 ? "\u2265" : ">=");
	free(cells);
}

static int cmd_status(int argc, char **argv)
{
	struct pz_node *nodes = NULL, one;
	struct pz_nl *nl;
	struct pz_err e;
	uint32_t id = 0;
	size_t n = 0;
	int ret;

	if (argc > 2)
		return usage_error("status", "unexpected argument '%s'", argv[2]);
	if (argc == 2 && !parse_node(argv[1], &id))
		return usage_error("status", "invalid node '%s'", argv[1]);
	ret = open_nl(&nl, "status");
	if (ret)
		return ret;
	if (argc == 2) {
		ret = pz_nl_get_node(nl, id, &one, &e);
		nodes = &one;
		n = 1;
	} else {
		ret = pz_nl_dump_nodes_array(nl, &nodes, &n, &e);
	}
	pz_nl_close(nl);
	if (ret < 0)
		return op_error("status", NULL, &e);
	if (opt_json)
		print_json(nodes_json(nodes, n), JSON_PRETTY);
	else
		print_status_table(nodes, n);
	if (nodes != &one)
		free(nodes);
	return EXIT_OK;
}

/* ---- budget, enable, disable ------------------------------------------ */

static void print_set_result(const struct pz_node *n)
{
	char r[32], b[32];

	printf("node %u: ", n->id);
	if (PZ_HAS(n, PREZERO_A_NODE_BUDGET_RATE) &&
	    PZ_HAS(n, PREZERO_A_NODE_BUDGET_BURST))
		printf("budget %s/s, burst %s, ",
		       pz_format_size(n->budget_rate, r, sizeof(r)),
		       pz_format_size(n->budget_burst, b, sizeof(b)));
	if (PZ_HAS(n, PREZERO_A_NODE_ENABLED))
		printf("%s", n->enabled ? "enabled" : "disabled");
	else
		printf("enabled: unknown");
	putchar('\n');
}

/* Apply set to one node or (all) to every node of a dump. */
static int set_nodes(const char *cmd, const char *node_arg,
		     struct pz_node_set *set)
{
	struct pz_node *nodes = NULL, *done = NULL;
	struct pz_nl *nl;
	struct pz_err e;
	size_t n = 1, i;
	bool all = !strcmp(node_arg, "all");
	int ret;

	if (!all && !parse_node(node_arg, &set->id))
		return usage_error(cmd, "invalid node '%s' (a number or 'all')",
				   node_arg);
	ret = open_nl(&nl, cmd);
	if (ret)
		return ret;
	if (all) {
		ret = pz_nl_dump_nodes_array(nl, &nodes, &n, &e);
		if (ret < 0) {
			pz_nl_close(nl);
			return op_error(cmd, "listing nodes", &e);
		}
		if (!n) {
			pz_nl_close(nl);
			fprintf(stderr, "%s: %s: the module reports no node\n",
				prog, cmd);
			return EXIT_FAIL;
		}
	}
	done = calloc(n, sizeof(*done));
	if (!done) {
		pz_nl_close(nl);
		free(nodes);
		perror(prog);
		return EXIT_FAIL;
	}
	ret = EXIT_OK;
	for (i = 0; i < n; i++) {
		char what[64];

		if (all)
			set->id = nodes[i].id;
		if (pz_nl_set_node(nl, set, &done[i], &e) < 0) {
			snprintf(what, sizeof(what), "node %u", set->id);
			ret = op_error(cmd, what, &e);
			if (all && i)
				fprintf(stderr, "%s: %s: stopped; nodes before node %u were changed\n",
					prog, cmd, set->id);
			break;
		}
		if (!opt_json)
			print_set_result(&done[i]);
	}
	pz_nl_close(nl);
	if (opt_json && ret == EXIT_OK)
		print_json(nodes_json(done, n), JSON_PRETTY);
	free(done);
	free(nodes);
	return ret;
}

static int parse_budget_size(const char *what, const char *arg, uint64_t *v)
{
	const char *why;
	char max[32];
	int r = pz_parse_size(arg, PREZERO_BUDGET_MAX, v, &why);

	if (r == -ERANGE)
		return usage_error("budget", "%s '%s' is too large (at most %s)",
				   what, arg,
				   format_exact(PREZERO_BUDGET_MAX, max,
						sizeof(max)));
	if (r < 0)
		return usage_error("budget", "invalid %s '%s': %s", what, arg,
				   why);
	return EXIT_OK;
}

static int cmd_budget(int argc, char **argv)
{
	struct pz_node_set set = { .flags = PZ_SET_RATE | PZ_SET_BURST };
	int ret;

	if (argc < 3)
		return usage_error("budget", "usage: budget NODE|all RATE [BURST]");
	if (argc > 4)
		return usage_error("budget", "unexpected argument '%s'", argv[4]);
	ret = parse_budget_size("rate", argv[2], &set.budget_rate);
	if (ret)
		return ret;
	if (argc == 4) {
		ret = parse_budget_size("burst", argv[3], &set.budget_burst);
		if (ret)
			return ret;
	} else if (set.budget_rate == 0) {
		/* Rate 0 means no budget: no one-off burst either. */
		set.budget_burst = 0;
	} else {
		/*
		 * The kernel offers free blocks at most every two seconds, so
		 * a burst below two seconds of rate could not reach the rate.
		 */
		set.budget_burst = set.budget_rate * 2;
		if (set.budget_burst < DEFAULT_MIN_BURST)
			set.budget_burst = DEFAULT_MIN_BURST;
		if (set.budget_burst > PREZERO_BUDGET_MAX)
			set.budget_burst = PREZERO_BUDGET_MAX;
	}
	return set_nodes("budget", argv[1], &set);
}

static int cmd_enable(int argc, char **argv, bool enable)
{
	struct pz_node_set set = { .flags = PZ_SET_ENABLED, .enabled = enable };
	const char *cmd = enable ? "enable" : "disable";

	if (argc < 2)
		return usage_error(cmd, "usage: %s NODE|all", cmd);
	if (argc > 2)
		return usage_error(cmd, "unexpected argument '%s'", argv[2]);
	return set_nodes(cmd, argv[1], &set);
}

/* ---- verify ----------------------------------------------------------- */

static int cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "samples", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long samples = 0;
	struct pz_verify v;
	struct pz_nl *nl;
	struct pz_err e;
	uint32_t id;
	char b1[32], b2[32];
	int c, ret;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (!parse_uint(optarg, 1, PREZERO_VERIFY_MAX_SAMPLES,
					&samples))
				return usage_error("verify", "invalid --samples '%s' (1-%d)",
						   optarg,
						   PREZERO_VERIFY_MAX_SAMPLES);
			break;
		case 'j':
			opt_json = true;
			break;
		case ':':
			return usage_error("verify", "option '%s' needs a value",
					   argv[optind - 1]);
		default:
			return usage_error("verify", "unknown option '%s'",
					   argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return usage_error("verify", "usage: verify NODE [--samples N]");
	if (optind + 1 < argc)
		return usage_error("verify", "unexpected argument '%s'",
				   argv[optind + 1]);
	if (!parse_node(argv[optind], &id))
		return usage_error("verify", "invalid node '%s'", argv[optind]);

	ret = open_nl(&nl, "verify");
	if (ret)
		return ret;
	ret = pz_nl_verify(nl, id, (uint32_t)samples, &v, &e);
	pz_nl_close(nl);
	if (ret < 0)
		return op_error("verify", NULL, &e);

	const char *verdict = or_unknown(pz_verdict_name(v.verdict), v.verdict,
					 b1, sizeof(b1));
#define HAS(attr) PZ_HAS(&v, PREZERO_A_VERIFY_##attr)
	if (opt_json) {
		struct json_object *o = json_object_new_object();

#define U32(attr, key, val)						\
		do {							\
			if (HAS(attr))					\
				jadd(o, key, json_object_new_int64(val)); \
		} while (0)
		U32(NODE, "node", v.node);
		if (HAS(VERDICT))
			jadd(o, "verdict", json_object_new_string(verdict));
		U32(BLOCK_BYTES, "block_bytes", v.block_bytes);
		U32(PROBES, "probes", v.probes);
		U32(SAMPLED, "sampled", v.sampled);
		U32(ZERO, "zero", v.zero);
		U32(DIRTY, "dirty", v.dirty);
		U32(REPORTED, "reported", v.reported);
		U32(REPORTED_DIRTY, "reported_dirty", v.reported_dirty);
#undef U32
		print_json(o, JSON_PRETTY);
	} else {
		const char *note = "";

		if (HAS(VERDICT) && v.verdict == PREZERO_VERDICT_INCONCLUSIVE)
			note = " (init_on_alloc zeroes blocks as they are taken)";
		else if (HAS(VERDICT) && v.verdict == PREZERO_VERDICT_NO_SAMPLE)
			note = " (no free block of the reporting order found)";
		printf("node: %u\n", HAS(NODE) ? v.node : id);
		printf("verdict: %s%s\n", HAS(VERDICT) ? verdict : "-", note);
		if (HAS(BLOCK_BYTES))
			printf("block_bytes: %u (%s)\n", v.block_bytes,
			       format_exact(v.block_bytes, b2, sizeof(b2)));
#define LINE(attr, key, val)						\
		do {							\
			if (HAS(attr))					\
				printf("%s: %u\n", key, val);		\
			else						\
				printf("%s: -\n", key);			\
		} while (0)
		LINE(PROBES, "probes", v.probes);
		LINE(SAMPLED, "sampled", v.sampled);
		LINE(ZERO, "zero", v.zero);
		LINE(DIRTY, "dirty", v.dirty);
		LINE(REPORTED, "reported", v.reported);
		LINE(REPORTED_DIRTY, "reported_dirty", v.reported_dirty);
#undef LINE
	}
	if (HAS(REPORTED_DIRTY) && v.reported_dirty)
		fprintf(stderr,
			"%s: verify: warning: %u block(s) marked zeroed held non-zero bytes\n",
			prog, v.reported_dirty);
#undef HAS
	return EXIT_OK;
}

/* ---- watch ------------------------------------------------------------ */

static bool parse_seconds(const char *s, double *out)
{
	char *end;
	double v;

	if (!s || !*s || !((*s >= '0' && *s <= '9') || *s == '.'))
		return false;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !isfinite(v) || v <= 0 || v > 1e9)
		return false;
	*out = v;
	return true;
}

static void print_event(const struct pz_event *ev)
{
	char b1[32], b2[32];
	const char *type = or_unknown(pz_event_type_name(ev->type), ev->type,
				      b1, sizeof(b1));

	if (opt_json) {
		struct json_object *o = json_object_new_object();

		if (PZ_HAS(ev, PREZERO_A_EVENT_TYPE))
			jadd(o, "type", json_object_new_string(type));
		if (PZ_HAS(ev, PREZERO_A_EVENT_NODE))
			jadd(o, "node", json_object_new_int64(ev->node));
		if (PZ_HAS(ev, PREZERO_A_EVENT_BYTES))
			jadd(o, "bytes", json_object_new_uint64(ev->bytes));
		print_json(o, JSON_C_TO_STRING_PLAIN);
	} else {
		char ts[16] = "--:--:--";
		time_t now = time(NULL);
		struct tm tm;

		if (localtime_r(&now, &tm))
			strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
		printf("%s node %s%u %s", ts,
		       PZ_HAS(ev, PREZERO_A_EVENT_NODE) ? "" : "?",
		       ev->node, PZ_HAS(ev, PREZERO_A_EVENT_TYPE) ? type : "?");
		if (PZ_HAS(ev, PREZERO_A_EVENT_BYTES)) {
			pz_format_size(ev->bytes, b2, sizeof(b2));
			if (ev->type == PREZERO_EVENT_TYPE_NODE_SCRUBBED)
				printf(": %s zeroed free", b2);
			else if (ev->type == PREZERO_EVENT_TYPE_BUDGET_EXHAUSTED)
				printf(": budget %s/s", b2);
			else
				printf(": %s", b2);
		}
		putchar('\n');
	}
	fflush(stdout);
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int cmd_watch(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long count = 0, got = 0;
	double timeout = 0;
	int64_t deadline = -1;
	struct pz_nl *nl;
	struct pz_err e;
	int c, ret;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (!parse_uint(optarg, 1, ULONG_MAX, &count))
				return usage_error("watch", "invalid --count '%s'",
						   optarg);
			break;
		case 't':
			if (!parse_seconds(optarg, &timeout))
				return usage_error("watch", "invalid --timeout '%s' (seconds > 0)",
						   optarg);
			break;
		case 'j':
			opt_json = true;
			break;
		case ':':
			return usage_error("watch", "option '%s' needs a value",
					   argv[optind - 1]);
		default:
			return usage_error("watch", "unknown option '%s'",
					   argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("watch", "unexpected argument '%s'",
				   argv[optind]);

	ret = open_nl(&nl, "watch");
	if (ret)
		return ret;
	if (pz_nl_subscribe(nl, &e) < 0) {
		pz_nl_close(nl);
		return op_error("watch", "subscribing to events", &e);
	}
	if (timeout > 0)
		deadline = mono_ms() + (int64_t)(timeout * 1000.0 + 0.5);
	ret = EXIT_OK;
	while (!count || got < count) {
		struct pz_event ev;
		int wait = -1, r;

		if (deadline >= 0) {
			int64_t left = deadline - mono_ms();

			wait = left <= 0 ? 0 :
			       (left > 0x7fffffff ? 0x7fffffff : (int)left);
		}
		r = pz_nl_recv_event(nl, &ev, wait, &e);
		if (r == -ETIMEDOUT) {
			fprintf(stderr, "%s: watch: timed out after %g s (%lu event%s)\n",
				prog, timeout, got, got == 1 ? "" : "s");
			ret = EXIT_TIMEOUT;
			break;
		}
		if (r == -EINTR)
			continue;
		if (r == -ENOBUFS) {
			fprintf(stderr, "%s: watch: events were lost (receive buffer overrun)\n",
				prog);
			continue;
		}
		if (r < 0) {
			ret = op_error("watch", NULL, &e);
			break;
		}
		print_event(&ev);
		got++;
	}
	pz_nl_close(nl);
	return ret;
}

/* ---- main ------------------------------------------------------------- */

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd;
	int c, ret;

	setlocale(LC_CTYPE, "");
	utf8 = !strcmp(nl_langinfo(CODESET), "UTF-8");
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			opt_json = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_OK;
		case 'V':
			printf("prezeroctl %s (generic netlink family \"%s\", version %d)\n",
			       PREZERO_VERSION, PREZERO_FAMILY_NAME,
			       PREZERO_FAMILY_VERSION);
			return EXIT_OK;
		default:
			return usage_error(NULL, "unknown option '%s'",
					   argv[optind - 1]);
		}
	}
	if (optind >= argc) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	cmd = argv[optind];
	argc -= optind;
	argv += optind;
	/* --json is also accepted after the command ("status 0 --json");
	 * verify and watch parse it with their options. */
	if (strcmp(cmd, "verify") && strcmp(cmd, "watch")) {
		int i, j;

		for (i = j = 1; i < argc; i++) {
			if (!strcmp(argv[i], "--json"))
				opt_json = true;
			else
				argv[j++] = argv[i];
		}
		argc = j;
	}

	if (!strcmp(cmd, "caps"))
		ret = cmd_caps(argc, argv);
	else if (!strcmp(cmd, "status"))
		ret = cmd_status(argc, argv);
	else if (!strcmp(cmd, "budget"))
		ret = cmd_budget(argc, argv);
	else if (!strcmp(cmd, "enable"))
		ret = cmd_enable(argc, argv, true);
	else if (!strcmp(cmd, "disable"))
		ret = cmd_enable(argc, argv, false);
	else if (!strcmp(cmd, "verify"))
		ret = cmd_verify(argc, argv);
	else if (!strcmp(cmd, "watch"))
		ret = cmd_watch(argc, argv);
	else if (!strcmp(cmd, "help")) {
		fputs(usage_text, stdout);
		ret = EXIT_OK;
	} else
		ret = usage_error(NULL, "unknown command '%s'", cmd);

	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "%s: write error on standard output\n", prog);
		if (ret == EXIT_OK)
			ret = EXIT_FAIL;
	}
	return ret;
}
