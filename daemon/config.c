// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/*
 * prezerod.conf: inih splits the file into sections and key = value pairs;
 * this file checks every value and says where the first bad one is.
 *
 * inih only hands us keys, never section lines, and not their line numbers
 * (Debian builds it without INI_HANDLER_LINENO). So the file is fed to
 * ini_parse_stream() by our own reader, which counts lines, checks section
 * lines when it sees them (an empty unknown section is still an error, at
 * its own line) and strips leading whitespace: inih would otherwise take an
 * indented line after a key as a continuation of that key's value.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>
#include <json-c/json.h>

#include "config.h"
#include "log.h"
#include "number.h"
#include "size.h"

/* A config file is a page of text; anything bigger is a wrong path. */
#define CONFIG_MAX_BYTES	(1024 * 1024)
/* Values quoted in error messages are cut here. */
#define QUOTE_MAX		64

enum key_type {
	KEY_SOCKET,
	KEY_PATH,		/* absolute path, PATH_MAX */		/* char[], absolute path that fits sun_path */
	KEY_LOG_LEVEL,		/* int, LOG_ERR..LOG_DEBUG */
	KEY_GROUP,		/* admin_group + admin_gid */
	KEY_UINT,		/* unsigned int, min..max */
	KEY_PCT,		/* double, 0..100 */
	KEY_BOOL,		/* bool */
	KEY_SIZE,		/* uint64_t, 0..PZD_BUDGET_MAX */
	KEY_AUTO,		/* int: auto, or a boolean (enum pzd_xen_enabled) */
	KEY_HVM_SCAN,		/* int: auto or query (enum pzd_xen_hvm_scan) */
};

struct key {
	const char *section;	/* "daemon", "policy" or "node" */
	const char *name;
	enum key_type type;
	size_t off;		/* in struct pzd_config or struct pzd_node_conf */
	size_t has_off;		/* [node N]: its has_ flag */
	unsigned int min, max;	/* KEY_UINT */
};

#define N(a)		(sizeof(a) / sizeof((a)[0]))

#define CFG(f)		offsetof(struct pzd_config, f)
#define NODE(f)		offsetof(struct pzd_node_conf, f)

static const struct key keys[] = {
	{ "daemon", "socket", KEY_SOCKET, CFG(socket_path), 0, 0, 0 },
	{ "daemon", "log_level", KEY_LOG_LEVEL, CFG(log_level), 0, 0, 0 },
	{ "daemon", "admin_group", KEY_GROUP, CFG(admin_group), 0, 0, 0 },
	{ "daemon", "interval_ms", KEY_UINT, CFG(interval_ms), 0, 100, 10000 },
	{ "policy", "idle_min_pct", KEY_PCT, CFG(idle_min_pct), 0, 0, 0 },
	{ "policy", "idle_after_ms", KEY_UINT, CFG(idle_after_ms), 0, 0, 600000 },
	{ "policy", "psi_cpu_max", KEY_PCT, CFG(psi_cpu_max), 0, 0, 0 },
	{ "policy", "psi_memory_max", KEY_PCT, CFG(psi_memory_max), 0, 0, 0 },
	{ "policy", "psi_trigger_ms", KEY_UINT, CFG(psi_trigger_ms), 0, 0, 1000 },
	{ "policy", "pressure_hold_ms", KEY_UINT, CFG(pressure_hold_ms), 0, 0,
	  3600000 },
	{ "policy", "min_free_pct", KEY_PCT, CFG(min_free_pct), 0, 0, 0 },
	{ "policy", "enabled", KEY_BOOL, CFG(enabled), 0, 0, 0 },
	{ "policy", "rate", KEY_SIZE, CFG(rate), 0, 0, 0 },
	{ "policy", "burst", KEY_SIZE, CFG(burst), 0, 0, 0 },
	{ "pool", "dir", KEY_PATH, CFG(pool_dir), 0, 0, 0 },
	{ "pool", "target", KEY_SIZE, CFG(pool_target), 0, 0, 0 },
	{ "pool", "file_size", KEY_SIZE, CFG(pool_file_size), 0, 0, 0 },
	{ "pool", "fill_rate", KEY_SIZE, CFG(pool_fill_rate), 0, 0, 0 },
	{ "pool", "reserve_pct", KEY_PCT, CFG(pool_reserve_pct), 0, 0, 0 },
	{ "pool", "hugetlb_overcommit", KEY_BOOL, CFG(pool_hugetlb_overcommit),
	  0, 0, 0 },
	{ "pool", "state_file", KEY_PATH, CFG(pool_state_file), 0, 0, 0 },
	{ "xen", "enabled", KEY_AUTO, CFG(xen_enabled), 0, 0, 0 },
	{ "xen", "dir", KEY_PATH, CFG(xen_dir), 0, 0, 0 },
	{ "xen", "settle_s", KEY_UINT, CFG(xen_settle_s), 0, 0, 3600 },
	{ "xen", "min_interval_s", KEY_UINT, CFG(xen_min_interval_s), 0, 0,
	  86400 },
	/* 16 M: PZ_EXCLUDE_RANGES_MAX, the most the reader takes */
	{ "xen", "max_ranges", KEY_UINT, CFG(xen_max_ranges), 0, 1, 16777216 },
	{ "xen", "hvm_scan", KEY_HVM_SCAN, CFG(xen_hvm_scan), 0, 0, 0 },
};

