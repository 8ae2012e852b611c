// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/*
 * The warm pool's state on the main loop: the directory, the ready files
 * per node, reservations, and what to fill, give back or hand out
 * (pool.h). Names on disk (proto/control.md):
 *   n<node>-<seq>.pool      ready, root 0600, fully populated
 *   .fill-n<node>-<seq>     being populated by the node's worker
 *   .claim-n<node>-<seq>    left the ready set, being shrunk and chowned
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <linux/magic.h>
#include <numaif.h>

#include "log.h"
#include "monotime.h"
#include "pool.h"
#include "protocol.h"
#include "sample.h"
#include "size.h"

/* Wait this long after a failed fill before trying again. */
#define FILL_BACKOFF_MS 10000
/* Pages sampled per file to check its node at adoption. */
#define NODE_SAMPLES 16
#define RATE_WINDOW_MS 5000
#define RATE_SLOTS 32
#define HUGEPAGES_SYS "/sys/kernel/mm/hugepages"

struct pool_file {
	uint64_t seq;
	uint64_t size;
};

struct pool_node {
	unsigned int id;
	struct pool_file *file;
	size_t nfile, cap;

	struct pzd_fill *fill;
	bool filling;
	uint64_t fill_seq, fill_size;
	int fill_fd;

	uint64_t hold_until_ms;		/* no fill: pressure or shortage */
	uint64_t backoff_until_ms;	/* no fill: the last one failed */
	char fill_error[160];

	const char *state;
	char reason[200];

	uint64_t populated;		/* bytes of finished fills */
	struct { uint64_t ms, bytes; } hist[RATE_SLOTS];
	unsigned int hist_len, hist_head;
	double fill_rate;

	uint64_t released_bytes, claimed_bytes, claims;
	struct pzd_pool_node_in in;	/* the last round's */
	bool have_in;
};

struct resv {
	uint64_t id;
	unsigned int node;
	uint64_t size;
	char name[256];			/* "" = for any claim */
	uint64_t expires_ms;		/* monotonic, 0 = never */
	bool in_use;
};

struct pzd_pool {
	sd_event *event;
	const struct pzd_config *cfg;	/* the daemon's, updated on reload */

	char dir[PATH_MAX];
	int dirfd;
	dev_t dev;
	enum pzd_pool_fs fs;
	uint64_t page_size;
	bool usable;
	char reason[PATH_MAX + 128];

	struct pool_node *node;
	size_t nnode;
	uint64_t next_seq;

	struct resv *resv;
	size_t nresv, resv_cap;
	uint64_t next_resv_id;

	uint64_t overcommit_set;	/* last nr_overcommit_hugepages we wrote */
};

uint64_t pzd_pool_align(uint64_t size, uint64_t page_size)
{
	uint64_t r;

	if (!page_size)
		return size;
	r = (size + page_size - 1) & ~(page_size - 1);
	return r < size ? 0 : r;
}

int pzd_pool_parse_name(const char *name, unsigned int *node, uint64_t *seq)
{
	unsigned long long n, s;
	int len = 0;

	if (name[0] != 'n' || name[1] < '0' || name[1] > '9')
		return -1;
	if (sscanf(name, "n%llu-%llu.pool%n", &n, &s, &len) != 2 ||
	    name[len] || n >= PZD_MAX_NODES)
		return -1;
	/* One spelling per file: "n01-2.pool" or "n1-+2.pool" are not ours. */
	{
		char canon[64];

		snprintf(canon, sizeof(canon), "n%llu-%llu.pool", n, s);
		if (strcmp(canon, name))
			return -1;
	}
	*node = (unsigned int)n;
	*seq = s;
	return 0;
}

/* Largest wants first; for equal sizes reservations first (stable). */
static int want_order(const struct pzd_pool_want *want, size_t a, size_t b)
{
	if (want[a].size != want[b].size)
		return want[a].size > want[b].size ? -1 : 1;
	return a < b ? -1 : a > b;
}

int pzd_pool_plan(const struct pzd_pool_want *want, size_t nwant,
		  const uint64_t *file_size, size_t nfile, int *match,
		  bool *file_used)
{
	size_t *order = NULL;
	int next = -1;

	for (size_t j = 0; j < nfile; j++)
		file_used[j] = false;
	for (size_t i = 0; i < nwant; i++)
		match[i] = -1;
	if (!nwant)
		return -1;
	order = malloc(nwant * sizeof(*order));
	if (!order)
		return -1;
	for (size_t i = 0; i < nwant; i++)
		order[i] = i;
	/* Insertion sort: a node has few wants. */
	for (size_t i = 1; i < nwant; i++)
		for (size_t k = i; k > 0 && want_order(want, order[k],
							 order[k - 1]) < 0; k--) {
			size_t t = order[k];

			order[k] = order[k - 1];
			order[k - 1] = t;
		}
	for (size_t k = 0; k < nwant; k++) {
		size_t i = order[k];
		int best = -1;

		for (size_t j = 0; j < nfile; j++)
			if (!file_used[j] && file_size[j] >= want[i].size &&
			    (best < 0 || file_size[j] < file_size[best]))
				best = (int)j;
		if (best >= 0) {
			match[i] = best;
			file_used[best] = true;
		} else if (next < 0) {
			next = (int)i;
		}
	}
	free(order);
	return next;
}

/* ---- small helpers ---- */

static void node_name(char *buf, size_t len, const char *prefix,
		      unsigned int node, uint64_t seq, const char *suffix)
{
	snprintf(buf, len, "%sn%u-%" PRIu64 "%s", prefix, node, seq, suffix);
}

static const char *fmt_size(uint64_t v, char *buf, size_t len)
{
	pz_format_size(v, buf, len);
	return buf;
}

static uint64_t node_file_bytes(const struct pool_node *n)
{
	uint64_t sum = 0;

	for (size_t j = 0; j < n->nfile; j++)
		sum += n->file[j].size;
	return sum;
}

static int add_file(struct pool_node *n, uint64_t seq, uint64_t size)
{
	if (n->nfile == n->cap) {
		size_t cap = n->cap ? 2 * n->cap : 8;
		struct pool_file *nf = realloc(n->file, cap * sizeof(*nf));

		if (!nf)
			return -ENOMEM;
		n->file = nf;
		n->cap = cap;
	}
	n->file[n->nfile].seq = seq;
	n->file[n->nfile].size = size;
	n->nfile++;
	return 0;
}

static void drop_file(struct pool_node *n, size_t j)
{
	n->file[j] = n->file[--n->nfile];
}

/* ---- reservations, kept in cfg->pool_state_file ---- */

/* The engine's clock (prezerod.h's pzd_now_ms), for the times we keep. */
static uint64_t mono_ms(void)
{
	return (uint64_t)pz_mono_ms();
}

static int64_t real_s(void)
{
	return (int64_t)time(NULL);
}

