// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/* The control protocol (daemon/protocol.c) against fake daemon ops. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "config.h"
#include "protocol.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* What the fake daemon was asked, and how it answers. */
static struct fake {
	int status, config_show, node_set, reload, is_admin;
	int xen_list, xen_exclude;
	struct pzd_xen_dom_req dom;	/* of the last xen-exclude */
	char dom_name[256];
	int node;			/* of the last status / node-set */
	struct pzd_node_set_req req;	/* of the last node-set */
	uid_t admin_uid_seen;
	bool admin;			/* is_admin's answer */
	const char *group;		/* admin_group's answer */
	const char *fail;		/* ops fail with this code... */
	bool fail_silently;		/* ...or without saying why */
	const char *extra;		/* a string ops add as "text" */
} fake;

static int fake_fail(struct json_object *reply, struct pzd_proto_err *err)
{
	/* Members added before failing must not reach the reply. */
	json_object_object_add(reply, "half", json_object_new_int(1));
	if (!fake.fail_silently)
		pzd_proto_seterr(err, fake.fail, "fake says %s", fake.fail);
	return -1;
}

static void add_text(struct json_object *reply)
{
	if (fake.extra)
		json_object_object_add(reply, "text",
				       json_object_new_string(fake.extra));
}

static int fake_status(void *ud, int node, struct json_object *reply,
		       struct pzd_proto_err *err)
{
	ck_assert_ptr_eq(ud, &fake);
	fake.status++;
	fake.node = node;
	if (fake.fail || fake.fail_silently)
		return fake_fail(reply, err);
	json_object_object_add(reply, "marker", json_object_new_string("status"));
	json_object_object_add(reply, "node", json_object_new_int(node));
	add_text(reply);
	return 0;
}

static int fake_config_show(void *ud, struct json_object *reply,
			    struct pzd_proto_err *err)
{
	ck_assert_ptr_eq(ud, &fake);
	fake.config_show++;
	if (fake.fail || fake.fail_silently)
		return fake_fail(reply, err);
	json_object_object_add(reply, "path",
			       json_object_new_string("/etc/prezero/prezerod.conf"));
	return 0;
}

static int fake_node_set(void *ud, int node, const struct pzd_node_set_req *req,
			 struct json_object *reply, struct pzd_proto_err *err)
{
	ck_assert_ptr_eq(ud, &fake);
	fake.node_set++;
	fake.node = node;
	fake.req = *req;
	if (fake.fail || fake.fail_silently)
		return fake_fail(reply, err);
	json_object_object_add(reply, "marker",
			       json_object_new_string("node-set"));
	return 0;
}

static int fake_reload(void *ud, struct json_object *reply,
		       struct pzd_proto_err *err)
{
	ck_assert_ptr_eq(ud, &fake);
	fake.reload++;
	if (fake.fail || fake.fail_silently)
		return fake_fail(reply, err);
	json_object_object_add(reply, "config",
			       json_object_new_string("/etc/prezero/prezerod.conf"));
	return 0;
}

static int fake_xen_list(void *ud, struct json_object *reply,
			 struct pzd_proto_err *err)
{
	ck_assert_ptr_eq(ud, &fake);
	fake.xen_list++;
	if (fake.fail || fake.fail_silently)
		return fake_fail(reply, err);
	json_object_object_add(reply, "marker", json_object_new_string("xen-list"));
	return 0;
}

static int fake_xen_exclude(void *ud, const struct pzd_xen_dom_req *dom,
			    struct json_object *reply,
			    struct pzd_proto_err *err)
{
	ck_assert_ptr_eq(ud, &fake);
	fake.xen_exclude++;
	fake.dom = *dom;
	fake.dom.name = NULL;
	if (dom->by_name) {
		ck_assert_ptr_nonnull(dom->name);
		snprintf(fake.dom_name, sizeof(fake.dom_name), "%s", dom->name);
	}
	if (fake.fail || fake.fail_silently)
		return fake_fail(reply, err);
	json_object_object_add(reply, "marker",
			       json_object_new_string("xen-exclude"));
	return 0;
}

static bool fake_is_admin(void *ud, const struct pzd_peer *peer)
{
	ck_assert_ptr_eq(ud, &fake);
	fake.is_admin++;
	fake.admin_uid_seen = peer->uid;
	return fake.admin;
}

static const char *fake_admin_group(void *ud)
{
	ck_assert_ptr_eq(ud, &fake);
	return fake.group;
}

static const struct pzd_protocol_ops fake_ops = {
	.status = fake_status,
	.config_show = fake_config_show,
	.node_set = fake_node_set,
	.reload = fake_reload,
	.xen_list = fake_xen_list,
	.xen_exclude = fake_xen_exclude,
	.is_admin = fake_is_admin,
	.admin_group = fake_admin_group,
};

static struct pzd_protocol proto = { .ops = &fake_ops, .ud = &fake };
static const struct pzd_peer user = { .pid = 4321, .uid = 1000, .gid = 1000 };

static void setup(void)
{
	memset(&fake, 0, sizeof(fake));
	fake.node = -99;
	fake.admin = true;
	fake.group = "prezero";
}

static int ops_called(void)
{
	return fake.status + fake.config_show + fake.node_set + fake.reload +
	       fake.xen_list + fake.xen_exclude;
}

/* Parse a reply the way a strict client would; it must be one line. */
static struct json_object *parse_reply(const char *s)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o, *ok;

	ck_assert_ptr_nonnull(s);
	ck_assert_msg(!strchr(s, '\n'), "reply has a newline: %s", s);
	ck_assert_msg(!strchr(s, '\r'), "reply has a CR: %s", s);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
			       JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, s, (int)strlen(s) + 1);
	ck_assert_msg(o != NULL, "reply does not parse: %s", s);
	ck_assert_int_eq(json_tokener_get_parse_end(tok), strlen(s));
	json_tokener_free(tok);
	ck_assert(json_object_is_type(o, json_type_object));
	ck_assert_msg(json_object_object_get_ex(o, "ok", &ok) &&
		      json_object_is_type(ok, json_type_boolean),
		      "no boolean ok: %s", s);
	return o;
}

