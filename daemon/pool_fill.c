// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/*
 * The pool's fill workers: one thread per node populates one file at a
 * time. The thread binds its memory policy and CPUs to the node and runs
 * at SCHED_IDLE, so the kernel's zeroing of the new pages happens on the
 * node, on idle CPU time. It touches nothing but the file descriptor it
 * was handed; the main loop learns the end through an eventfd.
 *
 * How a page gets populated (and zeroed) depends on the filesystem:
 *  - hugetlbfs: fallocate() allocates each huge page, zeroes it and adds
 *    it to the file (hugetlbfs_fallocate);
 *  - tmpfs: fallocate() allocates pages but leaves them !uptodate and
 *    zeroes them only at the first fault, which would put the zeroing
 *    back into the VM's start. So the file is mapped and each chunk
 *    faulted in with MADV_POPULATE_WRITE (a write fault zeroes the page
 *    and marks it uptodate; nothing is written by us).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <numa.h>

#include "log.h"
#include "pool.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

/* Populate this much between rate and abort checks. */
#define FILL_CHUNK (UINT64_C(32) << 20)

struct pzd_fill {
	unsigned int node;
	pzd_fill_done_fn done;
	void *ud;

	pthread_t thread;
	bool thread_ok;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool have_job, quit;		/* under lock */
	struct pzd_fill_job job;	/* under lock */

	atomic_bool busy, abort;
	atomic_uint_fast64_t progress, rate;
	atomic_int result;

	int efd;
	sd_event_source *src;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Sleep so that done bytes since start take at least done / rate. */
static void pace(struct pzd_fill *f, uint64_t start_ns, uint64_t done)
{
	uint64_t rate = atomic_load(&f->rate), due, now;
	struct timespec ts;

	if (!rate)
		return;
	due = start_ns + (uint64_t)((double)done * 1e9 / (double)rate);
	now = now_ns();
	if (due <= now)
		return;
	/* Short sleeps, so an abort or a new rate is seen soon. */
	if (due - now > 100000000u)
		due = now + 100000000u;
	ts.tv_sec = (time_t)(due / 1000000000u);
	ts.tv_nsec = (long)(due % 1000000000u);
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	       EINTR)
		;
}

static int populate(struct pzd_fill *f, const struct pzd_fill_job *j)
{
	uint64_t off = 0, start = now_ns(), chunk = FILL_CHUNK;
	void *map = NULL;
	int ret = 0;

	if (chunk % j->page_size)
		chunk = j->page_size;
	if (j->fs == PZD_POOL_FS_TMPFS) {
		if (ftruncate(j->fd, (off_t)j->size))
			return -errno;
		map = mmap(NULL, j->size, PROT_READ | PROT_WRITE, MAP_SHARED,
			   j->fd, 0);
		if (map == MAP_FAILED)
			return -errno;
	}
	while (off < j->size) {
		uint64_t len = j->size - off < chunk ? j->size - off : chunk;

		if (atomic_load(&f->abort)) {
			ret = -ECANCELED;
			break;
		}
		if (map) {
			if (madvise((char *)map + off, len,
				    MADV_POPULATE_WRITE)) {
				ret = -errno;
				break;
			}
		} else if (fallocate(j->fd, 0, (off_t)off, (off_t)len)) {
			ret = -errno;
			break;
		}
		off += len;
		atomic_store(&f->progress, off);
		pace(f, start, off);
	}
	if (map)
		munmap(map, j->size);
	return ret;
}

/* The thread's placement: memory on the node, CPUs of the node (none for
 * a memory-only node), idle priority. */
static void bind_to_node(unsigned int node)
{
	struct sched_param sp = { 0 };
	struct bitmask *bm;

	if (numa_available() >= 0) {
		bm = numa_allocate_nodemask();
		if (bm) {
			numa_bitmask_setbit(bm, node);
			numa_set_membind(bm);
			numa_bitmask_free(bm);
		}
		/* Fails for a node without CPUs: run anywhere then. */
		(void)numa_run_on_node((int)node);
	}
	if (sched_setscheduler(0, SCHED_IDLE, &sp))
		log_warning("pool: node %u: SCHED_IDLE: %s", node,
			    strerror(errno));
}

