/*
 * thread_scan — stopping the threads outside the patch sites, and the threads that run
 * never-returning functions (see thread_scan.h).
 */
#include "thread_scan.h"
#include "exitcodes.h"
#include "procfs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define KEEPS_OLD ": running threads keep the old code there"

/* One stop of all threads: 0 (none in a site), 1 (one is: released), or a PX_* code. */
static int stop_once(pid_t pid, struct pt_group *g, struct ps_site *sites, size_t nsites, int memfd,
		     int timeout_ms, ts_recheck_fn recheck, void *ctx, int *held, char *busy,
		     size_t busylen, char *err, size_t errlen)
{
	int rc = pt_stop_all(pid, g, timeout_ms, err, errlen);
	if (rc == -EBUSY || rc == -ETIMEDOUT)
		return PX_UNSAFE;
	if (rc == -ESRCH)
		return PX_INPUT;
	if (rc)
		return PX_INTERNAL;
	*held = 1;
	if ((rc = recheck(ctx, sites, nsites, memfd, err, errlen)))
		return rc;
	rc = ps_busy(sites, nsites, g, memfd, busy, busylen);
	if (rc == 0)
		return 0;
	pt_release(g, NULL);
	*held = 0;
	if (rc < 0) {
		snprintf(err, errlen, "out of memory");
		return PX_INTERNAL;
	}
	return 1;
}

int ts_stop_clear(pid_t pid, struct pt_group *g, struct ps_site *sites, size_t nsites, int memfd,
		  int timeout_ms, ts_recheck_fn recheck, void *ctx, int *held, char *err,
		  size_t errlen)
{
	char busy[512] = "";
	*held = 0;
	for (int attempt = 0; attempt < TS_TRIES; attempt++) {
		int rc = stop_once(pid, g, sites, nsites, memfd, timeout_ms, recheck, ctx, held,
				   busy, sizeof(busy), err, errlen);
		if (rc != 1)
			return rc;
		/* let the thread leave the site: 2, 4, 8, 16, 32 ms */
		struct timespec ts = {0, 2000000L << attempt};
		nanosleep(&ts, NULL);
	}
	snprintf(err, errlen, "unsafe to patch now: %s (tried %d times)", busy, TS_TRIES);
	return PX_UNSAFE;
}

/* The sites decoded again under the stop: the bytes kept must be the current ones. */
static int prepare_again(void *ctx, struct ps_site *sites, size_t nsites, int memfd, char *err,
			 size_t errlen)
{
	(void)ctx;
	for (size_t i = 0; i < nsites; i++) {
		int rc = ps_prepare(memfd, &sites[i], err, errlen);
		if (rc)
			return rc == -EINVAL || rc == -EIO ? PX_NOTAPPLY : PX_INTERNAL;
	}
	return 0;
}

int ts_stop_idle(pid_t pid, struct pt_group *g, struct ps_site *sites, size_t nsites, int memfd,
		 int timeout_ms, int *held, char *err, size_t errlen)
{
	return ts_stop_clear(pid, g, sites, nsites, memfd, timeout_ms, prepare_again, NULL, held,
			     err, errlen);
}

/* The function of vf named by warning w ("NAME: ..."), if w is about one that never returns. */
static const struct vf_function *never_returning(const struct vf_patch *vf, const char *w)
{
	const char *colon = strchr(w, ':');
	size_t wl = strlen(w), kl = strlen(KEEPS_OLD);
	if (!colon || !strstr(w, "never return") || wl < kl || strcmp(w + wl - kl, KEEPS_OLD) != 0)
		return NULL;
	for (size_t k = 0; k < vf->nfunctions; k++) {
		const struct vf_function *f = &vf->functions[k];
		if (f->name && strlen(f->name) == (size_t)(colon - w) &&
		    strncmp(f->name, w, (size_t)(colon - w)) == 0 && f->old_addr && f->old_size &&
		    !f->old_in) /* the copy in OLD: old_addr is from the base's bias */
			return f;
	}
	return NULL;
}

struct ts_warn *ts_find_running(const struct vf_patch *vf, uint64_t bias, const struct pt_group *g,
				int memfd)
{
	struct ts_warn *wr;
	if (!vf->nwarnings || !(wr = calloc(vf->nwarnings, sizeof(*wr))))
		return NULL;
	for (size_t i = 0; i < vf->nwarnings; i++) {
		const struct vf_function *f = never_returning(vf, vf->warnings[i]);
		if (!f)
			continue;
		uint64_t lo = bias + f->old_addr;
		int n = ps_threads_in(g, memfd, lo, lo + f->old_size, wr[i].tids, TS_WARN_MAX_TIDS);
		if (n >= 0) {
			wr[i].scanned = 1;
			wr[i].ntids = n;
			wr[i].prefix = strlen(vf->warnings[i]) - strlen(KEEPS_OLD);
		}
	}
	return wr;
}

void ts_warning_text(pid_t pid, const struct vf_patch *vf, const struct ts_warn *wr, size_t i,
		     char *buf, size_t len)
{
	const char *w = vf->warnings[i];
	const struct ts_warn *r = wr ? &wr[i] : NULL;
	size_t o;
	if (!r || !r->scanned) {
		snprintf(buf, len, "%s", w);
		return;
	}
	o = (size_t)snprintf(buf, len, "%.*s: ", (int)r->prefix, w);
	if (o >= len)
		return;
	if (!r->ntids)
		snprintf(buf + o, len - o, "no thread runs it now");
	for (int k = 0; k < r->ntids && o < len; k++) {
		char comm[32] = "?";
		pf_status_field(pid, r->tids[k], "Name", comm, sizeof(comm));
		o += (size_t)snprintf(buf + o, len - o, "%s%d (%s)",
				      k		      ? ", "
				      : r->ntids == 1 ? "thread "
						      : "threads ",
				      (int)r->tids[k], comm);
	}
	if (r->ntids && o < len)
		snprintf(buf + o, len - o, " %s",
			 r->ntids == 1 ? "runs it and keeps the old code"
				       : "run it and keep the old code");
}
