// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/*
 * qemuconf: libvirt's qemu.conf, as far as prezero-hook needs it (see
 * qemuconf.h). The grammar follows libvirt 9.0's src/util/virconf.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "number.h"
#include "qemuconf.h"

struct cparse {
	const char *cur, *end;
	int line;
	char *err;
	size_t errlen;
	struct pz_qemu_conf *c;
	/* a key of ours is set: the first assignment wins */
	bool have_dir, have_user, have_group;
};

static int cfail(struct cparse *p, int ret, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int cfail(struct cparse *p, int ret, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!p->err || !p->errlen)
		return ret;
	n = snprintf(p->err, p->errlen, "line %d: ", p->line);
	if (n >= 0 && (size_t)n < p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return ret;
}

static bool at_end(const struct cparse *p)
{
	return p->cur >= p->end;
}

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool eol(char c)
{
	return c == '\n' || c == '\r';
}

static void skip_blanks(struct cparse *p)
{
	while (!at_end(p) && blank(*p->cur))
		p->cur++;
}

static void skip_blanks_eol(struct cparse *p)
{
	while (!at_end(p) && (blank(*p->cur) || eol(*p->cur))) {
		if (*p->cur == '\n')
			p->line++;
		p->cur++;
	}
}

static void skip_comment(struct cparse *p)
{
	while (!at_end(p) && !eol(*p->cur))
		p->cur++;
}

static bool starts(const struct cparse *p, const char *s)
{
	size_t n = strlen(s);

	return (size_t)(p->end - p->cur) >= n && !memcmp(p->cur, s, n);
}

static int parse_list(struct cparse *p, int depth);

/*
 * One value. A string's text goes to *str (malloc'ed) if str is not NULL;
 * *is_string tells whether the value was a string.
 */
static int parse_value(struct cparse *p, char **str, bool *is_string, int depth)
{
	const char *base;
	size_t close = 1;	/* length of the closing quote */

	*is_string = false;
	skip_blanks(p);
	if (at_end(p))
		return cfail(p, -EINVAL, "expecting a value");
	if (starts(p, "\"\"\"")) {
		p->cur += 3;
		close = 3;
		base = p->cur;
		while (!at_end(p) && !starts(p, "\"\"\"")) {
			if (*p->cur == '\n')
				p->line++;
			p->cur++;
		}
		if (at_end(p))
			return cfail(p, -EINVAL, "unterminated string");
	} else if (*p->cur == '"' || *p->cur == '\'') {
		char q = *p->cur++;

		base = p->cur;
		while (!at_end(p) && *p->cur != q && !eol(*p->cur))
			p->cur++;
		if (at_end(p) || *p->cur != q)
			return cfail(p, -EINVAL, "unterminated string");
	} else if (*p->cur == '[') {
		return parse_list(p, depth);
	} else if ((*p->cur >= '0' && *p->cur <= '9') || *p->cur == '-' ||
		   *p->cur == '+') {
		if (*p->cur == '-' || *p->cur == '+')
			p->cur++;
		if (at_end(p) || *p->cur < '0' || *p->cur > '9')
			return cfail(p, -EINVAL, "unterminated number");
		while (!at_end(p) && *p->cur >= '0' && *p->cur <= '9')
			p->cur++;
		return 0;
	} else {
		return cfail(p, -EINVAL, "expecting a value");
	}
	/* a string from base to p->cur */
	*is_string = true;
	if (str) {
		*str = strndup(base, (size_t)(p->cur - base));
		if (!*str)
			return cfail(p, -ENOMEM, "out of memory");
	}
	p->cur += close;
	return 0;
}

/* [ value, value, ... ] over any number of lines, a trailing ',' allowed */
static int parse_list(struct cparse *p, int depth)
{
	bool dummy;
	int ret;

	if (depth >= 16)
		return cfail(p, -EINVAL, "lists nested too deep");
	p->cur++;		/* '[' */
	skip_blanks_eol(p);
	if (!at_end(p) && *p->cur != ']') {
		ret = parse_value(p, NULL, &dummy, depth + 1);
		if (ret < 0)
			return ret;
		skip_blanks_eol(p);
	}
	while (!at_end(p) && *p->cur != ']') {
		if (*p->cur != ',')
			return cfail(p, -EINVAL, "expecting ',' in a list");
		p->cur++;
		skip_blanks_eol(p);
		if (!at_end(p) && *p->cur == ']')
			break;
		ret = parse_value(p, NULL, &dummy, depth + 1);
		if (ret < 0)
			return ret;
		skip_blanks_eol(p);
	}
	if (at_end(p))
		return cfail(p, -EINVAL, "list is not closed with ]");
	p->cur++;
	return 0;
}

/* Where a key of ours goes (NULL for the others), and its "seen" flag. */
static char **slot(struct cparse *p, const char *name, size_t len, bool **have)
{
	if (len == 18 && !memcmp(name, "memory_backing_dir", len)) {
		*have = &p->have_dir;
		return &p->c->memory_backing_dir;
	}
	if (len == 4 && !memcmp(name, "user", len)) {
		*have = &p->have_user;
		return &p->c->user;
	}
	if (len == 5 && !memcmp(name, "group", len)) {
		*have = &p->have_group;
		return &p->c->group;
	}
	return NULL;
}

static int parse_statement(struct cparse *p)
{
	const char *name;
	size_t len;
	char **val, *s = NULL;
	bool *have = NULL, is_string;
	int ret;

	skip_blanks_eol(p);
	if (at_end(p))
		return 0;
	if (*p->cur == '#') {
		skip_comment(p);
		return 0;
	}
	name = p->cur;
	if (!((*p->cur >= 'a' && *p->cur <= 'z') || (*p->cur >= 'A' && *p->cur <= 'Z')))
		return cfail(p, -EINVAL, "expecting a name");
	while (!at_end(p) && ((*p->cur >= 'a' && *p->cur <= 'z') ||
			      (*p->cur >= 'A' && *p->cur <= 'Z') ||
			      (*p->cur >= '0' && *p->cur <= '9') || *p->cur == '_'))
		p->cur++;
	len = (size_t)(p->cur - name);
	skip_blanks(p);
	if (at_end(p) || *p->cur != '=')
		return cfail(p, -EINVAL, "expecting '=' after %.*s", (int)len, name);
	p->cur++;
	val = slot(p, name, len, &have);
	if (val && *have)
		val = NULL;		/* a later assignment: libvirt ignores it */
	ret = parse_value(p, val ? &s : NULL, &is_string, 0);
	if (ret < 0)
		return ret;
	if (val) {
		if (!is_string)
			return cfail(p, -EINVAL, "%.*s: expected a string", (int)len, name);
		free(*val);
		*val = s;
		*have = true;
	}
	skip_blanks(p);
	if (!at_end(p) && *p->cur == '#')
		skip_comment(p);
	return 0;
}

static int parse_separator(struct cparse *p)
{
	skip_blanks(p);
	if (at_end(p))
		return 0;
	if (eol(*p->cur)) {
		skip_blanks_eol(p);
	} else if (*p->cur == ';') {
		p->cur++;
		skip_blanks_eol(p);
	} else {
		return cfail(p, -EINVAL, "expecting a newline or ';' after a value");
	}
	return 0;
}

void pz_qemu_conf_free(struct pz_qemu_conf *c)
{
	if (!c)
		return;
	free(c->memory_backing_dir);
	free(c->user);
	free(c->group);
	memset(c, 0, sizeof(*c));
}

static int set_default(char **v, const char *def)
{
	if (*v)
		return 0;
	*v = strdup(def);
	return *v ? 0 : -ENOMEM;
}

/* dir = dir + "/libvirt/qemu"; -1 without memory (dir unchanged). */
static int libvirt_subdir(char **dir)
{
	static const char sub[] = "/libvirt/qemu";
	size_t len = strlen(*dir);
	char *d = malloc(len + sizeof(sub));

	if (!d)
		return -1;
	memcpy(d, *dir, len);
	memcpy(d + len, sub, sizeof(sub));
	free(*dir);
	*dir = d;
	return 0;
}

int pz_qemu_conf_parse(const char *text, size_t len, struct pz_qemu_conf *c,
		       char *err, size_t errlen)
{
	struct cparse p = {
		.cur = text, .end = text + len, .line = 1,
		.err = err, .errlen = errlen, .c = c,
	};
	int ret = 0;

	memset(c, 0, sizeof(*c));
	if (err && errlen)
		err[0] = '\0';
	if (memchr(text, '\0', len))
		ret = cfail(&p, -EINVAL, "a NUL byte in the file");
	while (!ret && !at_end(&p)) {
		ret = parse_statement(&p);
		if (!ret)
			ret = parse_separator(&p);
	}
	/* libvirt keeps its directories in <memory_backing_dir>/libvirt/qemu
	 * (qemu_conf.c), but uses its own default as it is. */
	if (!ret && p.have_dir && libvirt_subdir(&c->memory_backing_dir))
		ret = cfail(&p, -ENOMEM, "out of memory");
	if (!ret && (set_default(&c->memory_backing_dir, PZ_QEMU_MEMORY_BACKING_DIR) ||
		     set_default(&c->user, PZ_QEMU_USER) ||
		     set_default(&c->group, PZ_QEMU_GROUP)))
		ret = cfail(&p, -ENOMEM, "out of memory");
	if (ret < 0)
		pz_qemu_conf_free(c);
	return ret;
}

const char *pz_qemu_conf_path(const char *path)
{
	const char *env;

	if (path)
		return path;
	env = getenv(PZ_QEMU_CONF_ENV);
	return env && *env ? env : PZ_QEMU_CONF_PATH;
}

int pz_qemu_conf_load(const char *path, struct pz_qemu_conf *c,
		      char *err, size_t errlen)
{
	const char *f = pz_qemu_conf_path(path);
	char *buf = NULL, why[200];
	size_t len = 0;
	struct stat st;
	int fd, ret;

	memset(c, 0, sizeof(*c));
	fd = open(f, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return pz_qemu_conf_parse("", 0, c, err, errlen);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", f, strerror(-ret));
		return ret;
	}
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		goto out_errno;
	}
	if (st.st_size > (off_t)PZ_QEMU_CONF_MAX) {
		ret = -EFBIG;
		snprintf(err, errlen, "%s: larger than %u KiB", f,
			 PZ_QEMU_CONF_MAX >> 10);
		goto out;
	}
	buf = malloc(PZ_QEMU_CONF_MAX + 1);
	if (!buf) {
		ret = -ENOMEM;
		goto out_errno;
	}
	for (;;) {
		ssize_t r = read(fd, buf + len, PZ_QEMU_CONF_MAX + 1 - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = -errno;
			goto out_errno;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > PZ_QEMU_CONF_MAX) {
			ret = -EFBIG;
			snprintf(err, errlen, "%s: larger than %u KiB", f,
				 PZ_QEMU_CONF_MAX >> 10);
			goto out;
		}
	}
	ret = pz_qemu_conf_parse(buf, len, c, why, sizeof(why));
	if (ret < 0)
		snprintf(err, errlen, "%s: %s", f, why);
	goto out;
out_errno:
	snprintf(err, errlen, "%s: %s", f, strerror(-ret));
out:
	free(buf);
	close(fd);
	return ret;
}

