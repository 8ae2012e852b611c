// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/*
 * vm-prepare: count a node's large free chunks from /proc/buddyinfo and its
 * hugetlb pool from sysfs, compact the node or grow its hugetlb pool when
 * it is short. Only files are touched, all under a root prefix, so the unit
 * tests run the same code over fake trees.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "log.h"
#include "number.h"
#include "prepare.h"
#include "sample.h"
#include "size.h"

#define NODE_DIR "/sys/devices/system/node/node%u"
#define BUDDYINFO "/proc/buddyinfo"
/* buddyinfo is about 100 bytes per zone; a few thousand nodes fit. */
#define READ_MAX (16U << 20)

static const struct {
	const char *name;
	uint64_t chunk;
} backings[] = {
	[PZD_BACKING_ANON] = { "anon", UINT64_C(2) << 20 },
	[PZD_BACKING_HUGETLB_2M] = { "hugetlb-2M", UINT64_C(2) << 20 },
	[PZD_BACKING_HUGETLB_1G] = { "hugetlb-1G", UINT64_C(1) << 30 },
};

static bool backing_valid(enum pzd_backing b)
{
	return (unsigned int)b < sizeof(backings) / sizeof(backings[0]);
}

int pzd_backing_parse(const char *name, enum pzd_backing *backing)
{
	unsigned int i;

	for (i = 0; name && i < sizeof(backings) / sizeof(backings[0]); i++) {
		if (!strcmp(name, backings[i].name)) {
			*backing = (enum pzd_backing)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *pzd_backing_name(enum pzd_backing backing)
{
	return backing_valid(backing) ? backings[backing].name : "?";
}

uint64_t pzd_backing_chunk(enum pzd_backing backing)
{
	return backing_valid(backing) ? backings[backing].chunk : 0;
}

__attribute__((format(printf, 3, 4)))
static void msg(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!buf || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* ROOT + the formatted rest; -ENAMETOOLONG if it does not fit PATH_MAX. */
__attribute__((format(printf, 3, 4)))
static int mkpath(char *buf, const char *root, const char *fmt, ...)
{
	size_t rl = strlen(root);
	va_list ap;
	int n;

	if (rl >= PATH_MAX)
		return -ENAMETOOLONG;
	memcpy(buf, root, rl);
	va_start(ap, fmt);
	n = vsnprintf(buf + rl, PATH_MAX - rl, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= PATH_MAX - rl)
		return -ENAMETOOLONG;
	return 0;
}

/* sample.c's reader; a NUL inside (-EINVAL) is a malformed kernel file. */
static int read_text(const char *path, char **out)
{
	int r = pzd_read_file(path, out);

	return r == -EINVAL ? -EBADMSG : r;
}

/* Write a value the way `echo VALUE > FILE` does; sysfs reports a refused
 * value as the write's (or, when buffered, the close's) error. */
static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static const char *skip_blanks(const char *p, const char *eol)
{
	while (p < eol && is_blank(*p))
		p++;
	return p;
}

/* Unsigned decimal at p (no sign), ending at a blank or eol. */
static int parse_count(const char *p, const char *eol, const char **end,
		       uint64_t *v)
{
	uint64_t x = 0;

	if (p >= eol || !isdigit((unsigned char)*p))
		return -EINVAL;
	for (; p < eol && isdigit((unsigned char)*p); p++) {
		if (__builtin_mul_overflow(x, 10, &x) ||
		    __builtin_add_overflow(x, (uint64_t)(*p - '0'), &x))
			return -ERANGE;
	}
	if (p < eol && !is_blank(*p))
		return -EINVAL;
	*end = p;
	*v = x;
	return 0;
}

/*
 * "Node N, zone NAME c0 c1 ..." (mm/vmstat.c: "Node %d, zone %8s " then
 * "%6lu " per order). Counts go to cnt[], their number to *n.
 */
static int parse_line(const char *p, const char *eol, unsigned int line,
		      uint64_t *node, uint64_t *cnt, unsigned int *n,
		      char *err, size_t errlen)
{
	const char *q;
	uint64_t v;
	int r;

	if (strncmp(p, "Node", 4) || !is_blank(p[4]))
		goto syntax;
	p = skip_blanks(p + 4, eol);
	q = p;
	while (q < eol && isdigit((unsigned char)*q))
		q++;
	if (q == p || q >= eol || *q != ',')
		goto syntax;
	/* q ends the digits: parse_count stops there */
	if (parse_count(p, q, &p, node) || *node > UINT_MAX)
		goto syntax;
	p = skip_blanks(q + 1, eol);
	if (eol - p < 5 || strncmp(p, "zone", 4) || !is_blank(p[4]))
		goto syntax;
	p = skip_blanks(p + 4, eol);
	if (p >= eol)
		goto syntax;
	while (p < eol && !is_blank(*p))
		p++;		/* the zone's name */
	*n = 0;
	for (;;) {
		p = skip_blanks(p, eol);
		if (p >= eol)
			break;
		r = parse_count(p, eol, &p, &v);
		if (r) {
			msg(err, errlen, "line %u: %s", line, r == -ERANGE ?
			    "free block count too large" :
			    "free block count is not a number");
			return -EBADMSG;
		}
		if (*n == PZD_BUDDY_MAX_ORDERS) {
			msg(err, errlen, "line %u: more than %u order columns",
			    line, PZD_BUDDY_MAX_ORDERS);
			return -EBADMSG;
		}
		cnt[(*n)++] = v;
	}
	if (!*n) {
		msg(err, errlen, "line %u: no free block counts", line);
		return -EBADMSG;
	}
	return 0;
syntax:
	msg(err, errlen, "line %u: expected \"Node N, zone NAME COUNT...\"",
	    line);
	return -EBADMSG;
}

int pzd_buddyinfo_parse(const char *text, unsigned int node,
			struct pzd_buddy *b, char *err, size_t errlen)
{
	uint64_t cnt[PZD_BUDDY_MAX_ORDERS], id;
	struct pzd_buddy tmp;
	unsigned int line = 0, n, i;
	const char *p, *eol;
	int r;

	memset(&tmp, 0, sizeof(tmp));
	for (p = text; *p; p = *eol ? eol + 1 : eol) {
		eol = strchr(p, '\n');
		if (!eol)
			eol = p + strlen(p);
		line++;
		r = parse_line(p, eol, line, &id, cnt, &n, err, errlen);
		if (r)
			return r;
		if (tmp.norders && n != tmp.norders) {
			msg(err, errlen,
			    "line %u: %u order columns, the lines before have %u",
			    line, n, tmp.norders);
			return -EBADMSG;
		}
		tmp.norders = n;
		if (id != node)
			continue;
		tmp.nzones++;
		for (i = 0; i < n; i++) {
			/* no machine has 2^64 free blocks: saturate */
			if (__builtin_add_overflow(tmp.blocks[i], cnt[i],
						   &tmp.blocks[i]))
				tmp.blocks[i] = UINT64_MAX;
		}
	}
	if (!line) {
		msg(err, errlen, "no zones listed");
		return -EBADMSG;
	}
	*b = tmp;
	return 0;
}

int pzd_buddyinfo_read(const char *root, unsigned int node,
		       struct pzd_buddy *b, char *err, size_t errlen)
{
	char path[PATH_MAX], why[PZD_PREPARE_MSG];
	char *text;
	int r;

	r = mkpath(path, root, BUDDYINFO);
	if (r) {
		msg(err, errlen, "%s" BUDDYINFO ": %s", root, strerror(-r));
		return r;
	}
	r = read_text(path, &text);
	if (r) {
		msg(err, errlen, "%s: %s", path, r == -EBADMSG ?
		    "not a text file" : strerror(-r));
		return r;
	}
	r = pzd_buddyinfo_parse(text, node, b, why, sizeof(why));
	free(text);
	if (r)
		msg(err, errlen, "%s %s", path, why);
	return r;
}

static bool pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

/* blocks of orders [from, norders) in bytes, saturating */
static uint64_t blocks_bytes(const struct pzd_buddy *b, uint64_t page_size,
			     unsigned int from)
{
	uint64_t sum = 0, bytes;
	unsigned int o;

	for (o = from; o < b->norders && o < PZD_BUDDY_MAX_ORDERS; o++) {
		if (!b->blocks[o])
			continue;
		if (page_size > (UINT64_MAX >> o) ||
		    __builtin_mul_overflow(b->blocks[o], page_size << o,
					   &bytes) ||
		    __builtin_add_overflow(sum, bytes, &sum))
			return UINT64_MAX;
	}
	return sum;
}

uint64_t pzd_buddy_free_bytes(const struct pzd_buddy *b, uint64_t page_size)
{
	return blocks_bytes(b, page_size, 0);
}

uint64_t pzd_buddy_chunk_bytes(const struct pzd_buddy *b, uint64_t page_size,
			       uint64_t chunk)
{
	unsigned int order = 0;

	if (!pow2(page_size) || !pow2(chunk))
		return 0;
	/* both powers of two: a block this large is whole chunks */
	while (order < 64 && (page_size << order) < chunk)
		order++;
	return blocks_bytes(b, page_size, order);
}

/* ROOT/sys/devices/system/node/nodeN exists: 0, -ENODEV or -errno. */
static int node_check(const char *root, unsigned int node, char *err,
		      size_t errlen)
{
	char path[PATH_MAX];
	struct stat st;
	int r;

	r = mkpath(path, root, NODE_DIR, node);
	if (r) {
		msg(err, errlen, "node %u: path too long", node);
		return r;
	}
	if (stat(path, &st)) {
		r = -errno;
		if (r == -ENOENT || r == -ENOTDIR) {
			msg(err, errlen, "no node %u (no %s)", node, path);
			return -ENODEV;
		}
		msg(err, errlen, "%s: %s", path, strerror(-r));
		return r;
	}
	if (!S_ISDIR(st.st_mode)) {
		msg(err, errlen, "no node %u (%s is not a directory)", node,
		    path);
		return -ENODEV;
	}
	return 0;
}

/* One decimal counter file ("512\n"). */
static int read_counter(const char *path, uint64_t *v, char *err,
			size_t errlen)
{
	int r = pzd_read_u64(path, v);

	if (r == -EBADMSG)
		msg(err, errlen, "%s: not a page count", path);
	else if (r)
		msg(err, errlen, "%s: %s", path, strerror(-r));
	return r;
}

#define HUGE_DIR NODE_DIR "/hugepages/hugepages-%llukB"

int pzd_hugetlb_read(const char *root, unsigned int node,
		     uint64_t page_bytes, struct pzd_hugetlb *h, char *err,
		     size_t errlen)
{
	static const char *const name[] = {
		"nr_hugepages", "free_hugepages", "surplus_hugepages"
	};
	unsigned long long kb = page_bytes >> 10;
	char dir[PATH_MAX], path[PATH_MAX + 32];
	uint64_t v[3];
	struct stat st;
	unsigned int i;
	int r;

	r = node_check(root, node, err, errlen);
	if (r)
		return r;
	if (page_bytes < 1024 || page_bytes % 1024) {
		msg(err, errlen, "bad huge page size %llu bytes",
		    (unsigned long long)page_bytes);
		return -EINVAL;
	}
	r = mkpath(dir, root, HUGE_DIR, node, kb);
	if (r) {
		msg(err, errlen, "node %u: path too long", node);
		return r;
	}
	r = stat(dir, &st) ? -errno : 0;
	if (r && r != -ENOENT) {
		msg(err, errlen, "%s: %s", dir, strerror(-r));
		return r;
	}
	if (r || !S_ISDIR(st.st_mode)) {
		msg(err, errlen,
		    "node %u has no %llukB hugetlb pages (no %s): "
		    "the kernel or the CPU does not support that page size",
		    node, kb, dir);
		return -EOPNOTSUPP;
	}
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, name[i]);
		r = read_counter(path, &v[i], err, errlen);
		if (r)
			return r;
	}
	h->nr = v[0];
	h->free = v[1];
	h->surplus = v[2];
	return 0;
}

__attribute__((format(printf, 3, 4)))
static void action(struct pzd_prepare_result *res, int prio,
		   const char *fmt, ...)
{
	char buf[PZD_PREPARE_MSG];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	pzd_log(prio, "vm-prepare: %s", buf);
	if (res->nactions < PZD_PREPARE_ACTIONS)
		memcpy(res->actions[res->nactions++], buf, sizeof(buf));
}

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
	uint64_t r;

	return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}

/* anon, short: compact the node, count again */
static int compact_node(const char *root, struct pzd_prepare_result *res,
			struct pzd_buddy *b, uint64_t page_size)
{
	char path[PATH_MAX], s1[32], s2[32];
	uint64_t before = res->servable_bytes;
	int r;

	r = mkpath(path, root, NODE_DIR "/compact", res->node);
	if (!r)
		r = pzd_write_file(path, "1");
	if (r) {
		action(res, LOG_WARNING, "could not compact node %u: %s",
		       res->node, strerror(-r));
		return 0;
	}
	res->compacted = true;
	r = pzd_buddyinfo_read(root, res->node, b, res->error,
			       sizeof(res->error));
	if (r)
		return r;
	res->servable_bytes = pzd_buddy_chunk_bytes(b, page_size,
						    res->chunk_bytes);
	action(res, LOG_INFO, "compacted node %u: 2 MiB chunks %s -> %s",
	       res->node, pz_format_size(before, s1, sizeof(s1)),
	       pz_format_size(res->servable_bytes, s2, sizeof(s2)));
	return 0;
}

/* hugetlb, short: raise the node's nr_hugepages by the shortfall */
static int topup_node(const char *root, struct pzd_prepare_result *res,
		      struct pzd_hugetlb *h, uint64_t short_bytes)
{
	const char *bname = pzd_backing_name(res->backing);
	uint64_t hp = res->chunk_bytes;
	uint64_t ask = short_bytes / hp + !!(short_bytes % hp);
	unsigned long long kb = hp >> 10;
	char path[PATH_MAX], val[32];
	struct pzd_hugetlb after;
	int r;

	if (h->nr > UINT64_MAX - ask) {
		msg(res->error, sizeof(res->error),
		    "node %u: nr_hugepages %llu cannot grow by %llu", res->node,
		    (unsigned long long)h->nr, (unsigned long long)ask);
		return -EOVERFLOW;
	}
	/* nr includes surplus pages, which the kernel makes persistent
	 * first: nr + ask gives ask new free pages */
	snprintf(val, sizeof(val), "%llu\n",
		 (unsigned long long)(h->nr + ask));
	r = mkpath(path, root, HUGE_DIR "/nr_hugepages", res->node, kb);
	if (!r)
		r = pzd_write_file(path, val);
	if (r) {
		action(res, LOG_WARNING,
		       "could not raise node %u %s pool by %llu pages: %s",
		       res->node, bname, (unsigned long long)ask,
		       strerror(-r));
		return 0;
	}
	r = pzd_hugetlb_read(root, res->node, hp, &after, res->error,
			     sizeof(res->error));
	if (r)
		return r;
	res->hugetlb_added_pages = after.nr > h->nr ? after.nr - h->nr : 0;
	*h = after;
	action(res, res->hugetlb_added_pages ? LOG_INFO : LOG_WARNING,
	       "raised node %u %s pool by %llu page%s (asked %llu)",
	       res->node, bname,
	       (unsigned long long)res->hugetlb_added_pages,
	       res->hugetlb_added_pages == 1 ? "" : "s",
	       (unsigned long long)ask);
	return 0;
}

int pzd_prepare_node(const char *root, unsigned int node, uint64_t size,
		     enum pzd_backing backing, bool compact, bool topup,
		     struct pzd_prepare_result *res)
{
	bool anon = backing == PZD_BACKING_ANON;
	struct pzd_hugetlb h = { 0 };
	struct pzd_buddy b;
	uint64_t page_size;
	long ps;
	int r;

	memset(res, 0, sizeof(*res));
	res->node = node;
	res->size = size;
	res->backing = backing;
	res->chunk_bytes = pzd_backing_chunk(backing);
	if (!backing_valid(backing)) {
		msg(res->error, sizeof(res->error), "unknown backing %d",
		    (int)backing);
		return -EINVAL;
	}
	if (!size || size > PZD_PREPARE_SIZE_MAX) {
		msg(res->error, sizeof(res->error),
		    "size %llu out of range (1 B to 1.00 PiB)",
		    (unsigned long long)size);
		return -ERANGE;
	}
	ps = sysconf(_SC_PAGESIZE);
	page_size = ps > 0 ? (uint64_t)ps : 4096;

	r = node_check(root, node, res->error, sizeof(res->error));
	if (r)
		return r;
	r = pzd_buddyinfo_read(root, node, &b, res->error, sizeof(res->error));
	if (r)
		return r;
	if (anon) {
		res->servable_bytes = pzd_buddy_chunk_bytes(&b, page_size,
							    res->chunk_bytes);
	} else {
		r = pzd_hugetlb_read(root, node, res->chunk_bytes, &h,
				     res->error, sizeof(res->error));
		if (r)
			return r;
		res->servable_bytes = sat_mul(h.free, res->chunk_bytes);
	}

	if (res->servable_bytes < size) {
		if (anon && compact)
			r = compact_node(root, res, &b, page_size);
		else if (!anon && topup)
			r = topup_node(root, res, &h,
				       size - res->servable_bytes);
		if (r)
			return r;
	}
	if (!anon) {
		res->servable_bytes = sat_mul(h.free, res->chunk_bytes);
		res->hugetlb_free_pages = h.free;
		/* the pool took its pages from the buddy allocator */
		if (res->hugetlb_added_pages) {
			r = pzd_buddyinfo_read(root, node, &b, res->error,
					       sizeof(res->error));
			if (r)
				return r;
		}
	}
	res->free_bytes = pzd_buddy_free_bytes(&b, page_size);
	res->short_bytes = size > res->servable_bytes ?
			   size - res->servable_bytes : 0;
	return 0;
}

/* json-c returns NULL when out of memory; count the failures. */
static void jadd(struct json_object *o, const char *k, struct json_object *v,
		 bool *oom)
{
	if (!v || json_object_object_add(o, k, v)) {
		json_object_put(v);
		*oom = true;
	}
}

struct json_object *
pzd_prepare_result_json(const struct pzd_prepare_result *res)
{
	struct json_object *o, *a, *s;
	bool anon = res->backing == PZD_BACKING_ANON;
	bool oom = false;
	unsigned int i;

	o = json_object_new_object();
	if (!o)
		return NULL;
	jadd(o, "node", json_object_new_uint64(res->node), &oom);
	jadd(o, "size", json_object_new_uint64(res->size), &oom);
	jadd(o, "backing",
	     json_object_new_string(pzd_backing_name(res->backing)), &oom);
	jadd(o, "free_bytes", json_object_new_uint64(res->free_bytes), &oom);
	jadd(o, "chunk_bytes", json_object_new_uint64(res->chunk_bytes), &oom);
	jadd(o, "servable_bytes", json_object_new_uint64(res->servable_bytes),
	     &oom);
	jadd(o, "short_bytes", json_object_new_uint64(res->short_bytes), &oom);
	jadd(o, "compacted", json_object_new_boolean(res->compacted), &oom);
	jadd(o, "hugetlb_added_pages",
	     json_object_new_uint64(res->hugetlb_added_pages), &oom);
	if (anon) {
		/* a key with a NULL value is JSON null */
		if (json_object_object_add(o, "hugetlb_free_pages", NULL))
			oom = true;
	} else {
		jadd(o, "hugetlb_free_pages",
		     json_object_new_uint64(res->hugetlb_free_pages), &oom);
	}
	a = json_object_new_array();
	for (i = 0; a && i < res->nactions && i < PZD_PREPARE_ACTIONS; i++) {
		s = json_object_new_string(res->actions[i]);
		if (!s || json_object_array_add(a, s)) {
			json_object_put(s);
			oom = true;
		}
	}
	jadd(o, "actions", a, &oom);
	if (oom) {
		json_object_put(o);
		return NULL;
	}
	return o;
}
