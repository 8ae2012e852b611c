/* SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause */
/*
 * What the policy looks at: per-CPU times from /proc/stat, PSI from
 * /proc/pressure/{cpu,memory}, PSI triggers. Parsers take text so the unit
 * tests feed them fixtures; the readers take the path so tests can point
 * them at files.
 */
#ifndef PREZEROD_SAMPLE_H
#define PREZEROD_SAMPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Cumulative jiffies of one CPU; idle includes iowait. */
struct pzd_cpu_times {
	bool valid;		/* the CPU had a "cpuN" line */
	uint64_t idle;
	uint64_t total;
};

/*
 * Parse /proc/stat text: cpus[N] gets the "cpuN" line for N < max; CPUs
 * without a line stay !valid. Returns the number of cpuN lines parsed, or
 * -EINVAL if the text has no cpuN line or a malformed one (fewer than 4
 * fields, not a number, the same CPU twice), leaving cpus unchanged
 * (-ENOMEM is possible too). Fields after the tenth are ignored.
 */
int pzd_parse_proc_stat(const char *text, struct pzd_cpu_times *cpus,
			size_t max);
/* Read and parse a file (normally "/proc/stat"); -errno on I/O errors.
 * The whole file is read, however large (up to 64 MiB, else -EFBIG). */
int pzd_read_proc_stat(const char *path, struct pzd_cpu_times *cpus,
		       size_t max);

/*
 * Idle share, percent, of the listed CPUs between two readings (prev and
 * cur are indexed by CPU number: each cpu[i] < their size). Returns -1
 * when no listed CPU is valid in both or no time passed. Counters that went
 * backwards (CPU offlined and back) count as no time.
 */
double pzd_idle_pct(const struct pzd_cpu_times *prev,
		    const struct pzd_cpu_times *cur, const unsigned int *cpu,
		    size_t ncpu);

/*
 * The same, counting credit_ns of the CPUs' busy time as idle: the CPU time
 * of the prezero workers (prezerod reads their thread's stat), which is work
 * we asked for and must not make the node look busy. ticks_per_s is the unit
 * of /proc/stat (sysconf(_SC_CLK_TCK)). At most 100.
 */
double pzd_idle_pct_credit(const struct pzd_cpu_times *prev,
			   const struct pzd_cpu_times *cur,
			   const unsigned int *cpu, size_t ncpu,
			   uint64_t credit_ns, long ticks_per_s);

/*
 * CPU time of one task, utime + stime in ticks (sysconf(_SC_CLK_TCK)), from
 * /proc/PID/stat text; -EINVAL if malformed. The reader: -errno (-ENOENT:
 * the task is gone).
 */
int pzd_parse_task_stat(const char *text, uint64_t *ticks);
int pzd_read_task_cpu(pid_t pid, uint64_t *ticks);

/*
 * Kernel threads named PREFIX<N> ("prezero/0"): pid[N] = their pid for
 * N < max, 0 where none. Returns how many were found, or -errno.
 */
int pzd_find_kthreads(const char *prefix, pid_t *pid, size_t max);

/* One PSI file: "some avg10=.. avg60=.. avg300=.. total=.." and "full ..."
 * (full is absent in /proc/pressure/cpu before 5.13). */
struct pzd_psi {
	bool has_some, has_full;
	double some_avg10, some_avg60;
	double full_avg10, full_avg60;
	uint64_t some_total_us, full_total_us;
};

/* A whole (proc or sysfs) file, NUL-terminated, malloc'ed: 0, -EINVAL if it
 * holds a NUL, or -errno. */
int pzd_read_file(const char *path, char **out);
/* A sysfs counter: one decimal number and a newline. 0, -EBADMSG if the
 * file is not that, or -errno. */
int pzd_read_u64(const char *path, uint64_t *v);
/* Write value to a sysfs file in one write(): 0 or -errno (-EIO if short). */
int pzd_write_file(const char *path, const char *value);

/* Strict: only "some" and "full" lines, each once, fields in the kernel's
 * order; "some" is required. On error *psi is unchanged. */
int pzd_parse_psi(const char *text, struct pzd_psi *psi);	/* 0 or -EINVAL */
int pzd_read_psi(const char *path, struct pzd_psi *psi);	/* 0 or -errno */

/*
 * Open a PSI trigger: path is "/proc/pressure/memory", the fd becomes
 * readable with EPOLLPRI when tasks stalled for stall_us within window_us
 * ("some"). Returns the fd (O_RDWR|O_NONBLOCK|O_CLOEXEC) or -errno.
 * The kernel wants 500 ms <= window <= 10 s and stall <= window (-EINVAL),
 * and since Linux 6.5 a window that is not a multiple of 2 s needs
 * CAP_SYS_RESOURCE (-EINVAL without it).
 */
int pzd_psi_trigger_open(const char *path, unsigned int stall_us,
			 unsigned int window_us);

#endif
