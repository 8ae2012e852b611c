// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/*
 * The ELF core rewriter (client/elfcore.c): synthetic cores with notes
 * and PT_LOADs (p_memsz > p_filesz, non-zero p_vaddr, overlaps), filtered
 * with exclude lists and checked against an independent computation of
 * what must remain; sparseness; PN_XNUM in and out; every malformed core
 * refused with OUT absent; IN == OUT; and a fuzz loop over damaged
 * headers that must refuse or succeed cleanly.
 */
#define _GNU_SOURCE
#include <check.h>
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elfcore.h"
#include "xenexclude.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define PS 4096u
#define EH sizeof(Elf64_Ehdr)
#define PH sizeof(Elf64_Phdr)
#define SH sizeof(Elf64_Shdr)

static char dir[64], in_path[128], out_path[128];

static void setup(void)
{
	strcpy(dir, "/tmp/pz-elfcore-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(in_path, sizeof(in_path), "%s/in.core", dir);
	snprintf(out_path, sizeof(out_path), "%s/out.core", dir);
}

static void teardown(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[384];

	if (!d)
		return;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			unlink(p);
		}
	closedir(d);
	rmdir(dir);
}

/* Files in dir other than the ones named (a temporary left behind). */
static int stray_files(const char *keep1, const char *keep2)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
		    (!keep1 || strcmp(e->d_name, keep1)) &&
		    (!keep2 || strcmp(e->d_name, keep2)))
			n++;
	closedir(d);
	return n;
}

static bool exists(const char *p)
{
	struct stat s;

	return !lstat(p, &s);
}

/* ---- little-endian fields (the test builds files byte by byte) ----------- */

