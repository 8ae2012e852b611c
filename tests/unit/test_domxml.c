// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/*
 * The libvirt domain XML parser of prezero-hook (client/domxml.c): every
 * file of unit/data/domains with the values it must yield, libvirt's size
 * units and node sets, the RAM regions as libvirt 9.0 backs them, the
 * default RAM ids and the per-domain short names.
 */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domxml.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define KiB (UINT64_C(1) << 10)
#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)
#define SYS_PAGE 4096
#define DATA PZ_TEST_DATA "/domains/"

static char *slurp(const char *file, size_t *len)
{
	char path[512];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), DATA "%s", file);
	f = fopen(path, "rb");
	ck_assert_msg(f, "cannot open %s", path);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	ck_assert_int_ge(n, 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* ---- the data set: what each file must yield -------------------------- */

#define MAXR 3

struct want_ram {
	int cell;
	uint64_t bytes;
	enum pz_dom_backing backing;
	bool hugetlb;
	uint64_t page_bytes;
	enum pz_dom_access access;
	const char *nodes;		/* the binding; "" none */
};

static const struct want {
	const char *file;
	const char *name;
	long long id;
	uint64_t memory;
	size_t ncells;
	const char *cpus[MAXR];		/* per cell, NULL: none */
	enum pz_dom_source source;
	enum pz_dom_access access;
	enum pz_dom_alloc alloc;
	unsigned int threads;
	bool locked, hugepages;
	size_t npages;
	const char *numa_memory;	/* NULL: no <numatune><memory> */
	size_t nmemnodes;
	const char *hostdevs;		/* "dddd:bb:ss.f ..." */
	const char *machine, *arch;
	bool populated;
	size_t nram;
	struct want_ram ram[MAXR];
} wants[] = {
	{ "file-vfio.xml", "vm-file", 7, 4 * GiB, 0, { NULL },
	  PZ_DOM_SOURCE_FILE, PZ_DOM_ACCESS_SHARED, PZ_DOM_ALLOC_DEFAULT, 0,
	  false, false, 0, NULL, 0, "0000:06:02.0", "pc-q35-7.2", "x86_64", true,
	  1, { { -1, 4 * GiB, PZ_DOM_BACKING_FILE, false, 0, PZ_DOM_ACCESS_SHARED, "" } } },
	{ "file-numa-memnode.xml", "numa-file", 12, 6 * GiB, 2, { "0-1", "2-3" },
	  PZ_DOM_SOURCE_FILE, PZ_DOM_ACCESS_SHARED, PZ_DOM_ALLOC_IMMEDIATE, 4,
	  false, false, 0, "0-1", 2, "", "pc-i440fx-7.2", "x86_64", true,
	  2, { { 0, 4 * GiB, PZ_DOM_BACKING_FILE, false, 0, PZ_DOM_ACCESS_SHARED, "1" },
	       { 1, 2 * GiB, PZ_DOM_BACKING_FILE, false, 0, PZ_DOM_ACCESS_SHARED, "0" } } },
	{ "file-numa-any.xml", "numa-any", 3, 3 * GiB, 2, { "0", "1" },
	  PZ_DOM_SOURCE_FILE, PZ_DOM_ACCESS_DEFAULT, PZ_DOM_ALLOC_DEFAULT, 0,
	  true, false, 0, NULL, 0, "", "pc-q35-7.2", "x86_64", true,
	  2, { { 0, 1 * GiB, PZ_DOM_BACKING_FILE, false, 0, PZ_DOM_ACCESS_SHARED, "" },
	       { 1, 2 * GiB, PZ_DOM_BACKING_FILE, false, 0, PZ_DOM_ACCESS_PRIVATE, "" } } },
	{ "file-multinode.xml", "spread", 5, 8 * GiB, 0, { NULL },
	  PZ_DOM_SOURCE_FILE, PZ_DOM_ACCESS_SHARED, PZ_DOM_ALLOC_DEFAULT, 0,
	  false, false, 0, "0,2", 0, "0000:3b:10.1", "q35", "x86_64", true,
	  1, { { -1, 8 * GiB, PZ_DOM_BACKING_FILE, false, 0, PZ_DOM_ACCESS_SHARED, "0,2" } } },
	{ "file-noid.xml", "stopped", -1, 1 * GiB, 0, { NULL },
	  PZ_DOM_SOURCE_FILE, PZ_DOM_ACCESS_SHARED, PZ_DOM_ALLOC_DEFAULT, 0,
	  false, false, 0, NULL, 0, "0000:01:00.0", "pc-q35-7.2", "x86_64", true,
	  1, { { -1, 1 * GiB, PZ_DOM_BACKING_FILE, false, 0, PZ_DOM_ACCESS_SHARED, "" } } },
	{ "hugepages-2m.xml", "huge2m", 21, 8 * GiB, 0, { NULL },
	  PZ_DOM_SOURCE_DEFAULT, PZ_DOM_ACCESS_DEFAULT, PZ_DOM_ALLOC_DEFAULT, 0,
	  false, true, 1, "0", 0, "0000:06:00.0", "pc-q35-7.2", "x86_64", true,
	  1, { { -1, 8 * GiB, PZ_DOM_BACKING_HUGETLB, true, 2 * MiB, PZ_DOM_ACCESS_DEFAULT, "0" } } },
	{ "hugepages-1g.xml", "huge1g", 22, 6 * GiB, 3, { "0", "1", "2" },
	  PZ_DOM_SOURCE_FILE, PZ_DOM_ACCESS_DEFAULT, PZ_DOM_ALLOC_DEFAULT, 0,
	  false, true, 2, NULL, 3, "", "pc-q35-7.2", "x86_64", false,
	  3, { { 0, 2 * GiB, PZ_DOM_BACKING_HUGETLB, true, GiB, PZ_DOM_ACCESS_DEFAULT, "0" },
	       { 1, 3 * GiB, PZ_DOM_BACKING_HUGETLB, true, GiB, PZ_DOM_ACCESS_DEFAULT, "1" },
	       /* a "huge" page of the base size: no huge pages, the file */
	       { 2, 1 * GiB, PZ_DOM_BACKING_FILE, false, 0, PZ_DOM_ACCESS_DEFAULT, "1" } } },
	{ "hugepages-default.xml", "huge-default", 23, 2 * GiB, 0, { NULL },
	  PZ_DOM_SOURCE_DEFAULT, PZ_DOM_ACCESS_DEFAULT, PZ_DOM_ALLOC_DEFAULT, 0,
	  false, true, 0, NULL, 0, "", "pc-q35-7.2", "x86_64", false,
	  1, { { -1, 2 * GiB, PZ_DOM_BACKING_HUGETLB, true, 0, PZ_DOM_ACCESS_DEFAULT, "" } } },
	{ "anon-vfio.xml", "anon-gpu", 30, 16 * GiB, 0, { NULL },
	  PZ_DOM_SOURCE_ANONYMOUS, PZ_DOM_ACCESS_DEFAULT, PZ_DOM_ALLOC_DEFAULT, 0,
	  false, false, 0, NULL, 0, "0000:65:00.0 0001:65:00.1", "pc-q35-7.2", "x86_64", true,
	  1, { { -1, 16 * GiB, PZ_DOM_BACKING_RAM, false, 0, PZ_DOM_ACCESS_DEFAULT, "" } } },
	/* 3221225473 bytes: libvirt keeps KiB, rounded up */
	{ "anon-split.xml", "anon-split", 31, 3221226496, 0, { NULL },
	  PZ_DOM_SOURCE_DEFAULT, PZ_DOM_ACCESS_DEFAULT, PZ_DOM_ALLOC_IMMEDIATE, 0,
	  false, false, 0, "0-2", 0, "", "pc-q35-7.2", "x86_64", true,
	  1, { { -1, 3221226496, PZ_DOM_BACKING_RAM, false, 0, PZ_DOM_ACCESS_DEFAULT, "0-2" } } },
	{ "anon-plain.xml", "plain", 32, 2 * GiB, 0, { NULL },
	  PZ_DOM_SOURCE_DEFAULT, PZ_DOM_ACCESS_DEFAULT, PZ_DOM_ALLOC_DEFAULT, 0,
	  false, false, 0, NULL, 0, "", "pc-q35-7.2", "x86_64", false,
	  1, { { -1, 2 * GiB, PZ_DOM_BACKING_RAM, false, 0, PZ_DOM_ACCESS_DEFAULT, "" } } },
	/* 1000000 KB = 10^9 bytes = 976562.5 KiB, rounded up */
	{ "memfd-locked.xml", "memfd", 33, 976563 * KiB, 0, { NULL },
	  PZ_DOM_SOURCE_MEMFD, PZ_DOM_ACCESS_SHARED, PZ_DOM_ALLOC_DEFAULT, 0,
	  true, false, 0, NULL, 0, "", "pc-q35-7.2", "x86_64", true,
	  1, { { -1, 976563 * KiB, PZ_DOM_BACKING_MEMFD, false, 0, PZ_DOM_ACCESS_SHARED, "" } } },
	{ "aarch64-virt.xml", "arm", 40, 2 * GiB, 0, { NULL },
	  PZ_DOM_SOURCE_FILE, PZ_DOM_ACCESS_SHARED, PZ_DOM_ALLOC_IMMEDIATE, 0,
	  false, false, 0, NULL, 0, "", "virt-7.2", "aarch64", true,
	  1, { { -1, 2 * GiB, PZ_DOM_BACKING_FILE, false, 0, PZ_DOM_ACCESS_SHARED, "" } } },
	{ "unknown-machine.xml", "xenfv", 41, 2 * GiB, 0, { NULL },
	  PZ_DOM_SOURCE_FILE, PZ_DOM_ACCESS_SHARED, PZ_DOM_ALLOC_IMMEDIATE, 0,
	  false, false, 0, NULL, 0, "", "xenfv", "x86_64", true,
	  1, { { -1, 2 * GiB, PZ_DOM_BACKING_FILE, false, 0, PZ_DOM_ACCESS_SHARED, "" } } },
	{ "long-name.xml", "a-very-long-domain-name-for-testing-truncation", 1234,
	  1 * GiB, 0, { NULL },
	  PZ_DOM_SOURCE_FILE, PZ_DOM_ACCESS_SHARED, PZ_DOM_ALLOC_DEFAULT, 0,
	  true, false, 0, NULL, 0, "", "pc-q35-7.2", "x86_64", true,
	  1, { { -1, 1 * GiB, PZ_DOM_BACKING_FILE, false, 0, PZ_DOM_ACCESS_SHARED, "" } } },
	{ "multibyte-name.xml",
	  "donn\xc3\xa9" "es-\xc3\xbcn\xc3\xaf" "c\xc3\xb6" "d\xc3\xa9-machine-virtuelle-"
	  "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 9, 1 * GiB, 0, { NULL },
	  PZ_DOM_SOURCE_FILE, PZ_DOM_ACCESS_SHARED, PZ_DOM_ALLOC_DEFAULT, 0,
	  true, false, 0, NULL, 0, "", "pc-q35-7.2", "x86_64", true,
	  1, { { -1, 1 * GiB, PZ_DOM_BACKING_FILE, false, 0, PZ_DOM_ACCESS_SHARED, "" } } },
	/* predefined entities, character references, CDATA; namespaced
	 * metadata is not libvirt's */
	{ "entities.xml", "a&bA", 2, 1 * GiB, 0, { NULL },
	  PZ_DOM_SOURCE_DEFAULT, PZ_DOM_ACCESS_DEFAULT, PZ_DOM_ALLOC_DEFAULT, 0,
	  false, false, 0, NULL, 0, "", "pc-q35-7.2", "x86_64", false,
	  1, { { -1, 1 * GiB, PZ_DOM_BACKING_RAM, false, 0, PZ_DOM_ACCESS_DEFAULT, "" } } },
};

static void hostdev_list(const struct pz_dom *d, char *buf, size_t len)
{
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < d->nhostdevs && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%04x:%02x:%02x.%x",
					i ? " " : "", d->hostdevs[i].domain,
					d->hostdevs[i].bus, d->hostdevs[i].slot,
					d->hostdevs[i].function);
}

