/*
 * rt_switch_test — runtime/rt_switch in-process, against its own padded functions, with
 * real threads (tests/stopfree/rt-switch.t). Built with the build profile's padding.
 *
 * 64 threads: busy callers of the patched functions, threads blocked in
 * epoll_wait/accept/futex/nanosleep that call them when woken, a heartbeat. The main thread applies
 * and reverts the switch CYCLES times. Checked: every result is the old or the new one, and within
 * a thread a function called after one that ran new code runs new code too (the switch is one);
 * between switches every call runs the stable version; a thread that meets a site mid-switch (held
 * there by the test through the step hook) resumes in the new code; the blocked threads' calls
 * never fail (no EINTR); the program's own SIGTRAP handler still gets its own traps, also one
 * installed after the runtime's. Prints the longest gap of the heartbeat during switches and
 * outside them (a figure, not asserted).
 */
#include "rt_switch.h"

#include <errno.h>
#include <linux/futex.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NFN 4
#define CYCLES 200
#define NBUSY 40
#define NBLOCK 5 /* each of epoll, accept, futex */
#define NSLEEP 7

#define OLD(i) (1000 + (i))
#define NEW(i) (2000 + (i))

#define FNS(X) X(0) X(1) X(2) X(3)
#define DEF(i)                                                                                     \
	__attribute__((noipa)) int fn_old_##i(int x)                                               \
	{                                                                                          \
		return x + OLD(i);                                                                 \
	}                                                                                          \
	__attribute__((noipa)) int fn_new_##i(int x)                                               \
	{                                                                                          \
		return x + NEW(i);                                                                 \
	}
FNS(DEF)
#define OLDP(i) fn_old_##i,
#define NEWP(i) fn_new_##i,
static int (*const olds[NFN])(int) = {FNS(OLDP)};
static int (*const news[NFN])(int) = {FNS(NEWP)};

/* A direct caller of fn_old_0: its call site is switched too (to call fn_new_0). */
__attribute__((noipa)) int direct0(int x)
{
	int r = fn_old_0(x);
	__asm__ volatile("" ::: "memory"); /* a call, not a tail jump */
	return r;
}

/* What call_all calls, and whose results each gives. */
#define NCALLS (NFN + 1)
static int (*const callers[NCALLS])(int) = {FNS(OLDP) direct0};
static const int result_of[NCALLS] = {0, 1, 2, 3, 0};

#define NSITES (NFN + 1)
static struct polus_rt_swsite sites[NSITES];
static volatile int stop, state_seq; /* even: stable; odd: a switch runs */
static volatile int applied;	     /* the stable state when state_seq is even */
static unsigned long violations, calls;
static char why[256];
static volatile int my_traps, my_traps2;

static void violation(const char *fmt, int a, int b)
{
	if (__atomic_fetch_add(&violations, 1, __ATOMIC_RELAXED) == 0)
		snprintf(why, sizeof(why), fmt, a, b);
}

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* All NFN functions once, in order: each result old or new. When the calls overlap at
 * most one switch: no old code after new code if it applies (`was` 0), no new after old
 * if it reverts; and when they overlap none, all as the stable state. */
static void call_all(void)
{
	int seq = state_seq, was = applied, seen_new = 0, seen_old = 0, bad_order = 0;
	for (int k = 0; k < NCALLS; k++) {
		int i = result_of[k], r = callers[k](0);
		if (r != OLD(i) && r != NEW(i))
			violation("call %d returned %d", k, r);
		bad_order |= r == NEW(i) ? seen_old && was : seen_new && !was;
		seen_new |= r == NEW(i);
		seen_old |= r == OLD(i);
	}
	int seq2 = state_seq;
	if (seq2 - seq <= (seq & 1 ? 1 : 2) && bad_order)
		violation("the switch was not one: old and new code mixed (seq %d, state %d)", seq,
			  was);
	if (!(seq & 1) && seq2 == seq && (seen_new != was || seen_old == was))
		violation("a stable state %d ran other code (seq %d)", was, seq);
	__atomic_fetch_add(&calls, 1, __ATOMIC_RELAXED);
}

static void *busy(void *arg)
{
	(void)arg;
	while (!stop)
		call_all();
	return NULL;
}

static int efd, lfd, port, fword;

static void *blocked(void *arg)
{
	long kind = (long)arg;
	int rc = 0;
	if (kind == 0) {
		int ep = epoll_create1(0);
		struct epoll_event ev = {.events = EPOLLIN}, out;
		epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev);
		rc = epoll_wait(ep, &out, 1, -1) == 1 ? 0 : errno;
		close(ep);
	} else if (kind == 1) {
		int c = accept(lfd, NULL, NULL);
		rc = c >= 0 ? 0 : errno;
		if (c >= 0)
			close(c);
	} else if (kind == 2) {
		while (!__atomic_load_n(&fword, __ATOMIC_ACQUIRE) && !rc)
			if (syscall(SYS_futex, &fword, FUTEX_WAIT_PRIVATE, 0, NULL) &&
			    errno != EAGAIN)
				rc = errno;
	} else {
		struct timespec t = {0, 20 * 1000 * 1000};
		while (!stop && !rc) {
			rc = nanosleep(&t, NULL) ? errno : 0;
			call_all();
		}
	}
	if (rc)
		violation("a blocked call failed: errno %d (kind %d)", rc, (int)kind);
	call_all();
	return NULL;
}

