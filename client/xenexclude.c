// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/*
 * Exclude lists (proto/xen-exclude.md): building the range list, writing
 * the text and JSON forms, and reading the text form strictly. A list
 * that does not parse is refused whole: a dump tool that trusted half of
 * one could skip populated memory.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "xenexclude.h"

#define MAGIC_LINE "prezero-xen-exclude 1"
#define MAGIC_WORD "prezero-xen-exclude "

/* ---- ranges ------------------------------------------------------------ */

void pz_ranges_init(struct pz_ranges *rs, size_t max)
{
	memset(rs, 0, sizeof(*rs));
	rs->max = max ? max : PZ_RANGES_MAX_DEFAULT;
}

void pz_ranges_free(struct pz_ranges *rs)
{
	free(rs->r);
	rs->r = NULL;
	rs->n = rs->cap = 0;
	rs->frames = 0;
	rs->truncated = false;
}

static int grow(struct pz_ranges *rs)
{
	size_t cap = rs->cap ? rs->cap * 2 : 64;
	struct pz_range *r;

	if (cap > rs->max)
		cap = rs->max;
	r = reallocarray(rs->r, cap, sizeof(*r));
	if (!r)
		return -ENOMEM;
	rs->r = r;
	rs->cap = cap;
	return 0;
}

int pz_ranges_add(struct pz_ranges *rs, uint64_t start, uint64_t end)
{
	struct pz_range *last = rs->n ? &rs->r[rs->n - 1] : NULL;
	int ret;

	if (start >= end || (last && start < last->end))
		return -EINVAL;
	if (last && start == last->end) {
		last->end = end;
		rs->frames += end - start;
		return 0;
	}
	if (rs->n >= rs->max) {
		rs->truncated = true;
		return 0;
	}
	if (rs->n == rs->cap) {
		ret = grow(rs);
		if (ret)
			return ret;
	}
	rs->r[rs->n].start = start;
	rs->r[rs->n].end = end;
	rs->n++;
	rs->frames += end - start;
	return 0;
}

int pz_ranges_add_batch(struct pz_ranges *rs, uint64_t base, const bool *bad,
			size_t n)
{
	size_t i = 0, j;
	int ret;

	if (n && base + n - 1 < base)
		return -EINVAL;
	while (i < n) {
		if (!bad[i]) {
			i++;
			continue;
		}
		for (j = i + 1; j < n && bad[j]; j++)
			;
		/* base + j may be 2^64 only when the batch ends there */
		if (base + j == 0)
			return -EINVAL;
		ret = pz_ranges_add(rs, base + i, base + j);
		if (ret)
			return ret;
		i = j;
	}
	return 0;
}

bool pz_ranges_contains(const struct pz_ranges *rs, uint64_t frame)
{
	size_t lo = 0, hi = rs->n;

	/* the first range that ends after frame */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (rs->r[mid].end <= frame)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < rs->n && rs->r[lo].start <= frame;
}

/* ---- writing ----------------------------------------------------------- */

static bool valid_type(const char *t)
{
	return !strcmp(t, "pv") || !strcmp(t, "pvh") || !strcmp(t, "hvm");
}

/* A header value on one line: control characters become '?'. */
static void clean_copy(char *dst, const char *src, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len && src[i]; i++)
		dst[i] = ((unsigned char)src[i] < 0x20 || src[i] == 0x7f) ?
			 '?' : src[i];
	dst[i] = '\0';
}

static bool page_size_ok(uint64_t ps)
{
	return ps >= 512 && ps <= (UINT64_C(1) << 30) && !(ps & (ps - 1));
}

static bool valid_uuid(const char *s)
{
	size_t i;

	if (!*s)
		return true;
	if (strlen(s) != 36)
		return false;
	for (i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' :
		    !((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
		      (s[i] >= 'A' && s[i] <= 'F')))
			return false;
	}
	return true;
}

/* What the format can express: the parser must take back what we write. */
static int check_list(const struct pz_exclude_hdr *h,
		      const struct pz_ranges *rs)
{
	if (!valid_type(h->type) || !h->generation || !valid_uuid(h->uuid) ||
	    !page_size_ok(h->page_size) || h->time < 0)
		return -EINVAL;
	if (rs->n && rs->r[rs->n - 1].end > h->scanned_frames)
		return -EINVAL;
	return 0;
}

