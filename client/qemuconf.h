/* SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause */
/*
 * qemuconf: the settings of libvirt's QEMU driver config (qemu.conf) that
 * say where QEMU maps a file-backed guest's memory and as whom QEMU runs:
 * memory_backing_dir, user, group. The syntax is libvirt's virconf: lines
 * of `key = value`, `#` comments, values "string", 'string', """string"""
 * (may span lines), numbers, and [lists] that may span lines; statements
 * end at a newline or ';'. The first assignment of a key wins, as in
 * libvirt.
 */
#ifndef PREZERO_CLIENT_QEMUCONF_H
#define PREZERO_CLIENT_QEMUCONF_H

#include <stddef.h>
#include <sys/types.h>

#define PZ_QEMU_CONF_PATH "/etc/libvirt/qemu.conf"
/* Environment variable naming another file (tests). */
#define PZ_QEMU_CONF_ENV "PREZERO_QEMU_CONF"
/* A larger file is refused (Debian's is 37 KB). */
#define PZ_QEMU_CONF_MAX (1u << 20)

/* libvirt 9.0's defaults as Debian 12 builds it (meson -Dqemu_user=
 * libvirt-qemu -Dqemu_group=libvirt-qemu; qemu_conf.c: memoryBackingDir
 * is "<localstatedir>/lib/libvirt/qemu/ram"). */
#define PZ_QEMU_MEMORY_BACKING_DIR "/var/lib/libvirt/qemu/ram"
#define PZ_QEMU_USER "libvirt-qemu"
#define PZ_QEMU_GROUP "libvirt-qemu"

struct pz_qemu_conf {
	/* The directory libvirt makes its per-domain directories in: the
	 * file's memory_backing_dir + "/libvirt/qemu", or the default. */
	char *memory_backing_dir;
	char *user;
	char *group;
};

/*
 * Parse a config text of len bytes; settings not in it get the defaults.
 * Returns 0, or -EINVAL (syntax, or a key of ours that is not a string)
 * or -ENOMEM with "LINE: reason" in err. On error *c is empty.
 */
int pz_qemu_conf_parse(const char *text, size_t len, struct pz_qemu_conf *c,
		       char *err, size_t errlen);

/* path if not NULL, else $PREZERO_QEMU_CONF if set and not empty, else
 * PZ_QEMU_CONF_PATH. */
const char *pz_qemu_conf_path(const char *path);

/*
 * Read and parse the file pz_qemu_conf_path(path). A missing file gives
 * the defaults (so does libvirt). Errors as pz_qemu_conf_parse(), plus
 * -errno from reading and -EFBIG (larger than PZ_QEMU_CONF_MAX); err then
 * starts with the path.
 */
int pz_qemu_conf_load(const char *path, struct pz_qemu_conf *c,
		      char *err, size_t errlen);

void pz_qemu_conf_free(struct pz_qemu_conf *c);

/*
 * A user or group as libvirt resolves qemu.conf's (virGetUserID()): "+N"
 * is the number N; otherwise the name, and if no such name exists, the
 * name read as a number. Returns 0, -ENOENT (no such name, not a number)
 * or -EINVAL ("+" not followed by a number).
 */
int pz_qemu_uid(const char *user, uid_t *uid);
int pz_qemu_gid(const char *group, gid_t *gid);

#endif /* PREZERO_CLIENT_QEMUCONF_H */
