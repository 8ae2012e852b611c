// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/*
 * The pure parts of prezerod's Xen support: everything that reads a
 * string another program wrote (xenstore values, watch paths, an old
 * list file) is strict here, so a bad value is one clear "no".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xen_parse.h"

#define DOMAIN_PREFIX "/local/domain/"

int pzd_xen_parse_kib(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!s || !len || (s[0] == '0' && len > 1))
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned int d = (unsigned int)(s[i] - '0');

		if (d > max || v > (max - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* Leading decimal domid of s (no leading zeros): its end, NULL if none. */
static const char *parse_domid_prefix(const char *s, uint32_t *domid)
{
	uint32_t v = 0;
	const char *p = s;

	if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] >= '0' && p[1] <= '9'))
		return NULL;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (uint32_t)(*p - '0');
		if (v > PZD_XEN_DOMID_MAX)
			return NULL;
	}
	*domid = v;
	return p;
}

int pzd_xen_watch_domid(const char *path, const char *suffix, uint32_t *domid)
{
	const char *p;
	uint32_t v;

	if (!path || strncmp(path, DOMAIN_PREFIX, strlen(DOMAIN_PREFIX)))
		return -EINVAL;
	p = parse_domid_prefix(path + strlen(DOMAIN_PREFIX), &v);
	if (!p || strcmp(p, suffix ? suffix : ""))
		return -EINVAL;
	*domid = v;
	return 0;
}

bool pzd_xen_parse_domid(const char *s, uint32_t *domid)
{
	const char *p = s ? parse_domid_prefix(s, domid) : NULL;

	return p && !*p;
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

bool pzd_xen_uuid_valid(const char *s)
{
	for (int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' : !is_hex(s[i]))
			return false;
	}
	return s[36] == '\0';
}

int pzd_xen_vm_uuid(const char *s, size_t len, char *uuid)
{
	char buf[37];

	if (!s || len != 4 + 36 || memcmp(s, "/vm/", 4))
		return -EINVAL;
	memcpy(buf, s + 4, 36);
	buf[36] = '\0';
	if (!pzd_xen_uuid_valid(buf))
		return -EINVAL;
	for (int i = 0; i < 36; i++)
		uuid[i] = (char)(buf[i] >= 'A' && buf[i] <= 'F' ?
				 buf[i] - 'A' + 'a' : buf[i]);
	uuid[36] = '\0';
	return 0;
}

void pzd_xen_clean_name(const char *s, size_t len, char *out, size_t outlen)
{
	size_t n = len < outlen - 1 ? len : outlen - 1;
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		out[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	out[n] = '\0';
	if (n == len)
		return;
	/* Cut inside a UTF-8 sequence: its lead and continuation bytes. */
	i = n;
	while (i > 0 && ((unsigned char)out[i - 1] & 0xc0) == 0x80)
		out[--i] = '?';
	if (i > 0 && ((unsigned char)out[i - 1] & 0xc0) == 0xc0)
		out[i - 1] = '?';
}

int pzd_xen_list_chunks(const struct pz_range *r, size_t n, char *buf,
			size_t chunk_max, size_t max_nodes)
{
	size_t node = 0, used = 0;
	char item[64];

	for (size_t i = 0; i < n; i++) {
		int len = snprintf(item, sizeof(item), "%llx-%llx",
				   (unsigned long long)r[i].start,
				   (unsigned long long)r[i].end);
		char *dst;

		if (len <= 0 || (size_t)len > chunk_max)
			return -E2BIG;
		/* A new value when this one would not fit (with its space). */
		if (used && used + 1 + (size_t)len > chunk_max) {
			node++;
			used = 0;
		}
		if (node >= max_nodes)
			return -E2BIG;
		dst = buf + node * (chunk_max + 1);
		if (used)
			dst[used++] = ' ';
		memcpy(dst + used, item, (size_t)len);
		used += (size_t)len;
		dst[used] = '\0';
	}
	return n ? (int)node + 1 : 0;
}

/* A decimal u64 of exactly [s, e). */
static int parse_u64(const char *s, const char *e, uint64_t *out)
{
	return pzd_xen_parse_kib(s, (size_t)(e - s), UINT64_MAX, out);
}

int pzd_xen_file_generation(const char *text, size_t len, uint64_t *gen)
{
	static const char magic[] = "prezero-xen-exclude 1\n";
	static const char key[] = "generation: ";
	const char *p = text, *end = text + len;

	if (len < strlen(magic) || memcmp(text, magic, strlen(magic)))
		return -EINVAL;
	p += strlen(magic);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (!nl || nl == p)
			return -EINVAL;	/* no newline, or the header ended */
		if ((size_t)(nl - p) > strlen(key) &&
		    !memcmp(p, key, strlen(key)))
			return parse_u64(p + strlen(key), nl, gen);
		p = nl + 1;
	}
	return -EINVAL;
}

int pzd_xen_file_domid(const char *name, uint32_t *domid, bool *temp)
{
	const char *p;

	*temp = name[0] == '.';
	p = parse_domid_prefix(name + (*temp ? 1 : 0), domid);
	if (!p)
		return -EINVAL;
	if (*temp)
		return strncmp(p, ".exclude", 8) ? -EINVAL : 0;
	return strcmp(p, ".exclude") && strcmp(p, ".exclude.json") ? -EINVAL
								   : 0;
}

bool pzd_xen_settled(const struct pzd_xen_sched *s, uint64_t now,
		     uint64_t settle_ms)
{
	return now >= s->changed_ms && now - s->changed_ms >= settle_ms;
}

bool pzd_xen_scan_due(const struct pzd_xen_sched *s, uint64_t now,
		      uint64_t settle_ms, uint64_t min_interval_ms)
{
	if (!s->scannable || (s->scanned && !s->dirty))
		return false;
	if (!pzd_xen_settled(s, now, settle_ms))
		return false;
	return !s->scanned || now - s->last_scan_ms >= min_interval_ms;
}
