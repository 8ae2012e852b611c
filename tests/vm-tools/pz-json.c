// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/*
 * pz-json: read members of a JSON document in the guest, which has no JSON
 * tool (prezerod's status nests the same names at several levels).
 *
 *   pz-json PATH... < JSON
 *
 * PATH is dot-separated: object member names and array indices, e.g.
 * "daemon.state", "nodes.1.module.zeroed_bytes"; "." is the whole document
 * and a final "#" gives an array's length ("nodes.#"). Prints one line per
 * PATH: strings as they are, numbers, true/false, null, and objects or
 * arrays as compact JSON.
 * Exit status: 0 all found, 1 a PATH is missing or the input is not one
 * JSON document (message on stderr), 2 usage.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

/*
 * Follow path from root into *out (NULL for a JSON null). Returns 0, or -1
 * (and a message) if a step is missing. *want_len: the path ended in "#".
 */
static int walk(struct json_object *root, const char *path,
		struct json_object **out, bool *want_len)
{
	struct json_object *cur = root, *next;
	char *copy, *step, *save = NULL, *end;
	unsigned long idx;
	bool found;

	*want_len = false;
	*out = root;
	if (!strcmp(path, "."))
		return 0;
	copy = strdup(path);
	if (!copy) {
		fprintf(stderr, "pz-json: out of memory\n");
		return -1;
	}
	for (step = strtok_r(copy, ".", &save); step;
	     step = strtok_r(NULL, ".", &save)) {
		if (!strcmp(step, "#") && !strtok_r(NULL, ".", &save)) {
			*want_len = true;
			break;
		}
		next = NULL;
		found = false;
		if (json_object_is_type(cur, json_type_object)) {
			found = json_object_object_get_ex(cur, step, &next);
		} else if (json_object_is_type(cur, json_type_array)) {
			errno = 0;
			idx = strtoul(step, &end, 10);
			if (!errno && !*end && step[0] >= '0' && step[0] <= '9' &&
			    idx < json_object_array_length(cur)) {
				next = json_object_array_get_idx(cur, idx);
				found = true;
			}
		}
		if (!found) {
			fprintf(stderr, "pz-json: %s: no '%s'\n", path, step);
			free(copy);
			return -1;
		}
		cur = next;
	}
	free(copy);
	*out = cur;
	return 0;
}

static int print_path(struct json_object *root, const char *path)
{
	struct json_object *v;
	bool want_len;

	if (walk(root, path, &v, &want_len) < 0)
		return -1;
	if (want_len) {
		if (!json_object_is_type(v, json_type_array)) {
			fprintf(stderr, "pz-json: %s: not an array\n", path);
			return -1;
		}
		printf("%zu\n", json_object_array_length(v));
		return 0;
	}
	switch (json_object_get_type(v)) {
	case json_type_string:
		puts(json_object_get_string(v));
		break;
	case json_type_object:
	case json_type_array:
		puts(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
		break;
	default:	/* numbers, booleans; json-c prints NULL as null */
		puts(json_object_to_json_string(v));
		break;
	}
	return 0;
}

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int main(int argc, char **argv)
{
	struct json_tokener *tok;
	struct json_object *root;
	enum json_tokener_error jerr;
	char *text = NULL;
	size_t len = 0, cap = 0, got;
	int i, ret = 0;

	if (argc < 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: pz-json PATH... < JSON\n");
		return 2;
	}
	do {
		if (cap - len < 4096) {
			char *t = realloc(text, cap + 65536);

			if (!t) {
				fprintf(stderr, "pz-json: out of memory\n");
				free(text);
				return 1;
			}
			text = t;
			cap += 65536;
		}
		got = fread(text + len, 1, cap - len, stdin);
		len += got;
	} while (got);

	tok = json_tokener_new();
	if (!tok) {
		free(text);
		return 1;
	}
	root = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	/* all of the input must be one document (trailing blanks allowed) */
	if (jerr == json_tokener_success) {
		size_t off = json_tokener_get_parse_end(tok);

		while (off < len && blank(text[off]))
			off++;
		if (off < len) {
			fprintf(stderr, "pz-json: trailing data after the document\n");
			ret = 1;
		}
	} else {
		fprintf(stderr, "pz-json: input is not JSON: %s\n",
			jerr == json_tokener_continue ? "incomplete" :
			json_tokener_error_desc(jerr));
		ret = 1;
	}
	json_tokener_free(tok);
	free(text);
	for (i = 1; !ret && i < argc; i++)
		if (print_path(root, argv[i]) < 0)
			ret = 1;
	json_object_put(root);
	return ret;
}
