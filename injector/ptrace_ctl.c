/*
 * ptrace_ctl — stop and release all threads of a target (see ptrace_ctl.h).
 *
 * Waiting uses waitpid(-1, __WALL) (the injector has no children of its own), bounded by
 * a timer whose signal handler has no SA_RESTART, so a thread stuck in an uninterruptible
 * sleep turns into -ETIMEDOUT rather than a hang.
 */
#include "ptrace_ctl.h"
#include "procfs.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* remote_syscall tells system call stops from signals by SIGTRAP | 0x80 */
#define SEIZE_OPTS PTRACE_O_TRACESYSGOOD

/* The thread update_lock holds seized for the whole operation (0: none). */
static pid_t held_tid;

void pt_set_held(pid_t tid)
{
	held_tid = tid;
}

uint64_t pt_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static struct pt_thread *find(struct pt_group *g, pid_t tid)
{
	for (size_t i = 0; i < g->n; i++)
		if (g->v[i].tid == tid)
			return &g->v[i];
	return NULL;
}

static struct pt_thread *add(struct pt_group *g, pid_t tid)
{
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 32;
		struct pt_thread *nv = realloc(g->v, cap * sizeof(*nv));
		if (!nv)
			return NULL;
		g->v = nv;
		g->cap = cap;
	}
	struct pt_thread *t = &g->v[g->n++];
	memset(t, 0, sizeof(*t));
	t->tid = tid;
	t->state = PT_SEIZED;
	return t;
}