static uint64_t rd(const unsigned char *p, size_t n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

static void wr(unsigned char *p, size_t n, uint64_t v)
{
	for (size_t i = 0; i < n; i++, v >>= 8)
		p[i] = (unsigned char)v;
}

#define FS(T, f) sizeof(((T *)0)->f)
#define GET(raw, T, f) rd((raw) + offsetof(T, f), FS(T, f))
#define PUT(raw, T, f, v) wr((raw) + offsetof(T, f), FS(T, f), (v))

static void put_phdr(unsigned char *raw, const Elf64_Phdr *p)
{
	PUT(raw, Elf64_Phdr, p_type, p->p_type);
	PUT(raw, Elf64_Phdr, p_flags, p->p_flags);
	PUT(raw, Elf64_Phdr, p_offset, p->p_offset);
	PUT(raw, Elf64_Phdr, p_vaddr, p->p_vaddr);
	PUT(raw, Elf64_Phdr, p_paddr, p->p_paddr);
	PUT(raw, Elf64_Phdr, p_filesz, p->p_filesz);
	PUT(raw, Elf64_Phdr, p_memsz, p->p_memsz);
	PUT(raw, Elf64_Phdr, p_align, p->p_align);
}

static void get_phdr(const unsigned char *raw, Elf64_Phdr *p)
{
	p->p_type = (uint32_t)GET(raw, Elf64_Phdr, p_type);
	p->p_flags = (uint32_t)GET(raw, Elf64_Phdr, p_flags);
	p->p_offset = GET(raw, Elf64_Phdr, p_offset);
	p->p_vaddr = GET(raw, Elf64_Phdr, p_vaddr);
	p->p_paddr = GET(raw, Elf64_Phdr, p_paddr);
	p->p_filesz = GET(raw, Elf64_Phdr, p_filesz);
	p->p_memsz = GET(raw, Elf64_Phdr, p_memsz);
	p->p_align = GET(raw, Elf64_Phdr, p_align);
}

/* ---- building cores ------------------------------------------------------- */

/* Guest memory: a byte that depends on its address; "mostly zero" makes
 * only every 97th page non-zero. */
static bool mostly_zero;

static unsigned char mem_byte(uint64_t addr)
{
	uint64_t h = addr * 0x9e3779b97f4a7c15ull;

	if (mostly_zero && (addr / PS) % 97)
		return 0;
	return (unsigned char)(h >> 56 ^ h >> 29 ^ 0x5a);
}

static unsigned char note_byte(size_t note, uint64_t i)
{
	return (unsigned char)(i * 7 + 1 + note * 31);
}

struct seg {
	uint32_t type;
	uint64_t paddr, vaddr, filesz, memsz, offset;	/* offset: PT_NULL */
};

struct core {
	unsigned char *buf;
	size_t len;
	Elf64_Phdr *ph;		/* as written */
	size_t phnum;
};

/*
 * A core of the segments: ELF header, section header 0 when xnum, the
 * program headers, then data from an odd offset (notes, then PT_LOADs).
 */
static void build(struct core *c, const struct seg *s, size_t n, bool xnum)
{
	size_t phoff = EH + (xnum ? SH : 0), pos = phoff + n * PH + 3, i;
	unsigned char *b;

	c->phnum = n;
	c->ph = calloc(n, sizeof(*c->ph));
	ck_assert_ptr_nonnull(c->ph);
	for (i = 0; i < n; i++) {
		Elf64_Phdr *p = &c->ph[i];

		p->p_type = s[i].type;
		p->p_flags = s[i].type == PT_LOAD ? PF_R | PF_W | PF_X : 0;
		p->p_paddr = s[i].paddr;
		p->p_vaddr = s[i].vaddr;
		p->p_filesz = s[i].filesz;
		p->p_memsz = s[i].memsz;
		p->p_align = s[i].type == PT_NOTE ? 4 : 0;
		p->p_offset = s[i].type == PT_NULL ? s[i].offset : pos;
		if (s[i].type != PT_NULL)
			pos += s[i].filesz;
	}
	c->len = pos;
	c->buf = b = calloc(1, pos);
	ck_assert_ptr_nonnull(b);
	memcpy(b, ELFMAG, SELFMAG);
	b[EI_CLASS] = ELFCLASS64;
	b[EI_DATA] = ELFDATA2LSB;
	b[EI_VERSION] = EV_CURRENT;
	PUT(b, Elf64_Ehdr, e_type, ET_CORE);
	PUT(b, Elf64_Ehdr, e_machine, EM_X86_64);
	PUT(b, Elf64_Ehdr, e_version, EV_CURRENT);
	PUT(b, Elf64_Ehdr, e_phoff, phoff);
	PUT(b, Elf64_Ehdr, e_ehsize, EH);
	PUT(b, Elf64_Ehdr, e_phentsize, PH);
	PUT(b, Elf64_Ehdr, e_phnum, xnum ? PN_XNUM : n);
	if (xnum) {
		PUT(b, Elf64_Ehdr, e_shoff, EH);
		PUT(b, Elf64_Ehdr, e_shentsize, SH);
		PUT(b, Elf64_Ehdr, e_shnum, 1);
		PUT(b + EH, Elf64_Shdr, sh_info, n);
	}
	for (i = 0; i < n; i++) {
		const Elf64_Phdr *p = &c->ph[i];

		put_phdr(b + phoff + i * PH, p);
		for (uint64_t k = 0; p->p_type != PT_NULL && k < p->p_filesz; k++)
			b[p->p_offset + k] = p->p_type == PT_LOAD ?
					     mem_byte(p->p_paddr + k) :
					     note_byte(i, k);
	}
}

static void free_core(struct core *c)
{
	free(c->buf);
	free(c->ph);
}

/* Write buf as path, leaving its zero 4 KiB blocks as holes. */
static void write_file(const char *path, const unsigned char *buf, size_t len)
{
	static const unsigned char zero[4096];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	ck_assert_int_ge(fd, 0);
	for (size_t o = 0; o < len; o += 4096) {
		size_t n = len - o < 4096 ? len - o : 4096;

		if (memcmp(buf + o, zero, n))
			ck_assert_int_eq(pwrite(fd, buf + o, n, (off_t)o), (ssize_t)n);
	}
	ck_assert_int_eq(ftruncate(fd, (off_t)len), 0);
	close(fd);
}

/* The standard core: two notes, PT_LOADs with and without vaddr, one with
 * p_memsz > p_filesz, one not page aligned, one empty, a PT_NULL. */
static const struct seg std_segs[] = {
	{ PT_NOTE, 0, 0, 0x94, 0x94, 0 },
	{ PT_LOAD, 0x0, 0xffff888000000000ull, 0x10000, 0x10000, 0 },
	{ PT_LOAD, 0x20000, 0, 0x9800, 0x18000, 0 },
	{ PT_NOTE, 0, 0, 0x30, 0x30, 0 },
	{ PT_LOAD, 0x40400, 0x1000400, 0x5000, 0x5000, 0 },
	{ PT_LOAD, 0x50000, 0, 0, 0, 0 },
	{ PT_NULL, 0, 0, 0, 0, 12345 },
};

static void ranges_of(struct pz_ranges *rs, const uint64_t (*r)[2], size_t n)
{
	pz_ranges_init(rs, 0);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(pz_ranges_add(rs, r[i][0], r[i][1]), 0);
}

/* ---- reading and checking the output -------------------------------------- */

struct out {
	unsigned char eh[EH];
	Elf64_Phdr *ph;
	size_t phnum;
	bool xnum;
	uint64_t size;
	int fd;
};

static void read_out(const char *path, struct out *o)
{
	struct stat st;
	unsigned char *raw;
	uint64_t phoff;

	memset(o, 0, sizeof(*o));
	o->fd = open(path, O_RDONLY);
	ck_assert_int_ge(o->fd, 0);
	ck_assert_int_eq(fstat(o->fd, &st), 0);
	o->size = (uint64_t)st.st_size;
	ck_assert_int_eq(pread(o->fd, o->eh, EH, 0), (ssize_t)EH);
	ck_assert(!memcmp(o->eh, ELFMAG, SELFMAG));
	ck_assert_uint_eq(o->eh[EI_CLASS], ELFCLASS64);
	ck_assert_uint_eq(o->eh[EI_DATA], ELFDATA2LSB);
	ck_assert_uint_eq(GET(o->eh, Elf64_Ehdr, e_type), ET_CORE);
	ck_assert_uint_eq(GET(o->eh, Elf64_Ehdr, e_machine), EM_X86_64);
	ck_assert_uint_eq(GET(o->eh, Elf64_Ehdr, e_phentsize), PH);
	ck_assert_uint_eq(GET(o->eh, Elf64_Ehdr, e_ehsize), EH);
	o->phnum = GET(o->eh, Elf64_Ehdr, e_phnum);
	if (o->phnum == PN_XNUM) {
		unsigned char sh[SH];
		uint64_t shoff = GET(o->eh, Elf64_Ehdr, e_shoff);

		o->xnum = true;
		ck_assert_uint_ne(shoff, 0);
		ck_assert_uint_eq(GET(o->eh, Elf64_Ehdr, e_shentsize), SH);
		ck_assert_int_eq(pread(o->fd, sh, SH, (off_t)shoff), (ssize_t)SH);
		ck_assert_uint_eq(GET(sh, Elf64_Shdr, sh_type), SHT_NULL);
		o->phnum = GET(sh, Elf64_Shdr, sh_info);
		ck_assert_uint_ge(o->phnum, PN_XNUM);
	} else {
		ck_assert_uint_eq(GET(o->eh, Elf64_Ehdr, e_shoff), 0);
	}
	phoff = GET(o->eh, Elf64_Ehdr, e_phoff);
	raw = malloc(o->phnum * PH + 1);
	o->ph = calloc(o->phnum + 1, sizeof(*o->ph));
	ck_assert_int_eq(pread(o->fd, raw, o->phnum * PH, (off_t)phoff),
			 (ssize_t)(o->phnum * PH));
	for (size_t i = 0; i < o->phnum; i++)
		get_phdr(raw + i * PH, &o->ph[i]);
	free(raw);
}

static void free_out(struct out *o)
{
	close(o->fd);
	free(o->ph);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static bool excluded_addr(const struct pz_ranges *ex, uint64_t ps, uint64_t a)
{
	return pz_ranges_contains(ex, a / ps);
}

/* Does [a, b) meet an excluded range? (the first range ending after a) */
static bool hits_excluded(const struct pz_ranges *ex, uint64_t ps, uint64_t a,
			  uint64_t b)
{
	size_t lo = 0, hi = ex->n;

	if (a == b)
		return false;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (ex->r[mid].end * ps <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < ex->n && ex->r[lo].start * ps < b;
}

/*
 * What must remain of PT_LOAD p, computed apart from the code under test:
 * cut [paddr, end) at every range edge, keep the pieces whose first byte
 * is not excluded, merge neighbours. Returns the count, pieces in *out.
 */
static size_t expected_pieces(const Elf64_Phdr *p, const struct pz_ranges *ex,
			      uint64_t ps, Elf64_Phdr **out)
{
	uint64_t end = p->p_paddr + p->p_memsz, *cut;
	size_t n = 0, k = 0, i;
	Elf64_Phdr *q;

	if (!p->p_memsz) {
		*out = malloc(sizeof(**out));
		**out = *p;
		return 1;
	}
	cut = malloc((2 * ex->n + 2) * sizeof(*cut));
	cut[n++] = p->p_paddr;
	cut[n++] = end;
	for (i = 0; i < ex->n; i++) {
		uint64_t a = ex->r[i].start * ps, b = ex->r[i].end * ps;

		if (a > p->p_paddr && a < end)
			cut[n++] = a;
		if (b > p->p_paddr && b < end)
			cut[n++] = b;
	}
	qsort(cut, n, sizeof(*cut), cmp_u64);
	q = calloc(n, sizeof(*q));
	for (i = 0; i + 1 < n; i++) {
		uint64_t a = cut[i], b = cut[i + 1];

		if (a == b || excluded_addr(ex, ps, a))
			continue;
		if (k && q[k - 1].p_paddr + q[k - 1].p_memsz == a) {
			q[k - 1].p_memsz += b - a;
		} else {
			q[k] = *p;
			q[k].p_paddr = a;
			q[k].p_memsz = b - a;
			q[k].p_vaddr = p->p_vaddr ? p->p_vaddr + (a - p->p_paddr) : 0;
			k++;
		}
	}
	for (i = 0; i < k; i++) {
		uint64_t a = q[i].p_paddr, b = a + q[i].p_memsz,
			 fe = p->p_paddr + p->p_filesz;

		q[i].p_filesz = a >= fe ? 0 : (b < fe ? b : fe) - a;
	}
	free(cut);
	*out = q;
	return k;
}

static void same_bytes(int fd_a, uint64_t off_a, int fd_b, uint64_t off_b,
		       uint64_t len)
{
	static unsigned char a[65536], b[65536];

	while (len) {
		size_t n = len < sizeof(a) ? (size_t)len : sizeof(a);

		ck_assert_int_eq(pread(fd_a, a, n, (off_t)off_a), (ssize_t)n);
		ck_assert_int_eq(pread(fd_b, b, n, (off_t)off_b), (ssize_t)n);
		ck_assert_msg(!memcmp(a, b, n), "data differs at in %llu / out %llu",
			      (unsigned long long)off_a, (unsigned long long)off_b);
		off_a += n;
		off_b += n;
		len -= n;
	}
}

struct span {
	uint64_t off, len;
};

static int cmp_span(const void *a, const void *b)
{
	return cmp_u64(&((const struct span *)a)->off,
		       &((const struct span *)b)->off);
}

/*
 * OUT is IN without the excluded frames: the same headers in the same
 * order, each PT_LOAD replaced by exactly the expected pieces, every kept
 * byte equal to IN's at the same physical address, no PT_LOAD touching an
 * excluded frame, data regions disjoint and inside the file, and the
 * statistics matching.
 */
static void check_output(const struct core *c, const struct pz_ranges *ex,
			 uint64_t ps, const struct pz_core_stats *st)
{
	struct out o;
	struct span *spans;
	size_t k = 0, ns = 0, i, j;
	uint64_t loads = 0, kept = 0, bytes_in = 0, hdr_end;
	int in = open(in_path, O_RDONLY);

	ck_assert_int_ge(in, 0);
	read_out(out_path, &o);
	spans = calloc(o.phnum + 1, sizeof(*spans));
	for (i = 0; i < c->phnum; i++) {
		const Elf64_Phdr *p = &c->ph[i];
		Elf64_Phdr *exp;
		size_t n;

		if (p->p_type != PT_LOAD) {
			const Elf64_Phdr *q = &o.ph[k++];

			ck_assert_uint_le(k, o.phnum);
			ck_assert_uint_eq(q->p_type, p->p_type);
			ck_assert_uint_eq(q->p_flags, p->p_flags);
			ck_assert_uint_eq(q->p_vaddr, p->p_vaddr);
			ck_assert_uint_eq(q->p_paddr, p->p_paddr);
			ck_assert_uint_eq(q->p_filesz, p->p_filesz);
			ck_assert_uint_eq(q->p_memsz, p->p_memsz);
			ck_assert_uint_eq(q->p_align, p->p_align);
			if (!p->p_filesz) {
				ck_assert_uint_eq(q->p_offset, p->p_offset);
				continue;
			}
			same_bytes(in, p->p_offset, o.fd, q->p_offset, p->p_filesz);
			spans[ns++] = (struct span){ q->p_offset, q->p_filesz };
			continue;
		}
		bytes_in += p->p_filesz;
		n = expected_pieces(p, ex, ps, &exp);
		for (j = 0; j < n; j++) {
			const Elf64_Phdr *q = &o.ph[k++];

			ck_assert_uint_le(k, o.phnum);
			ck_assert_uint_eq(q->p_type, PT_LOAD);
			ck_assert_uint_eq(q->p_flags, p->p_flags);
			ck_assert_uint_eq(q->p_align, p->p_align);
			ck_assert_uint_eq(q->p_paddr, exp[j].p_paddr);
			ck_assert_uint_eq(q->p_vaddr, exp[j].p_vaddr);
			ck_assert_uint_eq(q->p_memsz, exp[j].p_memsz);
			ck_assert_uint_eq(q->p_filesz, exp[j].p_filesz);
			ck_assert_msg(!hits_excluded(ex, ps, q->p_paddr,
						     q->p_paddr + q->p_memsz),
				      "piece at 0x%llx covers excluded frames",
				      (unsigned long long)q->p_paddr);
			same_bytes(in, p->p_offset + (q->p_paddr - p->p_paddr),
				   o.fd, q->p_offset, q->p_filesz);
			if (q->p_filesz)
				spans[ns++] = (struct span){ q->p_offset, q->p_filesz };
			loads++;
			kept += q->p_filesz;
		}
		free(exp);
	}
	ck_assert_uint_eq(k, o.phnum);
	/* data after the headers, inside the file, not overlapping */
	hdr_end = GET(o.eh, Elf64_Ehdr, e_phoff) + o.phnum * PH;
	qsort(spans, ns, sizeof(*spans), cmp_span);
	for (i = 0; i < ns; i++) {
		ck_assert_uint_ge(spans[i].off, i ? spans[i - 1].off + spans[i - 1].len :
						   hdr_end);
		ck_assert_uint_le(spans[i].off + spans[i].len, o.size);
	}
	ck_assert_uint_eq(st->phdrs_in, c->phnum);
	ck_assert_uint_eq(st->phdrs_out, o.phnum);
	ck_assert_uint_eq(st->loads_out, loads);
	ck_assert_uint_eq(st->bytes_in, bytes_in);
	ck_assert_uint_eq(st->bytes_kept, kept);
	ck_assert_uint_eq(st->bytes_skipped, bytes_in - kept);
	ck_assert_uint_eq(st->out_size, o.size);
	ck_assert_int_eq(st->xnum_out, o.xnum);
	free(spans);
	free_out(&o);
	close(in);
}

static int filter(const struct pz_ranges *ex, uint32_t ps,
		  struct pz_core_stats *st, char *err, size_t errlen)
{
	err[0] = '\0';
	return pz_core_filter(in_path, out_path, ex, ps, st, err, errlen);
}

/* ---- tests ------------------------------------------------------------------ */

START_TEST(split_explicit)
{
	static const uint64_t r[][2] = { { 2, 4 } };
	struct pz_core_stats st;
	struct pz_ranges ex;
	struct core c;
	struct out o;
	char err[512];
	struct stat s;

	build(&c, std_segs, N(std_segs), false);
	write_file(in_path, c.buf, c.len);
	ranges_of(&ex, r, N(r));
	ck_assert_msg(filter(&ex, PS, &st, err, sizeof(err)) == 0, "%s", err);
	read_out(out_path, &o);
	ck_assert_uint_eq(o.phnum, 8);
	ck_assert_uint_eq(o.ph[0].p_type, PT_NOTE);
	ck_assert_uint_eq(o.ph[1].p_paddr, 0);
	ck_assert_uint_eq(o.ph[1].p_memsz, 0x2000);
	ck_assert_uint_eq(o.ph[1].p_filesz, 0x2000);
	ck_assert_uint_eq(o.ph[1].p_vaddr, 0xffff888000000000ull);
	ck_assert_uint_eq(o.ph[2].p_paddr, 0x4000);
	ck_assert_uint_eq(o.ph[2].p_memsz, 0xc000);
	ck_assert_uint_eq(o.ph[2].p_vaddr, 0xffff888000004000ull);
	ck_assert_uint_eq(o.ph[3].p_paddr, 0x20000);
	ck_assert_uint_eq(o.ph[4].p_type, PT_NOTE);
	ck_assert_uint_eq(o.ph[7].p_type, PT_NULL);
	ck_assert_uint_eq(o.ph[7].p_offset, 12345);
	/* guest pages stay file blocks */
	ck_assert_uint_eq(o.ph[2].p_offset % PS, 0);
	ck_assert_uint_eq(o.ph[5].p_offset % PS, 0x400);
	free_out(&o);
	check_output(&c, &ex, PS, &st);
	ck_assert_uint_eq(st.loads_in, 4);
	ck_assert_uint_eq(st.loads_out, 5);
	ck_assert_uint_eq(st.bytes_skipped, 0x2000);
	ck_assert(!st.xnum_in && !st.xnum_out);
	/* a core holds guest memory: only its owner reads it */
	ck_assert_int_eq(stat(out_path, &s), 0);
	ck_assert_uint_eq(s.st_mode & 07777, 0600);
	ck_assert_int_eq(stray_files("in.core", "out.core"), 0);
	pz_ranges_free(&ex);
	free_core(&c);
}
END_TEST

/* Exclude lists against the standard core: none, inside, at the edges,
 * across segments, whole segments, every other frame, 64 KiB pages. */
static const struct {
	uint32_t ps;
	size_t n;
	uint64_t r[8][2];
} lists[] = {
	{ PS, 0, { { 0 } } },
	{ PS, 1, { { 0x10, 0x20 } } },
	{ PS, 1, { { 0xf, 0x21 } } },
	{ PS, 1, { { 0x20, 0x38 } } },
	{ PS, 1, { { 0x29, 0x2a } } },
	{ PS, 2, { { 0x28, 0x29 }, { 0x2a, 0x2b } } },
	{ PS, 1, { { 0x40, 0x41 } } },
	{ PS, 1, { { 0x44, 0x46 } } },
	{ PS, 3, { { 0x0, 0x1 }, { 0x37, 0x41 }, { 0x45, 0x1000 } } },
	{ PS, 1, { { 0x0, 0x100 } } },
	{ PS, 1, { { 0x50, 0x51 } } },
	{ PS, 1, { { 0x100000, 0xfffffffffffff } } },
	{ 65536, 1, { { 0, 1 } } },
	{ 65536, 1, { { 4, 5 } } },
	{ 65536, 1, { { 2, 3 } } },
	{ 512, 2, { { 0x3, 0x5 }, { 0x202, 0x203 } } },
};

START_TEST(various_lists)
{
	struct core c;

	build(&c, std_segs, N(std_segs), false);
	write_file(in_path, c.buf, c.len);
	for (size_t i = 0; i < N(lists); i++) {
		struct pz_core_stats st;
		struct pz_ranges ex;
		char err[512];

		ranges_of(&ex, lists[i].r, lists[i].n);
		ck_assert_msg(filter(&ex, lists[i].ps, &st, err, sizeof(err)) == 0,
			      "list %zu: %s", i, err);
		check_output(&c, &ex, lists[i].ps, &st);
		pz_ranges_free(&ex);
	}
	free_core(&c);
}
END_TEST

START_TEST(every_other_frame)
{
	struct pz_core_stats st;
	struct pz_ranges ex;
	char err[512];
	struct core c;

	build(&c, std_segs, N(std_segs), false);
	write_file(in_path, c.buf, c.len);
	pz_ranges_init(&ex, 0);
	for (uint64_t f = 1; f < 0x60; f += 2)
		ck_assert_int_eq(pz_ranges_add(&ex, f, f + 1), 0);
	ck_assert_msg(filter(&ex, PS, &st, err, sizeof(err)) == 0, "%s", err);
	check_output(&c, &ex, PS, &st);
	ck_assert_uint_eq(st.loads_out, 8 + 12 + 3 + 1);
	pz_ranges_free(&ex);
	free_core(&c);
}
END_TEST

/* A kernel text segment over the same memory as a RAM segment (as in
 * /proc/vmcore): both are cut. */
START_TEST(overlapping_segments)
{
	static const struct seg segs[] = {
		{ PT_NOTE, 0, 0, 0x20, 0x20, 0 },
		{ PT_LOAD, 0x3000, 0xffffffff81000000ull, 0x6000, 0x6000, 0 },
		{ PT_LOAD, 0x0, 0xffff888000000000ull, 0x20000, 0x20000, 0 },
	};
	static const uint64_t r[][2] = { { 4, 6 }, { 8, 0x10 } };
	struct pz_core_stats st;
	struct pz_ranges ex;
	char err[512];
	struct core c;

	build(&c, segs, N(segs), false);
	write_file(in_path, c.buf, c.len);
	ranges_of(&ex, r, N(r));
	ck_assert_msg(filter(&ex, PS, &st, err, sizeof(err)) == 0, "%s", err);
	check_output(&c, &ex, PS, &st);
	ck_assert_uint_eq(st.loads_out, 5);
	pz_ranges_free(&ex);
	free_core(&c);
}
END_TEST

/* 16 MiB of mostly zero memory: zero pages become holes. */
START_TEST(sparse)
{
	static const struct seg segs[] = {
		{ PT_NOTE, 0, 0, 0x40, 0x40, 0 },
		{ PT_LOAD, 0x100000, 0, 16 << 20, 16 << 20, 0 },
	};
	static const unsigned char zpage[PS];
	static const uint64_t r[][2] = { { 0x800, 0xc00 } };
	struct pz_core_stats st;
	struct pz_ranges ex;
	uint64_t zero = 0, data = 0;
	char err[512];
	struct core c;
	struct stat s;

	mostly_zero = true;
	build(&c, segs, N(segs), false);
	write_file(in_path, c.buf, c.len);
	ranges_of(&ex, r, N(r));
	ck_assert_msg(filter(&ex, PS, &st, err, sizeof(err)) == 0, "%s", err);
	check_output(&c, &ex, PS, &st);
	for (uint64_t a = 0x100000; a < 0x100000 + (16 << 20); a += PS) {
		const unsigned char *page = c.buf + c.ph[1].p_offset + (a - 0x100000);

		if (excluded_addr(&ex, PS, a))
			continue;
		if (memcmp(page, zpage, PS))
			data += PS;
		else
			zero += PS;
	}
	ck_assert_uint_eq(st.bytes_zero, zero);
	ck_assert_uint_eq(st.bytes_kept, zero + data);
	ck_assert_int_eq(stat(out_path, &s), 0);
	ck_assert_uint_ge((uint64_t)s.st_size, zero + data);
	/* allocated: the data pages and headers, not the zero pages */
	ck_assert_msg((uint64_t)s.st_blocks * 512 <= data + (256 << 10),
		      "%llu bytes allocated for %llu bytes of data",
		      (unsigned long long)s.st_blocks * 512,
		      (unsigned long long)data);
	mostly_zero = false;
	pz_ranges_free(&ex);
	free_core(&c);
}
END_TEST

/* Input with PN_XNUM (few headers, but counted in section header 0). */
START_TEST(xnum_in)
{
	static const uint64_t r[][2] = { { 0x22, 0x24 } };
	struct pz_core_stats st;
	struct pz_ranges ex;
	char err[512];
	struct core c;

	build(&c, std_segs, N(std_segs), true);
	write_file(in_path, c.buf, c.len);
	ranges_of(&ex, r, N(r));
	ck_assert_msg(filter(&ex, PS, &st, err, sizeof(err)) == 0, "%s", err);
	ck_assert(st.xnum_in);
	ck_assert(!st.xnum_out);
	check_output(&c, &ex, PS, &st);
	pz_ranges_free(&ex);
	free_core(&c);
}
END_TEST

/*
 * 65535 output headers and more need PN_XNUM (65535 is PN_XNUM itself),
 * 65534 do not; the PN_XNUM output reads back.
 */
START_TEST(xnum_out)
{
	static const struct seg segs[] = {
		{ PT_NOTE, 0, 0, 0x20, 0x20, 0 },
		{ PT_LOAD, 0, 0xffff888000000000ull, 2 * PS, 2 * 65534 * (uint64_t)PS, 0 },
	};
	struct pz_core_stats st, st2;
	struct pz_ranges ex, none;
	char err[512], again[160];
	struct core c;
	struct out o;
	uint64_t f;

	build(&c, segs, N(segs), false);
	write_file(in_path, c.buf, c.len);
	/* 65533 pieces: 65534 headers */
	pz_ranges_init(&ex, 0);
	for (f = 1; f < 2 * 65533 - 1; f += 2)
		ck_assert_int_eq(pz_ranges_add(&ex, f, f + 1), 0);
	ck_assert_int_eq(pz_ranges_add(&ex, f, 2 * 65534), 0);
	ck_assert_msg(filter(&ex, PS, &st, err, sizeof(err)) == 0, "%s", err);
	ck_assert(!st.xnum_out);
	read_out(out_path, &o);
	ck_assert(!o.xnum);
	ck_assert_uint_eq(o.phnum, 65534);
	free_out(&o);
	pz_ranges_free(&ex);

	/* 65534 pieces: 65535 headers */
	pz_ranges_init(&ex, 0);
	for (f = 1; f < 2 * 65534; f += 2)
		ck_assert_int_eq(pz_ranges_add(&ex, f, f + 1), 0);
	ck_assert_msg(filter(&ex, PS, &st, err, sizeof(err)) == 0, "%s", err);
	ck_assert(st.xnum_out);
	ck_assert_uint_eq(st.phdrs_out, 65535);
	check_output(&c, &ex, PS, &st);
	read_out(out_path, &o);
	ck_assert(o.xnum);
	ck_assert_uint_eq(GET(o.eh, Elf64_Ehdr, e_phnum), PN_XNUM);
	free_out(&o);

	/* the output is itself a valid PN_XNUM input */
	snprintf(again, sizeof(again), "%s/again.core", dir);
	pz_ranges_init(&none, 0);
	ck_assert_msg(pz_core_filter(out_path, again, &none, PS, &st2, err,
				     sizeof(err)) == 0, "%s", err);
	ck_assert(st2.xnum_in && st2.xnum_out);
	ck_assert_uint_eq(st2.phdrs_out, 65535);
	ck_assert_uint_eq(st2.bytes_kept, st.bytes_kept);
	pz_ranges_free(&none);
	pz_ranges_free(&ex);
	free_core(&c);
}
END_TEST

/* ---- refusals --------------------------------------------------------------- */

static void m_magic(struct core *c) { c->buf[1] = 'F'; }
static void m_class32(struct core *c) { c->buf[EI_CLASS] = ELFCLASS32; }
static void m_class_bad(struct core *c) { c->buf[EI_CLASS] = 7; }
static void m_msb(struct core *c) { c->buf[EI_DATA] = ELFDATA2MSB; }
static void m_data_bad(struct core *c) { c->buf[EI_DATA] = 0; }
static void m_version(struct core *c) { c->buf[EI_VERSION] = 2; }
static void m_exec(struct core *c) { PUT(c->buf, Elf64_Ehdr, e_type, ET_EXEC); }
static void m_phentsize(struct core *c) { PUT(c->buf, Elf64_Ehdr, e_phentsize, 32); }
static void m_phnum0(struct core *c) { PUT(c->buf, Elf64_Ehdr, e_phnum, 0); }
static void m_phoff_far(struct core *c) { PUT(c->buf, Elf64_Ehdr, e_phoff, c->len); }
static void m_phoff_huge(struct core *c) { PUT(c->buf, Elf64_Ehdr, e_phoff, UINT64_MAX - 8); }
static void m_phnum_big(struct core *c) { PUT(c->buf, Elf64_Ehdr, e_phnum, 60000); }
static void m_short_hdr(struct core *c) { c->len = 40; }
static void m_tiny(struct core *c) { c->len = 3; }
static void m_empty(struct core *c) { c->len = 0; }

static void m_phdr_table_cut(struct core *c)
{
	c->len = EH + 3 * PH + 10;
}

static void set_ph(struct core *c, size_t i, size_t field, uint64_t v)
{
	size_t phoff = GET(c->buf, Elf64_Ehdr, e_phoff);

	wr(c->buf + phoff + i * PH + field, 8, v);
}

static void m_data_beyond(struct core *c)
{
	set_ph(c, 4, offsetof(Elf64_Phdr, p_offset), c->len - 0x10);
}

static void m_file_cut(struct core *c) { c->len -= 1; }

static void m_filesz_gt_memsz(struct core *c)
{
	set_ph(c, 1, offsetof(Elf64_Phdr, p_memsz), 0xffff);
}

static void m_offset_overflow(struct core *c)
{
	set_ph(c, 1, offsetof(Elf64_Phdr, p_offset), UINT64_MAX - 0x100);
}

static void m_note_beyond(struct core *c)
{
	set_ph(c, 0, offsetof(Elf64_Phdr, p_filesz), c->len);
}

static void m_paddr_overflow(struct core *c)
{
	set_ph(c, 2, offsetof(Elf64_Phdr, p_paddr), UINT64_MAX - 0x1000);
}

static void m_xnum_noshdr(struct core *c)
{
	PUT(c->buf, Elf64_Ehdr, e_phnum, PN_XNUM);
}

static void m_xnum_shoff_far(struct core *c)
{
	PUT(c->buf, Elf64_Ehdr, e_phnum, PN_XNUM);
	PUT(c->buf, Elf64_Ehdr, e_shentsize, SH);
	PUT(c->buf, Elf64_Ehdr, e_shoff, c->len - 10);
}

static void m_xnum_shentsize(struct core *c)
{
	PUT(c->buf, Elf64_Ehdr, e_shentsize, 40);
}

static void m_xnum_info0(struct core *c)
{
	PUT(c->buf + EH, Elf64_Shdr, sh_info, 0);
}

static void m_xnum_info_big(struct core *c)
{
	PUT(c->buf + EH, Elf64_Shdr, sh_info, 100000);
}

static const struct {
	void (*mutate)(struct core *c);
	bool xnum;
	const char *err;
} malformed[] = {
	{ m_magic, false, "not an ELF file (bad magic)" },
	{ m_tiny, false, "not an ELF file (bad magic)" },
	{ m_empty, false, "not an ELF file (bad magic)" },
	{ m_short_hdr, false, "truncated ELF header (40 bytes)" },
	{ m_class32, false, "an ELFCLASS32 file: only ELF64 cores are supported" },
	{ m_class_bad, false, "invalid ELF class 7" },
	{ m_msb, false, "a big-endian (ELFDATA2MSB) file: only little-endian cores are supported" },
	{ m_data_bad, false, "invalid ELF data encoding 0" },
	{ m_version, false, "unknown ELF version 2" },
	{ m_exec, false, "not a core file (e_type 2" },
	{ m_phentsize, false, "bad e_phentsize 32" },
	{ m_phnum0, false, "no program headers" },
	{ m_phoff_far, false, "the program header table" },
	{ m_phoff_huge, false, "the program header table" },
	{ m_phnum_big, false, "the program header table" },
	{ m_phdr_table_cut, false, "the program header table" },
	{ m_data_beyond, false, "program header 4: data [" },
	{ m_file_cut, false, "program header 4: data [" },
	{ m_note_beyond, false, "program header 0: data [" },
	{ m_filesz_gt_memsz, false, "program header 1: PT_LOAD with p_filesz 65536 > p_memsz 65535" },
	{ m_offset_overflow, false, "program header 1: p_offset + p_filesz overflows" },
	{ m_paddr_overflow, false, "program header 2: p_paddr + p_memsz overflows" },
	{ m_xnum_noshdr, false, "e_phnum is PN_XNUM but there is no section header 0" },
	{ m_xnum_shoff_far, false, "e_phnum is PN_XNUM but section header 0 (offset" },
	{ m_xnum_shentsize, true, "e_phnum is PN_XNUM but e_shentsize is 40" },
	{ m_xnum_info0, true, "e_phnum is PN_XNUM but section header 0's sh_info is 0" },
	{ m_xnum_info_big, true, "the program header table" },
};

START_TEST(refuse_malformed)
{
	struct pz_core_stats st;
	struct pz_ranges ex;

	pz_ranges_init(&ex, 0);
	ck_assert_int_eq(pz_ranges_add(&ex, 2, 3), 0);
	for (size_t i = 0; i < N(malformed); i++) {
		char err[512], want[256];
		struct core c;

		build(&c, std_segs, N(std_segs), malformed[i].xnum);
		malformed[i].mutate(&c);
		write_file(in_path, c.buf, c.len);
		ck_assert_msg(filter(&ex, PS, &st, err, sizeof(err)) == -1,
			      "case %zu accepted", i);
		snprintf(want, sizeof(want), "%s: %s", in_path, malformed[i].err);
		ck_assert_msg(!strncmp(err, want, strlen(want)),
			      "case %zu: '%s', expected '%s...'", i, err, want);
		ck_assert_msg(!exists(out_path), "case %zu: OUT created", i);
		ck_assert_int_eq(stray_files("in.core", NULL), 0);
		free_core(&c);
	}
	pz_ranges_free(&ex);
}
END_TEST

START_TEST(refuse_files)
{
	struct pz_core_stats st;
	struct pz_ranges ex;
	char err[512], p[160];
	struct core c;
	struct stat before, after;

	pz_ranges_init(&ex, 0);
	build(&c, std_segs, N(std_segs), false);
	write_file(in_path, c.buf, c.len);
	ck_assert_int_eq(stat(in_path, &before), 0);

	/* IN == OUT, by name, hard link and symlink */
	ck_assert_int_eq(pz_core_filter(in_path, in_path, &ex, PS, &st, err,
					sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "the same file as the input"));
	snprintf(p, sizeof(p), "%s/link.core", dir);
	ck_assert_int_eq(link(in_path, p), 0);
	ck_assert_int_eq(pz_core_filter(in_path, p, &ex, PS, &st, err,
					sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "the same file as the input"));
	unlink(p);
	ck_assert_int_eq(symlink(in_path, p), 0);
	ck_assert_int_eq(pz_core_filter(in_path, p, &ex, PS, &st, err,
					sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "the same file as the input"));
	unlink(p);
	ck_assert_int_eq(stat(in_path, &after), 0);
	ck_assert_int_eq(after.st_size, before.st_size);
	ck_assert_int_eq(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
	ck_assert_int_eq(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);

	/* IN missing or not a file; OUT a directory or in a missing one */
	snprintf(p, sizeof(p), "%s/missing.core", dir);
	ck_assert_int_eq(pz_core_filter(p, out_path, &ex, PS, &st, err,
					sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "missing.core: No such file"));
	ck_assert_int_eq(pz_core_filter(dir, out_path, &ex, PS, &st, err,
					sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "not a regular file"));
	snprintf(p, sizeof(p), "%s/sub", dir);
	ck_assert_int_eq(mkdir(p, 0700), 0);
	ck_assert_int_eq(pz_core_filter(in_path, p, &ex, PS, &st, err,
					sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "exists and is not a regular file"));
	rmdir(p);
	snprintf(p, sizeof(p), "%s/nodir/out.core", dir);
	ck_assert_int_eq(pz_core_filter(in_path, p, &ex, PS, &st, err,
					sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "cannot create a temporary file"));
	snprintf(p, sizeof(p), "%s/", dir);
	ck_assert_int_eq(pz_core_filter(in_path, p, &ex, PS, &st, err,
					sizeof(err)), -1);
	/* a bad page size */
	ck_assert_int_eq(pz_core_filter(in_path, out_path, &ex, 3000, &st, err,
					sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "invalid page size 3000"));
	ck_assert_int_eq(stray_files("in.core", NULL), 0);

	/* an existing OUT is replaced whole */
	write_file(out_path, (const unsigned char *)"old", 3);
	ck_assert_int_eq(pz_core_filter(in_path, out_path, &ex, PS, &st, err,
					sizeof(err)), 0);
	check_output(&c, &ex, PS, &st);
	pz_ranges_free(&ex);
	free_core(&c);
}
END_TEST

/* A write that fails half-way (the file size limit) leaves no OUT and no
 * temporary file. */
START_TEST(write_failure)
{
	static const struct seg segs[] = {
		{ PT_LOAD, 0, 0, 1 << 20, 1 << 20, 0 },
	};
	struct rlimit old, lim;
	struct pz_core_stats st;
	struct pz_ranges ex;
	char err[512];
	struct core c;
	int ret;

	build(&c, segs, N(segs), false);
	write_file(in_path, c.buf, c.len);
	pz_ranges_init(&ex, 0);
	signal(SIGXFSZ, SIG_IGN);
	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
	/* only the soft limit: a lowered hard one could not come back */
	lim.rlim_cur = 256 << 10;
	lim.rlim_max = old.rlim_max;
	ck_assert(old.rlim_cur == RLIM_INFINITY || old.rlim_cur > lim.rlim_cur);
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
	ret = filter(&ex, PS, &st, err, sizeof(err));
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	ck_assert_int_eq(ret, -1);
	ck_assert_msg(strstr(err, "File too large"), "%s", err);
	ck_assert(!exists(out_path));
	ck_assert_int_eq(stray_files("in.core", NULL), 0);
	pz_ranges_free(&ex);
	free_core(&c);
}
END_TEST

/* A filter stopped by a signal cleans up. */
START_TEST(interrupted)
{
	struct pz_core_stats st;
	struct pz_ranges ex;
	char err[512];
	struct core c;
	int ret;

	build(&c, std_segs, N(std_segs), false);
	write_file(in_path, c.buf, c.len);
	pz_ranges_init(&ex, 0);
	pz_core_stop = 1;
	ret = filter(&ex, PS, &st, err, sizeof(err));
	pz_core_stop = 0;
	ck_assert_int_eq(ret, -1);
	ck_assert_ptr_nonnull(strstr(err, "interrupted"));
	ck_assert(!exists(out_path));
	ck_assert_int_eq(stray_files("in.core", NULL), 0);
	pz_ranges_free(&ex);
	free_core(&c);
}
END_TEST

/*
 * Damaged headers: truncations, flipped bits and extreme values in the
 * ELF header, section header 0 and the program headers. Every run must
 * refuse with a message and no OUT, or succeed with an OUT that reads
 * back. (ASan/UBSan and valgrind runs check the memory side.)
 */
START_TEST(fuzz)
{
	static const uint64_t extremes[] = {
		0, 1, 0x7fffffffffffffffull, 0xffffffffffffffffull,
		0xfffffffffffff000ull, 0x8000000000000000ull, 0xffff, 0x10000,
	};
	static const uint64_t r[][2] = { { 2, 4 }, { 0x22, 0x23 }, { 0x41, 0x50 } };
	struct pz_ranges ex, none;
	struct core base;
	size_t hdr_end;
	int ok = 0, refused = 0;
	char again[160];

	snprintf(again, sizeof(again), "%s/again.core", dir);
	ranges_of(&ex, r, N(r));
	pz_ranges_init(&none, 0);
	build(&base, std_segs, N(std_segs), true);
	hdr_end = EH + SH + N(std_segs) * PH;
	srand48(20261203);
	for (int it = 0; it < 600; it++) {
		struct core c = base;
		struct pz_core_stats st, st2;
		char err[512];
		int ret, kind = (int)(lrand48() % 4);

		c.buf = malloc(base.len);
		memcpy(c.buf, base.buf, base.len);
		if (kind == 0) {
			c.len = (size_t)lrand48() % base.len;
		} else if (kind == 1) {
			for (int b = 0, nb = 1 + (int)(lrand48() % 4); b < nb; b++) {
				size_t bit = (size_t)lrand48() % (hdr_end * 8);

				c.buf[bit / 8] ^= (unsigned char)(1 << (bit % 8));
			}
		} else {
			size_t at = (size_t)lrand48() % (hdr_end - 8);

			wr(c.buf + at, kind == 2 ? 8 : 2,
			   extremes[lrand48() % N(extremes)]);
		}
		write_file(in_path, c.buf, c.len);
		free(c.buf);
		err[0] = '\0';
		ret = pz_core_filter(in_path, out_path, &ex, PS, &st, err,
				     sizeof(err));
		ck_assert_msg(ret == 0 || ret == -1, "iteration %d", it);
		if (ret) {
			refused++;
			ck_assert_msg(!strncmp(err, in_path, strlen(in_path)) &&
				      strlen(err) > strlen(in_path) + 2,
				      "iteration %d: '%s'", it, err);
			ck_assert_msg(!exists(out_path), "iteration %d", it);
			ck_assert_int_eq(stray_files("in.core", NULL), 0);
			continue;
		}
		ok++;
		ck_assert_uint_le(st.bytes_kept, st.bytes_in);
		/* what we wrote is a core we take back, unchanged */
		ck_assert_msg(pz_core_filter(out_path, again, &none, PS, &st2,
					     err, sizeof(err)) == 0,
			      "iteration %d: output refused: %s", it, err);
		ck_assert_uint_eq(st2.phdrs_out, st.phdrs_out);
		ck_assert_uint_eq(st2.bytes_kept, st.bytes_kept);
		unlink(again);
		unlink(out_path);
	}
	/* both outcomes occurred, or the loop tested little */
	ck_assert_int_gt(ok, 20);
	ck_assert_int_gt(refused, 20);
	free_core(&base);
	pz_ranges_free(&ex);
	pz_ranges_free(&none);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("elfcore");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, split_explicit);
	tcase_add_test(tc, various_lists);
	tcase_add_test(tc, every_other_frame);
	tcase_add_test(tc, overlapping_segments);
	tcase_add_test(tc, sparse);
	tcase_add_test(tc, xnum_in);
	tcase_add_test(tc, xnum_out);
	tcase_add_test(tc, refuse_malformed);
	tcase_add_test(tc, refuse_files);
	tcase_add_test(tc, write_failure);
	tcase_add_test(tc, interrupted);
	tcase_add_test(tc, fuzz);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
