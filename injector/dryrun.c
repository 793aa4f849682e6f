/*
 * dryrun — hold every thread, check the sites, let go (see dryrun.h).
 */
#include "dryrun.h"
#include "ptrace_ctl.h"
#include "thread_scan.h"
#include <string.h>

int dr_hold_check(pid_t pid, struct ps_site *sites, size_t nsites, int memfd, int timeout_ms,
		  struct dr_result *r, char *err, size_t errlen)
{
	struct pt_group g;
	int held = 0;
	memset(&g, 0, sizeof(g));
	memset(r, 0, sizeof(*r));
	int rc = ts_stop_idle(pid, &g, sites, nsites, memfd, timeout_ms, &held, err, errlen);
	if (held) {
		r->nthreads = pt_nstopped(&g);
		pt_release(&g, &r->pause_ns);
	}
	return rc;
}
