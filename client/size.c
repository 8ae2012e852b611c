// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "size.h"

typedef unsigned __int128 u128;

static int fail(const char **why, const char *reason, int ret)
{
	if (why)
		*why = reason;
	return ret;
}

int pz_parse_size(const char *s, uint64_t max, uint64_t *out, const char **why)
{
	const u128 limit = (u128)UINT64_MAX;
	u128 ip = 0, frac = 0, scale = 1, value;
	bool big = false, has_frac = false;
	unsigned int shift = 0;
	const char *p = s;

	if (!s || !*s)
		return fail(why, "empty size", -EINVAL);
	if (*p == '-')
		return fail(why, "negative size", -EINVAL);
	if (!isdigit((unsigned char)*p))
		return fail(why, "not a number", -EINVAL);
	for (; isdigit((unsigned char)*p); p++) {
		ip = ip * 10 + (u128)(*p - '0');
		if (ip > limit) {
			big = true;
			ip = limit + 1;	/* saturate, keep scanning */
		}
	}
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return fail(why, "digits must follow the decimal point",
				    -EINVAL);
		has_frac = true;
		for (; isdigit((unsigned char)*p); p++) {
			if (scale < (u128)1000000000000000000ULL) {
				frac = frac * 10 + (u128)(*p - '0');
				scale *= 10;
			}
		}
	}
	if (*p) {
		switch (toupper((unsigned char)*p)) {
		case 'B':
			shift = 0;
			if (p[1])
				return fail(why, "unknown unit (use B, K, M, G, T or KiB, MiB, ...)",
					    -EINVAL);
			p++;
			break;
		case 'K': shift = 10; break;
		case 'M': shift = 20; break;
		case 'G': shift = 30; break;
		case 'T': shift = 40; break;
		case 'P': shift = 50; break;
		case 'E': shift = 60; break;
		default:
			return fail(why, "unknown unit (use B, K, M, G, T or KiB, MiB, ...)",
				    -EINVAL);
		}
		if (*p) {
			p++;
			if (!strcasecmp(p, "B"))
				return fail(why, "ambiguous unit: units are binary, write K or KiB, M or MiB, ...",
					    -EINVAL);
			if (*p && strcmp(p, "iB") && strcmp(p, "ib"))
				return fail(why, "unknown unit (use B, K, M, G, T or KiB, MiB, ...)",
					    -EINVAL);
		}
	}
	if (has_frac && shift == 0 && frac != 0)
		return fail(why, "not a whole number of bytes", -EINVAL);
	if (big)
		return fail(why, "too large", -ERANGE);
	value = (ip << shift) + ((frac << shift) / scale);
	if (value > limit)
		return fail(why, "too large", -ERANGE);
	if (value > max)
		return fail(why, "larger than the maximum", -ERANGE);
	*out = (uint64_t)value;
	if (why)
		*why = NULL;
	return 0;
}

char *pz_format_size(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB",
					     "PiB", "EiB" };
	double v = (double)bytes;
	int u = -1;

	if (bytes < 1024) {
		snprintf(buf, len, "%u B", (unsigned int)bytes);
		return buf;
	}
	while (v >= 1024.0 && u < 5) {
		v /= 1024.0;
		u++;
	}
	/* 1023.999 MiB would print as "1024.00 MiB": move up a unit. */
	if (v >= 1023.995 && u < 5) {
		v /= 1024.0;
		u++;
	}
	snprintf(buf, len, "%.2f %s", v, units[u]);
	return buf;
}

char *pz_format_ssize(int64_t bytes, char *buf, size_t len)
{
	uint64_t mag;

	if (bytes >= 0)
		return pz_format_size((uint64_t)bytes, buf, len);
	mag = (uint64_t)0 - (uint64_t)bytes;
	if (len < 2)
		return pz_format_size(mag, buf, len);
	buf[0] = '-';
	pz_format_size(mag, buf + 1, len - 1);
	return buf;
}
