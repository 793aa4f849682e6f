/*
 * dryrun — the part of a --check (polus-apply --check, and polus-rollback --check) that
 * needs the threads: every thread of pid is held for a moment, as the switch would hold
 * them, to check that none is inside the sites the switch would write (ts_stop_idle's
 * rule and retries), then let go. Nothing is written to the process; what a hold
 * leaves is what any ptrace stop leaves (an interrupted system call is restarted,
 * ptrace_ctl). The checks that read only (builds, chain, placement, symbols, sites)
 * are the caller's, run before. Nothing prints.
 */
#ifndef POLUS_DRYRUN_H
#define POLUS_DRYRUN_H
#include "patch_site.h"
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct dr_result {
	size_t nthreads;   /* threads held */
	uint64_t pause_ns; /* the longest a thread was held */
};

/* 0, or the PX_* code the switch would give (3: a thread stays inside a site) with one
 * line in err. */
int dr_hold_check(pid_t pid, struct ps_site *sites, size_t nsites, int memfd, int timeout_ms,
		  struct dr_result *r, char *err, size_t errlen);

#endif