static const struct key node_keys[] = {
	{ "node", "enabled", KEY_BOOL, NODE(enabled), NODE(has_enabled), 0, 0 },
	{ "node", "rate", KEY_SIZE, NODE(rate), NODE(has_rate), 0, 0 },
	{ "node", "burst", KEY_SIZE, NODE(burst), NODE(has_burst), 0, 0 },
	{ "node", "pool_target", KEY_SIZE, NODE(pool_target),
	  NODE(has_pool_target), 0, 0 },
};

/* One load: the config being built, the reader's position, the first error. */
struct parse {
	struct pzd_config conf;
	const char *buf;
	size_t len, pos;
	int lineno;		/* of the line last handed to inih */
	int err_line;		/* first error found by the reader or handler */
	char reason[256];
	int line[N(keys)];	/* where each key was set, 0 = not yet */
	int node_line[PZD_MAX_NODES][N(node_keys)];
};

void pzd_config_defaults(struct pzd_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->socket_path, sizeof(c->socket_path), "%s", PZD_SOCKET_PATH);
	c->log_level = LOG_INFO;
	c->interval_ms = 250;
	c->idle_min_pct = 90;
	c->idle_after_ms = 2000;
	c->psi_cpu_max = 20;
	c->psi_memory_max = 1;
	c->psi_trigger_ms = 100;
	c->pressure_hold_ms = 10000;
	c->min_free_pct = 2;
	c->enabled = true;
	c->rate = UINT64_C(256) << 20;
	c->burst = 0;
	snprintf(c->pool_dir, sizeof(c->pool_dir), "%s", PZD_POOL_DIR);
	c->pool_target = 0;
	c->pool_file_size = UINT64_C(1) << 30;
	c->pool_fill_rate = UINT64_C(256) << 20;
	c->pool_reserve_pct = 5;
	c->pool_hugetlb_overcommit = true;
	snprintf(c->pool_state_file, sizeof(c->pool_state_file), "%s",
		 PZD_POOL_STATE);
	c->xen_enabled = PZD_XEN_AUTO;
	snprintf(c->xen_dir, sizeof(c->xen_dir), "%s", PZD_XEN_DIR);
	c->xen_settle_s = 5;
	c->xen_min_interval_s = 30;
	c->xen_max_ranges = 1048576;
	c->xen_hvm_scan = PZD_XEN_HVM_SCAN_AUTO;
}

uint64_t pzd_config_pool_target(const struct pzd_config *c, unsigned int node)
{
	if (node < PZD_MAX_NODES && c->node[node].has_pool_target)
		return c->node[node].pool_target;
	return c->pool_target;
}

uint64_t pzd_default_burst(uint64_t rate, uint64_t burst)
{
	const uint64_t floor = UINT64_C(64) << 20;

	if (burst)
		return burst;
	if (!rate)
		return 0;
	/* Reporting passes come every 2 s: less than 2 s of rate is lost. */
	if (rate > PZD_BUDGET_MAX / 2)
		return PZD_BUDGET_MAX;
	return 2 * rate > floor ? 2 * rate : floor;
}

