/* SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause */
/*
 * prezerod on a Xen dom0 (proto/xen-exclude.md): tracks every guest's
 * balloon (xen.c), scans a settled guest's unpopulated frames off the main
 * loop (xen_scan.c) and publishes them as exclude lists in files and in
 * the guest's xenstore tree (xen_publish.c).
 *
 * Built without the Xen libraries, xen.c alone answers "off".
 */
#ifndef PREZEROD_XEN_H
#define PREZEROD_XEN_H

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "config.h"
#include "protocol.h"

struct json_object;
struct pzd_xen;

/*
 * Start tracking if this host is a Xen dom0 and cfg allows it; otherwise
 * an object that answers "off" with a reason. NULL only without memory.
 */
struct pzd_xen *pzd_xen_new(sd_event *event, const struct pzd_config *cfg);
void pzd_xen_free(struct pzd_xen *x);
/* A reloaded config: settle_s, min_interval_s and max_ranges apply now. */
void pzd_xen_config(struct pzd_xen *x, const struct pzd_config *cfg);

/* The protocol's xen-list and xen-exclude (proto/xen-exclude.md). */
int pzd_xen_list(struct pzd_xen *x, struct json_object *reply,
		 struct pzd_proto_err *err);
int pzd_xen_exclude(struct pzd_xen *x, const struct pzd_xen_dom_req *dom,
		    struct json_object *reply, struct pzd_proto_err *err);

#ifdef PZD_XEN
/* ---- between xen.c, xen_scan.c and xen_publish.c ---------------------- */

#include "xen_parse.h"
#include "xenexclude.h"

enum pzd_xen_type { PZD_XEN_PV, PZD_XEN_PVH, PZD_XEN_HVM, PZD_XEN_UNKNOWN };

const char *pzd_xen_type_name(enum pzd_xen_type t);

/* How a scan examined the frames. */
enum pzd_xen_method {
	PZD_XEN_SCAN_MAP,	/* foreign mapping, err per frame */
	PZD_XEN_SCAN_MEMTYPE,	/* HVMOP_get_mem_type per frame */
	PZD_XEN_SCAN_P2M,	/* a PV guest's p2m */
};

struct pzd_xen_scan_job {
	uint32_t domid;
	enum pzd_xen_type type;
	uint64_t frames;		/* scan [0, frames) */
	size_t max_ranges;
	bool query;			/* PVH/HVM: HVMOP_get_mem_type always */
};

struct pzd_xen_scan_result {
	uint32_t domid;
	int err;			/* 0, or -errno: nothing usable */
	char why[160];			/* err's (or a partial scan's) reason */
	enum pzd_xen_method method;
	struct pz_ranges ranges;	/* done() frees (or keeps) them */
	uint64_t scanned;		/* frames [0, scanned) examined */
	bool complete;			/* false: cut, or some frames failed */
	uint64_t scan_ms;
};

struct pzd_xen_scanner;
typedef void (*pzd_xen_scan_done_fn)(void *ud,
				     struct pzd_xen_scan_result *res);

/* One worker thread; done runs in the event loop. */
struct pzd_xen_scanner *pzd_xen_scanner_new(sd_event *event,
					    pzd_xen_scan_done_fn done,
					    void *ud);
void pzd_xen_scanner_free(struct pzd_xen_scanner *s);
/* -EBUSY while a scan runs. */
int pzd_xen_scanner_start(struct pzd_xen_scanner *s,
			  const struct pzd_xen_scan_job *job);
bool pzd_xen_scanner_busy(const struct pzd_xen_scanner *s);

/* What xen_publish.c needs of a domain's list. */
struct pzd_xen_pub {
	struct pz_exclude_hdr hdr;
	const struct pz_ranges *ranges;
};

/* The highest generation in dir/<domid>.exclude, 0 if none. */
uint64_t pzd_xen_publish_last_gen(const char *dir, uint32_t domid);
/* Both files, atomically. 0 or -errno (logged; the old files stay). */
int pzd_xen_publish_files(const char *dir, const struct pzd_xen_pub *p);
/* The xenstore copy (xsh: a struct xs_handle *). 0 or -errno (logged). */
int pzd_xen_publish_xenstore(void *xsh, const struct pzd_xen_pub *p);
/* The domain went away: its files and xenstore copy. */
void pzd_xen_unpublish(const char *dir, void *xsh, uint32_t domid);
/* At start: remove files of domains for which alive() says false. */
void pzd_xen_publish_sweep(const char *dir,
			   bool (*alive)(void *ud, uint32_t domid), void *ud);
/* "<dir>/<domid>.exclude" */
void pzd_xen_publish_path(const char *dir, uint32_t domid, bool json,
			  char *buf, size_t len);
#endif

#endif
