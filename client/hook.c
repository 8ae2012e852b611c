// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/*
 * prezero-hook: libvirt's QEMU hook for prezero (prezero-hook(8)).
 *
 * libvirt runs it as `prezero-hook GUEST OPERATION SUB-OPERATION EXTRA`
 * with the domain XML on stdin, synchronously and without a timeout, and
 * aborts a guest's start when a prepare/start hook fails, or kills a
 * running guest when a reconnect hook fails. So this program fails open:
 * whatever goes wrong (no daemon, a slow one, a refusal, an XML it does
 * not understand) is one warning on stderr, which libvirt copies to its
 * log, and exit status 0. It never calls libvirt (that would deadlock)
 * and prints on stdout only the XML it must echo (migrate, restore) or,
 * with --plan, the requests it would send.
 *
 *   prepare begin  memory populated whole at start (VFIO, immediate
 *                  allocation, locked, huge pages) that the pool cannot
 *                  serve: vm-prepare, so that the pin finds large chunks
 *   start begin    the same memory file-backed: pool-claim a ready pool
 *                  file onto the very path QEMU opens
 *   release end    vm-release: the pool refills
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <json-c/json.h>
#include <libxml/parser.h>

#include "ctl.h"
#include "domxml.h"
#include "monotime.h"
#include "number.h"
#include "qemuconf.h"
#include "size.h"

#ifndef PREZERO_VERSION
#define PREZERO_VERSION "unknown"
#endif

#define DEADLINE_ENV "PREZERO_HOOK_DEADLINE_MS"
#define DEADLINE_DEFAULT_MS 2000
#define DEADLINE_MAX_MS 600000
#define DEBUG_ENV "PREZERO_HOOK_DEBUG"
/* the claimed file: QEMU (the qemu user) reads and writes it */
#define CLAIM_MODE 0600
#define NODE_ONLINE "/sys/devices/system/node/online"
#define MEMINFO "/proc/meminfo"

static const char *prog = "prezero-hook";
static bool debug;
static bool plan_mode;
static int deadline_ms = DEADLINE_DEFAULT_MS;
static int64_t deadline;	/* CLOCK_MONOTONIC ms */

static const char usage_text[] =
	"Usage: prezero-hook GUEST OPERATION SUB-OPERATION EXTRA <DOMAIN-XML\n"
	"       prezero-hook --plan GUEST OPERATION SUB-OPERATION EXTRA <DOMAIN-XML\n"
	"\n"
	"libvirt's QEMU hook for prezero: prepares memory for guests whose memory\n"
	"is populated whole at start (\"prepare begin\"), places warm pool files\n"
	"where QEMU maps file-backed guest memory (\"start begin\"), and lets the\n"
	"pool refill (\"release end\"). Install it as /etc/libvirt/hooks/qemu.d/prezero.\n"
	"It never fails a guest: problems are warnings on stderr, the exit status\n"
	"is 0.\n"
	"\n"
	"  --plan     print the requests it would send (a JSON array), send nothing;\n"
	"             exit 1 if the XML or qemu.conf cannot be read\n"
	"  --help     this text\n"
	"  --version  print the version\n"
	"\n"
	"Environment: PREZERO_SOCKET, PREZERO_HOOK_DEADLINE_MS (default 2000),\n"
	"PREZERO_QEMU_CONF, PREZERO_HOOK_DEBUG. See prezero-hook(8).\n";

/* ---- messages: stderr only -------------------------------------------- */

static void vmsg(const char *tag, const char *fmt, va_list ap)
{
	char line[PATH_MAX + 1024];

	vsnprintf(line, sizeof(line), fmt, ap);
	fprintf(stderr, "%s: %s%s\n", prog, tag, line);
}

/* One line per action done. */
static void info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}

/* Something was not done; the guest goes on regardless. */
static void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap);
	va_end(ap);
}

static void dbg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void dbg(const char *fmt, ...)
{
	va_list ap;

	if (!debug)
		return;
	va_start(ap, fmt);
	vmsg("debug: ", fmt, ap);
	va_end(ap);
}

