/* callcost.c — the cost of one call to a trivial function, for bench/apply.sh: release 1.
 * Calls step() in batches and prints the mean CPU time per call after each batch, forever
 * (CPU time of the thread, so time spent descheduled on a busy machine does not count).
 * bench/apply.sh compares this process before and after a live update to release 2 (a
 * jump at step's entry) with release 2 running natively. */
#include <stdio.h>
#include <time.h>

#define BATCH 20000000ul

/* Kept out of line, as most functions a patch replaces are. */
__attribute__((noinline)) unsigned long step(unsigned long x)
{
	return x * 3 + 1;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(void)
{
	unsigned long acc = 1;

	for (;;) {
		double t0 = now_ns();

		for (unsigned long i = 0; i < BATCH; i++)
			acc = step(acc);
		printf("ns_per_call=%.3f acc=%lu\n", (now_ns() - t0) / (double)BATCH, acc & 7);
		fflush(stdout);
	}
}
