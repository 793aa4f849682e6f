/*
 * rt-test — write tracking (runtime/rt_track.c) in-process, with real threads, against the
 * old writers of fixtures/writers.c (linked at -O0 or -O2: track-rt-O0, track-rt-O2).
 *   rt-test TABLE CASE [N]
 * TABLE is the store table track-table wrote for this very binary. `stats` is the variable
 * in coexistence; `mirror` plays its new copy (the sync copies the bytes written).
 * Cases: ops threads wait handler-before handler-after altstack blocked fork end bench.
 * Prints "CASE: all checks passed" (and figures); exit 0, or 1 naming what failed.
 */
#include "rt_track.h"
#include "track_format.h"
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fixtures/writers.h"
#include "unit_check.h"

static struct stats mirror;
static unsigned long syncs;
static void *table;
static size_t table_len;
static uintptr_t base;

static void sync_copy(void *ctx, size_t off, size_t len)
{
	memcpy((char *)ctx + off, (char *)&stats + off, len);
	syncs++;
}

static struct polus_rt_track_var var = {0, sizeof(stats), sync_copy, &mirror};

static int phdr_cb(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	*(uintptr_t *)data = info->dlpi_addr; /* the first object is the program */
	return 1;
}

static void load_table(const char *path)
{
	FILE *f = fopen(path, "rb");
	table = malloc(1 << 20);
	if (!f || !table || (table_len = fread(table, 1, 1 << 20, f)) == 0) {
		fprintf(stderr, "rt-test: cannot read %s\n", path);
		exit(1);
	}
	fclose(f);
	dl_iterate_phdr(phdr_cb, &base);
	var.addr = (uintptr_t)&stats;
}

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* arm's arguments as the injector gives them: libc's sigaction redirected */
static int arm_only(const uintptr_t *frames, unsigned n)
{
	struct polus_rt_track_args a = {.size = sizeof(a),
					.nvars = 1,
					.nframes = n,
					.table = table,
					.table_len = table_len,
					.load_base = base,
					.vars = &var,
					.frames = frames,
					.libc_sigaction = (uintptr_t)&sigaction};
	return polus_rt_track_arm(&a);
}

static int arm(const uintptr_t *frames, unsigned n)
{
	memcpy(&mirror, &stats, sizeof(stats)); /* (the patch's sync, between arm and start) */
	int rc = arm_only(frames, n);
	if (rc == 0)
		rc = polus_rt_track_start();
	return rc;
}

static struct polus_rt_track_status status(void)
{
	struct polus_rt_track_status st = {.size = sizeof(st)};
	polus_rt_track_status(&st);
	return st;
}

/* The slot of the caller's return address in a frame-pointer frame: an old-writer frame
 * as the injector would find it by unwinding. */
#define MY_SLOT() ((uintptr_t)__builtin_frame_address(0) + sizeof(void *))

/* ---- ops: every store form gives the result and flags it gives untracked ---- */

#define NOPS 26
static void run_ops(long *r)
{
	int i = 0;
	w_inc_a();
	w_add_b(5);
	w_sub_b(2);
	w_set_c(-3);
	w_set_d();
	w_set_e(3, 42);
	w_or_b(0x100);
	w_and_b(0xff0f);
	w_xor_b(0x55);
	w_neg_a();
	w_not_a();
	r[i++] = w_dec_zero();
	w_and_b(0);
	w_add_b(1);
	r[i++] = w_dec_zero();
	w_lock_add(7);
	r[i++] = w_xadd(3);
	r[i++] = w_cas(10, 20);
	r[i++] = w_cas(stats.lk, 20);
	r[i++] = w_xchg(99);
	w_set_x(2.5);
	w_set_flag(1);
	r[i++] = w_read();
	w_clear_e();
	w_other();
	w_bump_f(3);
}

static __attribute__((noinline)) int tracked_ops(long *r)
{
	uintptr_t slot = MY_SLOT();
	if (arm(&slot, 1) < 0)
		return -1;
	run_ops(r);
	return 0;
} /* returns through the trampoline: coexistence ends here */