static const char *fmt_size(uint64_t b, char *buf, size_t len)
{
	return pz_format_size(b, buf, len);
}

/* ---- the requests ----------------------------------------------------- */

struct action {
	struct json_object *req;
	/* for the log: "claim cell 0 (4.00 GiB, node 0) to PATH" */
	char what[PATH_MAX + 256];
};

struct plan {
	struct action *a;
	size_t n;
	bool oom;
};

static void plan_add(struct plan *p, struct json_object *req, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void plan_add(struct plan *p, struct json_object *req, const char *fmt, ...)
{
	struct action *na;
	va_list ap;

	if (!req) {
		p->oom = true;
		return;
	}
	na = realloc(p->a, (p->n + 1) * sizeof(*na));
	if (!na) {
		json_object_put(req);
		p->oom = true;
		return;
	}
	p->a = na;
	na[p->n].req = req;
	va_start(ap, fmt);
	vsnprintf(na[p->n].what, sizeof(na[p->n].what), fmt, ap);
	va_end(ap);
	p->n++;
}

static void plan_free(struct plan *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		json_object_put(p->a[i].req);
	free(p->a);
	p->a = NULL;
	p->n = 0;
}

/* json-c's adders fail only for lack of memory: count that once */
static void jset(struct json_object *o, const char *key, struct json_object *v,
		 bool *oom)
{
	if (!o || !v || json_object_object_add(o, key, v)) {
		json_object_put(v);
		*oom = true;
	}
}

/* ---- facts about the host --------------------------------------------- */

static char *read_small(const char *path)
{
	char buf[8192];
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r < 0)
		return NULL;
	buf[r] = '\0';
	return strdup(buf);
}

/* The host's online NUMA nodes; a kernel without NUMA has node 0. */
static void online_nodes(struct pz_nodeset *ns)
{
	char *s = read_small(NODE_ONLINE);
	const char *why;

	memset(ns, 0, sizeof(*ns));
	if (s) {
		s[strcspn(s, "\n")] = '\0';
		if (!pz_nodeset_parse(s, ns, &why)) {
			free(s);
			return;
		}
		dbg("%s: '%s': %s: assuming node 0 only", NODE_ONLINE, s, why);
		free(s);
	}
	memset(ns, 0, sizeof(*ns));
	pz_nodeset_add(ns, 0);
}

/* The default huge page size (/proc/meminfo Hugepagesize), 0 if unknown. */
static uint64_t default_huge_page(void)
{
	char *s = read_small(MEMINFO), *p;
	unsigned long long kb;
	uint64_t ret = 0;

	if (!s)
		return 0;
	p = strstr(s, "\nHugepagesize:");
	if (p && sscanf(p + 14, "%llu kB", &kb) == 1 && kb < (UINT64_MAX >> 10))
		ret = (uint64_t)kb << 10;
	free(s);
	return ret;
}

static uint64_t sys_page(void)
{
	long v = sysconf(_SC_PAGESIZE);

	return v > 0 ? (uint64_t)v : 4096;
}

static const char *host_arch(void)
{
	static struct utsname u;

	if (uname(&u) < 0)
		return NULL;
	return u.machine;
}

/* ---- prepare begin: vm-prepare ---------------------------------------- */

enum prep_backing { PB_ANON, PB_2M, PB_1G, PB_N };
static const char *const prep_names[PB_N] = { "anon", "hugetlb-2M", "hugetlb-1G" };

struct prep {
	uint64_t bytes[PB_N][PZ_DOM_MAX_NODES];
	bool any[PB_N];
};

static void prep_add(struct prep *pr, enum prep_backing b, unsigned int node,
		     uint64_t bytes)
{
	/* a node's sum stays below the domain's size, itself below 2^63 */
	pr->bytes[b][node] += bytes;
	pr->any[b] = true;
}

static const char *region_name(const struct pz_dom_ram *r, char *buf, size_t len)
{
	if (r->cell < 0)
		snprintf(buf, len, "memory");
	else
		snprintf(buf, len, "cell %d", r->cell);
	return buf;
}

