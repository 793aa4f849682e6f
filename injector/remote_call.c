/*
 * remote_call — a function call in a hijacked thread (see remote_call.h).
 */
#include "remote_call.h"
#include "procfs.h"

#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>

#define XSTATE_MAX (64 * 1024)
#define RED_ZONE 128

/* Waits for the thread's next stop until the deadline: 0 with *st, or a negative errno. */
static int wait_stop(pid_t tid, uint64_t deadline_ns, int *st)
{
	for (;;) {
		pid_t w = waitpid(tid, st, __WALL | WNOHANG);
		if (w == tid)
			return 0;
		if (w < 0)
			return -errno;
		if (pt_now_ns() > deadline_ns)
			return -ETIMEDOUT;
		struct timespec ts = {0, 100000};
		nanosleep(&ts, NULL);
	}
}

/* Runs the prepared thread until it returns to address 0. */
static int run_to_return(struct pt_thread *t, long *ret, char *err, size_t errlen)
{
	uint64_t deadline = pt_now_ns() + (uint64_t)RC_TIMEOUT_MS * 1000000u;
	struct user_regs_struct r;
	int st, rc;
	for (;;) {
		if (ptrace(PTRACE_CONT, t->tid, 0, 0) != 0)
			return -errno;
		if ((rc = wait_stop(t->tid, deadline, &st)) == -ETIMEDOUT) {
			ptrace(PTRACE_INTERRUPT, t->tid, 0, 0);
			waitpid(t->tid, &st, __WALL);
			snprintf(err, errlen, "the call did not return within %d ms",
				 RC_TIMEOUT_MS);
			return rc;
		}
		if (rc)
			return rc;
		if (!WIFSTOPPED(st)) {
			t->state = PT_GONE;
			snprintf(err, errlen, "thread %d ended during the call", (int)t->tid);
			return -ESRCH;
		}
		int sig = WSTOPSIG(st), event = st >> 16;
		if (event)
			continue; /* a ptrace event stop: go on */
		if (sig != SIGSEGV && sig != SIGBUS && sig != SIGILL && sig != SIGFPE &&
		    sig != SIGTRAP) {
			pt_keep_signal(t, sig); /* not ours: given back at release */
			continue;
		}
		if (ptrace(PTRACE_GETREGS, t->tid, 0, &r) != 0)
			return -errno;
		if (sig == SIGSEGV && r.rip == 0) {
			*ret = (long)r.rax;
			return 0;
		}
		snprintf(err, errlen, "the call got signal %d at 0x%llx", sig,
			 (unsigned long long)r.rip);
		return -EFAULT;
	}
}

int rc_call(struct pt_thread *t, int memfd, uint64_t fn, const long args[6], void *scratch,
	    size_t len, long *ret, char *err, size_t errlen)
{
	struct user_regs_struct saved, r;
	uint8_t *xs = malloc(XSTATE_MAX);
	struct iovec iov = {xs, XSTATE_MAX};
	int have_xs, rc = 0;
	uint64_t zero = 0;
	if (!xs)
		return -ENOMEM;
	if (len > RC_SCRATCH_MAX || ptrace(PTRACE_GETREGS, t->tid, 0, &saved) != 0) {
		free(xs);
		return len > RC_SCRATCH_MAX ? -E2BIG : -errno;
	}
	have_xs = ptrace(PTRACE_GETREGSET, t->tid, (void *)NT_X86_XSTATE, &iov) == 0;
	/* below the red zone: the scratch area, then the callee's stack, 16-byte aligned */
	uint64_t area = (saved.rsp - RED_ZONE - RC_SCRATCH_MAX) & ~(uint64_t)15;
	uint64_t sp = (area - 64) & ~(uint64_t)15;
	r = saved;
	long a[6];
	for (int i = 0; i < 6; i++)
		a[i] = args[i] == RC_ARG_SCRATCH ? (long)area : args[i];
	r.rdi = (unsigned long long)a[0];
	r.rsi = (unsigned long long)a[1];
	r.rdx = (unsigned long long)a[2];
	r.rcx = (unsigned long long)a[3];
	r.r8 = (unsigned long long)a[4];
	r.r9 = (unsigned long long)a[5];
	r.rax = 0;
	r.orig_rax = (unsigned long long)-1; /* no restart of an interrupted system call */
	r.rsp = sp - 8;			     /* as after a call: the return address pushed */
	r.rip = fn;
	if ((len && pf_mem_write(memfd, area, scratch, len) != 0) ||
	    pf_mem_write(memfd, sp - 8, &zero, sizeof(zero)) != 0) {
		rc = -EIO;
		snprintf(err, errlen, "cannot write the call's stack");
		goto out;
	}
	if (ptrace(PTRACE_SETREGS, t->tid, 0, &r) != 0) {
		rc = -errno;
		goto out;
	}
	rc = run_to_return(t, ret, err, errlen);
	if (rc == 0 && len && pf_mem_read(memfd, area, scratch, len) != 0) {
		rc = -EIO;
		snprintf(err, errlen, "cannot read the call's results");
	}
	if (t->state == PT_GONE)
		goto out;
	if (ptrace(PTRACE_SETREGS, t->tid, 0, &saved) != 0 && rc == 0)
		rc = -errno;
	if (have_xs && ptrace(PTRACE_SETREGSET, t->tid, (void *)NT_X86_XSTATE, &iov) != 0 &&
	    rc == 0)
		rc = -errno;
out:
	free(xs);
	return rc;
}
