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
/* The runtime's agent thread, when this module is linked into polus-rt.so (rt_agent.c);
 * hidden and weak: nothing to import when the module is built alone. */
extern int polus_rt_agent_tid(void) __attribute__((weak, visibility("hidden")));

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

#define MAX_VARS POLUS_TRACK_MAX_VARS
#define MAX_FRAMES POLUS_TRACK_MAX_FRAMES
#define EFLAGS_ARITH 0x8d5UL /* CF PF AF ZF SF OF */
#define PAGE 4096UL

/* The kernel's struct sigaction (rt_sigaction), which libc's differs from. */
struct ksigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};

/* What polus-status reads (rt_track.h); P for short. On pages of its own: never on the
 * pages it protects (when the module is linked into a program, as the tests do). */
POLUS_EXPORT struct polus_rt_track_shared polus_rt_track_state __attribute__((aligned(4096)));
#define P polus_rt_track_state

static struct {
	int lock;	     /* 0 free, 1 held, 2 held with waiters (a futex) */
	int memfd;	     /* /proc/self/mem */
	volatile int *alive; /* MADV_WIPEONFORK sentinel: 1 in the armed process, 0 in a child */
	int installed;	     /* our handler is the kernel's, libc's sigaction hooked */
	const struct trk_entry *e;
	uint32_t n;
	uintptr_t base, lo, hi;	  /* load base; protected pages [lo, hi) */
	int *flags[MAX_VARS];	  /* the patch's coexistence flags */
	struct sigaction prev;	  /* the program's own SIGSEGV action */
	unsigned char hooked[12]; /* the bytes of libc's sigaction the hook replaced */
	uintptr_t hook_at;	  /* libc's sigaction entry, once redirected */
} S = {.memfd = -1};

/* arm's arguments, written by polus-apply (rt_track.h). */
POLUS_EXPORT unsigned char polus_rt_track_argbuf[POLUS_TRACK_ARGS_MAX] __attribute__((aligned(16)));

/* polus_rt_track_carry's copy of an old copy (no allocation in the target). */
static unsigned char carry_buf[POLUS_TRACK_CARRY_MAX];

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
	__atomic_store_n(&P.state, st, __ATOMIC_RELEASE);
	futex(&P.state, FUTEX_WAKE_PRIVATE, 1 << 30);
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
	for (unsigned i = 0; i < P.nvars; i++) {
		const struct polus_rt_track_var *v = &P.vars[i];
		uintptr_t a = ea > v->addr ? ea : v->addr;
		uintptr_t b = ea + len < v->addr + v->size ? ea + len : v->addr + v->size;
		if (a < b && v->sync)
			v->sync(v->ctx, a - v->addr, b - a);
	}
}

/* ---- stores of code outside the table ---- */

/* ModRM's memory operand at p (REX bits in rex) into e; the bytes it took, or -1 for a
 * register operand. */
static int modrm_mem(const uint8_t *p, unsigned rex, struct trk_entry *e)
{
	unsigned mod = p[0] >> 6, rm = (p[0] & 7) | ((rex & 1) << 3);
	int n = 1;
	e->base = (uint8_t)rm;
	e->index = TRK_REG_NONE;
	e->scale = 1;
	e->disp = 0;
	if (mod == 3)
		return -1;
	if ((rm & 7) == 4) { /* SIB */
		unsigned sib = p[n++], idx = ((sib >> 3) & 7) | ((rex & 2) << 2);
		e->scale = (uint8_t)(1u << (sib >> 6));
		e->index = idx == 4 ? TRK_REG_NONE : (uint8_t)idx;
		e->base = (uint8_t)((sib & 7) | ((rex & 1) << 3));
		if ((sib & 7) == 5 && mod == 0) {
			e->base = TRK_REG_NONE;
			mod = 2; /* disp32, no base */
		}
	} else if (mod == 0 && (rm & 7) == 5) {
		e->base = TRK_REG_RIP;
		mod = 2;
	}
	if (mod == 1) {
		e->disp = (int8_t)p[n];
		n += 1;
	} else if (mod == 2) {
		int32_t d;
		copy(&d, p + n, 4);
		e->disp = d;
		n += 4;
	}
	return n;
}

