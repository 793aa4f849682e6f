/*
 * rt_switch — the stop-free switch inside the target (see rt_switch.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* REG_RIP */
#endif
#include "rt_switch.h"
#include "rt_sys.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>

#define PAD_BEFORE 5 /* = SITE_PAD_BEFORE (common/site_rules.h) */
#define NOP 0x90
#define INT3 0xcc
#define JMP8 0xeb
#define JMP32 0xe9
#define CALL32 0xe8

/* The kernel's struct sigaction for rt_sigaction (8-byte mask). */
struct ksigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};
#define SA_RESTORER_ 0x04000000

/* Our handlers return through this: rt_sigreturn, the bytes glibc's __restore_rt has
 * (injector/patch_site.c recognizes signal frames by them). */
void polus_rt_restorer(void);
__asm__(".text\n"
	".p2align 4\n"
	".type polus_rt_restorer, @function\n"
	"polus_rt_restorer:\n"
	"\tmovq $15, %rax\n"
	"\tsyscall\n"
	".size polus_rt_restorer, .-polus_rt_restorer\n");

/* One site ever switched: a trap at `addr` is ours and waits for switch `epoch`. */
struct trap_site {
	uint64_t addr;
	int epoch;
};

static struct trap_site traps[POLUS_RT_MAX_SITES];
static int ntraps;		      /* entries in use; only the switch adds, under `busy` */
static int epoch_started, epoch_done; /* futex word: the last switch finished */
static int busy;		      /* a switch runs (one at a time) */
static int waiting;
static unsigned long ntrapped;
static int mem_fd = -1, ready, init_pid; /* /proc/self/mem as opened by process init_pid */
/* The switch that runs (busy): a process forked meanwhile finds it here (fork_repair) */
static const struct polus_rt_swsite *cur_sites;
static size_t cur_n;
static int cur_revert, switch_pid;
static struct ksigaction prev; /* the program's own SIGTRAP action */

void (*polus_rt_switch_test_hook)(int step);

static void sync_cores(void)
{
	rt_sys3(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0);
}

static int find_trap(uint64_t addr)
{
	int n = __atomic_load_n(&ntraps, __ATOMIC_ACQUIRE);
	for (int i = 0; i < n; i++)
		if (traps[i].addr == addr)
			return i;
	return -1;
}

/* Writes code: through /proc/self/mem (no permission change), else by making the pages
 * writable for the store (kept executable: other threads run them). */
static int poke(uint64_t addr, const uint8_t *b, size_t n)
{
	if (mem_fd >= 0 && rt_sys4(SYS_pwrite64, mem_fd, b, n, addr) == (long)n)
		return 0;
	uint64_t lo = addr & ~4095ull, hi = (addr + n + 4095) & ~4095ull;
	if (rt_sys3(SYS_mprotect, lo, hi - lo, PROT_READ | PROT_WRITE | PROT_EXEC))
		return -EIO;
	for (size_t i = 0; i < n; i++)
		((volatile uint8_t *)addr)[i] = b[i];
	rt_sys3(SYS_mprotect, lo, hi - lo, PROT_READ | PROT_EXEC);
	return 0;
}

static void chain(int sig, siginfo_t *si, void *uc)
{
	struct ksigaction p = prev;
	if (p.handler == SIG_IGN)
		return;
	if (p.handler == SIG_DFL) {
		/* what SIGTRAP would have done without us: the pending signal kills on return */
		struct ksigaction dfl = {SIG_DFL, 0, 0, 0};
		rt_sys4(SYS_rt_sigaction, SIGTRAP, &dfl, 0, 8);
		rt_sys3(SYS_tgkill, rt_sys3(SYS_getpid, 0, 0, 0), rt_sys3(SYS_gettid, 0, 0, 0),
			SIGTRAP);
		return;
	}
	if (p.flags & SA_SIGINFO)
		((void (*)(int, siginfo_t *, void *))p.handler)(sig, si, uc);
	else
		((void (*)(int))p.handler)(sig);
}

static int step_all(const struct polus_rt_swsite *sites, size_t n, int to_new, int step);

/*
 * A process forked while a switch ran (fork copies the one calling thread, not the agent
 * that writes the switch): its copy of the code is caught between two steps, and nothing
 * would ever finish it there. Its only thread brings every site of that switch back to
 * where the switch started (the steps of a failed switch; the record a stop-free commit
 * publishes after the switch is unpublished in this copy too) through its own
 * /proc/self/mem, then the switch is over here. Single-threaded: no core to synchronize.
 */
static void fork_repair(int pid)
{
	if (mem_fd >= 0 && init_pid != pid)
		rt_sys3(SYS_close, mem_fd, 0, 0);
	if (init_pid != pid) {
		mem_fd = (int)rt_sys3(SYS_open, "/proc/self/mem", O_RDWR | O_CLOEXEC, 0);
		init_pid = pid;
		ready = 0; /* membarrier is registered per process: init again before a switch */
	}
	for (int step = 2; step <= 4; step++)
		step_all(cur_sites, cur_n, cur_revert, step);
	switch_pid = pid;
	__atomic_store_n(&epoch_done, epoch_started, __ATOMIC_RELEASE);
	__atomic_store_n(&busy, 0, __ATOMIC_RELEASE);
}

