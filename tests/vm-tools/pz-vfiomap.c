// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/*
 * pz-vfiomap: what QEMU does with a VM's RAM when a PCI device is passed
 * through, timed: VFIO container, group and device, the guest RAM mapped
 * into the process, then VFIO_IOMMU_MAP_DMA of it (QEMU issues one per RAM
 * block; here the RAM is one block), in which the kernel faults in (and
 * zeroes) every page that is not there yet and pins it.
 *
 *   pz-vfiomap [--size SIZE] [--reps N] [--file PATH] DEVICE BACKING
 *
 *   DEVICE    PCI address of a device bound to vfio-pci ("0000:00:02.0")
 *   BACKING   anon      anonymous memory with MADV_HUGEPAGE, never touched
 *                       (a cold VM start: MAP_DMA zeroes every page)
 *             resident  the same, populated with MADV_POPULATE_WRITE before
 *                       the clock starts (the pin-only limit)
 *             file      --file PATH mapped MAP_SHARED (QEMU's
 *                       memory-backend-file,share=on): a hugetlbfs or
 *                       tmpfs file, e.g. one claimed from prezerod's pool
 *   --size    bytes to map (default 1G; for a file: the file's size, and
 *             a larger SIZE is an error)
 *   --reps    map/unmap cycles, each on a fresh mapping (default 1); a
 *             file keeps its pages, so later cycles find them resident
 *
 * Only the MAP_DMA ioctl is timed (CLOCK_MONOTONIC, and the thread's CPU
 * time); UNMAP_DMA is timed separately. Anonymous memory is aligned to
 * 2 MiB as QEMU aligns it, so THP can back all of it. Prints one JSON line
 * per cycle:
 *   {"backing": "anon", "rep": 1, "size": N, "map_s": S, "map_cpu_s": C,
 *    "unmap_s": U, "populate_s": P|null, "resident_bytes": R,
 *    "huge_bytes": H, "file_bytes": F|null, "file_populated_bytes": B|null}
 * resident_bytes and huge_bytes come from /proc/self/smaps after the map
 * (Rss plus hugetlb; THP, PMD-mapped shmem/file and hugetlb pages): how
 * much of the mapping the pin faulted in, and how much of it huge pages.
 * file_populated_bytes is the file's st_blocks before the map: a pool file
 * must be fully populated already.
 * Exit status: 0 done, 1 failure, 2 usage.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "number.h"
#include "size.h"

#define PMD_BYTES (UINT64_C(2) << 20)

enum backing { B_ANON, B_RESIDENT, B_FILE };

static const char *const backing_names[] = {
	[B_ANON] = "anon", [B_RESIDENT] = "resident", [B_FILE] = "file",
};

struct vfio {
	int container;
	int group;
	int device;
};

/* One mapping of guest RAM and what it cost to make it. */
struct ram {
	void *addr;
	uint64_t size;
	size_t map_len;		/* what to munmap */
	double populate_s;	/* < 0: not populated up front */
	int64_t file_bytes;	/* < 0: no file */
	int64_t file_populated;
};

static double seconds(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: pz-vfiomap [--size SIZE] [--reps N] [--file PATH] DEVICE anon|resident|file\n");
	return 2;
}

/* The IOMMU group of a PCI device, from its sysfs iommu_group link. */
static int device_group(const char *dev, long *group)
{
	char path[PATH_MAX], target[PATH_MAX];
	unsigned long g;
	ssize_t n;

	if (strchr(dev, '/')) {
		fprintf(stderr, "pz-vfiomap: '%s' is not a PCI address\n", dev);
		return -1;
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", dev);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0) {
		fprintf(stderr, "pz-vfiomap: %s: %s (no such device, or no IOMMU)\n",
			path, strerror(errno));
		return -1;
	}
	target[n] = '\0';
	if (pz_parse_uint(basename(target), 0, INT_MAX, &g) < 0) {
		fprintf(stderr, "pz-vfiomap: %s points to '%s', not a group\n",
			path, target);
		return -1;
	}
	*group = (long)g;
	return 0;
}