static void save_resv(struct pzd_pool *p)
{
	struct json_object *root = json_object_new_object();
	struct json_object *arr = json_object_new_array();
	const char *path = p->cfg->pool_state_file;
	uint64_t now = mono_ms();
	char tmp[PATH_MAX + 8];
	const char *text;
	FILE *f;

	if (!root || !arr)
		goto oom;
	json_object_object_add(root, "version", json_object_new_int(1));
	json_object_object_add(root, "next_id",
			       json_object_new_int64((int64_t)p->next_resv_id));
	json_object_object_add(root, "reservations", arr);
	for (size_t i = 0; i < p->nresv; i++) {
		const struct resv *r = &p->resv[i];
		struct json_object *o = json_object_new_object();

		if (!o)
			goto oom;
		json_object_array_add(arr, o);
		json_object_object_add(o, "id", json_object_new_int64((int64_t)r->id));
		json_object_object_add(o, "node", json_object_new_int((int)r->node));
		json_object_object_add(o, "size", json_object_new_int64((int64_t)r->size));
		json_object_object_add(o, "for", r->name[0] ?
				       json_object_new_string(r->name) : NULL);
		json_object_object_add(o, "expires_at", r->expires_ms ?
			json_object_new_int64(real_s() + (int64_t)((r->expires_ms > now ?
				r->expires_ms - now : 0) / 1000)) : NULL);
		json_object_object_add(o, "in_use", json_object_new_boolean(r->in_use));
	}
	text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "we");
	if (!f || fprintf(f, "%s\n", text) < 0 || fflush(f) ||
	    fsync(fileno(f))) {
		log_err("pool: cannot write reservations to %s: %s", tmp,
			strerror(errno));
		if (f)
			fclose(f);
		unlink(tmp);
		goto out;
	}
	if (fclose(f) || rename(tmp, path)) {
		log_err("pool: cannot write reservations to %s: %s", path,
			strerror(errno));
		unlink(tmp);
	}
out:
	json_object_put(root);
	return;
oom:
	log_err("pool: cannot save reservations: out of memory");
	json_object_put(root);
	if (!root)
		json_object_put(arr);
}

static struct resv *add_resv(struct pzd_pool *p)
{
	if (p->nresv == p->resv_cap) {
		size_t cap = p->resv_cap ? 2 * p->resv_cap : 8;
		struct resv *nr = realloc(p->resv, cap * sizeof(*nr));

		if (!nr)
			return NULL;
		p->resv = nr;
		p->resv_cap = cap;
	}
	memset(&p->resv[p->nresv], 0, sizeof(p->resv[0]));
	return &p->resv[p->nresv++];
}

static bool valid_name(const char *s)
{
	size_t len = strlen(s);

	return len > 0 && len < 256 && !strchr(s, '/');
}

/* A bad or missing file means no reservations; it is never fatal. */
static void load_resv(struct pzd_pool *p)
{
	const char *path = p->cfg->pool_state_file;
	struct json_object *root, *arr, *v;
	uint64_t now = mono_ms();
	int64_t rnow = real_s();

	p->next_resv_id = 1;
	root = json_object_from_file(path);
	if (!root) {
		if (access(path, F_OK) == 0)
			log_warning("pool: %s is not valid JSON, starting without reservations",
				    path);
		return;
	}
	if (json_object_object_get_ex(root, "next_id", &v) &&
	    json_object_get_int64(v) > 0)
		p->next_resv_id = (uint64_t)json_object_get_int64(v);
	if (!json_object_object_get_ex(root, "reservations", &arr) ||
	    !json_object_is_type(arr, json_type_array)) {
		log_warning("pool: %s has no reservations array, ignored", path);
		goto out;
	}
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *o = json_object_array_get_idx(arr, i);
		struct json_object *id, *node, *size, *name, *exp, *use;
		struct resv *r;

		if (!json_object_object_get_ex(o, "id", &id) ||
		    !json_object_object_get_ex(o, "node", &node) ||
		    !json_object_object_get_ex(o, "size", &size) ||
		    json_object_get_int64(id) <= 0 ||
		    json_object_get_int64(node) < 0 ||
		    json_object_get_int64(node) >= (int64_t)p->nnode ||
		    json_object_get_int64(size) <= 0) {
			log_warning("pool: %s: reservation %zu is malformed, dropped",
				    path, i);
			continue;
		}
		json_object_object_get_ex(o, "for", &name);
		json_object_object_get_ex(o, "expires_at", &exp);
		if (exp && json_object_get_int64(exp) <= rnow)
			continue;	/* expired while we were away */
		if (name && (!json_object_is_type(name, json_type_string) ||
			     !valid_name(json_object_get_string(name)))) {
			log_warning("pool: %s: reservation %zu has a bad name, dropped",
				    path, i);
			continue;
		}
		r = add_resv(p);
		if (!r)
			break;
		r->id = (uint64_t)json_object_get_int64(id);
		r->node = (unsigned int)json_object_get_int64(node);
		r->size = (uint64_t)json_object_get_int64(size);
		if (name)
			snprintf(r->name, sizeof(r->name), "%s",
				 json_object_get_string(name));
		if (exp)
			r->expires_ms = now + (uint64_t)(json_object_get_int64(exp) -
							 rnow) * 1000;
		r->in_use = json_object_object_get_ex(o, "in_use", &use) &&
			    json_object_get_boolean(use);
		if (r->id >= p->next_resv_id)
			p->next_resv_id = r->id + 1;
	}
	log_info("pool: %zu reservation(s) from %s", p->nresv, path);
out:
	json_object_put(root);
}

static void expire_resv(struct pzd_pool *p, uint64_t now)
{
	bool changed = false;

	for (size_t i = 0; i < p->nresv;) {
		struct resv *r = &p->resv[i];

		if (r->expires_ms && r->expires_ms <= now) {
			log_info("pool: reservation %" PRIu64 " expired", r->id);
			p->resv[i] = p->resv[--p->nresv];
			changed = true;
			continue;
		}
		i++;
	}
	if (changed)
		save_resv(p);
}

/* ---- the plan of a node ---- */

struct plan {
	struct pzd_pool_want *want;
	size_t nwant;
	int *match;
	bool *used;
	uint64_t *fsize;
	int next;
	uint64_t target, reserved;
};

static void plan_free(struct plan *pl)
{
	free(pl->want);
	free(pl->match);
	free(pl->used);
	free(pl->fsize);
	memset(pl, 0, sizeof(*pl));
}