static bool region_populated(const struct pz_dom *d, const struct pz_dom_ram *r)
{
	/* libvirt preallocates huge page memory (qemuBuildMemoryGetPagesize) */
	return pz_dom_populated_at_start(d) || r->hugetlb;
}

static void plan_prepare(const struct pz_dom *d, const char *vm, struct plan *p)
{
	struct prep *pr = calloc(1, sizeof(*pr));
	struct pz_nodeset online;
	uint64_t huge = 0, page = sys_page();
	bool have_online = false, file = false;
	size_t i, b;

	if (!pr) {
		p->oom = true;
		return;
	}
	for (i = 0; i < pz_dom_ram_count(d); i++) {
		struct pz_dom_ram r;
		enum prep_backing kind = PB_ANON;
		char rn[32], sb[32];
		unsigned int w;
		int n;

		pz_dom_ram(d, i, page, &r);
		region_name(&r, rn, sizeof(rn));
		if (!r.bytes)
			continue;
		if (!region_populated(d, &r)) {
			dbg("%s: %s: populated on demand (no VFIO device, immediate allocation, locked memory or huge pages): nothing to prepare",
			    vm, rn);
			continue;
		}
		if (r.backing == PZ_DOM_BACKING_FILE) {
			file = true;
			dbg("%s: %s: file-backed: claimed from the pool at start",
			    vm, rn);
			continue;
		}
		if (r.hugetlb) {
			uint64_t ps = r.page_bytes;

			if (!ps) {
				if (!huge)
					huge = default_huge_page();
				ps = huge;
			}
			if (ps == UINT64_C(2) << 20) {
				kind = PB_2M;
			} else if (ps == UINT64_C(1) << 30) {
				kind = PB_1G;
			} else {
				warn("%s: %s: huge pages of %s: prezerod prepares only 2 MiB and 1 GiB pages; not prepared",
				     vm, rn, ps ? fmt_size(ps, sb, sizeof(sb)) : "unknown size");
				continue;
			}
		}
		if (r.numa && r.numa->has_nodes) {
			/* spread as the binding would: evenly */
			w = pz_nodeset_weight(&r.numa->nodes);
			for (n = pz_nodeset_next(&r.numa->nodes, -1); n >= 0;
			     n = pz_nodeset_next(&r.numa->nodes, n))
				prep_add(pr, kind, (unsigned int)n,
					 (r.bytes + w - 1) / w);
		} else {
			/* unbound: the kernel may place it on any node */
			if (!have_online) {
				online_nodes(&online);
				have_online = true;
			}
			for (n = pz_nodeset_next(&online, -1); n >= 0;
			     n = pz_nodeset_next(&online, n))
				prep_add(pr, kind, (unsigned int)n, r.bytes);
		}
	}
	for (b = 0; b < PB_N; b++) {
		struct json_object *req, *nodes;
		char desc[200] = "", sb[32];
		size_t off = 0;
		unsigned int n;
		bool oom = false;

		if (!pr->any[b])
			continue;
		req = pz_ctl_request("vm-prepare");
		nodes = json_object_new_array();
		for (n = 0; n < PZ_DOM_MAX_NODES; n++) {
			struct json_object *o;

			if (!pr->bytes[b][n])
				continue;
			o = json_object_new_object();
			jset(o, "node", json_object_new_int((int)n), &oom);
			jset(o, "size", json_object_new_int64((int64_t)pr->bytes[b][n]), &oom);
			if (!o || !nodes || json_object_array_add(nodes, o)) {
				json_object_put(o);
				oom = true;
			}
			if (off < sizeof(desc)) {
				int r = snprintf(desc + off, sizeof(desc) - off, "%snode %u %s",
						 off ? ", " : "", n,
						 fmt_size(pr->bytes[b][n], sb, sizeof(sb)));

				if (r > 0)
					off += (size_t)r;
			}
		}
		jset(req, "nodes", nodes, &oom);
		jset(req, "backing", json_object_new_string(prep_names[b]), &oom);
		jset(req, "for", json_object_new_string(vm), &oom);
		if (oom) {
			json_object_put(req);
			req = NULL;
		}
		plan_add(p, req, "prepare %s (%s)", prep_names[b], desc);
	}
	if (!p->n && !file)
		dbg("%s: nothing to prepare", vm);
	free(pr);
}

