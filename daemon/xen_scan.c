// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/*
 * The scanner: one worker thread that finds a guest's unpopulated frames,
 * one guest at a time, so the main loop never waits for a scan. The main
 * loop learns the end through an eventfd (as daemon/pool_fill.c does).
 *
 * Methods (proto/xen-exclude.md, "How the lists are built", has the
 * reasons and the side effects):
 *  - PVH/HVM: foreign-map the gfns in batches of BATCH with an error
 *    array; -EINVAL is an unpopulated gfn. Each batch is unmapped at once.
 *    Not for a guest with outstanding populate-on-demand entries or paged
 *    out frames: mapping would populate the first and page in the second.
 *  - PVH/HVM with PoD entries or paging, or always with [xen] hvm_scan =
 *    query: HVMOP_get_mem_type per gfn (a p2m query: no side effects;
 *    HVMMEM_mmio_dm is unpopulated).
 *  - PV: the guest's p2m (libxenguest's xc_map_domain_meminfo); invalid
 *    entries (and frames the guest does not own) are unpopulated.
 *
 * Memory is bounded: a batch of frames at a time, the ranges at their max,
 * and a PV guest's p2m copy (8 bytes a frame) only up to PV_MAX_FRAMES.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xencall.h>
#include <xenctrl.h>
#include <xenforeignmemory.h>
#include <xenguest.h>
#include <xen/hvm/hvm_op.h>

#include "log.h"
#include "monotime.h"
#include "xen.h"

/* Frames per foreign-mapping batch (16 MiB of address space). */
#define BATCH 4096
/* A PV guest's p2m is copied whole: 8 bytes per frame, 512 MiB here. */
#define PV_MAX_FRAMES (UINT64_C(64) << 20)

struct pzd_xen_scanner {
	pzd_xen_scan_done_fn done;
	void *ud;

	xc_interface *xch;
	xenforeignmemory_handle *fmem;
	xencall_handle *xcall;

	pthread_t thread;
	bool thread_ok;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool have_job, quit;			/* under lock */
	struct pzd_xen_scan_job job;		/* under lock */
	struct pzd_xen_scan_result *res;	/* under lock: the finished one */

	atomic_bool busy, abort;
	int efd;
	sd_event_source *src;
};

