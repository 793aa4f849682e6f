/* tests/data/coexist.t, release 2: worker threads count events in a static struct under
 * a mutex; each worker also keeps its own count (an independent tally). Commands on
 * stdin: "s" prints the struct's counters, "h" runs hold(), an old writer that waits for
 * the next line before it returns, "b" starts a thread that blocks SIGSEGV (write
 * tracking refuses it, tests/track/apply.t), "stop" stops the workers and prints
 * "hits=H tally=T".
 * Release 2 inserts a field (errors) in the middle of the struct. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NT 3

static struct stats {
	long hits;
	long errors; /* new in release 2: every 7th event */
	long misses;
} stats;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long tally[NT];
static volatile int stopping;

__attribute__((noinline)) void record(long n)
{
	pthread_mutex_lock(&lock);
	stats.hits++;
	if (n % 3 == 0)
		stats.misses++;
	if (n % 7 == 0)
		stats.errors++;
	pthread_mutex_unlock(&lock);
}

__attribute__((noinline)) void report(void)
{
	pthread_mutex_lock(&lock);
	printf("%ld %ld %ld\n", stats.hits, stats.misses, stats.errors);
	pthread_mutex_unlock(&lock);
}

/* An old writer that stays active until the next input line. */
__attribute__((noinline)) void hold(void)
{
	char line[64];
	pthread_mutex_lock(&lock);
	stats.misses++;
	pthread_mutex_unlock(&lock);
	printf("holding\n");
	if (!fgets(line, sizeof(line), stdin))
		return;
	pthread_mutex_lock(&lock);
	stats.misses++;
	pthread_mutex_unlock(&lock);
	printf("released\n");
}

/* The final count: patched code, so it reads the copy the program now uses. */
__attribute__((noinline)) void finish(long tally_sum)
{
	printf("hits=%ld tally=%ld\n", stats.hits, tally_sum);
}

/* A thread that blocks SIGSEGV, as some programs' signal-handling threads do. */
static void *blocker(void *arg)
{
	sigset_t set;
	(void)arg;
	sigemptyset(&set);
	sigaddset(&set, SIGSEGV);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	printf("blocking\n");
	for (;;)
		pause();
	return NULL;
}

static void *worker(void *arg)
{
	long t = (long)arg;
	for (long n = 0; !stopping; n++) {
		record(n);
		tally[t]++;
	}
	return NULL;
}

int main(void)
{
	pthread_t th[NT], blk;
	char line[64];
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (long t = 0; t < NT; t++)
		pthread_create(&th[t], NULL, worker, (void *)t);
	printf("ready\n");
	while (fgets(line, sizeof(line), stdin)) {
		if (!strcmp(line, "s\n"))
			report();
		else if (!strcmp(line, "h\n"))
			hold();
		else if (!strcmp(line, "b\n"))
			pthread_create(&blk, NULL, blocker, NULL);
		else if (!strcmp(line, "stop\n"))
			break;
	}
	stopping = 1;
	long sum = 0;
	for (long t = 0; t < NT; t++) {
		pthread_join(th[t], NULL);
		sum += tally[t];
	}
	finish(sum);
	return 0;
}
