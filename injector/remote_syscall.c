/*
 * remote_syscall — single-stepped system calls in a hijacked thread (see remote_syscall.h).
 */
#include "remote_syscall.h"

#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>

#define XSTATE_MAX (64 * 1024)

/* Scans one mapping of the target for the bytes 0f 05. */
static int find_in(int memfd, const struct pf_map *m, uint64_t *addr)
{
	size_t len = m->end - m->start, chunk = 1 << 20;
	uint8_t *buf = malloc(chunk + 1);
	if (!buf)
		return -ENOMEM;
	for (size_t off = 0; off < len; off += chunk) {
		size_t n = len - off < chunk + 1 ? len - off : chunk + 1;
		if (pf_mem_read(memfd, m->start + off, buf, n) != 0)
			break;
		for (size_t i = 0; i + 1 < n; i++)
			if (buf[i] == 0x0f && buf[i + 1] == 0x05) {
				*addr = m->start + off + i;
				free(buf);
				return 0;
			}
	}
	free(buf);
	return -ENOENT;
}

int rs_init(struct rs_ctx *c, pid_t pid, struct pt_thread *t, const struct pf_maps *maps, int memfd)
{
	memset(c, 0, sizeof(*c));
	c->pid = pid;
	c->t = t;
	c->memfd = memfd;
	/* The vDSO is small and always there; libc is the fallback. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < maps->n; i++) {
			const struct pf_map *m = &maps->v[i];
			if (m->perms[2] != 'x')
				continue;
			if (pass == 0 && strcmp(m->path, "[vdso]") != 0)
				continue;
			if (pass == 1 && !strstr(m->path, "/libc"))
				continue;
			if (find_in(memfd, m, &c->syscall_addr) == 0)
				return 0;
		}
	return -ENOENT;
}

int rs_call(struct rs_ctx *c, long nr, const long args[6], long *ret)
{
	struct user_regs_struct saved, r;
	uint8_t *xs = malloc(XSTATE_MAX);
	struct iovec iov = {xs, XSTATE_MAX};
	int have_xs, rc = 0;
	pid_t tid = c->t->tid;
	if (!xs)
		return -ENOMEM;
	if (ptrace(PTRACE_GETREGS, tid, 0, &saved) != 0) {
		free(xs);
		return -errno;
	}
	have_xs = ptrace(PTRACE_GETREGSET, tid, (void *)NT_X86_XSTATE, &iov) == 0;
	r = saved;
	r.rax = (unsigned long long)nr;
	r.orig_rax = (unsigned long long)-1;
	r.rdi = (unsigned long long)args[0];
	r.rsi = (unsigned long long)args[1];
	r.rdx = (unsigned long long)args[2];
	r.r10 = (unsigned long long)args[3];
	r.r8 = (unsigned long long)args[4];
	r.r9 = (unsigned long long)args[5];
	r.rip = c->syscall_addr;
	if (ptrace(PTRACE_SETREGS, tid, 0, &r) != 0) {
		rc = -errno;
		goto out;
	}
	for (int tries = 0;; tries++) {
		int st;
		if (tries > 64) {
			rc = -EAGAIN;
			goto restore;
		}
		if (ptrace(PTRACE_SINGLESTEP, tid, 0, 0) != 0) {
			rc = -errno;
			goto restore;
		}
		if (waitpid(tid, &st, __WALL) != tid) {
			rc = -errno;
			goto restore;
		}
		if (!WIFSTOPPED(st)) {
			c->t->state = PT_GONE;
			rc = -ESRCH;
			goto out;
		}
		if (ptrace(PTRACE_GETREGS, tid, 0, &r) != 0) {
			rc = -errno;
			goto restore;
		}
		if (r.rip == c->syscall_addr + 2 && (st >> 16) == 0 && WSTOPSIG(st) == SIGTRAP)
			break;
		if ((st >> 16) == 0 && WSTOPSIG(st) != SIGTRAP)
			pt_keep_signal(c->t, WSTOPSIG(st)); /* not ours: give it back later */
		if (r.rip != c->syscall_addr) {
			rc = -EPROTO; /* the thread went somewhere we did not send it */
			goto restore;
		}
	}
	*ret = (long)r.rax;
	c->ncalls++;
restore:
	if (ptrace(PTRACE_SETREGS, tid, 0, &saved) != 0 && rc == 0)
		rc = -errno;
	if (have_xs && ptrace(PTRACE_SETREGSET, tid, (void *)NT_X86_XSTATE, &iov) != 0 && rc == 0)
		rc = -errno;
out:
	free(xs);
	return rc;
}

uint64_t rs_scratch(struct rs_ctx *c, const void *data, size_t len)
{
	struct user_regs_struct r;
	if (ptrace(PTRACE_GETREGS, c->t->tid, 0, &r) != 0)
		return 0;
	/* below the 128-byte red zone, with room to spare, 16-byte aligned */
	uint64_t a = (r.rsp - 1024 - len) & ~(uint64_t)15;
	return pf_mem_write(c->memfd, a, data, len) == 0 ? a : 0;
}