static void fail(struct pzd_xen_scan_result *r, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fail(struct pzd_xen_scan_result *r, int err, const char *fmt, ...)
{
	va_list ap;

	r->err = err ? err : -EIO;
	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
}

/* PVH/HVM by foreign mapping. */
static void scan_map(struct pzd_xen_scanner *s, const struct pzd_xen_scan_job *j,
		     struct pzd_xen_scan_result *r)
{
	xen_pfn_t *pfn = calloc(BATCH, sizeof(*pfn));
	int *err = calloc(BATCH, sizeof(*err));
	bool *bad = calloc(BATCH, sizeof(*bad));
	uint64_t other = 0, first_other = 0;
	int other_err = 0;

	r->method = PZD_XEN_SCAN_MAP;
	if (!pfn || !err || !bad) {
		fail(r, -ENOMEM, "scan: out of memory");
		goto out;
	}
	for (uint64_t base = 0; base < j->frames; base += BATCH) {
		size_t n = j->frames - base < BATCH ? (size_t)(j->frames - base) :
						      BATCH;
		void *m;

		if (atomic_load(&s->abort)) {
			fail(r, -ECANCELED, "scan: cancelled");
			goto out;
		}
		for (size_t i = 0; i < n; i++) {
			pfn[i] = base + i;
			err[i] = 0;
		}
		m = xenforeignmemory_map(s->fmem, j->domid, PROT_READ, n, pfn,
					 err);
		if (!m && !base) {
			fail(r, -errno, "foreign mapping failed: %s",
			     strerror(errno));
			goto out;
		}
		if (!m) {
			/* Nothing of this batch known: stop here. */
			snprintf(r->why, sizeof(r->why),
				 "foreign mapping of gfns %#llx+%zu failed: %s; list cut there",
				 (unsigned long long)base, n, strerror(errno));
			r->complete = false;
			break;
		}
		xenforeignmemory_unmap(s->fmem, m, n);
		for (size_t i = 0; i < n; i++) {
			bad[i] = err[i] == -EINVAL;
			if (err[i] && !bad[i] && !other++) {
				first_other = base + i;
				other_err = -err[i];
			}
		}
		if (pz_ranges_add_batch(&r->ranges, base, bad, n)) {
			fail(r, -ENOMEM, "scan: out of memory");
			goto out;
		}
		r->scanned = base + n;
	}
	if (other) {
		/* Not listed, so safe; but the list may miss frames. */
		r->complete = false;
		if (!r->why[0])
			snprintf(r->why, sizeof(r->why),
				 "%llu frames could not be mapped for another reason (first %#llx: %s)",
				 (unsigned long long)other,
				 (unsigned long long)first_other,
				 strerror(other_err));
	}
out:
	free(pfn);
	free(err);
	free(bad);
}

/* PVH/HVM by HVMOP_get_mem_type: a query, one gfn per hypercall. */
static void scan_memtype(struct pzd_xen_scanner *s,
			 const struct pzd_xen_scan_job *j,
			 struct pzd_xen_scan_result *r)
{
	struct xen_hvm_get_mem_type *arg;
	bool *bad = calloc(BATCH, sizeof(*bad));

	r->method = PZD_XEN_SCAN_MEMTYPE;
	arg = xencall_alloc_buffer(s->xcall, sizeof(*arg));
	if (!arg || !bad) {
		fail(r, -ENOMEM, "scan: out of memory");
		goto out;
	}
	for (uint64_t base = 0; base < j->frames; base += BATCH) {
		size_t n = j->frames - base < BATCH ? (size_t)(j->frames - base) :
						      BATCH;

		if (atomic_load(&s->abort)) {
			fail(r, -ECANCELED, "scan: cancelled");
			goto out;
		}
		for (size_t i = 0; i < n; i++) {
			memset(arg, 0, sizeof(*arg));
			arg->domid = (domid_t)j->domid;
			arg->pfn = base + i;
			if (xencall2(s->xcall, __HYPERVISOR_hvm_op,
				     HVMOP_get_mem_type,
				     (uint64_t)(uintptr_t)arg) < 0) {
				if (!base && !i) {
					fail(r, -errno, "HVMOP_get_mem_type: %s",
					     strerror(errno));
					goto out;
				}
				snprintf(r->why, sizeof(r->why),
					 "HVMOP_get_mem_type of gfn %#llx failed: %s; list cut there",
					 (unsigned long long)(base + i),
					 strerror(errno));
				r->complete = false;
				n = i;
				break;
			}
			bad[i] = arg->mem_type == HVMMEM_mmio_dm;
		}
		if (pz_ranges_add_batch(&r->ranges, base, bad, n)) {
			fail(r, -ENOMEM, "scan: out of memory");
			goto out;
		}
		r->scanned = base + n;
		if (!r->complete)
			break;
	}
out:
	if (arg)
		xencall_free_buffer(s->xcall, arg);
	free(bad);
}

/* p2m entry i of a guest of width 4 or 8 bytes: valid? */
static bool p2m_valid(const struct xc_domain_meminfo *mi, uint64_t i)
{
	if (mi->guest_width == 4)
		return ((const uint32_t *)mi->p2m_table)[i] != UINT32_MAX;
	return ((const uint64_t *)mi->p2m_table)[i] != UINT64_MAX;
}

/* PV: the guest's p2m. */
static void scan_p2m(struct pzd_xen_scanner *s, const struct pzd_xen_scan_job *j,
		     struct pzd_xen_scan_result *r)
{
	struct xc_domain_meminfo mi = { 0 };
	bool *bad = calloc(BATCH, sizeof(*bad));
	uint64_t frames;

	r->method = PZD_XEN_SCAN_P2M;
	if (!bad) {
		fail(r, -ENOMEM, "scan: out of memory");
		return;
	}
	if (j->frames > PV_MAX_FRAMES) {
		fail(r, -EFBIG, "PV guest larger than %llu GiB: not scanned (its p2m copy would take %llu MiB)",
		     (unsigned long long)(PV_MAX_FRAMES >> 18),
		     (unsigned long long)(j->frames >> 17));
		goto out;
	}
	if (xc_map_domain_meminfo(s->xch, j->domid, &mi)) {
		fail(r, -errno, "reading the PV guest's p2m failed: %s",
		     strerror(errno));
		goto out;
	}
	/* [0, static-max) as for the others: pfns past the p2m have no
	 * frame, those past static-max are not the guest's RAM. */
	frames = mi.p2m_size < j->frames ? mi.p2m_size : j->frames;
	for (uint64_t base = 0; base < frames; base += BATCH) {
		size_t n = frames - base < BATCH ? (size_t)(frames - base) : BATCH;

		if (atomic_load(&s->abort)) {
			fail(r, -ECANCELED, "scan: cancelled");
			break;
		}
		for (size_t i = 0; i < n; i++)
			bad[i] = !p2m_valid(&mi, base + i) ||
				 (mi.pfn_type[base + i] &
				  XEN_DOMCTL_PFINFO_LTAB_MASK) ==
				 XEN_DOMCTL_PFINFO_XTAB;
		if (pz_ranges_add_batch(&r->ranges, base, bad, n)) {
			fail(r, -ENOMEM, "scan: out of memory");
			break;
		}
		r->scanned = base + n;
	}
	if (!r->err && frames < j->frames) {
		if (pz_ranges_add(&r->ranges, frames, j->frames))
			fail(r, -ENOMEM, "scan: out of memory");
		r->scanned = j->frames;
	}
	xc_unmap_domain_meminfo(s->xch, &mi);
out:
	free(bad);
}

/* PoD entries left or frames paged out: mapping would change the guest. */
static bool needs_query(struct pzd_xen_scanner *s, uint32_t domid,
			char *why, size_t len)
{
	uint64_t tot = 0, cache = 0, entries = 0;
	xc_domaininfo_t info;

	if (!xc_domain_get_pod_target(s->xch, domid, &tot, &cache, &entries) &&
	    entries) {
		snprintf(why, len, "%llu populate-on-demand entries",
			 (unsigned long long)entries);
		return true;
	}
	if (xc_domain_getinfolist(s->xch, domid, 1, &info) == 1 &&
	    info.domain == domid && info.paged_pages) {
		snprintf(why, len, "%llu frames paged out",
			 (unsigned long long)info.paged_pages);
		return true;
	}
	return false;
}

static void scan(struct pzd_xen_scanner *s, const struct pzd_xen_scan_job *j,
		 struct pzd_xen_scan_result *r)
{
	uint64_t start = (uint64_t)pz_mono_ms();
	char why[96];

	r->domid = j->domid;
	r->complete = true;
	pz_ranges_init(&r->ranges, j->max_ranges);
	if (j->type == PZD_XEN_PV) {
		scan_p2m(s, j, r);
	} else if (j->query) {
		scan_memtype(s, j, r);
	} else if (needs_query(s, j->domid, why, sizeof(why))) {
		log_debug("xen: domain %u: %s: querying frame by frame",
			  j->domid, why);
		scan_memtype(s, j, r);
	} else {
		scan_map(s, j, r);
	}
	r->scan_ms = (uint64_t)pz_mono_ms() - start;
}

static void *worker(void *arg)
{
	struct pzd_xen_scanner *s = arg;
	struct pzd_xen_scan_result *r;
	struct pzd_xen_scan_job j;
	uint64_t one = 1;

	for (;;) {
		pthread_mutex_lock(&s->lock);
		while (!s->have_job && !s->quit)
			pthread_cond_wait(&s->cond, &s->lock);
		if (s->quit) {
			pthread_mutex_unlock(&s->lock);
			return NULL;
		}
		j = s->job;
		s->have_job = false;
		pthread_mutex_unlock(&s->lock);

		r = calloc(1, sizeof(*r));
		if (r)
			scan(s, &j, r);
		pthread_mutex_lock(&s->lock);
		s->res = r;
		pthread_mutex_unlock(&s->lock);
		if (write(s->efd, &one, sizeof(one)) < 0)
			log_err("xen: scanner: eventfd: %s", strerror(errno));
	}
}

static int on_done(sd_event_source *src, int fd, uint32_t revents, void *ud)
{
	struct pzd_xen_scanner *s = ud;
	struct pzd_xen_scan_result *r, oom = { .err = -ENOMEM };
	uint64_t n;

	(void)src;
	(void)revents;
	if (read(fd, &n, sizeof(n)) != sizeof(n))
		return 0;
	pthread_mutex_lock(&s->lock);
	r = s->res;
	s->res = NULL;
	oom.domid = s->job.domid;
	pthread_mutex_unlock(&s->lock);
	atomic_store(&s->busy, false);
	if (!r) {
		snprintf(oom.why, sizeof(oom.why), "scan: out of memory");
		pz_ranges_init(&oom.ranges, 1);
		s->done(s->ud, &oom);
		return 0;
	}
	s->done(s->ud, r);	/* it frees the ranges */
	free(r);
	return 0;
}

struct pzd_xen_scanner *pzd_xen_scanner_new(sd_event *event,
					    pzd_xen_scan_done_fn done,
					    void *ud)
{
	struct pzd_xen_scanner *s = calloc(1, sizeof(*s));
	const char *what;
	int ret;

	if (!s)
		return NULL;
	s->efd = -1;
	s->done = done;
	s->ud = ud;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	what = "xc_interface_open";
	s->xch = xc_interface_open(NULL, NULL, 0);
	if (!s->xch)
		goto fail;
	what = "xenforeignmemory_open";
	s->fmem = xenforeignmemory_open(NULL, 0);
	if (!s->fmem)
		goto fail;
	what = "xencall_open";
	s->xcall = xencall_open(NULL, 0);
	if (!s->xcall)
		goto fail;
	what = "eventfd";
	s->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->efd < 0)
		goto fail;
	ret = sd_event_add_io(event, &s->src, s->efd, EPOLLIN, on_done, s);
	if (ret < 0) {
		errno = -ret;
		goto fail;
	}
	what = "pthread_create";
	ret = pthread_create(&s->thread, NULL, worker, s);
	if (ret) {
		errno = ret;
		goto fail;
	}
	s->thread_ok = true;
	return s;
fail:
	log_err("xen: scanner: %s: %s", what, strerror(errno));
	pzd_xen_scanner_free(s);
	return NULL;
}

