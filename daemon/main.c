// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/*
 * prezerod: decides per NUMA node when the host is idle enough to zero free
 * memory and grants the prezero module its budget. See prezerod(8).
 *
 * This file: command line, config loading and reloading, signals, the
 * control socket and systemd (notify, watchdog). The work is in engine.c.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "log.h"
#include "prezerod.h"

#ifndef PREZERO_VERSION
#define PREZERO_VERSION "unknown"
#endif

static const char usage_text[] =
	"Usage: prezerod [OPTIONS]\n"
	"\n"
	"Zero free memory in idle time: grant the prezero kernel module a budget\n"
	"on every NUMA node that is idle. Runs in the foreground (systemd).\n"
	"\n"
	"Options:\n"
	"  -c, --config FILE      configuration file (default " PZD_CONFIG_PATH ")\n"
	"      --socket PATH      control socket (overrides the config's socket)\n"
	"      --log-level LEVEL  err, warning, notice, info or debug\n"
	"                         (overrides the config's log_level)\n"
	"      --check-config     check the configuration file and exit\n"
	"  -h, --help             show this help and exit\n"
	"      --version          show the version and exit\n"
	"\n"
	"Signals: SIGHUP reloads the configuration (a bad file is rejected and\n"
	"the old one stays); SIGTERM and SIGINT stop, after setting every node's\n"
	"budget back to 0.\n"
	"\n"
	"Exit status: 0 stopped, 1 could not start, 2 usage error.\n";

/* Load the config file into a scratch copy; on success it replaces d->cfg. */
static int load_config(struct pzd_daemon *d, struct pzd_config *out,
		       char *err, size_t errlen)
{
	if (!d->config_explicit && access(d->config_path, F_OK) < 0 &&
	    errno == ENOENT) {
		/* The default file is optional: the defaults are documented. */
		pzd_config_defaults(out);
		d->config_defaults = true;
	} else if (pzd_config_load(d->config_path, out, err, errlen) < 0) {
		return -1;
	} else {
		d->config_defaults = false;
	}
	if (d->socket_arg)
		snprintf(out->socket_path, sizeof(out->socket_path), "%s",
			 d->socket_arg);
	if (d->log_level_arg >= 0)
		out->log_level = d->log_level_arg;
	return 0;
}

int pzd_reload(struct pzd_daemon *d, char *err, size_t errlen)
{
	struct pzd_config *c = malloc(sizeof(*c));

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (load_config(d, c, err, errlen) < 0) {
		log_err("reload rejected, the old configuration stays: %s", err);
		free(c);
		return -1;
	}
	/* The socket is bound once; moving it needs a restart. */
	if (strcmp(c->socket_path, d->cfg.socket_path)) {
		log_notice("socket %s: changing it needs a restart, still serving %s",
			   c->socket_path, d->cfg.socket_path);
		memcpy(c->socket_path, d->cfg.socket_path, sizeof(c->socket_path));
	}
	d->cfg = *c;
	free(c);
	pzd_log_set_level(d->cfg.log_level);
	log_info("configuration reloaded from %s",
		 d->config_defaults ? "built-in defaults" : d->config_path);
	pzd_engine_config_changed(d);
	return 0;
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si,
		     void *ud)
{
	struct pzd_daemon *d = ud;
	char err[512];

	(void)s;
	(void)si;
	sd_notify(0, "RELOADING=1");
	pzd_reload(d, err, sizeof(err));
	sd_notify(0, "READY=1");
	return 0;
}

static int on_sigterm(sd_event_source *s, const struct signalfd_siginfo *si,
		      void *ud)
{
	struct pzd_daemon *d = ud;

	log_info("stopping (%s)", strsignal((int)si->ssi_signo));
	d->stopping = true;
	return sd_event_exit(sd_event_source_get_event(s), 0);
}

/* The control socket: the one systemd passed, or our own. */
static int open_control(struct pzd_daemon *d)
{
	int n = sd_listen_fds(1), fd = -1, ret;

	if (n > 1) {
		log_err("systemd passed %d sockets, expected one", n);
		return -EINVAL;
	}
	if (n == 1)
		fd = SD_LISTEN_FDS_START;
	d->proto.ops = &pzd_status_ops;
	d->proto.ud = d;
	ret = pzd_control_new(d->event, fd, d->cfg.socket_path,
			      pzd_protocol_handle, &d->proto, &d->ctl);
	if (ret == -EADDRINUSE)
		log_err("%s: another prezerod is serving it", d->cfg.socket_path);
	else if (ret < 0)
		log_err("control socket %s: %s",
			fd >= 0 ? "from systemd" : d->cfg.socket_path,
			strerror(-ret));
	else
		log_info("serving %s%s", fd >= 0 ? "the socket from systemd, " : "",
			 d->cfg.socket_path);
	return ret;
}

