/*
 * update_lock — one updater at a time per process (polus-apply, polus-rollback).
 *
 * The lock is the kernel's own exclusivity of ptrace: the updater PTRACE_SEIZEs one thread
 * of the target (without stopping it) for its whole operation. A second updater's seize
 * fails, whatever its user or mount namespace; /proc/PID/status TracerPid names the
 * holder; the kernel releases it when the holder dies. ptrace_ctl knows the held thread:
 * pt_stop_one/pt_stop_all interrupt it instead of seizing it again, and pt_release lets
 * it run still seized. While the updater is not waiting on it, a signal for that thread
 * waits in a signal-delivery stop until the updater's next stop of the threads or its
 * exit (both deliver it): hold the lock only for an operation, not longer.
 */
#ifndef POLUS_UPDATE_LOCK_H
#define POLUS_UPDATE_LOCK_H
#include <sys/types.h>

struct lk_lock {
	pid_t pid, tid; /* the process, and the thread held */
	int held;
};

/*
 * Takes the lock on process pid, retrying for up to wait_ms while another tracer holds
 * it. 0; -EBUSY with *holder = the other tracer's pid as this process sees it (0 if
 * unknown) and holder_comm its name ("" if unknown); -ESRCH; another negative errno.
 */
int lk_acquire(struct lk_lock *l, pid_t pid, int wait_ms, pid_t *holder, char *holder_comm,
	       size_t commlen);

/* Lets the held thread go (it is stopped, then detached). */
void lk_release(struct lk_lock *l);

#endif
