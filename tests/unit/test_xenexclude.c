// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/*
 * Xen exclude lists (client/xenexclude.c): building ranges (merging, scan
 * batches, the bound), the text form written and read back, the JSON
 * form, and every way the strict reader refuses a file.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "xenexclude.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- ranges -------------------------------------------------------------- */

START_TEST(add_merge)
{
	struct pz_ranges rs;

	pz_ranges_init(&rs, 0);
	ck_assert_uint_eq(rs.max, PZ_RANGES_MAX_DEFAULT);
	ck_assert_int_eq(pz_ranges_add(&rs, 10, 20), 0);
	ck_assert_int_eq(pz_ranges_add(&rs, 20, 25), 0);	/* adjacent: merged */
	ck_assert_uint_eq(rs.n, 1);
	ck_assert_uint_eq(rs.r[0].start, 10);
	ck_assert_uint_eq(rs.r[0].end, 25);
	ck_assert_int_eq(pz_ranges_add(&rs, 30, 31), 0);
	ck_assert_uint_eq(rs.n, 2);
	ck_assert_uint_eq(rs.frames, 16);
	/* refused, and nothing changes */
	ck_assert_int_eq(pz_ranges_add(&rs, 40, 40), -EINVAL);
	ck_assert_int_eq(pz_ranges_add(&rs, 41, 40), -EINVAL);
	ck_assert_int_eq(pz_ranges_add(&rs, 30, 35), -EINVAL);	/* overlaps */
	ck_assert_int_eq(pz_ranges_add(&rs, 0, 5), -EINVAL);	/* before */
	ck_assert_uint_eq(rs.n, 2);
	ck_assert_uint_eq(rs.frames, 16);
	ck_assert(!rs.truncated);
	pz_ranges_free(&rs);
	ck_assert_ptr_null(rs.r);
	ck_assert_uint_eq(rs.n, 0);
	pz_ranges_free(&rs);	/* twice is fine */
}
END_TEST

START_TEST(contains)
{
	static const uint64_t r[][2] = { { 2, 4 }, { 10, 11 }, { 100, 200 } };
	struct pz_ranges rs;
	uint64_t f;

	pz_ranges_init(&rs, 0);
	ck_assert(!pz_ranges_contains(&rs, 0));
	for (size_t i = 0; i < N(r); i++)
		ck_assert_int_eq(pz_ranges_add(&rs, r[i][0], r[i][1]), 0);
	for (f = 0; f < 210; f++) {
		bool in = false;

		for (size_t i = 0; i < N(r); i++)
			in |= f >= r[i][0] && f < r[i][1];
		ck_assert_msg(pz_ranges_contains(&rs, f) == in, "frame %llu",
			      (unsigned long long)f);
	}
	ck_assert(!pz_ranges_contains(&rs, UINT64_MAX));
	pz_ranges_free(&rs);
}
END_TEST

START_TEST(batch)
{
	/* batch 1 ends in an excluded frame, batch 2 starts with one */
	static const bool b1[] = { 0, 1, 1, 0, 1, 0, 0, 1 };
	static const bool b2[] = { 1, 1, 0, 0, 0, 1 };
	static const bool none[] = { 0, 0, 0 };
	struct pz_ranges rs;

	pz_ranges_init(&rs, 0);
	ck_assert_int_eq(pz_ranges_add_batch(&rs, 100, b1, N(b1)), 0);
	ck_assert_int_eq(pz_ranges_add_batch(&rs, 108, b2, N(b2)), 0);
	ck_assert_int_eq(pz_ranges_add_batch(&rs, 114, none, N(none)), 0);
	ck_assert_int_eq(pz_ranges_add_batch(&rs, 117, b1, 0), 0);
	ck_assert_uint_eq(rs.n, 4);
	ck_assert_uint_eq(rs.r[0].start, 101);
	ck_assert_uint_eq(rs.r[0].end, 103);
	ck_assert_uint_eq(rs.r[1].start, 104);
	ck_assert_uint_eq(rs.r[1].end, 105);
	ck_assert_uint_eq(rs.r[2].start, 107);	/* merged across batches */
	ck_assert_uint_eq(rs.r[2].end, 110);
	ck_assert_uint_eq(rs.r[3].start, 113);
	ck_assert_uint_eq(rs.r[3].end, 114);
	ck_assert_uint_eq(rs.frames, 7);
	/* a batch before what is there, one past 2^64 */
	ck_assert_int_eq(pz_ranges_add_batch(&rs, 50, b1, N(b1)), -EINVAL);
	ck_assert_int_eq(pz_ranges_add_batch(&rs, UINT64_MAX - 2, b1, N(b1)),
			 -EINVAL);
	pz_ranges_free(&rs);
}
END_TEST