static bool list_complete(const struct pz_exclude_hdr *h,
			  const struct pz_ranges *rs)
{
	return h->complete && !rs->truncated;
}

int pz_exclude_write_text(FILE *f, const struct pz_exclude_hdr *h,
			  const struct pz_ranges *rs)
{
	char uuid[sizeof(h->uuid)], name[sizeof(h->name)];
	size_t i;

	if (check_list(h, rs))
		return -EINVAL;
	clean_copy(uuid, h->uuid, sizeof(uuid));
	clean_copy(name, h->name, sizeof(name));
	fprintf(f, MAGIC_LINE "\n"
		"domid: %u\nuuid:%s%s\nname:%s%s\ntype: %s\n"
		"generation: %llu\npage-size: %u\ntime: %lld\n"
		"scanned-frames: 0x%llx\nexcluded-frames: 0x%llx\n"
		"ranges: %zu\ncomplete: %s\n\n",
		h->domid, *uuid ? " " : "", uuid, *name ? " " : "", name,
		h->type, (unsigned long long)h->generation, h->page_size,
		(long long)h->time, (unsigned long long)h->scanned_frames,
		(unsigned long long)rs->frames, rs->n,
		list_complete(h, rs) ? "yes" : "no");
	for (i = 0; i < rs->n; i++)
		fprintf(f, "0x%llx 0x%llx\n", (unsigned long long)rs->r[i].start,
			(unsigned long long)rs->r[i].end);
	if (fflush(f) == EOF)
		return -errno;
	return ferror(f) ? -EIO : 0;
}

static int jput(struct json_object *o, const char *key, struct json_object *v)
{
	if (!v)
		return -1;
	if (json_object_object_add(o, key, v)) {
		json_object_put(v);
		return -1;
	}
	return 0;
}

static struct json_object *ranges_json(const struct pz_ranges *rs)
{
	struct json_object *a = json_object_new_array_ext((int)rs->n);
	size_t i;

	if (!a)
		return NULL;
	for (i = 0; i < rs->n; i++) {
		struct json_object *p = json_object_new_array_ext(2);

		if (!p || json_object_array_add(a, p)) {
			json_object_put(p);
			goto err;
		}
		if (json_object_array_add(p, json_object_new_uint64(rs->r[i].start)) ||
		    json_object_array_add(p, json_object_new_uint64(rs->r[i].end)))
			goto err;
	}
	return a;
err:
	json_object_put(a);
	return NULL;
}