void pt_keep_signal(struct pt_thread *t, int sig)
{
	for (int i = 0; i < t->nsignals; i++)
		if (t->signals[i] == sig) /* standard signals do not queue anyway */
			return;
	if (t->nsignals < (int)(sizeof(t->signals) / sizeof(t->signals[0])))
		t->signals[t->nsignals++] = sig;
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* Arms a one-shot timer that interrupts a blocking waitpid. */
static void arm_timer(int ms)
{
	struct sigaction sa;
	struct itimerval it;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm; /* no SA_RESTART: waitpid returns EINTR */
	sigaction(SIGALRM, &sa, NULL);
	memset(&it, 0, sizeof(it));
	it.it_value.tv_sec = ms / 1000;
	it.it_value.tv_usec = (ms % 1000) * 1000;
	setitimer(ITIMER_REAL, &it, NULL);
}

static void disarm_timer(void)
{
	struct itimerval it;
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
}

/* Records one wait status for `t`. Returns 1 if a new thread was reported. */
static int handle_status(struct pt_group *g, struct pt_thread *t, int st)
{
	if (WIFEXITED(st) || WIFSIGNALED(st)) {
		t->state = PT_GONE;
		return 0;
	}
	if (!WIFSTOPPED(st))
		return 0;
	int event = st >> 16, sig = WSTOPSIG(st);
	t->state = PT_STOPPED;
	t->t_seen_ns = pt_now_ns();
	t->event = event;
	if (event == 0 && sig != 0)
		pt_keep_signal(t, sig); /* a signal-delivery stop: the signal is now ours */
	if (ptrace(PTRACE_GETREGS, t->tid, 0, &t->regs) != 0)
		memset(&t->regs, 0, sizeof(t->regs));
	if (event == PTRACE_EVENT_CLONE) {
		unsigned long msg = 0;
		if (ptrace(PTRACE_GETEVENTMSG, t->tid, 0, &msg) == 0 && msg &&
		    !find(g, (pid_t)msg)) {
			struct pt_thread *nt = add(g, (pid_t)msg);
			if (nt)
				nt->t_stop_ns = pt_now_ns();
			return 1;
		}
	}
	return 0;
}

/* Waits until no thread is in PT_SEIZED. */
static int wait_stopped(struct pt_group *g, int timeout_ms)
{
	int rc = 0;
	arm_timer(timeout_ms);
	for (;;) {
		size_t pending = 0;
		for (size_t i = 0; i < g->n; i++)
			pending += g->v[i].state == PT_SEIZED;
		if (!pending)
			break;
		int st;
		pid_t w = waitpid(-1, &st, __WALL);
		if (w < 0) {
			rc = errno == EINTR ? -ETIMEDOUT : -errno;
			break;
		}
		struct pt_thread *t = find(g, w);
		if (!t) {
			/* a clone child reporting before its parent's clone event */
			if (!(t = add(g, w))) {
				rc = -ENOMEM;
				break;
			}
			t->t_stop_ns = pt_now_ns();
		}
		handle_status(g, t, st);
	}
	disarm_timer();
	return rc;
}

static int tracer_is_me(pid_t pid, pid_t tid)
{
	char buf[32];
	return pf_status_field(pid, tid, "TracerPid", buf, sizeof(buf)) == 0 &&
	       atoi(buf) == getpid();
}

int pt_stop_all(pid_t pid, struct pt_group *g, int timeout_ms, char *err, size_t errlen)
{
	int rc = 0;
	memset(g, 0, sizeof(*g));
	g->pid = pid;
	for (;;) {
		pid_t *tids = NULL;
		int n = pf_tasks(pid, &tids), fresh = 0;
		if (n < 0) {
			snprintf(err, errlen, "process %d: cannot list threads: %s", (int)pid,
				 strerror(-n));
			rc = n == -ENOENT ? -ESRCH : n;
			goto fail;
		}
		for (int i = 0; i < n; i++) {
			struct pt_thread *t;
			if (find(g, tids[i]))
				continue;
			if (ptrace(PTRACE_SEIZE, tids[i], 0, SEIZE_OPTS | PTRACE_O_TRACECLONE) !=
			    0) {
				int e = errno;
				if (e == ESRCH)
					continue; /* exited since the listing */
				if (e == EPERM && tracer_is_me(pid, tids[i])) {
					/* attached with its parent's clone (its stop is coming), or
					 * the thread the update lock holds (it must be stopped) */
					if (!(t = add(g, tids[i])))
						goto oom;
					t->t_stop_ns = pt_now_ns();
					fresh = 1;
					if (tids[i] == held_tid)
						ptrace(PTRACE_INTERRUPT, tids[i], 0, 0);
					continue;
				}
				char tp[32] = "0";
				pf_status_field(pid, tids[i], "TracerPid", tp, sizeof(tp));
				if (e == EPERM && atoi(tp) != 0) {
					snprintf(err, errlen,
						 "process %d is already traced by process %s (a "
						 "debugger?)",
						 (int)pid, tp);
					rc = -EBUSY;
				} else {
					snprintf(err, errlen, "cannot attach to thread %d: %s",
						 (int)tids[i], strerror(e));
					rc = -e;
				}
				free(tids);
				goto fail;
			}
			if (!(t = add(g, tids[i]))) {
				free(tids);
				goto oom;
			}
			t->t_stop_ns = pt_now_ns();
			fresh = 1;
			if (ptrace(PTRACE_INTERRUPT, tids[i], 0, 0) != 0 && errno != ESRCH) {
				snprintf(err, errlen, "cannot interrupt thread %d: %m",
					 (int)tids[i]);
				rc = -errno;
				free(tids);
				goto fail;
			}
		}
		free(tids);
		if ((rc = wait_stopped(g, timeout_ms)) != 0) {
			snprintf(err, errlen, "%s while stopping the threads of process %d",
				 rc == -ETIMEDOUT ? "timed out" : strerror(-rc), (int)pid);
			goto fail;
		}
		if (!fresh)
			break;
		g->rescans++;
	}
	if (pt_nstopped(g) == 0) {
		snprintf(err, errlen, "process %d exited", (int)pid);
		rc = -ESRCH;
		goto fail;
	}
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
	rc = -ENOMEM;
fail:
	pt_release(g, NULL);
	return rc;
}

int pt_stop_one(pid_t pid, pid_t tid, struct pt_group *g, int timeout_ms, char *err, size_t errlen)
{
	struct pt_thread *t;
	int rc;
	memset(g, 0, sizeof(*g));
	g->pid = pid;
	if (!(t = add(g, tid))) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (tid != held_tid && ptrace(PTRACE_SEIZE, tid, 0, SEIZE_OPTS) != 0) {
		int e = errno;
		char tp[32] = "0";
		pf_status_field(pid, tid, "TracerPid", tp, sizeof(tp));
		g->n = 0;
		if (e == EPERM && atoi(tp) != 0) {
			snprintf(err, errlen,
				 "process %d is already traced by process %s (a debugger?)",
				 (int)pid, tp);
			rc = -EBUSY;
		} else {
			snprintf(err, errlen, "cannot attach to thread %d: %s", (int)tid,
				 strerror(e));
			rc = e == ESRCH ? -ESRCH : -e;
		}
		pt_release(g, NULL);
		return rc;
	}
	t->t_stop_ns = pt_now_ns();
	if (ptrace(PTRACE_INTERRUPT, tid, 0, 0) != 0 && errno != ESRCH) {
		snprintf(err, errlen, "cannot interrupt thread %d: %m", (int)tid);
		rc = -errno;
		pt_release(g, NULL);
		return rc;
	}
	if ((rc = wait_stopped(g, timeout_ms)) != 0 || t->state != PT_STOPPED) {
		snprintf(err, errlen, "%s while stopping thread %d of process %d",
			 rc == -ETIMEDOUT ? "timed out"
			 : rc		  ? strerror(-rc)
					  : "it exited",
			 (int)tid, (int)pid);
		pt_release(g, NULL);
		return rc ? rc : -ESRCH;
	}
	return 0;
}

size_t pt_nstopped(const struct pt_group *g)
{
	size_t n = 0;
	for (size_t i = 0; i < g->n; i++)
		n += g->v[i].state == PT_STOPPED;
	return n;
}

struct pt_thread *pt_pick(struct pt_group *g)
{
	struct pt_thread *any = NULL;
	for (size_t i = 0; i < g->n; i++) {
		struct pt_thread *t = &g->v[i];
		if (t->state != PT_STOPPED)
			continue;
		if (t->event == PTRACE_EVENT_STOP && t->nsignals == 0)
			return t;
		if (!any)
			any = t;
	}
	return any;
}

/*
 * A thread we interrupted inside a call that the interrupt made fail with EINTR (one the
 * kernel does not restart itself: epoll_wait, sigtimedwait, timed socket calls) is made
 * to issue the call again.
 */
static void rewind_eintr(struct pt_thread *t)
{
	struct user_regs_struct r;
	if (t->event != PTRACE_EVENT_STOP || t->nsignals)
		return;
	if (ptrace(PTRACE_GETREGS, t->tid, 0, &r) != 0)
		return;
	if ((long long)r.orig_rax < 0 || (long long)r.rax != -EINTR)
		return;
	r.rax = r.orig_rax;
	r.rip -= 2;
	ptrace(PTRACE_SETREGS, t->tid, 0, &r);
}

/* Lets t go with its signals: sig (the first) as the detach's. */
static void detach(struct pt_group *g, struct pt_thread *t, int sig)
{
	/* a PTRACE_EVENT_STOP (a thread remote_syscall used) drops a detach signal: send
	 * them all again, to the same thread, pending until it runs untraced */
	int first = t->event == PTRACE_EVENT_STOP ? 0 : 1;
	for (int k = first ? t->nsignals : 0; k < t->nsignals; k++)
		syscall(SYS_tgkill, g->pid, t->tid, t->signals[k]);
	ptrace(PTRACE_DETACH, t->tid, 0, (void *)(long)(first ? sig : 0));
	t->t_resume_ns = pt_now_ns();
	/* more than one signal: the others are sent again, to the same thread */
	for (int k = 1; first && k < t->nsignals; k++)
		syscall(SYS_tgkill, g->pid, t->tid, t->signals[k]);
}

/* The held thread resumes still seized; its signals are given back. */
static void release_held(struct pt_group *g, struct pt_thread *t)
{
	int sig = t->event == 0 && t->nsignals ? t->signals[0] : 0;
	for (int k = sig ? 1 : 0; k < t->nsignals; k++)
		syscall(SYS_tgkill, g->pid, t->tid, t->signals[k]);
	ptrace(PTRACE_CONT, t->tid, 0, (void *)(long)sig);
	t->t_resume_ns = pt_now_ns();
}

void pt_release(struct pt_group *g, uint64_t *max_pause_ns)
{
	uint64_t maxp = 0;
	/* Threads seized but not yet stopped must stop before they can be detached. */
	for (size_t i = 0; i < g->n; i++)
		if (g->v[i].state == PT_SEIZED) {
			wait_stopped(g, 2000);
			break;
		}
	for (size_t i = 0; i < g->n; i++) {
		struct pt_thread *t = &g->v[i];
		int sig = t->nsignals ? t->signals[0] : 0;
		if (t->state != PT_STOPPED)
			continue;
		rewind_eintr(t);
		if (t->tid == held_tid) /* the lock: it runs on, still ours */
			release_held(g, t);
		else
			detach(g, t, sig);
		if (t->t_resume_ns - t->t_stop_ns > maxp)
			maxp = t->t_resume_ns - t->t_stop_ns;
	}
	if (max_pause_ns)
		*max_pause_ns = maxp;
	free(g->v);
	g->v = NULL;
	g->n = g->cap = 0;
}