START_TEST(bound)
{
	struct pz_ranges rs;

	pz_ranges_init(&rs, 2);
	ck_assert_int_eq(pz_ranges_add(&rs, 0, 1), 0);
	ck_assert_int_eq(pz_ranges_add(&rs, 2, 3), 0);
	ck_assert(!rs.truncated);
	/* full, but merging needs no new entry */
	ck_assert_int_eq(pz_ranges_add(&rs, 3, 4), 0);
	ck_assert(!rs.truncated);
	ck_assert_int_eq(pz_ranges_add(&rs, 5, 6), 0);
	ck_assert(rs.truncated);
	ck_assert_int_eq(pz_ranges_add(&rs, 8, 9), 0);
	ck_assert_uint_eq(rs.n, 2);
	ck_assert_uint_eq(rs.frames, 3);
	ck_assert(!pz_ranges_contains(&rs, 5));
	ck_assert(!pz_ranges_contains(&rs, 8));
	pz_ranges_free(&rs);
}
END_TEST

START_TEST(many)
{
	struct pz_ranges rs;
	size_t i;

	pz_ranges_init(&rs, 0);
	for (i = 0; i < 100000; i++)
		ck_assert_int_eq(pz_ranges_add(&rs, 3 * i, 3 * i + 2), 0);
	ck_assert_uint_eq(rs.n, 100000);
	ck_assert_uint_eq(rs.frames, 200000);
	for (i = 0; i < 300000; i += 7)
		ck_assert_msg(pz_ranges_contains(&rs, i) == (i % 3 != 2),
			      "frame %zu", i);
	pz_ranges_free(&rs);
}
END_TEST

/* ---- text form ----------------------------------------------------------- */

static void fill_hdr(struct pz_exclude_hdr *h)
{
	memset(h, 0, sizeof(*h));
	h->domid = 3;
	strcpy(h->uuid, "0b6e6d4c-2c1f-4f60-9d2b-0d7f6fd1a1b2");
	strcpy(h->name, "guest1");
	strcpy(h->type, "pvh");
	h->generation = 4;
	h->page_size = 4096;
	h->time = 1764748800;
	h->scanned_frames = 0x40000;
	h->complete = true;
}

/* What f holds, NUL-terminated (free it). */
static char *write_to_string(const struct pz_exclude_hdr *h,
			     const struct pz_ranges *rs, int *ret)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	*ret = pz_exclude_write_text(f, h, rs);
	fclose(f);
	return buf;
}

static int parse_string(const char *s, struct pz_exclude_hdr *h,
			struct pz_ranges *rs, char *err, size_t errlen)
{
	FILE *f = fmemopen((void *)s, strlen(s), "r");
	int r;

	ck_assert_ptr_nonnull(f);
	r = pz_exclude_parse_text(f, h, rs, err, errlen);
	fclose(f);
	return r;
}

/* The example of proto/xen-exclude.md, byte for byte. */
static const char example[] =
	"prezero-xen-exclude 1\n"
	"domid: 3\n"
	"uuid: 0b6e6d4c-2c1f-4f60-9d2b-0d7f6fd1a1b2\n"
	"name: guest1\n"
	"type: pvh\n"
	"generation: 4\n"
	"page-size: 4096\n"
	"time: 1764748800\n"
	"scanned-frames: 0x40000\n"
	"excluded-frames: 0x8000\n"
	"ranges: 2\n"
	"complete: yes\n"
	"\n"
	"0x20000 0x27000\n"
	"0x3f000 0x40000\n";

START_TEST(write_example)
{
	struct pz_exclude_hdr h;
	struct pz_ranges rs;
	char *text;
	int ret;

	fill_hdr(&h);
	pz_ranges_init(&rs, 0);
	ck_assert_int_eq(pz_ranges_add(&rs, 0x20000, 0x27000), 0);
	ck_assert_int_eq(pz_ranges_add(&rs, 0x3f000, 0x40000), 0);
	text = write_to_string(&h, &rs, &ret);
	ck_assert_int_eq(ret, 0);
	ck_assert_str_eq(text, example);
	free(text);
	pz_ranges_free(&rs);
}
END_TEST