static char *raw_len(const struct pzd_peer *peer, const char *line, size_t len)
{
	return pzd_protocol_handle(peer, line, len, &proto);
}

static struct json_object *call_as(const struct pzd_peer *peer,
				   const char *line)
{
	char *s = raw_len(peer, line, strlen(line));
	struct json_object *o = parse_reply(s);

	free(s);
	return o;
}

static struct json_object *call(const char *line)
{
	return call_as(&user, line);
}

static struct json_object *member(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	ck_assert_msg(json_object_object_get_ex(o, key, &v), "no \"%s\" in %s",
		      key, json_object_to_json_string(o));
	return v;
}

static bool has(struct json_object *o, const char *key)
{
	return json_object_object_get_ex(o, key, NULL);
}

static void assert_ok(struct json_object *o)
{
	ck_assert_msg(json_object_get_boolean(member(o, "ok")), "not ok: %s",
		      json_object_to_json_string(o));
	ck_assert(!has(o, "error"));
}

/* ok false with this code and a message that contains want (if given). */
static void assert_err(struct json_object *o, const char *code,
		       const char *want)
{
	struct json_object *e;
	const char *msg;

	ck_assert_msg(!json_object_get_boolean(member(o, "ok")), "ok: %s",
		      json_object_to_json_string(o));
	e = member(o, "error");
	ck_assert_str_eq(json_object_get_string(member(e, "code")), code);
	ck_assert(json_object_is_type(member(e, "message"), json_type_string));
	msg = json_object_get_string(member(e, "message"));
	ck_assert_msg(*msg, "empty message");
	if (want)
		ck_assert_msg(strstr(msg, want), "message \"%s\" lacks \"%s\"",
			      msg, want);
	ck_assert_int_eq(json_object_object_length(o), has(o, "id") ? 3 : 2);
}

static void expect_err(const char *line, const char *code, const char *want)
{
	struct json_object *o = call(line);

	assert_err(o, code, want);
	json_object_put(o);
}

START_TEST(ping)
{
	struct json_object *o = call("{\"cmd\":\"ping\"}");

	assert_ok(o);
	ck_assert_str_eq(json_object_get_string(member(o, "version")),
			 PREZERO_VERSION);
	ck_assert_int_eq(json_object_get_int64(member(o, "pid")), getpid());
	ck_assert(!has(o, "id"));
	ck_assert_int_eq(ops_called(), 0);
	json_object_put(o);

	/* Whitespace around the object and a CR are fine. */
	o = call("  {\"cmd\" : \"ping\", \"id\": 1}\t\r");
	assert_ok(o);
	json_object_put(o);
}
END_TEST

/* The reply is {"ok":..,"id":..,...} in that order, one line. */
START_TEST(reply_shape)
{
	char *s = raw_len(&user, "{\"id\":5,\"cmd\":\"ping\"}", 21);

	ck_assert_ptr_nonnull(s);
	ck_assert_msg(!strncmp(s, "{\"ok\":true,\"id\":5,", 18), "%s", s);
	free(s);
	s = raw_len(&user, "{\"id\":5,\"cmd\":\"nope\"}", 21);
	ck_assert_ptr_nonnull(s);
	ck_assert_msg(!strncmp(s, "{\"ok\":false,\"id\":5,\"error\":", 27),
		      "%s", s);
	free(s);
}
END_TEST

static const char *const ids[] = {
	"7", "-3", "\"abc\"", "{\"a\":[1,2,{\"b\":null}]}", "[]", "null",
	"true", "1.50", "18446744073709551615", "\"\\n\\u0001\\\"\"",
	"\"\\u00e9\"",
};

/* The id comes back unchanged in ok and error replies alike. */
START_TEST(id_echo)
{
	const char *const cmds[] = {
		"\"cmd\":\"ping\"",				/* ok */
		"\"cmd\":\"nope\"",				/* unknown-command */
		"\"cmd\":\"ping\",\"bogus\":1",			/* bad-request */
		"\"cmd\":\"status\",\"node\":300",		/* no-such-node */
		"\"cmd\":\"status\"",				/* op fails */
		"\"cmd\":1",					/* bad-request */
	};
	char line[256], idtxt[256];

	for (int i = 0; i < N(cmds); i++) {
		struct json_object *o, *want = json_tokener_parse(ids[_i]);
		const char *got;

		if (i == 4)
			fake.fail = "internal";
		snprintf(line, sizeof(line), "{\"id\":%s,%s}", ids[_i], cmds[i]);
		o = call(line);
		ck_assert_msg(json_object_object_get_ex(o, "id", NULL),
			      "no id for %s", line);
		ck_assert_msg(json_object_equal(member(o, "id"), want),
			      "id %s came back as %s", ids[_i],
			      json_object_to_json_string(member(o, "id")));
		/* Even the spelling (1.50, not 1.5). */
		snprintf(idtxt, sizeof(idtxt), "\"id\":%s,",
			 json_object_to_json_string_ext(want,
				JSON_C_TO_STRING_PLAIN));
		got = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
		ck_assert_msg(strstr(got, idtxt), "%s not in %s", idtxt, got);
		ck_assert_int_eq(json_object_get_boolean(member(o, "ok")),
				 i == 0);
		json_object_put(want);
		json_object_put(o);
		fake.fail = NULL;
	}
}
END_TEST