static void *worker(void *arg)
{
	struct pzd_fill *f = arg;
	struct pzd_fill_job j;
	uint64_t one = 1;

	bind_to_node(f->node);
	for (;;) {
		pthread_mutex_lock(&f->lock);
		while (!f->have_job && !f->quit)
			pthread_cond_wait(&f->cond, &f->lock);
		if (f->quit) {
			pthread_mutex_unlock(&f->lock);
			return NULL;
		}
		j = f->job;
		f->have_job = false;
		pthread_mutex_unlock(&f->lock);

		atomic_store(&f->result, populate(f, &j));
		if (write(f->efd, &one, sizeof(one)) < 0)
			log_err("pool: node %u: eventfd: %s", f->node,
				strerror(errno));
	}
}

static int on_done(sd_event_source *s, int fd, uint32_t revents, void *ud)
{
	struct pzd_fill *f = ud;
	uint64_t n;

	(void)s;
	(void)revents;
	if (read(fd, &n, sizeof(n)) != sizeof(n))
		return 0;
	atomic_store(&f->busy, false);
	f->done(f->ud, f->node, atomic_load(&f->result));
	return 0;
}

struct pzd_fill *pzd_fill_new(sd_event *event, unsigned int node,
			      pzd_fill_done_fn done, void *ud)
{
	struct pzd_fill *f = calloc(1, sizeof(*f));
	int ret;

	if (!f)
		return NULL;
	f->efd = -1;
	f->node = node;
	f->done = done;
	f->ud = ud;
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->cond, NULL);
	f->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (f->efd < 0)
		goto fail;
	ret = sd_event_add_io(event, &f->src, f->efd, EPOLLIN, on_done, f);
	if (ret < 0) {
		errno = -ret;
		goto fail;
	}
	ret = pthread_create(&f->thread, NULL, worker, f);
	if (ret) {
		errno = ret;
		goto fail;
	}
	f->thread_ok = true;
	return f;
fail:
	log_err("pool: node %u: cannot start the fill worker: %s", node,
		strerror(errno));
	pzd_fill_free(f);
	return NULL;
}

void pzd_fill_free(struct pzd_fill *f)
{
	if (!f)
		return;
	if (f->thread_ok) {
		atomic_store(&f->abort, true);
		pthread_mutex_lock(&f->lock);
		f->quit = true;
		pthread_cond_signal(&f->cond);
		pthread_mutex_unlock(&f->lock);
		pthread_join(f->thread, NULL);
	}
	sd_event_source_disable_unref(f->src);
	if (f->efd >= 0)
		close(f->efd);
	pthread_cond_destroy(&f->cond);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

int pzd_fill_start(struct pzd_fill *f, const struct pzd_fill_job *job)
{
	if (atomic_load(&f->busy))
		return -EBUSY;
	atomic_store(&f->busy, true);
	atomic_store(&f->abort, false);
	atomic_store(&f->progress, 0);
	atomic_store(&f->rate, job->rate);
	pthread_mutex_lock(&f->lock);
	f->job = *job;
	f->have_job = true;
	pthread_cond_signal(&f->cond);
	pthread_mutex_unlock(&f->lock);
	return 0;
}

void pzd_fill_abort(struct pzd_fill *f)
{
	atomic_store(&f->abort, true);
}

bool pzd_fill_busy(const struct pzd_fill *f)
{
	return atomic_load(&f->busy);
}

uint64_t pzd_fill_progress(const struct pzd_fill *f)
{
	return atomic_load(&f->progress);
}

void pzd_fill_set_rate(struct pzd_fill *f, uint64_t rate)
{
	atomic_store(&f->rate, rate);
}