void pzd_config_node_cap(const struct pzd_config *c, unsigned int node,
			 bool *enabled, uint64_t *rate, uint64_t *burst)
{
	const struct pzd_node_conf *n = node < PZD_MAX_NODES ? &c->node[node] :
					NULL;
	uint64_t b;

	*enabled = n && n->has_enabled ? n->enabled : c->enabled;
	*rate = n && n->has_rate ? n->rate : c->rate;
	b = n && n->has_burst ? n->burst : c->burst;
	*burst = pzd_default_burst(*rate, b);
}

/* Record the first error, at the line being parsed; 0 for inih. */
__attribute__((format(printf, 2, 3)))
static int fail(struct parse *p, const char *fmt, ...)
{
	va_list ap;

	if (p->err_line)
		return 0;
	p->err_line = p->lineno;
	va_start(ap, fmt);
	vsnprintf(p->reason, sizeof(p->reason), fmt, ap);
	va_end(ap);
	return 0;
}

/*
 * "node 3" -> 3. Exactly one space and a plain decimal number, so that
 * "[node 01]" and "[node 1]" cannot both name node 1 in one file.
 */
static int parse_node_section(const char *s, unsigned int *node)
{
	unsigned long v = 0;
	const char *p;

	if (strncmp(s, "node ", 5))
		return -EINVAL;
	p = s + 5;
	if (!isdigit((unsigned char)*p) || (p[0] == '0' && p[1]))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		v = v * 10 + (unsigned long)(*p - '0');
		if (v >= PZD_MAX_NODES)
			return -ERANGE;
	}
	if (*p)
		return -EINVAL;
	*node = (unsigned int)v;
	return 0;
}

/* A "[...]" line (leading whitespace gone): its name must be known and
 * nothing but a comment may follow. */
static int check_section_line(struct parse *p, const char *line)
{
	const char *end = strchr(line, ']'), *rest;
	unsigned int node;
	int len, r;

	if (!end)
		return fail(p, "syntax error: \"[\" without \"]\"");
	len = (int)(end - line - 1);
	rest = end + 1;
	while (*rest == ' ' || *rest == '\t')
		rest++;
	/* inih reads a comment only after whitespace, like in values. */
	if (*rest && *rest != '\n' && !(*rest == ';' && rest > end + 1))
		return fail(p, "text after \"[%.*s]\" (comments start with \";\" after a space)",
			    len, line + 1);
	if (!strncmp(line, "[daemon]", 8) || !strncmp(line, "[policy]", 8) ||
	    !strncmp(line, "[pool]", 6) || !strncmp(line, "[xen]", 5))
		return 1;
	if (len < 32) {
		char name[32];

		memcpy(name, line + 1, (size_t)len);
		name[len] = '\0';
		r = parse_node_section(name, &node);
		if (!r)
			return 1;
		if (r == -ERANGE)
			return fail(p, "[%s]: node must be 0-%d", name,
				    PZD_MAX_NODES - 1);
		if (!strncmp(name, "node ", 5))
			return fail(p, "[%s]: node must be a number 0-%d without leading zeros",
				    name, PZD_MAX_NODES - 1);
	}
	return fail(p, "unknown section [%.*s]", len < QUOTE_MAX ? len : QUOTE_MAX,
		    line + 1);
}

/*
 * inih's fgets-style reader over the file in memory: one line per call,
 * counted, leading whitespace and comment lines dropped. Returns NULL (end
 * of input for inih) after the first error.
 */
static char *read_line(char *str, int num, void *stream)
{
	struct parse *p = stream;
	const char *s, *e, *nl;
	size_t n;

	if (p->err_line || p->pos >= p->len)
		return NULL;
	s = p->buf + p->pos;
	nl = memchr(s, '\n', p->len - p->pos);
	e = nl ? nl + 1 : p->buf + p->len;
	p->pos = (size_t)(e - p->buf);
	p->lineno++;

	if (memchr(s, '\0', (size_t)(e - s))) {
		fail(p, "NUL byte in line");
		return NULL;
	}
	if (p->lineno == 1 && e - s >= 3 && !memcmp(s, "\xef\xbb\xbf", 3))
		s += 3;		/* UTF-8 byte order mark */
	while (s < e && isspace((unsigned char)*s))
		s++;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	if (s < e && (*s == ';' || *s == '#'))
		e = s;		/* comment lines may be of any length */
	n = (size_t)(e - s);
	if (num < 2 || n > (size_t)num - 2) {
		fail(p, "line longer than %d characters", num - 2);
		return NULL;
	}
	memcpy(str, s, n);
	str[n] = '\n';
	str[n + 1] = '\0';
	if (*str == '[' && !check_section_line(p, str))
		return NULL;
	return str;
}

