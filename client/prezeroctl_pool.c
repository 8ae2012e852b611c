// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/*
 * prezeroctl's warm pool commands over prezerod's control socket
 * (proto/control.md, "The warm pool"): pool [status], pool claim, and
 * vm reserve, unreserve, release and prepare; and the pool's part of
 * status. Every value is checked here before anything is sent, so a usage
 * error (exit 2) never reaches the daemon.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "ctlargs.h"
#include "number.h"
#include "prezeroctl.h"
#include "size.h"

/* The longest --ttl prezerod takes: 2^32 s, 136 years. */
#define TTL_MAX (UINT64_C(1) << 32)

/* What every command's option loop ends with: --json, or the error. */
static int common_option(const char *cmd, int c, char **argv)
{
	if (c == 'j') {
		opt_json = true;
		return EXIT_OK;
	}
	if (c == ':')
		return usage_error(cmd, "option '%s' needs a value",
				   argv[optind - 1]);
	return usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
}

/* After the options of a command without arguments. */
static int no_arguments(const char *cmd, int argc, char **argv)
{
	if (optind < argc)
		return usage_error(cmd, "unexpected argument '%s'",
				   argv[optind]);
	return EXIT_OK;
}

static int parse_size_opt(const char *cmd, const char *arg, uint64_t *size)
{
	const char *why;

	if (pz_parse_pool_size(arg, size, &why) < 0)
		return usage_error(cmd, "invalid --size '%s': %s", arg, why);
	return EXIT_OK;
}

/* A VM name: --for NAME, vm release NAME. */
static int parse_name(const char *cmd, const char *what, const char *arg,
		      const char **name)
{
	const char *why;

	if (pz_check_vm_name(arg, &why) < 0)
		return usage_error(cmd, "invalid %s '%s': %s (a VM name: 1-%d bytes, no '/')",
				   what, arg, why, PZ_VM_NAME_MAX);
	*name = arg;
	return EXIT_OK;
}

/* A rate that prezerod may send as a fraction. */
static bool jrate(struct json_object *o, const char *key, uint64_t *out)
{
	double v;

	if (!jnum(o, key, &v) || !(v >= 0) || v >= 1e19)
		return false;
	*out = (uint64_t)llround(v);
	return true;
}

static char *short_or_dash(struct json_object *o, const char *key, char *buf,
			   size_t len)
{
	uint64_t u;

	if (ju64(o, key, &u))
		return format_short(u, buf, len);
	snprintf(buf, len, "-");
	return buf;
}

static char *num_or_dash(struct json_object *o, const char *key, char *buf,
			 size_t len)
{
	uint64_t u;

	if (ju64(o, key, &u))
		snprintf(buf, len, "%llu", (unsigned long long)u);
	else
		snprintf(buf, len, "-");
	return buf;
}

/* A name in a table cell; a longer one is cut, and "..." says so (--json
 * has it whole). */
static void name_cell(char *cell, const char *name)
{
	size_t n = strlen(name), cut;

	if (n < CELL) {
		memcpy(cell, name, n + 1);
		return;
	}
	cut = CELL - 4;
	/* not inside a UTF-8 sequence */
	while (cut && ((unsigned char)name[cut] & 0xc0) == 0x80)
		cut--;
	memcpy(cell, name, cut);
	memcpy(cell + cut, "...", 4);
}

/* ---- the pool's part of status ------------------------------------------ */

char *pool_cell(struct json_object *node, char *buf, size_t len)
{
	struct json_object *pool = jget(node, "pool");
	char ready[CELL], target[CELL];

	if (!json_object_is_type(pool, json_type_object)) {
		snprintf(buf, len, "-");
		return buf;
	}
	snprintf(buf, len, "%s/%s",
		 short_or_dash(pool, "bytes", ready, sizeof(ready)),
		 short_or_dash(pool, "target_bytes", target, sizeof(target)));
	return buf;
}

/* The node is in the array of node objects (status NODE shows one). */
static bool node_listed(struct json_object *nodes, uint64_t id)
{
	size_t i, n = json_object_is_type(nodes, json_type_array) ?
		      json_object_array_length(nodes) : 0;
	uint64_t u;

	for (i = 0; i < n; i++)
		if (ju64(json_object_array_get_idx(nodes, i), "id", &u) &&
		    u == id)
			return true;
	return false;
}

