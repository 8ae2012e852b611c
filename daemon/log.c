// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "log.h"

static int log_level = LOG_INFO;

static const char *const level_names[] = {
	[LOG_ERR] = "err",
	[LOG_WARNING] = "warning",
	[LOG_NOTICE] = "notice",
	[LOG_INFO] = "info",
	[LOG_DEBUG] = "debug",
};

void pzd_log_set_level(int level)
{
	log_level = level;
}

int pzd_log_get_level(void)
{
	return log_level;
}

int pzd_log_level_parse(const char *name)
{
	for (int i = LOG_ERR; i <= LOG_DEBUG; i++)
		if (level_names[i] && !strcasecmp(name, level_names[i]))
			return i;
	return -1;
}

const char *pzd_log_level_name(int level)
{
	if (level < LOG_ERR || level > LOG_DEBUG)
		return "?";
	return level_names[level];
}

void pzd_log(int prio, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	if (prio > log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* One write per line, so lines of concurrent threads never mix. */
	fprintf(stderr, "<%d>%s\n", prio, buf);
}