static void assert_same(const struct pz_exclude_hdr *a,
			const struct pz_exclude_hdr *b)
{
	ck_assert_uint_eq(a->domid, b->domid);
	ck_assert_str_eq(a->uuid, b->uuid);
	ck_assert_str_eq(a->name, b->name);
	ck_assert_str_eq(a->type, b->type);
	ck_assert_uint_eq(a->generation, b->generation);
	ck_assert_uint_eq(a->page_size, b->page_size);
	ck_assert_int_eq(a->time, b->time);
	ck_assert_uint_eq(a->scanned_frames, b->scanned_frames);
	ck_assert_int_eq(a->complete, b->complete);
}

START_TEST(round_trip)
{
	struct pz_exclude_hdr h, back;
	struct pz_ranges rs, got;
	char *text, err[256] = "";
	int ret;
	size_t i;

	fill_hdr(&h);
	h.domid = 4294967295u;
	h.generation = UINT64_MAX;
	h.uuid[0] = '\0';
	strcpy(h.name, " spaced  name ");
	strcpy(h.type, "hvm");
	h.scanned_frames = UINT64_MAX;
	pz_ranges_init(&rs, 0);
	for (i = 0; i < 5000; i++)
		ck_assert_int_eq(pz_ranges_add(&rs, 5 * i + 1, 5 * i + 3 + i % 2),
				 0);
	ck_assert_int_eq(pz_ranges_add(&rs, UINT64_MAX - 1, UINT64_MAX), 0);
	text = write_to_string(&h, &rs, &ret);
	ck_assert_int_eq(ret, 0);
	ck_assert_msg(parse_string(text, &back, &got, err, sizeof(err)) == 0,
		      "%s", err);
	assert_same(&h, &back);
	ck_assert_uint_eq(got.n, rs.n);
	ck_assert_uint_eq(got.frames, rs.frames);
	for (i = 0; i < rs.n; i++) {
		ck_assert_uint_eq(got.r[i].start, rs.r[i].start);
		ck_assert_uint_eq(got.r[i].end, rs.r[i].end);
	}
	free(text);
	pz_ranges_free(&got);
	pz_ranges_free(&rs);
}
END_TEST

START_TEST(round_trip_empty)
{
	struct pz_exclude_hdr h, back;
	struct pz_ranges rs, got;
	char *text, err[256] = "";
	int ret;

	fill_hdr(&h);
	h.name[0] = '\0';
	strcpy(h.type, "pv");
	h.scanned_frames = 0;
	h.time = 0;
	pz_ranges_init(&rs, 0);
	text = write_to_string(&h, &rs, &ret);
	ck_assert_int_eq(ret, 0);
	ck_assert_ptr_nonnull(strstr(text, "\nname:\n"));
	ck_assert_msg(parse_string(text, &back, &got, err, sizeof(err)) == 0,
		      "%s", err);
	assert_same(&h, &back);
	ck_assert_uint_eq(got.n, 0);
	free(text);
	pz_ranges_free(&got);
	pz_ranges_free(&rs);
}
END_TEST

/* A cut list is written as incomplete; control characters cannot break
 * the line structure. */
START_TEST(write_truncated_and_names)
{
	struct pz_exclude_hdr h, back;
	struct pz_ranges rs, got;
	char *text, err[256] = "";
	int ret;

	fill_hdr(&h);
	strcpy(h.name, "a\nb\tc\x7f");
	pz_ranges_init(&rs, 1);
	ck_assert_int_eq(pz_ranges_add(&rs, 1, 2), 0);
	ck_assert_int_eq(pz_ranges_add(&rs, 5, 6), 0);
	ck_assert(rs.truncated);
	text = write_to_string(&h, &rs, &ret);
	ck_assert_int_eq(ret, 0);
	ck_assert_ptr_nonnull(strstr(text, "\ncomplete: no\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nname: a?b?c?\n"));
	ck_assert_msg(parse_string(text, &back, &got, err, sizeof(err)) == 0,
		      "%s", err);
	ck_assert(!back.complete);
	ck_assert_str_eq(back.name, "a?b?c?");
	ck_assert_uint_eq(got.n, 1);
	free(text);
	pz_ranges_free(&got);
	pz_ranges_free(&rs);
}
END_TEST