static const char *quote(const char *value, char *buf, size_t len)
{
	if (strlen(value) > QUOTE_MAX)
		snprintf(buf, len, "\"%.*s...\"", QUOTE_MAX, value);
	else
		snprintf(buf, len, "\"%s\"", value);
	return buf;
}

/* Digits only, in range (pz_parse_uint), into an unsigned int. */
static int parse_uint(const char *s, unsigned int min, unsigned int max,
		      unsigned int *out)
{
	unsigned long v;
	int r = pz_parse_uint(s, min, max, &v);

	if (r == 0)
		*out = (unsigned int)v;
	return r;
}

/* "90", "2.5": digits, optionally a dot and digits; 0..100. */
static int parse_pct(const char *s, double *out)
{
	const char *p = s;
	char *end;
	double v;

	while (isdigit((unsigned char)*p))
		p++;
	if (p == s)
		return -EINVAL;
	if (*p == '.') {
		const char *frac = ++p;

		while (isdigit((unsigned char)*p))
			p++;
		if (p == frac)
			return -EINVAL;
	}
	if (*p)
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !(v >= 0 && v <= 100))
		return -ERANGE;
	*out = v;
	return 0;
}

static int parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < N(yes); i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

/* A group name (getgrnam) or, if no group has that name, a numeric gid. */
static int set_group(struct parse *p, const char *value)
{
	struct pzd_config *c = &p->conf;
	struct group grp, *res = NULL;
	size_t size = 1024;
	char *buf = NULL, q[QUOTE_MAX + 8];
	unsigned int gid;
	int r;

	if (!*value) {
		c->admin_group[0] = '\0';
		c->admin_gid = 0;
		return 1;
	}
	if (strlen(value) >= sizeof(c->admin_group))
		return fail(p, "admin_group: %s is longer than %zu characters",
			    quote(value, q, sizeof(q)),
			    sizeof(c->admin_group) - 1);
	for (;;) {
		char *nbuf = realloc(buf, size);

		if (!nbuf) {
			free(buf);
			return fail(p, "admin_group: out of memory");
		}
		buf = nbuf;
		r = getgrnam_r(value, &grp, buf, size, &res);
		if (r != ERANGE || size >= 1024 * 1024)
			break;
		size *= 2;
	}
	if (res) {
		c->admin_gid = res->gr_gid;
	} else if (!parse_uint(value, 0, UINT_MAX - 1, &gid)) {
		/* A group without a name is still a group: gid as given. */
		c->admin_gid = (gid_t)gid;
	} else {
		free(buf);
		/* Not found is 0 in glibc, but some NSS modules say ENOENT... */
		if (r && r != ENOENT && r != ESRCH && r != EBADF && r != EPERM)
			return fail(p, "admin_group: cannot look up %s: %s",
				    quote(value, q, sizeof(q)), strerror(r));
		return fail(p, "admin_group: unknown group %s",
			    quote(value, q, sizeof(q)));
	}
	free(buf);
	snprintf(c->admin_group, sizeof(c->admin_group), "%s", value);
	return 1;
}