/* No id in the request, none in the reply; none when it did not parse. */
START_TEST(id_absent)
{
	struct json_object *o = call("{\"cmd\":\"nope\"}");

	ck_assert(!has(o, "id"));
	json_object_put(o);
	o = call("{\"id\":3,\"cmd\":\"ping\"");
	assert_err(o, "bad-json", NULL);
	ck_assert(!has(o, "id"));
	json_object_put(o);
	o = call("[{\"id\":3,\"cmd\":\"ping\"}]");
	assert_err(o, "bad-json", NULL);
	ck_assert(!has(o, "id"));
	json_object_put(o);
}
END_TEST

static const char *const bad_json[] = {
	"",
	"   ",
	"{",
	"{\"cmd\":\"ping\"",
	"{\"cmd\":\"ping\"} x",
	"{\"cmd\":\"ping\"}{\"cmd\":\"ping\"}",
	"{\"cmd\":\"ping\"},",
	"{\"cmd\":\"ping\",}",
	"{\"cmd\":ping}",
	"{cmd:\"ping\"}",
	"nul",
	"{\"cmd\":\"ping\",\"id\":01}",
	"{\"cmd\":\"\xff\xfe\"}",		/* invalid UTF-8 */
	"{\"cmd\":\"ping\",\"id\":\"\xc3\"}",	/* truncated sequence */
	"{\"cmd\":\"ping\",\"id\":[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]}",
	"\xef\xbb\xbf{\"cmd\":\"ping\"}",	/* a BOM */
};

START_TEST(bad_json_lines)
{
	expect_err(bad_json[_i], "bad-json", "invalid JSON");
	ck_assert_int_eq(ops_called(), 0);
	ck_assert_int_eq(fake.is_admin, 0);
}
END_TEST

START_TEST(nul_byte)
{
	static const char line[] = "{\"cmd\":\"ping\"}\0{\"cmd\":\"ping\"}";
	struct json_object *o;
	char *s;

	s = raw_len(&user, line, sizeof(line) - 1);
	o = parse_reply(s);
	assert_err(o, "bad-json", "NUL");
	json_object_put(o);
	free(s);
	/* A NUL inside a string (escaped) is JSON; "ping\0" is no command. */
	expect_err("{\"cmd\":\"ping\\u0000\"}", "unknown-command", NULL);
}
END_TEST

START_TEST(too_large)
{
	size_t n = PZD_CTL_MAX_REQUEST + 1;
	char *line = malloc(n);
	struct json_object *o;
	char *s;

	ck_assert_ptr_nonnull(line);
	memset(line, ' ', n);
	memcpy(line, "{\"cmd\":\"ping\"}", 14);
	s = raw_len(&user, line, n);
	o = parse_reply(s);
	assert_err(o, "too-large", "65536");
	json_object_put(o);
	free(s);
	/* Exactly the limit is fine. */
	s = raw_len(&user, line, n - 1);
	o = parse_reply(s);
	assert_ok(o);
	json_object_put(o);
	free(s);
	free(line);
}
END_TEST

static const char *const not_object[] = {
	"123", "\"ping\"", "[1]", "[]", "true", "null", "1.5", "-7",
};

START_TEST(not_an_object)
{
	expect_err(not_object[_i], "bad-json",
		   "request must be a JSON object");
	ck_assert_int_eq(ops_called(), 0);
}
END_TEST

START_TEST(cmd_member)
{
	expect_err("{}", "bad-request", "missing member \"cmd\"");
	expect_err("{\"id\":1}", "bad-request", "missing member \"cmd\"");
	expect_err("{\"cmd\":1}", "bad-request", "\"cmd\" must be a string");
	expect_err("{\"cmd\":null}", "bad-request", "\"cmd\" must be a string");
	expect_err("{\"cmd\":[\"ping\"]}", "bad-request",
		   "\"cmd\" must be a string");
	expect_err("{\"cmd\":\"Ping\"}", "unknown-command", "\"Ping\"");
	expect_err("{\"cmd\":\"\"}", "unknown-command", NULL);
	expect_err("{\"cmd\":\"node_set\",\"node\":0,\"rate\":1}",
		   "unknown-command", "node_set");
	ck_assert_int_eq(ops_called(), 0);
}
END_TEST

/* A very long command name: the message is cut, never mid-character. */
START_TEST(long_message_utf8)
{
	char line[2048];
	size_t n = 0;
	struct json_object *o;

	n += (size_t)snprintf(line, sizeof(line), "{\"cmd\":\"x");
	for (int i = 0; i < 400; i++) {
		memcpy(line + n, "\xc3\xa9", 2);	/* é */
		n += 2;
	}
	memcpy(line + n, "\"}", 3);
	for (int shift = 0; shift < 2; shift++) {
		o = call(line + 0);
		assert_err(o, "unknown-command", "unknown command");
		json_object_put(o);
		/* Shift the cut by one byte: "x" becomes "xx". */
		memmove(line + 9, line + 8, strlen(line + 8) + 1);
	}
}
END_TEST

static const struct {
	const char *line;
	const char *member;
} unknown_members[] = {
	{ "{\"cmd\":\"ping\",\"node\":0}", "\"node\"" },
	{ "{\"cmd\":\"status\",\"nod\":1}", "\"nod\"" },
	{ "{\"cmd\":\"status\",\"rate\":1}", "\"rate\"" },
	{ "{\"cmd\":\"config-show\",\"path\":\"x\"}", "\"path\"" },
	{ "{\"cmd\":\"reload\",\"force\":true}", "\"force\"" },
	{ "{\"cmd\":\"node-set\",\"node\":0,\"rate\":1,\"brust\":2}",
	  "\"brust\"" },
	{ "{\"cmd\":\"node-set\",\"node\":0,\"Rate\":1}", "\"Rate\"" },
	{ "{\"cmd\":\"ping\",\"\":1}", "\"\"" },
};