static void vfio_close(struct vfio *v)
{
	if (v->device >= 0)
		close(v->device);
	if (v->group >= 0)
		close(v->group);
	if (v->container >= 0)
		close(v->container);
}

/* QEMU's order: container, group (viable, into the container), the type1v2
 * IOMMU, then the device itself. */
static int vfio_open(const char *dev, struct vfio *v)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char path[64];
	long group;
	int ret;

	v->container = v->group = v->device = -1;
	if (device_group(dev, &group) < 0)
		return -1;
	v->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (v->container < 0) {
		fprintf(stderr, "pz-vfiomap: /dev/vfio/vfio: %s\n", strerror(errno));
		goto err;
	}
	ret = ioctl(v->container, VFIO_GET_API_VERSION);
	if (ret != VFIO_API_VERSION) {
		fprintf(stderr, "pz-vfiomap: VFIO API version %d, want %d\n",
			ret, VFIO_API_VERSION);
		goto err;
	}
	if (ioctl(v->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) <= 0) {
		fprintf(stderr, "pz-vfiomap: no type1v2 IOMMU (vfio_iommu_type1 not loaded?)\n");
		goto err;
	}
	snprintf(path, sizeof(path), "/dev/vfio/%ld", group);
	v->group = open(path, O_RDWR | O_CLOEXEC);
	if (v->group < 0) {
		fprintf(stderr, "pz-vfiomap: %s: %s (is %s bound to vfio-pci?)\n",
			path, strerror(errno), dev);
		goto err;
	}
	if (ioctl(v->group, VFIO_GROUP_GET_STATUS, &status) < 0) {
		fprintf(stderr, "pz-vfiomap: VFIO_GROUP_GET_STATUS: %s\n", strerror(errno));
		goto err;
	}
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		fprintf(stderr, "pz-vfiomap: group %ld is not viable (bind all its devices to vfio-pci)\n",
			group);
		goto err;
	}
	if (ioctl(v->group, VFIO_GROUP_SET_CONTAINER, &v->container) < 0) {
		fprintf(stderr, "pz-vfiomap: VFIO_GROUP_SET_CONTAINER: %s\n", strerror(errno));
		goto err;
	}
	if (ioctl(v->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) < 0) {
		fprintf(stderr, "pz-vfiomap: VFIO_SET_IOMMU: %s\n", strerror(errno));
		goto err;
	}
	v->device = ioctl(v->group, VFIO_GROUP_GET_DEVICE_FD, dev);
	if (v->device < 0) {
		fprintf(stderr, "pz-vfiomap: VFIO_GROUP_GET_DEVICE_FD %s: %s\n",
			dev, strerror(errno));
		goto err;
	}
	return 0;
err:
	vfio_close(v);
	return -1;
}

/*
 * Anonymous RAM as QEMU maps it: aligned to 2 MiB (more than the kernel
 * promises for a plain mmap), MADV_HUGEPAGE. Over-map by 2 MiB and cut.
 */
static int ram_anon(struct ram *r, uint64_t size, int populate)
{
	size_t len = (size_t)size + PMD_BYTES;
	uintptr_t base, start;
	void *p;
	double t0;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "pz-vfiomap: mmap %" PRIu64 " bytes: %s\n",
			size, strerror(errno));
		return -1;
	}
	base = (uintptr_t)p;
	start = (base + PMD_BYTES - 1) & ~(uintptr_t)(PMD_BYTES - 1);
	if (start > base)
		munmap(p, start - base);
	if (base + len > start + size)
		munmap((void *)(start + size), base + len - (start + size));
	r->addr = (void *)start;
	r->map_len = (size_t)size;
	if (madvise(r->addr, r->map_len, MADV_HUGEPAGE) < 0) {
		fprintf(stderr, "pz-vfiomap: MADV_HUGEPAGE: %s\n", strerror(errno));
		goto err;
	}
	if (populate) {
		t0 = seconds(CLOCK_MONOTONIC);
		if (madvise(r->addr, r->map_len, MADV_POPULATE_WRITE) < 0) {
			fprintf(stderr, "pz-vfiomap: MADV_POPULATE_WRITE: %s\n",
				strerror(errno));
			goto err;
		}
		r->populate_s = seconds(CLOCK_MONOTONIC) - t0;
	}
	return 0;
