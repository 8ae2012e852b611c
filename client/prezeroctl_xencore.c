// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/*
 * prezeroctl xen filter-core IN OUT --exclude FILE: a guest's ELF core
 * without the frames of its exclude list (elfcore.h), so that dump tools
 * skip them. Needs no daemon: the list is a file (proto/xen-exclude.md).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "elfcore.h"
#include "prezeroctl.h"
#include "size.h"
#include "xenexclude.h"

#define CMD "xen filter-core"

static const char filter_usage[] =
	"Usage: prezeroctl xen filter-core IN OUT --exclude FILE [--json]\n"
	"\n"
	"Write the ELF core IN to OUT with its PT_LOAD segments split so that\n"
	"none covers a frame of the exclude list FILE (a domain's\n"
	"/run/prezerod/xen/DOMID.exclude). Dump tools such as makedumpfile and\n"
	"crash never read memory outside every PT_LOAD. OUT is sparse, mode 0600,\n"
	"and appears only when complete.\n";

static void on_signal(int sig)
{
	(void)sig;
	pz_core_stop = 1;
}

/* Ctrl-C and friends stop the copy cleanly: no temporary file is left. */
static void catch_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

static int print_stats_json(const char *in, const char *out,
			    const char *exclude,
			    const struct pz_exclude_hdr *h,
			    const struct pz_ranges *rs,
			    const struct pz_core_stats *st)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return no_memory();
	jadd(o, "in", json_object_new_string(in));
	jadd(o, "out", json_object_new_string(out));
	jadd(o, "exclude", json_object_new_string(exclude));
	jadd(o, "domid", json_object_new_int64(h->domid));
	jadd(o, "generation", json_object_new_uint64(h->generation));
	jadd(o, "page_size", json_object_new_int64(h->page_size));
	jadd(o, "excluded_frames", json_object_new_uint64(rs->frames));
	jadd(o, "ranges", json_object_new_uint64(rs->n));
	jadd(o, "phdrs_in", json_object_new_uint64(st->phdrs_in));
	jadd(o, "phdrs_out", json_object_new_uint64(st->phdrs_out));
	jadd(o, "segments_in", json_object_new_uint64(st->loads_in));
	jadd(o, "segments_out", json_object_new_uint64(st->loads_out));
	jadd(o, "bytes_in", json_object_new_uint64(st->bytes_in));
	jadd(o, "bytes_kept", json_object_new_uint64(st->bytes_kept));
	jadd(o, "bytes_skipped", json_object_new_uint64(st->bytes_skipped));
	jadd(o, "bytes_zero", json_object_new_uint64(st->bytes_zero));
	jadd(o, "out_size", json_object_new_uint64(st->out_size));
	jadd(o, "pn_xnum_in", json_object_new_boolean(st->xnum_in));
	jadd(o, "pn_xnum_out", json_object_new_boolean(st->xnum_out));
	return print_json(o, JSON_PRETTY);
}

static void print_stats(const char *in, const char *out,
			const struct pz_exclude_hdr *h,
			const struct pz_ranges *rs,
			const struct pz_core_stats *st)
{
	char b1[32], b2[32], b3[32], b4[32];

	printf("%s -> %s\n", in, out);
	printf("exclude list: domain %u%s%s%s, generation %llu, %zu range%s, %llu frames of %u bytes\n",
	       h->domid, *h->name ? " (" : "", h->name, *h->name ? ")" : "",
	       (unsigned long long)h->generation, rs->n, rs->n == 1 ? "" : "s",
	       (unsigned long long)rs->frames, h->page_size);
	printf("program headers: %llu in, %llu out%s\n",
	       (unsigned long long)st->phdrs_in,
	       (unsigned long long)st->phdrs_out,
	       st->xnum_out ? " (PN_XNUM)" : "");
	printf("PT_LOAD segments: %llu in, %llu out\n",
	       (unsigned long long)st->loads_in,
	       (unsigned long long)st->loads_out);
	printf("memory bytes: %s in, %s kept (%s of it zero, left as holes), %s skipped\n",
	       pz_format_size(st->bytes_in, b1, sizeof(b1)),
	       pz_format_size(st->bytes_kept, b2, sizeof(b2)),
	       pz_format_size(st->bytes_zero, b3, sizeof(b3)),
	       pz_format_size(st->bytes_skipped, b4, sizeof(b4)));
}

int cmd_xen_filter_core(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "exclude", required_argument, NULL, 'e' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *exclude = NULL, *in, *out;
	struct pz_exclude_hdr h;
	struct pz_ranges rs;
	struct pz_core_stats st;
	char err[512];
	int c, ret;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'e':
			if (!*optarg)
				return usage_error(CMD, "--exclude needs a file");
			exclude = optarg;
			break;
		case 'j':
			opt_json = true;
			break;
		case 'h':
			fputs(filter_usage, stdout);
			return EXIT_OK;
		case ':':
			return usage_error(CMD, "option '%s' needs a value",
					   argv[optind - 1]);
		default:
			return usage_error(CMD, "unknown option '%s'",
					   argv[optind - 1]);
		}
	}
	if (argc - optind < 2)
		return usage_error(CMD, "usage: xen filter-core IN OUT --exclude FILE");
	if (argc - optind > 2)
		return usage_error(CMD, "unexpected argument '%s'",
				   argv[optind + 2]);
	if (!exclude)
		return usage_error(CMD, "--exclude FILE is required");
	in = argv[optind];
	out = argv[optind + 1];
	if (!*in || !*out)
		return usage_error(CMD, "IN and OUT must not be empty");

	if (pz_exclude_read_file(exclude, &h, &rs, err, sizeof(err))) {
		fprintf(stderr, "%s: %s: %s\n", prog, CMD, err);
		pz_ranges_free(&rs);
		return EXIT_FAIL;
	}
	catch_signals();
	if (pz_core_filter(in, out, &rs, h.page_size, &st, err, sizeof(err))) {
		fprintf(stderr, "%s: %s: %s\n", prog, CMD, err);
		ret = EXIT_FAIL;
	} else if (opt_json) {
		ret = print_stats_json(in, out, exclude, &h, &rs, &st);
	} else {
		print_stats(in, out, &h, &rs, &st);
		ret = EXIT_OK;
	}
	pz_ranges_free(&rs);
	return ret;
}
