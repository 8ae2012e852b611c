/* SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause */
/*
 * prezerod.conf: INI file parsed with inih. prezerod.conf(5) documents every
 * key; pzd_config_defaults() is the one place defaults live.
 */
#ifndef PREZEROD_CONFIG_H
#define PREZEROD_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/un.h>

struct json_object;

/* The build passes ${sysconfdir}/prezero/prezerod.conf to prezerod. */
#ifdef PZD_SYSCONF_PATH
#define PZD_CONFIG_PATH PZD_SYSCONF_PATH
#else
#define PZD_CONFIG_PATH "/etc/prezero/prezerod.conf"
#endif
#define PZD_SOCKET_PATH "/run/prezerod/prezerod.sock"
#define PZD_POOL_DIR "/dev/hugepages/prezero"
#define PZD_POOL_STATE "/run/prezerod/pool.json"
#define PZD_XEN_DIR "/run/prezerod/xen"

/* [xen] enabled */
enum pzd_xen_enabled { PZD_XEN_AUTO, PZD_XEN_YES, PZD_XEN_NO };
/* [xen] hvm_scan: map unless PoD/paging makes it unsafe, or always query */
enum pzd_xen_hvm_scan { PZD_XEN_HVM_SCAN_AUTO, PZD_XEN_HVM_SCAN_QUERY };
/* Node ids accepted in [node N] sections and overrides: 0..PZD_MAX_NODES-1 */
#define PZD_MAX_NODES 256
/* Largest rate or burst (the module's budget-max, 1 TiB) */
#define PZD_BUDGET_MAX (UINT64_C(1) << 40)

/* [node N]: what is set overrides the [policy] defaults for that node. */
struct pzd_node_conf {
	bool has_enabled, has_rate, has_burst, has_pool_target;
	bool enabled;
	uint64_t rate;
	uint64_t burst;
	uint64_t pool_target;
};

struct pzd_config {
	char path[PATH_MAX];		/* file it came from, "" = defaults */

	/* [daemon] */
	char socket_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int log_level;			/* LOG_ERR..LOG_DEBUG */
	char admin_group[64];		/* "" = root only */
	gid_t admin_gid;		/* valid if admin_group[0] */
	unsigned int interval_ms;	/* sampling period, 100..10000 */

	/* [policy] */
	double idle_min_pct;		/* node idle when its CPUs are >= this idle */
	unsigned int idle_after_ms;	/* ...for this long before budget is granted */
	double psi_cpu_max;		/* cpu "some" avg10 above this: all nodes busy */
	double psi_memory_max;		/* memory "some" avg10 above this: pressure */
	unsigned int psi_trigger_ms;	/* PSI trigger: memory stall per 1 s window, 0 = off */
	unsigned int pressure_hold_ms;	/* no budget for this long after a trigger */
	double min_free_pct;		/* node free memory below this %: no budget */
	bool enabled;			/* default for every node */
	uint64_t rate;			/* default cap, bytes/s */
	uint64_t burst;			/* default burst, 0 = max(2 * rate, 64 MiB) */

	/* [pool] */
	char pool_dir[PATH_MAX];	/* on hugetlbfs or tmpfs */
	uint64_t pool_target;		/* per node, 0 = no pool but reservations */
	uint64_t pool_file_size;	/* the target is made of files this big */
	uint64_t pool_fill_rate;	/* bytes/s per node */
	double pool_reserve_pct;	/* node free memory the pool never takes */
	bool pool_hugetlb_overcommit;	/* raise nr_overcommit_hugepages */
	char pool_state_file[PATH_MAX];	/* reservations, kept across restarts */

	/* [xen] */
	int xen_enabled;		/* enum pzd_xen_enabled */
	char xen_dir[PATH_MAX];		/* the exclude list files */
	unsigned int xen_settle_s;	/* balloon still this long: settled */
	unsigned int xen_min_interval_s;	/* per domain, between scans */
	unsigned int xen_max_ranges;	/* per list */
	int xen_hvm_scan;		/* enum pzd_xen_hvm_scan */

	struct pzd_node_conf node[PZD_MAX_NODES];
};

/* A node's pool target: [node N] pool_target if set, else [pool] target. */
uint64_t pzd_config_pool_target(const struct pzd_config *c, unsigned int node);

void pzd_config_defaults(struct pzd_config *c);

/*
 * Parse path into *c (defaults first, then the file). On error returns -1,
 * leaves *c unspecified and writes "PATH:LINE: reason" (or "PATH: reason"
 * when the file cannot be read) into err. Unknown sections and keys, bad
 * values and out-of-range numbers are errors. A group name is resolved
 * (getgrnam) at load time.
 */
int pzd_config_load(const char *path, struct pzd_config *c, char *err,
		    size_t errlen);

/* The effective cap of a node: [node N] if set, else [policy]. burst is
 * resolved (never 0 unless rate is 0). */
void pzd_config_node_cap(const struct pzd_config *c, unsigned int node,
			 bool *enabled, uint64_t *rate, uint64_t *burst);

/* burst 0 -> max(2 * rate, 64 MiB), 0 when rate is 0 (prezeroctl's rule). */
uint64_t pzd_default_burst(uint64_t rate, uint64_t burst);

/* The effective configuration as {"daemon": {...}, "policy": {...},
 * "node 0": {...}} with the key names of the file (for config-show). */
struct json_object *pzd_config_to_json(const struct pzd_config *c);

#endif