START_TEST(data_good)
{
	const struct want *w = &wants[_i];
	char err[256], buf[256];
	struct pz_dom d;
	size_t len, i;
	char *xml = slurp(w->file, &len);
	int ret;

	ret = pz_dom_parse(xml, len, &d, err, sizeof(err));
	ck_assert_msg(ret == 0, "%s: %d: %s", w->file, ret, err);
	free(xml);
	ck_assert_str_eq(d.name, w->name);
	ck_assert_int_eq(d.id, w->id);
	ck_assert_uint_eq(d.memory_bytes, w->memory);
	ck_assert_uint_eq(d.ncells, w->ncells);
	for (i = 0; i < d.ncells; i++) {
		ck_assert_uint_eq(d.cells[i].id, i);
		if (w->cpus[i])
			ck_assert_str_eq(d.cells[i].cpus, w->cpus[i]);
		else
			ck_assert_ptr_null(d.cells[i].cpus);
	}
	ck_assert_int_eq(d.source, w->source);
	ck_assert_int_eq(d.access, w->access);
	ck_assert_int_eq(d.alloc, w->alloc);
	ck_assert_uint_eq(d.alloc_threads, w->threads);
	ck_assert_int_eq(d.locked, w->locked);
	ck_assert_int_eq(d.hugepages, w->hugepages);
	ck_assert_uint_eq(d.npages, w->npages);
	ck_assert_int_eq(d.numa_memory.set, w->numa_memory != NULL);
	if (w->numa_memory) {
		ck_assert(d.numa_memory.has_nodes);
		ck_assert_str_eq(pz_nodeset_format(&d.numa_memory.nodes, buf,
						   sizeof(buf)), w->numa_memory);
	}
	ck_assert_uint_eq(d.nmemnodes, w->nmemnodes);
	hostdev_list(&d, buf, sizeof(buf));
	ck_assert_str_eq(buf, w->hostdevs);
	ck_assert_str_eq(d.machine, w->machine);
	ck_assert_str_eq(d.arch, w->arch);
	ck_assert_int_eq(pz_dom_populated_at_start(&d), w->populated);

	ck_assert_uint_eq(pz_dom_ram_count(&d), w->nram);
	for (i = 0; i < w->nram; i++) {
		const struct want_ram *wr = &w->ram[i];
		struct pz_dom_ram r;

		pz_dom_ram(&d, i, SYS_PAGE, &r);
		ck_assert_int_eq(r.cell, wr->cell);
		ck_assert_uint_eq(r.bytes, wr->bytes);
		ck_assert_msg(r.backing == wr->backing, "%s region %zu: backing %d, want %d",
			      w->file, i, r.backing, wr->backing);
		ck_assert_int_eq(r.hugetlb, wr->hugetlb);
		ck_assert_uint_eq(r.page_bytes, wr->page_bytes);
		ck_assert_int_eq(r.access, wr->access);
		if (*wr->nodes) {
			ck_assert_ptr_nonnull(r.numa);
			ck_assert(r.numa->has_nodes);
			ck_assert_str_eq(pz_nodeset_format(&r.numa->nodes, buf,
							   sizeof(buf)), wr->nodes);
		} else {
			ck_assert(!r.numa || !r.numa->has_nodes);
		}
	}
	pz_dom_free(&d);
}
END_TEST

