/*
 * data_apply — sync, check and recover at the switch (see data_apply.h).
 */
#include "data_apply.h"
#include "exitcodes.h"
#include "patch_site.h"
#include "procfs.h"
#include "remote_syscall.h"
#include "polus_recover.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void seen(struct da_wait *st, size_t d, size_t w, pid_t tid)
{
	size_t i = 0;
	while (i < st->n && !(st->v[i].d == d && st->v[i].w == w && st->v[i].tid == tid))
		i++;
	if (i == st->n) {
		if (st->n == DA_SEEN_MAX)
			return;
		st->v[st->n].d = d;
		st->v[st->n].w = w;
		st->v[st->n].tid = tid;
		st->v[st->n++].seen = 0;
	}
	st->v[i].seen++;
}

int da_busy(const struct vf_patch *vf, uint64_t bias, const struct pt_group *g, int memfd,
	    struct da_wait *st)
{
	pid_t tids[8];
	int busy = 0;
	for (size_t i = 0; i < vf->ndata; i++) {
		const struct vf_data *d = &vf->data[i];
		for (size_t w = 0; d->variable && w < d->nwriters; w++) {
			uint64_t lo = bias + d->writers[w].old_addr;
			int n = ps_threads_in(g, memfd, lo, lo + d->writers[w].old_size, tids, 8);
			if (n < 0)
				return n;
			for (int k = 0; k < n; k++)
				seen(st, i, w, tids[k]);
			busy |= n > 0;
		}
	}
	return busy;
}

void da_busy_text(pid_t pid, const struct vf_patch *vf, const struct da_wait *st, char *what,
		  size_t len)
{
	size_t best = 0;
	char comm[32] = "?";
	for (size_t i = 1; i < st->n; i++)
		if (st->v[i].seen > st->v[best].seen)
			best = i;
	if (!st->n) {
		snprintf(what, len, "an old writer runs");
		return;
	}
	const struct vf_data *d = &vf->data[st->v[best].d];
	pf_status_field(pid, st->v[best].tid, "Name", comm, sizeof(comm));
	snprintf(what, len, "%s (old code, writes %s, whose type changed) runs in thread %d (%s)",
		 d->writers[st->v[best].w].name, d->variable, (int)st->v[best].tid, comm);
}

static void add_line(struct da_report *rep, char *line)
{
	char **v = realloc(rep->lines, (rep->n + 1) * sizeof(*v));
	if (!v || !line) {
		free(line);
		return;
	}
	rep->lines = v;
	rep->lines[rep->n++] = line;
}

static char *xfmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xfmt(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

/* Calls fn(arg) in rs's thread (crash-safe: remote_syscall.h). */
static int call(struct rs_ctx *rs, uint64_t fn, long arg, long *res, char *err, size_t errlen)
{
	long args[6] = {arg, 0, 0, 0, 0, 0};
	int rc = rs_fncall(rs, fn, args, res);
	if (rc)
		snprintf(err, errlen, "the call in thread %d failed: %s", (int)rs->t->tid,
			 strerror(-rc));
	return rc;
}

/* Calls a check or recover function with the message buffer at msg in the target (m's
 * copy): its result in *res, its message in m. */
static int call_msg(struct rs_ctx *rs, uint64_t fn, uint64_t msg, struct polus_msg *m, long *res,
		    char *err, size_t errlen)
{
	memset(m, 0, sizeof(*m));
	m->size = sizeof(*m);
	m->cap = sizeof(m->text);
	if (pf_mem_write(rs->memfd, msg, m, sizeof(*m)) != 0)
		return snprintf(err, errlen, "cannot write its message buffer"), -EIO;
	int rc = call(rs, fn, (long)msg, res, err, errlen);
	if (!rc && pf_mem_read(rs->memfd, msg, m, sizeof(*m)) != 0) {
		snprintf(err, errlen, "cannot read its message");
		rc = -EIO;
	}
	m->text[sizeof(m->text) - 1] = 0;
	return rc;
}

/* The check of d, and its recover while it reports taint: 0 sound, PX_NOTAPPLY. */
static int check_entry(const struct vf_data *d, uint64_t base, struct rs_ctx *rs, uint64_t msg,
		       const char *name, char **outcome, char *err, size_t errlen)
{
	struct polus_msg m;
	long res;
	char sub[256];
	if (!d->check) {
		*outcome = strdup("no check");
		return 0;
	}
	if (call_msg(rs, base + d->check_addr, msg, &m, &res, sub, sizeof(sub)))
		return snprintf(err, errlen, "%s: %s failed: %s", name, d->check, sub), PX_INTERNAL;
	if ((int)res == 0) {
		*outcome = strdup("check clean");
		return 0;
	}
	char first[sizeof(m.text)];
	snprintf(first, sizeof(first), "%s", m.text[0] ? m.text : "tainted");
	if (d->recover) {
		if (call_msg(rs, base + d->recover_addr, msg, &m, &res, sub, sizeof(sub)))
			return snprintf(err, errlen, "%s: %s failed: %s", name, d->recover, sub),
			       PX_INTERNAL;
		if (call_msg(rs, base + d->check_addr, msg, &m, &res, sub, sizeof(sub)))
			return snprintf(err, errlen, "%s: %s failed: %s", name, d->check, sub),
			       PX_INTERNAL;
		if ((int)res == 0) {
			*outcome = xfmt("check found taint (%s), recovered", first);
			return 0;
		}
	}
	snprintf(err, errlen,
		 "%s: the state is tainted%s: %s (update abandoned, the process is left as it "
		 "was)",
		 name, d->recover ? " and recovery did not repair it" : "",
		 m.text[0] ? m.text : first);
	return PX_NOTAPPLY;
}

int da_run(const struct vf_patch *vf, uint64_t base, struct rs_ctx *rs, struct da_report *rep,
	   char *err, size_t errlen)
{
	char sub[256];
	struct polus_msg m = {0};
	uint64_t msg = rs_scratch(rs, &m, sizeof(m)); /* one buffer for every check */
	if (!msg)
		return snprintf(err, errlen, "no room for the checks' messages"), PX_INTERNAL;
	for (size_t i = 0; i < vf->ndata; i++) {
		const struct vf_data *d = &vf->data[i];
		const char *name = d->variable ? d->variable : d->check;
		if (!d->variable && !strncmp(name, "polus_check_", 12))
			name += 12; /* the patch's own check NAME */
		char *outcome = NULL;
		long res;
		if (d->variable && call(rs, base + d->sync_old2new_addr, 0, &res, sub, sizeof(sub)))
			return snprintf(err, errlen, "%s: %s failed: %s", name, d->sync_old2new,
					sub),
			       PX_INTERNAL;
		int rc = check_entry(d, base, rs, msg, name, &outcome, err, errlen);
		if (rc)
			return rc;
		if (d->variable)
			add_line(rep,
				 xfmt("%s: synced old -> new (%s, %llu -> %llu bytes); %s", name,
				      d->new_type ? d->new_type : "?",
				      (unsigned long long)d->old_size,
				      (unsigned long long)d->new_size, outcome ? outcome : "?"));
		else
			add_line(rep, xfmt("%s: %s", name, outcome ? outcome : "?"));
		free(outcome);
	}
	return 0;
}

void da_report_free(struct da_report *rep)
{
	for (size_t i = 0; i < rep->n; i++)
		free(rep->lines[i]);
	free(rep->lines);
	memset(rep, 0, sizeof(*rep));
}
