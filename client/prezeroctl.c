// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/*
 * prezeroctl: inspect and control prezero: the daemon prezerod over its
 * control socket (proto/control.md) and the kernel module over generic
 * netlink. See prezeroctl(8) and prezeroctl --help.
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

#include "ctl.h"
#include "ctlargs.h"
#include "monotime.h"
#include "nl.h"
#include "number.h"
#include "prezeroctl.h"
#include "size.h"

#ifndef PREZERO_VERSION
#define PREZERO_VERSION "unknown"
#endif

#define DEFAULT_MIN_BURST (UINT64_C(64) << 20)

const char *prog = "prezeroctl";
bool opt_json;
static bool opt_force;
static const char *opt_socket;	/* NULL: $PREZERO_SOCKET or the default */
static bool utf8;

static const char usage_text[] =
	"Usage: prezeroctl [OPTIONS] COMMAND [ARGS]\n"
	"\n"
	"Inspect and control prezero, which zeroes free memory in idle time: the\n"
	"daemon prezerod (over its control socket) and the kernel module.\n"
	"\n"
	"Commands:\n"
	"  status [NODE]                  prezerod, the module and every node (or one):\n"
	"                                 state, idle time, memory, zeroing, budgets\n"
	"                                 (without prezerod: the module's counters)\n"
	"  config show                    prezerod's effective configuration and its\n"
	"                                 runtime overrides\n"
	"  node NODE|all enable|disable   override: let prezerod grant budget or not\n"
	"  node NODE|all cap RATE [BURST] override: grant at most RATE bytes/s\n"
	"  node NODE|all reset            drop the node's overrides\n"
	"  reload                         make prezerod re-read its configuration\n"
	"\n"
	"Warm pool commands (prezerod):\n"
	"  pool [status]                  each node's pool of ready files, and the\n"
	"                                 reservations\n"
	"  pool claim --node NODE|any --size SIZE --to PATH [--owner USER[:GROUP]]\n"
	"             [--mode OCTAL] [--for NAME]\n"
	"                                 move a ready file to PATH, shrunk to SIZE\n"
	"                                 (owner default root, mode default 0600)\n"
	"  vm reserve --node NODE --size SIZE [--for NAME] [--ttl DURATION]\n"
	"                                 keep a file of SIZE ready on the node\n"
	"  vm unreserve ID | --for NAME   drop a reservation, or all of NAME's\n"
	"  vm release NAME                VM NAME stopped: refill its reservations\n"
	"  vm prepare [--backing anon|hugetlb-2M|hugetlb-1G] [--for NAME]\n"
	"             [--no-compact] [--no-topup] NODE:SIZE...\n"
	"                                 make SIZE available in large chunks on each\n"
	"                                 NODE for a VM the pool does not serve\n"
	"                                 (backing default anon)\n"
	"\n"
	"Xen dom0 commands (prezerod):\n"
	"  xen list                       the guests: balloon target, current and\n"
	"                                 static-max memory, ballooned bytes, and\n"
	"                                 their exclude lists\n"
	"  xen exclude DOM                a guest's exclude list: the frames its\n"
	"                                 balloon gave back (DOM: domain id or name)\n"
	"  xen filter-core IN OUT --exclude FILE\n"
	"                                 rewrite a guest's ELF core so that its\n"
	"                                 PT_LOAD segments skip the excluded ranges\n"
	"\n"
	"Module commands:\n"
	"  caps                           what the module and the running kernel can do\n"
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
	"While prezerod runs it sets the budgets: budget, enable and disable are\n"
	"refused then, unless --force.\n"
	"\n"
	"Options:\n"
	"  --json          print one JSON document (watch: one JSON object per line)\n"
	"  --socket PATH   prezerod's control socket (default: $PREZERO_SOCKET, else\n"
	"                  " PZ_CTL_SOCKET_PATH ")\n"
	"  --force         budget, enable, disable: even while prezerod runs\n"
	"  -h, --help      show this help and exit\n"
	"  --version       show the version and exit\n"
	"\n"
	"Sizes are bytes with an optional binary unit: 4096, 512K, 64MiB, 1.5G, 1T\n"
	"(K = KiB = 1024 bytes). Rates and bursts are at most 1T. NODE is a NUMA node\n"
	"number. 'all' applies to every node, in order, and stops at the first error.\n"
	"DURATION is seconds, or a number with s, m, h or d: 30, 30s, 5m, 2h.\n"
	"budget, enable, disable and verify need CAP_NET_ADMIN; node, reload, pool\n"
	"claim and the vm commands need root or prezerod's admin group.\n"
	"\n"
	"Exit status:\n"
	"  0  success\n"
	"  1  the operation failed (the kernel's or prezerod's message is printed)\n"
	"  2  usage error\n"
	"  3  the prezero module is not loaded\n"
	"  4  watch: timed out; or prezerod did not answer within 5 s\n"
	"  5  prezerod is not running (config, node, reload, pool, vm, xen)\n"
	"  6  the pool cannot serve: no ready file is large enough (pool-empty) or\n"
	"     the pool is off or unusable (no-pool)\n";