START_TEST(unknown_member)
{
	expect_err(unknown_members[_i].line, "bad-request",
		   unknown_members[_i].member);
	ck_assert_int_eq(ops_called(), 0);
}
END_TEST

START_TEST(status_nodes)
{
	struct json_object *o = call("{\"cmd\":\"status\"}");

	assert_ok(o);
	ck_assert_int_eq(fake.status, 1);
	ck_assert_int_eq(fake.node, PZD_NODE_ALL);
	ck_assert_str_eq(json_object_get_string(member(o, "marker")), "status");
	json_object_put(o);

	o = call("{\"cmd\":\"status\",\"node\":3}");
	assert_ok(o);
	ck_assert_int_eq(fake.status, 2);
	ck_assert_int_eq(fake.node, 3);
	json_object_put(o);

	o = call("{\"cmd\":\"status\",\"node\":255}");
	assert_ok(o);
	ck_assert_int_eq(fake.node, PZD_MAX_NODES - 1);
	json_object_put(o);

	/* Status never asks about permissions. */
	ck_assert_int_eq(fake.is_admin, 0);
}
END_TEST

static const struct {
	const char *node;
	const char *code;
} bad_status_nodes[] = {
	{ "\"all\"", "bad-request" },	/* node-set only */
	{ "\"0\"", "bad-request" },
	{ "-1", "bad-request" },
	{ "1.5", "bad-request" },
	{ "0.0", "bad-request" },
	{ "true", "bad-request" },
	{ "null", "bad-request" },
	{ "[0]", "bad-request" },
	{ "-9223372036854775809", "bad-request" },
	{ "256", "no-such-node" },
	{ "1099511627777", "no-such-node" },
	{ "9223372036854775808", "no-such-node" },
	{ "99999999999999999999999", "no-such-node" },
};

START_TEST(status_bad_node)
{
	char line[128];

	snprintf(line, sizeof(line), "{\"cmd\":\"status\",\"node\":%s}",
		 bad_status_nodes[_i].node);
	expect_err(line, bad_status_nodes[_i].code, "status");
	ck_assert_int_eq(ops_called(), 0);
}
END_TEST

START_TEST(config_show_and_reload)
{
	struct json_object *o = call("{\"cmd\":\"config-show\"}");

	assert_ok(o);
	ck_assert_int_eq(fake.config_show, 1);
	ck_assert_str_eq(json_object_get_string(member(o, "path")),
			 "/etc/prezero/prezerod.conf");
	json_object_put(o);

	o = call("{\"cmd\":\"reload\",\"id\":\"r\"}");
	assert_ok(o);
	ck_assert_int_eq(fake.reload, 1);
	ck_assert_int_eq(fake.is_admin, 1);
	ck_assert_int_eq(fake.admin_uid_seen, 1000);
	ck_assert_str_eq(json_object_get_string(member(o, "config")),
			 "/etc/prezero/prezerod.conf");
	json_object_put(o);
}
END_TEST

/* The slashes of paths stay readable. */
START_TEST(no_slash_escape)
{
	static const char line[] = "{\"cmd\":\"config-show\"}";
	char *s = raw_len(&user, line, sizeof(line) - 1);

	ck_assert_ptr_nonnull(s);
	ck_assert_msg(strstr(s, "\"/etc/prezero/prezerod.conf\""), "%s", s);
	free(s);
}
END_TEST

static const struct {
	const char *args;
	int node;
	bool reset, has_enabled, enabled, has_rate, has_burst;
	uint64_t rate, burst;
} good_sets[] = {
	{ "\"node\":0,\"rate\":1048576", 0, false, false, false, true, false,
	  1048576, 0 },
	{ "\"node\":\"all\",\"enabled\":false", PZD_NODE_ALL, false, true,
	  false, false, false, 0, 0 },
	{ "\"node\":1,\"enabled\":true", 1, false, true, true, false, false,
	  0, 0 },
	{ "\"node\":2,\"burst\":0", 2, false, false, false, false, true, 0, 0 },
	{ "\"node\":255,\"rate\":1099511627776,\"burst\":1099511627776", 255,
	  false, false, false, true, true, UINT64_C(1) << 40,
	  UINT64_C(1) << 40 },
	{ "\"node\":3,\"rate\":0,\"burst\":7,\"enabled\":true", 3, false,
	  true, true, true, true, 0, 7 },
	{ "\"node\":0,\"rate\":-0", 0, false, false, false, true, false, 0,
	  0 },
	{ "\"node\":4,\"reset\":true", 4, true, false, false, false, false,
	  0, 0 },
	{ "\"reset\":true,\"node\":\"all\"", PZD_NODE_ALL, true, false, false,
	  false, false, 0, 0 },
};

START_TEST(node_set_good)
{
	char line[256];
	struct json_object *o;

	snprintf(line, sizeof(line), "{\"cmd\":\"node-set\",%s,\"id\":9}",
		 good_sets[_i].args);
	o = call(line);
	assert_ok(o);
	ck_assert_str_eq(json_object_get_string(member(o, "marker")),
			 "node-set");
	ck_assert_int_eq(json_object_get_int(member(o, "id")), 9);
	ck_assert_int_eq(fake.is_admin, 1);
	ck_assert_int_eq(fake.node_set, 1);
	ck_assert_int_eq(fake.node, good_sets[_i].node);
	ck_assert_int_eq(fake.req.reset, good_sets[_i].reset);
	ck_assert_int_eq(fake.req.ovr.has_enabled, good_sets[_i].has_enabled);
	ck_assert_int_eq(fake.req.ovr.enabled, good_sets[_i].enabled);
	ck_assert_int_eq(fake.req.ovr.has_rate, good_sets[_i].has_rate);
	ck_assert_uint_eq(fake.req.ovr.rate, good_sets[_i].rate);
	ck_assert_int_eq(fake.req.ovr.has_burst, good_sets[_i].has_burst);
	ck_assert_uint_eq(fake.req.ovr.burst, good_sets[_i].burst);
	json_object_put(o);
}
END_TEST

