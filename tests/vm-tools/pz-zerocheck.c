// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/*
 * pz-zerocheck: does memory handed out as "zeroed" read back zero?
 *
 *   pz-zerocheck [--holes-ok] FILE...
 *       Map each FILE read-only (MAP_SHARED: a hugetlbfs file is mapped
 *       without reserving new pages) and check that every byte is zero.
 *       A file that is not fully allocated (st_blocks) is refused unless
 *       --holes-ok, since reading a hole would allocate fresh zero pages
 *       (on hugetlbfs and tmpfs) and prove nothing. One line per file:
 *         FILE: size=N allocated=A checked=N nonzero=0 zero=yes
 *         FILE: size=N allocated=A checked=N nonzero=K zero=no first=OFF byte=0xBB
 *       (nonzero: how many bytes are not zero; first: offset of the first).
 *
 *   pz-zerocheck --pattern [--from OFFSET] FILE
 *       Negative control: write a non-zero byte pattern into FILE from
 *       OFFSET (default 0) to its end, through a shared mapping (hugetlbfs
 *       has no write()). A check of FILE then reports first=OFFSET.
 *
 *   pz-zerocheck --alloc SIZE [--step BYTES] [--hold SECONDS]
 *       A memory hog that checks what it gets: map SIZE bytes of anonymous
 *       memory and fault it in page by page; each page gets one byte
 *       written (the fault), then the rest of it must read zero, then it is
 *       filled. Prints, with times in seconds on CLOCK_BOOTTIME (the clock
 *       of /proc/uptime):
 *         alloc: SIZE bytes, started at T
 *         alloc: B bytes at T            every --step bytes (default 16M)
 *         alloc: done B bytes at T, nonzero_pages=K
 *       then holds the memory for --hold SECONDS (default 0; SIGTERM ends
 *       the hold early) and exits.
 *
 * The check compares 64-bit words (one OR over each 4 KiB block) and
 * looks at single bytes only in a block that is not zero.
 * Exit status: 0 all zero (or pattern written), 1 a non-zero byte was
 * found, 2 usage, 3 an error (open, mmap, a file not fully allocated).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "number.h"
#include "size.h"

#define BLOCK		4096
#define WORDS		(BLOCK / sizeof(uint64_t))
#define PATTERN		0xa5

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: pz-zerocheck [--holes-ok] FILE...\n"
		"       pz-zerocheck --pattern [--from OFFSET] FILE\n"
		"       pz-zerocheck --alloc SIZE [--step BYTES] [--hold SECONDS]\n");
	return 2;
}

/* OR of the words of one block: 0 exactly when the block is all zero. */
static uint64_t block_or(const uint64_t *w, size_t nwords)
{
	uint64_t acc = 0;
	size_t i;

	for (i = 0; i < nwords; i++)
		acc |= w[i];
	return acc;
}

struct scan {
	uint64_t nonzero;	/* bytes that are not zero */
	uint64_t first;		/* offset of the first, valid if nonzero */
	unsigned char byte;	/* its value */
};

/* Count the non-zero bytes of p[0..len) at file offset off. */
static void scan_bytes(const unsigned char *p, size_t len, uint64_t off,
		       struct scan *s)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (!p[i])
			continue;
		if (!s->nonzero) {
			s->first = off + i;
			s->byte = p[i];
		}
		s->nonzero++;
	}
}

/* Scan len bytes at p (page aligned) for non-zero bytes. */
static void scan_zero(const unsigned char *p, uint64_t len, struct scan *s)
{
	uint64_t off;

	for (off = 0; off + BLOCK <= len; off += BLOCK)
		if (block_or((const uint64_t *)(p + off), WORDS))
			scan_bytes(p + off, BLOCK, off, s);
	if (off < len)
		scan_bytes(p + off, (size_t)(len - off), off, s);
}

/* Check one file; returns the exit status for it. */
static int check_file(const char *path, bool holes_ok)
{
	struct scan s = { 0 };
	uint64_t size, alloc;
	struct stat st;
	void *map;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "pz-zerocheck: %s: %s\n", path, strerror(errno));
		return 3;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "pz-zerocheck: %s: not a regular file\n", path);
		close(fd);
		return 3;
	}
	size = (uint64_t)st.st_size;
	alloc = (uint64_t)st.st_blocks * 512;
	if (alloc < size && !holes_ok) {
		fprintf(stderr,
			"pz-zerocheck: %s: not fully allocated (%" PRIu64
			" of %" PRIu64 " bytes); reading it would allocate\n",
			path, alloc, size);
		close(fd);
		return 3;
	}
	if (size > SIZE_MAX) {
		fprintf(stderr, "pz-zerocheck: %s: too large\n", path);
		close(fd);
		return 3;
	}
	if (size) {
		map = mmap(NULL, (size_t)size, PROT_READ, MAP_SHARED, fd, 0);
		if (map == MAP_FAILED) {
			fprintf(stderr, "pz-zerocheck: %s: mmap: %s\n", path,
				strerror(errno));
			close(fd);
			return 3;
		}
		madvise(map, (size_t)size, MADV_SEQUENTIAL);
		scan_zero(map, size, &s);
		munmap(map, (size_t)size);
	}
	close(fd);
	printf("%s: size=%" PRIu64 " allocated=%" PRIu64 " checked=%" PRIu64
	       " nonzero=%" PRIu64, path, size, alloc, size, s.nonzero);
	if (s.nonzero)
		printf(" zero=no first=%" PRIu64 " byte=0x%02x\n", s.first,
		       s.byte);
	else
		printf(" zero=yes\n");
	return s.nonzero ? 1 : 0;
}

