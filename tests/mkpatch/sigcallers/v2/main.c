/* tests/mkpatch/sigcallers.t, release 2: answers "N" with scale(N), without truncating N. The fix of release 2
 * widens the static helper's parameter (its signature changes, so its entry cannot be
 * redirected), and its one caller, api, is redirected: the fix is live for new calls. */
#include <stdio.h>
#include <stdlib.h>

static __attribute__((noinline)) long scale(long x)
{
	return x * 2L;
}

__attribute__((noinline)) long api(long x)
{
	return scale(x) + 1;
}

int main(void)
{
	char line[64];
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready\n");
	while (fgets(line, sizeof(line), stdin))
		printf("%ld\n", api(atol(line)));
	return 0;
}