static const struct {
	const char *args;
	const char *code;
	const char *want;
} bad_sets[] = {
	{ "\"rate\":1", "bad-request", "missing member \"node\"" },
	{ "\"node\":0", "bad-request", "nothing to set" },
	{ "\"node\":\"All\",\"rate\":1", "bad-request", "\"node\"" },
	{ "\"node\":\"all \",\"rate\":1", "bad-request", "\"node\"" },
	{ "\"node\":-1,\"rate\":1", "bad-request", "\"node\"" },
	{ "\"node\":0.5,\"rate\":1", "bad-request", "\"node\"" },
	{ "\"node\":256,\"rate\":1", "no-such-node", "256" },
	{ "\"node\":0,\"rate\":1099511627777", "bad-request", "\"rate\"" },
	{ "\"node\":0,\"rate\":9223372036854775807", "bad-request", "\"rate\"" },
	{ "\"node\":0,\"rate\":9223372036854775808", "bad-request", "\"rate\"" },
	{ "\"node\":0,\"rate\":18446744073709551616", "bad-request", "\"rate\"" },
	{ "\"node\":0,\"rate\":99999999999999999999999", "bad-request",
	  "\"rate\"" },
	{ "\"node\":0,\"rate\":-1", "bad-request", "\"rate\"" },
	{ "\"node\":0,\"rate\":-9223372036854775809", "bad-request",
	  "\"rate\"" },
	{ "\"node\":0,\"rate\":1.5", "bad-request", "\"rate\" must be an integer" },
	{ "\"node\":0,\"rate\":1e3", "bad-request", "\"rate\" must be an integer" },
	{ "\"node\":0,\"rate\":1.0", "bad-request", "\"rate\" must be an integer" },
	{ "\"node\":0,\"rate\":\"1M\"", "bad-request", "\"rate\"" },
	{ "\"node\":0,\"rate\":null", "bad-request", "\"rate\"" },
	{ "\"node\":0,\"rate\":true", "bad-request", "\"rate\"" },
	{ "\"node\":0,\"burst\":1099511627777", "bad-request", "\"burst\"" },
	{ "\"node\":0,\"burst\":-1", "bad-request", "\"burst\"" },
	{ "\"node\":0,\"burst\":2.5", "bad-request", "\"burst\"" },
	{ "\"node\":0,\"enabled\":1", "bad-request", "\"enabled\"" },
	{ "\"node\":0,\"enabled\":\"yes\"", "bad-request", "\"enabled\"" },
	{ "\"node\":0,\"enabled\":null", "bad-request", "\"enabled\"" },
	{ "\"node\":0,\"reset\":false", "bad-request", "\"reset\"" },
	{ "\"node\":0,\"reset\":1", "bad-request", "\"reset\"" },
	{ "\"node\":0,\"reset\":\"true\"", "bad-request", "\"reset\"" },
	{ "\"node\":0,\"reset\":true,\"rate\":1", "bad-request",
	  "cannot be combined" },
	{ "\"node\":0,\"reset\":true,\"burst\":1", "bad-request",
	  "cannot be combined" },
	{ "\"node\":0,\"reset\":true,\"enabled\":true", "bad-request",
	  "cannot be combined" },
	/* A good member does not rescue a bad one. */
	{ "\"node\":0,\"enabled\":true,\"rate\":-5", "bad-request", "\"rate\"" },
};

START_TEST(node_set_bad)
{
	char line[256];

	snprintf(line, sizeof(line), "{\"cmd\":\"node-set\",%s}",
		 bad_sets[_i].args);
	expect_err(line, bad_sets[_i].code, bad_sets[_i].want);
	ck_assert_int_eq(fake.node_set, 0);
}
END_TEST

static const char *const changing[] = {
	"{\"cmd\":\"node-set\",\"node\":0,\"rate\":1}",
	"{\"cmd\":\"node-set\",\"node\":\"all\",\"reset\":true}",
	"{\"cmd\":\"reload\"}",
	/* Denied before the arguments are even looked at. */
	"{\"cmd\":\"node-set\",\"node\":-1,\"rate\":1.5}",
};

START_TEST(permission_denied)
{
	const char *name = strstr(changing[_i], "reload") ? "reload" :
							    "node-set";
	char want[128];
	struct json_object *o;

	fake.admin = false;
	snprintf(want, sizeof(want),
		 "%s: only root or group \"prezero\" may change settings",
		 name);
	o = call(changing[_i]);
	assert_err(o, "permission-denied", want);
	ck_assert_int_eq(fake.is_admin, 1);
	ck_assert_int_eq(ops_called(), 0);
	json_object_put(o);

	fake.group = "";
	snprintf(want, sizeof(want), "%s: only root may change settings", name);
	o = call(changing[_i]);
	assert_err(o, "permission-denied", want);
	json_object_put(o);
	fake.group = NULL;
	o = call(changing[_i]);
	assert_err(o, "permission-denied", want);
	json_object_put(o);
	ck_assert_int_eq(ops_called(), 0);
}
END_TEST

