/* SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause */
/* Milliseconds of CLOCK_MONOTONIC: deadlines, ages and rates that a change
 * of the wall clock must not disturb. */
#ifndef PREZERO_CLIENT_MONOTIME_H
#define PREZERO_CLIENT_MONOTIME_H

#include <stdint.h>
#include <time.h>

static inline int64_t pz_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif /* PREZERO_CLIENT_MONOTIME_H */
