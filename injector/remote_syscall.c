/*
 * remote_syscall — calls in a hijacked thread that survive our death (see remote_syscall.h).
 *
 * The stack of the thread during a call, from its own %rsp down:
 *   red zone and a gap (1 KiB), the scratch area (RS_SCRATCH_MAX), the xsave area
 *   (64-byte aligned, FP_XSTATE_MAGIC2 after it), the ucontext (flags, altstack, the
 *   sigcontext pointing at the xsave area, the mask), and the slot under it holding
 *   __restore_rt's address: %rsp for the call.
 */
#include "remote_syscall.h"
#include "test_kill.h"

#include <cpuid.h>
#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

#define XSTATE_MAX (64 * 1024)
#define STACK_GAP 1024 /* the 128-byte red zone, with room to spare */
#ifndef FP_XSTATE_MAGIC1
#define FP_XSTATE_MAGIC1 0x46505853u
#define FP_XSTATE_MAGIC2 0x46505845u
#endif
#define UC_FP_XSTATE 0x1
#define UC_SIGCONTEXT_SS 0x2
#define UC_STRICT_RESTORE_SS 0x4
#define XFEATURE_MASK_AMX (3ull << 17) /* dynamically enabled: not in every task's buffer */
#define EFLAGS_TF 0x100ull
#define EFLAGS_DF 0x400ull
#define MAX_STOPS 100000 /* a function of the runtime makes few system calls */
#define ERESTARTSYS 512
#define ERESTARTNOINTR 513
#define ERESTARTNOHAND 514
#define ERESTART_RESTARTBLOCK 516

/* The kernel's struct sigcontext (x86-64), as an rt_sigreturn frame holds it. */
struct rs_mcontext {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2, fpstate, reserved1[8];
};

struct rs_ucontext {
	uint64_t uc_flags, uc_link;
	uint64_t ss_sp; /* uc_stack all zero: restore_altstack then changes nothing */
	int32_t ss_flags, ss_pad;
	uint64_t ss_size;
	struct rs_mcontext mc;
	uint64_t sigmask;
};
_Static_assert(sizeof(struct rs_mcontext) == 256, "sigcontext layout");
_Static_assert(sizeof(struct rs_ucontext) == 304, "ucontext layout");

/* runtime/rt_trampoline.S, assembled; its rt_sigreturn ends at TRAMP_RET. */
static const uint8_t tramp_code[] = {0x48, 0x89, 0xe3, 0x48, 0x83, 0xe4, 0xf0, 0xff, 0xd0,
				     0x48, 0x89, 0xdc, 0x48, 0x83, 0xc4, 0x08, 0x48, 0x89,
				     0xc7, 0xb8, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05};
#define TRAMP_RET sizeof(tramp_code)

static const uint8_t syscall_ret[] = {0x0f, 0x05, 0xc3};
static const uint8_t restore_rt[] = {0x48, 0xc7, 0xc0, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05};

/* Scans one mapping of the target for `pat`. */
static int find_in(int memfd, const struct pf_map *m, const uint8_t *pat, size_t plen,
		   uint64_t *addr)
{
	size_t len = m->end - m->start, chunk = 1 << 20;
	uint8_t *buf = malloc(chunk + plen);
	if (!buf)
		return -ENOMEM;
	for (size_t off = 0; off < len; off += chunk) {
		size_t n = len - off < chunk + plen ? len - off : chunk + plen;
		if (pf_mem_read(memfd, m->start + off, buf, n) != 0)
			break;
		for (size_t i = 0; i + plen <= n; i++)
			if (memcmp(buf + i, pat, plen) == 0) {
				*addr = m->start + off + i;
				free(buf);
				return 0;
			}
	}
	free(buf);
	return -ENOENT;
}

/* The first executable mapping of the vDSO, then of libc, holding `pat`. */
static int find_gadget(int memfd, const struct pf_maps *maps, const uint8_t *pat, size_t plen,
		       uint64_t *addr)
{
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < maps->n; i++) {
			const struct pf_map *m = &maps->v[i];
			if (m->perms[2] != 'x')
				continue;
			if (pass == 0 && strcmp(m->path, "[vdso]") != 0)
				continue;
			if (pass == 1 && !strstr(m->path, "/libc"))
				continue;
			if (find_in(memfd, m, pat, plen, addr) == 0)
				return 0;
		}
	return -ENOENT;
}