static const struct {
	const char *file;
	int ret;
	const char *why;	/* part of the reason */
} bads[] = {
	{ "bad-malformed.xml", -EINVAL, "not well-formed XML (line 6)" },
	{ "bad-xxe.xml", -EINVAL, "DOCTYPE" },
	{ "bad-laughs.xml", -EINVAL, "DOCTYPE" },
	{ "bad-huge.xml", -ERANGE, "too large" },
	{ "bad-overflow.xml", -ERANGE, "too large" },
	{ "bad-negative.xml", -EINVAL, "negative" },
	{ "bad-unit.xml", -EINVAL, "unknown unit" },
	{ "bad-cell-unit.xml", -EINVAL, "NUMA cell 0: memory='1' unit='GiBi': unknown unit" },
	{ "bad-cell-ids.xml", -EINVAL, "NUMA cell id 0 given twice" },
	{ "bad-nodeset.xml", -ERANGE, "nodeset='0-300': id above 255" },
	{ "bad-root.xml", -EINVAL, "the root element is <network>" },
	{ "bad-noname.xml", -EINVAL, "no <name>" },
	{ "bad-nomemory.xml", -EINVAL, "no memory size" },
	{ "bad-id.xml", -EINVAL, "id='12x'" },
};

START_TEST(data_bad)
{
	char err[256] = "unchanged";
	struct pz_dom d;
	size_t len;
	char *xml = slurp(bads[_i].file, &len);
	int ret;

	ret = pz_dom_parse(xml, len, &d, err, sizeof(err));
	free(xml);
	ck_assert_msg(ret == bads[_i].ret, "%s: %d (%s), want %d", bads[_i].file,
		      ret, err, bads[_i].ret);
	ck_assert_msg(strstr(err, bads[_i].why), "%s: reason \"%s\" lacks \"%s\"",
		      bads[_i].file, err, bads[_i].why);
	/* nothing is left behind */
	ck_assert_ptr_null(d.name);
	ck_assert_ptr_null(d.cells);
	ck_assert_uint_eq(d.nhostdevs, 0);
	pz_dom_free(&d);
}
END_TEST