START_TEST(write_refuses)
{
	struct pz_exclude_hdr h;
	struct pz_ranges rs;
	char *text;
	int ret;

	pz_ranges_init(&rs, 0);
	ck_assert_int_eq(pz_ranges_add(&rs, 1, 0x40001), 0);
	fill_hdr(&h);
	text = write_to_string(&h, &rs, &ret);	/* beyond scanned-frames */
	ck_assert_int_eq(ret, -EINVAL);
	ck_assert_str_eq(text, "");
	free(text);
	pz_ranges_free(&rs);
	pz_ranges_init(&rs, 0);

	fill_hdr(&h);
	strcpy(h.type, "xen");
	text = write_to_string(&h, &rs, &ret);
	ck_assert_int_eq(ret, -EINVAL);
	free(text);
	fill_hdr(&h);
	h.generation = 0;
	text = write_to_string(&h, &rs, &ret);
	ck_assert_int_eq(ret, -EINVAL);
	free(text);
	fill_hdr(&h);
	h.page_size = 4095;
	text = write_to_string(&h, &rs, &ret);
	ck_assert_int_eq(ret, -EINVAL);
	free(text);
	fill_hdr(&h);
	strcpy(h.uuid, "not-a-uuid");
	text = write_to_string(&h, &rs, &ret);
	ck_assert_int_eq(ret, -EINVAL);
	free(text);
	fill_hdr(&h);
	h.time = -1;
	text = write_to_string(&h, &rs, &ret);
	ck_assert_int_eq(ret, -EINVAL);
	free(text);
	pz_ranges_free(&rs);
}
END_TEST

/* A write error of the FILE is reported, by both forms' writers. */
START_TEST(write_error)
{
	struct pz_exclude_hdr h;
	struct pz_ranges rs;
	FILE *f = fopen("/dev/full", "w");

	ck_assert_ptr_nonnull(f);
	fill_hdr(&h);
	pz_ranges_init(&rs, 0);
	ck_assert_int_eq(pz_exclude_write_text(f, &h, &rs), -ENOSPC);
	clearerr(f);
	ck_assert_int_eq(pz_ranges_add(&rs, 1, 2), 0);
	ck_assert_int_eq(pz_exclude_write_json(f, &h, &rs), -ENOSPC);
	fclose(f);
	pz_ranges_free(&rs);
}
END_TEST

/* ---- JSON form ----------------------------------------------------------- */

static uint64_t ju(struct json_object *o, const char *key)
{
	struct json_object *v;

	ck_assert_msg(json_object_object_get_ex(o, key, &v), "%s", key);
	ck_assert_msg(json_object_is_type(v, json_type_int), "%s", key);
	return json_object_get_uint64(v);
}

static const char *js(struct json_object *o, const char *key)
{
	struct json_object *v;

	ck_assert_msg(json_object_object_get_ex(o, key, &v), "%s", key);
	ck_assert_msg(json_object_is_type(v, json_type_string), "%s", key);
	return json_object_get_string(v);
}

START_TEST(json_form)
{
	struct pz_exclude_hdr h;
	struct pz_ranges rs;
	struct json_object *o, *v, *a;

	fill_hdr(&h);
	h.generation = UINT64_MAX;
	pz_ranges_init(&rs, 0);
	ck_assert_int_eq(pz_ranges_add(&rs, 0x20000, 0x27000), 0);
	ck_assert_int_eq(pz_ranges_add(&rs, 0x3f000, 0x40000), 0);
	o = pz_exclude_to_json(&h, &rs, SIZE_MAX);
	ck_assert_ptr_nonnull(o);
	ck_assert_uint_eq(ju(o, "domid"), 3);
	ck_assert_str_eq(js(o, "uuid"), h.uuid);
	ck_assert_str_eq(js(o, "name"), "guest1");
	ck_assert_str_eq(js(o, "type"), "pvh");
	ck_assert_uint_eq(ju(o, "generation"), UINT64_MAX);
	ck_assert_uint_eq(ju(o, "page_size"), 4096);
	ck_assert_uint_eq(ju(o, "time"), 1764748800);
	ck_assert_uint_eq(ju(o, "scanned_frames"), 0x40000);
	ck_assert_uint_eq(ju(o, "excluded_frames"), 0x8000);
	ck_assert(json_object_object_get_ex(o, "complete", &v));
	ck_assert(json_object_is_type(v, json_type_boolean));
	ck_assert(json_object_get_boolean(v));
	ck_assert(json_object_object_get_ex(o, "ranges", &a));
	ck_assert(json_object_is_type(a, json_type_array));
	ck_assert_uint_eq(json_object_array_length(a), 2);
	v = json_object_array_get_idx(a, 1);
	ck_assert_uint_eq(json_object_array_length(v), 2);
	ck_assert_uint_eq(json_object_get_uint64(json_object_array_get_idx(v, 0)),
			  0x3f000);
	ck_assert_uint_eq(json_object_get_uint64(json_object_array_get_idx(v, 1)),
			  0x40000);
	/* no header key is spelled with '-' */
	json_object_object_foreach(o, key, val) {
		(void)val;
		ck_assert_msg(!strchr(key, '-'), "%s", key);
	}
	json_object_put(o);

	rs.truncated = true;
	o = pz_exclude_to_json(&h, &rs, SIZE_MAX);
	ck_assert(json_object_object_get_ex(o, "complete", &v));
	ck_assert(!json_object_get_boolean(v));
	json_object_put(o);
	pz_ranges_free(&rs);
}
END_TEST

