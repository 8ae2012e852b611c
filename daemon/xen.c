// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/*
 * prezerod on a Xen dom0: every guest's balloon, tracked through xenstore
 * watches (@introduceDomain, @releaseDomain, each guest's memory/target)
 * and libxl (current and max memory, once a second); a guest whose balloon
 * settled after a change, and every guest at start, is scanned for its
 * unpopulated frames (xen_scan.c, a worker thread) and the list published
 * (xen_publish.c). proto/xen-exclude.md is the contract.
 *
 * Nothing here is fatal: a host that is not a dom0 (or a build without
 * the Xen libraries) gets state "off" with a reason, a malformed xenstore
 * value is logged once per domain and key and ignored.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "log.h"
#include "monotime.h"
#include "xen.h"

#ifdef PZD_XEN
#include <libxl.h>
#include <libxl_utils.h>
#include <xenstore.h>
#include <xentoollog.h>
#endif

#define CAPS_PATH "/proc/xen/capabilities"

static void jadd(struct json_object *o, const char *k, struct json_object *v)
{
	json_object_object_add(o, k, v);
}

#ifndef PZD_XEN

/* ---- built without Xen ------------------------------------------------- */

struct pzd_xen {
	int unused;
};

struct pzd_xen *pzd_xen_new(sd_event *event, const struct pzd_config *cfg)
{
	(void)event;
	if (cfg->xen_enabled == PZD_XEN_YES)
		log_warning("xen: enabled = yes, but prezerod was built without Xen support");
	else
		log_debug("xen: built without Xen support");
	return calloc(1, sizeof(struct pzd_xen));
}

void pzd_xen_free(struct pzd_xen *x)
{
	free(x);
}

void pzd_xen_config(struct pzd_xen *x, const struct pzd_config *cfg)
{
	(void)x;
	(void)cfg;
}

int pzd_xen_list(struct pzd_xen *x, struct json_object *reply,
		 struct pzd_proto_err *err)
{
	struct json_object *o = json_object_new_object();

	(void)x;
	(void)err;
	jadd(o, "state", json_object_new_string("off"));
	jadd(o, "reason", json_object_new_string("built without Xen support"));
	jadd(reply, "xen", o);
	jadd(reply, "domains", json_object_new_array());
	return 0;
}

int pzd_xen_exclude(struct pzd_xen *x, const struct pzd_xen_dom_req *dom,
		    struct json_object *reply, struct pzd_proto_err *err)
{
	(void)x;
	(void)dom;
	(void)reply;
	pzd_proto_seterr(err, "no-xen",
			 "xen-exclude: prezerod was built without Xen support");
	return -1;
}

#else /* PZD_XEN */

/* Per (domain, key): a bad value is logged once. */
enum {
	WARN_TARGET = 1 << 0,
	WARN_STATIC_MAX = 1 << 1,
	WARN_NAME = 1 << 2,
	WARN_TYPE = 1 << 3,
	WARN_WATCH = 1 << 4,
};

struct dom {
	uint32_t domid;
	bool seen;			/* in this refresh's libxl list */
	uint64_t first_ms;		/* when we first saw it */
	char name[128];
	char uuid[37];
	enum pzd_xen_type type;
	bool have_target, have_static_max, have_current;
	uint64_t target_kib, current_kib, static_max_kib, max_kib;
	uint64_t paged_kib;
	bool ever_moved;		/* seen moving since we track it */
	uint64_t moved_ms;
	struct pzd_xen_sched sched;
	bool watching;
	unsigned int warned;

	/* The published list (have_list) and how it came about. */
	bool have_list;
	struct pz_exclude_hdr hdr;
	struct pz_ranges ranges;
	uint64_t scan_ms;
	const char *method;
	uint64_t generation;		/* the last one used */
	bool gen_loaded;		/* ...read from an old file */
	char note[160];			/* the last scan's problem, "" if none */
};

struct pzd_xen {
	sd_event *event;
	bool active;
	char reason[192];

	int enabled;			/* [xen] enabled at start */
	char dir[PATH_MAX];
	uint64_t settle_ms, min_interval_ms;
	size_t max_ranges;
	bool hvm_query;			/* [xen] hvm_scan = query */

	struct xs_handle *xs;
	xentoollog_logger_stdiostream *logger;
	libxl_ctx *ctx;
	struct pzd_xen_scanner *scanner;
	sd_event_source *xs_src, *timer;
	bool list_warned, swept;

	struct dom **dom;		/* by domid, ascending */
	size_t ndom, cap;

	uint32_t scan_domid;		/* the scan running, if any */
	uint64_t scan_start_ms;
};

#define REFRESH_MS 1000
/* A guest being built lacks its xenstore keys for a moment: missing keys
 * are only worth a warning after this long. */
#define GRACE_MS 10000
#define TOKEN_DOMAINS "prezero-domains"
#define TOKEN_TARGET "prezero-target"

static uint64_t now_ms(void)
{
	return (uint64_t)pz_mono_ms();
}

const char *pzd_xen_type_name(enum pzd_xen_type t)
{
	switch (t) {
	case PZD_XEN_PV:
		return "pv";
	case PZD_XEN_PVH:
		return "pvh";
	case PZD_XEN_HVM:
		return "hvm";
	default:
		return "unknown";
	}
}

static const char *method_name(enum pzd_xen_method m)
{
	switch (m) {
	case PZD_XEN_SCAN_MAP:
		return "foreign-map";
	case PZD_XEN_SCAN_MEMTYPE:
		return "get-mem-type";
	default:
		return "p2m";
	}
}

/* ---- domains ------------------------------------------------------------- */

static struct dom *find_dom(struct pzd_xen *x, uint32_t domid)
{
	size_t lo = 0, hi = x->ndom;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (x->dom[mid]->domid == domid)
			return x->dom[mid];
		if (x->dom[mid]->domid < domid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static struct dom *find_dom_by_name(struct pzd_xen *x, const char *name)
{
	for (size_t i = 0; i < x->ndom; i++)
		if (!strcmp(x->dom[i]->name, name))
			return x->dom[i];
	return NULL;
}

/* xenstore's value at path, NUL-terminated; NULL (errno) if none. */
static char *xs_get(struct pzd_xen *x, const char *path, unsigned int *len)
{
	return xs_read(x->xs, XBT_NULL, path, len);
}

/* A KiB value under the domain's tree; logs a bad one once. */
static bool read_kib(struct pzd_xen *x, struct dom *d, const char *key,
		     unsigned int warn, bool quiet_missing, uint64_t *out)
{
	char path[64];
	unsigned int len = 0;
	char *v;
	int ret;

	snprintf(path, sizeof(path), "/local/domain/%u/%s", d->domid, key);
	v = xs_get(x, path, &len);
	if (!v) {
		if (!quiet_missing && !(d->warned & warn))
			log_warning("xen: domain %u: %s: %s, ignored", d->domid,
				    path, strerror(errno));
		if (!quiet_missing)
			d->warned |= warn;
		return false;
	}
	ret = pzd_xen_parse_kib(v, len, PZD_XEN_KIB_MAX, out);
	if (ret && !(d->warned & warn)) {
		log_warning("xen: domain %u: %s: \"%.32s\" is not a size in KiB, ignored",
			    d->domid, path, v);
		d->warned |= warn;
	}
	free(v);
	return !ret;
}

/* Missing keys of a guest younger than GRACE_MS are not news. */
static bool young(const struct dom *d)
{
	return now_ms() - d->first_ms < GRACE_MS;
}

static void read_name(struct pzd_xen *x, struct dom *d)
{
	char path[64];
	unsigned int len = 0;
	char *v;

	snprintf(path, sizeof(path), "/local/domain/%u/name", d->domid);
	v = xs_get(x, path, &len);
	if (!v) {
		if (young(d))
			return;
		if (!(d->warned & WARN_NAME))
			log_notice("xen: domain %u: no name in xenstore (%s)",
				   d->domid, strerror(errno));
		d->warned |= WARN_NAME;
		return;
	}
	pzd_xen_clean_name(v, len, d->name, sizeof(d->name));
	free(v);
}

/* libxl's type for the domain: /libxl/<domid>/type ("pv", "pvh", "hvm"),
 * which tells PVH from HVM; otherwise the hypervisor's HVM flag. */
static void read_type(struct pzd_xen *x, struct dom *d,
		      libxl_domain_type info_type)
{
	char path[64];
	unsigned int len = 0;
	char *v;

	snprintf(path, sizeof(path), "/libxl/%u/type", d->domid);
	v = xs_get(x, path, &len);
	if (v && !strcmp(v, "pv"))
		d->type = PZD_XEN_PV;
	else if (v && !strcmp(v, "pvh"))
		d->type = PZD_XEN_PVH;
	else if (v && !strcmp(v, "hvm"))
		d->type = PZD_XEN_HVM;
	else if (info_type == LIBXL_DOMAIN_TYPE_PV)
		d->type = PZD_XEN_PV;
	else if (info_type == LIBXL_DOMAIN_TYPE_PVH)
		d->type = PZD_XEN_PVH;
	else
		d->type = PZD_XEN_HVM;	/* HVM or PVH: scanned the same */
	if (v && strcmp(v, "pv") && strcmp(v, "pvh") && strcmp(v, "hvm") &&
	    !(d->warned & WARN_TYPE)) {
		log_warning("xen: domain %u: %s: unknown type \"%.16s\", taking %s",
			    d->domid, path, v, pzd_xen_type_name(d->type));
		d->warned |= WARN_TYPE;
	}
	free(v);
}

static void moved(struct dom *d, uint64_t now)
{
	d->ever_moved = true;
	d->moved_ms = now;
	d->sched.changed_ms = now;
	d->sched.dirty = true;
}

static void read_target(struct pzd_xen *x, struct dom *d, bool quiet)
{
	uint64_t v;

	if (!read_kib(x, d, "memory/target", WARN_TARGET, quiet, &v))
		return;
	if (d->have_target && v != d->target_kib)
		moved(d, now_ms());
	d->target_kib = v;
	d->have_target = true;
}

static void update_scannable(struct dom *d)
{
	d->sched.scannable = d->have_static_max && d->static_max_kib >= 4 &&
			     d->type != PZD_XEN_UNKNOWN;
}

static void watch_target(struct pzd_xen *x, struct dom *d, bool on)
{
	char path[64];

	snprintf(path, sizeof(path), "/local/domain/%u/memory/target",
		 d->domid);
	if (on && !d->watching) {
		d->watching = xs_watch(x->xs, path, TOKEN_TARGET);
		if (!d->watching && !(d->warned & WARN_WATCH)) {
			log_warning("xen: domain %u: cannot watch %s: %s; its target is read once a second",
				    d->domid, path, strerror(errno));
			d->warned |= WARN_WATCH;
		}
	} else if (!on && d->watching) {
		xs_unwatch(x->xs, path, TOKEN_TARGET);
		d->watching = false;
	}
}

/* What does not change while the guest runs (a rename aside); read again
 * while static-max is missing (a guest being built). */
static void read_static(struct pzd_xen *x, struct dom *d,
			libxl_domain_type info_type)
{
	read_name(x, d);
	read_type(x, d, info_type);
	d->have_static_max = read_kib(x, d, "memory/static-max",
				      WARN_STATIC_MAX, young(d),
				      &d->static_max_kib);
	update_scannable(d);
}

static struct dom *add_dom(struct pzd_xen *x, const libxl_dominfo *info)
{
	struct dom *d;
	size_t i;

	if (x->ndom == x->cap) {
		size_t cap = x->cap ? 2 * x->cap : 16;
		struct dom **n = realloc(x->dom, cap * sizeof(*n));

		if (!n)
			return NULL;
		x->dom = n;
		x->cap = cap;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->domid = info->domid;
	d->first_ms = now_ms();
	pz_ranges_init(&d->ranges, x->max_ranges);
	if (!libxl_uuid_is_nil(&info->uuid))
		snprintf(d->uuid, sizeof(d->uuid), LIBXL_UUID_FMT,
			 LIBXL_UUID_BYTES(info->uuid));
	for (i = x->ndom; i > 0 && x->dom[i - 1]->domid > d->domid; i--)
		x->dom[i] = x->dom[i - 1];
	x->dom[i] = d;
	x->ndom++;

	read_static(x, d, info->domain_type);
	read_target(x, d, true);
	/* At start (and for a new guest): scan once it has settled. */
	d->sched.changed_ms = now_ms();
	d->sched.dirty = true;
	watch_target(x, d, true);
	log_info("xen: domain %u (%s, %s): static-max %llu KiB, target %llu KiB",
		 d->domid, d->name[0] ? d->name : "?",
		 pzd_xen_type_name(d->type),
		 (unsigned long long)d->static_max_kib,
		 (unsigned long long)d->target_kib);
	return d;
}

static void remove_dom(struct pzd_xen *x, size_t i)
{
	struct dom *d = x->dom[i];

	log_info("xen: domain %u (%s) is gone%s", d->domid,
		 d->name[0] ? d->name : "?",
		 d->have_list ? ", its exclude list removed" : "");
	watch_target(x, d, false);
	pzd_xen_unpublish(x->dir, x->xs, d->domid);
	pz_ranges_free(&d->ranges);
	free(d);
	memmove(&x->dom[i], &x->dom[i + 1], (x->ndom - i - 1) * sizeof(*x->dom));
	x->ndom--;
}

static bool dom_alive(void *ud, uint32_t domid)
{
	return find_dom(ud, domid) != NULL;
}

static void maybe_scan(struct pzd_xen *x);

/* The domains libxl knows, and their current memory. */
static void refresh(struct pzd_xen *x)
{
	uint64_t now = now_ms();
	libxl_dominfo *info;
	int n = 0;

	info = libxl_list_domain(x->ctx, &n);
	if (!info) {
		if (!x->list_warned)
			log_warning("xen: cannot list the domains (libxl), retrying");
		x->list_warned = true;
		return;
	}
	x->list_warned = false;
	for (size_t i = 0; i < x->ndom; i++)
		x->dom[i]->seen = false;
	for (int i = 0; i < n; i++) {
		struct dom *d;

		/* dom0 is us; a dying domain is going away. */
		if (!info[i].domid || info[i].dying)
			continue;
		d = find_dom(x, info[i].domid);
		if (!d)
			d = add_dom(x, &info[i]);
		if (!d) {
			log_err("xen: out of memory");
			break;
		}
		d->seen = true;
		if (!d->have_static_max)
			read_static(x, d, info[i].domain_type);
		if (!d->have_target && !young(d))
			read_target(x, d, false);
		if (d->have_current && info[i].current_memkb != d->current_kib)
			moved(d, now);
		d->current_kib = info[i].current_memkb;
		d->have_current = true;
		d->max_kib = info[i].max_memkb;
		d->paged_kib = info[i].paged_memkb;
		if (!d->watching)
			read_target(x, d, true);
	}
	libxl_dominfo_list_free(info, n);
	for (size_t i = x->ndom; i > 0; i--)
		if (!x->dom[i - 1]->seen)
			remove_dom(x, i - 1);
	if (!x->swept) {
		/* Lists of guests that went away while we were not running. */
		pzd_xen_publish_sweep(x->dir, dom_alive, x);
		x->swept = true;
	}
	maybe_scan(x);
}

/* ---- scans ----------------------------------------------------------------- */

static void maybe_scan(struct pzd_xen *x)
{
	struct pzd_xen_scan_job job;
	uint64_t now = now_ms();
	struct dom *best = NULL;
	int ret;

	if (pzd_xen_scanner_busy(x->scanner))
		return;
	/* The longest waiting first. */
	for (size_t i = 0; i < x->ndom; i++) {
		struct dom *d = x->dom[i];

		if (!pzd_xen_scan_due(&d->sched, now, x->settle_ms,
				      x->min_interval_ms))
			continue;
		if (!best || !d->sched.scanned ||
		    (best->sched.scanned &&
		     d->sched.last_scan_ms < best->sched.last_scan_ms))
			best = d;
	}
	if (!best)
		return;
	job.domid = best->domid;
	job.type = best->type;
	job.frames = best->static_max_kib / 4;	/* 4 KiB frames */
	job.max_ranges = x->max_ranges;
	job.query = x->hvm_query;
	ret = pzd_xen_scanner_start(x->scanner, &job);
	if (ret) {
		log_warning("xen: domain %u: cannot start a scan: %s",
			    best->domid, strerror(-ret));
		return;
	}
	x->scan_domid = best->domid;
	x->scan_start_ms = now;
	best->sched.last_scan_ms = now;
	best->sched.scanned = true;
	best->sched.dirty = false;
	log_debug("xen: domain %u: scanning %llu frames", best->domid,
		  (unsigned long long)job.frames);
}

static void set_note(struct dom *d, const char *why)
{
	if (strcmp(d->note, why))
		log_warning("xen: domain %u (%s): %s", d->domid,
			    d->name[0] ? d->name : "?", why);
	snprintf(d->note, sizeof(d->note), "%s", why);
}

static void publish(struct pzd_xen *x, struct dom *d,
		    struct pzd_xen_scan_result *res)
{
	struct pzd_xen_pub p = { .ranges = &res->ranges };
	struct pz_exclude_hdr *h = &p.hdr;

	if (!d->gen_loaded) {
		d->generation = pzd_xen_publish_last_gen(x->dir, d->domid);
		d->gen_loaded = true;
	}
	h->domid = d->domid;
	snprintf(h->uuid, sizeof(h->uuid), "%s", d->uuid);
	snprintf(h->name, sizeof(h->name), "%s", d->name);
	snprintf(h->type, sizeof(h->type), "%s", pzd_xen_type_name(d->type));
	h->generation = d->generation + 1;
	h->page_size = 4096;
	h->time = (int64_t)time(NULL);
	h->scanned_frames = res->scanned;
	h->complete = res->complete && !res->ranges.truncated;
	if (pzd_xen_publish_files(x->dir, &p) < 0) {
		/* Logged; the old list stays. Try again after the interval. */
		d->sched.dirty = true;
		return;
	}
	d->generation = h->generation;
	pz_ranges_free(&d->ranges);
	d->ranges = res->ranges;
	pz_ranges_init(&res->ranges, x->max_ranges);
	p.ranges = &d->ranges;
	d->hdr = *h;
	d->have_list = true;
	d->scan_ms = res->scan_ms;
	d->method = method_name(res->method);
	pzd_xen_publish_xenstore(x->xs, &p);
	log_info("xen: domain %u (%s): %llu frames unpopulated in %zu ranges%s, generation %llu (%s scan of %llu frames in %llu ms)",
		 d->domid, d->name[0] ? d->name : "?",
		 (unsigned long long)d->ranges.frames, d->ranges.n,
		 h->complete ? "" : " (incomplete)",
		 (unsigned long long)h->generation, d->method,
		 (unsigned long long)res->scanned,
		 (unsigned long long)res->scan_ms);
}

static void scan_done(void *ud, struct pzd_xen_scan_result *res)
{
	struct pzd_xen *x = ud;
	struct dom *d = find_dom(x, res->domid);

	if (!d) {
		log_debug("xen: domain %u went away during its scan",
			  res->domid);
	} else if (res->err) {
		set_note(d, res->why);
		/* Try again after min_interval_s. */
		d->sched.dirty = true;
	} else if (d->ever_moved && d->moved_ms >= x->scan_start_ms) {
		/* The balloon moved under the scan: scan again once settled. */
		log_debug("xen: domain %u: balloon moved during the scan, result dropped",
			  d->domid);
		d->sched.dirty = true;
	} else {
		if (res->why[0])
			set_note(d, res->why);
		else
			d->note[0] = '\0';
		publish(x, d, res);
	}
	pz_ranges_free(&res->ranges);
	maybe_scan(x);
}

/* ---- event sources ----------------------------------------------------------- */

static void on_watch(struct pzd_xen *x, const char *path, const char *token)
{
	uint32_t domid;
	struct dom *d;

	if (!strcmp(token, TOKEN_DOMAINS)) {
		refresh(x);
		return;
	}
	if (strcmp(token, TOKEN_TARGET) ||
	    pzd_xen_watch_domid(path, "/memory/target", &domid))
		return;
	d = find_dom(x, domid);
	/* Missing: the guest is being destroyed; the refresh sees it go. */
	if (d)
		read_target(x, d, true);
}

static int on_xs(sd_event_source *s, int fd, uint32_t revents, void *ud)
{
	struct pzd_xen *x = ud;
	char **vec;

	(void)s;
	(void)fd;
	(void)revents;
	while ((vec = xs_check_watch(x->xs))) {
		on_watch(x, vec[XS_WATCH_PATH], vec[XS_WATCH_TOKEN]);
		free(vec);
	}
	return 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *ud)
{
	struct pzd_xen *x = ud;

	refresh(x);
	sd_event_source_set_time(s, usec + REFRESH_MS * 1000);
	sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
	return 0;
}

/* ---- start and stop ------------------------------------------------------------ */

/* A dom0 has "control_d" in /proc/xen/capabilities (xenfs mounted). */
static bool is_dom0(char *why, size_t len)
{
	char buf[256];
	FILE *f = fopen(CAPS_PATH, "re");
	size_t n;

	if (!f) {
		snprintf(why, len, "not a Xen dom0 (%s: %s)", CAPS_PATH,
			 strerror(errno));
		return false;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if (!strstr(buf, "control_d")) {
		snprintf(why, len, "not a Xen dom0 (%s has no control_d)",
			 CAPS_PATH);
		return false;
	}
	return true;
}

static void off(struct pzd_xen *x, int prio, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void off(struct pzd_xen *x, int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(x->reason, sizeof(x->reason), fmt, ap);
	va_end(ap);
	x->active = false;
	pzd_log(prio, "xen: off: %s", x->reason);
}

static int start(struct pzd_xen *x, int prio)
{
	int ret;

	x->xs = xs_open(0);
	if (!x->xs) {
		off(x, prio, "cannot open xenstore: %s", strerror(errno));
		return -1;
	}
	x->logger = xtl_createlogger_stdiostream(stderr, XTL_ERROR, 0);
	if (!x->logger ||
	    libxl_ctx_alloc(&x->ctx, LIBXL_VERSION, 0,
			    (xentoollog_logger *)x->logger)) {
		off(x, prio, "cannot open libxl");
		return -1;
	}
	x->scanner = pzd_xen_scanner_new(x->event, scan_done, x);
	if (!x->scanner) {
		off(x, prio, "cannot start the scanner (see above)");
		return -1;
	}
	if (!xs_watch(x->xs, "@introduceDomain", TOKEN_DOMAINS) ||
	    !xs_watch(x->xs, "@releaseDomain", TOKEN_DOMAINS)) {
		off(x, prio, "cannot watch xenstore: %s", strerror(errno));
		return -1;
	}
	ret = sd_event_add_io(x->event, &x->xs_src, xs_fileno(x->xs), EPOLLIN,
			      on_xs, x);
	if (ret >= 0)
		ret = sd_event_add_time_relative(x->event, &x->timer,
						 CLOCK_MONOTONIC,
						 REFRESH_MS * 1000, 100000,
						 on_timer, x);
	if (ret < 0) {
		off(x, LOG_ERR, "event loop: %s", strerror(-ret));
		return -1;
	}
	x->active = true;
	snprintf(x->reason, sizeof(x->reason), "Xen dom0");
	log_info("xen: dom0: tracking the guests' balloons, exclude lists in %s",
		 x->dir);
	refresh(x);
	return 0;
}

static void stop(struct pzd_xen *x)
{
	x->timer = sd_event_source_disable_unref(x->timer);
	x->xs_src = sd_event_source_disable_unref(x->xs_src);
	pzd_xen_scanner_free(x->scanner);
	x->scanner = NULL;
	/* The lists stay: a restart rebuilds them and continues the
	 * generations; a guest that goes meanwhile is swept then. */
	while (x->ndom) {
		struct dom *d = x->dom[x->ndom - 1];

		watch_target(x, d, false);
		pz_ranges_free(&d->ranges);
		free(d);
		x->ndom--;
	}
	free(x->dom);
	x->dom = NULL;
	x->cap = 0;
	if (x->ctx)
		libxl_ctx_free(x->ctx);
	x->ctx = NULL;
	if (x->logger)
		xtl_logger_destroy((xentoollog_logger *)x->logger);
	x->logger = NULL;
	xs_close(x->xs);
	x->xs = NULL;
}

void pzd_xen_config(struct pzd_xen *x, const struct pzd_config *cfg)
{
	if (x->active && strcmp(x->dir, cfg->xen_dir))
		log_notice("xen: dir %s: changing it needs a restart, still writing to %s",
			   cfg->xen_dir, x->dir);
	if (cfg->xen_enabled != x->enabled)
		log_notice("xen: changing enabled needs a restart");
	x->settle_ms = (uint64_t)cfg->xen_settle_s * 1000;
	x->min_interval_ms = (uint64_t)cfg->xen_min_interval_s * 1000;
	x->max_ranges = cfg->xen_max_ranges;
	x->hvm_query = cfg->xen_hvm_scan == PZD_XEN_HVM_SCAN_QUERY;
}

struct pzd_xen *pzd_xen_new(sd_event *event, const struct pzd_config *cfg)
{
	struct pzd_xen *x = calloc(1, sizeof(*x));
	int prio = cfg->xen_enabled == PZD_XEN_YES ? LOG_WARNING : LOG_DEBUG;
	char why[sizeof(x->reason)];

	if (!x)
		return NULL;
	x->event = event;
	x->enabled = cfg->xen_enabled;
	snprintf(x->dir, sizeof(x->dir), "%s", cfg->xen_dir);
	pzd_xen_config(x, cfg);
	if (cfg->xen_enabled == PZD_XEN_NO) {
		off(x, LOG_DEBUG, "disabled in the configuration ([xen] enabled = no)");
		return x;
	}
	if (!is_dom0(why, sizeof(why))) {
		off(x, prio, "%s", why);
		return x;
	}
	/* A dom0 from here: trouble is worth a warning even in auto mode. */
	if (start(x, LOG_WARNING) < 0)
		stop(x);
	return x;
}

void pzd_xen_free(struct pzd_xen *x)
{
	if (!x)
		return;
	stop(x);
	free(x);
}

/* ---- the protocol -------------------------------------------------------------- */

static struct json_object *exclude_summary(struct pzd_xen *x,
					   const struct dom *d)
{
	struct json_object *o = json_object_new_object();
	char path[PATH_MAX];

	pzd_xen_publish_path(x->dir, d->domid, false, path, sizeof(path));
	jadd(o, "generation", json_object_new_uint64(d->hdr.generation));
	jadd(o, "excluded_frames", json_object_new_uint64(d->ranges.frames));
	jadd(o, "ranges", json_object_new_uint64(d->ranges.n));
	jadd(o, "complete", json_object_new_boolean(d->hdr.complete));
	jadd(o, "scanned_frames", json_object_new_uint64(d->hdr.scanned_frames));
	jadd(o, "scan_ms", json_object_new_uint64(d->scan_ms));
	jadd(o, "method", json_object_new_string(d->method));
	jadd(o, "time", json_object_new_int64(d->hdr.time));
	jadd(o, "path", json_object_new_string(path));
	return o;
}

static struct json_object *dom_json(struct pzd_xen *x, const struct dom *d,
				    uint64_t now)
{
	struct json_object *o = json_object_new_object();
	uint64_t cur = d->current_kib * 1024, max = d->static_max_kib * 1024;

	jadd(o, "domid", json_object_new_int64(d->domid));
	jadd(o, "name", json_object_new_string(d->name));
	jadd(o, "uuid", json_object_new_string(d->uuid));
	jadd(o, "type", json_object_new_string(pzd_xen_type_name(d->type)));
	jadd(o, "target_bytes", d->have_target ?
	     json_object_new_uint64(d->target_kib * 1024) : NULL);
	jadd(o, "current_bytes", d->have_current ?
	     json_object_new_uint64(cur) : NULL);
	jadd(o, "static_max_bytes", d->have_static_max ?
	     json_object_new_uint64(max) : NULL);
	jadd(o, "ballooned_bytes", d->have_static_max && d->have_current ?
	     json_object_new_uint64(max > cur ? max - cur : 0) : NULL);
	jadd(o, "balloon_changed_s", d->ever_moved ?
	     json_object_new_int64((int64_t)((now - d->moved_ms) / 1000)) :
	     NULL);
	jadd(o, "settled", json_object_new_boolean(
		     pzd_xen_settled(&d->sched, now, x->settle_ms)));
	jadd(o, "scanning", json_object_new_boolean(
		     pzd_xen_scanner_busy(x->scanner) &&
		     x->scan_domid == d->domid));
	jadd(o, "note", d->note[0] ? json_object_new_string(d->note) : NULL);
	jadd(o, "exclude", d->have_list ? exclude_summary(x, d) : NULL);
	return o;
}

static struct json_object *state_json(struct pzd_xen *x)
{
	struct json_object *o = json_object_new_object();

	jadd(o, "state", json_object_new_string(x->active ? "active" : "off"));
	jadd(o, "reason", json_object_new_string(x->reason));
	if (x->active)
		jadd(o, "dir", json_object_new_string(x->dir));
	return o;
}

int pzd_xen_list(struct pzd_xen *x, struct json_object *reply,
		 struct pzd_proto_err *err)
{
	struct json_object *arr = json_object_new_array();
	uint64_t now = now_ms();

	(void)err;
	jadd(reply, "xen", state_json(x));
	for (size_t i = 0; i < x->ndom; i++)
		json_object_array_add(arr, dom_json(x, x->dom[i], now));
	jadd(reply, "domains", arr);
	return 0;
}

int pzd_xen_exclude(struct pzd_xen *x, const struct pzd_xen_dom_req *req,
		    struct json_object *reply, struct pzd_proto_err *err)
{
	static const char cmd[] = "xen-exclude";
	struct json_object *o;
	char path[PATH_MAX];
	struct dom *d;

	if (!x->active) {
		pzd_proto_seterr(err, "no-xen", "%s: prezerod is not tracking Xen domains: %s",
				 cmd, x->reason);
		return -1;
	}
	d = req->by_name ? find_dom_by_name(x, req->name) :
			   find_dom(x, req->domid);
	if (!d) {
		if (req->by_name)
			pzd_proto_seterr(err, "no-such-domain",
					 "%s: no domain named \"%s\"", cmd,
					 req->name);
		else
			pzd_proto_seterr(err, "no-such-domain",
					 "%s: domain %u does not exist", cmd,
					 req->domid);
		return -1;
	}
	if (!d->have_list) {
		pzd_proto_seterr(err, "no-exclude-list",
				 "%s: domain %u (%s) has no exclude list yet%s%s",
				 cmd, d->domid, d->name, d->note[0] ? ": " : "",
				 d->note);
		return -1;
	}
	o = pz_exclude_to_json(&d->hdr, &d->ranges, PZ_EXCLUDE_REPLY_RANGES);
	if (!o) {
		pzd_proto_seterr(err, "internal", "%s: out of memory", cmd);
		return -1;
	}
	json_object_object_foreach(o, key, val) {
		json_object_object_add(reply, key, json_object_get(val));
	}
	json_object_put(o);
	pzd_xen_publish_path(x->dir, d->domid, false, path, sizeof(path));
	jadd(reply, "path", json_object_new_string(path));
	return 0;
}

#endif /* PZD_XEN */