/* ---- start begin: pool-claim ------------------------------------------ */

static bool is_dir(const char *dir, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return false;
	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

/*
 * The per-domain directory libvirt made under memory_backing_dir. For a
 * name with multibyte characters the short name depends on libvirtd's
 * locale, which hooks cannot see (they run with LC_ALL=C): the directory
 * that exists tells.
 */
static int short_name(const struct pz_dom *d, const char *dir, const char *vm,
		      char *out, size_t len)
{
	char b[PATH_MAX], u[PATH_MAX];
	bool hb, hu;
	int ret;

	ret = pz_dom_short_name(d->id, d->name, PZ_DOM_NAME_BYTES, b, sizeof(b));
	if (ret == -EINVAL) {
		warn("%s: the domain XML has no id (the domain is not running?): cannot name its memory files; nothing claimed",
		     vm);
		return ret;
	}
	if (ret < 0) {
		warn("%s: cannot make the domain's short name: %s; nothing claimed",
		     vm, strerror(-ret));
		return ret;
	}
	ret = pz_dom_short_name(d->id, d->name, PZ_DOM_NAME_UTF8, u, sizeof(u));
	if (ret < 0 || !strcmp(b, u)) {
		if (ret < 0)
			dbg("%s: no UTF-8 locale (%s): using the byte rule for the short name",
			    vm, strerror(-ret));
		return (size_t)snprintf(out, len, "%s", b) < len ? 0 : -ENAMETOOLONG;
	}
	hb = is_dir(dir, b);
	hu = is_dir(dir, u);
	if (hb == hu) {
		warn("%s: the name has multibyte characters and libvirtd's locale decides its short name: %s %s/%s and %s/%s; nothing claimed",
		     vm, hb ? "both" : "neither of", dir, b, dir, u);
		return -ENOENT;
	}
	dbg("%s: short name %s (libvirtd's locale is %s)", vm, hb ? b : u,
	    hb ? "C" : "UTF-8");
	return (size_t)snprintf(out, len, "%s", hb ? b : u) < len ? 0 : -ENAMETOOLONG;
}

/* Returns -EINVAL if qemu.conf is unusable (for --plan: bad input). */
static int plan_start(const struct pz_dom *d, const char *vm, struct plan *p)
{
	struct pz_qemu_conf conf;
	char err[512], shortname[PATH_MAX];
	uint64_t page = sys_page();
	bool any = false;
	uid_t uid;
	gid_t gid;
	size_t i;
	int ret;

	if (!pz_dom_populated_at_start(d)) {
		dbg("%s: no VFIO device, immediate allocation or locked memory: QEMU populates on demand, nothing to claim",
		    vm);
		return 0;
	}
	for (i = 0; i < pz_dom_ram_count(d); i++) {
		struct pz_dom_ram r;

		pz_dom_ram(d, i, page, &r);
		if (r.bytes && r.backing == PZ_DOM_BACKING_FILE)
			any = true;
	}
	if (!any) {
		dbg("%s: no file-backed memory: nothing to claim", vm);
		return 0;
	}

	ret = pz_qemu_conf_load(NULL, &conf, err, sizeof(err));
	if (ret < 0) {
		warn("%s: %s; nothing claimed", vm, err);
		return -EINVAL;
	}
	if (conf.memory_backing_dir[0] != '/') {
		warn("%s: memory_backing_dir \"%s\" in %s is not an absolute path; nothing claimed",
		     vm, conf.memory_backing_dir, pz_qemu_conf_path(NULL));
		goto out;
	}
	ret = pz_qemu_uid(conf.user, &uid);
	if (ret < 0) {
		warn("%s: QEMU's user \"%s\" (%s): %s; nothing claimed", vm,
		     conf.user, pz_qemu_conf_path(NULL),
		     ret == -ENOENT ? "no such user" : "not a user id");
		goto out;
	}
	ret = pz_qemu_gid(conf.group, &gid);
	if (ret < 0) {
		warn("%s: QEMU's group \"%s\" (%s): %s; nothing claimed", vm,
		     conf.group, pz_qemu_conf_path(NULL),
		     ret == -ENOENT ? "no such group" : "not a group id");
		goto out;
	}
	if (short_name(d, conf.memory_backing_dir, vm, shortname, sizeof(shortname)) < 0)
		goto out;

	for (i = 0; i < pz_dom_ram_count(d); i++) {
		struct json_object *req;
		struct pz_dom_ram r;
		const char *alias, *why;
		char rn[32], sb[32], aliasbuf[32], path[PATH_MAX], nodes[64];
		bool oom = false;
		int node = -1;

		pz_dom_ram(d, i, page, &r);
		region_name(&r, rn, sizeof(rn));
		if (!r.bytes || r.backing != PZ_DOM_BACKING_FILE)
			continue;
		if (r.access != PZ_DOM_ACCESS_SHARED) {
			/* MAP_PRIVATE: every page QEMU writes (all of them, for
			 * the pin) would be copied out of the pool file */
			warn("%s: %s is mapped private (no <access mode='shared'/>): a pool file would be copied page by page; not claimed",
			     vm, rn);
			continue;
		}
		if (r.numa && r.numa->has_nodes) {
			if (pz_nodeset_weight(&r.numa->nodes) > 1) {
				warn("%s: %s is bound to host nodes %s: QEMU would migrate a pool file's pages; not claimed",
				     vm, rn, pz_nodeset_format(&r.numa->nodes, nodes,
							       sizeof(nodes)));
				continue;
			}
			node = pz_nodeset_next(&r.numa->nodes, -1);
		}
		if (r.cell >= 0) {
			snprintf(aliasbuf, sizeof(aliasbuf), "ram-node%d", r.cell);
			alias = aliasbuf;
		} else {
			alias = pz_dom_default_ram_id(d, host_arch(), &why);
			if (!alias) {
				warn("%s: machine '%s' (%s): %s, so the memory file's name is not known; not claimed",
				     vm, d->machine ? d->machine : "", d->arch ? d->arch : "host arch",
				     why);
				continue;
			}
		}
		if ((size_t)snprintf(path, sizeof(path), "%s/%s/%s",
				     conf.memory_backing_dir, shortname, alias) >= sizeof(path)) {
			warn("%s: %s: the path of its memory file is too long; not claimed",
			     vm, rn);
			continue;
		}
		req = pz_ctl_request("pool-claim");
		if (node >= 0)
			jset(req, "node", json_object_new_int(node), &oom);
		else
			jset(req, "node", json_object_new_string("any"), &oom);
		jset(req, "size", json_object_new_int64((int64_t)r.bytes), &oom);
		jset(req, "path", json_object_new_string(path), &oom);
		jset(req, "uid", json_object_new_int64((int64_t)uid), &oom);
		jset(req, "gid", json_object_new_int64((int64_t)gid), &oom);
		jset(req, "mode", json_object_new_int(CLAIM_MODE), &oom);
		jset(req, "for", json_object_new_string(vm), &oom);
		if (oom) {
			json_object_put(req);
			req = NULL;
		}
		if (node >= 0)
			snprintf(nodes, sizeof(nodes), "node %d", node);
		else
			snprintf(nodes, sizeof(nodes), "any node");
		plan_add(p, req, "claim %s (%s, %s) to %s", rn,
			 fmt_size(r.bytes, sb, sizeof(sb)), nodes, path);
	}
out:
	pz_qemu_conf_free(&conf);
	return 0;
}

/* ---- release end ------------------------------------------------------ */

static void plan_release(const char *vm, struct plan *p)
{
	struct json_object *req = pz_ctl_request("vm-release");
	bool oom = false;

	jset(req, "for", json_object_new_string(vm), &oom);
	if (oom) {
		json_object_put(req);
		req = NULL;
	}
	plan_add(p, req, "release");
}

/* ---- talking to prezerod ---------------------------------------------- */

static int left_ms(void)
{
	int64_t left = deadline - pz_mono_ms();

	return left > 0 ? (int)left : 0;
}

static const char *ctl_strerror(int err, char *buf, size_t len)
{
	const char *path = pz_ctl_socket_path(NULL);

	switch (err) {
	case -ENOENT:
		snprintf(buf, len, "prezerod not running (no socket %s)", path);
		break;
	case -ECONNREFUSED:
		snprintf(buf, len, "prezerod not running (nothing listens on %s)", path);
		break;
	case -ETIMEDOUT:
		snprintf(buf, len, "prezerod did not answer within the hook's deadline of %d ms",
			 deadline_ms);
		break;
	case -EPROTO:
		snprintf(buf, len, "prezerod sent a malformed reply");
		break;
	case -ECONNRESET:
	case -EPIPE:
		snprintf(buf, len, "prezerod closed the connection");
		break;
	default:
		snprintf(buf, len, "cannot talk to prezerod at %s: %s", path,
			 strerror(-err));
		break;
	}
	return buf;
}

static int64_t jint(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return -1;
	return json_object_get_int64(v);
}

/* What a successful reply says, one line per action (vm-prepare: per node). */
static void report_ok(const char *vm, const struct action *a,
		      struct json_object *reply)
{
	const char *cmd = json_object_get_string(json_object_object_get(a->req, "cmd"));
	char s1[32], s2[32], s3[32];

	if (!strcmp(cmd, "pool-claim")) {
		int64_t size = jint(reply, "size"), file = jint(reply, "file_bytes");

		info("%s: %s: done: node %lld, %s, from a pool file of %s", vm, a->what,
		     (long long)jint(reply, "node"),
		     fmt_size(size < 0 ? 0 : (uint64_t)size, s1, sizeof(s1)),
		     fmt_size(file < 0 ? 0 : (uint64_t)file, s2, sizeof(s2)));
	} else if (!strcmp(cmd, "vm-prepare")) {
		struct json_object *nodes, *n, *acts;
		size_t i, j;

		if (!json_object_object_get_ex(reply, "nodes", &nodes) ||
		    !json_object_is_type(nodes, json_type_array)) {
			info("%s: %s: done", vm, a->what);
			return;
		}
		for (i = 0; i < json_object_array_length(nodes); i++) {
			char done[160] = "";
			size_t off = 0;
			int64_t sz, sv, sh;

			n = json_object_array_get_idx(nodes, i);
			sz = jint(n, "size");
			sv = jint(n, "servable_bytes");
			sh = jint(n, "short_bytes");
			if (json_object_object_get_ex(n, "actions", &acts) &&
			    json_object_is_type(acts, json_type_array)) {
				for (j = 0; j < json_object_array_length(acts) &&
					    off < sizeof(done); j++) {
					int r = snprintf(done + off, sizeof(done) - off, "%s%s",
							 off ? ", " : "; ",
							 json_object_get_string(json_object_array_get_idx(acts, j)));
					if (r > 0)
						off += (size_t)r;
				}
			}
			info("%s: prepare %s: node %lld: %s wanted, %s servable, %s short%s",
			     vm, json_object_get_string(json_object_object_get(a->req, "backing")),
			     (long long)jint(n, "node"),
			     fmt_size(sz < 0 ? 0 : (uint64_t)sz, s1, sizeof(s1)),
			     fmt_size(sv < 0 ? 0 : (uint64_t)sv, s2, sizeof(s2)),
			     fmt_size(sh < 0 ? 0 : (uint64_t)sh, s3, sizeof(s3)), done);
		}
	} else {
		int64_t rb = jint(reply, "refill_bytes");

		info("%s: %s: done: the pool refills %s", vm, a->what,
		     fmt_size(rb < 0 ? 0 : (uint64_t)rb, s1, sizeof(s1)));
	}
}

static void skipped(const char *vm, const struct plan *p, size_t from,
		    const char *why)
{
	size_t i;

	for (i = from; i < p->n; i++)
		warn("%s: %s: not done: %s", vm, p->a[i].what, why);
}

static void send_plan(const char *vm, const struct plan *p)
{
	struct pz_ctl *c = NULL;
	char why[300];
	size_t i;
	int ret;

	if (!p->n)
		return;
	ret = pz_ctl_connect(pz_ctl_socket_path(NULL), left_ms(), &c);
	if (ret < 0) {
		skipped(vm, p, 0, ctl_strerror(ret, why, sizeof(why)));
		return;
	}
	for (i = 0; i < p->n; i++) {
		struct json_object *reply = NULL;

		if (!left_ms()) {
			skipped(vm, p, i, ctl_strerror(-ETIMEDOUT, why, sizeof(why)));
			break;
		}
		ret = pz_ctl_call(c, p->a[i].req, &reply, left_ms());
		if (ret < 0) {
			/* the connection is out of step now: give up */
			skipped(vm, p, i, ctl_strerror(ret, why, sizeof(why)));
			break;
		}
		if (pz_ctl_reply_ok(reply)) {
			report_ok(vm, &p->a[i], reply);
		} else {
			const char *msg = pz_ctl_error_message(reply);

			warn("%s: %s: not done: %s%s%s", vm, p->a[i].what,
			     pz_ctl_error_code(reply), *msg ? ": " : "", msg);
		}
		json_object_put(reply);
	}
	pz_ctl_close(c);
}

/* ---- input ------------------------------------------------------------ */

/*
 * The domain XML from stdin, at most PZ_DOM_MAX_XML bytes, within the
 * deadline (libvirt writes it whole and closes; a writer that stalls must
 * not hold a guest's start). Returns 0, -EFBIG, -ETIMEDOUT, -ENOMEM, -errno.
 */
static int read_xml(char **out, size_t *outlen, bool bounded)
{
	size_t len = 0, cap = 0;
	char *buf = NULL;
	int ret;

	for (;;) {
		ssize_t r;

		if (cap - len < 65536 && cap <= PZ_DOM_MAX_XML) {
			size_t ncap = cap ? cap * 2 : 65536;
			char *nb;

			if (ncap > (size_t)PZ_DOM_MAX_XML + 1)
				ncap = (size_t)PZ_DOM_MAX_XML + 1;
			nb = realloc(buf, ncap + 1);
			if (!nb) {
				ret = -ENOMEM;
				goto fail;
			}
			buf = nb;
			cap = ncap;
		}
		if (bounded) {
			struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
			int left = left_ms();

			r = left ? poll(&pfd, 1, left) : 0;
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0) {
				ret = -errno;
				goto fail;
			}
			if (r == 0) {
				ret = -ETIMEDOUT;
				goto fail;
			}
		}
		r = read(STDIN_FILENO, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = -errno;
			goto fail;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > PZ_DOM_MAX_XML) {
			ret = -EFBIG;
			goto fail;
		}
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
fail:
	free(buf);
	return ret;
}

/* migrate, restore: libvirt takes stdout as the new XML. Unchanged. */
static int echo_stdin(void)
{
	char buf[65536];

	for (;;) {
		ssize_t r = read(STDIN_FILENO, buf, sizeof(buf)), off = 0;

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			warn("reading the XML to pass through: %s", strerror(errno));
			return 0;
		}
		if (r == 0)
			return 0;
		while (off < r) {
			ssize_t w = write(STDOUT_FILENO, buf + off, (size_t)(r - off));

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				warn("passing the XML through: %s", strerror(errno));
				return 0;
			}
			off += w;
		}
	}
}

