/* polus-mkpatch test program, release 1 */
#include <assert.h>
#include <stdio.h>
#include "common.h"

int counter = 5;
int limit = 10;
static int hits; /* util.c has its own: binds must tell them apart */

static __attribute__((noinline)) int bump(int x)
{
	hits++;
	return x + counter;
}

__attribute__((noinline)) int api(int x)
{
	return bump(x) * 2 + helper(x) + limit;
}

__attribute__((noinline)) int sig(int x)
{
	return x + 1;
}

__attribute__((noinline)) int checked(int x)
{
	assert(x > 0);
	return x * 7;
}

int main(int argc, char **argv)
{
	(void)argv;
	printf("%d %d %d\n", api(argc), sig(argc), checked(argc));
	return 0;
}