#define RCOLS 6

/*
 * The reservations (of the nodes in nodes, or all when nodes is NULL) as
 * a table under the line "reservations:" (after a blank line if gap);
 * nothing when there is none. Returns how many were shown.
 */
static size_t print_reservations(struct json_object *pool,
				 struct json_object *nodes, bool gap)
{
	static const char *const hdr[RCOLS] = {
		"ID", "NODE", "SIZE", "FOR", "STATE", "EXPIRES",
	};
	static const bool left[RCOLS] = { [3] = true, [4] = true };
	struct json_object *res = jget(pool, "reservations");
	size_t n = json_object_is_type(res, json_type_array) ?
		   json_object_array_length(res) : 0;
	table_cell *cells = table_new(hdr, RCOLS, n);
	size_t i, rows = 1;

	if (!cells)
		return 0;
	for (i = 0; i < n; i++) {
		struct json_object *r = json_object_array_get_idx(res, i);
		table_cell *row = cells + rows * RCOLS;
		const char *s;
		uint64_t node;
		double v;

		if (ju64(r, "node", &node) && nodes && !node_listed(nodes, node))
			continue;
		num_or_dash(r, "id", row[0], CELL);
		num_or_dash(r, "node", row[1], CELL);
		short_or_dash(r, "size", row[2], CELL);
		s = jstr(r, "for");
		name_cell(row[3], s ? s : "-");
		s = jstr(r, "state");
		snprintf(row[4], CELL, "%s", s ? s : "-");
		if (jnum(r, "expires_s", &v))
			format_duration(ceil(v), row[5], CELL);
		else if (json_object_is_type(jget(r, "expires_s"),
					     json_type_null))
			snprintf(row[5], CELL, "never");
		else
			snprintf(row[5], CELL, "-");
		rows++;
	}
	if (rows > 1) {
		printf("%sreservations:\n", gap ? "\n" : "");
		print_table(cells, rows, RCOLS, left);
	}
	free(cells);
	return rows - 1;
}

/* "pool: /dev/hugepages/prezero (hugetlbfs, 2 MiB pages)", or with the
 * reason when it is not usable. */
static void print_pool_header(struct json_object *pool)
{
	const char *dir = jstr(pool, "dir");
	const char *fs = jstr(pool, "fs");
	const char *state = jstr(pool, "state");
	const char *reason = jstr(pool, "reason");
	char buf[32];
	uint64_t page;

	printf("pool: %s", dir && *dir ? dir : "-");
	if (fs) {
		printf(" (%s", fs);
		if (ju64(pool, "page_size", &page) && page)
			printf(", %s pages", format_exact(page, buf,
							  sizeof(buf)));
		putchar(')');
	}
	if (!state || strcmp(state, "ok"))
		printf(": %s", state ? state : "unknown");
	if (state && strcmp(state, "ok") && reason && *reason)
		printf(": %s", reason);
	putchar('\n');
}

void print_pool_notes(struct json_object *status)
{
	struct json_object *pool = jget(status, "pool");
	struct json_object *nodes = jget(status, "nodes");
	const char *state = jstr(pool, "state");
	size_t i, n = json_object_is_type(nodes, json_type_array) ?
		      json_object_array_length(nodes) : 0;

	if (!json_object_is_type(pool, json_type_object))
		return;		/* a prezerod without a pool */
	if (!state || strcmp(state, "ok"))
		print_pool_header(pool);
	for (i = 0; i < n; i++) {
		struct json_object *nd = json_object_array_get_idx(nodes, i);
		struct json_object *p = jget(nd, "pool");
		const char *ps = jstr(p, "state");
		const char *reason = jstr(p, "reason");
		char rate[32];
		uint64_t id, u;

		/* full and idle are the normal states: nothing to say */
		if (!ps || !ju64(nd, "id", &id) ||
		    (strcmp(ps, "filling") && strcmp(ps, "releasing") &&
		     strcmp(ps, "waiting")))
			continue;
		/* "node 1: pool: filling 1.00 GiB at 256M/s" */
		printf("node %llu: pool: %s", (unsigned long long)id,
		       reason && *reason ? reason : ps);
		if (!strcmp(ps, "filling") && jrate(p, "fill_rate", &u))
			printf(" at %s/s", format_short(u, rate, sizeof(rate)));
		putchar('\n');
	}
	if (n)
		print_reservations(pool, nodes, true);
}

