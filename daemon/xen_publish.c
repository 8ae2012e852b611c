// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/*
 * Publishing a guest's exclude list (proto/xen-exclude.md): the text and
 * JSON files in [xen] dir, each written to a temporary file in the same
 * directory and renamed over the old one (a reader sees a whole old or a
 * whole new list; a full disk leaves the old one), and the copy in the
 * guest's xenstore tree, written in one transaction with generation last.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xenstore.h>

#include "log.h"
#include "xen.h"

/* An old list's header is in its first few hundred bytes. */
#define HEADER_MAX 4096
/* Transactions that xenstored asks to retry (EAGAIN) */
#define XS_RETRIES 8

void pzd_xen_publish_path(const char *dir, uint32_t domid, bool json,
			  char *buf, size_t len)
{
	snprintf(buf, len, "%s/%u.exclude%s", dir, domid, json ? ".json" : "");
}

uint64_t pzd_xen_publish_last_gen(const char *dir, uint32_t domid)
{
	char path[PATH_MAX], buf[HEADER_MAX];
	uint64_t gen = 0;
	ssize_t n;
	int fd;

	pzd_xen_publish_path(dir, domid, false, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n <= 0 || pzd_xen_file_generation(buf, (size_t)n, &gen)) {
		log_notice("xen: %s: no generation in it, starting over at 1",
			   path);
		return 0;
	}
	return gen;
}

static int mkdir_p(const char *dir)
{
	char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s", dir);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

/*
 * Write one file through a temporary in the same directory: write(f)
 * fills it; fsync, rename. 0, or -errno with the temporary gone and the
 * old file untouched.
 */
static int write_atomic(const char *dir, uint32_t domid, bool json,
			const struct pzd_xen_pub *p)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	FILE *f = NULL;
	int fd, ret = 0;

	pzd_xen_publish_path(dir, domid, json, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s/.%u.exclude%s.XXXXXX", dir, domid,
		 json ? ".json" : "");
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, 0644)) {
		ret = -errno;
		close(fd);
		goto out;
	}
	f = fdopen(fd, "w");
	if (!f) {
		ret = -errno;
		close(fd);
		goto out;
	}
	/* Streamed: a tree of a million ranges would cost ~200 MiB here. */
	if (json)
		ret = pz_exclude_write_json(f, &p->hdr, p->ranges);
	else
		ret = pz_exclude_write_text(f, &p->hdr, p->ranges);
	/* Every byte on disk before the name points at it. */
	if (!ret && (fflush(f) || fsync(fileno(f))))
		ret = -errno;
	if (fclose(f) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
out:
	if (ret)
		unlink(tmp);
	return ret;
}

int pzd_xen_publish_files(const char *dir, const struct pzd_xen_pub *p)
{
	int ret = mkdir_p(dir);

	if (!ret)
		ret = write_atomic(dir, p->hdr.domid, false, p);
	/* The JSON follows the text: a reader of either sees this list. */
	if (!ret)
		ret = write_atomic(dir, p->hdr.domid, true, p);
	if (ret)
		log_err("xen: domain %u: writing its exclude list in %s failed: %s; the old list stays",
			p->hdr.domid, dir, strerror(-ret));
	return ret;
}

/* ---- xenstore ------------------------------------------------------------- */