int rs_init(struct rs_ctx *c, pid_t pid, struct pt_thread *t, const struct pf_maps *maps, int memfd)
{
	memset(c, 0, sizeof(*c));
	c->pid = pid;
	c->t = t;
	c->memfd = memfd;
	if (find_gadget(memfd, maps, syscall_ret, sizeof(syscall_ret), &c->syscall_addr) ||
	    find_gadget(memfd, maps, restore_rt, sizeof(restore_rt), &c->restorer))
		return -ENOENT;
	return 0;
}

int rs_set_trampoline(struct rs_ctx *c, uint64_t addr)
{
	uint8_t b[sizeof(tramp_code)];
	int rc = pf_mem_read(c->memfd, addr, b, sizeof(b));
	if (rc)
		return rc;
	if (memcmp(b, tramp_code, sizeof(b)) != 0)
		return -EPROTO;
	c->tramp = addr;
	return 0;
}

/* The thread's context as we found it, and what rt_sigreturn is expected to give back. */
struct saved {
	struct user_regs_struct regs, expect;
	uint8_t *xs;
	size_t xlen;
	uint64_t mask;
};

/*
 * The user xsave size of the features in xcr0 other than AMX (the size of a task's buffer
 * unless it enabled AMX; the frame's xstate_size may not exceed it).
 */
static uint32_t xsave_size(uint64_t xcr0)
{
	uint32_t a, b, cx, d, size = 576; /* legacy area + header */
	for (unsigned i = 2; i < 63; i++) {
		if (!(xcr0 >> i & 1) || (XFEATURE_MASK_AMX >> i & 1))
			continue;
		__cpuid_count(0xd, i, a, b, cx, d);
		if (a + b > size)
			size = a + b;
	}
	return size;
}

/*
 * What the thread resumes with after rt_sigreturn (orig_rax is -1 after it, so the kernel
 * restarts nothing): the call it was stopped in, rewound as the kernel (or pt_release for
 * EINTR) would rewind it.
 */
static struct user_regs_struct restarted(const struct pt_thread *t, struct user_regs_struct r)
{
	long rax = (long)r.rax;
	if ((long long)r.orig_rax < 0)
		return r;
	if (rax == -ERESTARTSYS || rax == -ERESTARTNOINTR || rax == -ERESTARTNOHAND ||
	    (rax == -EINTR && t->event == PTRACE_EVENT_STOP && t->nsignals == 0)) {
		r.rax = r.orig_rax;
		r.rip -= 2;
	} else if (rax == -ERESTART_RESTARTBLOCK) {
		r.rax = SYS_restart_syscall;
		r.rip -= 2;
	}
	return r;
}

static void fill_mcontext(struct rs_mcontext *m, const struct user_regs_struct *r, uint64_t fp)
{
	*m = (struct rs_mcontext){.r8 = r->r8,
				  .r9 = r->r9,
				  .r10 = r->r10,
				  .r11 = r->r11,
				  .r12 = r->r12,
				  .r13 = r->r13,
				  .r14 = r->r14,
				  .r15 = r->r15,
				  .rdi = r->rdi,
				  .rsi = r->rsi,
				  .rbp = r->rbp,
				  .rbx = r->rbx,
				  .rdx = r->rdx,
				  .rax = r->rax,
				  .rcx = r->rcx,
				  .rsp = r->rsp,
				  .rip = r->rip,
				  .eflags = r->eflags,
				  .cs = (uint16_t)r->cs,
				  .ss = (uint16_t)r->ss,
				  .fpstate = fp};
}

/*
 * Builds the frame for s (xsave state at its 64-byte aligned place, magic words) and
 * writes it below the scratch area. *slot gets the address for %rsp.
 */
/* The scratch area ends here (exclusive), below the red zone. */
static uint64_t scratch_end(uint64_t rsp)
{
	return (rsp - STACK_GAP) & ~(uint64_t)15;
}