/* ---- pool [status] ------------------------------------------------------ */

#define PCOLS 10

static void print_pool_nodes(struct json_object *nodes)
{
	static const char *const hdr[PCOLS] = {
		"NODE", "STATE", "READY", "FILES", "FILLING", "TARGET",
		"RESERVED", "RATE", "RELEASED", "CLAIMS",
	};
	static const bool left[PCOLS] = { [1] = true };
	size_t n = json_object_is_type(nodes, json_type_array) ?
		   json_object_array_length(nodes) : 0;
	table_cell *cells = table_new(hdr, PCOLS, n);
	size_t r;

	if (!cells)
		return;
	for (r = 0; r < n; r++) {
		struct json_object *nd = json_object_array_get_idx(nodes, r);
		struct json_object *p = jget(nd, "pool");
		table_cell *row = cells + (r + 1) * PCOLS;
		const char *s = jstr(p, "state");
		uint64_t u;

		num_or_dash(nd, "id", row[0], CELL);
		snprintf(row[1], CELL, "%s", s ? s : "-");
		short_or_dash(p, "bytes", row[2], CELL);
		num_or_dash(p, "files", row[3], CELL);
		short_or_dash(p, "filling_bytes", row[4], CELL);
		short_or_dash(p, "target_bytes", row[5], CELL);
		short_or_dash(p, "reserved_bytes", row[6], CELL);
		if (jrate(p, "fill_rate", &u))
			format_rate(u, row[7], CELL);
		else
			snprintf(row[7], CELL, "-");
		short_or_dash(p, "released_bytes", row[8], CELL);
		num_or_dash(p, "claims", row[9], CELL);
	}
	print_table(cells, n + 1, PCOLS, left);
	free(cells);
	for (r = 0; r < n; r++) {
		struct json_object *nd = json_object_array_get_idx(nodes, r);
		const char *reason = jstr(jget(nd, "pool"), "reason");
		uint64_t id;

		if (reason && *reason && ju64(nd, "id", &id))
			printf("node %llu: %s\n", (unsigned long long)id,
			       reason);
	}
}

/* --json: {"pool": ..., "nodes": [{"id": .., "pool": ..}, ...]} */
static struct json_object *pool_json(struct json_object *status)
{
	struct json_object *o = json_object_new_object();
	struct json_object *a = json_object_new_array();
	struct json_object *nodes = jget(status, "nodes");
	size_t i, n = json_object_is_type(nodes, json_type_array) ?
		      json_object_array_length(nodes) : 0;

	if (!o || !a) {
		json_object_put(o);
		json_object_put(a);
		return NULL;
	}
	jadd(o, "pool", json_object_get(jget(status, "pool")));
	for (i = 0; i < n; i++) {
		struct json_object *nd = json_object_array_get_idx(nodes, i);
		struct json_object *e = json_object_new_object();

		if (!e)
			break;
		jadd(e, "id", json_object_get(jget(nd, "id")));
		jadd(e, "pool", json_object_get(jget(nd, "pool")));
		json_object_array_add(a, e);
	}
	jadd(o, "nodes", a);
	return o;
}

static int pool_status(const char *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct json_object *reply, *out;
	int c, ret;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		ret = common_option(cmd, c, argv);
		if (ret)
			return ret;
	}
	ret = no_arguments(cmd, argc, argv);
	if (ret)
		return ret;
	ret = daemon_call(cmd, pz_ctl_request("status"), &reply, NULL);
	if (ret)
		return ret;
	if (opt_json) {
		out = pool_json(reply);
		json_object_put(reply);
		if (!out)
			return no_memory();
		return print_json(out, JSON_PRETTY);
	}
	print_pool_header(jget(reply, "pool"));
	putchar('\n');
	print_pool_nodes(jget(reply, "nodes"));
	putchar('\n');
	if (!print_reservations(jget(reply, "pool"), NULL, false))
		printf("no reservations\n");
	json_object_put(reply);
	return EXIT_OK;
}

/* ---- pool claim --------------------------------------------------------- */

