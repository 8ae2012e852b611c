// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ctlargs.h"
#include "number.h"
#include "size.h"

static int fail(const char **why, const char *reason, int ret)
{
	if (why)
		*why = reason;
	return ret;
}

static bool all_digits(const char *s, const char *end)
{
	const char *p;

	if (s == end)
		return false;
	for (p = s; p < end; p++)
		if (!isdigit((unsigned char)*p))
			return false;
	return true;
}

int pz_parse_duration(const char *s, uint64_t max, uint64_t *secs,
		      const char **why)
{
	unsigned long long v;
	uint64_t mult = 1;
	const char *p;

	if (!s || !*s)
		return fail(why, "empty duration", -EINVAL);
	for (p = s; isdigit((unsigned char)*p); p++)
		;
	if (p == s)
		return fail(why, "not a number of seconds", -EINVAL);
	if (*p) {
		switch (*p) {
		case 's': mult = 1; break;
		case 'm': mult = 60; break;
		case 'h': mult = 3600; break;
		case 'd': mult = 86400; break;
		default:
			return fail(why, "unknown unit (use s, m, h or d)",
				    -EINVAL);
		}
		if (p[1])
			return fail(why, "unknown unit (use s, m, h or d)",
				    -EINVAL);
	}
	errno = 0;
	v = strtoull(s, NULL, 10);
	if (errno == ERANGE || v > max / mult)
		return fail(why, "too long", -ERANGE);
	*secs = (uint64_t)v * mult;
	if (why)
		*why = NULL;
	return 0;
}

int pz_parse_mode(const char *s, unsigned int *mode, const char **why)
{
	unsigned long v;
	const char *p;

	if (!s || !*s)
		return fail(why, "empty mode", -EINVAL);
	for (p = s; *p; p++)
		if (*p < '0' || *p > '7')
			return fail(why, "not an octal number", -EINVAL);
	errno = 0;
	v = strtoul(s, NULL, 8);
	if (errno == ERANGE || v > 0777)
		return fail(why, "above 0777 (no setuid, setgid or sticky bit)",
			    -ERANGE);
	*mode = (unsigned int)v;
	if (why)
		*why = NULL;
	return 0;
}

int pz_parse_pool_size(const char *s, uint64_t *out, const char **why)
{
	const char *w;
	uint64_t v;
	int ret = pz_parse_size(s, PZ_CTL_SIZE_MAX, &v, &w);

	if (ret == -ERANGE)
		return fail(why, "too large (at most 1 PiB)", ret);
	if (ret < 0)
		return fail(why, w, ret);
	if (!v)
		return fail(why, "must be more than 0", -ERANGE);
	*out = v;
	if (why)
		*why = NULL;
	return 0;
}

/* A decimal uid or gid; (uid_t)-1 and (gid_t)-1 mean "no change" to
 * chown(), so they are not ids. */
static int parse_id(const char *s, const char *end, unsigned long *id)
{
	char buf[16];
	size_t len = (size_t)(end - s);

	if (!all_digits(s, end))
		return -EINVAL;
	if (len >= sizeof(buf))
		return -ERANGE;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return pz_parse_uint(buf, 0, UINT32_MAX - 1, id);
}

int pz_resolve_owner(const char *s, uid_t *uid, gid_t *gid, const char **why)
{
	const char *colon, *uend;
	struct passwd *pw;
	struct group *gr;
	unsigned long id;
	char *user;
	uid_t u;
	gid_t g = 0;
	bool have_group = false;
	int ret;

	if (!s || !*s)
		return fail(why, "empty owner", -EINVAL);
	colon = strchr(s, ':');
	uend = colon ? colon : s + strlen(s);
	if (uend == s)
		return fail(why, "empty user name", -EINVAL);
	if (colon && !colon[1])
		return fail(why, "empty group name", -EINVAL);

	user = strndup(s, (size_t)(uend - s));
	if (!user)
		return fail(why, "out of memory", -ENOMEM);
	/* A name first, as chown(1) does: a user may be called "1000". */
	errno = 0;
	pw = getpwnam(user);
	free(user);
	if (pw) {
		u = pw->pw_uid;
		g = pw->pw_gid;
		have_group = true;
	} else {
		ret = parse_id(s, uend, &id);
		if (ret == -EINVAL)
			return fail(why, "no such user", -ENOENT);
		if (ret < 0)
			return fail(why, "user id out of range", -EINVAL);
		u = (uid_t)id;
		pw = getpwuid(u);
		if (pw) {
			g = pw->pw_gid;
			have_group = true;
		}
	}

	if (colon) {
		gr = getgrnam(colon + 1);
		if (gr) {
			g = gr->gr_gid;
		} else {
			ret = parse_id(colon + 1, colon + 1 + strlen(colon + 1),
				       &id);
			if (ret == -EINVAL)
				return fail(why, "no such group", -ENOENT);
			if (ret < 0)
				return fail(why, "group id out of range",
					    -EINVAL);
			g = (gid_t)id;
		}
	} else if (!have_group) {
		return fail(why, "the user id has no passwd entry, so no primary group: give USER:GROUP",
			    -ENOENT);
	}
	*uid = u;
	*gid = g;
	if (why)
		*why = NULL;
	return 0;
}

int pz_check_vm_name(const char *s, const char **why)
{
	if (!s || !*s)
		return fail(why, "empty name", -EINVAL);
	if (strlen(s) > PZ_VM_NAME_MAX)
		return fail(why, "longer than 255 bytes", -ERANGE);
	if (strchr(s, '/'))
		return fail(why, "contains '/'", -EINVAL);
	if (why)
		*why = NULL;
	return 0;
}

int pz_parse_node_size(const char *s, struct pz_node_size *out,
		       const char **why)
{
	const char *colon = s ? strchr(s, ':') : NULL;
	unsigned long node;
	const char *w;
	uint64_t size;
	int ret;

	if (!colon)
		return fail(why, "not NODE:SIZE", -EINVAL);
	ret = parse_id(s, colon, &node);
	if (ret == -EINVAL)
		return fail(why, s == colon ? "no node before ':'" :
					      "the node is not a number",
			    -EINVAL);
	if (ret < 0 || node > PZ_NODE_ID_MAX)
		return fail(why, "node number out of range", -ERANGE);
	if (!colon[1])
		return fail(why, "no size after ':'", -EINVAL);
	ret = pz_parse_pool_size(colon + 1, &size, &w);
	if (ret < 0)
		return fail(why, w, ret);
	out->node = (uint32_t)node;
	out->size = size;
	if (why)
		*why = NULL;
	return 0;
}

int pz_parse_node_sizes(char *const *args, size_t n, struct pz_node_size *out,
			size_t *bad, const char **why)
{
	size_t i, j;
	int ret;

	*bad = 0;
	if (!n)
		return fail(why, "no NODE:SIZE given", -EINVAL);
	if (n > PZ_PREPARE_MAX_NODES) {
		*bad = PZ_PREPARE_MAX_NODES;
		return fail(why, "more than 256 nodes", -E2BIG);
	}
	for (i = 0; i < n; i++) {
		struct pz_node_size ns;

		ret = pz_parse_node_size(args[i], &ns, why);
		if (ret < 0) {
			*bad = i;
			return ret;
		}
		for (j = 0; j < i; j++) {
			if (out[j].node == ns.node) {
				*bad = i;
				return fail(why, "node given twice", -EINVAL);
			}
		}
		out[i] = ns;
	}
	if (why)
		*why = NULL;
	return 0;
}