START_TEST(readers_need_no_admin)
{
	const char *const reading[] = {
		"{\"cmd\":\"ping\"}", "{\"cmd\":\"status\"}",
		"{\"cmd\":\"status\",\"node\":1}", "{\"cmd\":\"config-show\"}",
		"{\"cmd\":\"xen-list\"}", "{\"cmd\":\"xen-exclude\",\"dom\":3}",
	};

	fake.admin = false;
	for (int i = 0; i < N(reading); i++) {
		struct json_object *o = call(reading[i]);

		assert_ok(o);
		json_object_put(o);
	}
	ck_assert_int_eq(fake.status, 2);
	ck_assert_int_eq(fake.config_show, 1);
	ck_assert_int_eq(fake.xen_list, 1);
	ck_assert_int_eq(fake.xen_exclude, 1);
	ck_assert_int_eq(fake.is_admin, 0);
}
END_TEST

/* Without an is_admin op only root may change settings. */
START_TEST(no_is_admin_op)
{
	static const struct pzd_protocol_ops ops = {
		.reload = fake_reload,
	};
	struct pzd_protocol p = { .ops = &ops, .ud = &fake };
	struct pzd_peer root = { .uid = 0 };
	struct json_object *o;
	char *s;

	s = pzd_protocol_handle(&user, "{\"cmd\":\"reload\"}", 16, &p);
	o = parse_reply(s);
	assert_err(o, "permission-denied", "only root may");
	json_object_put(o);
	free(s);
	ck_assert_int_eq(fake.reload, 0);
	s = pzd_protocol_handle(&root, "{\"cmd\":\"reload\"}", 16, &p);
	o = parse_reply(s);
	assert_ok(o);
	json_object_put(o);
	free(s);
	ck_assert_int_eq(fake.reload, 1);
	/* A missing op is an internal error, not a crash. */
	s = pzd_protocol_handle(&root, "{\"cmd\":\"status\"}", 16, &p);
	o = parse_reply(s);
	assert_err(o, "internal", "status");
	json_object_put(o);
	free(s);
}
END_TEST

static const char *const op_lines[] = {
	"{\"cmd\":\"status\",\"id\":1}",
	"{\"cmd\":\"status\",\"node\":7,\"id\":1}",
	"{\"cmd\":\"config-show\",\"id\":1}",
	"{\"cmd\":\"node-set\",\"node\":7,\"rate\":5,\"id\":1}",
	"{\"cmd\":\"reload\",\"id\":1}",
	"{\"cmd\":\"xen-list\",\"id\":1}",
	"{\"cmd\":\"xen-exclude\",\"dom\":3,\"id\":1}",
};

/* An op's error becomes the reply, without what it added before. */
START_TEST(op_errors)
{
	const char *const codes[] = { "no-such-node", "bad-config", "internal" };
	struct json_object *o;

	for (int i = 0; i < N(codes); i++) {
		char want[64];

		fake.fail = codes[i];
		o = call(op_lines[_i]);
		snprintf(want, sizeof(want), "fake says %s", codes[i]);
		assert_err(o, codes[i], want);
		ck_assert_int_eq(json_object_get_int(member(o, "id")), 1);
		ck_assert(!has(o, "half"));
		json_object_put(o);
	}
	ck_assert_int_eq(ops_called(), N(codes));

	fake.fail = NULL;
	fake.fail_silently = true;
	o = call(op_lines[_i]);
	assert_err(o, "internal", "failed");
	ck_assert(!has(o, "half"));
	json_object_put(o);
}
END_TEST

START_TEST(xen_list_reply)
{
	struct json_object *o = call("{\"cmd\":\"xen-list\",\"id\":\"x\"}");

	assert_ok(o);
	ck_assert_str_eq(json_object_get_string(member(o, "marker")),
			 "xen-list");
	ck_assert_str_eq(json_object_get_string(member(o, "id")), "x");
	json_object_put(o);
	ck_assert_int_eq(fake.xen_list, 1);
	expect_err("{\"cmd\":\"xen-list\",\"dom\":1}", "bad-request",
		   "unknown member \"dom\"");
	ck_assert_int_eq(fake.xen_list, 1);
}
END_TEST

static const struct {
	const char *dom;
	bool by_name;
	uint32_t domid;
	const char *name;
} good_doms[] = {
	{ "0", false, 0, NULL },
	{ "7", false, 7, NULL },
	{ "32751", false, 32751, NULL },
	{ "\"guest1\"", true, 0, "guest1" },
	{ "\"7\"", true, 0, "7" },	/* a string is a name */
	{ "\"a b/c\"", true, 0, "a b/c" },
	{ "\"\u00e9t\u00e9\"", true, 0, "\xc3\xa9t\xc3\xa9" },
};

START_TEST(xen_exclude_good)
{
	char line[256];
	struct json_object *o;

	snprintf(line, sizeof(line), "{\"cmd\":\"xen-exclude\",\"dom\":%s}",
		 good_doms[_i].dom);
	o = call(line);
	assert_ok(o);
	ck_assert_str_eq(json_object_get_string(member(o, "marker")),
			 "xen-exclude");
	json_object_put(o);
	ck_assert_int_eq(fake.xen_exclude, 1);
	ck_assert_int_eq(fake.dom.by_name, good_doms[_i].by_name);
	if (good_doms[_i].by_name)
		ck_assert_str_eq(fake.dom_name, good_doms[_i].name);
	else
		ck_assert_uint_eq(fake.dom.domid, good_doms[_i].domid);
}
END_TEST