err:
	munmap(r->addr, r->map_len);
	return -1;
}

/* A file as memory-backend-file,share=on maps it. size 0: the file's. */
static int ram_file(struct ram *r, const char *path, uint64_t *size)
{
	struct stat st;
	int fd;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "pz-vfiomap: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size <= 0) {
		fprintf(stderr, "pz-vfiomap: %s: not a non-empty regular file\n", path);
		goto err;
	}
	if (!*size)
		*size = (uint64_t)st.st_size;
	if (*size > (uint64_t)st.st_size) {
		fprintf(stderr, "pz-vfiomap: %s has %jd bytes, %" PRIu64 " asked for\n",
			path, (intmax_t)st.st_size, *size);
		goto err;
	}
	r->file_bytes = st.st_size;
	r->file_populated = (int64_t)st.st_blocks * 512;
	r->map_len = (size_t)*size;
	r->addr = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (r->addr == MAP_FAILED) {
		fprintf(stderr, "pz-vfiomap: mmap %s: %s\n", path, strerror(errno));
		goto err;
	}
	close(fd);	/* the mapping keeps the file */
	return 0;
err:
	close(fd);
	return -1;
}

/*
 * Sum the smaps fields of the mapping that starts at addr: Rss and the
 * hugetlb counts (hugetlb pages are not in Rss), and the huge pages among
 * them.
 */
static int smaps_usage(const void *addr, uint64_t *resident, uint64_t *huge)
{
	static const char *const huge_keys[] = {
		"AnonHugePages:", "ShmemPmdMapped:", "FilePmdMapped:",
		"Shared_Hugetlb:", "Private_Hugetlb:",
	};
	char line[512], key[64], head[32];
	unsigned long long kb;
	int in = 0, found = 0;
	size_t i;
	FILE *f;

	*resident = *huge = 0;
	f = fopen("/proc/self/smaps", "re");
	if (!f)
		return -1;
	snprintf(head, sizeof(head), "%lx-", (unsigned long)(uintptr_t)addr);
	while (fgets(line, sizeof(line), f)) {
		/* a mapping's header starts with its address range (lower-case
		 * hex), its fields with a capitalised name */
		if (isdigit((unsigned char)line[0]) ||
		    (line[0] >= 'a' && line[0] <= 'f')) {
			in = !strncmp(line, head, strlen(head));
			found |= in;
			continue;
		}
		if (!in || sscanf(line, "%63s %llu kB", key, &kb) != 2)
			continue;
		if (!strcmp(key, "Rss:") || !strcmp(key, "Shared_Hugetlb:") ||
		    !strcmp(key, "Private_Hugetlb:"))
			*resident += kb << 10;
		for (i = 0; i < sizeof(huge_keys) / sizeof(huge_keys[0]); i++)
			if (!strcmp(key, huge_keys[i]))
				*huge += kb << 10;
	}
	fclose(f);
	return found ? 0 : -1;
}

/* ", name: value" or ", name: null" for a negative value */
static void json_secs(const char *name, double v)
{
	if (v < 0)
		printf(", \"%s\": null", name);
	else
		printf(", \"%s\": %.6f", name, v);
}

static void json_int(const char *name, int64_t v)
{
	if (v < 0)
		printf(", \"%s\": null", name);
	else
		printf(", \"%s\": %" PRId64, name, v);
}

