/* tests/mkpatch/strict.t: widen() changes its signature, so the patch cannot redirect it
 * (its old callers keep the old code): the proof cannot show it live. */
#include <stdio.h>

__attribute__((noinline)) long widen(long x) { return x * 4L; }

int main(int argc, char **argv)
{
	(void)argv;
	printf("%ld\n", widen(argc));
	return 0;
}