static const struct {
	const char *members, *code, *want;
} bad_doms[] = {
	{ "", "bad-request", "missing member \"dom\"" },
	{ ",\"dom\":\"\"", "bad-request", "\"dom\" must be 1-127 bytes" },
	{ ",\"dom\":-1", "bad-request", "domain id or name" },
	{ ",\"dom\":1.5", "bad-request", "domain id or name" },
	{ ",\"dom\":1e3", "bad-request", "domain id or name" },
	{ ",\"dom\":true", "bad-request", "domain id or name" },
	{ ",\"dom\":null", "bad-request", "domain id or name" },
	{ ",\"dom\":[1]", "bad-request", "domain id or name" },
	{ ",\"dom\":{}", "bad-request", "domain id or name" },
	{ ",\"dom\":\"a\\u0000b\"", "bad-request", "must be 1-127 bytes" },
	{ ",\"dom\":32752", "no-such-domain", "domain 32752 does not exist" },
	{ ",\"dom\":99999999999999999999", "no-such-domain", "does not exist" },
	{ ",\"dom\":1,\"node\":0", "bad-request", "unknown member \"node\"" },
};

START_TEST(xen_exclude_bad)
{
	char line[256];

	snprintf(line, sizeof(line), "{\"cmd\":\"xen-exclude\"%s}",
		 bad_doms[_i].members);
	expect_err(line, bad_doms[_i].code, bad_doms[_i].want);
	ck_assert_int_eq(ops_called(), 0);
}
END_TEST

START_TEST(xen_exclude_long_name)
{
	char line[512], name[200];

	memset(name, 'n', sizeof(name) - 1);
	name[127] = '\0';
	snprintf(line, sizeof(line), "{\"cmd\":\"xen-exclude\",\"dom\":\"%s\"}",
		 name);
	json_object_put(call(line));
	ck_assert_int_eq(fake.xen_exclude, 1);
	ck_assert_str_eq(fake.dom_name, name);
	name[127] = 'n';
	name[128] = '\0';
	snprintf(line, sizeof(line), "{\"cmd\":\"xen-exclude\",\"dom\":\"%s\"}",
		 name);
	expect_err(line, "bad-request", "1-127 bytes");
	ck_assert_int_eq(fake.xen_exclude, 1);
}
END_TEST

/* The daemon's own errors pass through unchanged. */
START_TEST(xen_errors)
{
	const char *const codes[] = { "no-xen", "no-such-domain",
				      "no-exclude-list" };

	for (int i = 0; i < N(codes); i++) {
		fake.fail = codes[i];
		expect_err("{\"cmd\":\"xen-exclude\",\"dom\":\"g\"}", codes[i],
			   "fake says");
	}
	ck_assert_int_eq(fake.xen_exclude, N(codes));
}
END_TEST

/* Strings with newlines and control characters stay on one line. */
START_TEST(escaping)
{
	static const char text[] = "one\ntwo\r\tthree\x01\x1f \"q\" \\ /";
	struct json_object *o;

	fake.extra = text;
	o = call("{\"cmd\":\"status\"}");
	assert_ok(o);
	ck_assert_str_eq(json_object_get_string(member(o, "text")), text);
	json_object_put(o);
}
END_TEST

START_TEST(error_reply)
{
	char *s = pzd_protocol_error_reply("busy", "too many\nconnections");
	struct json_object *o = parse_reply(s);

	assert_err(o, "busy", "too many\nconnections");
	ck_assert(!has(o, "id"));
	json_object_put(o);
	free(s);
}
END_TEST

START_TEST(seterr)
{
	struct pzd_proto_err err = { 0 };
	char big[600];

	pzd_proto_seterr(&err, "no-such-node", "node %d does not exist", 9);
	ck_assert_str_eq(err.code, "no-such-node");
	ck_assert_str_eq(err.message, "node 9 does not exist");

	/* Cut to fit, and never in the middle of a character. */
	for (int shift = 0; shift < 3; shift++) {
		size_t n = 0;

		memset(big, 'a', (size_t)shift);
		n = (size_t)shift;
		while (n + 3 < sizeof(big)) {
			memcpy(big + n, "\xe2\x82\xac", 3);	/* € */
			n += 3;
		}
		big[n] = '\0';
		pzd_proto_seterr(&err, "internal", "%s", big);
		n = strlen(err.message);
		ck_assert_uint_le(n, sizeof(err.message) - 1);
		ck_assert_uint_ge(n, sizeof(err.message) - 4);
		ck_assert_int_eq((n - (size_t)shift) % 3, 0);
		ck_assert(n == (size_t)shift ||
			  !memcmp(err.message + n - 3, "\xe2\x82\xac", 3));
	}
}
END_TEST

/* xorshift64*: the same "random" requests on every run. */
static uint64_t rnd_state = UINT64_C(0x9e3779b97f4a7c15);

static uint32_t rnd(void)
{
	rnd_state ^= rnd_state >> 12;
	rnd_state ^= rnd_state << 25;
	rnd_state ^= rnd_state >> 27;
	return (uint32_t)((rnd_state * UINT64_C(0x2545f4914f6cdd1d)) >> 32);
}

static const char *const seeds[] = {
	"{\"cmd\":\"ping\",\"id\":1}",
	"{\"cmd\":\"status\",\"node\":0}",
	"{\"cmd\":\"config-show\"}",
	"{\"cmd\":\"node-set\",\"node\":\"all\",\"rate\":1048576,\"burst\":0,\"id\":[1,{\"a\":\"b\"}]}",
	"{\"cmd\":\"node-set\",\"node\":1,\"reset\":true}",
	"{\"cmd\":\"node-set\",\"node\":2,\"enabled\":false}",
	"{\"cmd\":\"reload\",\"id\":\"x\\u00e9\\n\"}",
};

static const char *const codes[] = {
	"bad-json", "too-large", "bad-request", "unknown-command",
	"permission-denied", "no-such-node", "bad-config", "busy", "internal",
};