/* ---- messages --------------------------------------------------------- */

int usage_error(const char *cmd, const char *fmt, ...)
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

char *format_exact(uint64_t bytes, char *buf, size_t len)
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

bool parse_node(const char *s, uint32_t *id)
{
	unsigned long v;

	if (pz_parse_uint(s, 0, PZ_NODE_ID_MAX, &v) < 0)
		return false;
	*id = (uint32_t)v;
	return true;
}

static double gib_per_s(uint64_t bytes, uint64_t ns)
{
	if (!ns)
		return NAN;
	return (double)bytes / (double)ns * 1e9 / (double)(UINT64_C(1) << 30);
}

int print_json(struct json_object *o, int flags)
{
	puts(json_object_to_json_string_ext(o, flags |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return EXIT_OK;
}

void jadd(struct json_object *o, const char *key, struct json_object *v)
{
	json_object_object_add(o, key, v);
}

/* ---- prezerod --------------------------------------------------------- */

static const char *socket_path(void)
{
	return pz_ctl_socket_path(opt_socket);
}

int no_memory(void)
{
	fprintf(stderr, "%s: out of memory\n", prog);
	return EXIT_FAIL;
}

/* Not being able to talk to prezerod (its error replies are not this). */
static int ctl_error(const char *cmd, int err)
{
	const char *path = socket_path();

	switch (err) {
	case -ENOENT:
		fprintf(stderr, "%s: %s: prezerod not running (no socket %s)\n",
			prog, cmd, path);
		return EXIT_NODAEMON;
	case -ECONNREFUSED:
		fprintf(stderr, "%s: %s: prezerod not running (nothing listens on %s)\n",
			prog, cmd, path);
		return EXIT_NODAEMON;
	case -ETIMEDOUT:
		fprintf(stderr, "%s: %s: prezerod did not answer within %d s (%s)\n",
			prog, cmd, PZ_CTL_TIMEOUT_MS / 1000, path);
		return EXIT_TIMEOUT;
	case -EPROTO:
		fprintf(stderr, "%s: %s: prezerod sent a malformed reply\n",
			prog, cmd);
		break;
	case -EMSGSIZE:
		fprintf(stderr, "%s: %s: prezerod's reply is larger than %u MiB\n",
			prog, cmd, PZ_CTL_MAX_REPLY >> 20);
		break;
	case -ECONNRESET:
	case -EPIPE:
		fprintf(stderr, "%s: %s: prezerod closed the connection\n",
			prog, cmd);
		break;
	default:
		fprintf(stderr, "%s: %s: cannot talk to prezerod at %s: %s\n",
			prog, cmd, path, strerror(-err));
		break;
	}
	return EXIT_FAIL;
}

int daemon_call(const char *cmd, struct json_object *req,
		struct json_object **reply, bool *no_daemon)
{
	struct json_object *r;
	struct pz_ctl *c;
	int ret;

	*reply = NULL;
	if (!req)
		return no_memory();
	ret = pz_ctl_connect(socket_path(), PZ_CTL_TIMEOUT_MS, &c);
	if (ret < 0) {
		json_object_put(req);
		if (no_daemon && pz_ctl_no_daemon(ret)) {
			*no_daemon = true;
			return EXIT_OK;
		}
		return ctl_error(cmd, ret);
	}
	ret = pz_ctl_call(c, req, &r, PZ_CTL_TIMEOUT_MS);
	pz_ctl_close(c);
	json_object_put(req);
	if (ret < 0)
		return ctl_error(cmd, ret);
	if (!pz_ctl_reply_ok(r)) {
		const char *msg = pz_ctl_error_message(r);
		const char *code = pz_ctl_error_code(r);

		/* "prezeroctl: node: node-set: only root ... (permission-denied)" */
		fprintf(stderr, "%s: %s: %s (%s)\n", prog, cmd,
			*msg ? msg : "prezerod refused the request", code);
		/* the caller's cue for a cold start, not a failure */
		ret = !strcmp(code, "pool-empty") || !strcmp(code, "no-pool") ?
		      EXIT_NOPOOL : EXIT_FAIL;
		json_object_put(r);
		return ret;
	}
	json_object_object_del(r, "ok");
	json_object_object_del(r, "id");
	*reply = r;
	return EXIT_OK;
}

struct json_object *jget(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v = jget(o, key);

	return json_object_is_type(v, json_type_string) ?
	       json_object_get_string(v) : NULL;
}

bool jnum(struct json_object *o, const char *key, double *out)
{
	struct json_object *v = jget(o, key);

	if (!json_object_is_type(v, json_type_int) &&
	    !json_object_is_type(v, json_type_double))
		return false;
	*out = json_object_get_double(v);
	return true;
}

bool ju64(struct json_object *o, const char *key, uint64_t *out)
{
	struct json_object *v = jget(o, key);
	double d;

	if (json_object_is_type(v, json_type_int)) {
		/* json-c clamps an unsigned above INT64_MAX to INT64_MAX here */
		if (json_object_get_int64(v) < 0)
			return false;
		*out = json_object_get_uint64(v);
		return true;
	}
	if (!jnum(o, key, &d) || !(d >= 0) || d >= 18446744073709551616.0)
		return false;
	*out = (uint64_t)d;
	return true;
}

int jbool(struct json_object *o, const char *key)
{
	struct json_object *v = jget(o, key);

	if (!json_object_is_type(v, json_type_boolean))
		return -1;
	return json_object_get_boolean(v) ? 1 : 0;
}

/* Three significant digits; the units are those pz_parse_size() reads
 * (K = 1024). */
char *format_short(uint64_t bytes, char *buf, size_t len)
{
	static const char units[] = "BKMGTPE";
	double v = (double)bytes;
	unsigned int u = 0;
	size_t l;
	int prec;

	if (!bytes) {
		snprintf(buf, len, "0");
		return buf;
	}
	if (bytes < 1024) {
		snprintf(buf, len, "%lluB", (unsigned long long)bytes);
		return buf;
	}
	while (v >= 1024 && u < 6) {
		v /= 1024;
		u++;
	}
	if (v >= 1023.5 && u < 6) {	/* would print as "1024" */
		v /= 1024;
		u++;
	}
	prec = v < 9.995 ? 2 : v < 99.95 ? 1 : 0;
	snprintf(buf, len, "%.*f", prec, v);
	if (strchr(buf, '.')) {
		char *p = buf + strlen(buf) - 1;

		while (*p == '0')
			*p-- = '\0';
		if (*p == '.')
			*p = '\0';
	}
	l = strlen(buf);
	snprintf(buf + l, len - l, "%c", units[u]);
	return buf;
}

char *format_rate(uint64_t rate, char *buf, size_t len)
{
	size_t l;

	format_short(rate, buf, len);
	l = strlen(buf);
	if (rate)
		snprintf(buf + l, len - l, "/s");
	return buf;
}

/* "256M", "1536K", "1000": exact, in the largest unit that divides it, so
 * that pz_parse_size() reads back the same number. */
static char *format_size_unit(uint64_t bytes, char *buf, size_t len)
{
	static const char units[] = "KMGTPE";
	uint64_t v = bytes;
	int u = -1;

	while (v && !(v % 1024) && u < 5) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%llu", (unsigned long long)v);
	else
		snprintf(buf, len, "%llu%c", (unsigned long long)v, units[u]);
	return buf;
}

char *format_duration(double secs, char *buf, size_t len)
{
	unsigned long long t = secs > 0 && secs < 1e15 ? (unsigned long long)secs : 0;
	unsigned long long d = t / 86400, h = t / 3600 % 24, m = t / 60 % 60;

	if (d)
		snprintf(buf, len, "%llud %lluh", d, h);
	else if (h)
		snprintf(buf, len, "%lluh %llum", h, m);
	else if (m)
		snprintf(buf, len, "%llum %llus", m, t % 60);
	else
		snprintf(buf, len, "%llus", t);
	return buf;
}

/* ---- caps ------------------------------------------------------------- */

/* The caps as JSON objects: caps --json, status's "module". */
static void caps_json(struct json_object *o, const struct pz_caps *c)
{
	char b1[64], b2[64];
	const char *fs = or_unknown(pz_fault_skip_name(c->fault_skip),
				    c->fault_skip, b1, sizeof(b1));
	const char *rep = or_unknown(pz_reporting_name(c->reporting),
				     c->reporting, b2, sizeof(b2));

#define JHAS(attr) PZ_HAS(c, PREZERO_A_CAPS_##attr)
	if (JHAS(RELEASE))
		jadd(o, "release", json_object_new_string(c->release));
	if (JHAS(MODULE_VERSION))
		jadd(o, "module_version",
		     json_object_new_string(c->module_version));
	if (JHAS(REPORTING_ORDER))
		jadd(o, "reporting_order",
		     json_object_new_int64(c->reporting_order));
	if (JHAS(FAULT_SKIP))
		jadd(o, "fault_skip", json_object_new_string(fs));
	if (JHAS(REPORTING))
		jadd(o, "reporting", json_object_new_string(rep));
	if (JHAS(INIT_ON_ALLOC))
		jadd(o, "init_on_alloc",
		     json_object_new_boolean(c->init_on_alloc));
	if (JHAS(INIT_ON_FREE))
		jadd(o, "init_on_free", json_object_new_boolean(c->init_on_free));
	if (JHAS(NR_NODES))
		jadd(o, "nr_nodes", json_object_new_int64(c->nr_nodes));
	if (JHAS(VERIFY_MAX_SAMPLES))
		jadd(o, "verify_max_samples",
		     json_object_new_int64(c->verify_max_samples));
	if (JHAS(BUDGET_MAX))
		jadd(o, "budget_max", json_object_new_uint64(c->budget_max));
#undef JHAS
}

static int cmd_caps(int argc, char **argv)
{
	struct pz_nl *nl;
	struct pz_caps c;
	struct pz_err e;
	char b1[64], b2[64], b3[64];
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

	if (opt_json) {
		struct json_object *o = json_object_new_object();

		caps_json(o, &c);
		return print_json(o, JSON_PRETTY);
	}

	const char *fs = or_unknown(pz_fault_skip_name(c.fault_skip),
				    c.fault_skip, b1, sizeof(b1));
	const char *rep = or_unknown(pz_reporting_name(c.reporting),
				     c.reporting, b2, sizeof(b2));

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
			       format_exact(block, b3, sizeof(b3)));
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
		       format_exact(c.budget_max, b3, sizeof(b3)),
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

static struct json_object *nodes_array(const struct pz_node *nodes, size_t n)
{
	struct json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_object_array_add(a, node_json(&nodes[i]));
	return a;
}

static struct json_object *nodes_json(const struct pz_node *nodes, size_t n)
{
	struct json_object *o = json_object_new_object();

	jadd(o, "nodes", nodes_array(nodes, n));
	return o;
}

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

table_cell *table_new(const char *const *hdr, size_t ncols, size_t rows)
{
	table_cell *cells = calloc((rows + 1) * ncols, sizeof(*cells));
	size_t c;

	if (!cells) {
		perror(prog);
		return NULL;
	}
	for (c = 0; c < ncols; c++)
		snprintf(cells[c], CELL, "%s", hdr[c]);
	return cells;
}

void print_table(table_cell *cells, size_t rows, size_t ncols,
		 const bool *left)
{
	size_t w[MAXCOLS] = { 0 };
	size_t r, c;

	for (r = 0; r < rows; r++)
		for (c = 0; c < ncols && c < MAXCOLS; c++)
			if (width(cells[r * ncols + c]) > w[c])
				w[c] = width(cells[r * ncols + c]);
	for (r = 0; r < rows; r++) {
		for (c = 0; c < ncols && c < MAXCOLS; c++) {
			const char *cell = cells[r * ncols + c];
			size_t cw = width(cell);
			bool last = c == ncols - 1;

			if (c)
				fputs("  ", stdout);
			if (left[c]) {
				fputs(cell, stdout);
				if (!last)
					pad(w[c] - cw);
			} else {
				pad(w[c] - cw);
				fputs(cell, stdout);
			}
		}
		putchar('\n');
	}
}

static const char *ge(void)
{
	return utf8 ? "\u2265" : ">=";
}

#define NCOLS 14

/* The module's own status: status without prezerod. */
static void print_status_table(const struct pz_node *nodes, size_t n)
{
	static const char *const hdr[NCOLS] = {
		"NODE", "ENABLED", "RATE/s", "BURST", "TOKENS", "FREE",
		"LARGE FREE", "ZEROED FREE", "ZEROED", "GiB/s", "REPORTS",
		"RETURNED", "EXHAUSTED", "SCRUBBED",
	};
	/* left-aligned columns: the yes/no ones */
	static const bool left[NCOLS] = { [1] = true, [13] = true };
	table_cell *cells = table_new(hdr, NCOLS, n);
	bool lower_bound = false;
	size_t r;

	if (!cells)
		return;
	for (r = 0; r < n; r++) {
		const struct pz_node *nd = &nodes[r];
		table_cell *row = cells + (r + 1) * NCOLS;
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
			snprintf(row[7], CELL, "%s%s", exact ? "" : ge(),
				 pz_format_size(nd->zeroed_free_bytes, tmp,
						sizeof(tmp)));
			if (!exact && HAS(FREE_LARGE_BYTES))
				snprintf(row[6], CELL, "%s%s", ge(),
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
	print_table(cells, n + 1, NCOLS, left);
	if (lower_bound)
		printf("%s: lower bound (the free-list walk was cut short)\n",
		       ge());
	free(cells);
}

/*
 * prezerod's status, above the table:
 *   prezerod 0.1.0: running, up 3h 12m (config /etc/prezero/prezerod.conf)
 *   module: prezero 0.1.0 on 6.1.0-56-amd64, reporting order 9, fault_skip: unsupported
 *   pressure: cpu 0.3%, memory 0.0%
 */
static void print_daemon_header(struct json_object *st)
{
	struct json_object *d = jget(st, "daemon");
	struct json_object *m = jget(st, "module");
	struct json_object *p = jget(st, "pressure");
	const char *state = jstr(d, "state");
	const char *s;
	char buf[64];
	double v, v2;

	s = jstr(d, "version");
	printf("prezerod %s: %s", s ? s : "?", state ? state : "?");
	s = jstr(d, "reason");
	if (state && strcmp(state, "running") && s && *s)
		printf(": %s", s);
	if (jnum(d, "uptime_s", &v))
		printf(", up %s", format_duration(v, buf, sizeof(buf)));
	s = jstr(d, "config");
	if (s)
		printf(" (%s%s)", *s ? "config " : "built-in defaults", s);
	putchar('\n');

	if (jbool(m, "loaded") != 1) {
		s = jstr(m, "reason");
		/* The reason adds something only when it is not just that. */
		if (s && *s && strcmp(s, "module not loaded"))
			printf("module: not loaded (%s)\n", s);
		else
			printf("module: not loaded\n");
	} else {
		s = jstr(m, "module_version");
		printf("module: prezero %s", s ? s : "?");
		s = jstr(m, "release");
		printf(" on %s", s ? s : "?");
		s = jstr(m, "reporting");
		if (s && strcmp(s, "registered"))
			printf(", reporting %s", s);
		else if (jnum(m, "reporting_order", &v))
			printf(", reporting order %.0f", v);
		s = jstr(m, "fault_skip");
		printf(", fault_skip: %s", s ? s : "-");
		if (jbool(m, "init_on_alloc") == 1)
			printf(", init_on_alloc on");
		putchar('\n');
	}

	if (jbool(p, "valid") != 1) {
		printf("pressure: unknown (no PSI)\n");
	} else {
		printf("pressure: ");
		if (jnum(p, "cpu_some_avg10", &v))
			printf("cpu %.1f%%", v);
		else
			printf("cpu -");
		if (jnum(p, "memory_some_avg10", &v))
			printf(", memory %.1f%%", v);
		else
			printf(", memory -");
		if (jnum(p, "memory_full_avg10", &v2) && v2 > 0)
			printf(" (full %.1f%%)", v2);
		if (jnum(p, "memory_hold_s", &v) && v > 0)
			printf(", no budget for %.0f s after a memory stall",
			       ceil(v));
		putchar('\n');
	}
}

#define DCOLS 10

/* prezerod's nodes: one row each, then what each is doing. */
static void print_daemon_nodes(struct json_object *nodes)
{
	static const char *const hdr[DCOLS] = {
		"NODE", "CPUS", "STATE", "IDLE", "FREE", "ZEROED", "RATE",
		"BUDGET", "CAP", "POOL",
	};
	static const bool left[DCOLS] = { [1] = true, [2] = true };
	size_t n = json_object_is_type(nodes, json_type_array) ?
		   json_object_array_length(nodes) : 0;
	table_cell *cells = table_new(hdr, DCOLS, n);
	bool lower_bound = false, overridden = false;
	size_t r;

	if (!cells)
		return;
	for (r = 0; r < n; r++) {
		struct json_object *nd = json_object_array_get_idx(nodes, r);
		struct json_object *mod = jget(nd, "module");
		struct json_object *ovr = jget(nd, "override");
		table_cell *row = cells + (r + 1) * DCOLS;
		char tmp[32];
		const char *s;
		uint64_t u;
		double v;

		if (ju64(nd, "id", &u))
			snprintf(row[0], CELL, "%llu", (unsigned long long)u);
		else
			snprintf(row[0], CELL, "-");
		s = jstr(nd, "cpus");
		snprintf(row[1], CELL, "%s", s && *s ? s : "-");
		s = jstr(nd, "state");
		snprintf(row[2], CELL, "%s", s ? s : "-");
		if (jnum(nd, "idle_pct", &v))
			snprintf(row[3], CELL, "%.0f%%", v);
		else
			snprintf(row[3], CELL, "-");
		snprintf(row[4], CELL, "%s", ju64(nd, "free_bytes", &u) ?
			 format_short(u, tmp, sizeof(tmp)) : "-");
		if (ju64(mod, "zeroed_free_bytes", &u)) {
			bool exact = jbool(mod, "zeroed_free_exact") != 0;

			if (!exact)
				lower_bound = true;
			snprintf(row[5], CELL, "%s%s", exact ? "" : ge(),
				 format_short(u, tmp, sizeof(tmp)));
		} else {
			snprintf(row[5], CELL, "-");
		}
		if (jnum(nd, "zero_rate", &v) && v >= 0 && v < 1e19)
			format_rate((uint64_t)llround(v), row[6], CELL);
		else
			snprintf(row[6], CELL, "-");
		if (ju64(nd, "budget_rate", &u) && u)
			format_rate(u, row[7], CELL);
		else
			snprintf(row[7], CELL, "-");
		if (ju64(nd, "cap_rate", &u))
			format_rate(u, tmp, sizeof(tmp));
		else
			snprintf(tmp, sizeof(tmp), "-");
		if (json_object_is_type(ovr, json_type_object) &&
		    json_object_object_length(ovr)) {
			overridden = true;
			snprintf(row[8], CELL, "%s*", tmp);
		} else {
			snprintf(row[8], CELL, "%s", tmp);
		}
		pool_cell(nd, row[9], CELL);
	}
	print_table(cells, n + 1, DCOLS, left);
	free(cells);
	if (lower_bound)
		printf("%s: lower bound (the free-list walk was cut short)\n",
		       ge());
	if (overridden)
		printf("*: runtime override ('prezeroctl config show')\n");
	for (r = 0; r < n; r++) {
		struct json_object *nd = json_object_array_get_idx(nodes, r);
		const char *reason = jstr(nd, "reason");
		uint64_t id;

		if (reason && *reason && ju64(nd, "id", &id))
			printf("node %llu: %s\n", (unsigned long long)id,
			       reason);
	}
}

/* Without prezerod: the module's own view. */
static int module_status(bool one_node, uint32_t id)
{
	struct pz_node *nodes = NULL, one;
	struct pz_caps caps;
	struct pz_nl *nl;
	struct pz_err e;
	size_t n = 0;
	int ret;

	ret = open_nl(&nl, "status");
	if (ret)
		return ret;
	if (one_node) {
		ret = pz_nl_get_node(nl, id, &one, &e);
		nodes = &one;
		n = 1;
	} else {
		ret = pz_nl_dump_nodes_array(nl, &nodes, &n, &e);
	}
	if (ret >= 0 && opt_json)
		ret = pz_nl_get_caps(nl, &caps, &e);
	pz_nl_close(nl);
	if (ret < 0) {
		if (nodes != &one)
			free(nodes);
		return op_error("status", NULL, &e);
	}
	if (opt_json) {
		/*
		 * prezerod's shape as far as the module alone fills it, but
		 * no "daemon" member (scripts test for it) and the nodes are
		 * the module's node objects, as before prezerod.
		 */
		struct json_object *o = json_object_new_object();
		struct json_object *m = json_object_new_object();

		jadd(m, "loaded", json_object_new_boolean(1));
		caps_json(m, &caps);
		jadd(o, "module", m);
		jadd(o, "nodes", nodes_array(nodes, n));
		print_json(o, JSON_PRETTY);
	} else {
		printf("prezerod: not running\n");
		print_status_table(nodes, n);
	}
	if (nodes != &one)
		free(nodes);
	return EXIT_OK;
}

static int cmd_status(int argc, char **argv)
{
	struct json_object *req, *reply;
	bool no_daemon = false;
	uint32_t id = 0;
	int ret;

	if (argc > 2)
		return usage_error("status", "unexpected argument '%s'", argv[2]);
	if (argc == 2 && !parse_node(argv[1], &id))
		return usage_error("status", "invalid node '%s'", argv[1]);
	req = pz_ctl_request("status");
	if (req && argc == 2)
		jadd(req, "node", json_object_new_int64(id));
	ret = daemon_call("status", req, &reply, &no_daemon);
	if (ret)
		return ret;
	if (no_daemon)
		return module_status(argc == 2, id);
	if (opt_json)
		return print_json(reply, JSON_PRETTY);
	print_daemon_header(reply);
	putchar('\n');
	print_daemon_nodes(jget(reply, "nodes"));
	print_pool_notes(reply);
	json_object_put(reply);
	return EXIT_OK;
}

/* ---- budget, enable, disable ------------------------------------------ */

/*
 * prezerod sets every node's budget at each change of state, so a budget
 * set by hand would not last: refuse while it runs, unless --force.
 */
static int check_no_daemon(const char *cmd)
{
	struct pz_ctl *c;
	int ret;

	if (opt_force)
		return EXIT_OK;
	ret = pz_ctl_connect(socket_path(), PZ_CTL_TIMEOUT_MS, &c);
	if (pz_ctl_no_daemon(ret))
		return EXIT_OK;
	pz_ctl_close(c);
	if (ret == 0 || ret == -ETIMEDOUT) {
		/* a full accept queue is a daemon too */
		fprintf(stderr, "%s: %s: prezerod is running and manages budgets; use 'prezeroctl node N %s' (or stop prezerod)\n",
			prog, cmd, strcmp(cmd, "budget") ? cmd : "cap RATE");
		return EXIT_FAIL;
	}
	fprintf(stderr, "%s: %s: cannot tell whether prezerod is running (%s: %s); --force goes ahead anyway\n",
		prog, cmd, socket_path(), strerror(-ret));
	return EXIT_FAIL;
}

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
	ret = check_no_daemon(cmd);
	if (ret)
		return ret;
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

static int parse_budget_size(const char *cmd, const char *what,
			     const char *arg, uint64_t *v)
{
	const char *why;
	char max[32];
	int r = pz_parse_size(arg, PREZERO_BUDGET_MAX, v, &why);

	if (r == -ERANGE)
		return usage_error(cmd, "%s '%s' is too large (at most %s)",
				   what, arg,
				   format_exact(PREZERO_BUDGET_MAX, max,
						sizeof(max)));
	if (r < 0)
		return usage_error(cmd, "invalid %s '%s': %s", what, arg, why);
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
	ret = parse_budget_size("budget", "rate", argv[2], &set.budget_rate);
	if (ret)
		return ret;
	if (argc == 4) {
		ret = parse_budget_size("budget", "burst", argv[3],
					&set.budget_burst);
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

/* ---- config show ------------------------------------------------------ */

static bool ends_with(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && !strcmp(s + ls - lx, suffix);
}

/* Keys whose integers are byte counts (or bytes/s), shown as "256M". */
static bool size_key(const char *key)
{
	return !strcmp(key, "rate") || !strcmp(key, "burst") ||
	       ends_with(key, "_rate") || ends_with(key, "_burst") ||
	       ends_with(key, "_bytes");
}

/* A value as prezerod.conf(5) writes it. */
static void print_conf_value(const char *key, struct json_object *v)
{
	char buf[32];

	switch (json_object_get_type(v)) {
	case json_type_boolean:
		fputs(json_object_get_boolean(v) ? "true" : "false", stdout);
		break;
	case json_type_int:
		if (size_key(key) && json_object_get_int64(v) >= 0)
			fputs(format_size_unit(json_object_get_uint64(v), buf,
					       sizeof(buf)), stdout);
		else
			fputs(json_object_get_string(v), stdout);
		break;
	case json_type_double:
		printf("%.15g", json_object_get_double(v));
		break;
	case json_type_string:
		fputs(json_object_get_string(v), stdout);
		break;
	case json_type_null:
		break;
	default:
		fputs(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN),
		      stdout);
		break;
	}
}

/* "enabled = false, rate = 128M" (all members but skip); the count. */
static int print_assignments(struct json_object *o, const char *skip)
{
	int n = 0;

	if (!json_object_is_type(o, json_type_object))
		return 0;
	json_object_object_foreach(o, key, v) {
		if (skip && !strcmp(key, skip))
			continue;
		printf("%s%s = ", n++ ? ", " : "", key);
		print_conf_value(key, v);
	}
	return n;
}

/* The config as an INI file prezerod could read, then the overrides. */
static void print_config(struct json_object *reply)
{
	struct json_object *conf = jget(reply, "config");
	struct json_object *ovr = jget(reply, "overrides");
	const char *path = jstr(reply, "path");
	size_t i, n;

	if (path && *path)
		printf("# %s, as prezerod uses it (defaults included)\n", path);
	else
		printf("# prezerod's built-in defaults (it read no file)\n");
	if (json_object_is_type(conf, json_type_object)) {
		json_object_object_foreach(conf, section, keys) {
			printf("\n[%s]\n", section);
			if (!json_object_is_type(keys, json_type_object))
				continue;
			json_object_object_foreach(keys, key, v) {
				printf("%s = ", key);
				print_conf_value(key, v);
				putchar('\n');
			}
		}
	}
	n = json_object_is_type(ovr, json_type_array) ?
	    json_object_array_length(ovr) : 0;
	if (!n) {
		printf("\n# no runtime overrides\n");
		return;
	}
	printf("\n# runtime overrides (prezeroctl node; kept across reload, lost on restart):\n");
	for (i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(ovr, i);
		uint64_t id;

		if (ju64(o, "node", &id))
			printf("#   node %llu: ", (unsigned long long)id);
		else
			printf("#   node ?: ");
		if (!print_assignments(o, "node"))
			printf("-");
		putchar('\n');
	}
}

static int cmd_config(int argc, char **argv)
{
	struct json_object *reply;
	int ret;

	if (argc < 2)
		return usage_error("config", "usage: config show");
	if (strcmp(argv[1], "show"))
		return usage_error("config", "unknown subcommand '%s' (show)",
				   argv[1]);
	if (argc > 2)
		return usage_error("config", "unexpected argument '%s'", argv[2]);
	ret = daemon_call("config", pz_ctl_request("config-show"), &reply,
			  NULL);
	if (ret)
		return ret;
	if (opt_json)
		return print_json(reply, JSON_PRETTY);
	print_config(reply);
	json_object_put(reply);
	return EXIT_OK;
}

/* ---- node ------------------------------------------------------------- */

/* "node 1: cap 128M/s, burst 256M; override: rate = 128M" */
static void print_node_set(struct json_object *nd)
{
	char b1[32], b2[32];
	uint64_t u;

	if (ju64(nd, "id", &u))
		printf("node %llu: ", (unsigned long long)u);
	else
		printf("node ?: ");
	printf("cap %s", ju64(nd, "cap_rate", &u) ?
	       format_rate(u, b1, sizeof(b1)) : "-");
	printf(", burst %s; override: ", ju64(nd, "cap_burst", &u) ?
	       format_short(u, b2, sizeof(b2)) : "-");
	if (!print_assignments(jget(nd, "override"), NULL))
		printf("none");
	putchar('\n');
}

static int cmd_node(int argc, char **argv)
{
	static const char usage[] =
		"usage: node NODE|all enable|disable|reset|cap RATE [BURST]";
	struct json_object *req, *reply, *nodes;
	uint64_t rate = 0, burst = 0;
	const char *act;
	uint32_t id = 0;
	size_t i, n;
	bool all;
	int ret;

	if (argc < 3)
		return usage_error("node", "%s", usage);
	all = !strcmp(argv[1], "all");
	if (!all && !parse_node(argv[1], &id))
		return usage_error("node", "invalid node '%s' (a number or 'all')",
				   argv[1]);
	act = argv[2];
	if (!strcmp(act, "cap")) {
		if (argc < 4)
			return usage_error("node", "usage: node NODE|all cap RATE [BURST]");
		if (argc > 5)
			return usage_error("node", "unexpected argument '%s'",
					   argv[5]);
		ret = parse_budget_size("node", "rate", argv[3], &rate);
		if (!ret && argc == 5)
			ret = parse_budget_size("node", "burst", argv[4],
						&burst);
		if (ret)
			return ret;
	} else if (!strcmp(act, "enable") || !strcmp(act, "disable") ||
		   !strcmp(act, "reset")) {
		if (argc > 3)
			return usage_error("node", "unexpected argument '%s'",
					   argv[3]);
	} else {
		return usage_error("node", "unknown action '%s' (enable, disable, reset or cap)",
				   act);
	}

	req = pz_ctl_request("node-set");
	if (req) {
		jadd(req, "node", all ? json_object_new_string("all") :
					json_object_new_int64(id));
		if (!strcmp(act, "cap")) {
			/* without BURST prezerod applies the default rule */
			jadd(req, "rate", json_object_new_uint64(rate));
			if (argc == 5)
				jadd(req, "burst", json_object_new_uint64(burst));
		} else if (!strcmp(act, "reset")) {
			jadd(req, "reset", json_object_new_boolean(1));
		} else {
			jadd(req, "enabled",
			     json_object_new_boolean(!strcmp(act, "enable")));
		}
	}
	ret = daemon_call("node", req, &reply, NULL);
	if (ret)
		return ret;
	if (opt_json)
		return print_json(reply, JSON_PRETTY);
	nodes = jget(reply, "nodes");
	n = json_object_is_type(nodes, json_type_array) ?
	    json_object_array_length(nodes) : 0;
	for (i = 0; i < n; i++)
		print_node_set(json_object_array_get_idx(nodes, i));
	json_object_put(reply);
	return EXIT_OK;
}

/* ---- reload ----------------------------------------------------------- */

static int cmd_reload(int argc, char **argv)
{
	struct json_object *reply;
	const char *path;
	int ret;

	if (argc > 1)
		return usage_error("reload", "unexpected argument '%s'", argv[1]);
	ret = daemon_call("reload", pz_ctl_request("reload"), &reply, NULL);
	if (ret)
		return ret;
	if (opt_json)
		return print_json(reply, JSON_PRETTY);
	path = jstr(reply, "config");
	if (path && *path)
		printf("prezerod: reloaded %s\n", path);
	else
		printf("prezerod: reloaded (built-in defaults)\n");
	json_object_put(reply);
	return EXIT_OK;
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
			if (pz_parse_uint(optarg, 1, PREZERO_VERIFY_MAX_SAMPLES,
					  &samples) < 0)
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
			if (pz_parse_uint(optarg, 1, ULONG_MAX, &count) < 0)
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
		deadline = pz_mono_ms() + (int64_t)(timeout * 1000.0 + 0.5);
	ret = EXIT_OK;
	while (!count || got < count) {
		struct pz_event ev;
		int wait = -1, r;

		if (deadline >= 0) {
			int64_t left = deadline - pz_mono_ms();

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
		{ "socket", required_argument, NULL, 'S' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd;
	bool forceable;
	int c, ret;

	setlocale(LC_CTYPE, "");
	utf8 = !strcmp(nl_langinfo(CODESET), "UTF-8");
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			opt_json = true;
			break;
		case 'S':
			if (!*optarg)
				return usage_error(NULL, "--socket needs a path");
			opt_socket = optarg;
			break;
		case 'f':
			opt_force = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_OK;
		case 'V':
			printf("prezeroctl %s (generic netlink family \"%s\", version %d)\n",
			       PREZERO_VERSION, PREZERO_FAMILY_NAME,
			       PREZERO_FAMILY_VERSION);
			return EXIT_OK;
		case ':':
			return usage_error(NULL, "option '%s' needs a value",
					   argv[optind - 1]);
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
	/* --json (and --force) are also accepted after the command
	 * ("status 0 --json"); verify, watch, pool, vm and xen parse them with
	 * their options (so that "--for --json" is a name). */
	forceable = !strcmp(cmd, "budget") || !strcmp(cmd, "enable") ||
		    !strcmp(cmd, "disable");
	if (strcmp(cmd, "verify") && strcmp(cmd, "watch") &&
	    strcmp(cmd, "pool") && strcmp(cmd, "vm") && strcmp(cmd, "xen")) {
		int i, j;

		for (i = j = 1; i < argc; i++) {
			if (!strcmp(argv[i], "--json"))
				opt_json = true;
			else if (!strcmp(argv[i], "--force"))
				opt_force = true;
			else
				argv[j++] = argv[i];
		}
		argc = j;
	}
	if (opt_force && !forceable)
		return usage_error(cmd, "--force applies only to budget, enable and disable");

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
	else if (!strcmp(cmd, "config"))
		ret = cmd_config(argc, argv);
	else if (!strcmp(cmd, "node"))
		ret = cmd_node(argc, argv);
	else if (!strcmp(cmd, "reload"))
		ret = cmd_reload(argc, argv);
	else if (!strcmp(cmd, "pool"))
		ret = cmd_pool(argc, argv);
	else if (!strcmp(cmd, "vm"))
		ret = cmd_vm(argc, argv);
	else if (!strcmp(cmd, "xen"))
		ret = cmd_xen(argc, argv);
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
