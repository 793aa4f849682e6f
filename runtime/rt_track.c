/*
 * rt_track — write tracking of old code during data coexistence (contract in rt_track.h,
 * design in docs/coexistence.md).
 *
 * Why /proc/self/mem and not a memfd alias: re-backing the old copy's pages by a shared
 * memfd gives a second writable mapping, but a fork child then shares those pages with
 * the parent until something notices, so a child that only reads (a snapshotting child,
 * as Redis's BGSAVE) sees the parent's later writes. A write through /proc/self/mem
 * (FOLL_FORCE) goes into the very private page the program has, so fork keeps its
 * copy-on-write meaning and the pages are never remapped. The fd is bound to the
 * process's memory, so a child reopens it: it knows it is a child because a
 * MADV_WIPEONFORK sentinel page reads zero there (no system call per write).
 *
 * Everything the handler and the trampoline touch is in `S`, set up by arm: no malloc
 * after that, only system calls and the program's sync functions.
 */
#include "rt_track.h"
#include "track_format.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>

#include "rt_sys.h"

/* Freestanding, as the rest of polus-rt.so: headers for constants and types only, raw
 * system calls, no libc function. errno is the program's: reached through libc's
 * __errno_location when the process has it (a weak reference). */
extern int *__errno_location(void) __attribute__((weak));

static size_t str_len(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

/* Byte copy that the compiler cannot turn into a memcpy call (no libc here). */
static void copy(void *dst, const void *src, size_t n)
{
	volatile unsigned char *d = dst;
	const unsigned char *p = src;
	while (n--)
		*d++ = *p++;
}

static long tid(void)
{
	return rt_sys3(SYS_gettid, 0, 0, 0);
}

#define MAX_VARS 64
#define MAX_FRAMES 1024
#define EFLAGS_ARITH 0x8d5UL /* CF PF AF ZF SF OF */
#define PAGE 4096UL

struct frame {
	void **slot; /* where the frame's return address is saved */
	void *ra;    /* the real return address */
	int done;
};

/* The kernel's struct sigaction (rt_sigaction), which libc's differs from. */
struct ksigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};

static struct {
	int lock;	     /* 0 free, 1 held, 2 held with waiters (a futex) */
	int state;	     /* enum polus_rt_track_state, a futex while ARMING */
	int memfd;	     /* /proc/self/mem */
	volatile int *alive; /* MADV_WIPEONFORK sentinel: 1 in the armed process, 0 in a child */
	int installed;	     /* our handler is the kernel's, libc's sigaction hooked */
	const struct trk_entry *e;
	uint32_t n;
	uintptr_t base, lo, hi; /* load base; protected pages [lo, hi) */
	struct polus_rt_track_var vars[MAX_VARS];
	unsigned nvars;
	struct frame frames[MAX_FRAMES];
	unsigned nframes;
	int left;		  /* frames not returned yet */
	struct sigaction prev;	  /* the program's own SIGSEGV action */
	unsigned char hooked[12]; /* the bytes of libc's sigaction the hook replaced */
	uintptr_t hook_at;	  /* libc's sigaction entry, once redirected */
	uint64_t stores, chained, start_ns, end_ns, last_return_ns;
} S = {.memfd = -1};

void rt_track_tramp(void);
void rt_track_restorer(void);

/* ---- lock and waiting (futexes: async-signal-safe) ---- */

static long futex(int *w, int op, int val)
{
	return rt_sys6(SYS_futex, (long)w, op, val, 0, 0, 0);
}