/* The operation of a one-byte ALU opcode group /n (80, 81, 83), or 0: adc, sbb, cmp. */
static unsigned group1(unsigned n)
{
	static const unsigned char ops[8] = {TRK_OP_ADD, TRK_OP_OR,  0,		 0,
					     TRK_OP_AND, TRK_OP_SUB, TRK_OP_XOR, 0};
	return ops[n & 7];
}

/* op, whether its source is ModRM's reg, and the immediate's size, of opcode b (two: after
 * 0f) with ModRM reg field r. 0: not a store polus completes. */
static unsigned opcode(unsigned b, int two, unsigned r, int *src_reg, int *imm)
{
	*src_reg = 1;
	*imm = 0;
	if (two) {
		if ((b & 0xf0) == 0x90)
			return *src_reg = 0, TRK_OP_SETCC;
		return b == 0xb0 || b == 0xb1	? TRK_OP_CMPXCHG
		       : b == 0xc0 || b == 0xc1 ? TRK_OP_XADD
						: 0;
	}
	if (b < 0x40 && (b & 7) < 2)
		return group1(b >> 3); /* add or adc sbb and sub xor cmp r -> m: the same order */
	*src_reg = 0;
	switch (b) {
	case 0x88:
	case 0x89:
		return *src_reg = 1, TRK_OP_MOV;
	case 0x86:
	case 0x87:
		return *src_reg = 1, TRK_OP_XCHG;
	case 0xc6:
	case 0xc7:
		return *imm = b == 0xc6 ? 1 : 4, r == 0 ? TRK_OP_MOV : 0;
	case 0x80:
	case 0x83:
		return *imm = 1, group1(r);
	case 0x81:
		return *imm = 4, group1(r);
	case 0xfe:
	case 0xff:
		return r == 0 ? TRK_OP_INC : r == 1 ? TRK_OP_DEC : 0;
	case 0xf6:
	case 0xf7:
		return r == 2 ? TRK_OP_NOT : r == 3 ? TRK_OP_NEG : 0;
	}
	return 0;
}

/*
 * Decodes the store at p into e, as polus-mkpatch would have listed it: for code the table
 * does not know (libc writing a mutex that shares the protected pages, the patch's own
 * code writing a neighbour). 0, or -1 for anything else (string stores, SSE, shifts).
 */
static int decode(const uint8_t *p, struct trk_entry *e)
{
	int i = 0, o16 = 0, lock = 0, src_reg, imm;
	unsigned rex = 0;
	for (;; i++) {
		if (p[i] == 0xf0)
			lock = 1;
		else if (p[i] == 0x66)
			o16 = 1;
		else if (p[i] != 0x2e && p[i] != 0x3e && p[i] != 0x26 && p[i] != 0x36)
			break;
	}
	if (p[i] >= 0x40 && p[i] <= 0x4f)
		rex = p[i++] & 15;
	int two = p[i] == 0x0f;
	unsigned b = p[i + two];
	i += two + 1;
	unsigned r = ((p[i] >> 3) & 7) | ((rex & 4) << 1);
	unsigned op = opcode(b, two, r & 7, &src_reg, &imm);
	int n = op ? modrm_mem(p + i, rex, e) : -1;
	if (n < 0)
		return -1;
	i += n;
	int byte = two ? (b & 0xf0) == 0x90 || !(b & 1) : b == 0xc6 || b == 0x80 || !(b & 1);
	if (!two && (b == 0x81 || b == 0x83 || b == 0xc7 || b == 0xff || b == 0xf7))
		byte = 0;
	e->size = (uint8_t)(byte ? 1 : rex & 8 ? 8 : o16 ? 2 : 4);
	if (imm == 4 && o16)
		imm = 2;
	e->imm = 0;
	if (imm) {
		int32_t v = imm == 1   ? (int8_t)p[i]
			    : imm == 2 ? (int16_t)(p[i] | p[i + 1] << 8)
				       : 0;
		if (imm == 4)
			copy(&v, p + i, 4);
		e->imm = v;
		i += imm;
	}
	e->op = (uint8_t)op;
	e->len = (uint8_t)i;
	e->src = op == TRK_OP_SETCC		? (uint8_t)(b & 15)
		 : !src_reg			? TRK_REG_NONE
		 : byte && !rex && (r & 7) >= 4 ? (uint8_t)(TRK_REG_AH + (r & 3))
						: (uint8_t)r;
	e->flags = (uint8_t)((imm ? TRK_F_IMM : 0) | (lock || op == TRK_OP_XCHG ? TRK_F_LOCK : 0) |
			     (op == TRK_OP_MOV || op == TRK_OP_XCHG || op == TRK_OP_NOT ||
				      op == TRK_OP_SETCC
				  ? TRK_F_NOFLAGS
				  : 0));
	return 0;
}