/* A switch of another process (our parent's, copied by a fork) left here half done. */
static int forked_mid_switch(int pid)
{
	return __atomic_load_n(&busy, __ATOMIC_ACQUIRE) && switch_pid != pid;
}

/* A thread that met an int3 of a switch waits for the switch's end, then runs the site
 * again: the short jump into the new code (or the NOPs, after a revert). */
static void on_trap(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	uint64_t at = (uint64_t)uc->uc_mcontext.gregs[REG_RIP] - 1;
	int i = si->si_code == SI_KERNEL ? find_trap(at) : -1;
	if (i < 0) {
		chain(sig, si, ucv);
		return;
	}
	int pid = (int)rt_sys3(SYS_getpid, 0, 0, 0);
	if (forked_mid_switch(pid)) {
		fork_repair(pid);
		uc->uc_mcontext.gregs[REG_RIP] = (greg_t)at;
		return;
	}
	int e = __atomic_load_n(&traps[i].epoch, __ATOMIC_ACQUIRE);
	__atomic_add_fetch(&ntrapped, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&waiting, 1, __ATOMIC_RELAXED);
	for (;;) {
		int d = __atomic_load_n(&epoch_done, __ATOMIC_ACQUIRE);
		if (d - e >= 0)
			break;
		rt_sys4(SYS_futex, &epoch_done, FUTEX_WAIT_PRIVATE, d, 0);
	}
	__atomic_sub_fetch(&waiting, 1, __ATOMIC_RELAXED);
	uc->uc_mcontext.gregs[REG_RIP] = (greg_t)at;
}

/* Ours again if the program installed its own handler since: it becomes the chained one. */
static int install_handler(void)
{
	struct ksigaction cur,
	    me = {(void *)on_trap, SA_SIGINFO | SA_ONSTACK | SA_RESTART | SA_RESTORER_,
		  (void *)polus_rt_restorer, 0};
	if (rt_sys4(SYS_rt_sigaction, SIGTRAP, 0, &cur, 8))
		return -EIO;
	if (cur.handler == (void *)on_trap)
		return 0;
	prev = cur;
	return rt_sys4(SYS_rt_sigaction, SIGTRAP, &me, 0, 8) ? -EIO : 0;
}

int polus_rt_switch_init(void)
{
	int pid = (int)rt_sys3(SYS_getpid, 0, 0, 0);
	if (ready && pid == init_pid)
		return install_handler();
	if (forked_mid_switch(pid))
		fork_repair(pid);
	if (mem_fd >= 0 && pid != init_pid) { /* a forked child: the descriptor is its parent's */
		rt_sys3(SYS_close, mem_fd, 0, 0);
		mem_fd = -1;
	}
	ready = 0;
	long r = rt_sys3(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0);
	if (r)
		return r == -EINVAL ? -ENOSYS : (int)r;
	if (mem_fd < 0)
		mem_fd = (int)rt_sys3(SYS_open, "/proc/self/mem", O_RDWR | O_CLOEXEC, 0);
	int rc = install_handler();
	if (!rc) {
		init_pid = pid;
		ready = 1;
	}
	return rc;
}

int polus_rt_switch_waiting(void)
{
	return __atomic_load_n(&waiting, __ATOMIC_RELAXED);
}

unsigned long polus_rt_switch_traps(void)
{
	return __atomic_load_n(&ntrapped, __ATOMIC_RELAXED);
}

/* The instruction a site holds when switched: `EB disp8` back to the jmp rel32 before
 * the function (an entry), or `E8 rel32` to the target (a call). Its length. */
static size_t switched(const struct polus_rt_swsite *s, uint8_t b[5])
{
	int32_t rel;
	if (s->kind == POLUS_RT_CALL) {
		rel = (int32_t)((int64_t)s->target - (int64_t)(s->site + 5));
		b[0] = CALL32;
		__builtin_memcpy(b + 1, &rel, 4);
		return 5;
	}
	b[0] = JMP8;
	b[1] = (uint8_t)(int8_t)((int64_t)(s->func - PAD_BEFORE) - (int64_t)(s->site + 2));
	return 2;
}

/* The jmp rel32 before an entry. */
static void prepad_jump(const struct polus_rt_swsite *s, uint8_t b[5])
{
	int32_t rel = (int32_t)((int64_t)s->target - (int64_t)s->func);
	b[0] = JMP32;
	__builtin_memcpy(b + 1, &rel, 4);
}

static int same(const uint8_t *a, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return 0;
	return 1;
}

/* The NOPs before an entry, or the jump a revert left there to the same target (a
 * thread may still stand on it: it is never rewritten). */
