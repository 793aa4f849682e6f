#include <stdio.h>
#include "b.h"
__thread int tcount;

__attribute__((noinline)) int api(int x)
{
	static int seen;
	seen++;
	tcount++;
	return helper(x) + seen + tcount + shared + newfn(x);
}

int main(int argc, char **argv)
{
	(void)argv;
	printf("%d\n", api(argc));
	return 0;
}