static int make_plan(struct pzd_pool *p, struct pool_node *n, struct plan *pl)
{
	uint64_t target = pzd_config_pool_target(p->cfg, n->id);
	uint64_t fs = pzd_pool_align(p->cfg->pool_file_size, p->page_size);
	size_t cap = 0;

	memset(pl, 0, sizeof(*pl));
	pl->next = -1;
	if (!fs)
		fs = p->page_size;
	for (size_t i = 0; i < p->nresv; i++)
		cap += p->resv[i].node == n->id;
	cap += target / fs + 1;
	pl->want = calloc(cap, sizeof(*pl->want));
	pl->match = calloc(cap, sizeof(*pl->match));
	pl->used = calloc(n->nfile + 1, sizeof(*pl->used));
	pl->fsize = calloc(n->nfile + 1, sizeof(*pl->fsize));
	if (!pl->want || !pl->match || !pl->used || !pl->fsize) {
		plan_free(pl);
		return -ENOMEM;
	}
	for (size_t i = 0; i < p->nresv; i++) {
		const struct resv *r = &p->resv[i];

		if (r->node != n->id)
			continue;
		pl->reserved += r->size;
		if (r->in_use)
			continue;
		pl->want[pl->nwant].size = pzd_pool_align(r->size, p->page_size);
		pl->want[pl->nwant].resv_id = r->id;
		pl->nwant++;
	}
	pl->target = target + pl->reserved;
	for (uint64_t left = target; left;) {
		uint64_t sz = left < fs ? pzd_pool_align(left, p->page_size) : fs;

		pl->want[pl->nwant++].size = sz;
		left = left < fs ? 0 : left - fs;
	}
	for (size_t j = 0; j < n->nfile; j++)
		pl->fsize[j] = n->file[j].size;
	pl->next = pzd_pool_plan(pl->want, pl->nwant, pl->fsize, n->nfile,
				 pl->match, pl->used);
	return 0;
}

/* The file matched to a named reservation, or -1 */
static uint64_t file_resv(const struct plan *pl, size_t j)
{
	for (size_t i = 0; i < pl->nwant; i++)
		if (pl->match[i] == (int)j)
			return pl->want[i].resv_id;
	return 0;
}

static const struct resv *find_resv(const struct pzd_pool *p, uint64_t id)
{
	for (size_t i = 0; i < p->nresv; i++)
		if (p->resv[i].id == id)
			return &p->resv[i];
	return NULL;
}

/* ---- the directory ---- */

static void delete_file(struct pzd_pool *p, struct pool_node *n, size_t j,
			const char *why)
{
	char name[64], sz[32];

	node_name(name, sizeof(name), "", n->id, n->file[j].seq, ".pool");
	if (unlinkat(p->dirfd, name, 0) && errno != ENOENT)
		log_err("pool: cannot delete %s/%s: %s", p->dir, name,
			strerror(errno));
	else
		log_info("pool: node %u: deleted %s (%s): %s", n->id, name,
			 fmt_size(n->file[j].size, sz, sizeof(sz)), why);
	drop_file(n, j);
}

/*
 * The pages of a ready file are on its node: sample a few of them.
 * get_mempolicy(MPOL_F_NODE | MPOL_F_ADDR) looks the page up with
 * get_user_pages, which maps the page that is there (no hole: st_blocks
 * was checked) without allocating.
 */
static int check_node(struct pzd_pool *p, int fd, uint64_t size,
		      unsigned int node, char *why, size_t whylen)
{
	uint64_t pages = size / p->page_size, step;
	unsigned int ns = 0;
	char *map;
	int ret = 0;

	map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		snprintf(why, whylen, "cannot map it: %s", strerror(errno));
		return -1;
	}
	step = pages > NODE_SAMPLES ? pages / NODE_SAMPLES : 1;
	for (uint64_t pg = 0; pg < pages && ns < NODE_SAMPLES; pg += step, ns++) {
		int where = -1;

		if (get_mempolicy(&where, NULL, 0, map + pg * p->page_size,
				  MPOL_F_NODE | MPOL_F_ADDR)) {
			/* A kernel without NUMA: nothing to check. */
			if (errno != ENOSYS) {
				snprintf(why, whylen, "get_mempolicy: %s",
					 strerror(errno));
				ret = -1;
			}
			break;
		}
		if (where != (int)node) {
			snprintf(why, whylen, "its pages are on node %d", where);
			ret = -1;
			break;
		}
	}
	munmap(map, size);
	return ret;
}

/* A ready file found at start: keep it only if it is what we made. */
static void adopt(struct pzd_pool *p, const char *name)
{
	unsigned int node;
	uint64_t seq, size;
	char why[160] = "", sz[32];
	struct stat st;
	int fd;

	if (pzd_pool_parse_name(name, &node, &seq))
		return;
	fd = openat(p->dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
		    O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st)) {
		snprintf(why, sizeof(why), "cannot open it: %s", strerror(errno));
		goto bad;
	}
	size = (uint64_t)st.st_size;
	if (!S_ISREG(st.st_mode))
		snprintf(why, sizeof(why), "not a regular file");
	else if (st.st_uid != 0 || st.st_gid != 0)
		snprintf(why, sizeof(why), "owned by %u:%u, not root",
			 (unsigned int)st.st_uid, (unsigned int)st.st_gid);
	else if ((st.st_mode & 07777) != 0600)
		snprintf(why, sizeof(why), "mode %04o, not 0600",
			 (unsigned int)(st.st_mode & 07777));
	else if (!size || size % p->page_size)
		snprintf(why, sizeof(why), "size %" PRIu64 " is not a multiple of the page size",
			 size);
	else if ((uint64_t)st.st_blocks * 512 < size)
		snprintf(why, sizeof(why), "not fully populated (%" PRIu64 " of %" PRIu64 " bytes)",
			 (uint64_t)st.st_blocks * 512, size);
	else if (node >= p->nnode)
		snprintf(why, sizeof(why), "node %u does not exist", node);
	else
		check_node(p, fd, size, node, why, sizeof(why));
	if (why[0])
		goto bad;
	close(fd);
	if (add_file(&p->node[node], seq, size)) {
		snprintf(why, sizeof(why), "out of memory");
		fd = -1;
		goto bad;
	}
	if (seq >= p->next_seq)
		p->next_seq = seq + 1;
	log_info("pool: node %u: adopted %s (%s)", node, name,
		 fmt_size(size, sz, sizeof(sz)));
	return;
bad:
	if (fd >= 0)
		close(fd);
	log_notice("pool: deleting %s/%s: %s", p->dir, name, why);
	if (unlinkat(p->dirfd, name, 0) && errno != ENOENT)
		log_err("pool: cannot delete %s/%s: %s", p->dir, name,
			strerror(errno));
}