static int pool_claim(int argc, char **argv)
{
	static const char cmd[] = "pool claim";
	static const struct option opts[] = {
		{ "node", required_argument, NULL, 'n' },
		{ "size", required_argument, NULL, 's' },
		{ "to", required_argument, NULL, 't' },
		{ "owner", required_argument, NULL, 'o' },
		{ "mode", required_argument, NULL, 'm' },
		{ "for", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	const char *node_arg = NULL, *to = NULL, *name = NULL, *why;
	struct json_object *req, *reply;
	unsigned int mode = 0600;
	uint64_t size = 0, u;
	uid_t uid = 0;
	gid_t gid = 0;
	uint32_t node = 0;
	char buf[32], nbuf[32];
	int c, ret;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			node_arg = optarg;
			if (strcmp(optarg, "any") && !parse_node(optarg, &node))
				return usage_error(cmd, "invalid --node '%s' (a node number or 'any')",
						   optarg);
			break;
		case 's':
			ret = parse_size_opt(cmd, optarg, &size);
			if (ret)
				return ret;
			break;
		case 't':
			if (optarg[0] != '/')
				return usage_error(cmd, "--to '%s' is not an absolute path",
						   optarg);
			if (strlen(optarg) >= PATH_MAX)
				return usage_error(cmd, "--to is longer than %d bytes",
						   PATH_MAX - 1);
			to = optarg;
			break;
		case 'o':
			ret = pz_resolve_owner(optarg, &uid, &gid, &why);
			if (ret == -ENOMEM)
				return no_memory();
			if (ret < 0)
				return usage_error(cmd, "invalid --owner '%s': %s",
						   optarg, why);
			break;
		case 'm':
			if (pz_parse_mode(optarg, &mode, &why) < 0)
				return usage_error(cmd, "invalid --mode '%s': %s",
						   optarg, why);
			break;
		case 'f':
			ret = parse_name(cmd, "--for", optarg, &name);
			if (ret)
				return ret;
			break;
		default:
			ret = common_option(cmd, c, argv);
			if (ret)
				return ret;
			break;
		}
	}
	ret = no_arguments(cmd, argc, argv);
	if (ret)
		return ret;
	if (!node_arg)
		return usage_error(cmd, "missing --node (a node number or 'any')");
	if (!size)
		return usage_error(cmd, "missing --size");
	if (!to)
		return usage_error(cmd, "missing --to (the absolute path of the file to create)");

	req = pz_ctl_request("pool-claim");
	if (req) {
		jadd(req, "node", strcmp(node_arg, "any") ?
				  json_object_new_int64(node) :
				  json_object_new_string("any"));
		jadd(req, "size", json_object_new_uint64(size));
		jadd(req, "path", json_object_new_string(to));
		jadd(req, "uid", json_object_new_int64(uid));
		jadd(req, "gid", json_object_new_int64(gid));
		jadd(req, "mode", json_object_new_int64(mode));
		if (name)
			jadd(req, "for", json_object_new_string(name));
	}
	ret = daemon_call(cmd, req, &reply, NULL);
	if (ret)
		return ret;
	if (opt_json)
		return print_json(reply, JSON_PRETTY);
	/* "/var/lib/vm/web1.mem: 4.00 GiB from node 0" */
	if (jstr(reply, "path"))
		to = jstr(reply, "path");
	printf("%s: %s from node %s\n", to,
	       ju64(reply, "size", &u) ? pz_format_size(u, buf, sizeof(buf)) : "-",
	       num_or_dash(reply, "node", nbuf, sizeof(nbuf)));
	json_object_put(reply);
	return EXIT_OK;
}

int cmd_pool(int argc, char **argv)
{
	/* "pool", "pool --json": the status */
	if (argc < 2 || argv[1][0] == '-')
		return pool_status("pool", argc, argv);
	if (!strcmp(argv[1], "status"))
		return pool_status("pool status", argc - 1, argv + 1);
	if (!strcmp(argv[1], "claim"))
		return pool_claim(argc - 1, argv + 1);
	return usage_error("pool", "unknown subcommand '%s' (status or claim)",
			   argv[1]);
}

/* ---- vm reserve --------------------------------------------------------- */

