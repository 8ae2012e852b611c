// SPDX-License-Identifier: GPL-2.0
/*
 * pz-xenverify: the truth about a Xen guest's populated frames, in dom0,
 * for the Xen test and benchmark (tests/xen/). Independent of prezero's own
 * code on purpose: it checks what prezerod publishes.
 *
 *   pz-xenverify scan DOMID [--frames N] [--ranges]
 *       Which guest frames in [0, N) are unpopulated (N defaults to the
 *       domain's xenstore memory/static-max). Prints one key=value line;
 *       --ranges also prints the unpopulated ranges, "0xSTART 0xEND".
 *   pz-xenverify check DOMID FILE
 *       FILE is an exclude list (proto/xen-exclude.md, text form): every
 *       listed frame must fail to map, every unlisted frame below
 *       scanned-frames must map (HVM: the VGA hole 0xa0-0xc0 excepted).
 *       Prints the counts; exit 1 when the list and the truth disagree.
 *   pz-xenverify dump DOMID [--exclude FILE]
 *       What a dump tool costs: maps and reads every frame below static-max,
 *       or every frame outside FILE's ranges, 256 at a time. Prints bytes
 *       and frames read, frames that failed, milliseconds.
 *   pz-xenverify core DOMID OUT
 *       An ELF core of the guest as a dump tool without a list would write
 *       it: one PT_LOAD over [0, static-max), populated frames' contents,
 *       zeros (holes) elsewhere.
 *   pz-xenverify corecheck IN OUT FILE
 *       OUT (IN filtered with FILE by prezeroctl xen filter-core) must cover
 *       every frame of IN's PT_LOADs outside FILE's ranges exactly once,
 *       with IN's bytes, and no frame in them. Exit 1 otherwise.
 *
 * PVH/HVM: xenforeignmemory_map() over gfns; an unpopulated gfn gives
 * EINVAL in err[] (a paged-out one ENOENT, counted as "paged", populated).
 * PV: the frame numbers of a foreign map are machine frames, so the guest's
 * p2m (xc_map_domain_meminfo) says which pfns are populated (invalid entry)
 * and the machine frames of the others are mapped to prove they are.
 * Exit status: 0 agree/done, 1 disagree, 2 usage or Xen error.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <xenctrl.h>
#include <xenforeignmemory.h>
#include <xenguest.h>
#include <xenstore.h>

#define BATCH 256
#define PAGE 4096UL

struct range {
	uint64_t start, end;
};

struct list {
	struct range *r;
	size_t n, cap;
	uint64_t scanned;	/* scanned-frames header, 0 if absent */
	uint64_t excluded;	/* excluded-frames header */
};