/* Invalid values that no file above has: each is refused with a reason. */
#define DOM(x) "<domain id='1'><name>n</name><memory>1024</memory>" x "</domain>"
static const struct {
	const char *xml, *why;
} bad_values[] = {
	{ DOM("<memoryBacking><source type='disk'/></memoryBacking>"),
	  "unknown source type 'disk'" },
	{ DOM("<memoryBacking><access mode='public'/></memoryBacking>"),
	  "memoryBacking access: unknown mode 'public'" },
	{ DOM("<memoryBacking><allocation mode='lazy'/></memoryBacking>"),
	  "unknown allocation mode 'lazy'" },
	{ DOM("<memoryBacking><allocation threads='-2'/></memoryBacking>"),
	  "threads='-2' is not a number" },
	{ DOM("<memoryBacking><hugepages><page size='0'/></hugepages></memoryBacking>"),
	  "hugepages page: size 0" },
	{ DOM("<memoryBacking><hugepages><page unit='G'/></hugepages></memoryBacking>"),
	  "hugepages page: no size" },
	{ DOM("<memoryBacking><hugepages><page size='1' unit='G' nodeset=''/></hugepages></memoryBacking>"),
	  "nodeset='': empty" },
	{ DOM("<numatune><memory mode='loose' nodeset='0'/></numatune>"),
	  "numatune memory: unknown mode 'loose'" },
	{ DOM("<numatune><memory placement='dynamic'/></numatune>"),
	  "unknown placement 'dynamic'" },
	{ DOM("<cpu><numa><cell memory='1'/></numa></cpu>"
	      "<numatune><memnode cellid='1' nodeset='0'/></numatune>"),
	  "cellid 1: no such NUMA cell" },
	{ DOM("<cpu><numa><cell memory='1'/></numa></cpu>"
	      "<numatune><memnode cellid='0'/></numatune>"),
	  "numatune memnode 0: no nodeset" },
	{ DOM("<cpu><numa><cell memory='1'/></numa></cpu>"
	      "<numatune><memnode nodeset='0'/></numatune>"),
	  "numatune memnode: no cellid" },
	{ DOM("<cpu><numa><cell memory='1' memAccess='rw'/></numa></cpu>"),
	  "NUMA cell 0: unknown memAccess 'rw'" },
	{ DOM("<cpu><numa><cell id='2' memory='1'/></numa></cpu>"),
	  "NUMA cell id 2: ids must run from 0 to 0" },
	{ DOM("<cpu><numa><cell id='0'/></numa></cpu>"), "NUMA cell 0: no memory" },
	{ DOM("<devices><hostdev mode='subsystem' type='pci'><source>"
	      "<address domain='0x0000' bus='0x100' slot='0' function='0'/>"
	      "</source></hostdev></devices>"), "source address: invalid bus" },
	{ DOM("<devices><hostdev type='pci'><source>"
	      "<address bus='1' slot='0'/></source></hostdev></devices>"),
	  "source address: no function" },
	{ "<domain id='1'><name>a/b</name><memory>1</memory></domain>", "contains '/'" },
	{ "<domain id='1'><name></name><memory>1</memory></domain>", "empty <name>" },
	{ "<domain id='-2'><name>x</name><memory>1</memory></domain>", "id='-2'" },
	{ "<domain id='2147483648'><name>x</name><memory>1</memory></domain>", "id='2147483648'" },
	{ "<x:domain xmlns:x='urn:x'><name>x</name></x:domain>", "not <domain>" },
	{ "<domain><name>x</name><memory>1</memory></domain>trailing", "not well-formed" },
	{ "\xff\xfe<domain/>", "not well-formed" },
	{ "<?xml version='1.0'?><!DOCTYPE domain SYSTEM 'http://example.org/d.dtd'><domain/>",
	  "DOCTYPE" },
};