/* Parse value as k's type into base + k->off; 1 on success, else fail(). */
static int set_value(struct parse *p, const struct key *k, void *base,
		     const char *value)
{
	char *dst = (char *)base + k->off;
	char q[QUOTE_MAX + 8];
	const char *why;
	int level, r;
	bool b;

	quote(value, q, sizeof(q));
	switch (k->type) {
	case KEY_SOCKET:
		if (value[0] != '/')
			return fail(p, "%s: %s is not an absolute path", k->name,
				    q);
		if (strlen(value) >= sizeof(p->conf.socket_path))
			return fail(p, "%s: path longer than %zu characters",
				    k->name, sizeof(p->conf.socket_path) - 1);
		snprintf(dst, sizeof(p->conf.socket_path), "%s", value);
		return 1;
	case KEY_PATH:
		if (value[0] != '/')
			return fail(p, "%s: %s is not an absolute path", k->name,
				    q);
		if (strlen(value) >= PATH_MAX)
			return fail(p, "%s: path longer than %d characters",
				    k->name, PATH_MAX - 1);
		snprintf(dst, PATH_MAX, "%s", value);
		return 1;
	case KEY_LOG_LEVEL:
		level = pzd_log_level_parse(value);
		if (level < 0)
			return fail(p, "%s: %s is not one of err, warning, notice, info, debug",
				    k->name, q);
		*(int *)(void *)dst = level;
		return 1;
	case KEY_GROUP:
		return set_group(p, value);
	case KEY_UINT:
		r = parse_uint(value, k->min, k->max, (unsigned int *)(void *)dst);
		if (r == -EINVAL)
			return fail(p, "%s: %s is not a whole number %u-%u%s",
				    k->name, q, k->min, k->max,
				    strstr(value, " #") ?
				    " (comments start with \";\")" : "");
		if (r)
			return fail(p, "%s: %s is out of range %u-%u", k->name,
				    q, k->min, k->max);
		return 1;
	case KEY_PCT:
		if (parse_pct(value, (double *)(void *)dst))
			return fail(p, "%s: %s is not a percentage 0-100%s",
				    k->name, q, strstr(value, " #") ?
				    " (comments start with \";\")" : "");
		return 1;
	case KEY_AUTO:
		if (!strcasecmp(value, "auto"))
			*(int *)(void *)dst = PZD_XEN_AUTO;
		else if (!parse_bool(value, &b))
			*(int *)(void *)dst = b ? PZD_XEN_YES : PZD_XEN_NO;
		else
			return fail(p, "%s: %s is not auto or a boolean (yes/no, true/false, on/off, 1/0)",
				    k->name, q);
		return 1;
	case KEY_HVM_SCAN:
		if (!strcasecmp(value, "auto"))
			*(int *)(void *)dst = PZD_XEN_HVM_SCAN_AUTO;
		else if (!strcasecmp(value, "query"))
			*(int *)(void *)dst = PZD_XEN_HVM_SCAN_QUERY;
		else
			return fail(p, "%s: %s is not auto or query", k->name,
				    q);
		return 1;
	case KEY_BOOL:
		if (parse_bool(value, (bool *)(void *)dst))
			return fail(p, "%s: %s is not a boolean (yes/no, true/false, on/off, 1/0)",
				    k->name, q);
		return 1;
	case KEY_SIZE:
		r = pz_parse_size(value, PZD_BUDGET_MAX,
				  (uint64_t *)(void *)dst, &why);
		if (r == -ERANGE)
			return fail(p, "%s: %s is larger than 1 TiB", k->name,
				    q);
		if (r)
			return fail(p, "%s: %s is not a size (%s)%s", k->name, q,
				    why, strstr(value, " #") ?
				    "; comments start with \";\"" : "");
		return 1;
	}
	return fail(p, "%s: internal error", k->name);
}

static int handle_key(void *user, const char *section, const char *name,
		      const char *value)
{
	struct parse *p = user;
	const struct key *k = NULL;
	unsigned int node;
	int *line;
	void *base;

	if (p->err_line)
		return 0;
	if (!*section)
		return fail(p, "key \"%.*s\" before any [section]", QUOTE_MAX,
			    name);
	if (!strcmp(section, "daemon") || !strcmp(section, "policy") ||
	    !strcmp(section, "pool") || !strcmp(section, "xen")) {
		for (size_t i = 0; i < N(keys) && !k; i++)
			if (!strcmp(keys[i].section, section) &&
			    !strcmp(keys[i].name, name))
				k = &keys[i];
		if (!k)
			return fail(p, "unknown key \"%.*s\" in [%s]",
				    QUOTE_MAX, name, section);
		line = &p->line[k - keys];
		base = &p->conf;
	} else if (!parse_node_section(section, &node)) {
		for (size_t i = 0; i < N(node_keys) && !k; i++)
			if (!strcmp(node_keys[i].name, name))
				k = &node_keys[i];
		if (!k)
			return fail(p, "unknown key \"%.*s\" in [%s] (only enabled, rate, burst, pool_target)",
				    QUOTE_MAX, name, section);
		line = &p->node_line[node][k - node_keys];
		base = &p->conf.node[node];
	} else {
		/* read_line() has checked every section line already. */
		return fail(p, "unknown section [%s]", section);
	}

	/* A second value would silently win: say where the first one is. */
	if (*line)
		return fail(p, "%s: set twice in [%s] (first on line %d)",
			    k->name, section, *line);
	*line = p->lineno;
	if (!set_value(p, k, base, value))
		return 0;
	if (base != &p->conf)
		*(bool *)((char *)base + k->has_off) = true;
	return 1;
}

