/*
 * thread_scan — where the target's threads are, with all of them stopped.
 *
 * ts_stop_idle stops every thread (ptrace_ctl.h) at a moment none is inside a patch
 * site: the sites are decoded again under the stop (another apply may have written
 * there since the first look, and the bytes kept must be the current ones), then
 * checked against every thread's rip and stack (patch_site.h ps_busy); while one is
 * inside, all are let go and it retries after 2, 4, 8, 16, 32 ms. ts_find_running finds,
 * for each version-file warning "NAME: ... never return(s): running threads keep the old
 * code there" whose NAME has an old range, the threads that run it (the same
 * conservative scan over the whole old function); ts_warning_text is the warning as
 * printed, with those threads named. Nothing prints.
 */
#ifndef POLUS_THREAD_SCAN_H
#define POLUS_THREAD_SCAN_H
#include "patch_site.h"
#include "versionfile.h"

#define TS_TRIES 6
#define TS_WARN_MAX_TIDS 64

/*
 * 0 with every thread of pid held in g and no thread inside a site, or a PX_* code with
 * one line in err; *held says whether g holds the threads then (pt_release them).
 */
int ts_stop_idle(pid_t pid, struct pt_group *g, struct ps_site *sites, size_t nsites, int memfd,
		 int timeout_ms, int *held, char *err, size_t errlen);

/*
 * The same with another check of the sites under each stop instead of ps_prepare's
 * (polus-rollback: each site still holds the jump it is to take out): recheck returns 0
 * or a PX_* code with one line in err.
 */
typedef int (*ts_recheck_fn)(void *ctx, struct ps_site *sites, size_t nsites, int memfd, char *err,
			     size_t errlen);
int ts_stop_clear(pid_t pid, struct pt_group *g, struct ps_site *sites, size_t nsites, int memfd,
		  int timeout_ms, ts_recheck_fn recheck, void *ctx, int *held, char *err,
		  size_t errlen);

/* The threads found running a function that a warning says never returns. */
struct ts_warn {
	int scanned;
	size_t prefix; /* length of the warning before ": running threads keep..." */
	pid_t tids[TS_WARN_MAX_TIDS];
	int ntids;
};

/* One per warning of vf (malloc'd; NULL if none or out of memory: warnings kept as is). */
struct ts_warn *ts_find_running(const struct vf_patch *vf, uint64_t bias, const struct pt_group *g,
				int memfd);

/* Warning i as printed: with the threads that keep running the old code, if known. */
void ts_warning_text(pid_t pid, const struct vf_patch *vf, const struct ts_warn *wr, size_t i,
		     char *buf, size_t len);

#endif
