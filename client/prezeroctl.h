/* SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause */
/*
 * prezeroctl's own pieces, shared by its source files: prezeroctl.c (main,
 * the module commands, status, config, node, reload) and prezeroctl_pool.c
 * (pool and vm). Not a library: the messages print as prezeroctl's.
 */
#ifndef PREZERO_CLIENT_PREZEROCTL_H
#define PREZERO_CLIENT_PREZEROCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,		/* the operation failed */
	EXIT_USAGE = 2,
	EXIT_NOMODULE = 3,	/* the prezero family does not exist */
	EXIT_TIMEOUT = 4,	/* watch --timeout expired, prezerod did not answer */
	EXIT_NODAEMON = 5,	/* the command needs prezerod, which is not running */
	EXIT_NOPOOL = 6,	/* the warm pool cannot serve (pool-empty, no-pool) */
};

#define JSON_PRETTY (JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED)

/* Table cells: print_table() takes rows of ncols cells of CELL bytes. */
#define MAXCOLS 16
#define CELL 40
typedef char table_cell[CELL];

extern const char *prog;
extern bool opt_json;

/* "prezeroctl: CMD: MESSAGE" and the --help hint; returns EXIT_USAGE. */
__attribute__((format(printf, 2, 3)))
int usage_error(const char *cmd, const char *fmt, ...);

/* "prezeroctl: out of memory"; returns EXIT_FAIL. */
int no_memory(void);

/*
 * Send req (consumed, may be NULL after an allocation failure) and take
 * the reply. Returns EXIT_OK and *reply (ok, without "ok" and "id": what
 * --json prints), or an exit code after a message: EXIT_NOPOOL for the
 * pool-empty and no-pool errors. If no_daemon is not NULL, a daemon that
 * is not running is no error: *no_daemon is set and EXIT_OK returned with
 * *reply NULL.
 */
int daemon_call(const char *cmd, struct json_object *req,
		struct json_object **reply, bool *no_daemon);

/* Prints o (consumed) on one line or pretty; returns EXIT_OK. */
int print_json(struct json_object *o, int flags);
void jadd(struct json_object *o, const char *key, struct json_object *v);

/* Members of a reply; absent or of another type reads as absent. */
struct json_object *jget(struct json_object *o, const char *key);
const char *jstr(struct json_object *o, const char *key);
bool jnum(struct json_object *o, const char *key, double *out);
bool ju64(struct json_object *o, const char *key, uint64_t *out);
/* 1, 0, or -1 when absent */
int jbool(struct json_object *o, const char *key);

/* NODE: a decimal number 0..PZ_NODE_ID_MAX. */
bool parse_node(const char *s, uint32_t *id);

/* "2 MiB" for exact binary multiples, else pz_format_size()'s form. */
char *format_exact(uint64_t bytes, char *buf, size_t len);
/* "0", "512B", "1.5K", "256M", "12.3G": for tables. */
char *format_short(uint64_t bytes, char *buf, size_t len);
/* "256M/s", "0" */
char *format_rate(uint64_t rate, char *buf, size_t len);
/* "42s", "12m 5s", "3h 12m", "2d 4h" */
char *format_duration(double secs, char *buf, size_t len);

/* rows + 1 rows of ncols cells, row 0 holding the headings hdr (free()
 * it); NULL after a message. Row r is cells + r * ncols. */
table_cell *table_new(const char *const *hdr, size_t ncols, size_t rows);
/* rows of ncols cells, row 0 the headings; two spaces between columns,
 * numbers right-aligned, columns marked left[] left-aligned. */
void print_table(table_cell *cells, size_t rows, size_t ncols,
		 const bool *left);

/* prezeroctl_pool.c */
int cmd_pool(int argc, char **argv);
int cmd_vm(int argc, char **argv);
/* status's POOL cell of a node: "1G/4G" (ready/target), "-" without pool. */
char *pool_cell(struct json_object *node, char *buf, size_t len);
/* status, below the node table: the pool's state when it is not ok, the
 * nodes whose pool fills, waits or gives back, the reservations of the
 * nodes shown. */
void print_pool_notes(struct json_object *status);

/* prezeroctl_xen.c: xen list|exclude|filter-core (argv[0] "xen"). */
int cmd_xen(int argc, char **argv);

/* prezeroctl_xencore.c: xen filter-core (argv[0] "filter-core"). */
int cmd_xen_filter_core(int argc, char **argv);

#endif /* PREZERO_CLIENT_PREZEROCTL_H */