struct dom {
	uint32_t domid;
	bool hvm;		/* PVH or HVM: gfns map directly */
	char type[16];		/* libxl's: pv, pvh, hvm */
	uint64_t frames;	/* scan bound */
	uint64_t tot_pages, max_pages;
	xc_interface *xch;
	xenforeignmemory_handle *fmem;
	struct xc_domain_meminfo mi;	/* PV only */
	bool have_mi;
	uint8_t *state;		/* per frame: 0 populated, 1 not, 2 paged */
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int die(const char *what)
{
	fprintf(stderr, "pz-xenverify: %s: %s\n", what, strerror(errno));
	return 2;
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return (errno || end == s || *end) ? -1 : 0;
}

/* xenstore value of PREFIX<domid>SUFFIX, or NULL */
static char *xs_get(const char *prefix, uint32_t domid, const char *suffix)
{
	struct xs_handle *xs = xs_open(XS_OPEN_READONLY);
	char path[128];
	unsigned int len;
	char *v;

	if (!xs)
		return NULL;
	snprintf(path, sizeof(path), "%s%u%s", prefix, domid, suffix);
	v = xs_read(xs, XBT_NULL, path, &len);
	xs_close(xs);
	return v;
}

static int dom_open(struct dom *d, uint32_t domid, uint64_t frames)
{
	xc_domaininfo_t info;
	char *v;

	d->domid = domid;
	d->xch = xc_interface_open(NULL, NULL, 0);
	if (!d->xch)
		return die("xc_interface_open");
	d->fmem = xenforeignmemory_open(NULL, 0);
	if (!d->fmem)
		return die("xenforeignmemory_open");
	if (xc_domain_getinfolist(d->xch, domid, 1, &info) != 1 || info.domain != domid) {
		fprintf(stderr, "pz-xenverify: no domain %u\n", domid);
		return 2;
	}
	d->hvm = info.flags & XEN_DOMINF_hvm_guest;
	d->tot_pages = info.tot_pages;
	d->max_pages = info.max_pages;
	v = xs_get("/libxl/", domid, "/type");
	snprintf(d->type, sizeof(d->type), "%s", v ? v : (d->hvm ? "hvm" : "pv"));
	free(v);
	if (!frames) {
		uint64_t kb;

		v = xs_get("/local/domain/", domid, "/memory/static-max");
		if (!v || parse_u64(v, &kb)) {
			fprintf(stderr, "pz-xenverify: domain %u: no memory/static-max\n", domid);
			free(v);
			return 2;
		}
		free(v);
		frames = kb / (PAGE / 1024);
	}
	d->frames = frames;
	d->state = calloc(frames, 1);
	if (!d->state)
		return die("calloc");
	if (!d->hvm) {
		if (xc_map_domain_meminfo(d->xch, domid, &d->mi))
			return die("xc_map_domain_meminfo");
		d->have_mi = true;
	}
	return 0;
}

static void dom_close(struct dom *d)
{
	if (d->have_mi)
		xc_unmap_domain_meminfo(d->xch, &d->mi);
	if (d->fmem)
		xenforeignmemory_close(d->fmem);
	if (d->xch)
		xc_interface_close(d->xch);
	free(d->state);
}

/* PV: the machine frame of pfn, or ~0 when the p2m says unpopulated */
static uint64_t pv_mfn(struct dom *d, uint64_t pfn)
{
	uint64_t m;

	if (pfn >= d->mi.p2m_size)
		return ~0ULL;
	if (d->mi.guest_width == 8) {
		m = ((uint64_t *)d->mi.p2m_table)[pfn];
		/* Linux's identity/foreign bits: not guest RAM */
		return (m == ~0ULL || (m >> 62)) ? ~0ULL : m;
	}
	m = ((uint32_t *)d->mi.p2m_table)[pfn];
	return m == 0xffffffffULL ? ~0ULL : m;
}

/* One mapping of up to BATCH frames; slot[i]: page of frame i, or -1. */
struct batch {
	uint8_t *p;
	size_t pages;
	int err[BATCH];		/* errno per frame, 0 = mapped */
	int slot[BATCH];
};

/* Map frames [first, first + n), n <= BATCH. */
static void map_batch(struct dom *d, uint64_t first, size_t n, struct batch *b)
{
	xen_pfn_t arr[BATCH];
	int e2[BATCH];
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		uint64_t f = d->hvm ? first + i : pv_mfn(d, first + i);

		b->slot[i] = -1;
		b->err[i] = EINVAL;
		if (f == ~0ULL)
			continue;
		b->slot[i] = k;
		arr[k++] = f;
	}
	b->pages = k;
	b->p = k ? xenforeignmemory_map(d->fmem, d->domid, PROT_READ, k, arr, e2) : NULL;
	for (i = 0; i < n; i++) {
		if (b->slot[i] < 0)
			continue;
		b->err[i] = b->p ? abs(e2[b->slot[i]]) : errno;
	}
}

static void unmap_batch(struct dom *d, struct batch *b)
{
	if (b->p)
		xenforeignmemory_unmap(d->fmem, b->p, b->pages);
	b->p = NULL;
}

