/* release 2: both of check()'s paths changed (the hot one and the one in check.cold). */
#include <stdio.h>
#include <stdlib.h>
static long errors;
__attribute__((cold, noinline)) static void report(const char *what, int x)
{
	errors++;
	fprintf(stderr, "bad %s %d\n", what, x);
}
__attribute__((noinline)) long check(int x)
{
	if (__builtin_expect(x < 0, 0)) {
		report("negative", x);
		for (int i = 0; i < 3; i++)
			fprintf(stderr, "  [%d] %ld\n", i, errors + i);
		return -2;
	}
	return x * 3;
}
int main(void)
{
	char line[64];
	printf("ready\n");
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		long r = check(atoi(line));

		printf("%ld %ld\n", r, errors);
		fflush(stdout);
	}
	return 0;
}
