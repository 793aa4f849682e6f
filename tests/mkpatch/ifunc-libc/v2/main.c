/* polus-mkpatch libc-IFUNC test program, release 2. Built with -O2 -D_FORTIFY_SOURCE=2:
 * api_query's memcpy into a sized buffer becomes __memcpy_chk; strstr and
 * __memcpy_chk are IFUNCs of libc that libc has no IRELATIVE slot for. Requests:
 * "q TEXT" api_query, "n" api_now, "c" whether the load thread still runs. A thread
 * spins in api_spin the whole time (the load the patch is applied under). */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static char buf[32];
static volatile unsigned long spins;
static volatile long zero; /* keeps api_now longer than a jump */

/* v1: 1 when TEXT holds "ab"; the test never asks before the apply in the lazy cases */
__attribute__((noinline)) int api_query(const char *s)
{
	memcpy(buf, s, strlen(s) + 1);
	const char *p = strstr(buf, "cd");
	return p ? (int)(p - buf) + 100 : -1;
}

/* v1: 0; v2: time(NULL), an IFUNC v1 does not import */
__attribute__((noinline)) long api_now(void)
{
#ifdef NO_TIME
	return zero + 1;
#else
	return zero + (long)time(NULL);
#endif
}

__attribute__((noinline)) void api_spin(void)
{
	spins++;
}

static void *load(void *arg)
{
	for (;;)
		api_spin();
	return arg;
}

int main(void)
{
	char line[64];
	pthread_t t;
	setvbuf(stdout, NULL, _IOLBF, 0);
	pthread_create(&t, NULL, load, NULL);
	printf("ready\n");
	while (fgets(line, sizeof(line), stdin)) {
		unsigned long s0 = spins;
		line[strcspn(line, "\n")] = 0;
		if (line[0] == 'q')
			printf("%d\n", api_query(line + 2));
		else if (line[0] == 'n')
			printf("%ld\n", api_now());
		else if (line[0] == 'c') {
			while (spins == s0)
				;
			printf("spinning\n");
		}
	}
	return 0;
}
