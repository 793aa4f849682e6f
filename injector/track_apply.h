/*
 * track_apply — write tracking of old code, armed by polus-apply (docs/coexistence.md).
 *
 * When an old function that writes a variable whose type changed is active at the switch
 * (da_busy), polus-apply need not wait for it to return: with every thread stopped,
 *   ta_find    finds each active old-writer frame and the slot of its return address
 *              (the frame's CFA - 8): each thread unwound through the .eh_frame of the
 *              files mapped (track_unwind, track_cfi), or, where that stops short, the
 *              return addresses into the writer on its stack;
 *   ta_check_masks  refuses (unsafe now) a thread that blocks SIGSEGV;
 *   ta_arm     writes the runtime's carry entry into each variable's carry slot of the
 *              patch and calls polus_rt_track_arm in the hijacked thread (rs_fncall):
 *              the store table in the patch image, each old copy with its tracked sync and
 *              coexistence flag, the frames, libc's sigaction entry;
 * then the syncs and the commit, and ta_start (writers go on, each old write completed and
 * synced by the runtime). ta_end takes an armed tracking back when the update fails before
 * its commit. After the threads are released, ta_wait follows the runtime's state through
 * /proc/PID/mem (track_state) until the last old-writer frame returned.
 * Functions return 0 or a PX_* code with one line in err; nothing prints.
 */
#ifndef POLUS_TRACK_APPLY_H
#define POLUS_TRACK_APPLY_H
#include "ptrace_ctl.h"
#include "remote_syscall.h"
#include "runtime_io.h"
#include "track_state.h"
#include "versionfile.h"
#include <signal.h>

struct ta_frame {
	uint64_t slot, pc; /* return-address slot; where it runs (run-time) */
	pid_t tid;
	const char *fn, *var; /* the old writer and the variable (the version file's) */
};

struct ta_ctx {
	pid_t pid;
	struct ta_frame *f;
	size_t n, cap;
	int exact; /* ta_find unwound every thread: t->n is exactly the active writers */
	int armed, started, ended; /* ended: ta_wait saw coexistence end */
	uint64_t stores;	   /* old writes tracked, when it ended */
	struct tst_runtime rtx;	   /* the runtime's exports */
	char *err;
	size_t errlen;
};

void ta_init(struct ta_ctx *t, pid_t pid, char *err, size_t errlen);
void ta_free(struct ta_ctx *t);

/* 1 when vf can be tracked: its store table, and every variable's tracked sync, new2old
 * into a buffer, coexistence flag and carry slot. */
int ta_possible(const struct vf_patch *vf);

/*
 * The active old-writer frames of the tracked variables in g (all stopped), into t->f:
 * each thread unwound from its registers through the .eh_frame of the files mapped
 * (track_unwind, maps); where that stops short, the return addresses into a writer on its
 * stack placed by the writer's CFA rule. 0 (t->n may be 0: none could be placed, the
 * caller waits as before; with t->exact, no writer is active at all) or a PX_* code.
 */
int ta_find(struct ta_ctx *t, const struct vf_patch *vf, uint64_t bias, const char *exe_path,
	    const struct pf_maps *maps, const struct pt_group *g, int memfd);

/* PX_UNSAFE naming a thread of g that blocks SIGSEGV while old writers run, else 0. */
int ta_check_masks(struct ta_ctx *t, const struct pt_group *g);

/* Arms tracking in rs's thread (all others stopped). patch_base: the patch image;
 * libc_sigaction: libc's sigaction entry in the target (0: not redirected). */
int ta_arm(struct ta_ctx *t, struct rs_ctx *rs, const struct rt_ctx *rt, const struct vf_patch *vf,
	   uint64_t bias, uint64_t patch_base, uint64_t libc_sigaction);
/* Tells the armed runtime the registry byte that publishes the patch, before the commit:
 * if polus-apply dies between arm and start, a writer that finds no tracer left starts
 * tracking when the patch was committed, and takes the arming back when not (rt_track.h). */
int ta_publish(struct ta_ctx *t, int memfd, uint64_t publish, uint8_t byte);
int ta_start(struct ta_ctx *t, struct rs_ctx *rs, const struct rt_ctx *rt);
/* Takes an armed tracking back (frames' return addresses put back, protection lifted). */
int ta_end(struct ta_ctx *t, struct rs_ctx *rs, const struct rt_ctx *rt);

/* "tracking old writes of stats: hold in thread 42 (prog)" into buf. */
void ta_text(const struct ta_ctx *t, char *buf, size_t len);

/* Waits until coexistence ended, calling say() with a progress line when the frames left
 * change and every few seconds; or until *stop is set (a signal: the coexistence goes on,
 * say() tells). memfd: /proc/PID/mem. 0, or PX_INTERNAL when the process went away first. */
int ta_wait(struct ta_ctx *t, int memfd, volatile sig_atomic_t *stop, void (*say)(const char *));

#endif