START_TEST(bad_value)
{
	char err[256] = "";
	struct pz_dom d;
	int ret = pz_dom_parse(bad_values[_i].xml, strlen(bad_values[_i].xml), &d,
			       err, sizeof(err));

	ck_assert_msg(ret < 0, "case %d: parsed", _i);
	ck_assert_msg(strstr(err, bad_values[_i].why), "case %d: \"%s\" lacks \"%s\"",
		      _i, err, bad_values[_i].why);
	ck_assert_ptr_null(d.name);
}
END_TEST

/* What a running domain may carry besides: all of it is accepted. */
START_TEST(good_values)
{
	const char *xml = DOM("<memoryBacking><hugepages/><nosharepages/><discard/>"
			      "<allocation mode='ondemand'/></memoryBacking>"
			      "<numatune><memory mode='restrictive' nodeset='1'/></numatune>"
			      "<devices><hostdev mode='subsystem' type='pci'><source>"
			      "<address bus='5' slot='0x1f' function='7'/></source></hostdev>"
			      "<interface type='hostdev'/>"
			      "<hostdev mode='subsystem' type='mdev'/></devices>");
	char err[256];
	struct pz_dom d;

	ck_assert_msg(!pz_dom_parse(xml, strlen(xml), &d, err, sizeof(err)), "%s", err);
	ck_assert_int_eq(d.alloc, PZ_DOM_ALLOC_ONDEMAND);
	ck_assert_int_eq(d.numa_memory.mode, PZ_DOM_NUMA_RESTRICTIVE);
	ck_assert(d.hugepages);
	ck_assert_uint_eq(d.nhostdevs, 2);	/* not the mdev */
	ck_assert(d.hostdevs[0].has_address);
	ck_assert_uint_eq(d.hostdevs[0].domain, 0);
	ck_assert_uint_eq(d.hostdevs[0].bus, 5);
	ck_assert_uint_eq(d.hostdevs[0].slot, 0x1f);
	ck_assert_uint_eq(d.hostdevs[0].function, 7);
	ck_assert(!d.hostdevs[1].has_address);	/* from a network's pool */
	ck_assert(pz_dom_populated_at_start(&d));
	pz_dom_free(&d);
}
END_TEST

/* Every cut of a valid document is refused, cleanly. */
START_TEST(truncated)
{
	char err[256];
	struct pz_dom d;
	size_t len, cut, end;
	char *xml = slurp("file-numa-memnode.xml", &len);

	end = (size_t)(strstr(xml, "</domain>") - xml) + strlen("</domain>");
	for (cut = 0; cut < end; cut++) {
		int ret = pz_dom_parse(xml, cut, &d, err, sizeof(err));

		ck_assert_msg(ret == -EINVAL, "cut at %zu: %d", cut, ret);
		ck_assert_ptr_null(d.name);
	}
	ck_assert_int_eq(pz_dom_parse(xml, end, &d, err, sizeof(err)), 0);
	pz_dom_free(&d);
	free(xml);
}
END_TEST

START_TEST(size_limit)
{
	const char head[] = "<domain id='1'><name>x</name><memory>1</memory>";
	const char tail[] = "</domain>";
	/* padding in comments of 64 bytes: libxml2 limits one text to 10 MB */
	const char pad[] = "<!--xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx-->\n";
	size_t len = PZ_DOM_MAX_XML + 1, off;
	char *xml = malloc(len), err[128];
	struct pz_dom d;

	ck_assert_ptr_nonnull(xml);
	ck_assert_uint_eq(strlen(pad), 64);
	memset(xml, ' ', len);
	memcpy(xml, head, strlen(head));
	for (off = strlen(head); off + 64 + strlen(tail) < len - 1; off += 64)
		memcpy(xml + off, pad, 64);
	memcpy(xml + len - strlen(tail), tail, strlen(tail));
	ck_assert_int_eq(pz_dom_parse(xml, len, &d, err, sizeof(err)), -EFBIG);
	ck_assert_ptr_nonnull(strstr(err, "16 MiB"));
	ck_assert_ptr_null(d.name);
	/* one byte less is parsed */
	memmove(xml + len - 1 - strlen(tail), tail, strlen(tail));
	ck_assert_msg(!pz_dom_parse(xml, len - 1, &d, err, sizeof(err)), "%s", err);
	ck_assert_uint_eq(d.memory_bytes, KiB);
	pz_dom_free(&d);
	ck_assert_int_eq(pz_dom_parse(xml, 0, &d, err, sizeof(err)), -EINVAL);
	free(xml);
}
END_TEST

/* ---- sizes ------------------------------------------------------------ */

