// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/*
 * prezeroctl xen: the Xen guests prezerod tracks on a dom0 and their
 * exclude lists (proto/xen-exclude.md): "xen list", "xen exclude DOM";
 * "xen filter-core" is in prezeroctl_xencore.c.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "ctl.h"
#include "number.h"
#include "prezeroctl.h"
#include "size.h"
#include "xenexclude.h"

/* Domain ids below Xen's DOMID_FIRST_RESERVED (0x7ff0). */
#define DOMID_MAX 0x7fefUL

/* --json only; the rest are arguments. */
static int parse_opts(const char *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (c == 'j')
			opt_json = true;
		else
			return usage_error(cmd, "unknown option '%s'",
					   argv[optind - 1]);
	}
	return EXIT_OK;
}

static char *size_cell(struct json_object *o, const char *key, char *buf,
		       size_t len)
{
	uint64_t u;

	if (!ju64(o, key, &u))
		return strcpy(buf, "-");
	return format_short(u, buf, len);
}

static void print_state(struct json_object *xen)
{
	const char *state = jstr(xen, "state");
	const char *reason = jstr(xen, "reason");

	printf("xen: %s", state ? state : "-");
	if (reason && *reason)
		printf(" (%s)", reason);
	putchar('\n');
}

static void dom_row(struct json_object *d, table_cell *row)
{
	struct json_object *ex = jget(d, "exclude");
	const char *s;
	uint64_t u;
	int b;

	if (ju64(d, "domid", &u))
		snprintf(row[0], CELL, "%llu", (unsigned long long)u);
	else
		strcpy(row[0], "-");
	s = jstr(d, "name");
	snprintf(row[1], CELL, "%s", s && *s ? s : "-");
	s = jstr(d, "type");
	snprintf(row[2], CELL, "%s", s ? s : "-");
	size_cell(d, "target_bytes", row[3], CELL);
	size_cell(d, "current_bytes", row[4], CELL);
	size_cell(d, "static_max_bytes", row[5], CELL);
	size_cell(d, "ballooned_bytes", row[6], CELL);
	b = jbool(d, "settled");
	snprintf(row[7], CELL, "%s", b < 0 ? "-" : b ? "yes" : "no");
	if (ex && ju64(ex, "excluded_frames", &u)) {
		format_short(u * 4096, row[8], CELL);
		if (jbool(ex, "complete") == 0)
			strncat(row[8], "+", CELL - strlen(row[8]) - 1);
	} else {
		strcpy(row[8], jbool(d, "scanning") == 1 ? "scanning" : "-");
	}
	if (ex && ju64(ex, "generation", &u))
		snprintf(row[9], CELL, "%llu", (unsigned long long)u);
	else
		strcpy(row[9], "-");
}

static int xen_list(int argc, char **argv)
{
	static const char cmd[] = "xen list";
	static const char *const hdr[] = {
		"DOMID", "NAME", "TYPE", "TARGET", "CURRENT", "STATIC-MAX",
		"BALLOONED", "SETTLED", "EXCLUDED", "GEN",
	};
	static const bool left[] = {
		false, true, true, false, false, false, false, true, false,
		false,
	};
	struct json_object *reply, *doms;
	table_cell *cells;
	size_t n;
	int ret;

	ret = parse_opts(cmd, argc, argv);
	if (ret)
		return ret;
	if (optind < argc)
		return usage_error(cmd, "unexpected argument '%s'",
				   argv[optind]);
	ret = daemon_call(cmd, pz_ctl_request("xen-list"), &reply, NULL);
	if (ret)
		return ret;
	if (opt_json)
		return print_json(reply, JSON_PRETTY);
	print_state(jget(reply, "xen"));
	doms = jget(reply, "domains");
	n = json_object_is_type(doms, json_type_array) ?
	    json_object_array_length(doms) : 0;
	if (n) {
		cells = table_new(hdr, 10, n);
		if (!cells) {
			json_object_put(reply);
			return EXIT_FAIL;
		}
		for (size_t i = 0; i < n; i++)
			dom_row(json_object_array_get_idx(doms, i),
				cells + (i + 1) * 10);
		putchar('\n');
		print_table(cells, n + 1, 10, left);
		free(cells);
		/* Why a guest has no list (or an incomplete one). */
		for (size_t i = 0; i < n; i++) {
			struct json_object *d = json_object_array_get_idx(doms, i);
			const char *note = jstr(d, "note");
			uint64_t u = 0;

			if (note && ju64(d, "domid", &u))
				printf("domain %llu: %s\n",
				       (unsigned long long)u, note);
		}
	} else if (!strcmp(jstr(jget(reply, "xen"), "state") ?: "", "active")) {
		printf("no guests\n");
	}
	json_object_put(reply);
	return EXIT_OK;
}