static int numeric_id(const char *s, unsigned int *out)
{
	unsigned long v;

	/* (uid_t)-1 means "no change" to chown(): not an id */
	if (pz_parse_uint(s, 0, UINT32_MAX - 1, &v) < 0)
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
}

int pz_qemu_uid(const char *user, uid_t *uid)
{
	const struct passwd *pw;
	unsigned int v;

	if (!user || !*user)
		return -EINVAL;
	if (user[0] == '+') {
		if (numeric_id(user + 1, &v) < 0)
			return -EINVAL;
		*uid = (uid_t)v;
		return 0;
	}
	pw = getpwnam(user);
	if (pw) {
		*uid = pw->pw_uid;
		return 0;
	}
	if (numeric_id(user, &v) < 0)
		return -ENOENT;
	*uid = (uid_t)v;
	return 0;
}

int pz_qemu_gid(const char *group, gid_t *gid)
{
	const struct group *gr;
	unsigned int v;

	if (!group || !*group)
		return -EINVAL;
	if (group[0] == '+') {
		if (numeric_id(group + 1, &v) < 0)
			return -EINVAL;
		*gid = (gid_t)v;
		return 0;
	}
	gr = getgrnam(group);
	if (gr) {
		*gid = gr->gr_gid;
		return 0;
	}
	if (numeric_id(group, &v) < 0)
		return -ENOENT;
	*gid = (gid_t)v;
	return 0;
}