/* ---- main ------------------------------------------------------------- */

static void read_env(void)
{
	const char *s = getenv(DEBUG_ENV);
	unsigned long v;

	debug = s && *s && strcmp(s, "0");
	s = getenv(DEADLINE_ENV);
	if (s && *s) {
		if (pz_parse_uint(s, 1, DEADLINE_MAX_MS, &v) < 0)
			warn("%s=\"%s\" is not a number of milliseconds from 1 to %d: using %d",
			     DEADLINE_ENV, s, DEADLINE_MAX_MS, DEADLINE_DEFAULT_MS);
		else
			deadline_ms = (int)v;
	}
}

static int print_plan(const struct plan *p)
{
	struct json_object *arr = json_object_new_array();
	size_t i;
	int ret = 0;

	for (i = 0; arr && i < p->n; i++) {
		if (json_object_array_add(arr, json_object_get(p->a[i].req))) {
			json_object_put(p->a[i].req);
			ret = -ENOMEM;
		}
	}
	if (!arr || ret) {
		json_object_put(arr);
		fprintf(stderr, "%s: out of memory\n", prog);
		return 1;
	}
	printf("%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY |
						      JSON_C_TO_STRING_SPACED |
						      JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(arr);
	return fflush(stdout) ? 1 : 0;
}

static int hook(const char *vm, const char *op, const char *subop)
{
	bool prepare = !strcmp(op, "prepare") && !strcmp(subop, "begin");
	bool start = !strcmp(op, "start") && !strcmp(subop, "begin");
	bool release = !strcmp(op, "release") && !strcmp(subop, "end");
	struct plan p = { 0 };
	struct pz_dom d;
	char err[512];
	char *xml = NULL;
	size_t len = 0;
	int ret, bad = 0;

	if (!strcmp(op, "migrate") || !strcmp(op, "restore")) {
		if (plan_mode)
			return print_plan(&p);
		return echo_stdin();
	}
	if (release) {
		plan_release(vm, &p);
	} else if (prepare || start) {
		ret = read_xml(&xml, &len, !plan_mode);
		if (ret < 0) {
			if (ret == -EFBIG)
				snprintf(err, sizeof(err), "the domain XML is larger than %u MiB",
					 PZ_DOM_MAX_XML >> 20);
			else if (ret == -ETIMEDOUT)
				snprintf(err, sizeof(err), "no complete domain XML on stdin within %d ms",
					 deadline_ms);
			else
				snprintf(err, sizeof(err), "reading the domain XML: %s",
					 strerror(-ret));
			goto bad_input;
		}
		ret = pz_dom_parse(xml, len, &d, err, sizeof(err));
		free(xml);
		if (ret < 0)
			goto bad_input;
		if (strcmp(d.name, vm))
			dbg("%s: the XML names the domain \"%s\"", vm, d.name);
		if (prepare)
			plan_prepare(&d, vm, &p);
		else if (plan_start(&d, vm, &p) < 0)
			bad = 1;
		pz_dom_free(&d);
	} else {
		dbg("%s: %s %s: nothing to do", vm, op, subop);
	}
	if (p.oom) {
		warn("%s: out of memory; nothing done", vm);
		plan_free(&p);
		return plan_mode;
	}
	if (plan_mode) {
		/* unreadable input: the reason is on stderr, no plan */
		ret = bad ? 1 : print_plan(&p);
		plan_free(&p);
		return ret;
	}
	send_plan(vm, &p);
	plan_free(&p);
	return 0;

bad_input:
	if (plan_mode) {
		fprintf(stderr, "%s: %s: %s\n", prog, vm, err);
		return 1;
	}
	warn("%s: %s %s: %s; nothing done", vm, op, subop, err);
	return 0;
}

int main(int argc, char **argv)
{
	int ret;

	/* a reader that goes away must not kill us with a signal */
	signal(SIGPIPE, SIG_IGN);
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "--version")) {
		printf("prezero-hook %s\n", PREZERO_VERSION);
		return 0;
	}
	/*
	 * libvirt passes exactly four arguments, and a guest may be called
	 * "--plan": only six arguments make a plan.
	 */
	if (argc == 6 && !strcmp(argv[1], "--plan")) {
		plan_mode = true;
		argv++;
	} else if (argc != 5) {
		fputs(usage_text, stderr);
		return 2;
	}
	read_env();
	deadline = pz_mono_ms() + deadline_ms;
	ret = hook(argv[1], argv[2], argv[3]);
	xmlCleanupParser();
	return ret;
}