/* "reservation 3: 4.00 GiB on node 0 for web1, waiting, expires in 5m 0s" */
static void print_reservation(struct json_object *r)
{
	const char *name = jstr(r, "for");
	const char *state = jstr(r, "state");
	char buf[32];
	uint64_t u;
	double v;

	printf("reservation %s: ", num_or_dash(r, "id", buf, sizeof(buf)));
	printf("%s on node ", ju64(r, "size", &u) ?
	       pz_format_size(u, buf, sizeof(buf)) : "-");
	printf("%s", num_or_dash(r, "node", buf, sizeof(buf)));
	if (name)
		printf(" for %s", name);
	else
		printf(" (any VM)");
	printf(", %s", state ? state : "-");
	if (jnum(r, "expires_s", &v))
		printf(", expires in %s", format_duration(ceil(v), buf,
							  sizeof(buf)));
	else
		printf(", no expiry");
	putchar('\n');
}

static int vm_reserve(int argc, char **argv)
{
	static const char cmd[] = "vm reserve";
	static const struct option opts[] = {
		{ "node", required_argument, NULL, 'n' },
		{ "size", required_argument, NULL, 's' },
		{ "for", required_argument, NULL, 'f' },
		{ "ttl", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct json_object *req, *reply;
	const char *name = NULL, *why;
	uint64_t size = 0, ttl = 0;
	bool have_node = false;
	uint32_t node = 0;
	int c, ret;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (!parse_node(optarg, &node))
				return usage_error(cmd, "invalid --node '%s' (a node number)",
						   optarg);
			have_node = true;
			break;
		case 's':
			ret = parse_size_opt(cmd, optarg, &size);
			if (ret)
				return ret;
			break;
		case 'f':
			ret = parse_name(cmd, "--for", optarg, &name);
			if (ret)
				return ret;
			break;
		case 't':
			ret = pz_parse_duration(optarg, TTL_MAX, &ttl, &why);
			if (ret == -ERANGE)
				return usage_error(cmd, "invalid --ttl '%s': longer than %llu seconds",
						   optarg, (unsigned long long)TTL_MAX);
			if (ret < 0)
				return usage_error(cmd, "invalid --ttl '%s': %s",
						   optarg, why);
			if (!ttl)
				return usage_error(cmd, "invalid --ttl '%s': must be more than 0 (leave it out for no expiry)",
						   optarg);
			break;
		default:
			ret = common_option(cmd, c, argv);
			if (ret)
				return ret;
			break;
		}
	}
	ret = no_arguments(cmd, argc, argv);
	if (ret)
		return ret;
	if (!have_node)
		return usage_error(cmd, "missing --node");
	if (!size)
		return usage_error(cmd, "missing --size");

	req = pz_ctl_request("vm-reserve");
	if (req) {
		jadd(req, "node", json_object_new_int64(node));
		jadd(req, "size", json_object_new_uint64(size));
		if (name)
			jadd(req, "for", json_object_new_string(name));
		if (ttl)
			jadd(req, "ttl_s", json_object_new_uint64(ttl));
	}
	ret = daemon_call(cmd, req, &reply, NULL);
	if (ret)
		return ret;
	if (opt_json)
		return print_json(reply, JSON_PRETTY);
	print_reservation(jget(reply, "reservation"));
	json_object_put(reply);
	return EXIT_OK;
}

/* ---- vm unreserve ------------------------------------------------------- */