/* Every key of the JSON form but "ranges". */
static struct json_object *header_json(const struct pz_exclude_hdr *h,
				       const struct pz_ranges *rs)
{
	char uuid[sizeof(h->uuid)], name[sizeof(h->name)];
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	clean_copy(uuid, h->uuid, sizeof(uuid));
	clean_copy(name, h->name, sizeof(name));
	if (jput(o, "domid", json_object_new_int64(h->domid)) ||
	    jput(o, "uuid", json_object_new_string(uuid)) ||
	    jput(o, "name", json_object_new_string(name)) ||
	    jput(o, "type", json_object_new_string(h->type)) ||
	    jput(o, "generation", json_object_new_uint64(h->generation)) ||
	    jput(o, "page_size", json_object_new_int64(h->page_size)) ||
	    jput(o, "time", json_object_new_int64(h->time)) ||
	    jput(o, "scanned_frames", json_object_new_uint64(h->scanned_frames)) ||
	    jput(o, "excluded_frames", json_object_new_uint64(rs->frames)) ||
	    jput(o, "complete", json_object_new_boolean(list_complete(h, rs)))) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

struct json_object *pz_exclude_to_json(const struct pz_exclude_hdr *h,
				       const struct pz_ranges *rs,
				       size_t max_inline)
{
	struct json_object *o = header_json(h, rs);

	if (!o)
		return NULL;
	if (rs->n > max_inline) {
		if (json_object_object_add(o, "ranges", NULL) ||
		    jput(o, "range_count", json_object_new_uint64(rs->n))) {
			json_object_put(o);
			return NULL;
		}
	} else if (jput(o, "ranges", ranges_json(rs))) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

int pz_exclude_write_json(FILE *f, const struct pz_exclude_hdr *h,
			  const struct pz_ranges *rs)
{
	struct json_object *o = header_json(h, rs);
	const char *hdr;
	size_t len, i;
	int ret = 0;

	if (!o)
		return -ENOMEM;
	/* "{...}" without its closing brace, then the ranges by hand. */
	hdr = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	len = hdr ? strlen(hdr) : 0;
	if (len < 2 || hdr[len - 1] != '}') {
		json_object_put(o);
		return -ENOMEM;
	}
	fwrite(hdr, 1, len - 1, f);
	json_object_put(o);
	fputs(",\"ranges\":[", f);
	for (i = 0; i < rs->n; i++)
		fprintf(f, "%s[%llu,%llu]", i ? "," : "",
			(unsigned long long)rs->r[i].start,
			(unsigned long long)rs->r[i].end);
	fputs("]}\n", f);
	if (fflush(f) == EOF)
		ret = -errno;
	else if (ferror(f))
		ret = -EIO;
	return ret;
}

/* ---- parsing ----------------------------------------------------------- */

struct parser {
	FILE *f;
	unsigned long line;
	char buf[PZ_EXCLUDE_LINE_MAX + 2];
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 2, 3)))
static int perr(struct parser *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(p->err, p->errlen, "%lu: ", p->line);
	if (n >= 0 && (size_t)n < p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/*
 * The next line, without its newline, into p->buf. Returns 1, 0 at the
 * end of the file, -1 after an error (too long, a NUL byte, no newline at
 * the end, a read error).
 */
static int next_line(struct parser *p)
{
	size_t n = 0;
	int c;

	p->line++;
	while ((c = getc_unlocked(p->f)) != EOF && c != '\n') {
		if (!c)
			return perr(p, "NUL byte in the line");
		if (n == PZ_EXCLUDE_LINE_MAX)
			return perr(p, "line longer than %d bytes",
				    PZ_EXCLUDE_LINE_MAX);
		p->buf[n++] = (char)c;
	}
	p->buf[n] = '\0';
	if (c == EOF) {
		if (ferror(p->f))
			return perr(p, "read error: %s", strerror(errno));
		if (n)
			return perr(p, "no newline at the end of the file");
		return 0;
	}
	return 1;
}

/* Decimal, digits only, no leading zeros but "0" itself. */
static bool parse_dec(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s || (s[0] == '0' && s[1]))
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		if (v > (max - (uint64_t)(*s - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return true;
}

/* "0x" and lowercase hex digits, up to the end of s or at *end. */
static bool parse_hex(const char *s, const char **end, uint64_t *out)
{
	uint64_t v = 0;
	const char *q;
	int d;

	if (s[0] != '0' || s[1] != 'x')
		return false;
	for (q = s + 2;; q++) {
		if (*q >= '0' && *q <= '9')
			d = *q - '0';
		else if (*q >= 'a' && *q <= 'f')
			d = *q - 'a' + 10;
		else
			break;
		if (v >> 60)
			return false;
		v = v << 4 | (uint64_t)d;
	}
	if (q == s + 2 || (end ? false : *q))
		return false;
	if (end)
		*end = q;
	*out = v;
	return true;
}

enum key {
	K_DOMID, K_UUID, K_NAME, K_TYPE, K_GENERATION, K_PAGE_SIZE, K_TIME,
	K_SCANNED, K_EXCLUDED, K_RANGES, K_COMPLETE, K_COUNT
};

static const char *const key_names[K_COUNT] = {
	"domid", "uuid", "name", "type", "generation", "page-size", "time",
	"scanned-frames", "excluded-frames", "ranges", "complete",
};

/* What the header says that the ranges must match. */
struct counts {
	uint64_t excluded, ranges;
};

static int header_value(struct parser *p, enum key k, const char *v,
			struct pz_exclude_hdr *h, struct counts *c)
{
	uint64_t u;

	switch (k) {
	case K_DOMID:
		if (!parse_dec(v, UINT32_MAX, &u))
			return perr(p, "invalid domid '%s'", v);
		h->domid = (uint32_t)u;
		return 0;
	case K_UUID:
		if (!valid_uuid(v))
			return perr(p, "invalid uuid '%s'", v);
		strcpy(h->uuid, v);
		return 0;
	case K_NAME:
		if (strlen(v) >= sizeof(h->name))
			return perr(p, "name longer than %zu bytes",
				    sizeof(h->name) - 1);
		for (const char *q = v; *q; q++)
			if ((unsigned char)*q < 0x20 || *q == 0x7f)
				return perr(p, "control character in the name");
		strcpy(h->name, v);
		return 0;
	case K_TYPE:
		if (!valid_type(v))
			return perr(p, "invalid type '%s' (pv, pvh or hvm)", v);
		strcpy(h->type, v);
		return 0;
	case K_GENERATION:
		if (!parse_dec(v, UINT64_MAX, &u) || !u)
			return perr(p, "invalid generation '%s' (1 or more)", v);
		h->generation = u;
		return 0;
	case K_PAGE_SIZE:
		if (!parse_dec(v, UINT32_MAX, &u) || !page_size_ok(u))
			return perr(p, "invalid page-size '%s' (a power of two, 512 to 1 GiB)",
				    v);
		h->page_size = (uint32_t)u;
		return 0;
	case K_TIME:
		if (!parse_dec(v, INT64_MAX, &u))
			return perr(p, "invalid time '%s'", v);
		h->time = (int64_t)u;
		return 0;
	case K_SCANNED:
		if (!parse_hex(v, NULL, &h->scanned_frames))
			return perr(p, "invalid scanned-frames '%s' (0x and lowercase hex)",
				    v);
		return 0;
	case K_EXCLUDED:
		if (!parse_hex(v, NULL, &c->excluded))
			return perr(p, "invalid excluded-frames '%s' (0x and lowercase hex)",
				    v);
		return 0;
	case K_RANGES:
		if (!parse_dec(v, UINT64_MAX, &c->ranges))
			return perr(p, "invalid ranges '%s'", v);
		return 0;
	case K_COMPLETE:
		if (strcmp(v, "yes") && strcmp(v, "no"))
			return perr(p, "invalid complete '%s' (yes or no)", v);
		h->complete = !strcmp(v, "yes");
		return 0;
	default:
		return perr(p, "internal error");
	}
}

static bool valid_key(const char *k, size_t len)
{
	size_t i;

	if (!len)
		return false;
	for (i = 0; i < len; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= '0' && k[i] <= '9') ||
		      k[i] == '-' || k[i] == '_'))
			return false;
	return true;
}

/* One "key: value" line; unknown keys are skipped. */
static int header_line(struct parser *p, bool *seen, struct pz_exclude_hdr *h,
		       struct counts *c)
{
	char *colon = strchr(p->buf, ':');
	const char *v;
	size_t klen;
	int k;

	if (!colon || !valid_key(p->buf, (size_t)(colon - p->buf)))
		return perr(p, "expected 'key: value' or an empty line");
	klen = (size_t)(colon - p->buf);
	/* "key:" is an empty value, "key: value" the usual form; a name
	 * keeps the rest of the line, spaces included */
	v = colon[1] == ' ' ? colon + 2 : colon + 1;
	for (k = 0; k < K_COUNT; k++)
		if (strlen(key_names[k]) == klen &&
		    !memcmp(key_names[k], p->buf, klen))
			break;
	if (k == K_COUNT)
		return 0;
	if (seen[k])
		return perr(p, "duplicate key '%s'", key_names[k]);
	seen[k] = true;
	return header_value(p, (enum key)k, v, h, c);
}

static int parse_header(struct parser *p, struct pz_exclude_hdr *h,
			struct counts *c)
{
	bool seen[K_COUNT] = { false };
	int r, k;

	r = next_line(p);
	if (r < 0)
		return r;
	if (!r)
		return perr(p, "empty file");
	if (strcmp(p->buf, MAGIC_LINE)) {
		const char *ver = p->buf + strlen(MAGIC_WORD);

		if (!strncmp(p->buf, MAGIC_WORD, strlen(MAGIC_WORD)) && *ver &&
		    strspn(ver, "0123456789") == strlen(ver))
			return perr(p, "unknown format version '%s' (this reader knows 1)",
				    ver);
		return perr(p, "not an exclude list (the first line is not '%s')",
			    MAGIC_LINE);
	}
	for (;;) {
		r = next_line(p);
		if (r < 0)
			return r;
		if (!r)
			return perr(p, "end of file in the header (no empty line)");
		if (!*p->buf)
			break;
		if (header_line(p, seen, h, c))
			return -1;
	}
	for (k = 0; k < K_COUNT; k++)
		if (!seen[k])
			return perr(p, "missing header key '%s'", key_names[k]);
	if (c->ranges > PZ_EXCLUDE_RANGES_MAX)
		return perr(p, "%llu ranges: more than the %zu a list may hold",
			    (unsigned long long)c->ranges, PZ_EXCLUDE_RANGES_MAX);
	return 0;
}

static int range_line(struct parser *p, struct pz_ranges *rs,
		      const struct pz_exclude_hdr *h, const struct counts *c)
{
	const struct pz_range *last = rs->n ? &rs->r[rs->n - 1] : NULL;
	uint64_t s, e;
	const char *q;

	if (!parse_hex(p->buf, &q, &s) || *q != ' ' ||
	    !parse_hex(q + 1, NULL, &e))
		return perr(p, "expected a range '0xSTART 0xEND' (lowercase hex), not '%s'",
			    p->buf);
	if (s >= e)
		return perr(p, "range start 0x%llx is not below its end 0x%llx",
			    (unsigned long long)s, (unsigned long long)e);
	if (last && s < last->end)
		return perr(p, "range 0x%llx 0x%llx is not after the previous one (ends 0x%llx)",
			    (unsigned long long)s, (unsigned long long)e,
			    (unsigned long long)last->end);
	if (last && s == last->end)
		return perr(p, "range 0x%llx 0x%llx is adjacent to the previous one (must be merged)",
			    (unsigned long long)s, (unsigned long long)e);
	if (e > h->scanned_frames)
		return perr(p, "range end 0x%llx is beyond scanned-frames 0x%llx",
			    (unsigned long long)e,
			    (unsigned long long)h->scanned_frames);
	if (rs->n >= c->ranges)
		return perr(p, "more range lines than the header's ranges: %llu",
			    (unsigned long long)c->ranges);
	if (pz_ranges_add(rs, s, e))
		return perr(p, "out of memory");
	return 0;
}

int pz_exclude_parse_text(FILE *f, struct pz_exclude_hdr *h,
			  struct pz_ranges *rs, char *err, size_t errlen)
{
	struct parser *p = calloc(1, sizeof(*p));
	struct counts c = { 0, 0 };
	int r = -1;

	pz_ranges_init(rs, PZ_EXCLUDE_RANGES_MAX);
	memset(h, 0, sizeof(*h));
	if (!p) {
		snprintf(err, errlen, "0: out of memory");
		return -1;
	}
	p->f = f;
	p->err = err;
	p->errlen = errlen;
	if (parse_header(p, h, &c))
		goto out;
	while ((r = next_line(p)) > 0)
		if (range_line(p, rs, h, &c))
			goto fail;
	if (r < 0)
		goto fail;
	r = -1;
	if (rs->n != c.ranges) {
		perr(p, "end of file after %zu ranges, the header says %llu",
		     rs->n, (unsigned long long)c.ranges);
		goto fail;
	}
	if (rs->frames != c.excluded) {
		perr(p, "the ranges hold 0x%llx frames, the header's excluded-frames says 0x%llx",
		     (unsigned long long)rs->frames,
		     (unsigned long long)c.excluded);
		goto fail;
	}
	r = 0;
	goto out;
fail:
	r = -1;
	pz_ranges_free(rs);
out:
	free(p);
	return r;
}

int pz_exclude_read_file(const char *path, struct pz_exclude_hdr *h,
			 struct pz_ranges *rs, char *err, size_t errlen)
{
	char msg[256];
	FILE *f = fopen(path, "re");
	int r;

	if (!f) {
		int e = errno;

		pz_ranges_init(rs, PZ_EXCLUDE_RANGES_MAX);
		memset(h, 0, sizeof(*h));
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -1;
	}
	r = pz_exclude_parse_text(f, h, rs, msg, sizeof(msg));
	fclose(f);
	if (r)
		snprintf(err, errlen, "%s:%s", path, msg);
	return r;
}
