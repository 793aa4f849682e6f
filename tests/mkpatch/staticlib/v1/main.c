/* polus-mkpatch staticlib test program, release 1: answers "N" with vendor_scale(N).
 * The bug: release 2 also counts N into the vendored library's state. */
#include <stdio.h>
#include <stdlib.h>

int vendor_scale(int x);
int vendor_bump(int x);

__attribute__((noinline)) int api(int x)
{
	return vendor_scale(x);
}

int main(void)
{
	char line[64];
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready\n");
	while (fgets(line, sizeof(line), stdin)) {
		int x = atoi(line);
		printf("%d\n", x < 0 ? vendor_bump(0) : api(x));
	}
	return 0;
}