/* The whole file into memory: a regular file of at most 1 MiB. */
static int read_file(const char *path, char **out, size_t *outlen,
		     char *err, size_t errlen)
{
	size_t len = 0, cap;
	struct stat st;
	char *buf = NULL;
	ssize_t n;
	int fd;

	/* O_NONBLOCK: a FIFO at this path must not hang the daemon. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: %s", path, strerror(EISDIR));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		goto fail;
	}
	if (st.st_size > CONFIG_MAX_BYTES)
		goto too_big;
	/* One byte more than the size, to see the end of file in one go. */
	cap = (size_t)st.st_size + 1;
	buf = malloc(cap);
	if (!buf)
		goto no_mem;
	for (;;) {
		if (len == cap) {
			/* The file grew since fstat(): keep going to 1 MiB. */
			char *nbuf = realloc(buf, cap * 2);

			if (!nbuf)
				goto no_mem;
			buf = nbuf;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > CONFIG_MAX_BYTES)
			goto too_big;
	}
	close(fd);
	*out = buf;
	*outlen = len;
	return 0;

no_mem:
	snprintf(err, errlen, "%s: %s", path, strerror(ENOMEM));
	goto fail;
too_big:
	snprintf(err, errlen, "%s: larger than %d bytes (1 MiB)", path,
		 CONFIG_MAX_BYTES);
fail:
	free(buf);
	close(fd);
	return -1;
}

int pzd_config_load(const char *path, struct pzd_config *c, char *err,
		    size_t errlen)
{
	char dummy[1], *buf = NULL;
	struct parse *p;
	size_t len;
	int line, r;

	if (!err || !errlen) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	if (strlen(path) >= sizeof(c->path)) {
		snprintf(err, errlen, "%s: %s", path, strerror(ENAMETOOLONG));
		return -1;
	}
	if (read_file(path, &buf, &len, err, errlen))
		return -1;
	/* Built aside and copied on success: *c stays as it was on error. */
	p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(err, errlen, "%s: %s", path, strerror(ENOMEM));
		free(buf);
		return -1;
	}
	pzd_config_defaults(&p->conf);
	p->buf = buf;
	p->len = len;

	r = ini_parse_stream(read_line, p, handle_key, p);
	line = p->err_line;
	if (r < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(ENOMEM));
	} else if (r > 0 && (!line || r < line)) {
		/* inih's own error, at a line before ours if any */
		snprintf(err, errlen,
			 "%s:%d: syntax error (not \"key = value\" or \"[section]\")",
			 path, r);
	} else if (line) {
		snprintf(err, errlen, "%s:%d: %s", path, line, p->reason);
	} else {
		snprintf(p->conf.path, sizeof(p->conf.path), "%s", path);
		memcpy(c, &p->conf, sizeof(*c));
	}
	free(buf);
	free(p);
	return r || line ? -1 : 0;
}

/* Adds v (taking it) to o under key; false, and v freed, on failure. */
static bool add(struct json_object *o, const char *key, struct json_object *v)
{
	if (!v)
		return false;
	if (json_object_object_add(o, key, v)) {
		json_object_put(v);
		return false;
	}
	return true;
}

static struct json_object *size_obj(uint64_t v)
{
	return json_object_new_int64((int64_t)v);
}

struct json_object *pzd_config_to_json(const struct pzd_config *c)
{
	struct json_object *root = json_object_new_object();
	struct json_object *d = json_object_new_object();
	struct json_object *pol = json_object_new_object();
	struct json_object *pool = json_object_new_object();
	struct json_object *xen = json_object_new_object();
	static const char *const xen_enabled[] = { "auto", "yes", "no" };
	bool ok = root && d && pol && pool && xen;

