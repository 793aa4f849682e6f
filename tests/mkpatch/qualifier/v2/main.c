/* polus-mkpatch qualifier test program, release 2: answers "N" with the running total. */
#include <stdio.h>
#include <stdlib.h>

static volatile int dying; /* only the qualifier changed: same storage */

__attribute__((noinline)) int api(int x)
{
	dying += x;
	return dying + 1000;
}

int main(void)
{
	char line[64];
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready\n");
	while (fgets(line, sizeof(line), stdin))
		printf("%d\n", api(atoi(line)));
	return 0;
}
