/*
 * session — what every polus tool that changes a live process does around the change:
 * the checks of the process before anything is touched (it exists, may be traced, is
 * dynamically linked, no debugger holds it), the real-time priority taken while threads
 * of the target are held, and the termination signals held off while the process is
 * being changed (a Ctrl-C then would leave threads without their EINTR fix-up, or a
 * half-made switch), one updater at a time (update_lock.h), and the thread chosen to
 * run the injected calls. Shared by polus-apply and polus-rollback. Nothing prints.
 */
#ifndef POLUS_SESSION_H
#define POLUS_SESSION_H
#include "ptrace_ctl.h"
#include "target.h"
#include "update_lock.h"

/*
 * Takes the update lock of process pid (update_lock.h), waiting up to wait_ms for another
 * updater: 0, or PX_UNSAFE naming the other updater (or the debugger) in err. Other
 * failures are left to ss_check_process and the stops, which say why.
 */
int ss_take_lock(struct lk_lock *l, pid_t pid, int wait_ms, char *err, size_t errlen);

/*
 * The stopped thread of g to run injected calls in: one stopped by us (not by a
 * signal), with no signal pending for it, outside seccomp filter mode if there is one.
 * NULL if none is stopped.
 */
struct pt_thread *ss_pick_worker(pid_t pid, struct pt_group *g);

/*
 * Opens the process (tg_open; *have_tg set once t must be tg_closed) and checks it.
 * 0 or a PX_* code with one line in err.
 */
int ss_check_process(pid_t pid, struct tg_info *t, int *have_tg, char *err, size_t errlen);

/*
 * While it holds threads of the target, the tool runs as a real-time task if it may:
 * every thread it lets go would otherwise preempt it (2 cores, busy workers) and the
 * threads still held would wait for that. Best effort; ss_rt_leave restores the policy.
 */
void ss_rt_enter(void);
void ss_rt_leave(void);

/* SIGINT, SIGTERM, SIGHUP, SIGQUIT and SIGPIPE wait until the tool exits. */
void ss_hold_signals(void);

#endif
