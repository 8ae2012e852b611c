// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/*
 * The ELF core rewriter behind prezeroctl xen filter-core (elfcore.h).
 *
 * Two passes over the input's program headers (held in memory, at most
 * PZ_CORE_PHNUM_MAX): the first counts what the output holds, which fixes
 * where its data starts; the second writes each output header and copies
 * its data through one PZ_CORE_BUF_SIZE buffer. The file is read and
 * written with explicit little-endian decoding, whatever the host.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elfcore.h"

volatile sig_atomic_t pz_core_stop;

#define EHDR_SIZE sizeof(Elf64_Ehdr)	/* 64 */
#define PHDR_SIZE sizeof(Elf64_Phdr)	/* 56 */
#define SHDR_SIZE sizeof(Elf64_Shdr)	/* 64 */
/* Holes come in file system blocks: zero runs are looked for in these. */
#define ZBLK 4096
/* Output program headers are written in batches of this many. */
#define PH_BATCH 1024

/* The file's layouts: program headers are read into Elf64_Phdr memory. */
_Static_assert(sizeof(Elf64_Ehdr) == 64 && sizeof(Elf64_Phdr) == 56 &&
	       sizeof(Elf64_Shdr) == 64, "ELF64 header sizes");

struct core {
	const char *in_path, *out_path;
	int in, out;
	uint64_t in_size;
	unsigned char eh_raw[EHDR_SIZE];
	Elf64_Ehdr eh;
	Elf64_Phdr *ph;		/* host order */
	uint64_t phnum;
	const struct pz_range *r;	/* the excluded frames */
	size_t nr;
	uint64_t ps;		/* their page size */
	uint64_t align;		/* PT_LOAD data: offset = paddr modulo this */
	unsigned char *buf;	/* PZ_CORE_BUF_SIZE */
	unsigned char *phbuf;	/* PH_BATCH output headers */
	size_t phbuf_n;
	uint64_t ph_pos;	/* where phbuf goes */
	uint64_t pos;		/* the end of the output's data so far */
	char tmp[PATH_MAX];	/* "" until created */
	struct pz_core_stats *st;
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 3, 4)))
static int fail(struct core *c, const char *path, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(c->err, c->errlen, "%s: ", path);
	if (n >= 0 && (size_t)n < c->errlen) {
		va_start(ap, fmt);
		vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* ---- little-endian fields ---------------------------------------------- */

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

#define FSIZE(T, f) sizeof(((T *)0)->f)
#define GET(raw, T, f) rd((raw) + offsetof(T, f), FSIZE(T, f))
#define PUT(raw, T, f, v) wr((raw) + offsetof(T, f), FSIZE(T, f), (v))

static void ehdr_decode(const unsigned char *raw, Elf64_Ehdr *e)
{
	memcpy(e->e_ident, raw, EI_NIDENT);
	e->e_type = (Elf64_Half)GET(raw, Elf64_Ehdr, e_type);
	e->e_machine = (Elf64_Half)GET(raw, Elf64_Ehdr, e_machine);
	e->e_version = (Elf64_Word)GET(raw, Elf64_Ehdr, e_version);
	e->e_entry = GET(raw, Elf64_Ehdr, e_entry);
	e->e_phoff = GET(raw, Elf64_Ehdr, e_phoff);
	e->e_shoff = GET(raw, Elf64_Ehdr, e_shoff);
	e->e_flags = (Elf64_Word)GET(raw, Elf64_Ehdr, e_flags);
	e->e_ehsize = (Elf64_Half)GET(raw, Elf64_Ehdr, e_ehsize);
	e->e_phentsize = (Elf64_Half)GET(raw, Elf64_Ehdr, e_phentsize);
	e->e_phnum = (Elf64_Half)GET(raw, Elf64_Ehdr, e_phnum);
	e->e_shentsize = (Elf64_Half)GET(raw, Elf64_Ehdr, e_shentsize);
	e->e_shnum = (Elf64_Half)GET(raw, Elf64_Ehdr, e_shnum);
	e->e_shstrndx = (Elf64_Half)GET(raw, Elf64_Ehdr, e_shstrndx);
}

static void phdr_decode(const unsigned char *raw, Elf64_Phdr *p)
{
	p->p_type = (Elf64_Word)GET(raw, Elf64_Phdr, p_type);
	p->p_flags = (Elf64_Word)GET(raw, Elf64_Phdr, p_flags);
	p->p_offset = GET(raw, Elf64_Phdr, p_offset);
	p->p_vaddr = GET(raw, Elf64_Phdr, p_vaddr);
	p->p_paddr = GET(raw, Elf64_Phdr, p_paddr);
	p->p_filesz = GET(raw, Elf64_Phdr, p_filesz);
	p->p_memsz = GET(raw, Elf64_Phdr, p_memsz);
	p->p_align = GET(raw, Elf64_Phdr, p_align);
}

static void phdr_encode(const Elf64_Phdr *p, unsigned char *raw)
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

/* ---- I/O ----------------------------------------------------------------- */

/* All of [off, off + len) of IN; its end is an error (it was checked). */
static int read_in(struct core *c, void *buf, size_t len, uint64_t off)
{
	unsigned char *p = buf;

	while (len) {
		ssize_t n = pread(c->in, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fail(c, c->in_path, "read at offset %llu: %s",
				    (unsigned long long)off, strerror(errno));
		if (!n)
			return fail(c, c->in_path, "unexpected end of file at offset %llu (did it shrink?)",
				    (unsigned long long)off);
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

static int write_out(struct core *c, const void *buf, size_t len, uint64_t off)
{
	const unsigned char *p = buf;

	while (len) {
		ssize_t n = pwrite(c->out, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return fail(c, c->tmp, "write at offset %llu: %s",
				    (unsigned long long)off,
				    n < 0 ? strerror(errno) : "no progress");
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

static bool is_zero(const unsigned char *p, size_t n)
{
	return !n || (!p[0] && !memcmp(p, p + 1, n - 1));
}

/*
 * Write buf (n bytes) at out offset to, leaving out its zero blocks: the
 * file is new, so what is not written reads as zero, and whole blocks not
 * written are holes.
 */
static int write_sparse(struct core *c, const unsigned char *buf, size_t n,
			uint64_t to, bool load)
{
	size_t i = 0, run = 0;
	bool in_run = false;

	while (i < n) {
		size_t blk = ZBLK - (size_t)((to + i) % ZBLK);

		if (blk > n - i)
			blk = n - i;
		if (is_zero(buf + i, blk)) {
			if (in_run && write_out(c, buf + run, i - run, to + run))
				return -1;
			in_run = false;
			if (load)
				c->st->bytes_zero += blk;
		} else if (!in_run) {
			run = i;
			in_run = true;
		}
		i += blk;
	}
	return in_run ? write_out(c, buf + run, n - run, to + run) : 0;
}

static int copy_data(struct core *c, uint64_t from, uint64_t to, uint64_t len,
		     bool load)
{
	while (len) {
		size_t n = len < PZ_CORE_BUF_SIZE ? (size_t)len : PZ_CORE_BUF_SIZE;

		if (pz_core_stop)
			return fail(c, c->out_path, "interrupted");
		if (read_in(c, c->buf, n, from) ||
		    write_sparse(c, c->buf, n, to, load))
			return -1;
		from += n;
		to += n;
		len -= n;
	}
	return 0;
}

/* ---- the input ----------------------------------------------------------- */

static const char *type_name(unsigned int t)
{
	switch (t) {
	case ET_NONE: return "ET_NONE";
	case ET_REL: return "ET_REL, an object file";
	case ET_EXEC: return "ET_EXEC, an executable";
	case ET_DYN: return "ET_DYN, a shared object or executable";
	default: return "unknown";
	}
}

static int check_ident(struct core *c)
{
	const unsigned char *id = c->eh.e_ident;

	if (memcmp(id, ELFMAG, SELFMAG))
		return fail(c, c->in_path, "not an ELF file (bad magic)");
	if (id[EI_CLASS] == ELFCLASS32)
		return fail(c, c->in_path, "an ELFCLASS32 file: only ELF64 cores are supported");
	if (id[EI_CLASS] != ELFCLASS64)
		return fail(c, c->in_path, "invalid ELF class %u", id[EI_CLASS]);
	if (id[EI_DATA] == ELFDATA2MSB)
		return fail(c, c->in_path, "a big-endian (ELFDATA2MSB) file: only little-endian cores are supported");
	if (id[EI_DATA] != ELFDATA2LSB)
		return fail(c, c->in_path, "invalid ELF data encoding %u",
			    id[EI_DATA]);
	if (id[EI_VERSION] != EV_CURRENT)
		return fail(c, c->in_path, "unknown ELF version %u",
			    id[EI_VERSION]);
	if (c->eh.e_type != ET_CORE)
		return fail(c, c->in_path, "not a core file (e_type %u: %s)",
			    c->eh.e_type, type_name(c->eh.e_type));
	if (c->eh.e_phentsize != PHDR_SIZE)
		return fail(c, c->in_path, "bad e_phentsize %u (ELF64 program headers are %zu bytes)",
			    c->eh.e_phentsize, PHDR_SIZE);
	return 0;
}

/* [off, off + len) lies inside IN. */
static bool inside(const struct core *c, uint64_t off, uint64_t len)
{
	return off <= c->in_size && len <= c->in_size - off;
}

/* e_phnum, or with PN_XNUM sh_info of section header 0. */
static int read_phnum(struct core *c)
{
	unsigned char raw[SHDR_SIZE];

	c->phnum = c->eh.e_phnum;
	if (c->eh.e_phnum != PN_XNUM)
		return 0;
	c->st->xnum_in = true;
	if (!c->eh.e_shoff)
		return fail(c, c->in_path, "e_phnum is PN_XNUM but there is no section header 0 (e_shoff 0)");
	if (c->eh.e_shentsize != SHDR_SIZE)
		return fail(c, c->in_path, "e_phnum is PN_XNUM but e_shentsize is %u (not %zu)",
			    c->eh.e_shentsize, SHDR_SIZE);
	if (!inside(c, c->eh.e_shoff, SHDR_SIZE))
		return fail(c, c->in_path, "e_phnum is PN_XNUM but section header 0 (offset %llu) is beyond the end of the file",
			    (unsigned long long)c->eh.e_shoff);
	if (read_in(c, raw, sizeof(raw), c->eh.e_shoff))
		return -1;
	c->phnum = GET(raw, Elf64_Shdr, sh_info);
	if (!c->phnum)
		return fail(c, c->in_path, "e_phnum is PN_XNUM but section header 0's sh_info is 0");
	return 0;
}

static int check_phdr(struct core *c, uint64_t i, const Elf64_Phdr *p)
{
	if (p->p_offset + p->p_filesz < p->p_offset)
		return fail(c, c->in_path, "program header %llu: p_offset + p_filesz overflows",
			    (unsigned long long)i);
	/* no data, nothing to read: p_offset does not matter */
	if (p->p_filesz && !inside(c, p->p_offset, p->p_filesz))
		return fail(c, c->in_path, "program header %llu: data [%llu, %llu) beyond the end of the file (%llu bytes)",
			    (unsigned long long)i,
			    (unsigned long long)p->p_offset,
			    (unsigned long long)(p->p_offset + p->p_filesz),
			    (unsigned long long)c->in_size);
	if (p->p_type != PT_LOAD)
		return 0;
	if (p->p_filesz > p->p_memsz)
		return fail(c, c->in_path, "program header %llu: PT_LOAD with p_filesz %llu > p_memsz %llu",
			    (unsigned long long)i,
			    (unsigned long long)p->p_filesz,
			    (unsigned long long)p->p_memsz);
	if (p->p_paddr + p->p_memsz < p->p_paddr)
		return fail(c, c->in_path, "program header %llu: p_paddr + p_memsz overflows",
			    (unsigned long long)i);
	return 0;
}

static int read_phdrs(struct core *c)
{
	uint64_t size, i;

	if (!c->phnum)
		return fail(c, c->in_path, "no program headers");
	if (c->phnum > PZ_CORE_PHNUM_MAX)
		return fail(c, c->in_path, "%llu program headers: more than the %llu this tool reads",
			    (unsigned long long)c->phnum,
			    (unsigned long long)PZ_CORE_PHNUM_MAX);
	size = c->phnum * PHDR_SIZE;
	if (!c->eh.e_phoff || !inside(c, c->eh.e_phoff, size))
		return fail(c, c->in_path, "the program header table (offset %llu, %llu entries) is beyond the end of the file",
			    (unsigned long long)c->eh.e_phoff,
			    (unsigned long long)c->phnum);
	c->ph = malloc((size_t)size);
	if (!c->ph)
		return fail(c, c->in_path, "out of memory for %llu program headers",
			    (unsigned long long)c->phnum);
	/* raw into the same memory, then decoded in place */
	if (read_in(c, c->ph, (size_t)size, c->eh.e_phoff))
		return -1;
	for (i = 0; i < c->phnum; i++) {
		unsigned char raw[PHDR_SIZE];

		memcpy(raw, &c->ph[i], PHDR_SIZE);
		phdr_decode(raw, &c->ph[i]);
		if (check_phdr(c, i, &c->ph[i]))
			return -1;
	}
	return 0;
}

/* OUT must not be IN, nor something rename would wrongly replace. */
static int check_out(struct core *c, const struct stat *in)
{
	struct stat out;

	if (stat(c->out_path, &out)) {
		if (errno == ENOENT)
			return 0;
		return fail(c, c->out_path, "%s", strerror(errno));
	}
	if (in->st_dev == out.st_dev && in->st_ino == out.st_ino)
		return fail(c, c->out_path, "the same file as the input %s",
			    c->in_path);
	if (!S_ISREG(out.st_mode))
		return fail(c, c->out_path, "exists and is not a regular file");
	return 0;
}

static int open_in(struct core *c)
{
	struct stat s;
	ssize_t n;

	c->in = open(c->in_path, O_RDONLY | O_CLOEXEC);
	if (c->in < 0)
		return fail(c, c->in_path, "%s", strerror(errno));
	if (fstat(c->in, &s))
		return fail(c, c->in_path, "%s", strerror(errno));
	if (!S_ISREG(s.st_mode))
		return fail(c, c->in_path, "not a regular file");
	if (check_out(c, &s))
		return -1;
	c->in_size = (uint64_t)s.st_size;
	(void)posix_fadvise(c->in, 0, 0, POSIX_FADV_SEQUENTIAL);
	n = c->in_size < EHDR_SIZE ? (ssize_t)c->in_size : (ssize_t)EHDR_SIZE;
	if (read_in(c, c->eh_raw, (size_t)n, 0))
		return -1;
	if (n < SELFMAG || memcmp(c->eh_raw, ELFMAG, SELFMAG))
		return fail(c, c->in_path, "not an ELF file (bad magic)");
	if (n < (ssize_t)EHDR_SIZE)
		return fail(c, c->in_path, "truncated ELF header (%zd bytes)", n);
	ehdr_decode(c->eh_raw, &c->eh);
	if (check_ident(c) || read_phnum(c) || read_phdrs(c))
		return -1;
	return 0;
}

/* ---- splitting ------------------------------------------------------------ */

/* Frame to address, saturating: past the top is beyond every segment. */
static uint64_t frame_addr(const struct core *c, uint64_t f)
{
	return f > UINT64_MAX / c->ps ? UINT64_MAX : f * c->ps;
}

/* Walks the parts of one PT_LOAD outside the excluded frames. */
struct piece_iter {
	const Elf64_Phdr *p;
	uint64_t at, end;
	size_t ri;		/* the first range that may still cut */
	bool empty_done;	/* a p_memsz 0 segment is kept as it is */
};

static void piece_first(const struct core *c, const Elf64_Phdr *p,
			struct piece_iter *it)
{
	size_t lo = 0, hi = c->nr;

	it->p = p;
	it->at = p->p_paddr;
	it->end = p->p_paddr + p->p_memsz;
	it->empty_done = false;
	/* the first range that ends after the segment's start */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (frame_addr(c, c->r[mid].end) <= it->at)
			lo = mid + 1;
		else
			hi = mid;
	}
	it->ri = lo;
}

/* The next kept part as a PT_LOAD header (p_offset: the input's). */
static bool piece_next(const struct core *c, struct piece_iter *it,
		       Elf64_Phdr *out)
{
	const Elf64_Phdr *p = it->p;
	uint64_t stop, file_end = p->p_paddr + p->p_filesz, delta;

	if (!p->p_memsz) {
		if (it->empty_done)
			return false;
		it->empty_done = true;
		*out = *p;
		return true;
	}
	while (it->at < it->end) {
		if (it->ri < c->nr && frame_addr(c, c->r[it->ri].start) <= it->at) {
			stop = frame_addr(c, c->r[it->ri].end);
			it->at = stop < it->end ? stop : it->end;
			it->ri++;
			continue;
		}
		stop = it->end;
		if (it->ri < c->nr && frame_addr(c, c->r[it->ri].start) < stop)
			stop = frame_addr(c, c->r[it->ri].start);
		delta = it->at - p->p_paddr;
		*out = *p;
		out->p_paddr = it->at;
		out->p_vaddr = p->p_vaddr ? p->p_vaddr + delta : 0;
		out->p_memsz = stop - it->at;
		out->p_filesz = it->at < file_end ?
				(stop < file_end ? stop : file_end) - it->at : 0;
		out->p_offset = p->p_offset + delta;
		it->at = stop;
		return true;
	}
	return false;
}

/* Pass 1: what the output holds. */
static int count_output(struct core *c)
{
	struct pz_core_stats *st = c->st;
	struct piece_iter it;
	Elf64_Phdr piece;
	uint64_t i;

	st->phdrs_in = c->phnum;
	for (i = 0; i < c->phnum; i++) {
		const Elf64_Phdr *p = &c->ph[i];

		if (p->p_type != PT_LOAD) {
			st->phdrs_out++;
			continue;
		}
		st->loads_in++;
		st->bytes_in += p->p_filesz;
		piece_first(c, p, &it);
		while (piece_next(c, &it, &piece)) {
			st->loads_out++;
			st->phdrs_out++;
			st->bytes_kept += piece.p_filesz;
		}
	}
	st->bytes_skipped = st->bytes_in - st->bytes_kept;
	if (st->phdrs_out > UINT32_MAX)
		return fail(c, c->out_path, "%llu program headers: more than ELF can count",
			    (unsigned long long)st->phdrs_out);
	st->xnum_out = st->phdrs_out >= PN_XNUM;
	return 0;
}

/* ---- the output ----------------------------------------------------------- */

static int flush_phdrs(struct core *c)
{
	size_t len = c->phbuf_n * PHDR_SIZE;

	if (len && write_out(c, c->phbuf, len, c->ph_pos))
		return -1;
	c->ph_pos += len;
	c->phbuf_n = 0;
	return 0;
}

static int add_phdr(struct core *c, const Elf64_Phdr *p)
{
	phdr_encode(p, c->phbuf + c->phbuf_n * PHDR_SIZE);
	if (++c->phbuf_n == PH_BATCH)
		return flush_phdrs(c);
	return 0;
}

/* Pass 2 for one input header: its output headers and their data. */
static int write_segment(struct core *c, const Elf64_Phdr *p)
{
	struct piece_iter it;
	Elf64_Phdr q;
	uint64_t from;

	if (p->p_type != PT_LOAD) {
		q = *p;
		if (p->p_filesz) {
			q.p_offset = (c->pos + 7) & ~(uint64_t)7;
			if (copy_data(c, p->p_offset, q.p_offset, p->p_filesz,
				      false))
				return -1;
			c->pos = q.p_offset + p->p_filesz;
		}
		return add_phdr(c, &q);
	}
	piece_first(c, p, &it);
	while (piece_next(c, &it, &q)) {
		from = q.p_offset;
		/* offset = paddr modulo align: guest pages are file blocks */
		q.p_offset = c->pos;
		if (q.p_filesz)
			q.p_offset += (q.p_paddr - c->pos) & (c->align - 1);
		if (copy_data(c, from, q.p_offset, q.p_filesz, true))
			return -1;
		c->pos = q.p_offset + q.p_filesz;
		if (add_phdr(c, &q))
			return -1;
	}
	return 0;
}

static int write_headers(struct core *c, uint64_t phoff)
{
	unsigned char eh[EHDR_SIZE], sh[SHDR_SIZE];
	bool xnum = c->st->xnum_out;

	memcpy(eh, c->eh_raw, EHDR_SIZE);
	PUT(eh, Elf64_Ehdr, e_phoff, phoff);
	PUT(eh, Elf64_Ehdr, e_shoff, xnum ? EHDR_SIZE : 0);
	PUT(eh, Elf64_Ehdr, e_ehsize, EHDR_SIZE);
	PUT(eh, Elf64_Ehdr, e_phentsize, PHDR_SIZE);
	PUT(eh, Elf64_Ehdr, e_phnum, xnum ? PN_XNUM : c->st->phdrs_out);
	PUT(eh, Elf64_Ehdr, e_shentsize, xnum ? SHDR_SIZE : 0);
	PUT(eh, Elf64_Ehdr, e_shnum, xnum ? 1 : 0);
	PUT(eh, Elf64_Ehdr, e_shstrndx, SHN_UNDEF);
	if (write_out(c, eh, sizeof(eh), 0))
		return -1;
	if (!xnum)
		return 0;
	/* as the kernel writes it: SHT_NULL, the real count in sh_info */
	memset(sh, 0, sizeof(sh));
	PUT(sh, Elf64_Shdr, sh_info, c->st->phdrs_out);
	return write_out(c, sh, sizeof(sh), EHDR_SIZE);
}

static int write_core(struct core *c)
{
	uint64_t phoff = EHDR_SIZE + (c->st->xnum_out ? SHDR_SIZE : 0), i;

	c->ph_pos = phoff;
	c->pos = phoff + c->st->phdrs_out * PHDR_SIZE;
	for (i = 0; i < c->phnum; i++)
		if (write_segment(c, &c->ph[i]))
			return -1;
	if (flush_phdrs(c) || write_headers(c, phoff))
		return -1;
	c->st->out_size = c->pos;
	/* trailing zero blocks were never written: the length makes them
	 * holes */
	if (ftruncate(c->out, (off_t)c->pos))
		return fail(c, c->tmp, "%s", strerror(errno));
	if (fsync(c->out))
		return fail(c, c->tmp, "fsync: %s", strerror(errno));
	return 0;
}

static int create_tmp(struct core *c)
{
	const char *slash = strrchr(c->out_path, '/');
	const char *base = slash ? slash + 1 : c->out_path;
	int dirlen = slash ? (int)(slash - c->out_path) + 1 : 0, n;

	if (!*base || !strcmp(base, ".") || !strcmp(base, ".."))
		return fail(c, c->out_path, "not a file name");
	n = snprintf(c->tmp, sizeof(c->tmp), "%.*s.%s.XXXXXX", dirlen,
		     c->out_path, base);
	if (n < 0 || (size_t)n >= sizeof(c->tmp)) {
		c->tmp[0] = '\0';
		return fail(c, c->out_path, "path too long");
	}
	c->out = mkostemp(c->tmp, O_CLOEXEC);
	if (c->out < 0) {
		int e = errno;

		c->tmp[0] = '\0';
		return fail(c, c->out_path, "cannot create a temporary file next to it: %s",
			    strerror(e));
	}
	return 0;
}

/* Makes the rename durable; its failure leaves a complete OUT, so it is
 * not reported. */
static void sync_dir(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

static bool page_size_ok(uint32_t ps)
{
	return ps >= 512 && ps <= (UINT32_C(1) << 30) && !(ps & (ps - 1));
}

int pz_core_filter(const char *in, const char *out,
		   const struct pz_ranges *ex, uint32_t page_size,
		   struct pz_core_stats *st, char *err, size_t errlen)
{
	struct core c = {
		.in_path = in, .out_path = out, .in = -1, .out = -1,
		.r = ex->r, .nr = ex->n, .ps = page_size,
		.st = st, .err = err, .errlen = errlen,
	};
	int ret = -1;

	memset(st, 0, sizeof(*st));
	if (!page_size_ok(page_size)) {
		snprintf(err, errlen, "invalid page size %u", page_size);
		return -1;
	}
	c.align = page_size > ZBLK ? page_size : ZBLK;
	if (open_in(&c) || count_output(&c))
		goto out;
	c.buf = malloc(PZ_CORE_BUF_SIZE);
	c.phbuf = malloc(PH_BATCH * PHDR_SIZE);
	if (!c.buf || !c.phbuf) {
		fail(&c, out, "out of memory");
		goto out;
	}
	if (create_tmp(&c) || write_core(&c))
		goto out;
	if (close(c.out)) {
		c.out = -1;
		fail(&c, c.tmp, "close: %s", strerror(errno));
		goto out;
	}
	c.out = -1;
	if (rename(c.tmp, out)) {
		fail(&c, out, "rename from %s: %s", c.tmp, strerror(errno));
		goto out;
	}
	c.tmp[0] = '\0';
	sync_dir(out);
	ret = 0;
out:
	if (c.out >= 0)
		close(c.out);
	if (c.tmp[0])
		unlink(c.tmp);
	if (c.in >= 0)
		close(c.in);
	free(c.ph);
	free(c.buf);
	free(c.phbuf);
	return ret;
}