static int scan(struct dom *d, uint64_t *ms)
{
	static struct batch b;
	uint64_t f, t0 = now_ms();

	for (f = 0; f < d->frames; f += BATCH) {
		size_t i, n = d->frames - f < BATCH ? d->frames - f : BATCH;

		map_batch(d, f, n, &b);
		for (i = 0; i < n; i++) {
			int e = b.err[i];

			d->state[f + i] = e == 0 ? 0 : e == ENOENT ? 2 : 1;
		}
		unmap_batch(d, &b);
	}
	*ms = now_ms() - t0;
	return 0;
}

static void print_dom(struct dom *d, uint64_t ms)
{
	uint64_t f, unpop = 0, paged = 0, ranges = 0;

	for (f = 0; f < d->frames; f++) {
		unpop += d->state[f] == 1;
		paged += d->state[f] == 2;
		ranges += d->state[f] == 1 && (f == 0 || d->state[f - 1] != 1);
	}
	printf("domid=%u type=%s frames=%" PRIu64 " populated=%" PRIu64
	       " unpopulated=%" PRIu64 " paged=%" PRIu64 " ranges=%" PRIu64
	       " tot_pages=%" PRIu64 " max_pages=%" PRIu64 " scan_ms=%" PRIu64,
	       d->domid, d->type, d->frames, d->frames - unpop, unpop, paged,
	       ranges, d->tot_pages, d->max_pages, ms);
}

static void print_ranges(struct dom *d)
{
	uint64_t f = 0, s;

	while (f < d->frames) {
		if (d->state[f] != 1) {
			f++;
			continue;
		}
		for (s = f; f < d->frames && d->state[f] == 1; f++)
			;
		printf("0x%" PRIx64 " 0x%" PRIx64 "\n", s, f);
	}
}

static int list_add(struct list *l, uint64_t s, uint64_t e)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct range *r = realloc(l->r, cap * sizeof(*r));

		if (!r)
			return -1;
		l->r = r;
		l->cap = cap;
	}
	l->r[l->n++] = (struct range){ s, e };
	return 0;
}

