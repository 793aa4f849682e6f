/* polus-mkpatch test program, release 1: `total` is only ever changed by `account`, which
 * -O2 specializes into account.constprop.0 (every call passes 5): OLD has no `account`. */
#include <stdio.h>
#include <stdlib.h>

static long total;

static __attribute__((noinline)) long account(int k)
{
	total += k;
	return total * 2 + k;
}

__attribute__((noinline)) long serve(int x)
{
	return account(5) + x;
}

__attribute__((noinline)) long serve_again(int x)
{
	return account(5) - x;
}

__attribute__((noinline)) long get_total(void)
{
	return total;
}

int main(void)
{
	char line[64];

	printf("ready\n");
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		long r = serve(atoi(line));
		printf("%ld %ld\n", r, get_total());
		fflush(stdout);
	}
	return 0;
}
