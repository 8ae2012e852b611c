/* SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause */
/*
 * The warm pool: per NUMA node, files of memory populated ahead of time
 * (the kernel zeroes each page as it allocates it) that a claim moves into
 * place as a VM's RAM, so the VM's start pins resident pages instead of
 * faulting and zeroing them (proto/control.md, "The warm pool").
 *
 * Every directory operation (adopt, rename, claim, delete) runs on the
 * main loop; the fill workers (pool_fill.c) only populate the one file
 * they were handed. A file leaves the ready set by a rename before
 * anything else is done to it, so it is handed out at most once, and each
 * name on disk says what a restart must do with it.
 */
#ifndef PREZEROD_POOL_H
#define PREZEROD_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <systemd/sd-event.h>

#include "config.h"

struct json_object;
struct pzd_proto_err;
struct pzd_pool;
struct pzd_fill;

enum pzd_pool_fs {
	PZD_POOL_FS_NONE,
	PZD_POOL_FS_HUGETLBFS,
	PZD_POOL_FS_TMPFS,
};

/* What the engine knows of a node this round. */
struct pzd_pool_node_in {
	bool present;		/* node has memory */
	bool mem_valid;
	uint64_t free_bytes, total_bytes;
};

/* The pool's fill plan for one node (pure, see pzd_pool_plan()). */
struct pzd_pool_want {
	uint64_t size;
	uint64_t resv_id;	/* 0: the config target */
};

/*
 * Match the sizes a node wants (reservations that are not in use, then
 * the target in files of file_size and a remainder) against its ready
 * files: each want takes the smallest unmatched file at least as big,
 * largest wants first. Outputs: match[i] = index of the file matched to
 * want i or -1; file_used[j] set for matched files. Returns the index of
 * the want to fill next (the largest unmatched), or -1.
 */
int pzd_pool_plan(const struct pzd_pool_want *want, size_t nwant,
		  const uint64_t *file_size, size_t nfile, int *match,
		  bool *file_used);

/* Round up to the page size (a power of two); 0 on overflow. */
uint64_t pzd_pool_align(uint64_t size, uint64_t page_size);

/* "n3-17.pool" -> node 3, seq 17; -1 if the name is not a ready file's. */
int pzd_pool_parse_name(const char *name, unsigned int *node, uint64_t *seq);

/*
 * Start the pool: check the directory's filesystem, create it if needed,
 * delete leftovers, adopt ready files, load reservations, start a worker
 * per node. Never fails the daemon: an unusable pool is reported in
 * status ("error") and claims get "no-pool". nnode: node ids 0..nnode-1.
 */
struct pzd_pool *pzd_pool_new(sd_event *event, const struct pzd_config *cfg,
			      size_t nnode);
/* Abort fills (their files are deleted), stop workers, free. Pool files
 * stay for the next start. */
void pzd_pool_free(struct pzd_pool *p);

/* The config was reloaded (dir changes need a restart). */
void pzd_pool_config(struct pzd_pool *p, const struct pzd_config *cfg);

/*
 * Once per engine round: expire reservations, give memory back where a
 * node is short (free below reserve_pct) or pressure is on, delete files
 * nobody wants, and start a fill where a node wants more and has room.
 * pressure: the PSI trigger fired, or memory stalled at its rate, this round.
 */
void pzd_pool_round(struct pzd_pool *p, const struct pzd_pool_node_in *in,
		    size_t nnode, bool pressure, uint64_t now_ms);

/*
 * Between rounds, while the pool holds memory (pzd_pool_holds()): free
 * memory of each node, sampled often, so a fast allocator gets the pool's
 * memory before it meets the OOM killer. Acts only on nodes below the
 * reserve.
 */
bool pzd_pool_holds(const struct pzd_pool *p);
void pzd_pool_watch(struct pzd_pool *p, const struct pzd_pool_node_in *in,
		    size_t nnode, uint64_t now_ms);

/* status: the node's pool object (NULL for JSON null) and the top-level
 * pool object. */
struct json_object *pzd_pool_node_json(struct pzd_pool *p, unsigned int node);
struct json_object *pzd_pool_json(struct pzd_pool *p, uint64_t now_ms);
/* The pool works (else claims get "no-pool"); reason says why not. */
bool pzd_pool_usable(const struct pzd_pool *p);
const char *pzd_pool_reason(const struct pzd_pool *p);

/* The protocol's commands; 0 with reply members added, or -1 with err. */
struct pzd_pool_claim_req {
	int node;			/* PZD_NODE_ANY or a node id */
	uint64_t size;
	const char *path;
	uid_t uid;
	gid_t gid;
	unsigned int mode;
	const char *name;		/* "for", NULL if none */
};
#define PZD_NODE_ANY (-2)

int pzd_pool_claim(struct pzd_pool *p, const struct pzd_pool_claim_req *req,
		   struct json_object *reply, struct pzd_proto_err *err);
int pzd_pool_reserve(struct pzd_pool *p, unsigned int node, uint64_t size,
		     const char *name, uint64_t ttl_s,
		     struct json_object *reply, struct pzd_proto_err *err);
/* id != 0, or name */
int pzd_pool_unreserve(struct pzd_pool *p, uint64_t id, const char *name,
		       struct json_object *reply, struct pzd_proto_err *err);
int pzd_pool_release(struct pzd_pool *p, const char *name,
		     struct json_object *reply, struct pzd_proto_err *err);

/*
 * pool_fill.c: one worker thread per node populates one file at a time,
 * bound to the node (memory policy and CPUs) at SCHED_IDLE, at most rate
 * bytes/s. done() runs on the main loop when a job ends.
 */
struct pzd_fill_job {
	int fd;			/* open O_RDWR, the worker closes nothing */
	uint64_t size, page_size;
	enum pzd_pool_fs fs;
	uint64_t rate;		/* bytes/s, 0 = unlimited */
};
typedef void (*pzd_fill_done_fn)(void *ud, unsigned int node, int err);

struct pzd_fill *pzd_fill_new(sd_event *event, unsigned int node,
			      pzd_fill_done_fn done, void *ud);
void pzd_fill_free(struct pzd_fill *f);
/* -EBUSY if a job runs. */
int pzd_fill_start(struct pzd_fill *f, const struct pzd_fill_job *job);
/* Ask the job to stop at its next chunk; done() still comes (-ECANCELED). */
void pzd_fill_abort(struct pzd_fill *f);
bool pzd_fill_busy(const struct pzd_fill *f);
uint64_t pzd_fill_progress(const struct pzd_fill *f);
void pzd_fill_set_rate(struct pzd_fill *f, uint64_t rate);

#endif