static int write_frame(struct rs_ctx *c, const struct saved *s, uint64_t *slot)
{
	uint64_t xcr0, top = scratch_end(s->regs.rsp) - RS_SCRATCH_MAX;
	memcpy(&xcr0, s->xs + 464, sizeof(xcr0)); /* the regset's sw bytes: xcr0 first */
	uint32_t xsz = xsave_size(xcr0);
	if (xsz > s->xlen)
		xsz = (uint32_t)s->xlen;
	uint64_t fp = (top - xsz - 4) & ~(uint64_t)63;
	uint64_t uc = (fp - sizeof(struct rs_ucontext)) & ~(uint64_t)15;
	uint64_t pret = uc - 8, len = fp + xsz + 4 - pret;
	uint8_t *f = calloc(1, len);
	if (!f)
		return -ENOMEM;
	struct rs_ucontext u = {.uc_flags = UC_FP_XSTATE | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS,
				.sigmask = s->mask};
	fill_mcontext(&u.mc, &s->expect, fp);
	memcpy(f, &c->restorer, 8);
	memcpy(f + 8, &u, sizeof(u));
	uint8_t *x = f + (fp - pret);
	memcpy(x, s->xs, xsz);
	/* the signal frame's sw bytes: magic, sizes, features (the regset has xcr0 there) */
	uint32_t sw[4] = {FP_XSTATE_MAGIC1, xsz + 4, 0, xsz}, m2 = FP_XSTATE_MAGIC2;
	uint64_t feat = xcr0 & ~XFEATURE_MASK_AMX, bv;
	memcpy(x + 464, sw, 8);
	memcpy(x + 472, &feat, 8);
	memcpy(x + 480, &sw[3], 4);
	memset(x + 484, 0, 28);
	memcpy(&bv, x + 512, 8); /* XSTATE_BV: only features the frame holds */
	bv &= feat;
	memcpy(x + 512, &bv, 8);
	memcpy(x + xsz, &m2, 4);
	int rc = pf_mem_write(c->memfd, pret, f, len);
	free(f);
	*slot = pret;
	return rc;
}

static int save(struct rs_ctx *c, struct saved *s)
{
	pid_t tid = c->t->tid;
	struct iovec iov = {NULL, XSTATE_MAX};
	memset(s, 0, sizeof(*s));
	if (!(s->xs = malloc(XSTATE_MAX)))
		return -ENOMEM;
	iov.iov_base = s->xs;
	if (ptrace(PTRACE_GETREGS, tid, 0, &s->regs) != 0 ||
	    ptrace(PTRACE_GETREGSET, tid, (void *)NT_X86_XSTATE, &iov) != 0 ||
	    ptrace(PTRACE_GETSIGMASK, tid, (void *)sizeof(s->mask), &s->mask) != 0)
		return -errno;
	if (iov.iov_len < 576)
		return -EPROTO;
	s->xlen = iov.iov_len;
	s->expect = restarted(c->t, s->regs);
	return 0;
}

/* Resumes the thread with PTRACE_SYSCALL and waits for its next stop. */
static int step_to_stop(struct rs_ctx *c, int *st)
{
	pid_t tid = c->t->tid;
	if (ptrace(PTRACE_SYSCALL, tid, 0, 0) != 0)
		return -errno;
	if (waitpid(tid, st, __WALL) != tid)
		return -errno;
	if (!WIFSTOPPED(*st)) {
		c->t->state = PT_GONE;
		return -ESRCH;
	}
	return 0;
}

/* Where a call is in its course of stops. */
enum course { C_RUN, C_RESULT, C_SIGRETURN, C_DONE };

/* A system call stop: moves the course on; *at_entry says which kind it was. */
static int on_syscall_stop(struct rs_ctx *c, uint64_t result_ip, enum course *k, long *ret,
			   int *at_entry)
{
	struct __ptrace_syscall_info si;
	memset(&si, 0, sizeof(si));
	if (ptrace(PTRACE_GET_SYSCALL_INFO, c->t->tid, (void *)sizeof(si), &si) <= 0)
		return -errno;
	*at_entry = si.op == PTRACE_SYSCALL_INFO_ENTRY;
	int sigret = *at_entry && si.entry.nr == SYS_rt_sigreturn;
	switch (*k) {
	case C_RUN:
		if (si.instruction_pointer != result_ip)
			break;
		if (si.op == PTRACE_SYSCALL_INFO_EXIT) { /* rs_call: our call returned */
			*ret = (long)si.exit.rval;
			*k = C_RESULT;
			tk_step("injected call returned");
		} else if (sigret) { /* rs_fncall: the trampoline's rt_sigreturn, result in rdi */
			*ret = (long)si.entry.args[0];
			*k = C_SIGRETURN;
			tk_step("injected function returned");
		}
		break;
	case C_RESULT:
		if (sigret)
			*k = C_SIGRETURN;
		break;
	case C_SIGRETURN:
		if (si.op == PTRACE_SYSCALL_INFO_EXIT)
			*k = C_DONE; /* its rax may look like an error: it is the thread's */
		break;
	case C_DONE:
		break;
	}
	return 0;
}

