// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>

#include "number.h"

int pz_parse_uint(const char *s, unsigned long min, unsigned long max,
		  unsigned long *out)
{
	unsigned long v;
	const char *p;
	char *end;

	if (!s)
		return -EINVAL;
	/* strtoul alone would take " 1", "+1" and "-1" (as ULONG_MAX). */
	for (p = s; isdigit((unsigned char)*p); p++)
		;
	if (p == s || *p)
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}