static volatile uint64_t gap_in, gap_out;

/* The longest gap between two beats that saw a switch (running, or begun or ended in
 * between), and the longest of the others. */
static void *heartbeat(void *arg)
{
	(void)arg;
	uint64_t last = now_ns();
	int seq = state_seq;
	while (!stop) {
		uint64_t t = now_ns(), g = t - last;
		int s = state_seq, during = s != seq || (s & 1);
		last = t;
		seq = s;
		if (during && g > gap_in)
			gap_in = g;
		if (!during && g > gap_out)
			gap_out = g;
	}
	return NULL;
}

/* The parked thread: calls fn_old_1 when told to, while the int3s are in place. */
static volatile int park_go, park_result, park_tid;
static void *parker(void *arg)
{
	(void)arg;
	park_tid = (int)syscall(SYS_gettid);
	while (!park_go && !stop)
		sched_yield();
	park_result = fn_old_1(0);
	return NULL;
}

static volatile int park_at_apply = -1;
static void hook(int step)
{
	if (step != 2 || state_seq != park_at_apply)
		return;
	char path[64], buf[32] = "";
	park_go = 1;
	/* parked: blocked in futex (202), in the handler, the switch still half-done */
	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", park_tid);
	uint64_t end = now_ns() + 5000000000ull;
	while (strncmp(buf, "202 ", 4) && now_ns() < end) {
		FILE *f = fopen(path, "r");
		if (!f || !fgets(buf, sizeof(buf), f))
			buf[0] = 0;
		if (f)
			fclose(f);
		sched_yield();
	}
	if (strncmp(buf, "202 ", 4) || polus_rt_switch_waiting() < 1)
		violation("the parked thread did not wait at the site (%d waiting, tid %d)",
			  polus_rt_switch_waiting(), park_tid);
}

static void my_trap(int sig)
{
	(void)sig;
	my_traps++;
}
static void my_trap2(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)si, (void)uc;
	my_traps2++;
}

static int do_switch(int revert)
{
	state_seq++;
	int rc = polus_rt_switch(sites, NSITES, revert);
	applied = !revert;
	state_seq++;
	return rc;
}

/* The `call rel32` to `old` in the first bytes of `fn`, as a CALL site to `target`. */
static int find_call(struct polus_rt_swsite *s, const uint8_t *fn, uint64_t old, uint64_t target)
{
	for (int i = 0; i < 64; i++) {
		int32_t rel;
		memcpy(&rel, fn + i + 1, 4);
		if (fn[i] == 0xe8 && (uint64_t)fn + i + 5 + (uint64_t)(int64_t)rel == old) {
			*s = (struct polus_rt_swsite){
			    0, (uint64_t)fn + i, target, {0}, POLUS_RT_CALL};
			memcpy(s->orig, fn + i, 5);
			return 0;
		}
	}
	return -1;
}

static int fail(const char *what, int rc)
{
	stop = 1;
	printf("FAIL: %s (%d)\n", what, rc);
	return 1;
}

static void setup_blockers(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	efd = eventfd(0, 0);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	bind(lfd, (struct sockaddr *)&a, sizeof(a));
	listen(lfd, 16);
	getsockname(lfd, (struct sockaddr *)&a, &al);
	port = ntohs(a.sin_port);
}

static void wake_blockers(void)
{
	uint64_t one = NBLOCK;
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons(port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (write(efd, &one, 8) != 8)
		violation("eventfd write %d %d", errno, 0);
	for (int i = 0; i < NBLOCK; i++) {
		int c = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(c, (struct sockaddr *)&a, sizeof(a)))
			violation("connect %d %d", errno, i);
		close(c);
	}
	__atomic_store_n(&fword, 1, __ATOMIC_RELEASE);
	syscall(SYS_futex, &fword, FUTEX_WAKE_PRIVATE, 1 << 30, NULL);
}

/*
 * A child forked after the runtime switched in its parent switches its own code: the
 * runtime's /proc/self/mem descriptor was the parent's (it writes the parent's memory),
 * so the first switch in a new process opens its own. The parent's code stays as it was.
 */