/*
 * One stop of the course: a fault of the code we run is an error (the signal is not
 * delivered); another signal is kept for release; group stops and events pass.
 */
static int on_stop(struct rs_ctx *c, int st, uint64_t result_ip, enum course *k, long *ret,
		   int *at_entry)
{
	int sig = WSTOPSIG(st);
	*at_entry = 0;
	if (sig == (SIGTRAP | 0x80))
		return on_syscall_stop(c, result_ip, k, ret, at_entry);
	if (st >> 16)
		return 0;
	if (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE || sig == SIGTRAP ||
	    sig == SIGSYS)
		return -EFAULT;
	pt_keep_signal(c->t, sig);
	return 0;
}

/* Runs the prepared thread until its frame is restored. */
static int run_course(struct rs_ctx *c, uint64_t result_ip, long *ret, int *at_entry)
{
	enum course k = C_RUN;
	for (int n = 0; k != C_DONE; n++) {
		int st, rc;
		if (n > MAX_STOPS)
			return -EAGAIN;
		if ((rc = step_to_stop(c, &st)) != 0)
			return rc;
		if ((rc = on_stop(c, st, result_ip, &k, ret, at_entry)) != 0)
			return rc;
	}
	return 0;
}

/*
 * Puts back the exact registers, vector state and mask, and brings the thread to a
 * PTRACE_EVENT_STOP (our interrupt, taken before it returns to user code), where the
 * kernel's restart of its interrupted call happens on release.
 */
static int restore(struct rs_ctx *c, struct saved *s, int moved, int at_entry)
{
	pid_t tid = c->t->tid;
	struct iovec iov = {s->xs, s->xlen};
	struct user_regs_struct r;
	int st, rc = 0;
	if (at_entry) { /* never let the thread's own orig_rax run from an entry stop */
		if (ptrace(PTRACE_GETREGS, tid, 0, &r) != 0)
			return -errno;
		r.orig_rax = (unsigned long long)-1;
		if (ptrace(PTRACE_SETREGS, tid, 0, &r) != 0 || ptrace(PTRACE_SYSCALL, tid, 0, 0))
			return -errno;
		if (waitpid(tid, &st, __WALL) != tid || !WIFSTOPPED(st))
			return -ESRCH;
	}
	if (ptrace(PTRACE_SETREGS, tid, 0, &s->regs) != 0 ||
	    ptrace(PTRACE_SETREGSET, tid, (void *)NT_X86_XSTATE, &iov) != 0 ||
	    ptrace(PTRACE_SETSIGMASK, tid, (void *)sizeof(s->mask), &s->mask) != 0)
		return -errno;
	if (!moved)
		return 0; /* still in the stop we found it in */
	tk_step("thread context put back");
	if (ptrace(PTRACE_INTERRUPT, tid, 0, 0) != 0 || ptrace(PTRACE_CONT, tid, 0, 0) != 0)
		return -errno;
	for (;;) {
		if (waitpid(tid, &st, __WALL) != tid)
			return -errno;
		if (!WIFSTOPPED(st)) {
			c->t->state = PT_GONE;
			return -ESRCH;
		}
		if (st >> 16 == PTRACE_EVENT_STOP)
			break;
		/* a signal now deliverable (its mask is back): ours to give back later */
		if ((st >> 16) == 0 && WSTOPSIG(st) != (SIGTRAP | 0x80))
			pt_keep_signal(c->t, WSTOPSIG(st));
		if (ptrace(PTRACE_CONT, tid, 0, 0) != 0)
			return -errno;
	}
	c->t->event = PTRACE_EVENT_STOP;
	return rc;
}