static int prepad_ok(const struct polus_rt_swsite *s)
{
	static const uint8_t nops[PAD_BEFORE] = {NOP, NOP, NOP, NOP, NOP};
	uint8_t j[PAD_BEFORE];
	const uint8_t *pre = (const uint8_t *)(s->func - PAD_BEFORE);
	prepad_jump(s, j);
	return same(pre, nops, PAD_BEFORE) || same(pre, j, PAD_BEFORE);
}

/* One site in the state its direction starts from, the target in reach. */
static int check_site(const struct polus_rt_swsite *s, int revert)
{
	uint8_t b[5];
	size_t len = switched(s, b);
	int64_t from = s->kind == POLUS_RT_CALL ? (int64_t)s->site + 5 : (int64_t)s->func;
	int64_t rel = (int64_t)s->target - from;
	if (s->kind == POLUS_RT_CALL ? s->orig[0] != CALL32
				     : (s->site != s->func && s->site != s->func + 4))
		return -EINVAL;
	if (!same((const uint8_t *)s->site, revert ? b : s->orig, len))
		return -EINVAL;
	if (rel != (int32_t)rel)
		return -ERANGE;
	if (s->kind == POLUS_RT_ENTRY && !revert && !prepad_ok(s))
		return -EBUSY;
	return 0;
}

/* Every site in the state its direction starts from, before anything is written. */
static int check_sites(const struct polus_rt_swsite *sites, size_t n, int revert)
{
	size_t fresh = 0;
	int rc;
	for (size_t i = 0; i < n; i++) {
		if ((rc = check_site(&sites[i], revert)))
			return rc;
		fresh += find_trap(sites[i].site) < 0;
	}
	return ntraps + fresh > POLUS_RT_MAX_SITES ? -ENOSPC : 0;
}

/* Each site's table entry now belongs to switch `e`: a trap there waits for it. */
static void mark_sites(const struct polus_rt_swsite *sites, size_t n, int e)
{
	for (size_t i = 0; i < n; i++) {
		int k = find_trap(sites[i].site);
		if (k < 0) {
			k = ntraps;
			traps[k].addr = sites[i].site;
			__atomic_store_n(&traps[k].epoch, e, __ATOMIC_RELEASE);
			__atomic_store_n(&ntraps, k + 1, __ATOMIC_RELEASE);
		} else {
			__atomic_store_n(&traps[k].epoch, e, __ATOMIC_RELEASE);
		}
	}
}

/*
 * One step over every site, then every core synchronized: 1, the jmp rel32 before each
 * entry (apply only: no thread runs there yet); 2, an int3 over each site's first byte;
 * 3, the rest of each site's instruction; 4, its first byte. `to_new`: the switched
 * instruction, else the original.
 */
static int step_all(const struct polus_rt_swsite *sites, size_t n, int to_new, int step)
{
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		const struct polus_rt_swsite *s = &sites[i];
		uint8_t b[5], int3 = INT3;
		size_t len = switched(s, b);
		const uint8_t *want = to_new ? b : s->orig;
		if (step == 1 && s->kind == POLUS_RT_ENTRY) {
			prepad_jump(s, b);
			rc = poke(s->func - PAD_BEFORE, b, PAD_BEFORE);
		} else if (step == 2) {
			rc = poke(s->site, &int3, 1);
		} else if (step == 3) {
			rc = poke(s->site + 1, want + 1, len - 1);
		} else if (step == 4) {
			rc = poke(s->site, want, 1);
		}
	}
	sync_cores();
	if (polus_rt_switch_test_hook)
		polus_rt_switch_test_hook(step);
	return rc;
}

int polus_rt_switch(const struct polus_rt_swsite *sites, size_t n, int revert)
{
	int rc, e;
	if (!ready)
		return -EPERM;
	if (__atomic_exchange_n(&busy, 1, __ATOMIC_ACQUIRE))
		return -EBUSY;
	if ((rc = install_handler()) || (rc = check_sites(sites, n, revert))) {
		__atomic_store_n(&busy, 0, __ATOMIC_RELEASE);
		return rc;
	}
	cur_sites = sites;
	cur_n = n;
	cur_revert = revert;
	switch_pid = (int)rt_sys3(SYS_getpid, 0, 0, 0);
	e = ++epoch_started;
	mark_sites(sites, n, e);
	/* a revert leaves the jumps before the entries: a thread that took the short jump
	 * just before may still be about to run one */
	for (int step = revert ? 2 : 1; step <= 4 && !rc; step++)
		rc = step_all(sites, n, !revert, step);
	/* a failed write: every site to a whole state (where it started) by the same steps,
	 * from whichever state it reached; the writes that fail leave the bytes they found */
	for (int step = 2; rc && step <= 4; step++)
		step_all(sites, n, revert, step);
	__atomic_store_n(&epoch_done, e, __ATOMIC_RELEASE);
	rt_sys4(SYS_futex, &epoch_done, FUTEX_WAKE_PRIVATE, 0x7fffffff, 0);
	__atomic_store_n(&busy, 0, __ATOMIC_RELEASE);
	return rc ? -EIO : 0;
}
