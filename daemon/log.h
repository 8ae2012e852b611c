/* SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause */
/*
 * Logging to stderr with sd-daemon priority prefixes ("<6>message"), which
 * journald turns into the message's priority. Messages above the configured
 * level (LOG_ERR..LOG_DEBUG from <syslog.h>) are dropped.
 */
#ifndef PREZEROD_LOG_H
#define PREZEROD_LOG_H

#include <syslog.h>

void pzd_log_set_level(int level);
int pzd_log_get_level(void);
/* "err", "warning", "notice", "info", "debug" -> LOG_*; -1 if unknown. */
int pzd_log_level_parse(const char *name);
const char *pzd_log_level_name(int level);

__attribute__((format(printf, 2, 3)))
void pzd_log(int prio, const char *fmt, ...);

#define log_err(...)	 pzd_log(LOG_ERR, __VA_ARGS__)
#define log_warning(...) pzd_log(LOG_WARNING, __VA_ARGS__)
#define log_notice(...)	 pzd_log(LOG_NOTICE, __VA_ARGS__)
#define log_info(...)	 pzd_log(LOG_INFO, __VA_ARGS__)
#define log_debug(...)	 pzd_log(LOG_DEBUG, __VA_ARGS__)

#endif
