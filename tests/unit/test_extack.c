// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/* Extended ACK parsing (pz_extack_parse in client/nl.c) on hand-built
 * NLMSG_ERROR and NLMSG_DONE messages, no socket involved. */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netlink.h>

#include "nl.h"

struct buf {
	union {
		unsigned char d[2048];
		struct nlmsghdr align;
	};
	size_t len;
};

static void put(struct buf *b, const void *p, size_t n)
{
	ck_assert(b->len + n <= sizeof(b->d));
	memcpy(b->d + b->len, p, n);
	b->len += n;
}

static void pad4(struct buf *b)
{
	while (b->len % 4)
		b->d[b->len++] = 0;
}

static void put_attr(struct buf *b, uint16_t type, const void *p, size_t n)
{
	struct nlattr a = { .nla_len = (uint16_t)(NLA_HDRLEN + n),
			    .nla_type = type };

	put(b, &a, sizeof(a));
	put(b, p, n);
	pad4(b);
}

static void put_u32_attr(struct buf *b, uint16_t type, uint32_t v)
{
	put_attr(b, type, &v, sizeof(v));
}

static void put_str_attr(struct buf *b, uint16_t type, const char *s)
{
	put_attr(b, type, s, strlen(s) + 1);
}

/* The request the error answers: genl header + a u32 attribute + a 1-byte
 * attribute without padding: 17 bytes, so the TLVs need realignment. */
static const unsigned char req_payload[17] = {
	3, 1, 0, 0,			/* genlmsghdr: cmd 3, version 1 */
	8, 0, 2, 0, 0, 0, 0, 0,		/* u32 attribute 2 = 0 */
	5, 0, 3, 0, 2,			/* u8 attribute 3 = 2 */
};

/* NLMSG_ERROR header + nlmsgerr (+ request payload unless capped). */
static void begin_error(struct buf *b, int error, bool capped, bool tlvs)
{
	struct nlmsghdr h = {
		.nlmsg_type = NLMSG_ERROR,
		.nlmsg_flags = (uint16_t)((capped ? NLM_F_CAPPED : 0) |
					  (tlvs ? NLM_F_ACK_TLVS : 0)),
		.nlmsg_seq = 7,
	};
	struct nlmsgerr e = {
		.error = error,
		.msg = {
			.nlmsg_len = NLMSG_HDRLEN + sizeof(req_payload),
			.nlmsg_type = 0x1f,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK,
			.nlmsg_seq = 7,
		},
	};

	memset(b, 0, sizeof(*b));
	put(b, &h, sizeof(h));
	put(b, &e, sizeof(e));
	if (!capped)
		put(b, req_payload, sizeof(req_payload));
	pad4(b);
}

static void begin_done(struct buf *b, int32_t error, bool tlvs)
{
	struct nlmsghdr h = {
		.nlmsg_type = NLMSG_DONE,
		.nlmsg_flags = (uint16_t)(NLM_F_MULTI |
					  (tlvs ? NLM_F_ACK_TLVS : 0)),
	};

	memset(b, 0, sizeof(*b));
	put(b, &h, sizeof(h));
	put(b, &error, sizeof(error));
}

static const struct nlmsghdr *finish(struct buf *b)
{
	struct nlmsghdr *h = (struct nlmsghdr *)b->d;

	h->nlmsg_len = (uint32_t)b->len;
	return h;
}

static struct pz_err dirty_err(void)
{
	struct pz_err e;

	memset(&e, 0x5a, sizeof(e));	/* parse must clear everything */
	return e;
}

START_TEST(error_with_msg)
{
	struct buf b;
	struct pz_err e = dirty_err();

	begin_error(&b, -ERANGE, false, true);
	put_str_attr(&b, NLMSGERR_ATTR_MSG, "integer out of range");
	put_u32_attr(&b, NLMSGERR_ATTR_OFFS, 28);
	ck_assert_int_eq(pz_extack_parse(finish(&b), b.len, &e), 0);
	ck_assert_int_eq(e.err, -ERANGE);
	ck_assert_str_eq(e.msg, "integer out of range");
	ck_assert(e.has_offs);
	ck_assert_uint_eq(e.offs, 28);
	ck_assert(!e.has_miss_type);
	ck_assert(!e.has_miss_nest);
}
END_TEST

START_TEST(error_capped)
{
	struct buf b;
	struct pz_err e = dirty_err();

	begin_error(&b, -EINVAL, true, true);
	put_str_attr(&b, NLMSGERR_ATTR_MSG, "Unknown attribute type");
	ck_assert_int_eq(pz_extack_parse(finish(&b), b.len, &e), 0);
	ck_assert_int_eq(e.err, -EINVAL);
	ck_assert_str_eq(e.msg, "Unknown attribute type");
	ck_assert(!e.has_offs);
}
END_TEST