/* The text form: magic line, header up to an empty line, "0xS 0xE" lines. */
static int list_read(const char *path, struct list *l)
{
	FILE *fp = fopen(path, "r");
	char line[512];
	bool header = true;
	unsigned int lineno = 1;
	int ret = -1;

	if (!fp) {
		fprintf(stderr, "pz-xenverify: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!fgets(line, sizeof(line), fp) || strcmp(line, "prezero-xen-exclude 1\n")) {
		fprintf(stderr, "pz-xenverify: %s: not an exclude list\n", path);
		goto out;
	}
	while (fgets(line, sizeof(line), fp)) {
		uint64_t s, e;
		char sb[64], eb[64];

		lineno++;
		line[strcspn(line, "\n")] = 0;
		if (header) {
			if (!*line)
				header = false;
			else if (!strncmp(line, "scanned-frames: ", 16))
				parse_u64(line + 16, &l->scanned);
			else if (!strncmp(line, "excluded-frames: ", 17))
				parse_u64(line + 17, &l->excluded);
			continue;
		}
		if (sscanf(line, "%63s %63s", sb, eb) != 2 || parse_u64(sb, &s) ||
		    parse_u64(eb, &e) || s >= e ||
		    (l->n && s <= l->r[l->n - 1].end)) {
			fprintf(stderr, "pz-xenverify: %s:%u: bad range '%s'\n", path, lineno, line);
			goto out;
		}
		if (list_add(l, s, e))
			goto out;
	}
	ret = 0;
out:
	fclose(fp);
	return ret;
}

static bool in_list(const struct list *l, uint64_t f)
{
	size_t lo = 0, hi = l->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (f < l->r[mid].start)
			hi = mid;
		else if (f >= l->r[mid].end)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

static int cmd_check(struct dom *d, const char *path)
{
	struct list l = { 0 };
	uint64_t f, ms, listed = 0, bad_listed = 0, bad_unlisted = 0, holes = 0;
	uint64_t first_bad = ~0ULL;
	bool vga = !strcmp(d->type, "hvm");

	if (list_read(path, &l))
		return 2;
	if (l.scanned > d->frames)
		fprintf(stderr, "pz-xenverify: note: list scanned 0x%" PRIx64
			" frames, static-max is 0x%" PRIx64 "\n", l.scanned, d->frames);
	if (l.n && l.r[l.n - 1].end > d->frames) {
		fprintf(stderr, "pz-xenverify: list goes past static-max\n");
		free(l.r);
		return 1;
	}
	scan(d, &ms);
	for (f = 0; f < d->frames; f++) {
		bool listed_f = in_list(&l, f);
		bool unpop = d->state[f] == 1;

		listed += listed_f;
		if (listed_f && !unpop) {
			bad_listed++;
		} else if (!listed_f && unpop && f < (l.scanned ? l.scanned : d->frames)) {
			if (vga && f >= 0xa0 && f < 0xc0) {
				holes++;
				continue;
			}
			bad_unlisted++;
		} else {
			continue;
		}
		if (first_bad == ~0ULL)
			first_bad = f;
	}
	print_dom(d, ms);
	printf(" listed=%" PRIu64 " list_ranges=%zu listed_populated=%" PRIu64
	       " unlisted_unpopulated=%" PRIu64 " device_holes=%" PRIu64,
	       listed, l.n, bad_listed, bad_unlisted, holes);
	if (first_bad != ~0ULL)
		printf(" first_bad=0x%" PRIx64, first_bad);
	printf(" verdict=%s\n", bad_listed || bad_unlisted ? "disagree" : "agree");
	if (l.excluded != listed)
		fprintf(stderr, "pz-xenverify: header excluded-frames 0x%" PRIx64
			" but the ranges hold 0x%" PRIx64 "\n", l.excluded, listed);
	free(l.r);
	return bad_listed || bad_unlisted || l.excluded != listed;
}

static int cmd_dump(struct dom *d, const char *path)
{
	struct list l = { 0 };
	static char buf[BATCH * PAGE];
	static struct batch b;
	uint64_t f, t0, tried = 0, failed = 0, bytes = 0, sum = 0;

	if (path && list_read(path, &l))
		return 2;
	t0 = now_ms();
	for (f = 0; f < d->frames;) {
		size_t i, n = 0;

		/* a run of frames to read: outside the list, at most BATCH */
		while (f < d->frames && path && in_list(&l, f))
			f++;
		while (f + n < d->frames && n < BATCH && !(path && in_list(&l, f + n)))
			n++;
		if (!n)
			break;
		map_batch(d, f, n, &b);
		for (i = 0; i < n; i++) {
			tried++;
			if (b.err[i]) {
				failed++;
				continue;
			}
			memcpy(buf + i * PAGE, b.p + b.slot[i] * PAGE, PAGE);
			sum += (uint8_t)buf[i * PAGE + 17];
			bytes += PAGE;
		}
		unmap_batch(d, &b);
		f += n;
	}
	printf("domid=%u type=%s with_list=%s frames=%" PRIu64 " frames_tried=%" PRIu64
	       " frames_failed=%" PRIu64 " bytes_read=%" PRIu64 " bytes_tried=%" PRIu64
	       " ms=%" PRIu64 " sum=%" PRIu64 "\n", d->domid, d->type, path ? "yes" : "no",
	       d->frames, tried, failed, bytes, tried * PAGE, now_ms() - t0, sum % 1000);
	free(l.r);
	return 0;
}

/* ---- ELF cores ---------------------------------------------------------- */

#define CORE_DATA PAGE	/* IN's data offset: after the ELF and program header */

static bool page_is_zero(const uint8_t *p)
{
	size_t i;

	for (i = 0; i < PAGE; i++)
		if (p[i])
			return false;
	return true;
}

static int cmd_core(struct dom *d, const char *out)
{
	Elf64_Ehdr eh = { 0 };
	Elf64_Phdr ph = { 0 };
	static struct batch b;
	uint64_t f, written = 0;
	int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0)
		return die(out);
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_CORE;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_phoff = sizeof(eh);
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(ph);
	eh.e_phnum = 1;
	ph.p_type = PT_LOAD;
	ph.p_flags = PF_R | PF_W | PF_X;
	ph.p_offset = CORE_DATA;
	ph.p_paddr = 0;
	ph.p_filesz = ph.p_memsz = d->frames * PAGE;
	ph.p_align = PAGE;
	if (pwrite(fd, &eh, sizeof(eh), 0) != sizeof(eh) ||
	    pwrite(fd, &ph, sizeof(ph), sizeof(eh)) != sizeof(ph) ||
	    ftruncate(fd, CORE_DATA + d->frames * PAGE))
		goto err;
	for (f = 0; f < d->frames; f += BATCH) {
		size_t i, n = d->frames - f < BATCH ? d->frames - f : BATCH;

		map_batch(d, f, n, &b);
		for (i = 0; i < n; i++) {
			const uint8_t *p = b.p + (size_t)b.slot[i] * PAGE;

			if (b.err[i] || page_is_zero(p))
				continue;	/* a hole: reads as zeros */
			if (pwrite(fd, p, PAGE, CORE_DATA + (f + i) * PAGE) != (ssize_t)PAGE) {
				unmap_batch(d, &b);
				goto err;
			}
			written++;
		}
		unmap_batch(d, &b);
	}
	if (close(fd))
		return die(out);
	printf("core=%s frames=%" PRIu64 " written=%" PRIu64 "\n", out, d->frames, written);
	return 0;
err:
	close(fd);
	return die(out);
}

/* The PT_LOADs of an ELF64 core: (paddr, offset, filesz) triples. */
static int core_loads(int fd, const char *path, Elf64_Phdr **loads, size_t *n)
{
	Elf64_Ehdr eh;
	Elf64_Phdr *ph;
	size_t i;

	*n = 0;
	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(Elf64_Phdr) ||
	    eh.e_phnum == 0 || eh.e_phnum == PN_XNUM) {
		fprintf(stderr, "pz-xenverify: %s: not an ELF64 core we read\n", path);
		return -1;
	}
	ph = calloc(eh.e_phnum, sizeof(*ph));
	*loads = calloc(eh.e_phnum, sizeof(*ph));
	if (!ph || !*loads ||
	    pread(fd, ph, eh.e_phnum * sizeof(*ph), eh.e_phoff) != (ssize_t)(eh.e_phnum * sizeof(*ph))) {
		fprintf(stderr, "pz-xenverify: %s: cannot read program headers\n", path);
		free(ph);
		return -1;
	}
	for (i = 0; i < eh.e_phnum; i++)
		if (ph[i].p_type == PT_LOAD)
			(*loads)[(*n)++] = ph[i];
	free(ph);
	return 0;
}