static void lock(void)
{
	/* the holder keeps it for one write (about a microsecond): spin before sleeping */
	for (int spin = 0; spin < 2000; spin++) {
		int c = 0;
		if (__atomic_compare_exchange_n(&S.lock, &c, 1, 0, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return;
		__builtin_ia32_pause();
	}
	while (__atomic_exchange_n(&S.lock, 2, __ATOMIC_ACQUIRE) != 0)
		futex(&S.lock, FUTEX_WAIT_PRIVATE, 2);
}

static void unlock(void)
{
	if (__atomic_exchange_n(&S.lock, 0, __ATOMIC_RELEASE) == 2)
		futex(&S.lock, FUTEX_WAKE_PRIVATE, 1);
}

static void set_state(int st)
{
	__atomic_store_n(&S.state, st, __ATOMIC_RELEASE);
	futex(&S.state, FUTEX_WAKE_PRIVATE, 1 << 30);
}

/* Outside the handler the lock is taken with every signal blocked, so a handler that
 * interrupts the holder (and writes a tracked variable) cannot deadlock on it. */
static void block_all(uint64_t *old)
{
	uint64_t all = ~0ULL;
	rt_sys4(SYS_rt_sigprocmask, SIG_SETMASK, &all, old, 8);
}

static void restore_mask(const uint64_t *old)
{
	rt_sys4(SYS_rt_sigprocmask, SIG_SETMASK, old, 0, 8);
}

static uint64_t now_ns(void)
{
	struct timespec t;
	rt_sys3(SYS_clock_gettime, CLOCK_MONOTONIC, &t, 0);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void say(const char *a, const char *b)
{
	rt_sys3(SYS_write, 2, a, str_len(a));
	rt_sys3(SYS_write, 2, b, str_len(b));
}

/* ---- the writable path ---- */

/* /proc/self/mem on a high descriptor, out of the way of a program's own numbering. */
static int open_mem(void)
{
	int fd = (int)rt_sys4(SYS_openat, AT_FDCWD, "/proc/self/mem", O_RDWR | O_CLOEXEC, 0);
	struct rlimit rl;
	if (fd < 0 || rt_sys4(SYS_prlimit64, 0, RLIMIT_NOFILE, 0, &rl) < 0 || rl.rlim_cur < 64)
		return fd;
	long hi =
	    rt_sys3(SYS_fcntl, fd, F_DUPFD_CLOEXEC, rl.rlim_cur > 4096 ? 4000 : rl.rlim_cur - 32);
	if (hi >= 0) {
		rt_sys3(SYS_close, fd, 0, 0);
		fd = (int)hi;
	}
	return fd;
}

static int mem_write(uintptr_t ea, const void *buf, size_t len)
{
	for (int tries = 0; tries < 2; tries++) {
		if (!*S.alive) { /* a fork child: its own memory, its own descriptor */
			rt_sys3(SYS_close, S.memfd, 0, 0);
			S.memfd = open_mem();
			*S.alive = 1;
		}
		long w = rt_sys4(SYS_pwrite64, S.memfd, buf, len, ea);
		if (w == (long)len)
			return 0;
		if (w != -EBADF) /* the program closed it: reopen once */
			return -1;
		S.memfd = open_mem();
	}
	return -1;
}

/* ---- completing one store ---- */

static const int greg_of[16] = {REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP,
				REG_RSI, REG_RDI, REG_R8,  REG_R9,  REG_R10, REG_R11,
				REG_R12, REG_R13, REG_R14, REG_R15};

static uint64_t reg_get(const ucontext_t *uc, unsigned r)
{
	const greg_t *g = uc->uc_mcontext.gregs;
	if (r < 16)
		return (uint64_t)g[greg_of[r]];
	if (r >= TRK_REG_AH && r < TRK_REG_AH + 4)
		return ((uint64_t)g[greg_of[r - TRK_REG_AH]] >> 8) & 0xff;
	return 0;
}

/* Writes a `size`-byte register as the CPU does: 4 bytes zero-extend, 1 and 2 merge. */
static void reg_set(ucontext_t *uc, unsigned r, unsigned size, uint64_t v)
{
	greg_t *g = uc->uc_mcontext.gregs;
	if (r >= TRK_REG_AH && r < TRK_REG_AH + 4) {
		uint64_t *p = (uint64_t *)&g[greg_of[r - TRK_REG_AH]];
		*p = (*p & ~0xff00ULL) | ((v & 0xff) << 8);
		return;
	}
	uint64_t *p = (uint64_t *)&g[greg_of[r & 15]];
	if (size >= 4)
		*p = size == 4 ? (uint32_t)v : v;
	else
		*p = (*p & ~(size == 1 ? 0xffULL : 0xffffULL)) | (v & (size == 1 ? 0xff : 0xffff));
}

static uintptr_t effective_address(const struct trk_entry *e, const ucontext_t *uc)
{
	uintptr_t rip = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
	uintptr_t ea = e->base == TRK_REG_RIP	 ? rip + e->len
		       : e->base == TRK_REG_NONE ? 0
						 : reg_get(uc, e->base);
	if (e->index != TRK_REG_NONE)
		ea += reg_get(uc, e->index) * e->scale;
	return ea + (uintptr_t)(intptr_t)e->disp;
}

/* Runs the operation on a copy with the program's flags, so results and flags are the
 * CPU's own. The red zone is stepped over: the asm pushes. */
#define FLAGS_ASM(body)                                                                            \
	"lea -128(%%rsp), %%rsp\n\tpushq %[fl]\n\tpopfq\n\t" body                                  \
	"\n\tpushfq\n\tpopq %[fl]\n\tlea 128(%%rsp), %%rsp"
#define ALU2(ins)                                                                                  \
	switch (size) {                                                                            \
	case 1:                                                                                    \
		__asm__(FLAGS_ASM(ins "b %b[s], %b[d]")                                            \
			: [d] "+r"(v), [fl] "+r"(fl)                                               \
			: [s] "r"(s)                                                               \
			: "cc");                                                                   \
		break;                                                                             \
	case 2:                                                                                    \
		__asm__(FLAGS_ASM(ins "w %w[s], %w[d]")                                            \
			: [d] "+r"(v), [fl] "+r"(fl)                                               \
			: [s] "r"(s)                                                               \
			: "cc");                                                                   \
		break;                                                                             \
	case 4:                                                                                    \
		__asm__(FLAGS_ASM(ins "l %k[s], %k[d]")                                            \
			: [d] "+r"(v), [fl] "+r"(fl)                                               \
			: [s] "r"(s)                                                               \
			: "cc");                                                                   \
		break;                                                                             \
	default:                                                                                   \
		__asm__(FLAGS_ASM(ins "q %q[s], %q[d]")                                            \
			: [d] "+r"(v), [fl] "+r"(fl)                                               \
			: [s] "r"(s)                                                               \
			: "cc");                                                                   \
	}
#define ALU1(ins)                                                                                  \
	switch (size) {                                                                            \
	case 1:                                                                                    \
		__asm__(FLAGS_ASM(ins "b %b[d]") : [d] "+r"(v), [fl] "+r"(fl) : : "cc");           \
		break;                                                                             \
	case 2:                                                                                    \
		__asm__(FLAGS_ASM(ins "w %w[d]") : [d] "+r"(v), [fl] "+r"(fl) : : "cc");           \
		break;                                                                             \
	case 4:                                                                                    \
		__asm__(FLAGS_ASM(ins "l %k[d]") : [d] "+r"(v), [fl] "+r"(fl) : : "cc");           \
		break;                                                                             \
	default:                                                                                   \
		__asm__(FLAGS_ASM(ins "q %q[d]") : [d] "+r"(v), [fl] "+r"(fl) : : "cc");           \
	}

/* v op= s in `size` bytes; *flp: EFLAGS in and out. */
static uint64_t alu(unsigned op, unsigned size, uint64_t v, uint64_t s, uint64_t *flp)
{
	uint64_t fl = *flp;
	switch (op) {
	case TRK_OP_ADD:
	case TRK_OP_XADD:
		ALU2("add");
		break;
	case TRK_OP_SUB:
		ALU2("sub");
		break;
	case TRK_OP_AND:
		ALU2("and");
		break;
	case TRK_OP_OR:
		ALU2("or");
		break;
	case TRK_OP_XOR:
		ALU2("xor");
		break;
	case TRK_OP_CMPXCHG: /* flags of cmp accumulator, destination; v stays */
		ALU2("cmp");
		break;
	case TRK_OP_INC:
		ALU1("inc");
		break;
	case TRK_OP_DEC:
		ALU1("dec");
		break;
	case TRK_OP_NEG:
		ALU1("neg");
		break;
	case TRK_OP_NOT:
		ALU1("not");
		break;
	}
	*flp = fl;
	return v;
}

/* Whether condition cc (x86 encoding) holds under EFLAGS fl. */
static int condition(unsigned cc, uint64_t fl)
{
	int cf = fl & 1, zf = !!(fl & 0x40), sf = !!(fl & 0x80), of = !!(fl & 0x800);
	int pf = !!(fl & 4), r;
	switch (cc >> 1) {
	case 0:
		r = of;
		break;
	case 1:
		r = cf;
		break;
	case 2:
		r = zf;
		break;
	case 3:
		r = cf || zf;
		break;
	case 4:
		r = sf;
		break;
	case 5:
		r = pf;
		break;
	case 6:
		r = sf != of;
		break;
	default:
		r = zf || sf != of;
	}
	return (cc & 1) ? !r : r;
}

static uint64_t load(uintptr_t ea, unsigned size)
{
	switch (size) {
	case 1:
		return *(volatile uint8_t *)ea;
	case 2:
		return *(volatile uint16_t *)ea;
	case 4:
		return *(volatile uint32_t *)ea;
	default:
		return *(volatile uint64_t *)ea;
	}
}

/* Computes what instruction e stores at ea, writes it, updates registers and flags. */
static int complete(const struct trk_entry *e, uintptr_t ea, ucontext_t *uc)
{
	greg_t *g = uc->uc_mcontext.gregs;
	if (e->src >= TRK_REG_XMM0 && e->src < TRK_REG_XMM0 + 16) {
		if (!uc->uc_mcontext.fpregs)
			return -1;
		return mem_write(ea, uc->uc_mcontext.fpregs->_xmm[e->src - TRK_REG_XMM0].element,
				 e->size);
	}
	uint64_t s = e->flags & TRK_F_IMM ? (uint64_t)e->imm : reg_get(uc, e->src);
	uint64_t fl = (uint64_t)g[REG_EFL] & EFLAGS_ARITH, v = 0, old = 0;
	if (e->op != TRK_OP_MOV && e->op != TRK_OP_SETCC)
		old = v = load(ea, e->size);
	switch (e->op) {
	case TRK_OP_MOV:
		v = s;
		break;
	case TRK_OP_SETCC:
		v = (uint64_t)condition(e->src, fl);
		break;
	case TRK_OP_XCHG:
		v = s;
		reg_set(uc, e->src, e->size, old);
		break;
	case TRK_OP_CMPXCHG: {
		uint64_t acc = reg_get(uc, TRK_REG_RAX);
		alu(e->op, e->size, acc, old, &fl);
		if (!(fl & 0x40)) { /* not equal: the accumulator takes the value, memory stays */
			reg_set(uc, TRK_REG_RAX, e->size, old);
			g[REG_EFL] = (greg_t)(((uint64_t)g[REG_EFL] & ~EFLAGS_ARITH) | fl);
			return 0;
		}
		v = s;
		break;
	}
	default:
		v = alu(e->op, e->size, v, s, &fl);
		if (e->op == TRK_OP_XADD)
			reg_set(uc, e->src, e->size, old);
	}
	if (mem_write(ea, &v, e->size) < 0)
		return -1;
	if (!(e->flags & TRK_F_NOFLAGS))
		g[REG_EFL] = (greg_t)(((uint64_t)g[REG_EFL] & ~EFLAGS_ARITH) | (fl & EFLAGS_ARITH));
	return 0;
}

static const struct trk_entry *lookup_entry(uintptr_t off)
{
	uint32_t lo = 0, hi = S.n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (S.e[mid].off == off)
			return &S.e[mid];
		if (S.e[mid].off < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static void sync_vars(uintptr_t ea, size_t len)
{
	for (unsigned i = 0; i < S.nvars; i++) {
		const struct polus_rt_track_var *v = &S.vars[i];
		uintptr_t a = ea > v->addr ? ea : v->addr;
		uintptr_t b = ea + len < v->addr + v->size ? ea + len : v->addr + v->size;
		if (a < b && v->sync)
			v->sync(v->ctx, a - v->addr, b - a);
	}
}

/* A store nobody can complete: the program dies of it, as it would have without us. */
static void fatal_store(const char *why)
{
	say("polus: write tracking cannot complete an old-code store: ", why);
	struct ksigaction k = {.handler = SIG_DFL};
	rt_sys4(SYS_rt_sigaction, SIGSEGV, &k, 0, 8);
}

/* Our fault: a write to a protected page. Returns with the instruction done or to retry. */
static void handle(ucontext_t *uc)
{
	lock();
	while (__atomic_load_n(&S.state, __ATOMIC_ACQUIRE) == POLUS_TRACK_ARMING) {
		unlock(); /* armed, the new copy not initialized yet: wait for start */
		futex(&S.state, FUTEX_WAIT_PRIVATE, POLUS_TRACK_ARMING);
		lock();
	}
	if (S.state != POLUS_TRACK_ACTIVE) { /* ended meanwhile: the store will succeed */
		unlock();
		return;
	}
	uintptr_t rip = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
	const struct trk_entry *e = lookup_entry(rip - S.base);
	uintptr_t ea = e ? effective_address(e, uc) : 0;
	if (!e || e->op == TRK_OP_UNSUPPORTED || ea < S.lo || ea + e->size > S.hi) {
		unlock();
		fatal_store(!e	    ? "instruction not in the store table\n"
			    : e->op ? "address outside the tracked pages\n"
				    : "unsupported instruction\n");
		return;
	}
	if (complete(e, ea, uc) < 0) {
		unlock();
		fatal_store("cannot write /proc/self/mem\n");
		return;
	}
	sync_vars(ea, e->size);
	S.stores++;
	uc->uc_mcontext.gregs[REG_RIP] = (greg_t)(rip + e->len);
	unlock();
}

/* ---- the program's own SIGSEGV handling ---- */

static void chain(int sig, siginfo_t *si, void *uc)
{
	struct sigaction p;
	lock();
	copy(&p, &S.prev, sizeof(p));
	if (p.sa_flags & SA_RESETHAND)
		S.prev.sa_handler = SIG_DFL;
	S.chained++;
	unlock();
	if (p.sa_handler == SIG_IGN && si->si_code <= 0)
		return; /* an ignored kill(): nothing happens */
	if (p.sa_handler == SIG_DFL || p.sa_handler == SIG_IGN) {
		/* default action: a fault re-executes and kills, a kill() is sent again */
		struct ksigaction k = {.handler = SIG_DFL};
		rt_sys4(SYS_rt_sigaction, SIGSEGV, &k, 0, 8);
		if (si->si_code <= 0)
			rt_sys3(SYS_tgkill, rt_sys3(SYS_getpid, 0, 0, 0), tid(), SIGSEGV);
		return;
	}
	/* the mask the program's handler asked for, as the kernel would have set it */
	uint64_t mask = ((ucontext_t *)uc)->uc_sigmask.__val[0];
	uint64_t want = mask | ((const uint64_t *)&p.sa_mask)[0];
	if (!(p.sa_flags & SA_NODEFER))
		want |= 1ULL << (SIGSEGV - 1);
	rt_sys4(SYS_rt_sigprocmask, SIG_SETMASK, &want, 0, 8);
	if (p.sa_flags & SA_SIGINFO)
		p.sa_sigaction(sig, si, uc);
	else
		p.sa_handler(sig);
}

/* A write fault on the protected pages while armed. Just after the end, one that raced
 * with it is ours too (handle() lets it retry); a second later the pages are plainly the
 * program's again, whatever it does with them. */
static int own_fault(const siginfo_t *si)
{
	uintptr_t a = (uintptr_t)si->si_addr;
	if (si->si_code != SEGV_ACCERR || a < S.lo || a >= S.hi)
		return 0;
	int st = __atomic_load_n(&S.state, __ATOMIC_ACQUIRE);
	return st == POLUS_TRACK_ARMING || st == POLUS_TRACK_ACTIVE ||
	       (st == POLUS_TRACK_ENDED && now_ns() - S.end_ns < 1000000000u);
}

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	int *err = __errno_location ? __errno_location() : NULL, saved = err ? *err : 0;
	if (own_fault(si))
		handle(uc);
	else
		chain(sig, si, uc);
	if (err)
		*err = saved;
}

/* libc's struct sigaction to the kernel's, with our signal return stub (the same bytes
 * as libc's __restore_rt, which unwinders recognize). */
static void to_kernel(const struct sigaction *a, struct ksigaction *k)
{
	k->handler = (void *)a->sa_handler;
	k->flags = (unsigned long)a->sa_flags | 0x04000000 /* SA_RESTORER */;
	k->restorer = (void *)rt_track_restorer;
	copy(&k->mask, &a->sa_mask, 8);
}

static void from_kernel(const struct ksigaction *k, struct sigaction *a)
{
	volatile unsigned char *p = (volatile unsigned char *)a;
	for (size_t i = 0; i < sizeof(*a); i++)
		p[i] = 0;
	a->sa_handler = (void (*)(int))k->handler;
	a->sa_flags = (int)k->flags;
	a->sa_restorer = (void (*)(void))k->restorer;
	copy(&a->sa_mask, &k->mask, 8);
}

int polus_rt_track_sigaction(int sig, const struct sigaction *act, struct sigaction *oact)
{
	if (sig <= 0 || sig >= 65 || sig == 32 || sig == 33) { /* as glibc: its own signals */
		if (__errno_location)
			*__errno_location() = EINVAL;
		return -1;
	}
	if (sig == SIGSEGV) { /* the program's view; the kernel keeps ours */
		uint64_t m;
		block_all(&m);
		lock();
		if (oact)
			copy(oact, &S.prev, sizeof(*oact));
		if (act)
			copy(&S.prev, act, sizeof(*act));
		unlock();
		restore_mask(&m);
		return 0;
	}
	struct ksigaction k, ko;
	if (act)
		to_kernel(act, &k);
	long r = rt_sys4(SYS_rt_sigaction, sig, act ? &k : NULL, oact ? &ko : NULL, 8);
	if (r == 0 && oact)
		from_kernel(&ko, oact);
	if (r < 0 && __errno_location)
		*__errno_location() = (int)-r;
	return r < 0 ? -1 : 0;
}

/* libc's sigaction entry jumps to polus_rt_track_sigaction from now on (movabs; jmp
 * *%rax: %rax carries no argument of sigaction), so the program's own SIGSEGV handler,
 * installed before or after arming, is recorded as the one to chain to and ours stays. */
static int hook_libc_sigaction(uintptr_t at)
{
	unsigned char *p = (unsigned char *)at;
	uintptr_t to = (uintptr_t)&polus_rt_track_sigaction;
	uintptr_t pg = at & ~(PAGE - 1);
	size_t span = (at + 12 - pg + PAGE - 1) & ~(PAGE - 1);
	long rc = rt_sys3(SYS_mprotect, pg, span, PROT_READ | PROT_WRITE | PROT_EXEC);
	if (rc < 0)
		return (int)rc;
	unsigned char jmp[12] = {0x48, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xe0};
	copy(jmp + 2, &to, 8);
	copy(S.hooked, p, 12);
	copy(p, jmp, 12);
	S.hook_at = at;
	return (int)rt_sys3(SYS_mprotect, pg, span, PROT_READ | PROT_EXEC);
}

/* Installs our handler once; it stays (it passes on whatever is not its own). Every
 * signal is blocked while it runs: nothing runs in between while it holds the lock. */
static int install(uintptr_t libc_sigaction)
{
	if (S.installed)
		return 0;
	struct ksigaction k = {(void *)on_segv, SA_SIGINFO | SA_ONSTACK | SA_RESTART | 0x04000000,
			       (void *)rt_track_restorer, ~0ULL},
			  ko;
	long rc = rt_sys4(SYS_rt_sigaction, SIGSEGV, &k, &ko, 8);
	if (rc < 0)
		return (int)rc;
	from_kernel(&ko, &S.prev);
	if (libc_sigaction && (rc = hook_libc_sigaction(libc_sigaction)) < 0) {
		rt_sys4(SYS_rt_sigaction, SIGSEGV, &ko, 0, 8);
		return (int)rc;
	}
	S.installed = 1;
	return 0;
}

/* ---- the end of coexistence ---- */

static void end_locked(void)
{
	if (S.state == POLUS_TRACK_ENDED || S.state == POLUS_TRACK_IDLE)
		return;
	rt_sys3(SYS_mprotect, S.lo, S.hi - S.lo, PROT_READ | PROT_WRITE);
	S.end_ns = now_ns();
	set_state(POLUS_TRACK_ENDED);
}

/* Called by rt_track_tramp when a tracked frame returns: its real return address. */
__attribute__((visibility("hidden"), used)) void *rt_track_returned(void **slot)
{
	uint64_t m;
	block_all(&m);
	lock();
	void *ra = NULL;
	for (unsigned i = 0; i < S.nframes && !ra; i++)
		if (S.frames[i].slot == slot && !S.frames[i].done) {
			S.frames[i].done = 1;
			ra = S.frames[i].ra;
		}
	if (ra && --S.left == 0) {
		S.last_return_ns = now_ns();
		if (S.state == POLUS_TRACK_ACTIVE)
			end_locked();
	}
	unlock();
	restore_mask(&m);
	if (!ra) { /* nowhere to return to: die as abort() would */
		say("polus: a tracked frame returned through an unknown slot", "\n");
		rt_sys3(SYS_tgkill, rt_sys3(SYS_getpid, 0, 0, 0), tid(), SIGABRT);
		rt_sys3(SYS_exit_group, 134, 0, 0);
	}
	return ra;
}

/* The frame returned here; %rsp is one past its return-address slot. Keeps the return
 * value registers (rax, rdx, xmm0, xmm1), puts the real address into the slot, returns
 * through it. */
__asm__(".text\n"
	".globl rt_track_tramp\n"
	".hidden rt_track_tramp\n"
	".type rt_track_tramp, @function\n"
	"rt_track_tramp:\n"
	"	sub $8, %rsp\n"
	"	push %rax\n"
	"	push %rdx\n"
	"	sub $40, %rsp\n"
	"	movdqu %xmm0, (%rsp)\n"
	"	movdqu %xmm1, 16(%rsp)\n"
	"	lea 56(%rsp), %rdi\n"
	"	call rt_track_returned\n"
	"	mov %rax, 56(%rsp)\n"
	"	movdqu (%rsp), %xmm0\n"
	"	movdqu 16(%rsp), %xmm1\n"
	"	add $40, %rsp\n"
	"	pop %rdx\n"
	"	pop %rax\n"
	"	ret\n"
	".size rt_track_tramp, .-rt_track_tramp\n"
	/* signal return, the bytes of libc's __restore_rt */
	".globl rt_track_restorer\n"
	".hidden rt_track_restorer\n"
	".type rt_track_restorer, @function\n"
	"rt_track_restorer:\n"
	"	movq $15, %rax\n"
	"	syscall\n"
	".size rt_track_restorer, .-rt_track_restorer\n");

/* ---- arming ---- */

static int parse_hex_mask(const char *p, uint64_t *m)
{
	*m = 0;
	for (; *p && *p != '\n'; p++) {
		int d = *p >= '0' && *p <= '9'	 ? *p - '0'
			: *p >= 'a' && *p <= 'f' ? *p - 'a' + 10
						 : -1;
		if (d < 0)
			return -1;
		*m = *m << 4 | (uint64_t)d;
	}
	return 0;
}

static long to_num(const char *p)
{
	long n = 0;
	for (; *p >= '0' && *p <= '9'; p++)
		n = n * 10 + (*p - '0');
	return n;
}

/* The SigBlk mask in the text of a /proc status file, or -1. */
static int sigblk(const char *st, uint64_t *m)
{
	static const char key[] = "SigBlk:\t";
	for (const char *p = st; *p; p++) {
		size_t i = 0;
		while (key[i] && p[i] == key[i])
			i++;
		if (!key[i])
			return parse_hex_mask(p + i, m);
	}
	return -1;
}

/* Whether thread `name` (a /proc/self/task entry) blocks SIGSEGV. */
static int task_blocks_segv(const char *name)
{
	char path[64] = "/proc/self/task/", st[2048];
	size_t n = str_len(path), l = str_len(name);
	if (l > 20)
		return 0;
	copy(path + n, name, l);
	copy(path + n + l, "/status", 8);
	long fd = rt_sys4(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
	long r = fd < 0 ? -1 : rt_sys3(SYS_read, fd, st, sizeof(st) - 1);
	if (fd >= 0)
		rt_sys3(SYS_close, fd, 0, 0);
	if (r <= 0)
		return 0;
	st[r] = 0;
	uint64_t m;
	return sigblk(st, &m) == 0 && (m & (1ULL << (SIGSEGV - 1)));
}

/* The tid of a thread but the caller that blocks SIGSEGV (0: none). The caller's own mask
 * may be the injector's while it runs an injected call: the injector checks that thread's
 * real mask itself. */
static pid_t thread_blocking_segv(void)
{
	char buf[4096];
	long dir = rt_sys4(SYS_openat, AT_FDCWD, "/proc/self/task",
			   O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0),
	     n, self = tid();
	pid_t found = 0;
	if (dir < 0)
		return 0;
	while (!found && (n = rt_sys3(SYS_getdents64, dir, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < n && !found;) {
			const char *name = buf + off + 19; /* d_name in struct linux_dirent64 */
			off += *(unsigned short *)(buf + off + 16);
			if (*name >= '0' && *name <= '9' && to_num(name) != self &&
			    task_blocks_segv(name))
				found = (pid_t)to_num(name);
		}
	}
	rt_sys3(SYS_close, dir, 0, 0);
	return found;
}

static pid_t blocked_tid;

static int check_table(const void *table, size_t len)
{
	const struct trk_header *h = table;
	if (!table || len < sizeof(*h) || h->magic != TRK_MAGIC || h->version != TRK_VERSION ||
	    h->entry_size != sizeof(struct trk_entry) ||
	    (len - sizeof(*h)) / sizeof(struct trk_entry) < h->nentries)
		return -EINVAL;
	const struct trk_entry *e = (const void *)(h + 1);
	for (uint32_t i = 1; i < h->nentries; i++)
		if (e[i - 1].off >= e[i].off)
			return -EINVAL;
	return 0;
}

/* Pages of the variables, the sentinel, the descriptor: what arm needs before changing
 * anything visible. */
static int prepare(const struct polus_rt_track_var *vars, unsigned nvars)
{
	uintptr_t lo = UINTPTR_MAX, hi = 0;
	for (unsigned i = 0; i < nvars; i++) {
		if (!vars[i].addr || !vars[i].size)
			return -EINVAL;
		lo = vars[i].addr < lo ? vars[i].addr : lo;
		hi = vars[i].addr + vars[i].size > hi ? vars[i].addr + vars[i].size : hi;
	}
	S.lo = lo & ~(PAGE - 1);
	S.hi = (hi + PAGE - 1) & ~(PAGE - 1);
	if (!S.alive) {
		long p = rt_sys6(SYS_mmap, 0, PAGE, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p < 0 && p > -4096)
			return (int)p;
		long rc = rt_sys3(SYS_madvise, p, PAGE, MADV_WIPEONFORK);
		if (rc < 0) {
			rt_sys3(SYS_munmap, p, PAGE, 0);
			return (int)rc;
		}
		S.alive = (volatile int *)p;
	}
	if (S.memfd < 0 || !*S.alive) {
		if (S.memfd >= 0)
			rt_sys3(SYS_close, S.memfd, 0, 0);
		S.memfd = open_mem();
		if (S.memfd < 0)
			return S.memfd;
		*S.alive = 1;
	}
	return 0;
}

static void swap_frames(const uintptr_t *frames, unsigned nframes)
{
	for (unsigned i = 0; i < nframes; i++) {
		void **slot = (void **)frames[i];
		S.frames[i] = (struct frame){slot, *slot, 0};
		__atomic_store_n(slot, (void *)rt_track_tramp, __ATOMIC_RELEASE);
	}
	S.nframes = nframes;
	S.left = (int)nframes;
}

int polus_rt_track_arm(const struct polus_rt_track_args *a)
{
	int rc;
	if (!a || a->size < sizeof(*a) || !a->vars || a->nvars == 0 || (a->nframes && !a->frames))
		return -EINVAL;
	if (a->nvars > MAX_VARS || a->nframes > MAX_FRAMES)
		return -E2BIG;
	if ((rc = check_table(a->table, a->table_len)) < 0)
		return rc;
	if (S.state == POLUS_TRACK_ARMING || S.state == POLUS_TRACK_ACTIVE)
		return -EBUSY;
	if ((blocked_tid = thread_blocking_segv()) != 0)
		return -EDEADLK;
	if ((rc = prepare(a->vars, a->nvars)) < 0 || (rc = install(a->libc_sigaction)) < 0)
		return rc;
	uint64_t m;
	block_all(&m);
	lock();
	S.e = (const struct trk_entry *)((const struct trk_header *)a->table + 1);
	S.n = ((const struct trk_header *)a->table)->nentries;
	S.base = a->load_base;
	copy(S.vars, a->vars, a->nvars * sizeof(*a->vars));
	S.nvars = a->nvars;
	S.stores = S.chained = S.start_ns = S.end_ns = S.last_return_ns = 0;
	__atomic_store_n(&S.state, POLUS_TRACK_ARMING, __ATOMIC_RELEASE);
	rc = (int)rt_sys3(SYS_mprotect, S.lo, S.hi - S.lo, PROT_READ);
	if (rc < 0)
		__atomic_store_n(&S.state, POLUS_TRACK_IDLE, __ATOMIC_RELEASE);
	else
		swap_frames(a->frames, a->nframes);
	unlock();
	restore_mask(&m);
	return rc;
}

int polus_rt_track_start(void)
{
	uint64_t m;
	int rc = 0;
	block_all(&m);
	lock();
	if (S.state != POLUS_TRACK_ARMING) {
		rc = -EINVAL;
	} else {
		S.start_ns = now_ns();
		set_state(POLUS_TRACK_ACTIVE);
		if (S.left == 0)
			end_locked();
	}
	unlock();
	restore_mask(&m);
	return rc;
}

int polus_rt_track_end(void)
{
	uint64_t m;
	block_all(&m);
	lock();
	for (unsigned i = 0; i < S.nframes; i++)
		if (!S.frames[i].done && *S.frames[i].slot == (void *)rt_track_tramp) {
			*S.frames[i].slot = S.frames[i].ra;
			S.frames[i].done = 1;
			S.left--;
		}
	end_locked();
	unlock();
	restore_mask(&m);
	return 0;
}

int polus_rt_track_status(struct polus_rt_track_status *st)
{
	if (!st || st->size < sizeof(*st))
		return -EINVAL;
	uint64_t m;
	block_all(&m);
	lock();
	st->size = sizeof(*st);
	st->state = S.state;
	st->nvars = S.nvars;
	st->frames = S.nframes;
	st->frames_left = (uint32_t)S.left;
	st->blocked_tid = blocked_tid;
	st->stores = S.stores;
	st->chained = S.chained;
	st->start_ns = S.start_ns;
	st->end_ns = S.end_ns;
	st->last_return_ns = S.last_return_ns;
	unlock();
	restore_mask(&m);
	return 0;
}
