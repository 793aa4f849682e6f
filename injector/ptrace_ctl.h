/*
 * ptrace_ctl — stop every thread of a process and let them all go again.
 *
 * pt_stop_all seizes each task of /proc/PID/task (PTRACE_SEIZE with PTRACE_O_TRACECLONE,
 * then PTRACE_INTERRUPT), waits until each is in a ptrace stop, and rescans until no new
 * task appears; threads that exit meanwhile are dropped, and a signal that arrives is
 * remembered and given back at detach. pt_release undoes it: for each thread stopped by
 * our interrupt inside a system call that then failed with EINTR, it rewinds the call
 * (rax = orig_rax, rip -= 2) so the program never sees the EINTR, and detaches. Each
 * thread's pause (interrupt requested .. detached) is measured.
 */
#ifndef POLUS_PTRACE_CTL_H
#define POLUS_PTRACE_CTL_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

enum pt_state { PT_SEIZED, PT_STOPPED, PT_GONE };

struct pt_thread {
	pid_t tid;
	enum pt_state state;
	int event;	/* PTRACE_EVENT_* of the stop we hold it in, 0 for a signal stop */
	int signals[4]; /* signals that arrived while we held it, to give back */
	int nsignals;
	uint64_t t_stop_ns, t_resume_ns; /* CLOCK_MONOTONIC: stop requested, let go */
	uint64_t t_seen_ns;		 /* its stop reported */
	struct user_regs_struct regs;	 /* as it stopped */
};

struct pt_group {
	pid_t pid;
	struct pt_thread *v;
	size_t n, cap;
	size_t rescans;
};

/*
 * Stops every thread of `pid` (timeout_ms for each round). Returns 0, or a negative errno
 * with a message in err: -EBUSY (a task is traced by someone else), -ESRCH (the process
 * is gone), -ETIMEDOUT (a thread did not stop). On error nothing stays attached.
 */
int pt_stop_all(pid_t pid, struct pt_group *g, int timeout_ms, char *err, size_t errlen);

/*
 * Stops only thread `tid` of `pid` (no clone tracing): enough to make it issue system
 * calls while the others run. Same errors as pt_stop_all.
 */
int pt_stop_one(pid_t pid, pid_t tid, struct pt_group *g, int timeout_ms, char *err, size_t errlen);

/* Number of threads held stopped. */
size_t pt_nstopped(const struct pt_group *g);

/* A stopped thread, preferably one held in a plain interrupt stop (NULL if none). */
struct pt_thread *pt_pick(struct pt_group *g);

/* Remembers a signal that `t` received while held, to give back on release. */
void pt_keep_signal(struct pt_thread *t, int sig);

/*
 * Lets every thread go (see above) and frees the group. *max_pause_ns gets the longest
 * time any thread was held (may be NULL).
 */
void pt_release(struct pt_group *g, uint64_t *max_pause_ns);

uint64_t pt_now_ns(void);

/*
 * Thread tid is held seized by update_lock (0: none): pt_stop_one/pt_stop_all interrupt
 * it without seizing it again, pt_release lets it run without detaching it.
 */
void pt_set_held(pid_t tid);

#endif
