/* tests/mkpatch/xfn.t: answer() has scale() inlined from scale.h, whose body changes. */
#include "scale.h"
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) int answer(int a) { return scale(a) + 1; }

int main(void)
{
	char line[64];
	setvbuf(stdout, NULL, _IOLBF, 0);
	puts("ready");
	while (fgets(line, sizeof line, stdin))
		printf("%d\n", answer(atoi(line)));
	return 0;
}