/* One cycle: map the RAM, MAP_DMA (timed), look, UNMAP_DMA (timed). */
static int cycle(struct vfio *v, enum backing b, const char *file,
		 uint64_t size, unsigned long rep)
{
	struct ram r = { .populate_s = -1, .file_bytes = -1, .file_populated = -1 };
	struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map) };
	struct vfio_iommu_type1_dma_unmap unmap = { .argsz = sizeof(unmap) };
	double t0, t1, c0, c1, u0, u1;
	uint64_t resident, huge;
	int ret = -1;

	if (b == B_FILE ? ram_file(&r, file, &size) : ram_anon(&r, size, b == B_RESIDENT))
		return -1;
	r.size = size;
	map.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	map.vaddr = (uintptr_t)r.addr;
	map.iova = 0;
	map.size = size;

	t0 = seconds(CLOCK_MONOTONIC);
	c0 = seconds(CLOCK_THREAD_CPUTIME_ID);
	if (ioctl(v->container, VFIO_IOMMU_MAP_DMA, &map) < 0) {
		fprintf(stderr, "pz-vfiomap: VFIO_IOMMU_MAP_DMA %" PRIu64 " bytes: %s\n",
			size, strerror(errno));
		goto out;
	}
	c1 = seconds(CLOCK_THREAD_CPUTIME_ID);
	t1 = seconds(CLOCK_MONOTONIC);

	if (smaps_usage(r.addr, &resident, &huge) < 0) {
		fprintf(stderr, "pz-vfiomap: mapping not found in /proc/self/smaps\n");
		resident = huge = 0;
	}

	unmap.iova = 0;
	unmap.size = size;
	u0 = seconds(CLOCK_MONOTONIC);
	if (ioctl(v->container, VFIO_IOMMU_UNMAP_DMA, &unmap) < 0) {
		fprintf(stderr, "pz-vfiomap: VFIO_IOMMU_UNMAP_DMA: %s\n", strerror(errno));
		goto out;
	}
	u1 = seconds(CLOCK_MONOTONIC);
	if (unmap.size != size) {
		fprintf(stderr, "pz-vfiomap: UNMAP_DMA unmapped %llu bytes, %" PRIu64 " mapped\n",
			(unsigned long long)unmap.size, size);
		goto out;
	}

	printf("{\"backing\": \"%s\", \"rep\": %lu, \"size\": %" PRIu64
	       ", \"map_s\": %.6f, \"map_cpu_s\": %.6f, \"unmap_s\": %.6f",
	       backing_names[b], rep, size, t1 - t0, c1 - c0, u1 - u0);
	json_secs("populate_s", r.populate_s);
	printf(", \"resident_bytes\": %" PRIu64 ", \"huge_bytes\": %" PRIu64,
	       resident, huge);
	json_int("file_bytes", r.file_bytes);
	json_int("file_populated_bytes", r.file_populated);
	printf("}\n");
	fflush(stdout);
	ret = 0;
out:
	munmap(r.addr, r.map_len);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "size", required_argument, NULL, 's' },
		{ "reps", required_argument, NULL, 'r' },
		{ "file", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t size = 0;
	unsigned long reps = 1, i;
	const char *file = NULL, *why;
	struct vfio v;
	enum backing b;
	int c, ret = 0;

	while ((c = getopt_long(argc, argv, "s:r:f:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (pz_parse_size(optarg, SIZE_MAX / 2, &size, &why) < 0) {
				fprintf(stderr, "pz-vfiomap: invalid size '%s': %s\n",
					optarg, why);
				return 2;
			}
			if (!size || size % 4096) {
				fprintf(stderr, "pz-vfiomap: size must be a non-zero multiple of 4 KiB\n");
				return 2;
			}
			break;
		case 'r':
			if (pz_parse_uint(optarg, 1, 1000, &reps) < 0) {
				fprintf(stderr, "pz-vfiomap: --reps wants 1..1000\n");
				return 2;
			}
			break;
		case 'f':
			file = optarg;
			break;
		default:
			return usage();
		}
	}
	if (argc - optind != 2)
		return usage();
	for (b = B_ANON; b <= B_FILE; b++)
		if (!strcmp(argv[optind + 1], backing_names[b]))
			break;
	if (b > B_FILE)
		return usage();
	if ((b == B_FILE) != !!file) {
		fprintf(stderr, "pz-vfiomap: --file goes with backing 'file' (and only there)\n");
		return 2;
	}
	if (b != B_FILE && !size)
		size = UINT64_C(1) << 30;

	if (vfio_open(argv[optind], &v) < 0)
		return 1;
	for (i = 1; i <= reps && !ret; i++)
		if (cycle(&v, b, file, size, i) < 0)
			ret = 1;
	vfio_close(&v);
	return ret;
}