static int fork_check(void)
{
	int st, rc;
	polus_rt_switch_test_hook = NULL;
	if ((rc = polus_rt_switch(sites, NSITES, 1)))
		return fail("revert before the fork", rc);
	pid_t pid = fork();
	if (pid == 0) {
		rc = polus_rt_switch_init();
		rc = rc ? rc : polus_rt_switch(sites, NSITES, 0);
		_exit(rc ? 2 : olds[2](0) == NEW(2) && direct0(0) == NEW(0) ? 0 : 3);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		return fail("the forked child could not switch its own code", WEXITSTATUS(st));
	if (olds[2](0) != OLD(2) || direct0(0) != OLD(0))
		return fail("the child's switch changed the parent's code", olds[2](0));
	return 0;
}

/*
 * A process forked while a switch runs (here at its step 2: an int3 over every site):
 * only the forking thread is copied, so nothing would finish the switch in the child. Its
 * thread meets an int3, and the runtime brings the child's sites back to where the switch
 * started: the child runs the old code (it must not hang); the parent's switch ends.
 */
static pid_t mid_child;
static void fork_hook(int step)
{
	if (step != 2 || mid_child)
		return;
	mid_child = fork();
	if (mid_child == 0) {
		alarm(10); /* a hang is a failure, not a stuck test */
		_exit(olds[2](0) == OLD(2) && olds[1](0) == OLD(1) && direct0(0) == OLD(0) ? 0 : 3);
	}
}

static int mid_fork_check(void)
{
	int st, rc;
	polus_rt_switch_test_hook = fork_hook;
	rc = polus_rt_switch(sites, NSITES, 0);
	polus_rt_switch_test_hook = NULL;
	if (rc)
		return fail("the switch a child was forked in", rc);
	if (mid_child < 0 || waitpid(mid_child, &st, 0) != mid_child || !WIFEXITED(st) ||
	    WEXITSTATUS(st))
		return fail("a child forked mid-switch hung or ran new code",
			    WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st));
	if (olds[2](0) != NEW(2) || direct0(0) != NEW(0))
		return fail("the parent's switch did not end in the new code", olds[2](0));
	return 0;
}

int main(void)
{
	pthread_t t[64];
	int nt = 0, rc;
	signal(SIGTRAP, my_trap);
	for (int i = 0; i < NFN; i++) {
		const unsigned char *p = (const unsigned char *)olds[i];
		sites[i].func = (uint64_t)olds[i];
		sites[i].site = sites[i].func + (p[0] == 0xf3 && p[1] == 0x0f ? 4 : 0);
		sites[i].target = (uint64_t)news[i];
		memcpy(sites[i].orig, (const void *)sites[i].site, 2);
	}
	if (find_call(&sites[NFN], (const uint8_t *)direct0, (uint64_t)fn_old_0,
		      (uint64_t)fn_new_0))
		return fail("no call to fn_old_0 in direct0", 0);
	if ((rc = polus_rt_switch_init()) == -ENOSYS) {
		printf("SKIP: no membarrier SYNC_CORE in this kernel\n");
		return 77;
	}
	if (rc)
		return fail("polus_rt_switch_init", rc);
	__asm__ volatile("int3");
	if (my_traps != 1)
		return fail("the program's own SIGTRAP handler missed its trap", my_traps);
	setup_blockers();
	polus_rt_switch_test_hook = hook;
	for (int i = 0; i < NBUSY; i++)
		pthread_create(&t[nt++], NULL, busy, NULL);
	for (long k = 0; k < 3; k++)
		for (int i = 0; i < NBLOCK; i++)
			pthread_create(&t[nt++], NULL, blocked, (void *)k);
	for (int i = 0; i < NSLEEP; i++)
		pthread_create(&t[nt++], NULL, blocked, (void *)3L);
	pthread_create(&t[nt++], NULL, heartbeat, NULL);
	pthread_create(&t[nt++], NULL, parker, NULL);
	usleep(100000);
	for (int c = 0; c < CYCLES; c++) {
		if (c == CYCLES / 2) {
			/* the program installs a handler of its own after the runtime's */
			struct sigaction sa = {.sa_sigaction = my_trap2, .sa_flags = SA_SIGINFO};
			sigaction(SIGTRAP, &sa, NULL);
			park_at_apply = state_seq + 1; /* this apply parks a thread at a site */
		}
		if ((rc = do_switch(0)))
			return fail("apply", rc);
		if (c == CYCLES / 2 && (pthread_join(t[nt - 1], NULL), park_result != NEW(1)))
			return fail("the parked thread did not resume in the new code",
				    park_result);
		if ((rc = do_switch(1)))
			return fail("revert", rc);
		usleep(1000);
	}
	if ((rc = do_switch(0)))
		return fail("last apply", rc);
	wake_blockers();
	__asm__ volatile("int3");
	if (my_traps2 != 1 || my_traps != 1)
		return fail("a handler installed after the runtime's missed its trap", my_traps2);
	usleep(100000);
	stop = 1;
	for (int i = 0; i < nt - 1; i++)
		pthread_join(t[i], NULL);
	if (violations)
		return fail(why, (int)violations);
	if (olds[2](0) != NEW(2) || direct0(0) != NEW(0))
		return fail("not applied at the end", olds[2](0));
	if ((rc = fork_check()) || (rc = mid_fork_check()))
		return rc;
	printf("ok: %d switches of %d functions and a call site, %d threads, %lu rounds of calls, "
	       "%lu traps waited; a forked child switched its own code, not its parent's; one "
	       "forked mid-switch ran the old code\n",
	       2 * CYCLES + 1, NFN, nt + 1, calls, polus_rt_switch_traps());
	printf("heartbeat: longest gap %.3f ms during switches, %.3f ms outside\n",
	       (double)gap_in / 1e6, (double)gap_out / 1e6);
	return 0;
}