static void scan_dir(struct pzd_pool *p)
{
	struct dirent *e;
	DIR *dir;
	int fd = openat(p->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || !(dir = fdopendir(fd))) {
		log_err("pool: cannot read %s: %s", p->dir, strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((e = readdir(dir))) {
		const char *nm = e->d_name;

		if (!strcmp(nm, ".") || !strcmp(nm, ".."))
			continue;
		if (!strncmp(nm, ".fill-", 6) || !strncmp(nm, ".claim-", 7)) {
			log_notice("pool: deleting %s/%s: left over from a previous run",
				   p->dir, nm);
			if (unlinkat(p->dirfd, nm, 0) && errno != ENOENT)
				log_err("pool: cannot delete %s/%s: %s", p->dir,
					nm, strerror(errno));
			continue;
		}
		{
			unsigned int node;
			uint64_t seq;

			if (!pzd_pool_parse_name(nm, &node, &seq)) {
				adopt(p, nm);
				continue;
			}
		}
		log_notice("pool: %s/%s is not a pool file, left alone", p->dir,
			   nm);
	}
	closedir(dir);
}

/* Open (and make) the directory, learn its filesystem and page size. */
static int open_dir(struct pzd_pool *p)
{
	struct statfs sf;
	struct stat st;

	snprintf(p->dir, sizeof(p->dir), "%s", p->cfg->pool_dir);
	if (mkdir(p->dir, 0700) && errno != EEXIST) {
		snprintf(p->reason, sizeof(p->reason), "cannot create %s: %s",
			 p->dir, strerror(errno));
		return -1;
	}
	p->dirfd = open(p->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
			O_NOFOLLOW);
	if (p->dirfd < 0 || fstat(p->dirfd, &st) || fstatfs(p->dirfd, &sf)) {
		snprintf(p->reason, sizeof(p->reason), "cannot open %s: %s",
			 p->dir, strerror(errno));
		return -1;
	}
	if (st.st_uid != 0 || (st.st_mode & 0077)) {
		snprintf(p->reason, sizeof(p->reason),
			 "%s must be owned by root and not accessible to others (it is %u:%u %04o)",
			 p->dir, (unsigned int)st.st_uid,
			 (unsigned int)st.st_gid,
			 (unsigned int)(st.st_mode & 07777));
		return -1;
	}
	p->dev = st.st_dev;
	if ((unsigned long)sf.f_type == HUGETLBFS_MAGIC) {
		p->fs = PZD_POOL_FS_HUGETLBFS;
		p->page_size = (uint64_t)sf.f_bsize;
	} else if ((unsigned long)sf.f_type == TMPFS_MAGIC) {
		p->fs = PZD_POOL_FS_TMPFS;
		p->page_size = (uint64_t)sysconf(_SC_PAGESIZE);
	} else {
		snprintf(p->reason, sizeof(p->reason),
			 "%s is not on hugetlbfs or tmpfs", p->dir);
		return -1;
	}
	return 0;
}

static void fill_done(void *ud, unsigned int node, int err);

struct pzd_pool *pzd_pool_new(sd_event *event, const struct pzd_config *cfg,
			      size_t nnode)
{
	struct pzd_pool *p = calloc(1, sizeof(*p));
	char sz[32];

	if (!p)
		return NULL;
	p->event = event;
	p->cfg = cfg;
	p->dirfd = -1;
	p->next_seq = 1;
	p->node = calloc(nnode ? nnode : 1, sizeof(*p->node));
	if (!p->node) {
		free(p);
		return NULL;
	}
	p->nnode = nnode;
	for (size_t i = 0; i < nnode; i++) {
		p->node[i].id = (unsigned int)i;
		p->node[i].fill_fd = -1;
		p->node[i].state = "idle";
	}
	load_resv(p);
	if (open_dir(p)) {
		bool wanted = p->nresv > 0;

		for (size_t i = 0; i < nnode; i++)
			wanted |= pzd_config_pool_target(cfg, (unsigned int)i) > 0;
		/* A pool nobody configured is not worth a warning. */
		pzd_log(wanted ? LOG_WARNING : LOG_INFO, "pool: off: %s",
			p->reason);
		return p;
	}
	scan_dir(p);
	for (size_t i = 0; i < nnode; i++) {
		p->node[i].fill = pzd_fill_new(event, (unsigned int)i,
					       fill_done, p);
		if (!p->node[i].fill) {
			snprintf(p->reason, sizeof(p->reason),
				 "cannot start the fill workers");
			return p;
		}
	}
	p->usable = true;
	snprintf(p->reason, sizeof(p->reason), "%s on %s, page size %s",
		 p->dir, p->fs == PZD_POOL_FS_HUGETLBFS ? "hugetlbfs" : "tmpfs",
		 fmt_size(p->page_size, sz, sizeof(sz)));
	log_info("pool: %s", p->reason);
	return p;
}

static void abort_fill(struct pool_node *n)
{
	if (n->filling && n->fill)
		pzd_fill_abort(n->fill);
}

void pzd_pool_free(struct pzd_pool *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nnode; i++) {
		struct pool_node *n = &p->node[i];
		char name[64];

		/* Joins the worker; its file is incomplete: delete it. */
		pzd_fill_free(n->fill);
		if (n->filling) {
			node_name(name, sizeof(name), ".fill-", n->id,
				  n->fill_seq, "");
			unlinkat(p->dirfd, name, 0);
			close(n->fill_fd);
		}
		free(n->file);
	}
	if (p->dirfd >= 0)
		close(p->dirfd);
	free(p->node);
	free(p->resv);
	free(p);
}

void pzd_pool_config(struct pzd_pool *p, const struct pzd_config *cfg)
{
	p->cfg = cfg;
	if (strcmp(cfg->pool_dir, p->dir))
		log_warning("pool: the new dir %s takes effect at the next start (still %s)",
			    cfg->pool_dir, p->dir);
	for (size_t i = 0; i < p->nnode; i++)
		if (p->node[i].fill)
			pzd_fill_set_rate(p->node[i].fill, cfg->pool_fill_rate);
}

bool pzd_pool_usable(const struct pzd_pool *p)
{
	return p && p->usable;
}

const char *pzd_pool_reason(const struct pzd_pool *p)
{
	return p ? p->reason : "no pool";
}

/* ---- filling ---- */

/*
 * 2 MiB hugetlbfs pages come as surplus pages when the persistent pool has
 * none free: the buddy allocator gives them and takes them back when the
 * file is deleted, so the pool never strands memory in the hugetlb pool.
 * Gigantic pages cannot be surplus; the admin provides those.
 */
static void ensure_overcommit(struct pzd_pool *p, uint64_t pages)
{
	char path[160], dir[96], val[24];
	uint64_t surplus, over, want;
	int r;

	if (p->fs != PZD_POOL_FS_HUGETLBFS || !p->cfg->pool_hugetlb_overcommit ||
	    p->page_size >= (UINT64_C(1) << 30))
		return;
	snprintf(dir, sizeof(dir), "%s/hugepages-%" PRIu64 "kB", HUGEPAGES_SYS,
		 p->page_size >> 10);
	snprintf(path, sizeof(path), "%s/surplus_hugepages", dir);
	if (pzd_read_u64(path, &surplus))
		return;
	snprintf(path, sizeof(path), "%s/nr_overcommit_hugepages", dir);
	if (pzd_read_u64(path, &over))
		return;
	want = surplus + pages;
	if (over >= want)
		return;
	snprintf(val, sizeof(val), "%" PRIu64 "\n", want);
	r = pzd_write_file(path, val);
	if (r) {
		log_warning("pool: cannot raise %s to %" PRIu64 ": %s", path,
			    want, strerror(-r));
		return;
	}
	if (p->overcommit_set != want)
		log_info("pool: raised %s from %" PRIu64 " to %" PRIu64, path,
			 over, want);
	p->overcommit_set = want;
}

static void start_fill(struct pzd_pool *p, struct pool_node *n, uint64_t size)
{
	struct pzd_fill_job job = { 0 };
	char name[64], sz[32];
	int fd;

	node_name(name, sizeof(name), ".fill-", n->id, p->next_seq, "");
	fd = openat(p->dirfd, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC |
		    O_NOFOLLOW, 0600);
	if (fd < 0) {
		snprintf(n->fill_error, sizeof(n->fill_error),
			 "cannot create %s: %s", name, strerror(errno));
		n->backoff_until_ms = mono_ms() + FILL_BACKOFF_MS;
		log_err("pool: node %u: %s", n->id, n->fill_error);
		return;
	}
	ensure_overcommit(p, size / p->page_size);
	job.fd = fd;
	job.size = size;
	job.page_size = p->page_size;
	job.fs = p->fs;
	job.rate = p->cfg->pool_fill_rate;
	if (pzd_fill_start(n->fill, &job)) {
		close(fd);
		unlinkat(p->dirfd, name, 0);
		return;
	}
	n->filling = true;
	n->fill_seq = p->next_seq++;
	n->fill_size = size;
	n->fill_fd = fd;
	log_debug("pool: node %u: filling %s (%s)", n->id, name,
		  fmt_size(size, sz, sizeof(sz)));
}

static void fill_done(void *ud, unsigned int node, int err)
{
	struct pzd_pool *p = ud;
	struct pool_node *n = &p->node[node];
	char from[64], to[64], sz[32];

	if (!n->filling)
		return;
	n->filling = false;
	close(n->fill_fd);
	n->fill_fd = -1;
	node_name(from, sizeof(from), ".fill-", n->id, n->fill_seq, "");
	node_name(to, sizeof(to), "", n->id, n->fill_seq, ".pool");
	if (!err && renameat(p->dirfd, from, p->dirfd, to))
		err = -errno;
	if (!err && add_file(n, n->fill_seq, n->fill_size)) {
		unlinkat(p->dirfd, to, 0);
		err = -ENOMEM;
	}
	if (err) {
		unlinkat(p->dirfd, from, 0);
		if (err == -ECANCELED)
			return;
		if (err == -ENOSPC && p->fs == PZD_POOL_FS_HUGETLBFS)
			snprintf(n->fill_error, sizeof(n->fill_error),
				 "no free %s huge pages on node %u%s",
				 fmt_size(p->page_size, sz, sizeof(sz)), n->id,
				 p->page_size >= (UINT64_C(1) << 30) ?
				 " (raise the node's nr_hugepages)" :
				 p->cfg->pool_hugetlb_overcommit ? "" :
				 " (raise nr_overcommit_hugepages or set hugetlb_overcommit)");
		else
			snprintf(n->fill_error, sizeof(n->fill_error),
				 "filling failed: %s", strerror(-err));
		n->backoff_until_ms = mono_ms() + FILL_BACKOFF_MS;
		log_warning("pool: node %u: %s, retrying in %d s", n->id,
			    n->fill_error, FILL_BACKOFF_MS / 1000);
		return;
	}
	n->fill_error[0] = '\0';
	n->populated += n->fill_size;
	log_info("pool: node %u: %s ready (%s)", n->id, to,
		 fmt_size(n->fill_size, sz, sizeof(sz)));
}

static void sample_rate(struct pool_node *n, uint64_t now)
{
	uint64_t bytes = n->populated + (n->filling && n->fill ?
					 pzd_fill_progress(n->fill) : 0);
	unsigned int oldest;

	n->hist[n->hist_head].ms = now;
	n->hist[n->hist_head].bytes = bytes;
	n->hist_head = (n->hist_head + 1) % RATE_SLOTS;
	if (n->hist_len < RATE_SLOTS)
		n->hist_len++;
	n->fill_rate = 0;
	for (unsigned int k = n->hist_len; k > 1; k--) {
		oldest = (n->hist_head + RATE_SLOTS - k) % RATE_SLOTS;
		if (now - n->hist[oldest].ms > RATE_WINDOW_MS)
			continue;
		if (now > n->hist[oldest].ms && bytes >= n->hist[oldest].bytes)
			n->fill_rate = (double)(bytes - n->hist[oldest].bytes) *
				       1000.0 / (double)(now - n->hist[oldest].ms);
		break;
	}
}

/* Give back until the node has need bytes more free (at least one file),
 * the files nobody reserved first, largest first. */
static uint64_t give_back(struct pzd_pool *p, struct pool_node *n,
			  uint64_t need, const char *why)
{
	uint64_t freed = 0;
	struct plan pl;

	abort_fill(n);
	while (n->nfile && (freed < need || !freed)) {
		int pick = -1;
		bool pick_resv = true;

		if (make_plan(p, n, &pl))
			break;
		for (size_t j = 0; j < n->nfile; j++) {
			bool r = file_resv(&pl, j) != 0;

			if (pick < 0 || (pick_resv && !r) ||
			    (r == pick_resv &&
			     n->file[j].size > n->file[pick].size)) {
				pick = (int)j;
				pick_resv = r;
			}
		}
		plan_free(&pl);
		freed += n->file[pick].size;
		n->released_bytes += n->file[pick].size;
		delete_file(p, n, (size_t)pick, why);
	}
	return freed;
}

/* The free memory the pool leaves a node (reserve_pct of its total). */
static uint64_t node_reserve(const struct pzd_pool *p,
			     const struct pzd_pool_node_in *in)
{
	return (uint64_t)((double)in->total_bytes * p->cfg->pool_reserve_pct /
			  100.0);
}

static void node_round(struct pzd_pool *p, struct pool_node *n,
		       const struct pzd_pool_node_in *in, bool pressure,
		       uint64_t now)
{
	uint64_t reserve = 0, have = node_file_bytes(n);
	struct plan pl;
	char a[32], b[32];

	if (in && in != &n->in) {
		n->in = *in;
		n->have_in = true;
	}
	if (in && in->mem_valid)
		reserve = node_reserve(p, in);
	sample_rate(n, now);

	if (in && in->mem_valid && in->free_bytes < reserve &&
	    (have || n->filling)) {
		/* Up to twice the reserve: whatever took the memory is
		 * likely still allocating, and it must not meet the OOM
		 * killer while the pool holds memory. */
		give_back(p, n, 2 * reserve - in->free_bytes,
			  "free memory below the reserve");
		n->hold_until_ms = now + p->cfg->pressure_hold_ms;
		n->state = "releasing";
		snprintf(n->reason, sizeof(n->reason),
			 "free memory %s is below the reserve %s: giving back",
			 fmt_size(in->free_bytes, a, sizeof(a)),
			 fmt_size(reserve, b, sizeof(b)));
		return;
	}
	if (pressure && (have || n->filling)) {
		give_back(p, n, 0, "memory pressure");
		n->hold_until_ms = now + p->cfg->pressure_hold_ms;
		n->state = "releasing";
		snprintf(n->reason, sizeof(n->reason),
			 "memory pressure: giving back");
		return;
	}
	if (make_plan(p, n, &pl)) {
		n->state = "waiting";
		snprintf(n->reason, sizeof(n->reason), "out of memory");
		return;
	}
	/* Files nobody wants (the target went down, a reservation went). */
	for (size_t j = n->nfile; j-- > 0;)
		if (!pl.used[j])
			delete_file(p, n, j, "not wanted by the target");
	if (pl.next < 0) {
		n->state = pl.nwant ? "full" : "idle";
		snprintf(n->reason, sizeof(n->reason), "%s",
			 pl.nwant ? "at target" : "no target");
		if (n->filling && !pl.nwant)
			abort_fill(n);
	} else if (n->filling) {
		n->state = "filling";
		snprintf(n->reason, sizeof(n->reason), "filling %s",
			 fmt_size(n->fill_size, a, sizeof(a)));
	} else if (now < n->hold_until_ms) {
		n->state = "waiting";
		snprintf(n->reason, sizeof(n->reason),
			 "memory was short: not filling for %.1f s",
			 (double)(n->hold_until_ms - now) / 1000.0);
	} else if (now < n->backoff_until_ms) {
		n->state = "waiting";
		snprintf(n->reason, sizeof(n->reason), "%s; retrying in %.0f s",
			 n->fill_error,
			 (double)(n->backoff_until_ms - now) / 1000.0);
	} else if (in && in->mem_valid &&
		   in->free_bytes < reserve + pl.want[pl.next].size) {
		n->state = "waiting";
		char c[32];

		snprintf(n->reason, sizeof(n->reason),
			 "free memory %s too low to add %s above the reserve %s",
			 fmt_size(in->free_bytes, a, sizeof(a)),
			 fmt_size(pl.want[pl.next].size, b, sizeof(b)),
			 fmt_size(reserve, c, sizeof(c)));
	} else if (!n->fill) {
		n->state = "waiting";
		snprintf(n->reason, sizeof(n->reason), "no fill worker");
	} else {
		start_fill(p, n, pl.want[pl.next].size);
		n->state = n->filling ? "filling" : "waiting";
		snprintf(n->reason, sizeof(n->reason), "%s",
			 n->filling ? "filling" : n->fill_error);
	}
	plan_free(&pl);
}

void pzd_pool_round(struct pzd_pool *p, const struct pzd_pool_node_in *in,
		    size_t nnode, bool pressure, uint64_t now_ms)
{
	if (!pzd_pool_usable(p))
		return;
	expire_resv(p, now_ms);
	for (size_t i = 0; i < p->nnode; i++)
		node_round(p, &p->node[i], i < nnode ? &in[i] : NULL, pressure,
			   now_ms);
}

bool pzd_pool_holds(const struct pzd_pool *p)
{
	for (size_t i = 0; pzd_pool_usable(p) && i < p->nnode; i++)
		if (p->node[i].nfile || p->node[i].filling)
			return true;
	return false;
}

void pzd_pool_watch(struct pzd_pool *p, const struct pzd_pool_node_in *in,
		    size_t nnode, uint64_t now_ms)
{
	if (!pzd_pool_usable(p))
		return;
	for (size_t i = 0; i < p->nnode && i < nnode; i++) {
		struct pool_node *n = &p->node[i];
		uint64_t reserve = node_reserve(p, &in[i]);

		if (in[i].mem_valid && in[i].free_bytes < reserve &&
		    (n->nfile || n->filling))
			node_round(p, n, &in[i], false, now_ms);
	}
}

/* ---- status ---- */

static bool jadd(struct json_object *o, const char *k, struct json_object *v)
{
	return !json_object_object_add(o, k, v);
}

static struct json_object *resv_json(const struct pzd_pool *p,
				     const struct resv *r, uint64_t now)
{
	struct json_object *o = json_object_new_object();
	const char *state = "waiting";
	const struct pool_node *n = &p->node[r->node];
	struct plan pl;

	if (!o)
		return NULL;
	if (r->in_use) {
		state = "in-use";
	} else if (!make_plan((struct pzd_pool *)p, (struct pool_node *)n, &pl)) {
		for (size_t i = 0; i < pl.nwant; i++)
			if (pl.want[i].resv_id == r->id && pl.match[i] >= 0)
				state = "ready";
		plan_free(&pl);
	}
	jadd(o, "id", json_object_new_int64((int64_t)r->id));
	jadd(o, "node", json_object_new_int((int)r->node));
	jadd(o, "size", json_object_new_int64((int64_t)r->size));
	jadd(o, "for", r->name[0] ? json_object_new_string(r->name) : NULL);
	jadd(o, "state", json_object_new_string(state));
	jadd(o, "expires_s", r->expires_ms ?
	     json_object_new_double(r->expires_ms > now ?
				    (double)(r->expires_ms - now) / 1000.0 : 0) :
	     NULL);
	return o;
}

struct json_object *pzd_pool_node_json(struct pzd_pool *p, unsigned int node)
{
	struct pool_node *n;
	struct json_object *o;
	uint64_t target = 0, reserved = 0;
	struct plan pl;

	if (!pzd_pool_usable(p) || node >= p->nnode)
		return NULL;
	n = &p->node[node];
	if (!make_plan(p, n, &pl)) {
		target = pl.target;
		reserved = pl.reserved;
		plan_free(&pl);
	}
	o = json_object_new_object();
	if (!o)
		return NULL;
	jadd(o, "state", json_object_new_string(n->state));
	jadd(o, "reason", json_object_new_string(n->reason));
	jadd(o, "bytes", json_object_new_int64((int64_t)node_file_bytes(n)));
	jadd(o, "files", json_object_new_int64((int64_t)n->nfile));
	jadd(o, "filling_bytes", json_object_new_int64(n->filling && n->fill ?
		(int64_t)pzd_fill_progress(n->fill) : 0));
	jadd(o, "target_bytes", json_object_new_int64((int64_t)target));
	jadd(o, "reserved_bytes", json_object_new_int64((int64_t)reserved));
	jadd(o, "fill_rate", json_object_new_double(n->fill_rate));
	jadd(o, "released_bytes", json_object_new_int64((int64_t)n->released_bytes));
	jadd(o, "claimed_bytes", json_object_new_int64((int64_t)n->claimed_bytes));
	jadd(o, "claims", json_object_new_int64((int64_t)n->claims));
	return o;
}

struct json_object *pzd_pool_json(struct pzd_pool *p, uint64_t now_ms)
{
	struct json_object *o = json_object_new_object(), *arr;
	const char *fs = NULL;

	if (!o)
		return NULL;
	if (p && p->usable)
		fs = p->fs == PZD_POOL_FS_HUGETLBFS ? "hugetlbfs" : "tmpfs";
	jadd(o, "dir", json_object_new_string(p ? p->dir : ""));
	jadd(o, "fs", fs ? json_object_new_string(fs) : NULL);
	jadd(o, "page_size", json_object_new_int64(p ? (int64_t)p->page_size : 0));
	jadd(o, "state", json_object_new_string(pzd_pool_usable(p) ? "ok" :
						"error"));
	jadd(o, "reason", json_object_new_string(pzd_pool_reason(p)));
	arr = json_object_new_array();
	jadd(o, "reservations", arr);
	for (size_t i = 0; p && arr && i < p->nresv; i++)
		json_object_array_add(arr, resv_json(p, &p->resv[i], now_ms));
	return o;
}

/* ---- commands ---- */

static int no_pool(struct pzd_pool *p, const char *cmd,
		   struct pzd_proto_err *err)
{
	pzd_proto_seterr(err, "no-pool", "%s: the pool is unusable: %s", cmd,
			 pzd_pool_reason(p));
	return -1;
}

struct pick {
	int node;
	int file;
	uint64_t resv_id;	/* the reservation used, 0 = none */
};

/* The file a claim for size (and name) gets on node n; -1 if none. */
static int pick_on_node(struct pzd_pool *p, struct pool_node *n,
			uint64_t size, const char *name, uint64_t *resv_id)
{
	struct plan pl;
	int best = -1, best_named = -1, best_any = -1;
	uint64_t named_id = 0, any_id = 0;

	if (make_plan(p, n, &pl))
		return -1;
	for (size_t j = 0; j < n->nfile; j++) {
		uint64_t rid = file_resv(&pl, j);
		const struct resv *r = rid ? find_resv(p, rid) : NULL;
		uint64_t fsz = n->file[j].size;

		if (fsz < size)
			continue;
		if (r && r->name[0]) {
			if (name && !strcmp(name, r->name)) {
				if (best_named < 0 ||
				    fsz < n->file[best_named].size) {
					best_named = (int)j;
					named_id = rid;
				}
			} else if (best_any < 0 ||
				   fsz < n->file[best_any].size) {
				best_any = (int)j;
				any_id = rid;
			}
			continue;
		}
		if (best < 0 || fsz < n->file[best].size) {
			best = (int)j;
			*resv_id = rid;
		}
	}
	plan_free(&pl);
	if (best_named >= 0) {
		*resv_id = named_id;
		return best_named;
	}
	if (best >= 0)
		return best;
	/* A file reserved for another VM only when nothing else fits and
	 * the claim names no VM (proto/control.md, vm-reserve). */
	if (!name && best_any >= 0) {
		*resv_id = any_id;
		return best_any;
	}
	return -1;
}

static void empty_message(struct pzd_pool *p, const struct pzd_pool_claim_req *req,
			  struct pzd_proto_err *err)
{
	char want[32], big[32];
	uint64_t largest = 0;
	size_t files = 0;
	bool filling = false;

	for (size_t i = 0; i < p->nnode; i++) {
		if (req->node >= 0 && (size_t)req->node != i)
			continue;
		for (size_t j = 0; j < p->node[i].nfile; j++) {
			files++;
			if (p->node[i].file[j].size > largest)
				largest = p->node[i].file[j].size;
		}
		filling |= p->node[i].filling;
	}
	fmt_size(req->size, want, sizeof(want));
	fmt_size(largest, big, sizeof(big));
	if (req->node >= 0 && files)
		pzd_proto_seterr(err, "pool-empty",
				 "pool-claim: node %d: no ready file of %s (%zu file(s), the largest %s, none free for this claim)%s",
				 req->node, want, files, big,
				 filling ? "; a file is being filled" : "");
	else if (req->node >= 0)
		pzd_proto_seterr(err, "pool-empty",
				 "pool-claim: node %d: no ready file, %s requested%s",
				 req->node, want,
				 filling ? "; a file is being filled" : "");
	else
		pzd_proto_seterr(err, "pool-empty",
				 "pool-claim: no node has a ready file of %s (%zu file(s), the largest %s)",
				 want, files, big);
}

/* Undo a claim whose file left the ready set: back into the pool under a
 * new name (it may be smaller now), or deleted. */
static void claim_undo(struct pzd_pool *p, struct pool_node *n, const char *tmp,
		       int fd)
{
	char name[64];
	struct stat st;

	if (fd >= 0 && !fchown(fd, 0, 0) && !fchmod(fd, 0600) &&
	    !fstat(fd, &st)) {
		node_name(name, sizeof(name), "", n->id, p->next_seq, ".pool");
		if (!renameat(p->dirfd, tmp, p->dirfd, name) &&
		    !add_file(n, p->next_seq, (uint64_t)st.st_size)) {
			p->next_seq++;
			return;
		}
	}
	unlinkat(p->dirfd, tmp, 0);
	unlinkat(p->dirfd, name, 0);
}

static int split_path(const char *path, char *parent, size_t plen,
		      const char **base)
{
	const char *slash = strrchr(path, '/');

	if (path[0] != '/' || !slash || !slash[1] || !strcmp(slash + 1, ".") ||
	    !strcmp(slash + 1, "..") || strlen(path) >= PATH_MAX)
		return -1;
	snprintf(parent, plen, "%.*s", slash == path ? 1 : (int)(slash - path),
		 path);
	*base = slash + 1;
	return 0;
}

int pzd_pool_claim(struct pzd_pool *p, const struct pzd_pool_claim_req *req,
		   struct json_object *reply, struct pzd_proto_err *err)
{
	char parent[PATH_MAX], src[64], tmp[64], a[32], b[32];
	const char *base;
	uint64_t size, resv_id = 0, before;
	struct pool_node *n = NULL;
	struct stat st;
	int pfd = -1, fd = -1, file = -1;

	if (!pzd_pool_usable(p))
		return no_pool(p, "pool-claim", err);
	if (req->node >= 0 && (size_t)req->node >= p->nnode) {
		pzd_proto_seterr(err, "no-such-node",
				 "pool-claim: node %d does not exist", req->node);
		return -1;
	}
	size = pzd_pool_align(req->size, p->page_size);
	if (!size) {
		pzd_proto_seterr(err, "bad-request", "pool-claim: \"size\" is too large");
		return -1;
	}
	if (split_path(req->path, parent, sizeof(parent), &base)) {
		pzd_proto_seterr(err, "bad-path",
				 "pool-claim: \"%s\" is not an absolute path to a file",
				 req->path);
		return -1;
	}
	pfd = open(parent, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0) {
		pzd_proto_seterr(err, "bad-path", "pool-claim: %s: %s", parent,
				 strerror(errno));
		return -1;
	}
	if (fstat(pfd, &st))
		goto errno_path;
	if (st.st_dev != p->dev) {
		pzd_proto_seterr(err, "cross-device",
				 "pool-claim: %s is not on the pool's filesystem (%s)",
				 parent, p->dir);
		goto fail;
	}
	if (!fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW)) {
		pzd_proto_seterr(err, "bad-path", "pool-claim: %s exists",
				 req->path);
		goto fail;
	}
	if (errno != ENOENT)
		goto errno_path;

	if (req->node >= 0) {
		n = &p->node[req->node];
		file = pick_on_node(p, n, size, req->name, &resv_id);
	} else {
		for (size_t i = 0; i < p->nnode; i++) {
			uint64_t rid = 0;
			int j = pick_on_node(p, &p->node[i], size, req->name, &rid);

			if (j >= 0 && (file < 0 || p->node[i].file[j].size <
						   n->file[file].size)) {
				n = &p->node[i];
				file = j;
				resv_id = rid;
			}
		}
	}
	if (file < 0) {
		empty_message(p, req, err);
		goto fail;
	}

	/* Out of the ready set first: from here the file is ours alone. */
	node_name(src, sizeof(src), "", n->id, n->file[file].seq, ".pool");
	node_name(tmp, sizeof(tmp), ".claim-", n->id, n->file[file].seq, "");
	before = n->file[file].size;
	if (renameat(p->dirfd, src, p->dirfd, tmp)) {
		pzd_proto_seterr(err, "internal", "pool-claim: rename %s: %s",
				 src, strerror(errno));
		goto fail;
	}
	drop_file(n, (size_t)file);
	fd = openat(p->dirfd, tmp, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || (size < before && ftruncate(fd, (off_t)size)) ||
	    fchown(fd, req->uid, req->gid) || fchmod(fd, req->mode)) {
		pzd_proto_seterr(err, "internal", "pool-claim: preparing %s: %s",
				 tmp, strerror(errno));
		claim_undo(p, n, tmp, fd);
		goto fail;
	}
	if (renameat2(p->dirfd, tmp, pfd, base, RENAME_NOREPLACE)) {
		int e = errno;

		claim_undo(p, n, tmp, fd);
		pzd_proto_seterr(err, e == EEXIST ? "bad-path" : "internal",
				 "pool-claim: %s: %s", req->path, strerror(e));
		goto fail;
	}
	close(fd);
	close(pfd);
	n->claims++;
	n->claimed_bytes += size;
	/* status right after shows the pool as it is, and the refill
	 * starts now. */
	node_round(p, n, n->have_in ? &n->in : NULL, false, mono_ms());
	if (resv_id && req->name) {
		for (size_t i = 0; i < p->nresv; i++)
			if (p->resv[i].id == resv_id && p->resv[i].name[0])
				p->resv[i].in_use = true;
		save_resv(p);
	}
	log_info("pool: node %u: %s (%s) claimed as %s (%s, %u:%u %04o)%s%s",
		 n->id, src, fmt_size(before, a, sizeof(a)), req->path,
		 fmt_size(size, b, sizeof(b)), (unsigned int)req->uid,
		 (unsigned int)req->gid, req->mode, req->name ? " for " : "",
		 req->name ? req->name : "");
	jadd(reply, "path", json_object_new_string(req->path));
	jadd(reply, "node", json_object_new_int((int)n->id));
	jadd(reply, "size", json_object_new_int64((int64_t)(size < before ?
							     size : before)));
	jadd(reply, "file_bytes", json_object_new_int64((int64_t)before));
	jadd(reply, "page_size", json_object_new_int64((int64_t)p->page_size));
	jadd(reply, "for", req->name ? json_object_new_string(req->name) : NULL);
	return 0;

errno_path:
	pzd_proto_seterr(err, "bad-path", "pool-claim: %s: %s", req->path,
			 strerror(errno));
fail:
	if (fd >= 0)
		close(fd);
	close(pfd);
	return -1;
}

