/* switch-callcost.c — what a patched call costs under each switch, in one process
 * (bench/switch-callcost.sh). Identical trivial functions built with the padded profile,
 * each called directly in a loop of its own: one left alone (native); one switched by
 * runtime/rt_switch (stop-free: the short jump at its entry, then the jmp rel32 before
 * it); one switched so too and its loop's call site retargeted to the new code (stop-free
 * + call site); one with a jmp rel32 written over its entry as the stop-the-world switch
 * writes it. The switched ones lead to a copy of the same code. Batches of calls,
 * interleaved, CPU time of the thread per call; prints the medians and the ratios to
 * native. */
#include "rt_switch.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define BATCH 20000000ul
#define ROUNDS 9

#define STEP(name)                                                                                 \
	__attribute__((noipa)) unsigned long name(unsigned long x)                                 \
	{                                                                                          \
		return x * 3 + 1;                                                                  \
	}
STEP(native)
STEP(stopfree)
STEP(callsite)
STEP(stopworld)
STEP(target)

#define LOOP(name)                                                                                 \
	__attribute__((noipa)) unsigned long loop_##name(unsigned long acc)                        \
	{                                                                                          \
		for (unsigned long i = 0; i < BATCH; i++)                                          \
			acc = name(acc);                                                           \
		return acc;                                                                        \
	}
LOOP(native)
LOOP(stopfree)
LOOP(callsite)
LOOP(stopworld)
#define NVAR 4
static unsigned long (*const loops[NVAR])(unsigned long) = {loop_native, loop_stopfree,
							    loop_callsite, loop_stopworld};

static double cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* The site: after an endbr64 when there is one. */
static uint64_t site_of(void *f)
{
	const uint8_t *p = f;
	return (uint64_t)f + (p[0] == 0xf3 && p[1] == 0x0f ? 4 : 0);
}

static double per_call(unsigned long (*loop)(unsigned long))
{
	double t0 = cpu_ns();
	if (loop(1) == 42)
		puts("");
	return (cpu_ns() - t0) / (double)BATCH;
}

/* The `call rel32` to `old` in `fn` as a CALL site to `to`. */
static int call_site(struct polus_rt_swsite *s, const uint8_t *fn, void *old, void *to)
{
	for (int i = 0; i < 128; i++) {
		int32_t rel;
		memcpy(&rel, fn + i + 1, 4);
		if (fn[i] == 0xe8 &&
		    (uint64_t)fn + i + 5 + (uint64_t)(int64_t)rel == (uint64_t)old) {
			*s = (struct polus_rt_swsite){
			    0, (uint64_t)fn + i, (uint64_t)to, {0}, POLUS_RT_CALL};
			memcpy(s->orig, fn + i, 5);
			return 0;
		}
	}
	return -1;
}

static void entry_site(struct polus_rt_swsite *s, void *f, void *to)
{
	*s = (struct polus_rt_swsite){(uint64_t)f, site_of(f), (uint64_t)to, {0}, POLUS_RT_ENTRY};
	memcpy(s->orig, (void *)s->site, 2);
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int write_entry_jump(void *f, void *to)
{
	uint64_t s = site_of(f), pg = s & ~4095ull;
	int32_t rel = (int32_t)((int64_t)to - (int64_t)(s + 5));
	if (mprotect((void *)pg, 8192, PROT_READ | PROT_WRITE | PROT_EXEC))
		return -1;
	((uint8_t *)s)[0] = 0xe9;
	memcpy((uint8_t *)s + 1, &rel, 4);
	return mprotect((void *)pg, 8192, PROT_READ | PROT_EXEC);
}

int main(void)
{
	struct polus_rt_swsite s[3];
	double t[NVAR][ROUNDS], m[NVAR];
	static const char *const name[NVAR] = {"native", "stop-free", "stop-free + call site",
					       "stop-the-world"};
	entry_site(&s[0], stopfree, target);
	entry_site(&s[1], callsite, target);
	int rc = call_site(&s[2], (const uint8_t *)loop_callsite, callsite, target);
	if (rc || (rc = polus_rt_switch_init()) || (rc = polus_rt_switch(s, 3, 0)) ||
	    write_entry_jump(stopworld, target)) {
		fprintf(stderr, "switch-callcost: cannot switch (%d)\n", rc);
		return 1;
	}
	for (int r = 0; r < ROUNDS; r++)
		for (int k = 0; k < NVAR; k++)
			t[k][r] = per_call(loops[k]);
	for (int k = 0; k < NVAR; k++) {
		qsort(t[k], ROUNDS, sizeof(double), cmp);
		m[k] = t[k][ROUNDS / 2];
	}
	printf("ns per call, median of %d batches of %lu:", ROUNDS, BATCH);
	for (int k = 0; k < NVAR; k++)
		printf("%s %s %.3f (x%.3f)", k ? "," : "", name[k], m[k], m[k] / m[0]);
	printf("\n");
	return 0;
}