START_TEST(error_without_tlvs)
{
	struct buf b;
	struct pz_err e = dirty_err();

	/* no NLM_F_ACK_TLVS: bytes after the request are not TLVs */
	begin_error(&b, -EOPNOTSUPP, false, false);
	ck_assert_int_eq(pz_extack_parse(finish(&b), b.len, &e), 0);
	ck_assert_int_eq(e.err, -EOPNOTSUPP);
	ck_assert_str_eq(e.msg, "");
	ck_assert(!e.has_offs && !e.has_miss_type && !e.has_miss_nest);

	begin_error(&b, -EPERM, true, false);
	ck_assert_int_eq(pz_extack_parse(finish(&b), b.len, &e), 0);
	ck_assert_int_eq(e.err, -EPERM);
	ck_assert_str_eq(e.msg, "");
}
END_TEST

START_TEST(error_tlvs_without_msg)
{
	struct buf b;
	struct pz_err e = dirty_err();

	begin_error(&b, -EINVAL, false, true);
	put_u32_attr(&b, NLMSGERR_ATTR_MISS_TYPE, 2);
	put_u32_attr(&b, NLMSGERR_ATTR_MISS_NEST, 20);
	ck_assert_int_eq(pz_extack_parse(finish(&b), b.len, &e), 0);
	ck_assert_int_eq(e.err, -EINVAL);
	ck_assert_str_eq(e.msg, "");
	ck_assert(e.has_miss_type);
	ck_assert_uint_eq(e.miss_type, 2);
	ck_assert(e.has_miss_nest);
	ck_assert_uint_eq(e.miss_nest, 20);
	ck_assert(!e.has_offs);
}
END_TEST

START_TEST(msg_forms)
{
	struct buf b;
	struct pz_err e = dirty_err();
	char longmsg[600];

	/* not NUL-terminated */
	begin_error(&b, -EINVAL, true, true);
	put_attr(&b, NLMSGERR_ATTR_MSG, "abc", 3);
	ck_assert_int_eq(pz_extack_parse(finish(&b), b.len, &e), 0);
	ck_assert_str_eq(e.msg, "abc");

	/* trailing newline dropped */
	begin_error(&b, -EINVAL, true, true);
	put_str_attr(&b, NLMSGERR_ATTR_MSG, "bad node\n");
	ck_assert_int_eq(pz_extack_parse(finish(&b), b.len, &e), 0);
	ck_assert_str_eq(e.msg, "bad node");

	/* longer than the buffer: cut, terminated */
	memset(longmsg, 'x', sizeof(longmsg) - 1);
	longmsg[sizeof(longmsg) - 1] = '\0';
	begin_error(&b, -EINVAL, true, true);
	put_str_attr(&b, NLMSGERR_ATTR_MSG, longmsg);
	ck_assert_int_eq(pz_extack_parse(finish(&b), b.len, &e), 0);
	ck_assert_uint_eq(strlen(e.msg), PZ_ERR_MSG_LEN - 1);

	/* unknown TLVs (cookie, policy, future) are skipped */
	begin_error(&b, -EINVAL, false, true);
	put_u32_attr(&b, NLMSGERR_ATTR_COOKIE, 0xdeadbeef);
	put_u32_attr(&b, 99, 1);
	put_str_attr(&b, NLMSGERR_ATTR_MSG, "after unknown");
	ck_assert_int_eq(pz_extack_parse(finish(&b), b.len, &e), 0);
	ck_assert_str_eq(e.msg, "after unknown");

	/* empty message attribute */
	begin_error(&b, -EINVAL, true, true);
	put_attr(&b, NLMSGERR_ATTR_MSG, "", 0);
	ck_assert_int_eq(pz_extack_parse(finish(&b), b.len, &e), 0);
	ck_assert_str_eq(e.msg, "");
}
END_TEST

START_TEST(malformed_tlvs)
{
	struct buf b;
	struct pz_err e = dirty_err();
	struct nlattr bad = { .nla_len = 200, .nla_type = NLMSGERR_ATTR_OFFS };
	struct nlattr tiny = { .nla_len = 2, .nla_type = NLMSGERR_ATTR_OFFS };
	uint16_t two = 2;

	/* an attribute running past the end ends the walk, keeps the rest */
	begin_error(&b, -ERANGE, true, true);
	put_str_attr(&b, NLMSGERR_ATTR_MSG, "first");
	put(&b, &bad, sizeof(bad));
	ck_assert_int_eq(pz_extack_parse(finish(&b), b.len, &e), 0);
	ck_assert_int_eq(e.err, -ERANGE);
	ck_assert_str_eq(e.msg, "first");
	ck_assert(!e.has_offs);

	/* an attribute shorter than its header */
	begin_error(&b, -ERANGE, true, true);
	put(&b, &tiny, sizeof(tiny));
	ck_assert_int_eq(pz_extack_parse(finish(&b), b.len, &e), 0);
	ck_assert_int_eq(e.err, -ERANGE);

	/* an OFFS too short for a u32 is ignored */
	begin_error(&b, -ERANGE, true, true);
	put_attr(&b, NLMSGERR_ATTR_OFFS, &two, sizeof(two));
	ck_assert_int_eq(pz_extack_parse(finish(&b), b.len, &e), 0);
	ck_assert(!e.has_offs);
}
END_TEST