static int cmd_corecheck(const char *in, const char *out, const char *path)
{
	struct list l = { 0 };
	Elf64_Phdr *li = NULL, *lo = NULL;
	size_t ni, no, i;
	uint64_t f, frames = 0, covered = 0, missing = 0, extra = 0, twice = 0, differ = 0;
	uint8_t *seen = NULL;
	static uint8_t a[PAGE], b[PAGE];
	int fi = open(in, O_RDONLY), fo = open(out, O_RDONLY), ret = 2;

	if (fi < 0 || fo < 0) {
		fprintf(stderr, "pz-xenverify: %s: %s\n", fi < 0 ? in : out, strerror(errno));
		goto out;
	}
	if (list_read(path, &l) || core_loads(fi, in, &li, &ni) || core_loads(fo, out, &lo, &no))
		goto out;
	if (ni != 1 || li[0].p_paddr || li[0].p_filesz % PAGE) {
		fprintf(stderr, "pz-xenverify: %s: not a core from pz-xenverify core\n", in);
		goto out;
	}
	frames = li[0].p_filesz / PAGE;
	seen = calloc(frames, 1);
	if (!seen)
		goto out;
	for (i = 0; i < no; i++) {
		uint64_t k, first = lo[i].p_paddr / PAGE;

		if (lo[i].p_paddr % PAGE || lo[i].p_filesz % PAGE ||
		    lo[i].p_filesz != lo[i].p_memsz || first + lo[i].p_filesz / PAGE > frames) {
			fprintf(stderr, "pz-xenverify: %s: PT_LOAD %zu: paddr 0x%" PRIx64
				" size 0x%" PRIx64 " not page-aligned or outside IN\n",
				out, i, (uint64_t)lo[i].p_paddr, (uint64_t)lo[i].p_filesz);
			ret = 1;
			goto out;
		}
		for (k = 0; k < lo[i].p_filesz / PAGE; k++) {
			f = first + k;
			twice += seen[f];
			seen[f] = 1;
			if (pread(fi, a, PAGE, li[0].p_offset + f * PAGE) != (ssize_t)PAGE ||
			    pread(fo, b, PAGE, lo[i].p_offset + k * PAGE) != (ssize_t)PAGE) {
				fprintf(stderr, "pz-xenverify: short read at frame 0x%" PRIx64 "\n", f);
				ret = 1;
				goto out;
			}
			differ += memcmp(a, b, PAGE) != 0;
		}
	}
	for (f = 0; f < frames; f++) {
		bool ex = in_list(&l, f);

		covered += seen[f];
		missing += !ex && !seen[f];
		extra += ex && seen[f];
	}
	printf("frames=%" PRIu64 " loads_out=%zu covered=%" PRIu64 " listed=%" PRIu64
	       " missing=%" PRIu64 " listed_covered=%" PRIu64 " twice=%" PRIu64
	       " differ=%" PRIu64 " verdict=%s\n", frames, no, covered, l.excluded, missing,
	       extra, twice, differ, missing || extra || twice || differ ? "bad" : "good");
	ret = missing || extra || twice || differ;
out:
	if (fi >= 0)
		close(fi);
	if (fo >= 0)
		close(fo);
	free(li);
	free(lo);
	free(seen);
	free(l.r);
	return ret;
}