static const struct {
	const char *v, *unit;
	int ret;
	uint64_t bytes;
} scales[] = {
	{ "1048576", NULL, 0, GiB },
	{ "1048576", "", 0, GiB },
	{ "1048576", "KiB", 0, GiB },
	{ "1048576", "k", 0, GiB },
	{ "1048576", "K", 0, GiB },
	{ "1024", "MiB", 0, GiB },
	{ "1024", "M", 0, GiB },
	{ "1024", "mib", 0, GiB },
	{ "1", "GiB", 0, GiB },
	{ "1", "g", 0, GiB },
	{ "1", "TiB", 0, UINT64_C(1) << 40 },
	{ "1", "PiB", 0, UINT64_C(1) << 50 },
	{ "7", "EiB", 0, UINT64_C(7) << 60 },
	{ "1000", "KB", 0, 977 * KiB },	/* 1000000 B = 976.5625 KiB, up */
	{ "1", "MB", 0, 977 * KiB },
	{ "1", "GB", 0, 976563 * KiB },
	{ "1", "kb", 0, KiB },
	{ "1", "b", 0, KiB },
	{ "1024", "bytes", 0, KiB },
	{ "1025", "byte", 0, 2 * KiB },
	{ "0", NULL, 0, 0 },
	{ " 42\n", "KiB", 0, 42 * KiB },
	{ "007", "MiB", 0, 7 * MiB },
	{ "-1", NULL, -EINVAL, 0 },
	{ "+1", NULL, -EINVAL, 0 },
	{ "", NULL, -EINVAL, 0 },
	{ "  ", NULL, -EINVAL, 0 },
	{ "1.5", "GiB", -EINVAL, 0 },
	{ "0x10", NULL, -EINVAL, 0 },
	{ "1 2", NULL, -EINVAL, 0 },
	{ "1", "XB", -EINVAL, 0 },
	{ "1", "Gi", -EINVAL, 0 },
	{ "1", "GiBB", -EINVAL, 0 },
	{ "1", "KBB", -EINVAL, 0 },
	{ "1", "kibi", -EINVAL, 0 },
	{ "8", "EiB", -ERANGE, 0 },		/* 2^63: libvirt's bound */
	{ "9007199254740992", "KiB", -ERANGE, 0 },	/* 2^53 KiB = 2^63 B */
	{ "9007199254740991", "KiB", 0, UINT64_C(9007199254740991) * KiB },
	{ "18446744073709551616", "b", -ERANGE, 0 },	/* 2^64 */
	{ "1180591620717411303424", "KiB", -ERANGE, 0 },	/* 2^70 */
	{ "99999999999999999999999999999999999999", NULL, -ERANGE, 0 },
	{ "9999999999999999999999999999999999999x", NULL, -EINVAL, 0 },
};

START_TEST(scale)
{
	uint64_t b = 12345;
	const char *why = NULL;
	int ret = pz_dom_scale(scales[_i].v, scales[_i].unit, &b, &why);

	ck_assert_msg(ret == scales[_i].ret, "\"%s\" \"%s\": %d (%s), want %d",
		      scales[_i].v, scales[_i].unit ? scales[_i].unit : "(null)",
		      ret, why ? why : "", scales[_i].ret);
	if (ret == 0) {
		ck_assert_uint_eq(b, scales[_i].bytes);
		ck_assert_ptr_null(why);
	} else {
		ck_assert_uint_eq(b, 12345);	/* unchanged */
		ck_assert_ptr_nonnull(why);
	}
}
END_TEST

/* ---- node sets -------------------------------------------------------- */

static const struct {
	const char *s;
	int ret;
	const char *fmt;
	unsigned int weight;
} nodesets[] = {
	{ "0", 0, "0", 1 },
	{ "1", 0, "1", 1 },
	{ "0-3", 0, "0-3", 4 },
	{ "0-3,^2", 0, "0-1,3", 3 },
	{ "0,2-3,^3", 0, "0,2", 2 },
	{ " 1 , 3 - 4 ", 0, "1,3-4", 3 },
	{ "5,1", 0, "1,5", 2 },
	{ "0-255", 0, "0-255", 256 },
	{ "255", 0, "255", 1 },
	{ "63,64,127-128", 0, "63-64,127-128", 4 },
	{ "256", -ERANGE, NULL, 0 },
	{ "0-300", -ERANGE, NULL, 0 },
	{ "99999999999999999999", -ERANGE, NULL, 0 },
	{ "", -EINVAL, NULL, 0 },
	{ "^0", -EINVAL, NULL, 0 },
	{ "0,^0", -EINVAL, NULL, 0 },
	{ "3-1", -EINVAL, NULL, 0 },
	{ "^1-2", -EINVAL, NULL, 0 },
	{ "1,", -EINVAL, NULL, 0 },
	{ ",1", -EINVAL, NULL, 0 },
	{ "1;2", -EINVAL, NULL, 0 },
	{ "a", -EINVAL, NULL, 0 },
	{ "-1", -EINVAL, NULL, 0 },
	{ "1-", -EINVAL, NULL, 0 },
};

START_TEST(nodeset)
{
	struct pz_nodeset ns;
	const char *why = NULL;
	char buf[128];
	int ret;

	memset(&ns, 0xaa, sizeof(ns));
	ret = pz_nodeset_parse(nodesets[_i].s, &ns, &why);
	ck_assert_msg(ret == nodesets[_i].ret, "\"%s\": %d (%s)", nodesets[_i].s,
		      ret, why ? why : "");
	if (ret)
		return;
	ck_assert_str_eq(pz_nodeset_format(&ns, buf, sizeof(buf)), nodesets[_i].fmt);
	ck_assert_uint_eq(pz_nodeset_weight(&ns), nodesets[_i].weight);
}
END_TEST

START_TEST(nodeset_ops)
{
	struct pz_nodeset ns = { { 0 } };
	const char *why;
	char buf[8];

	ck_assert_int_eq(pz_nodeset_next(&ns, -1), -1);
	pz_nodeset_add(&ns, 200);
	pz_nodeset_add(&ns, 7);
	pz_nodeset_add(&ns, 999);	/* out of range: ignored */
	ck_assert_uint_eq(pz_nodeset_weight(&ns), 2);
	ck_assert_int_eq(pz_nodeset_next(&ns, -1), 7);
	ck_assert_int_eq(pz_nodeset_next(&ns, 7), 200);
	ck_assert_int_eq(pz_nodeset_next(&ns, 200), -1);
	ck_assert(pz_nodeset_has(&ns, 200));
	ck_assert(!pz_nodeset_has(&ns, 201));
	ck_assert(!pz_nodeset_has(&ns, 100000));
	/* a short buffer keeps whole items */
	ck_assert_int_eq(pz_nodeset_parse("1-3,100,200", &ns, &why), 0);
	ck_assert_str_eq(pz_nodeset_format(&ns, buf, sizeof(buf)), "1-3,100");
}
END_TEST