/* A reply's tree past max_inline: "ranges" null and the count. */
START_TEST(json_form_not_inline)
{
	struct pz_exclude_hdr h;
	struct pz_ranges rs;
	struct json_object *o, *v;

	fill_hdr(&h);
	pz_ranges_init(&rs, 0);
	ck_assert_int_eq(pz_ranges_add(&rs, 0x20000, 0x27000), 0);
	ck_assert_int_eq(pz_ranges_add(&rs, 0x3f000, 0x40000), 0);
	o = pz_exclude_to_json(&h, &rs, 2);
	ck_assert(json_object_object_get_ex(o, "ranges", &v));
	ck_assert_uint_eq(json_object_array_length(v), 2);
	ck_assert(!json_object_object_get_ex(o, "range_count", NULL));
	json_object_put(o);
	o = pz_exclude_to_json(&h, &rs, 1);
	ck_assert(json_object_object_get_ex(o, "ranges", &v));
	ck_assert_ptr_null(v);
	ck_assert_uint_eq(ju(o, "range_count"), 2);
	ck_assert_uint_eq(ju(o, "excluded_frames"), 0x8000);
	ck_assert_uint_eq(ju(o, "generation"), 4);
	json_object_put(o);
	pz_ranges_free(&rs);
}
END_TEST

/* The streamed JSON file: byte for byte what json-c prints of the tree. */
static void assert_streamed_json(const struct pz_exclude_hdr *h,
				 const struct pz_ranges *rs)
{
	struct json_object *o = pz_exclude_to_json(h, rs, SIZE_MAX);
	char *buf = NULL, *want;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(o);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(pz_exclude_write_json(f, h, rs), 0);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_ne(asprintf(&want, "%s\n", json_object_to_json_string_ext(
				  o, JSON_C_TO_STRING_PLAIN)), -1);
	ck_assert_str_eq(buf, want);
	json_object_put(o);
	free(want);
	free(buf);
}

START_TEST(json_streamed)
{
	struct pz_exclude_hdr h;
	struct pz_ranges rs;
	size_t i;

	fill_hdr(&h);
	pz_ranges_init(&rs, 0);
	assert_streamed_json(&h, &rs);			/* no ranges */
	ck_assert_int_eq(pz_ranges_add(&rs, 0, 1), 0);
	assert_streamed_json(&h, &rs);
	for (i = 1; i < 3000; i++)
		ck_assert_int_eq(pz_ranges_add(&rs, 3 * i, 3 * i + 2), 0);
	ck_assert_int_eq(pz_ranges_add(&rs, UINT64_MAX - 1, UINT64_MAX), 0);
	h.scanned_frames = UINT64_MAX;
	h.generation = UINT64_MAX;
	strcpy(h.name, "a \"quoted\" \\ name\t");	/* escapes and '?' */
	h.uuid[0] = '\0';
	assert_streamed_json(&h, &rs);
	rs.truncated = true;				/* complete: false */
	assert_streamed_json(&h, &rs);
	pz_ranges_free(&rs);
}
END_TEST

/* Past the default bound: a list prezerod writes with a larger max_ranges
 * is not cut by the reader (a million lines would take a minute under
 * valgrind, so the bound itself is checked). */