static int write_pattern(const char *path, uint64_t from)
{
	struct stat st;
	unsigned char *map;
	size_t size;
	int fd, ret = 0;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "pz-zerocheck: %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 3;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size <= from) {
		fprintf(stderr, "pz-zerocheck: %s: not a regular file larger than %" PRIu64 " bytes\n",
			path, from);
		close(fd);
		return 3;
	}
	size = (size_t)st.st_size;
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		fprintf(stderr, "pz-zerocheck: %s: mmap: %s\n", path,
			strerror(errno));
		close(fd);
		return 3;
	}
	memset(map + from, PATTERN, size - (size_t)from);
	if (msync(map, size, MS_SYNC) < 0) {
		fprintf(stderr, "pz-zerocheck: %s: msync: %s\n", path,
			strerror(errno));
		ret = 3;
	}
	munmap(map, size);
	close(fd);
	if (!ret)
		printf("%s: pattern 0x%02x written from offset %" PRIu64
		       " (%" PRIu64 " bytes)\n", path, PATTERN, from,
		       (uint64_t)size - from);
	return ret;
}

static int alloc_hog(uint64_t size, uint64_t step, unsigned long hold)
{
	long page = sysconf(_SC_PAGESIZE);
	uint64_t off, next, bad = 0;
	struct sigaction sa;
	unsigned char *p;
	double end;

	if (page <= 0)
		page = BLOCK;
	size = (size + (uint64_t)page - 1) / (uint64_t)page * (uint64_t)page;
	if (size > SIZE_MAX) {
		fprintf(stderr, "pz-zerocheck: --alloc: size too large\n");
		return 3;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	p = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "pz-zerocheck: --alloc: mmap %" PRIu64 ": %s\n",
			size, strerror(errno));
		return 3;
	}
	printf("alloc: %" PRIu64 " bytes, started at %.3f\n", size, now_s());
	fflush(stdout);
	next = step;
	for (off = 0; off < size; off += (uint64_t)page) {
		unsigned char *pg = p + off;

		/* The write faults in a fresh page; the rest of it must be 0. */
		pg[0] = PATTERN;
		__asm__ __volatile__("" : : "r"(pg) : "memory");
		if (block_or((const uint64_t *)pg + 1,
			     (size_t)page / sizeof(uint64_t) - 1) ||
		    pg[1] || pg[2] || pg[3] || pg[4] || pg[5] || pg[6] ||
		    pg[7]) {
			if (!bad)
				printf("alloc: page at offset %" PRIu64
				       " was not zero\n", off);
			bad++;
		}
		memset(pg, PATTERN, (size_t)page);
		if (off + (uint64_t)page >= next) {
			printf("alloc: %" PRIu64 " bytes at %.3f\n",
			       off + (uint64_t)page, now_s());
			fflush(stdout);
			next += step;
		}
	}
	__asm__ __volatile__("" : : "r"(p) : "memory");
	printf("alloc: done %" PRIu64 " bytes at %.3f, nonzero_pages=%" PRIu64
	       "\n", size, now_s(), bad);
	fflush(stdout);
	end = now_s() + (double)hold;
	while (!stop && now_s() < end)
		usleep(50000);
	munmap(p, (size_t)size);
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	uint64_t from = 0, size = 0, step = UINT64_C(16) << 20;
	unsigned long hold = 0;
	bool holes_ok = false, pattern = false, alloc = false;
	bool has_from = false, has_step = false, has_hold = false;
	const char *why;
	int i, ret = 0, r;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *o = argv[i];

		if (!strcmp(o, "--")) {
			i++;
			break;
		}
		if (!strcmp(o, "--holes-ok")) {
			holes_ok = true;
		} else if (!strcmp(o, "--pattern")) {
			pattern = true;
		} else if (!strcmp(o, "--alloc") || !strcmp(o, "--from") ||
			   !strcmp(o, "--step")) {
			uint64_t v;

			if (i + 1 >= argc)
				return usage();
			if (pz_parse_size(argv[++i], UINT64_MAX, &v, &why) < 0) {
				fprintf(stderr, "pz-zerocheck: %s '%s': %s\n",
					o, argv[i], why);
				return 2;
			}
			if (!strcmp(o, "--alloc")) {
				alloc = true;
				size = v;
			} else if (!strcmp(o, "--from")) {
				from = v;
				has_from = true;
			} else {
				step = v;
				has_step = true;
			}
		} else if (!strcmp(o, "--hold")) {
			if (i + 1 >= argc ||
			    pz_parse_uint(argv[++i], 0, 86400, &hold) < 0)
				return usage();
			has_hold = true;
		} else {
			return usage();
		}
	}
	if (alloc) {
		if (i != argc || pattern || holes_ok || has_from || !size ||
		    !step)
			return usage();
		return alloc_hog(size, step, hold);
	}
	if (pattern) {
		if (i + 1 != argc || holes_ok || has_step || has_hold)
			return usage();
		return write_pattern(argv[i], from);
	}
	if (i == argc || has_from || has_step || has_hold)
		return usage();
	for (; i < argc; i++) {
		r = check_file(argv[i], holes_ok);
		/* the worst: an error (3) over a non-zero byte (1) */
		if (r > ret)
			ret = r;
	}
	return ret;
}