/* The frame came back as written: rt_sigreturn gave the expected registers. */
static int check_restored(struct rs_ctx *c, const struct saved *s)
{
	struct user_regs_struct r;
	if (ptrace(PTRACE_GETREGS, c->t->tid, 0, &r) != 0)
		return -errno;
	if (r.rip != s->expect.rip || r.rsp != s->expect.rsp || r.rbx != s->expect.rbx ||
	    r.rax != s->expect.rax)
		return -EPROTO;
	return 0;
}

/*
 * The common course: frame written, thread sent to `set`, run until the frame is back,
 * context restored. result_ip: the stop that gives the result (see on_stop).
 */
static int inject(struct rs_ctx *c, struct user_regs_struct *set, uint64_t result_ip, long *ret)
{
	pid_t tid = c->t->tid;
	struct saved s;
	uint64_t all = ~((1ull << (SIGKILL - 1)) | (1ull << (SIGSTOP - 1))), slot;
	int rc, rrc, at_entry = 0, moved = 0;
	if ((rc = save(c, &s)) != 0 || (rc = write_frame(c, &s, &slot)) != 0) {
		free(s.xs);
		return rc;
	}
	set->rsp = slot;
	set->orig_rax = (unsigned long long)-1; /* no restart of the thread's call into ours */
	set->eflags &= ~(EFLAGS_TF | EFLAGS_DF);
	/* registers first: dead after this, the thread runs the call and sigreturns */
	if (ptrace(PTRACE_SETREGS, tid, 0, set) != 0) {
		rc = -errno;
		goto out;
	}
	tk_step("registers set");
	if (ptrace(PTRACE_SETSIGMASK, tid, (void *)sizeof(all), &all) != 0)
		rc = -errno;
	else
		tk_step("signals blocked");
	if (!rc && (moved = 1, rc = run_course(c, result_ip, ret, &at_entry)) == 0) {
		tk_step("frame restored by rt_sigreturn");
		rc = check_restored(c, &s);
	}
out:
	if (c->t->state != PT_GONE && (rrc = restore(c, &s, moved, at_entry)) != 0 && rc == 0)
		rc = rrc;
	if (c->t->state == PT_GONE)
		rc = -ESRCH;
	free(s.xs);
	if (rc == 0)
		c->ncalls++;
	return rc;
}

/* The thread's registers with rax, rip and six arguments set; the 4th goes in r10 for a
 * system call, in rcx for a function. */
static int regs_for(struct rs_ctx *c, struct user_regs_struct *r, uint64_t rax, uint64_t rip,
		    const long a[6], int syscall_abi)
{
	if (ptrace(PTRACE_GETREGS, c->t->tid, 0, r) != 0)
		return -errno;
	r->rax = rax;
	r->rip = rip;
	r->rdi = (unsigned long long)a[0];
	r->rsi = (unsigned long long)a[1];
	r->rdx = (unsigned long long)a[2];
	*(syscall_abi ? &r->r10 : &r->rcx) = (unsigned long long)a[3];
	r->r8 = (unsigned long long)a[4];
	r->r9 = (unsigned long long)a[5];
	return 0;
}

int rs_call(struct rs_ctx *c, long nr, const long args[6], long *ret)
{
	struct user_regs_struct r;
	int rc = regs_for(c, &r, (uint64_t)nr, c->syscall_addr, args, 1);
	return rc ? rc : inject(c, &r, c->syscall_addr + 2, ret);
}

int rs_fncall(struct rs_ctx *c, uint64_t fn, const long args[6], long *ret)
{
	struct user_regs_struct r;
	if (!c->tramp)
		return -ENOSYS;
	int rc = regs_for(c, &r, fn, c->tramp, args, 0);
	return rc ? rc : inject(c, &r, c->tramp + TRAMP_RET, ret);
}

uint64_t rs_scratch(struct rs_ctx *c, const void *data, size_t len)
{
	struct user_regs_struct r;
	size_t need = (len + 15) & ~(size_t)15;
	if (c->scratch_used + need > RS_SCRATCH_MAX)
		return 0;
	if (ptrace(PTRACE_GETREGS, c->t->tid, 0, &r) != 0)
		return 0;
	c->scratch_used += need;
	uint64_t a = scratch_end(r.rsp) - c->scratch_used;
	return pf_mem_write(c->memfd, a, data, len) == 0 ? a : 0;
}
