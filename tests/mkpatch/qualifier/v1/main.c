/* polus-mkpatch qualifier test program, release 1: answers "N" with the running total. */
#include <stdio.h>
#include <stdlib.h>

static int dying; /* state: release 2 makes it volatile; the patch must use this one */

__attribute__((noinline)) int api(int x)
{
	dying += x;
	return dying;
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