static int run(struct pzd_daemon *d)
{
	sigset_t ss;
	int ret;

	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGHUP);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	/* A client that hangs up must not kill us. */
	signal(SIGPIPE, SIG_IGN);

	ret = sd_event_default(&d->event);
	if (ret < 0) {
		log_err("sd_event_default: %s", strerror(-ret));
		return 1;
	}
	if (sd_event_add_signal(d->event, NULL, SIGTERM, on_sigterm, d) < 0 ||
	    sd_event_add_signal(d->event, NULL, SIGINT, on_sigterm, d) < 0 ||
	    sd_event_add_signal(d->event, NULL, SIGHUP, on_sighup, d) < 0) {
		log_err("cannot watch signals");
		ret = 1;
		goto out;
	}
	/* WATCHDOG=1 at half of WatchdogSec, from the loop itself. */
	sd_event_set_watchdog(d->event, true);

	d->start_ms = pzd_now_ms();
	if (pzd_engine_start(d) < 0 || open_control(d) < 0) {
		ret = 1;
		goto out;
	}
	log_info("prezerod %s started (%s)", PREZERO_VERSION,
		 d->config_defaults ? "built-in defaults" : d->config_path);
	sd_notify(0, "READY=1");
	ret = sd_event_loop(d->event);
	if (ret < 0) {
		log_err("event loop: %s", strerror(-ret));
		ret = 1;
	}
	sd_notify(0, "STOPPING=1\nSTATUS=Stopping: taking the budgets back");
	d->stopping = true;
	pzd_engine_release(d);
out:
	pzd_control_free(d->ctl);
	d->ctl = NULL;
	pzd_engine_stop(d);
	d->event = sd_event_unref(d->event);
	return ret ? 1 : 0;
}

int main(int argc, char **argv)
{
	enum { OPT_SOCKET = 256, OPT_LOG_LEVEL, OPT_CHECK, OPT_VERSION };
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "socket", required_argument, NULL, OPT_SOCKET },
		{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
		{ "check-config", no_argument, NULL, OPT_CHECK },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ 0 }
	};
	static struct pzd_daemon d;
	char err[512];
	bool check = false;
	int c;

	d.log_level_arg = -1;
	snprintf(d.config_path, sizeof(d.config_path), "%s", PZD_CONFIG_PATH);
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (strlen(optarg) >= sizeof(d.config_path)) {
				fprintf(stderr, "prezerod: --config: path too long\n");
				return 2;
			}
			/* Absolute, so status names the file wherever it runs. */
			if (!realpath(optarg, d.config_path))
				snprintf(d.config_path, sizeof(d.config_path),
					 "%s", optarg);
			d.config_explicit = true;
			break;
		case OPT_SOCKET:
			if (optarg[0] != '/' ||
			    strlen(optarg) >= sizeof(d.cfg.socket_path)) {
				fprintf(stderr, "prezerod: --socket: an absolute path of at most %zu bytes\n",
					sizeof(d.cfg.socket_path) - 1);
				return 2;
			}
			d.socket_arg = optarg;
			break;
		case OPT_LOG_LEVEL:
			d.log_level_arg = pzd_log_level_parse(optarg);
			if (d.log_level_arg < 0) {
				fprintf(stderr, "prezerod: --log-level: \"%s\": one of err, warning, notice, info, debug\n",
					optarg);
				return 2;
			}
			break;
		case OPT_CHECK:
			check = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case OPT_VERSION:
			printf("prezerod %s\n", PREZERO_VERSION);
			return 0;
		default:
			fprintf(stderr, "Try 'prezerod --help' for more information.\n");
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "prezerod: unexpected argument \"%s\"\nTry 'prezerod --help' for more information.\n",
			argv[optind]);
		return 2;
	}

	if (load_config(&d, &d.cfg, err, sizeof(err)) < 0) {
		if (check) {
			fprintf(stderr, "%s\n", err);
		} else {
			log_err("%s", err);
			sd_notifyf(0, "STATUS=Bad configuration: %s", err);
		}
		return 1;
	}
	if (check) {
		printf("%s: ok%s\n", d.config_path,
		       d.config_defaults ? " (missing, built-in defaults)" : "");
		return 0;
	}
	pzd_log_set_level(d.cfg.log_level);
	return run(&d);
}