static int usage(void)
{
	fprintf(stderr, "usage: pz-xenverify scan DOMID [--frames N] [--ranges]\n"
			"       pz-xenverify check DOMID FILE\n"
			"       pz-xenverify dump DOMID [--exclude FILE]\n"
			"       pz-xenverify core DOMID OUT\n"
			"       pz-xenverify corecheck IN OUT FILE\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct dom d = { 0 };
	uint64_t domid, frames = 0, ms;
	const char *file = NULL;
	bool ranges = false;
	int i, ret;

	if (argc == 5 && !strcmp(argv[1], "corecheck"))
		return cmd_corecheck(argv[2], argv[3], argv[4]);
	if (argc < 3 || parse_u64(argv[2], &domid) || domid >= DOMID_FIRST_RESERVED)
		return usage();
	for (i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--frames") && i + 1 < argc) {
			if (parse_u64(argv[++i], &frames) || !frames)
				return usage();
		} else if (!strcmp(argv[i], "--ranges")) {
			ranges = true;
		} else if (!strcmp(argv[i], "--exclude") && i + 1 < argc) {
			file = argv[++i];
		} else if (!file && argv[i][0] != '-') {
			file = argv[i];
		} else {
			return usage();
		}
	}
	if (strcmp(argv[1], "scan") && strcmp(argv[1], "check") && strcmp(argv[1], "dump") &&
	    strcmp(argv[1], "core"))
		return usage();
	if ((!strcmp(argv[1], "check") || !strcmp(argv[1], "core")) && !file)
		return usage();
	ret = dom_open(&d, domid, frames);
	if (ret)
		goto out;
	if (!strcmp(argv[1], "scan")) {
		scan(&d, &ms);
		print_dom(&d, ms);
		printf("\n");
		if (ranges)
			print_ranges(&d);
	} else if (!strcmp(argv[1], "check")) {
		ret = cmd_check(&d, file);
	} else if (!strcmp(argv[1], "core")) {
		ret = cmd_core(&d, file);
	} else {
		ret = cmd_dump(&d, file);
	}
out:
	dom_close(&d);
	return ret;
}
