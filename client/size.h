/* SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause */
/* Byte sizes: parsing ("512M", "1.5G", "64MiB", "4096") and formatting
 * ("1.50 GiB"). Units are binary: K = KiB = 1024 bytes, M, G, T, P, E. */
#ifndef PREZERO_CLIENT_SIZE_H
#define PREZERO_CLIENT_SIZE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parse a size: digits, optionally a fraction (".5", digits on both sides
 * of the dot), then optionally a unit: B, or K/M/G/T/P/E (any case) alone
 * or followed by "iB". No sign, no spaces, no hex. A fraction is rounded
 * down to whole bytes; a fraction of plain bytes ("1.5") is rejected.
 * Returns 0 and stores *out; -EINVAL (malformed) or -ERANGE (larger than
 * max, or than 2^64-1) with *why (may be NULL) set to a short reason.
 */
int pz_parse_size(const char *s, uint64_t max, uint64_t *out, const char **why);

/* "0 B", "512 B", "1.00 KiB", "1.50 GiB": two decimals from KiB up. */
char *pz_format_size(uint64_t bytes, char *buf, size_t len);
/* Same for a signed amount ("-2.00 MiB"). */
char *pz_format_ssize(int64_t bytes, char *buf, size_t len);

#endif /* PREZERO_CLIENT_SIZE_H */
