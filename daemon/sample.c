// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "number.h"
#include "sample.h"

/* /proc/stat of a 8192-CPU machine is about 1 MiB; anything this big is not
 * a proc file we know. */
#define READ_MAX (64U << 20)

int pzd_write_file(const char *path, const char *value)
{
	size_t len = strlen(value);
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	do
		n = write(fd, value, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		err = -errno;
	else if ((size_t)n != len)
		err = -EIO;
	if (close(fd) && !err && errno != EINTR)
		err = -errno;
	return err;
}

int pzd_read_u64(const char *path, uint64_t *v)
{
	unsigned long x;
	char *text;
	size_t len;
	int r;

	r = pzd_read_file(path, &text);
	if (r)
		return r == -EINVAL ? -EBADMSG : r;
	len = strlen(text);
	if (len && text[len - 1] == '\n')
		text[--len] = '\0';
	r = pz_parse_uint(text, 0, ULONG_MAX, &x);
	free(text);
	if (r)
		return -EBADMSG;
	*v = x;
	return 0;
}

/*
 * Read a whole file into a NUL-terminated malloc'ed buffer. proc files have
 * no size and can be larger than one read() returns, so read until EOF,
 * growing the buffer.
 */
int pzd_read_file(const char *path, char **out)
{
	size_t size = 4096, len = 0;
	char *buf, *nbuf;
	ssize_t n;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	buf = malloc(size);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		if (size - len < 2) {
			if (size >= READ_MAX) {
				err = -EFBIG;
				goto fail;
			}
			nbuf = realloc(buf, size * 2);
			if (!nbuf) {
				err = -ENOMEM;
				goto fail;
			}
			buf = nbuf;
			size *= 2;
		}
		n = read(fd, buf + len, size - len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	if (strlen(buf) != len) {
		/* a NUL inside: not text */
		free(buf);
		return -EINVAL;
	}
	*out = buf;
	return 0;
fail:
	free(buf);
	close(fd);
	return err;
}

static const char *line_end(const char *p)
{
	const char *e = strchr(p, '\n');

	return e ? e : p + strlen(p);
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Unsigned decimal without sign or leading blanks; *end past it. */
static int parse_u64(const char *s, const char **end, uint64_t *v)
{
	char *e;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, &e, 10);
	if (errno)
		return -EINVAL;
	*end = e;
	return 0;
}

/*
 * One "cpuN f0 f1 ..." line, line pointing past "cpu", ending at eol.
 * Fields: user nice system idle iowait irq softirq steal guest guest_nice;
 * guest and guest_nice are already part of user and nice, and fields a
 * later kernel may add are not known to be time: both stay out of total.
 */
static int parse_cpu_line(const char *p, const char *eol, unsigned int *cpu,
			  struct pzd_cpu_times *t)
{
	uint64_t v, f[8] = { 0 };
	unsigned int i, n = 0;

	if (parse_u64(p, &p, &v) || v > UINT32_MAX || !is_blank(*p))
		return -EINVAL;
	*cpu = (unsigned int)v;
	for (;;) {
		while (p < eol && is_blank(*p))
			p++;
		if (p >= eol)
			break;
		if (parse_u64(p, &p, &v) || (p < eol && !is_blank(*p)))
			return -EINVAL;
		if (n < 8)
			f[n] = v;
		n++;
	}
	if (n < 4)
		return -EINVAL;
	t->valid = true;
	t->idle = f[3] + f[4];
	t->total = 0;
	for (i = 0; i < 8; i++)
		t->total += f[i];
	return 0;
}

int pzd_parse_proc_stat(const char *text, struct pzd_cpu_times *cpus,
			size_t max)
{
	struct pzd_cpu_times *tmp, t;
	const char *p, *eol;
	unsigned int cpu;
	int count = 0;

	/* Parse into a copy: bad text leaves cpus as it was. */
	tmp = calloc(max ? max : 1, sizeof(*tmp));
	if (!tmp)
		return -ENOMEM;
	for (p = text; *p; p = *eol ? eol + 1 : eol) {
		eol = line_end(p);
		if (strncmp(p, "cpu", 3))
			continue;	/* intr, ctxt, btime, ... */
		if (is_blank(p[3]))
			continue;	/* the aggregate "cpu  " line */
		memset(&t, 0, sizeof(t));
		if (parse_cpu_line(p + 3, eol, &cpu, &t))
			goto bad;
		if (cpu < max) {
			if (tmp[cpu].valid)
				goto bad;	/* the same CPU twice */
			tmp[cpu] = t;
		}
		if (count == INT32_MAX)
			goto bad;
		count++;
	}
	if (!count)
		goto bad;
	if (max)
		memcpy(cpus, tmp, max * sizeof(*tmp));
	free(tmp);
	return count;
bad:
	free(tmp);
	return -EINVAL;
}

int pzd_read_proc_stat(const char *path, struct pzd_cpu_times *cpus,
		       size_t max)
{
	char *text;
	int ret;

	ret = pzd_read_file(path, &text);
	if (ret)
		return ret;
	ret = pzd_parse_proc_stat(text, cpus, max);
	free(text);
	return ret;
}

double pzd_idle_pct(const struct pzd_cpu_times *prev,
		    const struct pzd_cpu_times *cur, const unsigned int *cpu,
		    size_t ncpu)
{
	return pzd_idle_pct_credit(prev, cur, cpu, ncpu, 0, 100);
}

double pzd_idle_pct_credit(const struct pzd_cpu_times *prev,
			   const struct pzd_cpu_times *cur,
			   const unsigned int *cpu, size_t ncpu,
			   uint64_t credit_ns, long ticks_per_s)
{
	double credit;
	uint64_t idle = 0, total = 0, di, dt;
	size_t i;

	for (i = 0; i < ncpu; i++) {
		const struct pzd_cpu_times *a = &prev[cpu[i]], *b = &cur[cpu[i]];

		if (!a->valid || !b->valid)
			continue;
		/*
		 * Backwards: the CPU went offline and came back (its counters
		 * restart), or iowait, which the kernel does not keep
		 * monotonic, dropped. Either way no usable interval.
		 */
		if (b->total < a->total || b->idle < a->idle)
			continue;
		dt = b->total - a->total;
		di = b->idle - a->idle;
		if (di > dt)
			di = dt;
		idle += di;
		total += dt;
	}
	if (!total)
		return -1;
	credit = ticks_per_s > 0 ?
		 (double)credit_ns * (double)ticks_per_s / 1e9 : 0;
	if ((double)idle + credit >= (double)total)
		return 100.0;
	return 100.0 * ((double)idle + credit) / (double)total;
}

/*
 * "avg10=1.23": the kernel prints "%lu.%02lu"; accept digits with an
 * optional fraction, nothing else (no sign, exponent, inf or nan).
 */
static int parse_avg(const char *p, const char *key, const char **end,
		     double *v)
{
	size_t klen = strlen(key);
	const char *s;
	char *e;

	if (strncmp(p, key, klen) || p[klen] != '=')
		return -EINVAL;
	s = p += klen + 1;
	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	while (isdigit((unsigned char)*p))
		p++;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		while (isdigit((unsigned char)*p))
			p++;
	}
	*v = strtod(s, &e);
	if (e != p || *v > 100.0)
		return -EINVAL;
	*end = p;
	return 0;
}

static const char *skip_blanks(const char *p)
{
	const char *s = p;

	while (is_blank(*p))
		p++;
	return p == s ? NULL : p;
}

int pzd_parse_psi(const char *text, struct pzd_psi *psi)
{
	struct pzd_psi r = { 0 };
	const char *p, *eol;

	for (p = text; *p; p = *eol ? eol + 1 : eol) {
		double avg10, avg60, avg300;
		uint64_t total;
		bool some;

		eol = line_end(p);
		if (eol == p)
			continue;	/* blank line */
		if (!strncmp(p, "some", 4))
			some = true;
		else if (!strncmp(p, "full", 4))
			some = false;
		else
			return -EINVAL;
		if ((some && r.has_some) || (!some && r.has_full))
			return -EINVAL;
		p += 4;
		if (!(p = skip_blanks(p)) ||
		    parse_avg(p, "avg10", &p, &avg10) ||
		    !(p = skip_blanks(p)) ||
		    parse_avg(p, "avg60", &p, &avg60) ||
		    !(p = skip_blanks(p)) ||
		    parse_avg(p, "avg300", &p, &avg300) ||
		    !(p = skip_blanks(p)) ||
		    strncmp(p, "total=", 6) ||
		    parse_u64(p + 6, &p, &total))
			return -EINVAL;
		while (is_blank(*p))
			p++;
		if (p != eol)
			return -EINVAL;
		if (some) {
			r.has_some = true;
			r.some_avg10 = avg10;
			r.some_avg60 = avg60;
			r.some_total_us = total;
		} else {
			r.has_full = true;
			r.full_avg10 = avg10;
			r.full_avg60 = avg60;
			r.full_total_us = total;
		}
	}
	/* Every PSI file has "some"; "full" alone is not one we know. */
	if (!r.has_some)
		return -EINVAL;
	*psi = r;
	return 0;
}

int pzd_read_psi(const char *path, struct pzd_psi *psi)
{
	char *text;
	int ret;

	ret = pzd_read_file(path, &text);
	if (ret)
		return ret;
	ret = pzd_parse_psi(text, psi);
	free(text);
	return ret;
}

int pzd_psi_trigger_open(const char *path, unsigned int stall_us,
			 unsigned int window_us)
{
	char trig[64];
	ssize_t n;
	size_t len;
	int fd;

	len = (size_t)snprintf(trig, sizeof(trig), "some %u %u", stall_us,
			       window_us);
	fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* With the NUL, as Documentation/accounting/psi.rst does. */
	n = write(fd, trig, len + 1);
	if (n < 0 || (size_t)n != len + 1) {
		int err = n < 0 ? -errno : -EIO;

		close(fd);
		return err;
	}
	return fd;
}

int pzd_parse_task_stat(const char *text, uint64_t *ticks)
{
	unsigned long long utime, stime;
	const char *p = strrchr(text, ')');

	/* "pid (comm) state ppid ... utime stime": comm may hold anything,
	 * so count fields from its closing parenthesis. utime is field 14,
	 * the 12th after the parenthesis. */
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
			 &utime, &stime) != 2)
		return -EINVAL;
	*ticks = utime + stime;
	return 0;
}

int pzd_read_task_cpu(pid_t pid, uint64_t *ticks)
{
	char path[64], *text;
	int ret;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	ret = pzd_read_file(path, &text);
	if (ret < 0)
		return ret;
	ret = pzd_parse_task_stat(text, ticks);
	free(text);
	return ret;
}

int pzd_find_kthreads(const char *prefix, pid_t *pid, size_t max)
{
	size_t plen = strlen(prefix);
	struct dirent *de;
	int found = 0;
	DIR *dir;

	for (size_t i = 0; i < max; i++)
		pid[i] = 0;
	dir = opendir("/proc");
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		char path[300], comm[64], *end;
		unsigned long n;
		long p;
		FILE *f;

		p = strtol(de->d_name, &end, 10);
		if (*end || p <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;	/* gone meanwhile */
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = 0;
		fclose(f);
		comm[strcspn(comm, "\n")] = 0;
		if (strncmp(comm, prefix, plen) || !isdigit((unsigned char)comm[plen]))
			continue;
		n = strtoul(comm + plen, &end, 10);
		if (*end || n >= max)
			continue;
		pid[n] = (pid_t)p;
		found++;
	}
	closedir(dir);
	return found;
}