START_TEST(read_past_default_bound)
{
	struct pz_exclude_hdr h, back;
	struct pz_ranges rs, got;
	char err[256] = "";
	FILE *f = tmpfile();

	ck_assert_ptr_nonnull(f);
	fill_hdr(&h);
	pz_ranges_init(&rs, 0);
	ck_assert_int_eq(pz_ranges_add(&rs, 1, 2), 0);
	ck_assert_int_eq(pz_exclude_write_text(f, &h, &rs), 0);
	rewind(f);
	ck_assert_msg(pz_exclude_parse_text(f, &back, &got, err, sizeof(err)) == 0,
		      "%s", err);
	ck_assert_uint_eq(got.max, PZ_EXCLUDE_RANGES_MAX);
	ck_assert_uint_gt(PZ_EXCLUDE_RANGES_MAX, PZ_RANGES_MAX_DEFAULT);
	fclose(f);
	pz_ranges_free(&got);
	pz_ranges_free(&rs);
}
END_TEST

/* ---- the reader's refusals ----------------------------------------------- */

/* The header with scanned-frames, excluded-frames and ranges given;
 * lines 1-12, line 13 empty, ranges from line 14. */
#define HDR(scanned, excluded, ranges)					\
	"prezero-xen-exclude 1\ndomid: 3\nuuid: \nname: g\ntype: pv\n"	\
	"generation: 1\npage-size: 4096\ntime: 5\n"			\
	"scanned-frames: " scanned "\nexcluded-frames: " excluded "\n"	\
	"ranges: " ranges "\ncomplete: yes\n\n"

