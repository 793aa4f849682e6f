/* bench/sync-cost.sh: times work(N) and prints nanoseconds per store. argv[1] = 1 sets the
 * coexistence flag (when the patch mode build has one): each store is then carried to the
 * old copy by the generated sync. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

void work(long n);
extern volatile int polus_coexist_st __attribute__((weak));

int main(int argc, char **argv)
{
	long n = 50000000;
	struct timespec a, b;
	if (argc > 1 && atoi(argv[1]) && &polus_coexist_st)
		polus_coexist_st = 1;
	work(n / 10); /* warm up */
	clock_gettime(CLOCK_MONOTONIC, &a);
	work(n);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%.3f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n);
	return 0;
}