static void check_any_reply(const char *line, size_t len)
{
	char *s = raw_len(&user, line, len);
	struct json_object *o = parse_reply(s);

	if (!json_object_get_boolean(member(o, "ok"))) {
		struct json_object *e = member(o, "error");
		const char *code = json_object_get_string(member(e, "code"));
		bool known = false;

		for (int i = 0; i < N(codes); i++)
			known |= !strcmp(code, codes[i]);
		ck_assert_msg(known, "unknown code %s", code);
		ck_assert(json_object_is_type(member(e, "message"),
					      json_type_string));
	}
	json_object_put(o);
	free(s);
}

/* Well-formed JSON: random commands, members and values. */
static size_t random_request(char *buf, size_t size)
{
	static const char *const cmds[] = {
		"ping", "status", "config-show", "node-set", "reload", "nope",
	};
	static const char *const members[] = {
		"node", "rate", "burst", "enabled", "reset", "id", "bogus",
	};
	static const char *const values[] = {
		"0", "1", "255", "256", "-1", "1.5", "\"all\"", "true", "false",
		"null", "1099511627776", "1099511627777",
		"9223372036854775808", "\"x\"", "[]", "{}",
	};
	size_t n = (size_t)snprintf(buf, size, "{\"cmd\":\"%s\"",
				    cmds[rnd() % N(cmds)]);

	for (int i = 0; i < N(members); i++) {
		if (rnd() % 4)
			continue;
		n += (size_t)snprintf(buf + n, size - n, ",\"%s\":%s",
				      members[i], values[rnd() % N(values)]);
	}
	n += (size_t)snprintf(buf + n, size - n, "}");
	return n;
}

START_TEST(fuzz)
{
	static const char alphabet[] = "{}[]\",:0123456789-.e truefalsnl\\u\xc3\xa9\xff";
	char buf[512];
	int oks = 0, fails = 0;

	for (int iter = 0; iter < 4000; iter++) {
		size_t len;

		fake.admin = rnd() & 1;
		fake.fail = (rnd() & 7) == 0 ? "internal" : NULL;
		if (iter % 4 == 0) {
			/* Random bytes, some from JSON's alphabet. */
			len = rnd() % 200;
			for (size_t i = 0; i < len; i++)
				buf[i] = rnd() & 1 ?
					 (char)rnd() :
					 alphabet[rnd() % (sizeof(alphabet) - 1)];
		} else if (iter % 4 == 1) {
			len = random_request(buf, sizeof(buf));
		} else {
			const char *seed = seeds[rnd() % N(seeds)];
			int edits = rnd() & 1 ? 1 : 1 + rnd() % 4;

			len = strlen(seed);
			memcpy(buf, seed, len);
			for (int k = 0; k < edits && len > 0; k++) {
				size_t at = rnd() % len;
				char c = rnd() & 1 ? (char)rnd() :
					 alphabet[rnd() % (sizeof(alphabet) - 1)];

				switch (rnd() % 4) {
				case 0:		/* replace */
					buf[at] = c;
					break;
				case 1:		/* insert */
					if (len + 1 < sizeof(buf)) {
						memmove(buf + at + 1, buf + at,
							len - at);
						buf[at] = c;
						len++;
					}
					break;
				case 2:		/* delete */
					memmove(buf + at, buf + at + 1,
						len - at - 1);
					len--;
					break;
				default:	/* truncate */
					len = at;
					break;
				}
			}
		}
		check_any_reply(buf, len);
		/* Count outcomes, so the loop provably tried both. */
		{
			char *s = raw_len(&user, buf, len);

			if (s && !strncmp(s, "{\"ok\":true", 10))
				oks++;
			else
				fails++;
			free(s);
		}
	}
	printf("fuzz: %d ok, %d failed\n", oks, fails);
	ck_assert_int_gt(oks, 50);
	ck_assert_int_gt(fails, 50);
}
END_TEST

static Suite *protocol_suite(void)
{
	Suite *s = suite_create("protocol");
	TCase *tc = tcase_create("requests");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, ping);
	tcase_add_test(tc, reply_shape);
	tcase_add_loop_test(tc, id_echo, 0, N(ids));
	tcase_add_test(tc, id_absent);
	tcase_add_loop_test(tc, bad_json_lines, 0, N(bad_json));
	tcase_add_test(tc, nul_byte);
	tcase_add_test(tc, too_large);
	tcase_add_loop_test(tc, not_an_object, 0, N(not_object));
	tcase_add_test(tc, cmd_member);
	tcase_add_test(tc, long_message_utf8);
	tcase_add_loop_test(tc, unknown_member, 0, N(unknown_members));
	suite_add_tcase(s, tc);

	tc = tcase_create("commands");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, status_nodes);
	tcase_add_loop_test(tc, status_bad_node, 0, N(bad_status_nodes));
	tcase_add_test(tc, config_show_and_reload);
	tcase_add_test(tc, no_slash_escape);
	tcase_add_loop_test(tc, node_set_good, 0, N(good_sets));
	tcase_add_loop_test(tc, node_set_bad, 0, N(bad_sets));
	tcase_add_loop_test(tc, permission_denied, 0, N(changing));
	tcase_add_test(tc, readers_need_no_admin);
	tcase_add_test(tc, no_is_admin_op);
	tcase_add_loop_test(tc, op_errors, 0, N(op_lines));
	tcase_add_test(tc, xen_list_reply);
	tcase_add_loop_test(tc, xen_exclude_good, 0, N(good_doms));
	tcase_add_loop_test(tc, xen_exclude_bad, 0, N(bad_doms));
	tcase_add_test(tc, xen_exclude_long_name);
	tcase_add_test(tc, xen_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("replies");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, escaping);
	tcase_add_test(tc, error_reply);
	tcase_add_test(tc, seterr);
	tcase_add_test(tc, fuzz);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(protocol_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
