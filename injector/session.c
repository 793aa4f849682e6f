/*
 * session — the checks and settings around a change of a live process (see session.h).
 */
#include "session.h"
#include "errmsg.h"
#include "exitcodes.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

int ss_take_lock(struct lk_lock *l, pid_t pid, int wait_ms, char *err, size_t errlen)
{
	pid_t holder;
	char comm[64];
	if (lk_acquire(l, pid, wait_ms, &holder, comm, sizeof(comm)) != -EBUSY)
		return 0;
	if (strncmp(comm, "polus-", 6) == 0)
		return px_err(err, errlen, PX_UNSAFE,
			      "process %d is being updated by process %d (%s): try again, or "
			      "--wait SECONDS",
			      (int)pid, (int)holder, comm);
	return px_err(err, errlen, PX_UNSAFE,
		      "process %d is already traced by process %d (a debugger?)", (int)pid,
		      (int)holder);
}

struct pt_thread *ss_pick_worker(pid_t pid, struct pt_group *g)
{
	char buf[32];
	for (size_t i = 0; i < g->n; i++) {
		struct pt_thread *c = &g->v[i];
		if (c->state == PT_STOPPED && c->event && c->nsignals == 0 &&
		    pf_status_field(pid, c->tid, "Seccomp", buf, sizeof(buf)) == 0 &&
		    atoi(buf) != 2)
			return c;
	}
	return pt_pick(g);
}

int ss_check_process(pid_t pid, struct tg_info *t, int *have_tg, char *err, size_t errlen)
{
	char buf[64];
	int rc = tg_open(pid, t, err, errlen);
	if (rc)
		return rc == -ESRCH || rc == -EACCES ? PX_INPUT : PX_INTERNAL;
	*have_tg = 1;
	if (pf_status_field(pid, 0, "TracerPid", buf, sizeof(buf)) == 0 && atoi(buf) != 0 &&
	    atoi(buf) != getpid()) /* ours: the update lock (update_lock.h) */
		return px_err(err, errlen, PX_UNSAFE,
			      "process %d is already traced by process %s (a debugger?)", (int)pid,
			      buf);
	if (!t->dynamic)
		return px_err(err, errlen, PX_NOTAPPLY,
			      "process %d runs a statically linked program (%s): not supported",
			      (int)pid, t->exe_path);
	return 0;
}

static int rt_saved_policy = -1;
static struct sched_param rt_saved_param;

void ss_rt_enter(void)
{
	struct sched_param sp = {.sched_priority = 1};
	if (rt_saved_policy >= 0)
		return;
	rt_saved_policy = sched_getscheduler(0);
	sched_getparam(0, &rt_saved_param);
	if (rt_saved_policy < 0 ||
	    sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp) != 0)
		rt_saved_policy = -1;
}

void ss_rt_leave(void)
{
	if (rt_saved_policy < 0)
		return;
	sched_setscheduler(0, rt_saved_policy, &rt_saved_param);
	rt_saved_policy = -1;
}

void ss_hold_signals(void)
{
	sigset_t hold;
	sigemptyset(&hold);
	sigaddset(&hold, SIGINT);
	sigaddset(&hold, SIGTERM);
	sigaddset(&hold, SIGHUP);
	sigaddset(&hold, SIGQUIT);
	sigaddset(&hold, SIGPIPE);
	sigprocmask(SIG_BLOCK, &hold, NULL);
}