/* ---- libvirt's names -------------------------------------------------- */

static const struct {
	const char *arch, *machine, *id;
} ram_ids[] = {
	{ "x86_64", "pc-q35-7.2", "pc.ram" },
	{ "x86_64", "pc-i440fx-7.2", "pc.ram" },
	{ "x86_64", "pc", "pc.ram" },
	{ "x86_64", "q35", "pc.ram" },
	{ "i686", "isapc", "pc.ram" },
	{ "x86_64", "microvm", "microvm.ram" },
	{ "aarch64", "virt-7.2", "mach-virt.ram" },
	{ "aarch64", "virt", "mach-virt.ram" },
	{ "s390x", "s390-ccw-virtio-7.2", "s390.ram" },
	{ "ppc64le", "pseries-7.2", "ppc_spapr.ram" },
	{ NULL, "pc-q35-7.2", "pc.ram" },	/* the host's arch stands in */
	{ "x86_64", "xenfv", NULL },
	{ "x86_64", "pcx", NULL },
	{ "x86_64", "virt", NULL },
	{ "aarch64", "pc-q35-7.2", NULL },
	{ "riscv64", "virt", NULL },
	{ "x86_64", NULL, NULL },
};

START_TEST(default_ram_id)
{
	struct pz_dom d = { .id = 1 };
	const char *id, *why = NULL;

	d.arch = (char *)ram_ids[_i].arch;
	d.machine = (char *)ram_ids[_i].machine;
	id = pz_dom_default_ram_id(&d, "x86_64", &why);
	if (ram_ids[_i].id) {
		ck_assert_ptr_nonnull(id);
		ck_assert_str_eq(id, ram_ids[_i].id);
		ck_assert_ptr_null(why);
	} else {
		ck_assert_msg(!id, "%s/%s: %s", ram_ids[_i].arch, ram_ids[_i].machine, id);
		ck_assert_ptr_nonnull(why);
	}
}
END_TEST

static const struct {
	long long id;
	const char *name, *bytes, *utf8;
} short_names[] = {
	{ 7, "vm-file", "7-vm-file", "7-vm-file" },
	{ 0, "x", "0-x", "0-x" },
	{ 1234, "a-very-long-domain-name-for-testing-truncation",
	  "1234-a-very-long-domain-n", "1234-a-very-long-domain-n" },
	{ 1, "exactly-twenty-chars", "1-exactly-twenty-chars", "1-exactly-twenty-chars" },
	{ 1, "twenty-one-characters", "1-twenty-one-character", "1-twenty-one-character" },
	/* multibyte: the locale decides */
	{ 9, "donn\xc3\xa9" "es-\xc3\xbcn\xc3\xaf" "c\xc3\xb6" "d\xc3\xa9-machine-virtuelle",
	  "9-donn\xc3\xa9" "es-\xc3\xbcn\xc3\xaf" "c\xc3\xb6" "d\xc3\xa9",
	  "9-donn\xc3\xa9" "es-\xc3\xbcn\xc3\xaf" "c\xc3\xb6" "d\xc3\xa9-mach" },
	/* 19 ASCII and a 2-byte character: bytes cut it in half */
	{ 2, "aaaaaaaaaaaaaaaaaaa\xc3\xa9z", "2-aaaaaaaaaaaaaaaaaaa\xc3",
	  "2-aaaaaaaaaaaaaaaaaaa\xc3\xa9" },
	/* short multibyte names are whole either way */
	{ 3, "\xe6\x97\xa5\xe6\x9c\xac", "3-\xe6\x97\xa5\xe6\x9c\xac",
	  "3-\xe6\x97\xa5\xe6\x9c\xac" },
	/* not UTF-8: libvirt falls back to bytes in a UTF-8 locale too */
	{ 4, "caf\xe9-latin1-name-that-is-long", "4-caf\xe9-latin1-name-tha",
	  "4-caf\xe9-latin1-name-tha" },
	{ 2147483647, "max", "2147483647-max", "2147483647-max" },
};