static const struct {
	const char *text, *err;
} bad[] = {
	{ "", "1: empty file" },
	{ "hello\n", "1: not an exclude list" },
	{ "prezero-xen-exclude 1 \n", "1: not an exclude list" },
	{ "prezero-xen-exclude 2\n", "1: unknown format version '2'" },
	{ "prezero-xen-exclude 1\ndomid: 3\n", "3: end of file in the header" },
	{ "prezero-xen-exclude 1\ndomid: 3\ndomid: 4\n", "3: duplicate key 'domid'" },
	{ "prezero-xen-exclude 1\ndomid 3\n", "2: expected 'key: value'" },
	{ "prezero-xen-exclude 1\n: 3\n", "2: expected 'key: value'" },
	{ "prezero-xen-exclude 1\nDomid: 3\n", "2: expected 'key: value'" },
	{ "prezero-xen-exclude 1\ndomid: x\n", "2: invalid domid 'x'" },
	{ "prezero-xen-exclude 1\ndomid: -1\n", "2: invalid domid" },
	{ "prezero-xen-exclude 1\ndomid: 4294967296\n", "2: invalid domid" },
	{ "prezero-xen-exclude 1\ndomid: 03\n", "2: invalid domid" },
	{ "prezero-xen-exclude 1\ndomid:  3\n", "2: invalid domid" },
	{ "prezero-xen-exclude 1\nuuid: 0b6e6d4c-2c1f-4f60-9d2b-0d7f6fd1a1b\n",
	  "2: invalid uuid" },
	{ "prezero-xen-exclude 1\nuuid: 0b6e6d4c+2c1f-4f60-9d2b-0d7f6fd1a1b2\n",
	  "2: invalid uuid" },
	{ "prezero-xen-exclude 1\ntype: xen\n", "2: invalid type 'xen'" },
	{ "prezero-xen-exclude 1\ngeneration: 0\n", "2: invalid generation" },
	{ "prezero-xen-exclude 1\npage-size: 4095\n", "2: invalid page-size" },
	{ "prezero-xen-exclude 1\npage-size: 0\n", "2: invalid page-size" },
	{ "prezero-xen-exclude 1\ntime: 1.5\n", "2: invalid time" },
	{ "prezero-xen-exclude 1\nscanned-frames: 40000\n",
	  "2: invalid scanned-frames" },
	{ "prezero-xen-exclude 1\nscanned-frames: 0X40000\n",
	  "2: invalid scanned-frames" },
	{ "prezero-xen-exclude 1\nscanned-frames: 0xABC\n",
	  "2: invalid scanned-frames" },
	{ "prezero-xen-exclude 1\nscanned-frames: 0x\n",
	  "2: invalid scanned-frames" },
	{ "prezero-xen-exclude 1\nscanned-frames: 0x10000000000000000\n",
	  "2: invalid scanned-frames" },
	{ "prezero-xen-exclude 1\nexcluded-frames: 0x1g\n",
	  "2: invalid excluded-frames" },
	{ "prezero-xen-exclude 1\nranges: 0x1\n", "2: invalid ranges" },
	{ "prezero-xen-exclude 1\ncomplete: true\n", "2: invalid complete" },
	{ "prezero-xen-exclude 1\nname: a\001b\n", "2: control character" },
	/* a header without 'time' */
	{ "prezero-xen-exclude 1\ndomid: 3\nuuid:\nname:\ntype: pv\n"
	  "generation: 1\npage-size: 4096\nscanned-frames: 0x0\n"
	  "excluded-frames: 0x0\nranges: 0\ncomplete: yes\n\n",
	  "12: missing header key 'time'" },
	{ HDR("0x100", "0x0", "16777217"), "13: 16777217 ranges: more than" },
	/* the default bound is no limit to the reader: the count is wrong */
	{ HDR("0x100", "0x0", "1048577"), "14: end of file after 0 ranges, the header says 1048577" },
	/* ranges */
	{ HDR("0x100", "0x1", "1") "0x1 0xzz\n", "14: expected a range" },
	{ HDR("0x100", "0x1", "1") "0x1  0x2\n", "14: expected a range" },
	{ HDR("0x100", "0x1", "1") "0x1 0x2 \n", "14: expected a range" },
	{ HDR("0x100", "0x1", "1") " 0x1 0x2\n", "14: expected a range" },
	{ HDR("0x100", "0x1", "1") "1 2\n", "14: expected a range" },
	{ HDR("0x100", "0x1", "1") "0xA 0xB\n", "14: expected a range" },
	{ HDR("0x100", "0x1", "1") "0x1\t0x2\n", "14: expected a range" },
	{ HDR("0x100", "0x1", "1") "0x1 0x10000000000000000\n",
	  "14: expected a range" },
	{ HDR("0x100", "0x1", "1") "0x5 0x5\n", "14: range start 0x5 is not below" },
	{ HDR("0x100", "0x1", "1") "0x6 0x5\n", "14: range start 0x6 is not below" },
	{ HDR("0x100", "0x2", "2") "0x10 0x11\n0x1 0x2\n",
	  "15: range 0x1 0x2 is not after" },
	{ HDR("0x100", "0x20", "2") "0x10 0x20\n0x15 0x25\n",
	  "15: range 0x15 0x25 is not after" },
	{ HDR("0x100", "0x20", "2") "0x10 0x20\n0x20 0x30\n",
	  "15: range 0x20 0x30 is adjacent" },
	{ HDR("0x100", "0x1", "1") "0x100 0x101\n",
	  "14: range end 0x101 is beyond scanned-frames 0x100" },
	{ HDR("0x100", "0x2", "1") "0x1 0x2\n0x4 0x5\n",
	  "15: more range lines than the header's ranges: 1" },
	{ HDR("0x100", "0x2", "2") "0x1 0x2\n", "15: end of file after 1 ranges" },
	{ HDR("0x100", "0x2", "1") "0x1 0x2\n", "15: the ranges hold 0x1 frames" },
	{ HDR("0x100", "0x1", "1") "0x1 0x2\n\n", "15: expected a range" },
	{ HDR("0x100", "0x1", "1") "0x1 0x2\nend\n", "15: expected a range" },
	{ HDR("0x100", "0x1", "1") "0x1 0x2", "14: no newline at the end" },
	{ HDR("0x100", "0x0", "0") "\n", "14: expected a range" },
};

START_TEST(parse_errors)
{
	struct pz_exclude_hdr h;
	struct pz_ranges rs;
	char err[256];

	for (size_t i = 0; i < N(bad); i++) {
		err[0] = '\0';
		ck_assert_msg(parse_string(bad[i].text, &h, &rs, err,
					   sizeof(err)) == -1,
			      "case %zu accepted", i);
		ck_assert_msg(!strncmp(err, bad[i].err, strlen(bad[i].err)),
			      "case %zu: '%s', expected '%s...'", i, err,
			      bad[i].err);
		ck_assert_uint_eq(rs.n, 0);
		pz_ranges_free(&rs);
	}
}
END_TEST

