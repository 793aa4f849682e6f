/* heartbeat.c — see heartbeat.h. Sleeps to absolute deadlines, so a late wake-up does not
 * shift the following ones; the gap is measured between actual wake-ups. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include "counters.h"
#include "heartbeat.h"

static unsigned long period_ns;
static unsigned long max_gap_ns;
static unsigned long ticks;

static unsigned long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long)ts.tv_sec * 1000000000ul + (unsigned long)ts.tv_nsec;
}

static void *beat(void *arg)
{
	unsigned long prev = now_ns(), next = prev;

	(void)arg;
	for (;;) {
		struct timespec ts;
		unsigned long now, gap;
		int rc;

		next += period_ns;
		ts.tv_sec = (time_t)(next / 1000000000ul);
		ts.tv_nsec = (long)(next % 1000000000ul);
		rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		if (rc == EINTR)
			COUNT(eintr);
		now = now_ns();
		gap = now - prev;
		prev = now;
		if (gap > __atomic_load_n(&max_gap_ns, __ATOMIC_RELAXED))
			__atomic_store_n(&max_gap_ns, gap, __ATOMIC_RELAXED);
		__atomic_add_fetch(&ticks, 1, __ATOMIC_RELAXED);
		/* Fell behind: restart the schedule from now rather than wake in a burst. */
		if (now > next + period_ns)
			next = now;
	}
	return NULL;
}

int heartbeat_start(unsigned period_us)
{
	pthread_t tid;
	int rc;

	period_ns = (unsigned long)period_us * 1000ul;
	rc = pthread_create(&tid, NULL, beat, NULL);
	if (rc == 0)
		pthread_detach(tid);
	return rc;
}

void heartbeat_reset(void)
{
	__atomic_store_n(&max_gap_ns, 0, __ATOMIC_RELAXED);
}

int heartbeat_format(char *out, size_t outsz)
{
	int n = snprintf(out, outsz, "hb_period_us=%lu hb_max_gap_us=%lu hb_ticks=%lu",
			 period_ns / 1000, __atomic_load_n(&max_gap_ns, __ATOMIC_RELAXED) / 1000,
			 __atomic_load_n(&ticks, __ATOMIC_RELAXED));
	if (n < 0)
		return 0;
	return (size_t)n < outsz ? n : (int)outsz - 1;
}