void pzd_xen_scanner_free(struct pzd_xen_scanner *s)
{
	if (!s)
		return;
	if (s->thread_ok) {
		atomic_store(&s->abort, true);
		pthread_mutex_lock(&s->lock);
		s->quit = true;
		pthread_cond_signal(&s->cond);
		pthread_mutex_unlock(&s->lock);
		pthread_join(s->thread, NULL);
	}
	if (s->res) {
		pz_ranges_free(&s->res->ranges);
		free(s->res);
	}
	sd_event_source_disable_unref(s->src);
	if (s->efd >= 0)
		close(s->efd);
	if (s->xcall)
		xencall_close(s->xcall);
	if (s->fmem)
		xenforeignmemory_close(s->fmem);
	if (s->xch)
		xc_interface_close(s->xch);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

int pzd_xen_scanner_start(struct pzd_xen_scanner *s,
			  const struct pzd_xen_scan_job *job)
{
	if (atomic_load(&s->busy))
		return -EBUSY;
	atomic_store(&s->busy, true);
	atomic_store(&s->abort, false);
	pthread_mutex_lock(&s->lock);
	s->job = *job;
	s->have_job = true;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

bool pzd_xen_scanner_busy(const struct pzd_xen_scanner *s)
{
	return s && atomic_load(&s->busy);
}