START_TEST(truncated)
{
	struct buf b;
	struct pz_err e = dirty_err();
	const struct nlmsghdr *h;

	begin_error(&b, -EINVAL, false, true);
	put_str_attr(&b, NLMSGERR_ATTR_MSG, "x");
	h = finish(&b);
	/* fewer bytes than nlmsg_len */
	ck_assert_int_eq(pz_extack_parse(h, b.len - 1, &e), -EBADMSG);
	ck_assert_int_eq(pz_extack_parse(h, 8, &e), -EBADMSG);
	ck_assert_int_eq(pz_extack_parse(NULL, 100, &e), -EBADMSG);

	/* shorter than struct nlmsgerr */
	begin_error(&b, -EINVAL, true, false);
	b.len = NLMSG_HDRLEN + 8;
	ck_assert_int_eq(pz_extack_parse(finish(&b), b.len, &e), -EBADMSG);

	/* uncapped, but the embedded request length is nonsense */
	begin_error(&b, -EINVAL, false, false);
	((struct nlmsgerr *)(b.d + NLMSG_HDRLEN))->msg.nlmsg_len = 4;
	ck_assert_int_eq(pz_extack_parse(finish(&b), b.len, &e), -EBADMSG);

	/* embedded request claims more than there is: no TLV walk past end */
	begin_error(&b, -EINVAL, false, true);
	((struct nlmsgerr *)(b.d + NLMSG_HDRLEN))->msg.nlmsg_len = 1000;
	ck_assert_int_eq(pz_extack_parse(finish(&b), b.len, &e), 0);
	ck_assert_int_eq(e.err, -EINVAL);
	ck_assert_str_eq(e.msg, "");
}
END_TEST

START_TEST(ack_and_done)
{
	struct buf b;
	struct pz_err e = dirty_err();

	begin_error(&b, 0, true, false);
	ck_assert_int_eq(pz_extack_parse(finish(&b), b.len, &e), 0);
	ck_assert_int_eq(e.err, 0);
	ck_assert_str_eq(e.msg, "");

	begin_done(&b, -EINVAL, true);
	put_str_attr(&b, NLMSGERR_ATTR_MSG, "dump failed");
	ck_assert_int_eq(pz_extack_parse(finish(&b), b.len, &e), 0);
	ck_assert_int_eq(e.err, -EINVAL);
	ck_assert_str_eq(e.msg, "dump failed");

	begin_done(&b, 0, false);
	ck_assert_int_eq(pz_extack_parse(finish(&b), b.len, &e), 0);
	ck_assert_int_eq(e.err, 0);

	/* a DONE without the error int (very old kernels) */
	begin_done(&b, 0, false);
	b.len = NLMSG_HDRLEN;
	ck_assert_int_eq(pz_extack_parse(finish(&b), b.len, &e), 0);
	ck_assert_int_eq(e.err, 0);

	/* other message types are not errors */
	begin_done(&b, 0, false);
	((struct nlmsghdr *)b.d)->nlmsg_type = 0x1f;
	ck_assert_int_eq(pz_extack_parse(finish(&b), b.len, &e), -EBADMSG);

	/* err may be NULL */
	begin_error(&b, -EINVAL, true, true);
	put_str_attr(&b, NLMSGERR_ATTR_MSG, "x");
	ck_assert_int_eq(pz_extack_parse(finish(&b), b.len, NULL), 0);
}
END_TEST

START_TEST(err_str)
{
	struct pz_err e = { .err = -ERANGE };
	char buf[PZ_ERR_MSG_LEN + 64];

	ck_assert_str_eq(pz_err_str(&e, buf, sizeof(buf)),
			 "Numerical result out of range");
	strcpy(e.msg, "integer out of range");
	ck_assert_str_eq(pz_err_str(&e, buf, sizeof(buf)),
			 "Numerical result out of range (kernel: integer out of range)");
	e.err = 0;
	ck_assert_str_eq(pz_err_str(&e, buf, sizeof(buf)), "Success");
	ck_assert_str_eq(pz_err_str(NULL, buf, sizeof(buf)), "Success");
	e.err = -EPERM;
	ck_assert_str_eq(pz_err_str(&e, buf, 10), "Operation");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("extack");
	TCase *tc = tcase_create("parse");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, error_with_msg);
	tcase_add_test(tc, error_capped);
	tcase_add_test(tc, error_without_tlvs);
	tcase_add_test(tc, error_tlvs_without_msg);
	tcase_add_test(tc, msg_forms);
	tcase_add_test(tc, malformed_tlvs);
	tcase_add_test(tc, truncated);
	tcase_add_test(tc, ack_and_done);
	tcase_add_test(tc, err_str);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