	if (!ok) {
		json_object_put(root);
		json_object_put(d);
		json_object_put(pol);
		json_object_put(pool);
		json_object_put(xen);
		return NULL;
	}
	ok &= add(root, "daemon", d);
	ok &= add(root, "policy", pol);
	ok &= add(root, "pool", pool);
	ok &= add(root, "xen", xen);
	if (!ok) {
		json_object_put(root);
		return NULL;
	}

	ok &= add(d, "socket", json_object_new_string(c->socket_path));
	ok &= add(d, "log_level",
		  json_object_new_string(pzd_log_level_name(c->log_level)));
	ok &= add(d, "admin_group", json_object_new_string(c->admin_group));
	ok &= add(d, "interval_ms", json_object_new_int64(c->interval_ms));

	ok &= add(pol, "idle_min_pct", json_object_new_double(c->idle_min_pct));
	ok &= add(pol, "idle_after_ms", json_object_new_int64(c->idle_after_ms));
	ok &= add(pol, "psi_cpu_max", json_object_new_double(c->psi_cpu_max));
	ok &= add(pol, "psi_memory_max",
		  json_object_new_double(c->psi_memory_max));
	ok &= add(pol, "psi_trigger_ms",
		  json_object_new_int64(c->psi_trigger_ms));
	ok &= add(pol, "pressure_hold_ms",
		  json_object_new_int64(c->pressure_hold_ms));
	ok &= add(pol, "min_free_pct", json_object_new_double(c->min_free_pct));
	ok &= add(pol, "enabled", json_object_new_boolean(c->enabled));
	ok &= add(pol, "rate", size_obj(c->rate));
	ok &= add(pol, "burst", size_obj(c->burst));

	ok &= add(pool, "dir", json_object_new_string(c->pool_dir));
	ok &= add(pool, "target", size_obj(c->pool_target));
	ok &= add(pool, "file_size", size_obj(c->pool_file_size));
	ok &= add(pool, "fill_rate", size_obj(c->pool_fill_rate));
	ok &= add(pool, "reserve_pct", json_object_new_double(c->pool_reserve_pct));
	ok &= add(pool, "hugetlb_overcommit",
		  json_object_new_boolean(c->pool_hugetlb_overcommit));
	ok &= add(pool, "state_file", json_object_new_string(c->pool_state_file));

	ok &= add(xen, "enabled", json_object_new_string(
		  xen_enabled[c->xen_enabled >= 0 && c->xen_enabled <= 2 ?
			      c->xen_enabled : 0]));
	ok &= add(xen, "dir", json_object_new_string(c->xen_dir));
	ok &= add(xen, "settle_s", json_object_new_int64(c->xen_settle_s));
	ok &= add(xen, "min_interval_s",
		  json_object_new_int64(c->xen_min_interval_s));
	ok &= add(xen, "max_ranges", json_object_new_int64(c->xen_max_ranges));
	ok &= add(xen, "hvm_scan", json_object_new_string(
		  c->xen_hvm_scan == PZD_XEN_HVM_SCAN_QUERY ? "query" : "auto"));

	/* Node sections by node id: the struct keeps no file order. */
	for (unsigned int i = 0; ok && i < PZD_MAX_NODES; i++) {
		const struct pzd_node_conf *n = &c->node[i];
		struct json_object *o;
		char name[16];

		if (!n->has_enabled && !n->has_rate && !n->has_burst &&
		    !n->has_pool_target)
			continue;
		o = json_object_new_object();
		snprintf(name, sizeof(name), "node %u", i);
		if (!add(root, name, o)) {
			ok = false;
			break;
		}
		if (n->has_enabled)
			ok &= add(o, "enabled", json_object_new_boolean(n->enabled));
		if (n->has_rate)
			ok &= add(o, "rate", size_obj(n->rate));
		if (n->has_burst)
			ok &= add(o, "burst", size_obj(n->burst));
		if (n->has_pool_target)
			ok &= add(o, "pool_target", size_obj(n->pool_target));
	}
	if (!ok) {
		json_object_put(root);
		return NULL;
	}
	return root;
}
