/*
 * rt_agent_test — runtime/rt_agent in-process (tests/stopfree/rt-agent.t): the agent
 * starts once, is named, blocks every signal (the program's signals reach its own
 * threads, never the agent), idles in a futex wait, a tracer stops it alone (the other
 * threads run on) and it goes back to its wait, and a forked child gets its own.
 */
#include "rt_agent.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int fails;
#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #c);                        \
			fails++;                                                                   \
		}                                                                                  \
	} while (0)

/* The first line of /proc/self/task/TID/NAME holding `want` (within 5 s), else "". */
static int task_line(int tid, const char *name, const char *key, char *buf, size_t len)
{
	char path[96];
	snprintf(path, sizeof(path), "/proc/self/task/%d/%s", tid, name);
	for (int i = 0; i < 500; i++) {
		FILE *f = fopen(path, "r");
		while (f && fgets(buf, (int)len, f))
			if (strstr(buf, key)) {
				fclose(f);
				return 1;
			}
		if (f)
			fclose(f);
		usleep(10000);
	}
	buf[0] = 0;
	return 0;
}

static volatile int hits, agent_hits, agent;
static int st0;

static void on_usr1(int sig)
{
	(void)sig;
	hits++;
	if (syscall(SYS_gettid) == agent)
		agent_hits++;
}

int main(void)
{
	char buf[256];
	int tid = polus_rt_agent_start();
	CHECK(tid > 0);
	agent = tid;
	CHECK(polus_rt_agent_start() == tid && polus_rt_agent_tid() == tid);
	CHECK(task_line(tid, "comm", POLUS_RT_AGENT_NAME, buf, sizeof(buf)));
	/* every signal blocked: SigBlk has SIGTRAP (bit 4) and SIGUSR1 (bit 9) */
	CHECK(task_line(tid, "status", "SigBlk:", buf, sizeof(buf)));
	unsigned long long blk = strtoull(buf + 7, NULL, 16);
	CHECK((blk >> (SIGTRAP - 1) & 1) && (blk >> (SIGUSR1 - 1) & 1));
	CHECK(task_line(tid, "syscall", "202 ", buf, sizeof(buf))); /* futex */
	signal(SIGUSR1, on_usr1);
	for (int i = 0; i < 50; i++) {
		kill(getpid(), SIGUSR1);
		usleep(1000);
	}
	CHECK(hits == 50 && agent_hits == 0);

	/* a tracer stops the agent alone, sees it in its futex wait, lets it go back to it */
	volatile unsigned long beats = 0;
	pid_t tracer = fork();
	if (tracer == 0) {
		struct user_regs_struct r;
		int ok = ptrace(PTRACE_SEIZE, tid, 0, 0) == 0 &&
			 ptrace(PTRACE_INTERRUPT, tid, 0, 0) == 0 &&
			 waitpid(tid, &st0, __WALL) == tid &&
			 ptrace(PTRACE_GETREGS, tid, 0, &r) == 0 && r.orig_rax == SYS_futex &&
			 ptrace(PTRACE_DETACH, tid, 0, 0) == 0;
		_exit(ok ? 0 : 1);
	}
	int st = 1;
	while (waitpid(tracer, &st, WNOHANG) == 0)
		beats++; /* this thread runs on while the agent is stopped */
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0 && beats > 0);
	CHECK(task_line(tid, "syscall", "202 ", buf, sizeof(buf)));

	pid_t child = fork();
	if (child == 0) {
		int t0 = polus_rt_agent_tid(), t1 = polus_rt_agent_start();
		_exit(t0 == 0 && t1 > 0 && t1 != tid &&
			      task_line(t1, "comm", POLUS_RT_AGENT_NAME, buf, sizeof(buf))
			  ? 0
			  : 1);
	}
	st = 1;
	CHECK(child > 0 && waitpid(child, &st, 0) == child && WIFEXITED(st) &&
	      WEXITSTATUS(st) == 0);
	CHECK(polus_rt_agent_tid() == tid);
	if (fails)
		return 1;
	printf("ok: agent %d: named, every signal blocked, idle in futex; 50 signals to the "
	       "process, none to it; stopped alone by a tracer and back in its wait; a forked "
	       "child started its own\n",
	       tid);
	return 0;
}