START_TEST(short_name)
{
	char buf[128];

	ck_assert_int_eq(pz_dom_short_name(short_names[_i].id, short_names[_i].name,
					   PZ_DOM_NAME_BYTES, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, short_names[_i].bytes);
	ck_assert_int_eq(pz_dom_short_name(short_names[_i].id, short_names[_i].name,
					   PZ_DOM_NAME_UTF8, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, short_names[_i].utf8);
}
END_TEST

START_TEST(short_name_errors)
{
	char buf[8];

	ck_assert_int_eq(pz_dom_short_name(-1, "x", PZ_DOM_NAME_BYTES, buf, sizeof(buf)),
			 -EINVAL);
	ck_assert_int_eq(pz_dom_short_name((long long)INT_MAX + 1, "x",
					   PZ_DOM_NAME_BYTES, buf, sizeof(buf)), -EINVAL);
	ck_assert_int_eq(pz_dom_short_name(1, "abcdefgh", PZ_DOM_NAME_BYTES, buf,
					   sizeof(buf)), -ENAMETOOLONG);
	ck_assert_int_eq(pz_dom_short_name(1, "abcdef", PZ_DOM_NAME_UTF8, buf,
					   sizeof(buf)), -ENAMETOOLONG);
	ck_assert_int_eq(pz_dom_short_name(1, "abcde", PZ_DOM_NAME_UTF8, buf,
					   sizeof(buf)), 0);
	ck_assert_str_eq(buf, "1-abcde");
}
END_TEST

/* The region rules that no file above isolates. */
START_TEST(ram_rules)
{
	const char *xml =
		"<domain id='1'><name>r</name><memory unit='GiB'>3</memory>"
		"<memoryBacking><hugepages><page size='1' unit='GiB' nodeset='1'/>"
		"<page size='2' unit='MiB'/></hugepages><source type='memfd'/>"
		"</memoryBacking><cpu><numa>"
		"<cell id='1' memory='1' unit='GiB' memAccess='shared'/>"
		"<cell id='0' memory='1' unit='GiB'/>"
		"<cell id='2' memory='0'/></numa></cpu>"
		"<numatune><memory mode='strict' placement='auto'/></numatune>"
		"</domain>";
	char err[256];
	struct pz_dom d;
	struct pz_dom_ram r;

	ck_assert_msg(!pz_dom_parse(xml, strlen(xml), &d, err, sizeof(err)), "%s", err);
	ck_assert_uint_eq(d.memory_bytes, 3 * GiB);
	ck_assert(d.numa_memory.set && !d.numa_memory.has_nodes);	/* auto */
	/* cells are stored by id; cell 0 takes the master page (2 MiB) */
	pz_dom_ram(&d, 0, SYS_PAGE, &r);
	ck_assert_int_eq(r.cell, 0);
	ck_assert_int_eq(r.backing, PZ_DOM_BACKING_MEMFD);
	ck_assert(r.hugetlb);
	ck_assert_uint_eq(r.page_bytes, 2 * MiB);
	ck_assert_int_eq(r.access, PZ_DOM_ACCESS_DEFAULT);
	ck_assert(r.numa && !r.numa->has_nodes);	/* the auto placement */
	pz_dom_ram(&d, 1, SYS_PAGE, &r);
	ck_assert_int_eq(r.cell, 1);
	ck_assert_uint_eq(r.page_bytes, GiB);
	ck_assert_int_eq(r.access, PZ_DOM_ACCESS_SHARED);
	pz_dom_ram(&d, 2, SYS_PAGE, &r);
	ck_assert_uint_eq(r.bytes, 0);
	ck_assert_ptr_eq(r.numa, &d.numa_memory);
	/* the base page size given as the host's makes 2 MiB "not huge" */
	pz_dom_ram(&d, 0, 2 * MiB, &r);
	ck_assert(!r.hugetlb);
	ck_assert_uint_eq(r.page_bytes, 0);
	pz_dom_free(&d);
}
END_TEST

START_TEST(memory_from_cells)
{
	const char *xml =
		"<domain id='1'><name>c</name><cpu><numa>"
		"<cell id='0' memory='1' unit='GiB'/><cell id='1' memory='512' unit='MiB'/>"
		"</numa></cpu></domain>";
	const char *big =
		"<domain id='1'><name>c</name><cpu><numa>"
		"<cell memory='5' unit='EiB'/><cell memory='5' unit='EiB'/>"
		"</numa></cpu></domain>";
	const char *memnode =
		"<domain id='1'><name>c</name><memory>1</memory>"
		"<numatune><memnode cellid='0' nodeset='0'/></numatune></domain>";
	char err[256];
	struct pz_dom d;

	ck_assert_int_eq(pz_dom_parse(xml, strlen(xml), &d, err, sizeof(err)), 0);
	ck_assert_uint_eq(d.memory_bytes, GiB + 512 * MiB);
	pz_dom_free(&d);
	ck_assert_int_eq(pz_dom_parse(big, strlen(big), &d, err, sizeof(err)), -ERANGE);
	ck_assert_int_eq(pz_dom_parse(memnode, strlen(memnode), &d, err, sizeof(err)),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "memnode without NUMA cells"));
}
END_TEST

static Suite *domxml_suite(void)
{
	Suite *s = suite_create("domxml");
	TCase *tc = tcase_create("data");

	tcase_add_loop_test(tc, data_good, 0, N(wants));
	tcase_add_loop_test(tc, data_bad, 0, N(bads));
	tcase_add_loop_test(tc, bad_value, 0, N(bad_values));
	tcase_add_test(tc, good_values);
	tcase_add_test(tc, truncated);
	tcase_add_test(tc, size_limit);
	tcase_add_test(tc, ram_rules);
	tcase_add_test(tc, memory_from_cells);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	tc = tcase_create("syntax");
	tcase_add_loop_test(tc, scale, 0, N(scales));
	tcase_add_loop_test(tc, nodeset, 0, N(nodesets));
	tcase_add_test(tc, nodeset_ops);
	suite_add_tcase(s, tc);
	tc = tcase_create("names");
	tcase_add_loop_test(tc, default_ram_id, 0, N(ram_ids));
	tcase_add_loop_test(tc, short_name, 0, N(short_names));
	tcase_add_test(tc, short_name_errors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(domxml_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
