/* SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause */
/* Strict decimal integers from command lines and config files. */
#ifndef PREZERO_CLIENT_NUMBER_H
#define PREZERO_CLIENT_NUMBER_H

/*
 * A decimal integer in [min, max]: digits only, no sign, space or base
 * prefix (leading zeros are fine). Returns 0 and stores *out; -EINVAL when
 * s is NULL, empty or not all digits; -ERANGE when the value is outside
 * [min, max] or does not fit an unsigned long. *out is unchanged on error.
 */
int pz_parse_uint(const char *s, unsigned long min, unsigned long max,
		  unsigned long *out);

#endif /* PREZERO_CLIENT_NUMBER_H */