static int vm_unreserve(int argc, char **argv)
{
	static const char cmd[] = "vm unreserve";
	static const struct option opts[] = {
		{ "for", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct json_object *req, *reply;
	const char *name = NULL;
	unsigned long id = 0;
	uint64_t removed;
	int c, ret;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (c == 'f')
			ret = parse_name(cmd, "--for", optarg, &name);
		else
			ret = common_option(cmd, c, argv);
		if (ret)
			return ret;
	}
	if (optind + 1 < argc)
		return usage_error(cmd, "unexpected argument '%s'",
				   argv[optind + 1]);
	if (optind < argc && name)
		return usage_error(cmd, "give a reservation ID or --for NAME, not both");
	if (optind == argc && !name)
		return usage_error(cmd, "usage: vm unreserve ID | --for NAME");
	if (!name && pz_parse_uint(argv[optind], 1, LONG_MAX, &id) < 0)
		return usage_error(cmd, "invalid reservation ID '%s' (a number from 1, see 'prezeroctl pool')",
				   argv[optind]);

	req = pz_ctl_request("vm-unreserve");
	if (req) {
		if (name)
			jadd(req, "for", json_object_new_string(name));
		else
			jadd(req, "id", json_object_new_int64((int64_t)id));
	}
	ret = daemon_call(cmd, req, &reply, NULL);
	if (ret)
		return ret;
	if (opt_json)
		return print_json(reply, JSON_PRETTY);
	if (!ju64(reply, "removed", &removed)) {
		printf("removed: -\n");
	} else {
		printf("removed %llu reservation%s", (unsigned long long)removed,
		       removed == 1 ? "" : "s");
		if (name)
			printf(" of %s\n", name);
		else
			printf(" (ID %lu)\n", id);
	}
	json_object_put(reply);
	return EXIT_OK;
}

/* ---- vm release --------------------------------------------------------- */

static int vm_release(int argc, char **argv)
{
	static const char cmd[] = "vm release";
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct json_object *req, *reply;
	const char *name = NULL;
	uint64_t refill;
	char buf[32];
	int c, ret;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		ret = common_option(cmd, c, argv);
		if (ret)
			return ret;
	}
	if (optind == argc)
		return usage_error(cmd, "usage: vm release NAME");
	if (optind + 1 < argc)
		return usage_error(cmd, "unexpected argument '%s'",
				   argv[optind + 1]);
	ret = parse_name(cmd, "name", argv[optind], &name);
	if (ret)
		return ret;

	req = pz_ctl_request("vm-release");
	if (req)
		jadd(req, "for", json_object_new_string(name));
	ret = daemon_call(cmd, req, &reply, NULL);
	if (ret)
		return ret;
	if (opt_json)
		return print_json(reply, JSON_PRETTY);
	if (!ju64(reply, "refill_bytes", &refill))
		printf("released %s\n", name);
	else if (refill)
		printf("released %s: the pool refills %s (all nodes)\n", name,
		       pz_format_size(refill, buf, sizeof(buf)));
	else
		printf("released %s: nothing to refill\n", name);
	json_object_put(reply);
	return EXIT_OK;
}

/* ---- vm prepare --------------------------------------------------------- */

#define VCOLS 6

/* The ACTIONS cell: "compacted, +512 pages, priority 30s" or "-". */
static void actions_cell(struct json_object *nd, char *cell)
{
	size_t l = 0;
	uint64_t u;

	cell[0] = '\0';
	if (jbool(nd, "compacted") == 1)
		l += (size_t)snprintf(cell + l, CELL - l, "compacted");
	if (l < CELL && ju64(nd, "hugetlb_added_pages", &u) && u)
		l += (size_t)snprintf(cell + l, CELL - l, "%s+%llu pages",
				      l ? ", " : "", (unsigned long long)u);
	if (l < CELL && ju64(nd, "priority_s", &u) && u)
		snprintf(cell + l, CELL - l, "%spriority %llus", l ? ", " : "",
			 (unsigned long long)u);
	if (!cell[0])
		snprintf(cell, CELL, "-");
}

static void print_prepare(struct json_object *reply)
{
	static const char *const hdr[VCOLS] = {
		"NODE", "SIZE", "BACKING", "SERVABLE", "SHORT", "ACTIONS",
	};
	static const bool left[VCOLS] = { [2] = true, [5] = true };
	struct json_object *nodes = jget(reply, "nodes");
	size_t n = json_object_is_type(nodes, json_type_array) ?
		   json_object_array_length(nodes) : 0;
	table_cell *cells = table_new(hdr, VCOLS, n);
	size_t r, i;

	if (!cells)
		return;
	for (r = 0; r < n; r++) {
		struct json_object *nd = json_object_array_get_idx(nodes, r);
		table_cell *row = cells + (r + 1) * VCOLS;
		const char *s = jstr(nd, "backing");

		num_or_dash(nd, "node", row[0], CELL);
		short_or_dash(nd, "size", row[1], CELL);
		snprintf(row[2], CELL, "%s", s ? s : "-");
		short_or_dash(nd, "servable_bytes", row[3], CELL);
		short_or_dash(nd, "short_bytes", row[4], CELL);
		actions_cell(nd, row[5]);
	}
	print_table(cells, n + 1, VCOLS, left);
	free(cells);
	/* what was done, as prezerod logged it (each names its node) */
	for (r = 0; r < n; r++) {
		struct json_object *acts = jget(json_object_array_get_idx(nodes, r),
						"actions");
		size_t na = json_object_is_type(acts, json_type_array) ?
			    json_object_array_length(acts) : 0;

		for (i = 0; i < na; i++) {
			struct json_object *a = json_object_array_get_idx(acts, i);

			if (json_object_is_type(a, json_type_string))
				printf("%s\n", json_object_get_string(a));
		}
	}
}

