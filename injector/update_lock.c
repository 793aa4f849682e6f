/*
 * update_lock — the per-process updater lock through ptrace (see update_lock.h).
 */
#include "update_lock.h"
#include "procfs.h"
#include "ptrace_ctl.h"
#include "rt_agent.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <time.h>
#include <unistd.h>

/*
 * The thread polus-apply works through too: the runtime's agent if there is one (no
 * thread of the program is then held, docs/stopfree.md), else the first outside seccomp
 * filter mode, else the first.
 */
static pid_t lock_thread(pid_t pid)
{
	pid_t *tids = NULL, tid = 0, agent = 0;
	char buf[32];
	int n = pf_tasks(pid, &tids);
	for (int i = 0; i < n && !agent; i++) {
		if (!pf_status_field(pid, tids[i], "Name", buf, sizeof(buf)) &&
		    !strcmp(buf, POLUS_RT_AGENT_NAME))
			agent = tids[i];
		else if (!tid && pf_status_field(pid, tids[i], "Seccomp", buf, sizeof(buf)) == 0 &&
			 atoi(buf) != 2)
			tid = tids[i];
	}
	free(tids);
	return agent ? agent : tid ? tid : pid;
}

/* The tracer of pid's thread tid, and its name. */
static pid_t tracer_of(pid_t pid, pid_t tid, char *comm, size_t commlen)
{
	char buf[32], path[64];
	pid_t t = 0;
	if (pf_status_field(pid, tid, "TracerPid", buf, sizeof(buf)) == 0)
		t = (pid_t)atoi(buf);
	comm[0] = 0;
	if (t > 0) {
		snprintf(path, sizeof(path), "/proc/%d/comm", (int)t);
		FILE *f = fopen(path, "r");
		if (f) {
			if (fgets(comm, (int)commlen, f))
				comm[strcspn(comm, "\n")] = 0;
			fclose(f);
		}
	}
	return t;
}

int lk_acquire(struct lk_lock *l, pid_t pid, int wait_ms, pid_t *holder, char *holder_comm,
	       size_t commlen)
{
	uint64_t end = pt_now_ns() + (uint64_t)wait_ms * 1000000u;
	int gone = 0; /* times the holder had exited when we looked (it let go meanwhile) */
	memset(l, 0, sizeof(*l));
	l->pid = pid;
	*holder = 0;
	holder_comm[0] = 0;
	for (;;) {
		pid_t tid = lock_thread(pid);
		if (ptrace(PTRACE_SEIZE, tid, 0, PTRACE_O_TRACESYSGOOD) == 0) {
			l->tid = tid;
			l->held = 1;
			pt_set_held(tid);
			return 0;
		}
		int e = errno;
		if (e == ESRCH && kill(pid, 0) != 0)
			return -ESRCH;
		if (e != EPERM && e != ESRCH)
			return -e;
		*holder = tracer_of(pid, tid, holder_comm, commlen);
		if (e == EPERM && *holder == 0 && tracer_of(pid, pid, holder_comm, commlen) == 0)
			return -EPERM; /* not traced: we may not trace it */
		if (*holder > 0 && !holder_comm[0] && kill(*holder, 0) != 0 && gone++ < 50)
			continue; /* the holder just exited: the lock is free, or about to be */
		if (pt_now_ns() >= end)
			return -EBUSY;
		struct timespec ts = {0, 20 * 1000000};
		nanosleep(&ts, NULL);
	}
}

void lk_release(struct lk_lock *l)
{
	struct pt_group g;
	char err[256];
	if (!l->held)
		return;
	l->held = 0;
	/* stopped like any thread (its interrupted call rewound on release), then let go */
	int rc = pt_stop_one(l->pid, l->tid, &g, 3000, err, sizeof(err));
	pt_set_held(0);
	if (rc == 0)
		pt_release(&g, NULL);
}
