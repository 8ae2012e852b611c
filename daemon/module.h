/* SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause */
/*
 * The prezero module as the daemon sees it: present or not, its caps, its
 * nodes, budgets to set, events. Loads and unloads are followed through the
 * generic netlink controller's "notify" group (CTRL_CMD_NEWFAMILY /
 * CTRL_CMD_DELFAMILY), so the daemon never polls for the module.
 */
#ifndef PREZEROD_MODULE_H
#define PREZEROD_MODULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "nl.h"

enum pzd_module_change {
	PZD_MODULE_LOADED,	/* the family appeared and the handles are open */
	PZD_MODULE_UNLOADED,	/* the family went away */
	PZD_MODULE_EVENT,	/* an event of the module's "events" group */
	PZD_MODULE_EVENTS_LOST,	/* the event socket overran */
};

struct pzd_module;
typedef void (*pzd_module_cb)(struct pzd_module *m,
			      enum pzd_module_change change,
			      const struct pz_event *ev, void *userdata);

/* Watch the controller and open the module if it is there (cb is called
 * with LOADED from within when it is). Returns 0 or -errno (only when
 * generic netlink itself is unusable). */
int pzd_module_new(sd_event *e, pzd_module_cb cb, void *userdata,
		   struct pzd_module **out);
void pzd_module_free(struct pzd_module *m);

bool pzd_module_loaded(const struct pzd_module *m);
/* Why not loaded ("module not loaded", "cannot open: ..."); "" if loaded. */
const char *pzd_module_reason(const struct pzd_module *m);
/* Valid while loaded. */
const struct pz_caps *pzd_module_caps(const struct pzd_module *m);

/* Requests on the request handle. Errors that mean the module is gone
 * (-ENOENT, -EOPNOTSUPP for the family) mark it unloaded. */
int pzd_module_dump(struct pzd_module *m, struct pz_node **nodes, size_t *n,
		    struct pz_err *err);
int pzd_module_set_budget(struct pzd_module *m, unsigned int node,
			  uint64_t rate, uint64_t burst, struct pz_err *err);

#endif