static void case_ops(void)
{
	long want[NOPS] = {0}, got[NOPS] = {0};
	struct stats after;
	memset(&stats, 0, sizeof(stats));
	other = 0;
	run_ops(want);
	after = stats;
	long other_after = other;
	memset(&stats, 0, sizeof(stats));
	other = 0;
	CHECK(tracked_ops(got) == 0);
	struct polus_rt_track_status st = status();
	CHECK(memcmp(want, got, sizeof(want)) == 0);
	CHECK(memcmp(&after, &stats, sizeof(stats)) == 0);
	CHECK(memcmp(&mirror, &stats, sizeof(stats)) == 0);
	CHECK(other == other_after);
	CHECK(st.state == POLUS_TRACK_ENDED);
	CHECK(st.frames_left == 0);
	CHECK(st.stores >= 25);
	unsigned long before = st.stores;
	w_inc_a(); /* after the end the old copy is plainly writable */
	CHECK(status().stores == before);
}

/* ---- threads: two old writers, different fields of one page, nothing lost ---- */

static volatile int go;
static uintptr_t slots[2];
static volatile int ready[2];

static __attribute__((noinline)) void tracked_call(int i, void (*fn)(long), long n)
{
	slots[i] = MY_SLOT();
	__atomic_store_n(&ready[i], 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE))
		;
	fn(n);
}

static long nbump;
static void *bump_f(void *a)
{
	(void)a;
	tracked_call(0, w_bump_f, nbump);
	return NULL;
}
static void *bump_g(void *a)
{
	(void)a;
	tracked_call(1, w_bump_g, nbump);
	return NULL;
}

static void case_threads(long n)
{
	pthread_t t[2];
	memset(&stats, 0, sizeof(stats));
	nbump = n;
	go = 0;
	pthread_create(&t[0], NULL, bump_f, NULL);
	pthread_create(&t[1], NULL, bump_g, NULL);
	while (!ready[0] || !ready[1])
		;
	CHECK(arm(slots, 2) == 0);
	uint64_t t0 = now_ns();
	__atomic_store_n(&go, 1, __ATOMIC_RELEASE);
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
	struct polus_rt_track_status st = status();
	CHECK(stats.f == n && stats.g == n);
	CHECK(mirror.f == n && mirror.g == n);
	CHECK(st.stores == (uint64_t)(2 * n));
	CHECK(st.state == POLUS_TRACK_ENDED);
	printf("threads: %ld tracked increments in %.2f s\n", 2 * n, (now_ns() - t0) / 1e9);
}

/* ---- wait: a write between arm and start waits, and reaches the new copy ---- */

static void *inc_a_tracked(void *a)
{
	(void)a;
	tracked_call(0, (void (*)(long))w_inc_a, 0);
	return NULL;
}

static void case_wait(void)
{
	pthread_t t;
	memset(&stats, 0, sizeof(stats));
	memset(&mirror, 0, sizeof(mirror));
	ready[0] = go = 0;
	pthread_create(&t, NULL, inc_a_tracked, NULL);
	while (!ready[0])
		;
	CHECK(arm_only(slots, 1) == 0);
	go = 1;
	/* the writer faults and waits: give it time to get there, then the new copy is made */
	struct timespec d = {0, 50 * 1000 * 1000};
	nanosleep(&d, NULL);
	CHECK(stats.a == 0);
	CHECK(status().state == POLUS_TRACK_ARMING);
	memcpy(&mirror, &stats, sizeof(stats));
	CHECK(polus_rt_track_start() == 0);
	pthread_join(t, NULL);
	CHECK(stats.a == 1 && mirror.a == 1);
	CHECK(status().state == POLUS_TRACK_ENDED);
}

/* ---- the program's own SIGSEGV handler, before or after arming ---- */

static char *own_page;
static volatile int own_faults;
static sigjmp_buf jb;
static volatile int jumped;

static void own_handler(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	own_faults++;
	if ((char *)si->si_addr == own_page) {
		mprotect(own_page, 4096, PROT_READ | PROT_WRITE);
		return;
	}
	jumped = 1;
	siglongjmp(jb, 1);
}

static void install_own(void)
{
	struct sigaction sa = {0};
	sa.sa_sigaction = own_handler;
	sa.sa_flags = SA_SIGINFO;
	CHECK(sigaction(SIGSEGV, &sa, NULL) == 0);
}