static bool xs_put(struct xs_handle *xs, xs_transaction_t t, const char *base,
		   const char *key, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static bool xs_put(struct xs_handle *xs, xs_transaction_t t, const char *base,
		   const char *key, const char *fmt, ...)
{
	char path[128], val[64];
	va_list ap;

	snprintf(path, sizeof(path), "%s/%s", base, key);
	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	return xs_write(xs, t, path, val, (unsigned int)strlen(val));
}

/* A directory only dom0 writes and the guest reads: n0 r<domid>. */
static bool xs_dir(struct xs_handle *xs, xs_transaction_t t, const char *path,
		   uint32_t domid)
{
	struct xs_permissions perms[2] = {
		{ .id = 0, .perms = XS_PERM_NONE },
		{ .id = domid, .perms = XS_PERM_READ },
	};

	return xs_mkdir(xs, t, path) &&
	       xs_set_permissions(xs, t, path, perms, 2);
}

static bool xs_fill(struct xs_handle *xs, xs_transaction_t t,
		    const struct pzd_xen_pub *p, const char *chunks, int nchunks)
{
	const struct pz_exclude_hdr *h = &p->hdr;
	char top[48], base[64], path[128];

	snprintf(top, sizeof(top), "/local/domain/%u/prezero", h->domid);
	snprintf(base, sizeof(base), "%s/exclude", top);
	/* Whatever was there (an old, longer list) goes. */
	xs_rm(xs, t, base);
	/* Nodes inherit their parent's permissions: set them on both
	 * directories, the guest owns /local/domain/<domid> itself. */
	if (!xs_dir(xs, t, top, h->domid) || !xs_dir(xs, t, base, h->domid))
		return false;
	if (!xs_put(xs, t, base, "page-size", "%u", h->page_size) ||
	    !xs_put(xs, t, base, "scanned-frames", "0x%llx",
		    (unsigned long long)h->scanned_frames) ||
	    !xs_put(xs, t, base, "excluded-frames", "0x%llx",
		    (unsigned long long)p->ranges->frames) ||
	    !xs_put(xs, t, base, "ranges", "%zu", p->ranges->n) ||
	    !xs_put(xs, t, base, "complete", "%s", h->complete ? "yes" : "no") ||
	    !xs_put(xs, t, base, "list-complete", "%s",
		    nchunks >= 0 ? "yes" : "no"))
		return false;
	for (int i = 0; i < nchunks; i++) {
		const char *v = chunks + (size_t)i * (PZD_XEN_XS_CHUNK + 1);

		snprintf(path, sizeof(path), "%s/list/%d", base, i);
		if (!xs_write(xs, t, path, v, (unsigned int)strlen(v)))
			return false;
	}
	/* Last: a guest that watches it reads a whole list. */
	return xs_put(xs, t, base, "generation", "%llu",
		      (unsigned long long)h->generation);
}

int pzd_xen_publish_xenstore(void *xsh, const struct pzd_xen_pub *p)
{
	struct xs_handle *xs = xsh;
	char *chunks;
	int nchunks, err = 0;

	chunks = malloc((size_t)PZD_XEN_XS_NODES * (PZD_XEN_XS_CHUNK + 1));
	if (!chunks) {
		log_err("xen: domain %u: xenstore copy: out of memory",
			p->hdr.domid);
		return -ENOMEM;
	}
	/* -E2BIG: a summary and the generation only. */
	nchunks = pzd_xen_list_chunks(p->ranges->r, p->ranges->n, chunks,
				      PZD_XEN_XS_CHUNK, PZD_XEN_XS_NODES);
	for (int i = 0; i < XS_RETRIES; i++) {
		xs_transaction_t t = xs_transaction_start(xs);

		if (t == XBT_NULL) {
			err = errno;
			break;
		}
		if (!xs_fill(xs, t, p, chunks, nchunks)) {
			err = errno;
			xs_transaction_end(xs, t, true);
			break;
		}
		if (xs_transaction_end(xs, t, false)) {
			err = 0;
			break;
		}
		err = errno;
		if (err != EAGAIN)
			break;
	}
	free(chunks);
	if (err)
		log_warning("xen: domain %u: writing the xenstore copy failed: %s",
			    p->hdr.domid, strerror(err));
	return -err;
}

void pzd_xen_unpublish(const char *dir, void *xsh, uint32_t domid)
{
	char path[PATH_MAX];

	for (int json = 0; json < 2; json++) {
		pzd_xen_publish_path(dir, domid, json, path, sizeof(path));
		if (unlink(path) && errno != ENOENT)
			log_warning("xen: %s: %s", path, strerror(errno));
	}
	/* Usually gone with the domain's tree already. */
	snprintf(path, sizeof(path), "/local/domain/%u/prezero", domid);
	if (xsh)
		xs_rm(xsh, XBT_NULL, path);
}

void pzd_xen_publish_sweep(const char *dir,
			   bool (*alive)(void *ud, uint32_t domid), void *ud)
{
	DIR *dh = opendir(dir);
	struct dirent *e;

	if (!dh)
		return;
	while ((e = readdir(dh))) {
		uint32_t domid;
		bool temp;

		if (pzd_xen_file_domid(e->d_name, &domid, &temp))
			continue;
		/* A temporary is a write cut short by a crash. */
		if (!temp && alive(ud, domid))
			continue;
		if (unlinkat(dirfd(dh), e->d_name, 0) && errno != ENOENT)
			log_warning("xen: %s/%s: %s", dir, e->d_name,
				    strerror(errno));
		else if (!temp)
			log_info("xen: %s/%s: domain %u is gone, list removed",
				 dir, e->d_name, domid);
	}
	closedir(dh);
}
