// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/*
 * domxml: a libvirt domain XML's memory layout (see domxml.h). The rules
 * follow libvirt 9.0 (Debian 12): src/conf/domain_conf.c and numa_conf.c
 * for the syntax, src/qemu/qemu_command.c (qemuBuildMemoryBackendProps())
 * for how each RAM region is backed.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wchar.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "domxml.h"
#include "number.h"

/* libvirt's bound for sizes (virMemoryMaxValue(): off_t) */
#define MAX_BYTES ((uint64_t)LLONG_MAX)

struct pctx {
	char *err;
	size_t errlen;
};

static int fail(struct pctx *p, int ret, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct pctx *p, int ret, const char *fmt, ...)
{
	va_list ap;

	if (p->err && p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err, p->errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

/* ---- sizes and node sets ---------------------------------------------- */

static const char *skip_blanks(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	return s;
}

/* The multiplier of a libvirt unit (virScaleInteger()), 0 if unknown. */
static uint64_t unit_scale(const char *unit)
{
	static const char prefixes[] = "kmgtpe";
	const char *prefix;
	uint64_t base, scale = 1;
	int steps;

	if (!unit || !*unit)
		return 1024;		/* libvirt's default for memory: KiB */
	if (!strcasecmp(unit, "b") || !strcasecmp(unit, "byte") ||
	    !strcasecmp(unit, "bytes"))
		return 1;
	if (!unit[1] || !strcasecmp(unit + 1, "iB"))
		base = 1024;
	else if ((unit[1] == 'b' || unit[1] == 'B') && !unit[2])
		base = 1000;
	else
		return 0;
	prefix = unit[0] ? strchr(prefixes, tolower((unsigned char)unit[0])) : NULL;
	if (!prefix)
		return 0;
	steps = (int)(prefix - prefixes) + 1;
	while (steps--)
		scale *= base;
	return scale;
}

int pz_dom_scale(const char *value, const char *unit, uint64_t *bytes,
		 const char **why)
{
	char digits[32];
	unsigned long v;
	uint64_t scale, kib;
	const char *s, *e;
	size_t n;
	int ret;

	*why = NULL;
	if (!value) {
		*why = "missing";
		return -EINVAL;
	}
	s = skip_blanks(value);
	for (e = s + strlen(s); e > s && (e[-1] == ' ' || e[-1] == '\t' ||
					  e[-1] == '\n' || e[-1] == '\r'); e--)
		;
	n = (size_t)(e - s);
	if (n == 0) {
		*why = "empty";
		return -EINVAL;
	}
	if (*s == '-') {
		*why = "negative";
		return -EINVAL;
	}
	if (n >= sizeof(digits)) {
		/* all digits and this long: far beyond 2^64 */
		bool number = strspn(s, "0123456789") >= n;

		*why = number ? "too large" : "not a number";
		return number ? -ERANGE : -EINVAL;
	}
	memcpy(digits, s, n);
	digits[n] = '\0';
	ret = pz_parse_uint(digits, 0, ULONG_MAX, &v);
	if (ret == -ERANGE) {
		*why = "too large";
		return ret;
	}
	if (ret < 0) {
		*why = "not a number";
		return ret;
	}
	scale = unit_scale(unit);
	if (!scale) {
		*why = "unknown unit (b, KiB/k, MiB/M, GiB/G, TiB/T, PiB/P, EiB/E, or KB, MB, ... for powers of 1000)";
		return -EINVAL;
	}
	if (v && v > MAX_BYTES / scale) {
		*why = "too large";
		return -ERANGE;
	}
	/* libvirt keeps KiB, rounded up, strictly below its bound */
	kib = ((uint64_t)v * scale + 1023) / 1024;
	if (kib >= (MAX_BYTES + 1023) / 1024) {
		*why = "too large";
		return -ERANGE;
	}
	*bytes = kib * 1024;
	return 0;
}

bool pz_nodeset_has(const struct pz_nodeset *ns, unsigned int id)
{
	return id < PZ_DOM_MAX_NODES && (ns->w[id / 64] >> (id % 64) & 1);
}

void pz_nodeset_add(struct pz_nodeset *ns, unsigned int id)
{
	if (id < PZ_DOM_MAX_NODES)
		ns->w[id / 64] |= UINT64_C(1) << (id % 64);
}

static void nodeset_del(struct pz_nodeset *ns, unsigned int id)
{
	if (id < PZ_DOM_MAX_NODES)
		ns->w[id / 64] &= ~(UINT64_C(1) << (id % 64));
}

unsigned int pz_nodeset_weight(const struct pz_nodeset *ns)
{
	unsigned int i, n = 0;

	for (i = 0; i < PZ_DOM_MAX_NODES / 64; i++)
		n += (unsigned int)__builtin_popcountll(ns->w[i]);
	return n;
}

int pz_nodeset_next(const struct pz_nodeset *ns, int after)
{
	unsigned int id;

	for (id = after < 0 ? 0 : (unsigned int)after + 1; id < PZ_DOM_MAX_NODES; id++)
		if (pz_nodeset_has(ns, id))
			return (int)id;
	return -1;
}

char *pz_nodeset_format(const struct pz_nodeset *ns, char *buf, size_t len)
{
	size_t off = 0;
	int a, b;

	if (!len)
		return buf;
	buf[0] = '\0';
	for (a = pz_nodeset_next(ns, -1); a >= 0; a = pz_nodeset_next(ns, b)) {
		int r;

		for (b = a; b + 1 < PZ_DOM_MAX_NODES &&
			    pz_nodeset_has(ns, (unsigned int)b + 1); b++)
			;
		if (b == a)
			r = snprintf(buf + off, len - off, "%s%d", off ? "," : "", a);
		else
			r = snprintf(buf + off, len - off, "%s%d-%d",
				     off ? "," : "", a, b);
		if (r < 0 || (size_t)r >= len - off)
			break;		/* truncated */
		off += (size_t)r;
	}
	return buf;
}

/* One id of a node set; *p moves past its digits and the blanks after. */
static int nodeset_id(const char **p, unsigned int *id, const char **why)
{
	unsigned long v = 0;
	const char *s = *p;

	if (*s < '0' || *s > '9') {
		*why = "expected a number";
		return -EINVAL;
	}
	for (; *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (unsigned long)(*s - '0');
		if (v >= PZ_DOM_MAX_NODES) {
			*why = "id above 255";
			return -ERANGE;
		}
	}
	*id = (unsigned int)v;
	*p = skip_blanks(s);
	return 0;
}

int pz_nodeset_parse(const char *s, struct pz_nodeset *ns, const char **why)
{
	struct pz_nodeset set = { { 0 } };
	const char *p;
	int ret;

	*why = NULL;
	if (!s) {
		*why = "missing";
		return -EINVAL;
	}
	p = skip_blanks(s);
	if (!*p) {
		*why = "empty";
		return -EINVAL;
	}
	for (;;) {
		unsigned int a, b, i;
		bool neg = false;

		if (*p == '^') {
			neg = true;
			p++;
		}
		ret = nodeset_id(&p, &a, why);
		if (ret < 0)
			return ret;
		b = a;
		if (*p == '-') {
			if (neg) {
				*why = "a range cannot be excluded";
				return -EINVAL;
			}
			p = skip_blanks(p + 1);
			ret = nodeset_id(&p, &b, why);
			if (ret < 0)
				return ret;
			if (b < a) {
				*why = "a range that runs backwards";
				return -EINVAL;
			}
		}
		for (i = a; i <= b; i++) {
			if (neg)
				nodeset_del(&set, i);
			else
				pz_nodeset_add(&set, i);
		}
		if (!*p)
			break;
		if (*p != ',') {
			*why = "expected ',' between ids";
			return -EINVAL;
		}
		p = skip_blanks(p + 1);
	}
	if (!pz_nodeset_weight(&set)) {
		*why = "no id left";
		return -EINVAL;
	}
	*ns = set;
	return 0;
}

/* ---- XML helpers ------------------------------------------------------ */

/* The first element child called name (no namespace: libvirt's own). */
static xmlNode *child(const xmlNode *parent, const char *name)
{
	xmlNode *c;

	if (!parent)
		return NULL;
	for (c = parent->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && !c->ns &&
		    !strcmp((const char *)c->name, name))
			return c;
	return NULL;
}

/* The next element sibling called like n. */
static xmlNode *next_named(const xmlNode *n)
{
	xmlNode *c;

	for (c = n->next; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && !c->ns &&
		    !strcmp((const char *)c->name, (const char *)n->name))
			return c;
	return NULL;
}

/* An attribute as a malloc'ed string (free()), NULL when absent; *oom
 * set if memory ran out. */
static char *attr(const xmlNode *n, const char *name, bool *oom)
{
	xmlChar *v;
	char *s;

	if (!n)
		return NULL;
	v = xmlGetNoNsProp(n, (const xmlChar *)name);
	if (!v)
		return NULL;
	s = strdup((const char *)v);
	xmlFree(v);
	if (!s)
		*oom = true;
	return s;
}

/* An element's text as a malloc'ed string (free()); "" when empty. */
static char *text(const xmlNode *n, bool *oom)
{
	xmlChar *v = xmlNodeGetContent(n);
	char *s;

	s = strdup(v ? (const char *)v : "");
	xmlFree(v);
	if (!s)
		*oom = true;
	return s;
}

/* Parse an enumerated attribute: its index in names (1-based, 0 when
 * absent), or -1 when the value is not one of them. */
static int attr_enum(const xmlNode *n, const char *name,
		     const char *const *names, char **value, bool *oom)
{
	int i;

	*value = attr(n, name, oom);
	if (!*value)
		return 0;
	for (i = 0; names[i]; i++)
		if (!strcmp(*value, names[i]))
			return i + 1;
	return -1;
}

static int parse_size_attr(struct pctx *p, const xmlNode *n, const char *what,
			   const char *vname, uint64_t *bytes)
{
	bool oom = false;
	char *v = attr(n, vname, &oom), *u = attr(n, "unit", &oom);
	const char *why;
	int ret;

	if (oom) {
		ret = fail(p, -ENOMEM, "out of memory");
	} else if (!v) {
		ret = fail(p, -EINVAL, "%s: no %s", what, vname);
	} else {
		ret = pz_dom_scale(v, u, bytes, &why);
		if (ret < 0)
			fail(p, ret, "%s: %s='%s'%s%s%s: %s", what, vname, v,
			     u ? " unit='" : "", u ? u : "", u ? "'" : "", why);
	}
	free(v);
	free(u);
	return ret;
}

static int parse_nodeset_attr(struct pctx *p, const xmlNode *n,
			      const char *what, bool required,
			      struct pz_nodeset *ns, bool *has)
{
	bool oom = false;
	char *v = attr(n, "nodeset", &oom);
	const char *why;
	int ret = 0;

	*has = false;
	if (oom)
		return fail(p, -ENOMEM, "out of memory");
	if (!v)
		return required ? fail(p, -EINVAL, "%s: no nodeset", what) : 0;
	ret = pz_nodeset_parse(v, ns, &why);
	if (ret < 0)
		fail(p, ret, "%s: nodeset='%s': %s", what, v, why);
	else
		*has = true;
	free(v);
	return ret;
}

/* A non-negative decimal int attribute (ids, counts). */
static int parse_uint_attr(struct pctx *p, const xmlNode *n, const char *what,
			   const char *name, unsigned long max, bool *has,
			   unsigned long *out)
{
	bool oom = false;
	char *v = attr(n, name, &oom);
	int ret = 0;

	*has = false;
	if (oom)
		return fail(p, -ENOMEM, "out of memory");
	if (!v)
		return 0;
	ret = pz_parse_uint(v, 0, max, out);
	if (ret < 0)
		fail(p, ret, "%s: %s='%s' is not a number from 0 to %lu",
		     what, name, v, max);
	else
		*has = true;
	free(v);
	return ret;
}

/* ---- the domain ------------------------------------------------------- */

static const char *const access_names[] = { "shared", "private", NULL };
static const char *const numa_mode_names[] = {
	"strict", "preferred", "interleave", "restrictive", NULL
};

static int parse_access(struct pctx *p, const xmlNode *n, const char *what,
			const char *name, enum pz_dom_access *out)
{
	bool oom = false;
	char *v;
	int i = attr_enum(n, name, access_names, &v, &oom), ret = 0;

	if (oom)
		ret = fail(p, -ENOMEM, "out of memory");
	else if (i < 0)
		ret = fail(p, -EINVAL, "%s: unknown %s '%s'", what, name, v);
	else
		*out = (enum pz_dom_access)i;	/* 0 default, 1 shared, 2 private */
	free(v);
	return ret;
}

static int parse_numa_mode(struct pctx *p, const xmlNode *n, const char *what,
			   enum pz_dom_numa_mode *out)
{
	bool oom = false;
	char *v;
	int i = attr_enum(n, "mode", numa_mode_names, &v, &oom), ret = 0;

	if (oom)
		ret = fail(p, -ENOMEM, "out of memory");
	else if (i < 0)
		ret = fail(p, -EINVAL, "%s: unknown mode '%s'", what, v);
	else
		*out = i ? (enum pz_dom_numa_mode)(i - 1) : PZ_DOM_NUMA_STRICT;
	free(v);
	return ret;
}

static size_t count_named(const xmlNode *first)
{
	size_t n = 0;

	for (; first; first = next_named(first))
		n++;
	return n;
}

static int parse_cells(struct pctx *p, const xmlNode *root, struct pz_dom *d)
{
	const xmlNode *numa = child(child(root, "cpu"), "numa");
	xmlNode *c = child(numa, "cell");
	size_t n = count_named(c), i;
	bool *seen;
	int ret = 0;

	if (!n)
		return 0;
	if (n > PZ_DOM_MAX_NODES)
		return fail(p, -ERANGE, "%zu NUMA cells (at most %d)", n,
			    PZ_DOM_MAX_NODES);
	d->cells = calloc(n, sizeof(*d->cells));
	seen = calloc(n, sizeof(*seen));
	if (!d->cells || !seen) {
		free(seen);
		return fail(p, -ENOMEM, "out of memory");
	}
	d->ncells = n;
	for (i = 0; c; c = next_named(c), i++) {
		struct pz_dom_cell *cell;
		unsigned long id = i;
		char what[48];
		bool has, oom = false;

		/* cells are in order of parsing or explicitly numbered */
		snprintf(what, sizeof(what), "NUMA cell %zu", i);
		ret = parse_uint_attr(p, c, what, "id", UINT_MAX, &has, &id);
		if (ret < 0)
			break;
		if (id >= n) {
			ret = fail(p, -EINVAL, "NUMA cell id %lu: ids must run from 0 to %zu",
				   id, n - 1);
			break;
		}
		if (seen[id]) {
			ret = fail(p, -EINVAL, "NUMA cell id %lu given twice", id);
			break;
		}
		seen[id] = true;
		cell = &d->cells[id];
		cell->id = (unsigned int)id;
		snprintf(what, sizeof(what), "NUMA cell %lu", id);
		ret = parse_size_attr(p, c, what, "memory", &cell->bytes);
		if (ret < 0)
			break;
		cell->cpus = attr(c, "cpus", &oom);
		if (oom) {
			ret = fail(p, -ENOMEM, "out of memory");
			break;
		}
		ret = parse_access(p, c, what, "memAccess", &cell->access);
		if (ret < 0)
			break;
	}
	free(seen);
	return ret;
}

static int parse_numatune(struct pctx *p, const xmlNode *root, struct pz_dom *d)
{
	const xmlNode *nt = child(root, "numatune");
	xmlNode *m = child(nt, "memory"), *mn;
	size_t n, i;
	int ret;

	if (m) {
		bool oom = false, has;
		char *placement = attr(m, "placement", &oom);

		d->numa_memory.set = true;
		ret = parse_numa_mode(p, m, "numatune memory", &d->numa_memory.mode);
		if (!ret)
			ret = parse_nodeset_attr(p, m, "numatune memory", false,
						 &d->numa_memory.nodes, &has);
		if (!ret && oom)
			ret = fail(p, -ENOMEM, "out of memory");
		if (!ret && placement && strcmp(placement, "static") &&
		    strcmp(placement, "auto"))
			ret = fail(p, -EINVAL, "numatune memory: unknown placement '%s'",
				   placement);
		/* placement='auto': numad picks the nodes at start */
		if (!ret)
			d->numa_memory.has_nodes = has &&
				!(placement && !strcmp(placement, "auto"));
		free(placement);
		if (ret < 0)
			return ret;
	}
	mn = child(nt, "memnode");
	n = count_named(mn);
	if (!n)
		return 0;
	if (!d->ncells)
		return fail(p, -EINVAL, "numatune memnode without NUMA cells");
	if (n > d->ncells)
		return fail(p, -EINVAL, "more memnode elements than NUMA cells");
	d->memnodes = calloc(n, sizeof(*d->memnodes));
	if (!d->memnodes)
		return fail(p, -ENOMEM, "out of memory");
	for (i = 0; mn; mn = next_named(mn), i++) {
		struct pz_dom_numatune *t = &d->memnodes[i];
		unsigned long cellid;
		char what[48];
		bool has;
		size_t j;

		ret = parse_uint_attr(p, mn, "numatune memnode", "cellid",
				      UINT_MAX, &has, &cellid);
		if (ret < 0)
			return ret;
		if (!has)
			return fail(p, -EINVAL, "numatune memnode: no cellid");
		if (cellid >= d->ncells)
			return fail(p, -EINVAL, "numatune memnode: cellid %lu: no such NUMA cell",
				    cellid);
		for (j = 0; j < i; j++)
			if (d->memnodes[j].cellid == cellid)
				return fail(p, -EINVAL, "numatune memnode: cellid %lu given twice",
					    cellid);
		snprintf(what, sizeof(what), "numatune memnode %lu", cellid);
		t->set = true;
		t->cellid = (unsigned int)cellid;
		ret = parse_numa_mode(p, mn, what, &t->mode);
		if (!ret)
			ret = parse_nodeset_attr(p, mn, what, true, &t->nodes,
						 &t->has_nodes);
		if (ret < 0)
			return ret;
		d->nmemnodes = i + 1;
	}
	return 0;
}

static int parse_memory_backing(struct pctx *p, const xmlNode *root,
				struct pz_dom *d)
{
	static const char *const sources[] = { "anonymous", "file", "memfd", NULL };
	static const char *const allocs[] = { "immediate", "ondemand", NULL };
	const xmlNode *mb = child(root, "memoryBacking");
	const xmlNode *hp = child(mb, "hugepages"), *alloc;
	xmlNode *pg;
	bool oom = false, has;
	unsigned long threads;
	size_t n, i;
	char *v;
	int ret;

	if (!mb)
		return 0;
	ret = attr_enum(child(mb, "source"), "type", sources, &v, &oom);
	if (oom)
		ret = fail(p, -ENOMEM, "out of memory");
	else if (ret < 0)
		ret = fail(p, -EINVAL, "memoryBacking: unknown source type '%s'", v);
	else
		d->source = (enum pz_dom_source)ret;
	free(v);
	if (ret < 0)
		return ret;
	ret = parse_access(p, child(mb, "access"), "memoryBacking access",
			   "mode", &d->access);
	if (ret < 0)
		return ret;
	alloc = child(mb, "allocation");
	ret = attr_enum(alloc, "mode", allocs, &v, &oom);
	if (oom)
		ret = fail(p, -ENOMEM, "out of memory");
	else if (ret < 0)
		ret = fail(p, -EINVAL, "memoryBacking: unknown allocation mode '%s'", v);
	else
		d->alloc = (enum pz_dom_alloc)ret;
	free(v);
	if (ret < 0)
		return ret;
	ret = parse_uint_attr(p, alloc, "memoryBacking allocation", "threads",
			      UINT_MAX, &has, &threads);
	if (ret < 0)
		return ret;
	d->alloc_threads = has ? (unsigned int)threads : 0;
	d->locked = child(mb, "locked") != NULL;

	if (!hp)
		return 0;
	d->hugepages = true;
	pg = child(hp, "page");
	n = count_named(pg);
	if (!n)
		return 0;
	if (n > PZ_DOM_MAX_NODES)
		return fail(p, -ERANGE, "%zu hugepages page elements", n);
	d->pages = calloc(n, sizeof(*d->pages));
	if (!d->pages)
		return fail(p, -ENOMEM, "out of memory");
	for (i = 0; pg; pg = next_named(pg), i++) {
		struct pz_dom_page *page = &d->pages[i];

		d->npages = i + 1;
		ret = parse_size_attr(p, pg, "hugepages page", "size", &page->bytes);
		if (ret < 0)
			return ret;
		if (!page->bytes)
			return fail(p, -EINVAL, "hugepages page: size 0");
		ret = parse_nodeset_attr(p, pg, "hugepages page", false,
					 &page->cells, &page->has_cells);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* A PCI address attribute: libvirt writes hex ("0x0000"), takes decimal. */
static int pci_part(const xmlNode *a, const char *name, unsigned int max,
		    unsigned int *out)
{
	xmlChar *v = xmlGetNoNsProp(a, (const xmlChar *)name);
	unsigned long x;
	char *end;
	int ret = -EINVAL;

	if (!v)
		return -ENOENT;
	errno = 0;
	if (v[0] >= '0' && v[0] <= '9') {
		x = strtoul((const char *)v, &end, 0);
		if (!errno && !*end && x <= max) {
			*out = (unsigned int)x;
			ret = 0;
		}
	}
	xmlFree(v);
	return ret;
}

static int parse_pci(struct pctx *p, const xmlNode *dev, struct pz_dom_pci *pci)
{
	const xmlNode *a = child(child(dev, "source"), "address");
	static const struct { const char *name; unsigned int max; } parts[] = {
		{ "domain", 0xffff }, { "bus", 0xff }, { "slot", 0x1f },
		{ "function", 0x7 },
	};
	unsigned int v[4] = { 0 };
	size_t i;

	if (!a)
		return 0;	/* e.g. from a network's pool: known at start only */
	for (i = 0; i < 4; i++) {
		int ret = pci_part(a, parts[i].name, parts[i].max, &v[i]);

		if (ret == -ENOENT && i == 0)
			continue;	/* domain defaults to 0 */
		if (ret < 0)
			return fail(p, -EINVAL, "hostdev: source address: %s %s",
				    ret == -ENOENT ? "no" : "invalid",
				    parts[i].name);
	}
	pci->has_address = true;
	pci->domain = v[0];
	pci->bus = v[1];
	pci->slot = v[2];
	pci->function = v[3];
	return 0;
}

/* <hostdev mode='subsystem' type='pci'> ('subsystem' is the default) */
static bool is_vfio_hostdev(const xmlNode *n)
{
	xmlChar *mode = xmlGetNoNsProp(n, (const xmlChar *)"mode");
	xmlChar *type = xmlGetNoNsProp(n, (const xmlChar *)"type");
	bool yes = (!mode || !strcmp((const char *)mode, "subsystem")) &&
		   type && !strcmp((const char *)type, "pci");

	xmlFree(mode);
	xmlFree(type);
	return yes;
}

/* <interface type='hostdev'>: an SR-IOV VF given to the guest with VFIO */
static bool is_vfio_interface(const xmlNode *n)
{
	xmlChar *type = xmlGetNoNsProp(n, (const xmlChar *)"type");
	bool yes = type && !strcmp((const char *)type, "hostdev");

	xmlFree(type);
	return yes;
}

static int parse_hostdevs(struct pctx *p, const xmlNode *root, struct pz_dom *d)
{
	const xmlNode *devs = child(root, "devices");
	xmlNode *c;
	size_t n = 0;
	int ret;

	if (!devs)
		return 0;
	for (c = devs->children; c; c = c->next) {
		bool vfio;
		struct pz_dom_pci *nd;

		if (c->type != XML_ELEMENT_NODE || c->ns)
			continue;
		if (!strcmp((const char *)c->name, "hostdev"))
			vfio = is_vfio_hostdev(c);
		else if (!strcmp((const char *)c->name, "interface"))
			vfio = is_vfio_interface(c);
		else
			continue;
		if (!vfio)
			continue;
		nd = realloc(d->hostdevs, (n + 1) * sizeof(*nd));
		if (!nd)
			return fail(p, -ENOMEM, "out of memory");
		d->hostdevs = nd;
		memset(&nd[n], 0, sizeof(nd[n]));
		d->nhostdevs = ++n;
		ret = parse_pci(p, c, &nd[n - 1]);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int parse_root(struct pctx *p, const xmlNode *root, struct pz_dom *d)
{
	const xmlNode *name = child(root, "name"), *mem = child(root, "memory");
	const xmlNode *type = child(child(root, "os"), "type");
	bool oom = false;
	char *id;
	size_t i;
	int ret;

	if (!name)
		return fail(p, -EINVAL, "no <name>");
	d->name = text(name, &oom);
	if (oom)
		return fail(p, -ENOMEM, "out of memory");
	if (!d->name[0])
		return fail(p, -EINVAL, "empty <name>");
	/* libvirt refuses these; the name becomes a path component */
	if (strchr(d->name, '/') || strchr(d->name, '\n'))
		return fail(p, -EINVAL, "the name contains '/' or a newline");

	id = attr(root, "id", &oom);
	if (oom)
		return fail(p, -ENOMEM, "out of memory");
	d->id = -1;
	if (id && strcmp(id, "-1")) {
		unsigned long v;

		ret = pz_parse_uint(id, 0, INT_MAX, &v);
		if (ret < 0) {
			fail(p, ret, "domain id='%s' is not a number from 0 to %d",
			     id, INT_MAX);
			free(id);
			return ret;
		}
		d->id = (long long)v;
	}
	free(id);

	if (mem) {
		char *v = text(mem, &oom), *u = attr(mem, "unit", &oom);
		const char *why;

		if (oom) {
			ret = fail(p, -ENOMEM, "out of memory");
		} else {
			ret = pz_dom_scale(v, u, &d->memory_bytes, &why);
			if (ret < 0)
				fail(p, ret, "<memory%s%s%s>%s</memory>: %s",
				     u ? " unit='" : "", u ? u : "", u ? "'" : "",
				     v, why);
		}
		free(v);
		free(u);
		if (ret < 0)
			return ret;
	}

	ret = parse_cells(p, root, d);
	if (!ret)
		ret = parse_numatune(p, root, d);
	if (!ret)
		ret = parse_memory_backing(p, root, d);
	if (!ret)
		ret = parse_hostdevs(p, root, d);
	if (ret < 0)
		return ret;

	if (d->ncells) {
		/* libvirt sizes the guest by its cells when they are given */
		uint64_t sum = 0;

		for (i = 0; i < d->ncells; i++) {
			if (d->cells[i].bytes > MAX_BYTES - sum)
				return fail(p, -ERANGE, "the NUMA cells add up to more than 2^63 bytes");
			sum += d->cells[i].bytes;
		}
		if (!d->memory_bytes)
			d->memory_bytes = sum;
	}
	if (!d->memory_bytes)
		return fail(p, -EINVAL, "no memory size (<memory> or NUMA cells)");

	d->machine = attr(type, "machine", &oom);
	d->arch = attr(type, "arch", &oom);
	if (oom)
		return fail(p, -ENOMEM, "out of memory");
	return 0;
}

/* The parser's data for the hooks below. */
struct guard {
	bool dtd;
	bool error;		/* the first error is kept */
	int line;
	char msg[160];
};

/* libxml2 keeps its last error; the first one says what went wrong */
static void first_error(void *ctx, xmlError *e)
{
	xmlParserCtxt *ctxt = ctx;
	struct guard *g = ctxt->_private;
	size_t n;

	if (g->error || !e || e->level < XML_ERR_ERROR)
		return;
	g->error = true;
	g->line = e->line;
	snprintf(g->msg, sizeof(g->msg), "%s", e->message ? e->message : "");
	n = strlen(g->msg);
	while (n && (g->msg[n - 1] == '\n' || g->msg[n - 1] == ' '))
		g->msg[--n] = '\0';
}

/*
 * Called at "<!DOCTYPE": stop before any entity is declared. A libvirt
 * domain XML never has one, and refusing it closes every entity trick
 * (external entities, expansion bombs) at once.
 */
static void refuse_dtd(void *ctx, const xmlChar *name, const xmlChar *ext,
		       const xmlChar *sys)
{
	xmlParserCtxt *ctxt = ctx;
	struct guard *g = ctxt->_private;

	(void)name;
	(void)ext;
	(void)sys;
	g->dtd = true;
	xmlStopParser(ctxt);
}

void pz_dom_free(struct pz_dom *d)
{
	size_t i;

	if (!d)
		return;
	free(d->name);
	for (i = 0; i < d->ncells; i++)
		free(d->cells[i].cpus);
	free(d->cells);
	free(d->memnodes);
	free(d->pages);
	free(d->hostdevs);
	free(d->machine);
	free(d->arch);
	memset(d, 0, sizeof(*d));
	d->id = -1;
}

int pz_dom_parse(const char *xml, size_t len, struct pz_dom *d,
		 char *err, size_t errlen)
{
	struct pctx p = { .err = err, .errlen = errlen };
	struct guard g = { .dtd = false, .error = false };
	xmlParserCtxt *ctxt;
	xmlDoc *doc;
	xmlNode *root;
	int ret;

	memset(d, 0, sizeof(*d));
	d->id = -1;
	if (err && errlen)
		err[0] = '\0';
	if (len > PZ_DOM_MAX_XML)
		return fail(&p, -EFBIG, "the XML is larger than %u MiB",
			    PZ_DOM_MAX_XML >> 20);
	if (!len)
		return fail(&p, -EINVAL, "no XML (empty input)");

	ctxt = xmlNewParserCtxt();
	if (!ctxt)
		return fail(&p, -ENOMEM, "out of memory");
	ctxt->_private = &g;
	ctxt->sax->internalSubset = refuse_dtd;
	ctxt->sax->serror = first_error;
	/*
	 * No XML_PARSE_NOENT (entities stay unexpanded), no DTDLOAD, NONET:
	 * nothing is fetched. NOERROR/NOWARNING: errors are kept in the
	 * context for the message below instead of printed.
	 */
	doc = xmlCtxtReadMemory(ctxt, xml, (int)len, "domain.xml", NULL,
				XML_PARSE_NONET | XML_PARSE_NOERROR |
				XML_PARSE_NOWARNING);
	if (g.dtd) {
		ret = fail(&p, -EINVAL, "the XML has a DOCTYPE (libvirt never sends one): refused");
	} else if (!doc) {
		ret = fail(&p, -EINVAL, "not well-formed XML (line %d): %s",
			   g.error ? g.line : 0, g.msg[0] ? g.msg : "parse error");
	} else {
		root = xmlDocGetRootElement(doc);
		if (!root || root->ns || strcmp((const char *)root->name, "domain"))
			ret = fail(&p, -EINVAL, "the root element is <%s>, not <domain>",
				   root ? (const char *)root->name : "");
		else
			ret = parse_root(&p, root, d);
	}
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctxt);
	if (ret < 0)
		pz_dom_free(d);
	return ret;
}

/* ---- libvirt's rules -------------------------------------------------- */

bool pz_dom_populated_at_start(const struct pz_dom *d)
{
	return d->nhostdevs > 0 || d->alloc == PZ_DOM_ALLOC_IMMEDIATE ||
	       d->locked;
}

size_t pz_dom_ram_count(const struct pz_dom *d)
{
	return d->ncells ? d->ncells : 1;
}

/* qemuBuildMemoryGetPagesize(): the huge page size of a region, 0 = the
 * default; false when the region has no huge pages. */
static bool ram_pagesize(const struct pz_dom *d, int cell,
			 uint64_t sys_page_bytes, uint64_t *page_bytes)
{
	const struct pz_dom_page *master = NULL, *hp = NULL;
	size_t i;

	*page_bytes = 0;
	if (!d->hugepages)
		return false;
	if (!d->npages)
		return true;	/* <hugepages/> alone: the default size */
	for (i = 0; i < d->npages; i++) {
		if (!d->pages[i].has_cells) {
			master = &d->pages[i];
			continue;
		}
		if (cell < 0)
			continue;
		if (pz_nodeset_has(&d->pages[i].cells, (unsigned int)cell)) {
			hp = &d->pages[i];
			break;
		}
	}
	if (!hp)
		hp = master;
	if (!hp)
		return false;
	/* a "huge" page of the base size means no huge pages */
	if (hp->bytes == sys_page_bytes)
		return false;
	*page_bytes = hp->bytes;
	return true;
}

void pz_dom_ram(const struct pz_dom *d, size_t i, uint64_t sys_page_bytes,
		struct pz_dom_ram *r)
{
	size_t j;

	memset(r, 0, sizeof(*r));
	r->cell = -1;
	r->bytes = d->memory_bytes;
	r->access = d->access;
	if (d->ncells && i < d->ncells) {
		r->cell = (int)d->cells[i].id;
		r->bytes = d->cells[i].bytes;
		if (d->cells[i].access != PZ_DOM_ACCESS_DEFAULT)
			r->access = d->cells[i].access;
		for (j = 0; j < d->nmemnodes; j++)
			if (d->memnodes[j].cellid == d->cells[i].id)
				r->numa = &d->memnodes[j];
	}
	if (!r->numa && d->numa_memory.set)
		r->numa = &d->numa_memory;
	r->hugetlb = ram_pagesize(d, r->cell, sys_page_bytes, &r->page_bytes);
	if (d->source == PZ_DOM_SOURCE_MEMFD)
		r->backing = PZ_DOM_BACKING_MEMFD;
	else if (r->hugetlb)
		r->backing = PZ_DOM_BACKING_HUGETLB;
	else if (r->access != PZ_DOM_ACCESS_DEFAULT ||
		 d->source == PZ_DOM_SOURCE_FILE)
		r->backing = PZ_DOM_BACKING_FILE;
	else
		r->backing = PZ_DOM_BACKING_RAM;
	if (!r->hugetlb)
		r->page_bytes = 0;
}

static bool prefixed(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

const char *pz_dom_default_ram_id(const struct pz_dom *d, const char *host_arch,
				  const char **why)
{
	const char *arch = d->arch ? d->arch : host_arch;
	const char *m = d->machine;

	*why = NULL;
	if (!m || !*m) {
		*why = "the domain XML names no machine type";
		return NULL;
	}
	if (!arch)
		arch = "";
	/* QEMU's MachineClass default_ram_id, as query-machines reports it */
	if (!strcmp(arch, "x86_64") || !strcmp(arch, "i686")) {
		if (!strcmp(m, "pc") || prefixed(m, "pc-") ||
		    !strcmp(m, "q35") || !strcmp(m, "isapc"))
			return "pc.ram";
		if (!strcmp(m, "microvm"))
			return "microvm.ram";
	} else if (!strcmp(arch, "aarch64") || !strcmp(arch, "armv7l")) {
		if (!strcmp(m, "virt") || prefixed(m, "virt-"))
			return "mach-virt.ram";
	} else if (!strcmp(arch, "s390x")) {
		if (prefixed(m, "s390-ccw-virtio"))
			return "s390.ram";
	} else if (!strcmp(arch, "ppc64") || !strcmp(arch, "ppc64le")) {
		if (prefixed(m, "pseries"))
			return "ppc_spapr.ram";
	}
	*why = "unknown default RAM id for this machine type and architecture";
	return NULL;
}

/* virDomainDefGetShortName() in a UTF-8 locale; *out is malloc'ed, NULL
 * when the name has no multibyte characters or is not valid UTF-8 (then
 * libvirt cuts bytes). */
static int utf8_short(const char *name, char **out)
{
	wchar_t w[PZ_DOM_SHORT_NAME_MAX + 1] = { 0 };
	locale_t loc, old;
	size_t n;
	int ret = 0;

	*out = NULL;
	loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	if (!loc)
		return -ENOTSUP;
	old = uselocale(loc);
	n = mbstowcs(NULL, name, 0);
	if (n != (size_t)-1 && n != strlen(name) &&
	    mbstowcs(w, name, PZ_DOM_SHORT_NAME_MAX) != (size_t)-1) {
		n = wcstombs(NULL, w, 0);
		if (n != (size_t)-1) {
			*out = calloc(1, n + 1);
			if (!*out)
				ret = -ENOMEM;
			else if (wcstombs(*out, w, n + 1) == (size_t)-1)
				ret = -EILSEQ;
		}
	}
	uselocale(old);
	freelocale(loc);
	if (ret < 0) {
		free(*out);
		*out = NULL;
	}
	return ret;
}

int pz_dom_short_name(long long id, const char *name,
		      enum pz_dom_name_rule rule, char *buf, size_t len)
{
	char *u = NULL;
	int r, ret;

	if (id < 0 || id > INT_MAX || !name)
		return -EINVAL;
	if (rule == PZ_DOM_NAME_UTF8) {
		ret = utf8_short(name, &u);
		if (ret < 0)
			return ret;
	}
	if (u)
		r = snprintf(buf, len, "%lld-%s", id, u);
	else
		r = snprintf(buf, len, "%lld-%.*s", id, PZ_DOM_SHORT_NAME_MAX, name);
	free(u);
	if (r < 0 || (size_t)r >= len)
		return -ENAMETOOLONG;
	return 0;
}