int pzd_pool_reserve(struct pzd_pool *p, unsigned int node, uint64_t size,
		     const char *name, uint64_t ttl_s,
		     struct json_object *reply, struct pzd_proto_err *err)
{
	struct resv *r = NULL;
	char sz[32];

	if (!pzd_pool_usable(p))
		return no_pool(p, "vm-reserve", err);
	if (node >= p->nnode) {
		pzd_proto_seterr(err, "no-such-node",
				 "vm-reserve: node %u does not exist", node);
		return -1;
	}
	if (name && !valid_name(name)) {
		pzd_proto_seterr(err, "bad-request",
				 "vm-reserve: \"for\" must be 1-255 bytes without \"/\"");
		return -1;
	}
	if (!pzd_pool_align(size, p->page_size)) {
		pzd_proto_seterr(err, "bad-request", "vm-reserve: \"size\" is too large");
		return -1;
	}
	/* The same VM on the same node: the new one replaces the old. */
	for (size_t i = 0; name && i < p->nresv; i++)
		if (p->resv[i].node == node && !strcmp(p->resv[i].name, name))
			r = &p->resv[i];
	if (!r) {
		r = add_resv(p);
		if (!r) {
			pzd_proto_seterr(err, "internal", "vm-reserve: out of memory");
			return -1;
		}
		r->id = p->next_resv_id++;
	}
	r->node = node;
	r->size = size;
	r->in_use = false;
	snprintf(r->name, sizeof(r->name), "%s", name ? name : "");
	r->expires_ms = ttl_s ? mono_ms() + ttl_s * 1000 : 0;
	save_resv(p);
	log_info("pool: reservation %" PRIu64 ": node %u, %s%s%s", r->id, node,
		 fmt_size(size, sz, sizeof(sz)), name ? " for " : "",
		 name ? name : "");
	jadd(reply, "reservation", resv_json(p, r, mono_ms()));
	return 0;
}