/*
 * A list longer than a reply carries (PZ_EXCLUDE_REPLY_RANGES) comes with
 * "ranges": null: its ranges are read from the published file, which must
 * hold the same domain and generation.
 */
static int ranges_from_file(const char *cmd, struct json_object *r,
			    struct pz_ranges *rs)
{
	struct pz_exclude_hdr h;
	const char *path = jstr(r, "path");
	uint64_t domid = 0, gen = 0;
	char err[PATH_MAX + 256];

	if (!path || !ju64(r, "domid", &domid) || !ju64(r, "generation", &gen)) {
		fprintf(stderr, "%s: %s: the reply has no ranges and no file to read them from\n",
			prog, cmd);
		return EXIT_FAIL;
	}
	if (pz_exclude_read_file(path, &h, rs, err, sizeof(err))) {
		fprintf(stderr, "%s: %s: %s\n", prog, cmd, err);
		return EXIT_FAIL;
	}
	if (h.domid != domid || h.generation != gen) {
		fprintf(stderr, "%s: %s: %s holds domain %u generation %llu, prezerod answered for domain %llu generation %llu: the list changed, run again\n",
			prog, cmd, path, h.domid,
			(unsigned long long)h.generation,
			(unsigned long long)domid, (unsigned long long)gen);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static int print_exclude(const char *cmd, struct json_object *r)
{
	struct json_object *ranges = NULL;
	struct pz_ranges rs;
	const char *s;
	char buf[64], tbuf[64];
	uint64_t u, page = 4096, scanned = 0, excl = 0;
	bool in_reply;
	size_t n;
	time_t t;
	int ret;

	/* A reply without "ranges" is no list at all; null: in the file. */
	pz_ranges_init(&rs, 0);
	if (!json_object_object_get_ex(r, "ranges", &ranges)) {
		fprintf(stderr, "%s: %s: the reply has no ranges\n", prog, cmd);
		return EXIT_FAIL;
	}
	in_reply = ranges != NULL;
	if (in_reply && !json_object_is_type(ranges, json_type_array)) {
		fprintf(stderr, "%s: %s: the reply's ranges are not a list\n",
			prog, cmd);
		return EXIT_FAIL;
	}
	if (!in_reply) {
		ret = ranges_from_file(cmd, r, &rs);
		if (ret) {
			pz_ranges_free(&rs);
			return ret;
		}
	}
	n = in_reply ? json_object_array_length(ranges) : rs.n;

	ju64(r, "page_size", &page);
	if (ju64(r, "domid", &u))
		printf("domain %llu", (unsigned long long)u);
	else
		printf("domain -");
	s = jstr(r, "name");
	if (s && *s)
		printf(" (%s)", s);
	s = jstr(r, "type");
	printf(", %s", s ? s : "-");
	s = jstr(r, "uuid");
	if (s && *s)
		printf(", uuid %s", s);
	putchar('\n');
	if (ju64(r, "generation", &u))
		printf("generation %llu", (unsigned long long)u);
	else
		printf("generation -");
	if (ju64(r, "time", &u)) {
		struct tm tm;

		t = (time_t)u;
		if (localtime_r(&t, &tm) &&
		    strftime(tbuf, sizeof(tbuf), "%Y-%m-%d %H:%M:%S", &tm))
			printf(", scanned %s", tbuf);
	}
	printf(", page size %llu\n", (unsigned long long)page);
	ju64(r, "scanned_frames", &scanned);
	ju64(r, "excluded_frames", &excl);
	printf("frames [0, %#llx) examined (%s), ",
	       (unsigned long long)scanned,
	       pz_format_size(scanned * page, buf, sizeof(buf)));
	printf("%#llx excluded (%s) in %zu ranges%s\n",
	       (unsigned long long)excl,
	       pz_format_size(excl * page, tbuf, sizeof(tbuf)), n,
	       jbool(r, "complete") == 0 ?
	       "; incomplete: frames not listed may be unpopulated too" : "");
	s = jstr(r, "path");
	if (s)
		printf("file %s\n", s);
	if (n) {
		putchar('\n');
		printf("%-18s  %-18s  %s\n", "START", "END", "SIZE");
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t a = 0, b = 0;

		if (in_reply) {
			struct json_object *p =
				json_object_array_get_idx(ranges, i);

			if (json_object_is_type(p, json_type_array) &&
			    json_object_array_length(p) == 2) {
				a = json_object_get_uint64(
					json_object_array_get_idx(p, 0));
				b = json_object_get_uint64(
					json_object_array_get_idx(p, 1));
			}
		} else {
			a = rs.r[i].start;
			b = rs.r[i].end;
		}
		printf("%#-18llx  %#-18llx  %s\n", (unsigned long long)a,
		       (unsigned long long)b,
		       format_short(b > a ? (b - a) * page : 0, buf,
				    sizeof(buf)));
	}
	pz_ranges_free(&rs);
	return EXIT_OK;
}

static int xen_exclude(int argc, char **argv)
{
	static const char cmd[] = "xen exclude";
	struct json_object *req, *reply;
	unsigned long domid = 0;
	const char *dom;
	bool digits;
	int ret;

	ret = parse_opts(cmd, argc, argv);
	if (ret)
		return ret;
	if (optind >= argc)
		return usage_error(cmd, "usage: xen exclude DOM [--json] (a domain id or name)");
	if (optind + 1 < argc)
		return usage_error(cmd, "unexpected argument '%s'",
				   argv[optind + 1]);
	dom = argv[optind];
	if (!*dom)
		return usage_error(cmd, "DOM must be a domain id or name");
	/* Digits are a domid (xl refuses names of digits only). */
	digits = strspn(dom, "0123456789") == strlen(dom);
	if (digits && pz_parse_uint(dom, 0, DOMID_MAX, &domid))
		return usage_error(cmd, "domain id %s is out of range 0-%lu",
				   dom, DOMID_MAX);
	req = pz_ctl_request("xen-exclude");
	if (req)
		jadd(req, "dom", digits ?
		     json_object_new_int64((int64_t)domid) :
		     json_object_new_string(dom));
	ret = daemon_call(cmd, req, &reply, NULL);
	if (ret)
		return ret;
	if (opt_json)
		return print_json(reply, JSON_PRETTY);
	ret = print_exclude(cmd, reply);
	json_object_put(reply);
	return ret;
}

int cmd_xen(int argc, char **argv)
{
	if (argc < 2)
		return usage_error("xen", "usage: xen list|exclude|filter-core ...");
	if (!strcmp(argv[1], "list"))
		return xen_list(argc - 1, argv + 1);
	if (!strcmp(argv[1], "exclude"))
		return xen_exclude(argc - 1, argv + 1);
	if (!strcmp(argv[1], "filter-core"))
		return cmd_xen_filter_core(argc - 1, argv + 1);
	return usage_error("xen", "unknown subcommand '%s' (list, exclude or filter-core)",
			   argv[1]);
}