static volatile int *volatile wild = (int *)16;

static void own_faults_work(void)
{
	own_faults = jumped = 0;
	mprotect(own_page, 4096, PROT_READ);
	*(volatile char *)own_page = 1; /* its own protection fault */
	if (!sigsetjmp(jb, 1))
		*wild = 1; /* a wild pointer: its handler jumps out */
	CHECK(own_faults == 2 && jumped == 1 && own_page[0] == 1);
}

static __attribute__((noinline)) void tracked_handlers(int after)
{
	uintptr_t slot = MY_SLOT();
	CHECK(arm(&slot, 1) == 0);
	if (after)
		install_own();
	struct sigaction cur;
	CHECK(sigaction(SIGSEGV, NULL, &cur) == 0 && cur.sa_sigaction == own_handler);
	long a = stats.a;
	w_inc_a();
	own_faults_work();
	w_inc_a();
	CHECK(stats.a == a + 2 && mirror.a == a + 2);
	CHECK(status().stores == 2 && status().chained == 2);
}

static void case_handler(int after)
{
	own_page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!after)
		install_own();
	tracked_handlers(after);
	CHECK(status().state == POLUS_TRACK_ENDED);
	own_faults_work(); /* after the end too */
}

/* ---- altstack: the handler runs on the thread's alternate stack ---- */

static char *alt;
static volatile int on_alt;
static void sync_where(void *ctx, size_t off, size_t len)
{
	char here;
	on_alt = &here >= alt && &here < alt + SIGSTKSZ * 4;
	sync_copy(ctx, off, len);
}

static __attribute__((noinline)) void tracked_alt(void)
{
	uintptr_t slot = MY_SLOT();
	CHECK(arm(&slot, 1) == 0);
	w_inc_a();
}

static void case_altstack(void)
{
	alt = malloc(SIGSTKSZ * 4);
	stack_t ss = {.ss_sp = alt, .ss_size = SIGSTKSZ * 4};
	CHECK(sigaltstack(&ss, NULL) == 0);
	var.sync = sync_where;
	tracked_alt();
	CHECK(on_alt == 1 && mirror.a == stats.a);
}

/* ---- blocked: a thread that blocks SIGSEGV makes arming refuse, nothing changed ---- */

static volatile pid_t blocker_tid;
static void *blocker(void *a)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGSEGV);
	pthread_sigmask(SIG_BLOCK, &s, NULL);
	blocker_tid = (pid_t)syscall(SYS_gettid);
	while (!*(volatile int *)a)
		;
	return NULL;
}

static void case_blocked(void)
{
	pthread_t t;
	int stop = 0;
	pthread_create(&t, NULL, blocker, &stop);
	while (!blocker_tid)
		;
	struct sigaction before, now;
	sigaction(SIGSEGV, NULL, &before);
	CHECK(arm_only(NULL, 0) == -EDEADLK);
	CHECK(status().blocked_tid == blocker_tid);
	CHECK(status().state == POLUS_TRACK_IDLE);
	sigaction(SIGSEGV, NULL, &now);
	CHECK(now.sa_handler == before.sa_handler);
	w_inc_a(); /* not protected: no fault, no handler */
	stop = 1;
	pthread_join(t, NULL);
}

/* ---- fork: the child keeps a copy-on-write snapshot and tracks its own writes ---- */

static __attribute__((noinline)) void tracked_fork(void)
{
	uintptr_t slot = MY_SLOT();
	int p[2];
	CHECK(pipe(p) == 0);
	stats.a = 0;
	CHECK(arm(&slot, 1) == 0);
	w_inc_a(); /* a = 1 at the fork */
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		if (read(p[0], &c, 1) != 1) /* the parent has written a = 2 by now */
			_exit(3);
		if (stats.a != 1)
			_exit(4);
		w_inc_a(); /* tracked in the child, through its own memory */
		_exit(stats.a == 2 && mirror.a == 2 ? 0 : 5);
	}
	w_inc_a();
	CHECK(write(p[1], "x", 1) == 1);
	int ws;
	CHECK(waitpid(pid, &ws, 0) == pid);
	CHECK(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
	CHECK(stats.a == 2 && mirror.a == 2);
}