int pzd_pool_unreserve(struct pzd_pool *p, uint64_t id, const char *name,
		       struct json_object *reply, struct pzd_proto_err *err)
{
	size_t removed = 0;

	if (!pzd_pool_usable(p))
		return no_pool(p, "vm-unreserve", err);
	for (size_t i = 0; i < p->nresv;) {
		struct resv *r = &p->resv[i];

		if ((id && r->id == id) || (name && !strcmp(r->name, name))) {
			log_info("pool: reservation %" PRIu64 " removed", r->id);
			p->resv[i] = p->resv[--p->nresv];
			removed++;
			continue;
		}
		i++;
	}
	if (!removed) {
		if (id)
			pzd_proto_seterr(err, "no-such-reservation",
					 "vm-unreserve: no reservation %" PRIu64,
					 id);
		else
			pzd_proto_seterr(err, "no-such-reservation",
					 "vm-unreserve: no reservation for \"%s\"",
					 name);
		return -1;
	}
	save_resv(p);
	jadd(reply, "removed", json_object_new_int64((int64_t)removed));
	return 0;
}

int pzd_pool_release(struct pzd_pool *p, const char *name,
		     struct json_object *reply, struct pzd_proto_err *err)
{
	uint64_t refill = 0;
	bool changed = false;

	if (!pzd_pool_usable(p))
		return no_pool(p, "vm-release", err);
	for (size_t i = 0; i < p->nresv; i++)
		if (!strcmp(p->resv[i].name, name) && p->resv[i].in_use) {
			p->resv[i].in_use = false;
			changed = true;
		}
	if (changed)
		save_resv(p);
	for (size_t i = 0; i < p->nnode; i++) {
		struct pool_node *n = &p->node[i];
		struct plan pl;

		/* The memory is back: a failed fill may try again now. */
		n->backoff_until_ms = 0;
		if (make_plan(p, n, &pl))
			continue;
		for (size_t k = 0; k < pl.nwant; k++)
			if (pl.match[k] < 0)
				refill += pl.want[k].size;
		plan_free(&pl);
	}
	log_info("pool: %s released, %" PRIu64 " bytes to refill", name, refill);
	jadd(reply, "refill_bytes", json_object_new_int64((int64_t)refill));
	return 0;
}