static int vm_prepare(int argc, char **argv)
{
	static const char cmd[] = "vm prepare";
	static const char *const backings[] = {
		"anon", "hugetlb-2M", "hugetlb-1G",
	};
	static const struct option opts[] = {
		{ "backing", required_argument, NULL, 'b' },
		{ "for", required_argument, NULL, 'f' },
		{ "no-compact", no_argument, NULL, 'c' },
		{ "no-topup", no_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct pz_node_size ns[PZ_PREPARE_MAX_NODES];
	struct json_object *req, *reply, *a;
	const char *backing = backings[0], *name = NULL, *why;
	bool compact = true, topup = true;
	size_t i, n, bad;
	int c, ret;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			backing = NULL;
			for (i = 0; i < sizeof(backings) / sizeof(backings[0]); i++)
				if (!strcmp(optarg, backings[i]))
					backing = backings[i];
			if (!backing)
				return usage_error(cmd, "invalid --backing '%s' (anon, hugetlb-2M or hugetlb-1G)",
						   optarg);
			break;
		case 'f':
			ret = parse_name(cmd, "--for", optarg, &name);
			if (ret)
				return ret;
			break;
		case 'c':
			compact = false;
			break;
		case 't':
			topup = false;
			break;
		default:
			ret = common_option(cmd, c, argv);
			if (ret)
				return ret;
			break;
		}
	}
	n = (size_t)(argc - optind);
	if (!n)
		return usage_error(cmd, "usage: vm prepare [--backing anon|hugetlb-2M|hugetlb-1G] [--for NAME] [--no-compact] [--no-topup] NODE:SIZE...");
	ret = pz_parse_node_sizes(argv + optind, n, ns, &bad, &why);
	if (ret == -E2BIG)
		return usage_error(cmd, "more than %d NODE:SIZE arguments",
				   PZ_PREPARE_MAX_NODES);
	if (ret < 0)
		return usage_error(cmd, "invalid NODE:SIZE '%s': %s",
				   argv[optind + bad], why);

	req = pz_ctl_request("vm-prepare");
	a = json_object_new_array();
	if (req && a) {
		for (i = 0; i < n; i++) {
			struct json_object *o = json_object_new_object();

			jadd(o, "node", json_object_new_int64(ns[i].node));
			jadd(o, "size", json_object_new_uint64(ns[i].size));
			json_object_array_add(a, o);
		}
		jadd(req, "nodes", a);
		a = NULL;
		jadd(req, "backing", json_object_new_string(backing));
		if (name)
			jadd(req, "for", json_object_new_string(name));
		jadd(req, "compact", json_object_new_boolean(compact));
		jadd(req, "topup", json_object_new_boolean(topup));
	} else {
		json_object_put(req);
		req = NULL;
	}
	json_object_put(a);
	ret = daemon_call(cmd, req, &reply, NULL);
	if (ret)
		return ret;
	/* a node short of chunks is the caller's information, not an error */
	if (opt_json)
		return print_json(reply, JSON_PRETTY);
	print_prepare(reply);
	json_object_put(reply);
	return EXIT_OK;
}

int cmd_vm(int argc, char **argv)
{
	if (argc < 2)
		return usage_error("vm", "usage: vm reserve|unreserve|release|prepare ...");
	if (!strcmp(argv[1], "reserve"))
		return vm_reserve(argc - 1, argv + 1);
	if (!strcmp(argv[1], "unreserve"))
		return vm_unreserve(argc - 1, argv + 1);
	if (!strcmp(argv[1], "release"))
		return vm_release(argc - 1, argv + 1);
	if (!strcmp(argv[1], "prepare"))
		return vm_prepare(argc - 1, argv + 1);
	return usage_error("vm", "unknown subcommand '%s' (reserve, unreserve, release or prepare)",
			   argv[1]);
}
