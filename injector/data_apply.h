/*
 * data_apply — variables in coexistence at the switch: the path where no old writer runs.
 *
 * With every thread of the target stopped (thread_scan) and the patch loaded:
 * da_busy finds an old function that writes a variable whose type changed (the version
 * file's `data` writers) running on some thread (rip in it or a return address into it:
 * the conservative stack scan of patch_site); while one does, polus-apply lets the
 * threads go and tries again, and refuses (unsafe now) at its deadline, unless write
 * tracking takes over (track_apply.h). da_run then, in one stopped thread (rs_fncall,
 * crash-safe), for each data entry: the sync old -> new, the check,
 * and if the check reports taint the recover and the check again. A check still failing
 * is the end of the update: PX_NOTAPPLY with its message; the syncs only wrote the
 * patch's own new copies, so dropping the patch leaves the process as it was.
 * Nothing prints; each result is one line in err or in the report.
 */
#ifndef POLUS_DATA_APPLY_H
#define POLUS_DATA_APPLY_H
#include "ptrace_ctl.h"
#include "remote_syscall.h"
#include "versionfile.h"
#include <stddef.h>
#include <stdint.h>

#define DA_WAIT_MS 3000 /* how long polus-apply waits for old writers to return */

/* The old writers seen running so far, and in how many of the stops. */
#define DA_SEEN_MAX 32
struct da_wait {
	struct {
		size_t d, w; /* vf->data[d].writers[w] */
		pid_t tid;
		unsigned seen;
	} v[DA_SEEN_MAX];
	size_t n;
};

/* 1 when an old writer runs on a thread of g (noted in st), 0, or -ENOMEM. */
int da_busy(const struct vf_patch *vf, uint64_t bias, const struct pt_group *g, int memfd,
	    struct da_wait *st);
/* "FUNC (old code, writes VAR, whose type changed) runs in thread TID (COMM)": the writer
 * seen in the most stops (a function that does not return, not one that passed by). */
void da_busy_text(pid_t pid, const struct vf_patch *vf, const struct da_wait *st, char *what,
		  size_t len);

/* What da_run did, per data entry, for polus-apply and polus-status to report. */
struct da_report {
	char **lines; /* "stats: synced (struct stats, 16 -> 24 bytes); check clean" */
	size_t n;
};

/* Runs the syncs and checks of vf (image at base) in rs's thread (the runtime's trampoline
 * set: rs_fncall). 0, or a PX_* code with one line in err. */
int da_run(const struct vf_patch *vf, uint64_t base, struct rs_ctx *rs, struct da_report *rep,
	   char *err, size_t errlen);
void da_report_free(struct da_report *rep);

#endif