/* A store nobody can complete: the program dies of it, as it would have without us. */
static void fatal_store(const char *why)
{
	say("polus: write tracking cannot complete an old-code store: ", why);
	struct ksigaction k = {.handler = SIG_DFL};
	rt_sys4(SYS_rt_sigaction, SIGSEGV, &k, 0, 8);
}

static int traced(void);
static void arming_orphaned(void);

/* Our fault: a write to a protected page. Returns with the instruction done or to retry. */
static void handle(ucontext_t *uc)
{
	lock();
	while (__atomic_load_n(&P.state, __ATOMIC_ACQUIRE) == POLUS_TRACK_ARMING) {
		unlock(); /* armed, the new copy not initialized yet: wait for start */
		struct timespec slice = {0, 100000000};
		rt_sys6(SYS_futex, (long)&P.state, FUTEX_WAIT_PRIVATE, POLUS_TRACK_ARMING,
			(long)&slice, 0, 0);
		lock();
		if (P.state == POLUS_TRACK_ARMING && now_ns() - P.arm_ns > 2000000000u && !traced())
			arming_orphaned();
	}
	if (P.state != POLUS_TRACK_ACTIVE) { /* ended meanwhile: the store will succeed */
		unlock();
		return;
	}
	uintptr_t rip = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
	const struct trk_entry *e = lookup_entry(rip - S.base);
	struct trk_entry d;
	if (!e && decode((const uint8_t *)rip, &d) == 0) /* code the table does not know */
		e = &d;
	uintptr_t ea = e ? effective_address(e, uc) : 0;
	if (!e || e->op == TRK_OP_UNSUPPORTED || ea < S.lo || ea + e->size > S.hi) {
		unlock();
		fatal_store(!e	    ? "instruction neither in the store table nor decoded\n"
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
	P.stores++;
	P.seq++;
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
	P.chained++;
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
	int st = __atomic_load_n(&P.state, __ATOMIC_ACQUIRE);
	return st == POLUS_TRACK_ARMING || st == POLUS_TRACK_ACTIVE ||
	       (st == POLUS_TRACK_ENDED && now_ns() - P.end_ns < 1000000000u);
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

/* The patch's coexistence flags: set while armed, cleared at the end. */
static void set_flags(int v)
{
	for (unsigned i = 0; i < P.nvars; i++)
		if (S.flags[i])
			__atomic_store_n(S.flags[i], v, __ATOMIC_RELEASE);
}

static void end_locked(void)
{
	if (P.state == POLUS_TRACK_ENDED || P.state == POLUS_TRACK_IDLE)
		return;
	set_flags(0); /* new code stops carrying its stores */
	rt_sys3(SYS_mprotect, S.lo, S.hi - S.lo, PROT_READ | PROT_WRITE);
	P.end_ns = now_ns();
	P.seq++;
	set_state(POLUS_TRACK_ENDED);
}

/* Called by rt_track_tramp when a tracked frame returns: its real return address. */
__attribute__((visibility("hidden"), used)) void *rt_track_returned(void **slot)
{
	uint64_t m;
	block_all(&m);
	lock();
	void *ra = NULL;
	for (unsigned i = 0; i < P.nframes && !ra; i++)
		if (P.frames[i].slot == (uintptr_t)slot && !P.frames[i].done) {
			P.frames[i].done = 1;
			ra = (void *)P.frames[i].ra;
			P.seq++;
		}
	if (ra && --P.left == 0) {
		P.last_return_ns = now_ns();
		if (P.state == POLUS_TRACK_ACTIVE)
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

/* The value after `key` in the text of a /proc status file, or NULL. */
static const char *field(const char *st, const char *key)
{
	for (const char *p = st; *p; p++) {
		size_t i = 0;
		while (key[i] && p[i] == key[i])
			i++;
		if (!key[i])
			return p + i;
	}
	return NULL;
}

/* Reads a /proc status file into st (NUL-terminated): its length, or <= 0. */
static long read_status(const char *path, char *st, size_t len)
{
	long fd = rt_sys4(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
	long r = fd < 0 ? -1 : rt_sys3(SYS_read, fd, st, len - 1);
	if (fd >= 0)
		rt_sys3(SYS_close, fd, 0, 0);
	st[r > 0 ? r : 0] = 0;
	return r;
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
	const char *v = read_status(path, st, sizeof(st)) > 0 ? field(st, "SigBlk:\t") : NULL;
	uint64_t m;
	return v && parse_hex_mask(v, &m) == 0 && (m & (1ULL << (SIGSEGV - 1)));
}

/* Whether a tracer (polus-apply) holds the calling thread. */
static int traced(void)
{
	char st[2048];
	const char *v = read_status("/proc/thread-self/status", st, sizeof(st)) > 0
			    ? field(st, "TracerPid:\t")
			    : NULL;
	return v && to_num(v) != 0;
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
	/* the runtime's agent (rt_agent.c) blocks every signal, and writes no program data */
	long agent = polus_rt_agent_tid ? polus_rt_agent_tid() : 0;
	pid_t found = 0;
	if (dir < 0)
		return 0;
	while (!found && (n = rt_sys3(SYS_getdents64, dir, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < n && !found;) {
			const char *name = buf + off + 19; /* d_name in struct linux_dirent64 */
			off += *(unsigned short *)(buf + off + 16);
			if (*name >= '0' && *name <= '9' && to_num(name) != self &&
			    to_num(name) != agent && task_blocks_segv(name))
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

static void swap_frames(const uintptr_t *frames, const struct polus_rt_track_frame *info,
			unsigned nframes)
{
	for (unsigned i = 0; i < nframes; i++) {
		void **slot = (void **)frames[i];
		P.frames[i] = (struct polus_rt_track_frame){
		    frames[i], (uint64_t)*slot, info ? info[i].pc : 0, info ? info[i].tid : 0, 0};
		__atomic_store_n(slot, (void *)rt_track_tramp, __ATOMIC_RELEASE);
	}
	P.nframes = nframes;
	P.left = (int)nframes;
}

/* The part of args this caller gave: an older caller's struct ends before flags. */
#define HAS_FIELD(a, f) ((a)->size >= offsetof(struct polus_rt_track_args, f) + sizeof((a)->f))

int polus_rt_track_arm(const struct polus_rt_track_args *a)
{
	int rc;
	if (!a || !HAS_FIELD(a, libc_sigaction) || !a->vars || a->nvars == 0 ||
	    (a->nframes && !a->frames))
		return -EINVAL;
	const uintptr_t *flags = HAS_FIELD(a, flags) ? a->flags : NULL;
	const struct polus_rt_track_frame *info = HAS_FIELD(a, frame_info) ? a->frame_info : NULL;
	for (unsigned i = 0; flags && i < a->nvars; i++)
		if (flags[i] && a->vars[i].size > POLUS_TRACK_CARRY_MAX)
			return -E2BIG; /* its new code's stores could not be carried */
	if (a->nvars > MAX_VARS || a->nframes > MAX_FRAMES)
		return -E2BIG;
	if ((rc = check_table(a->table, a->table_len)) < 0)
		return rc;
	if (P.state == POLUS_TRACK_ARMING || P.state == POLUS_TRACK_ACTIVE)
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
	copy(P.vars, a->vars, a->nvars * sizeof(*a->vars));
	P.nvars = a->nvars;
	for (unsigned i = 0; i < a->nvars; i++)
		S.flags[i] = flags ? (int *)flags[i] : NULL;
	P.stores = P.chained = P.start_ns = P.end_ns = P.last_return_ns = P.publish = 0;
	P.arm_ns = now_ns();
	__atomic_store_n(&P.state, POLUS_TRACK_ARMING, __ATOMIC_RELEASE);
	rc = (int)rt_sys3(SYS_mprotect, S.lo, S.hi - S.lo, PROT_READ);
	if (rc < 0)
		__atomic_store_n(&P.state, POLUS_TRACK_IDLE, __ATOMIC_RELEASE);
	else
		swap_frames(a->frames, info, a->nframes), set_flags(1);
	P.seq++;
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
	if (P.state != POLUS_TRACK_ARMING) {
		rc = -EINVAL;
	} else {
		P.start_ns = now_ns();
		set_state(POLUS_TRACK_ACTIVE);
		if (P.left == 0)
			end_locked();
	}
	unlock();
	restore_mask(&m);
	return rc;
}

/* The return addresses not used yet go back into their slots (the threads are held). */
static void restore_frames_locked(void)
{
	for (unsigned i = 0; i < P.nframes; i++) {
		void **slot = (void **)P.frames[i].slot;
		if (!P.frames[i].done && *slot == (void *)rt_track_tramp) {
			*slot = (void *)P.frames[i].ra;
			P.frames[i].done = 1;
			P.left--;
		}
	}
}

/* The injector died between arm and start: every thread was held then, so a writer that
 * runs means it is gone. Committed (the publish byte written): tracking starts, as the
 * injector would have made it; else the arming is taken back. Under the lock. */
static void arming_orphaned(void)
{
	if (P.publish && *(volatile uint8_t *)P.publish == (uint8_t)P.publish_byte) {
		P.start_ns = now_ns();
		set_state(POLUS_TRACK_ACTIVE);
		if (P.left == 0)
			end_locked();
		return;
	}
	restore_frames_locked();
	end_locked();
}

int polus_rt_track_end(void)
{
	uint64_t m;
	block_all(&m);
	lock();
	restore_frames_locked();
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
	st->state = P.state;
	st->nvars = P.nvars;
	st->frames = P.nframes;
	st->frames_left = (uint32_t)P.left;
	st->blocked_tid = blocked_tid;
	st->stores = P.stores;
	st->chained = P.chained;
	st->start_ns = P.start_ns;
	st->end_ns = P.end_ns;
	st->last_return_ns = P.last_return_ns;
	unlock();
	restore_mask(&m);
	return 0;
}

/* Writes the bytes of buf that differ from old (the protected copy), run by run. */
static int write_changed(unsigned char *old, const unsigned char *buf, size_t size)
{
	for (size_t i = 0; i < size;) {
		if (old[i] == buf[i]) {
			i++;
			continue;
		}
		size_t j = i;
		while (j < size && old[j] != buf[j])
			j++;
		if (mem_write((uintptr_t)old + i, buf + i, j - i) < 0)
			return -EIO;
		i = j;
	}
	return 0;
}

int polus_rt_track_carry(void *old, size_t size, void (*to)(unsigned char *))
{
	uintptr_t a = (uintptr_t)old;
	uint64_t m;
	int rc = 0;
	if (size > POLUS_TRACK_CARRY_MAX)
		return -E2BIG;
	block_all(&m);
	lock();
	int st = __atomic_load_n(&P.state, __ATOMIC_ACQUIRE);
	if ((st == POLUS_TRACK_ARMING || st == POLUS_TRACK_ACTIVE) && a >= S.lo &&
	    a + size <= S.hi) {
		copy(carry_buf, old, size);
		to(carry_buf);
		rc = write_changed(old, carry_buf, size);
		P.seq++;
	} else {
		to(old);
	}
	unlock();
	restore_mask(&m);
	return rc;
}