static void case_fork(void)
{
	tracked_fork();
	CHECK(status().state == POLUS_TRACK_ENDED);
}

/* ---- end: coexistence ends when the last frame returns ---- */

static void case_end(void)
{
	pthread_t t;
	memset(&stats, 0, sizeof(stats));
	ready[0] = go = 0;
	pthread_create(&t, NULL, inc_a_tracked, NULL);
	while (!ready[0])
		;
	CHECK(arm(slots, 1) == 0);
	CHECK(status().state == POLUS_TRACK_ACTIVE && status().frames_left == 1);
	go = 1;
	pthread_join(t, NULL);
	struct polus_rt_track_status st = status();
	CHECK(st.state == POLUS_TRACK_ENDED && st.frames_left == 0 && stats.a == 1);
	CHECK(st.end_ns >= st.last_return_ns && st.last_return_ns > 0);
	printf("end: coexistence ended %.1f us after the last old-writer frame returned\n",
	       (st.end_ns - st.last_return_ns) / 1e3);
}

/* ---- bench: a tracked write against a bare SIGSEGV round trip ---- */

static char *bare_page;
static void bare_handler(int sig, siginfo_t *si, void *ucv)
{
	(void)sig, (void)si;
	ucontext_t *uc = ucv;
	uc->uc_mcontext.gregs[REG_RIP] += 6; /* movl $1, (%rax): see bare_write */
}

static __attribute__((noinline)) void bare_write(char *p)
{
	__asm__ volatile("mov %0, %%rax\n\t.byte 0xc7, 0x00, 1, 0, 0, 0\n\tnop" ::"r"(p)
			 : "rax", "memory");
}

static __attribute__((noinline)) double tracked_loop(long n)
{
	uintptr_t slot = MY_SLOT();
	CHECK(arm(&slot, 1) == 0);
	uint64_t t0 = now_ns();
	for (long i = 0; i < n; i++)
		w_set_d();
	return (double)(now_ns() - t0) / n;
}

static double bare_loop(long n)
{
	uint64_t t0 = now_ns();
	for (long i = 0; i < n; i++)
		bare_write(bare_page);
	return (double)(now_ns() - t0) / n;
}

/* Best of 3 rounds each: a bare round trip (a handler that skips the store) before
 * anything of polus is installed, then tracked writes, then the program's own fault again
 * once the runtime is the handler in front of it (chained). */
static void case_bench(long n)
{
	struct sigaction sa = {0};
	sa.sa_sigaction = bare_handler;
	sa.sa_flags = SA_SIGINFO;
	bare_page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	double bare = 1e18, tracked = 1e18, chained = 1e18, t;
	sigaction(SIGSEGV, &sa, NULL);
	for (int round = 0; round < 3; round++)
		bare = (t = bare_loop(n)) < bare ? t : bare;
	for (int round = 0; round < 3; round++)
		tracked = (t = tracked_loop(n)) < tracked ? t : tracked;
	for (int round = 0; round < 3; round++)
		chained = (t = bare_loop(n)) < chained ? t : chained;
	CHECK(status().chained >= (uint64_t)n);
	printf("bench: bare %.0f ns tracked %.0f ns ratio %.2f chained %.0f ns ratio %.2f\n", bare,
	       tracked, tracked / bare, chained, chained / bare);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: rt-test TABLE CASE [N]\n");
		return 2;
	}
	load_table(argv[1]);
	const char *c = argv[2];
	long n = argc > 3 ? atol(argv[3]) : 1000000;
	if (!strcmp(c, "ops"))
		case_ops();
	else if (!strcmp(c, "threads"))
		case_threads(n);
	else if (!strcmp(c, "wait"))
		case_wait();
	else if (!strcmp(c, "handler-before"))
		case_handler(0);
	else if (!strcmp(c, "handler-after"))
		case_handler(1);
	else if (!strcmp(c, "altstack"))
		case_altstack();
	else if (!strcmp(c, "blocked"))
		case_blocked();
	else if (!strcmp(c, "fork"))
		case_fork();
	else if (!strcmp(c, "end"))
		case_end();
	else if (!strcmp(c, "bench"))
		case_bench(n);
	else {
		fprintf(stderr, "rt-test: no case %s\n", c);
		return 2;
	}
	return unit_result(c);
}