/* Lines too long, NUL bytes: the reader does not overrun or stop early. */
START_TEST(parse_bad_lines)
{
	struct pz_exclude_hdr h;
	struct pz_ranges rs;
	char err[256], *text;
	FILE *f;
	size_t len, i;
	static const char nul[] = "prezero-xen-exclude 1\nname: a\0b\n";

	len = 64 + PZ_EXCLUDE_LINE_MAX;
	text = malloc(len + 1);
	strcpy(text, "prezero-xen-exclude 1\nname: ");
	for (i = strlen(text); i < len - 1; i++)
		text[i] = 'x';
	text[len - 1] = '\n';
	text[len] = '\0';
	ck_assert_int_eq(parse_string(text, &h, &rs, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "2: line longer than 1024 bytes");
	pz_ranges_free(&rs);
	free(text);

	f = fmemopen((void *)nul, sizeof(nul) - 1, "r");
	ck_assert_int_eq(pz_exclude_parse_text(f, &h, &rs, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "2: NUL byte in the line");
	fclose(f);
	pz_ranges_free(&rs);

	/* a name of 128 bytes does not fit the header's 127 */
	text = malloc(256);
	strcpy(text, "prezero-xen-exclude 1\nname: ");
	memset(text + strlen(text), 'n', 128);
	strcpy(text + strlen("prezero-xen-exclude 1\nname: ") + 128, "\n");
	ck_assert_int_eq(parse_string(text, &h, &rs, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "2: name longer than 127 bytes");
	pz_ranges_free(&rs);
	free(text);
}
END_TEST

/* What readers must take: unknown keys, empty values, "key:" spelling,
 * keys in any order, END == scanned-frames. */
START_TEST(parse_lenient_parts)
{
	static const char text[] =
		"prezero-xen-exclude 1\n"
		"future-key: whatever: it says\n"
		"complete: no\nranges: 2\nexcluded-frames: 0x3\n"
		"scanned-frames: 0x10\ntime: 0\npage-size: 65536\n"
		"generation: 18446744073709551615\ntype: hvm\nname:\nuuid:\n"
		"domid: 0\nx: \n\n"
		"0x0 0x1\n0xe 0x10\n";
	struct pz_exclude_hdr h;
	struct pz_ranges rs;
	char err[256] = "";

	ck_assert_msg(parse_string(text, &h, &rs, err, sizeof(err)) == 0, "%s",
		      err);
	ck_assert(!h.complete);
	ck_assert_uint_eq(h.page_size, 65536);
	ck_assert_uint_eq(h.generation, UINT64_MAX);
	ck_assert_str_eq(h.type, "hvm");
	ck_assert_str_eq(h.name, "");
	ck_assert_str_eq(h.uuid, "");
	ck_assert_uint_eq(rs.n, 2);
	ck_assert_uint_eq(rs.r[1].end, 0x10);
	ck_assert(pz_ranges_contains(&rs, 0xf));
	pz_ranges_free(&rs);
}
END_TEST

START_TEST(read_file)
{
	char dir[] = "/tmp/pz-xenexclude-XXXXXX", path[64], err[512];
	struct pz_exclude_hdr h;
	struct pz_ranges rs;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/3.exclude", dir);
	ck_assert_int_eq(pz_exclude_read_file(path, &h, &rs, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "3.exclude: No such file or directory"));
	pz_ranges_free(&rs);

	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(example, f);
	fclose(f);
	ck_assert_int_eq(pz_exclude_read_file(path, &h, &rs, err, sizeof(err)), 0);
	ck_assert_uint_eq(rs.n, 2);
	ck_assert_uint_eq(h.domid, 3);
	pz_ranges_free(&rs);

	f = fopen(path, "w");
	fputs("prezero-xen-exclude 9\n", f);
	fclose(f);
	ck_assert_int_eq(pz_exclude_read_file(path, &h, &rs, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "3.exclude:1: unknown format version"));
	ck_assert(!strncmp(err, dir, strlen(dir)));
	pz_ranges_free(&rs);
	unlink(path);
	rmdir(dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("xenexclude");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, add_merge);
	tcase_add_test(tc, contains);
	tcase_add_test(tc, batch);
	tcase_add_test(tc, bound);
	tcase_add_test(tc, many);
	tcase_add_test(tc, write_example);
	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, round_trip_empty);
	tcase_add_test(tc, write_truncated_and_names);
	tcase_add_test(tc, write_refuses);
	tcase_add_test(tc, write_error);
	tcase_add_test(tc, json_form);
	tcase_add_test(tc, json_form_not_inline);
	tcase_add_test(tc, json_streamed);
	tcase_add_test(tc, read_past_default_bound);
	tcase_add_test(tc, parse_errors);
	tcase_add_test(tc, parse_bad_lines);
	tcase_add_test(tc, parse_lenient_parts);
	tcase_add_test(tc, read_file);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
