/* A change that reaches callers only through clones of f (tests/mkpatch/clones.t):
 * built with -O3 -fno-early-inlining, IPA-CP specializes f for mode 1 (f.constprop)
 * and inlines that clone into caller1 and caller2, ipa-split's f.part.0 lands in
 * caller3; no caller has f itself inlined. */
#include <stdio.h>
#include <stdlib.h>

static __attribute__((noinline)) int big(int a, int mode)
{
	int s = 0;
	for (int i = 0; i < a % 7 + mode; i++)
		s += i * a;
	return s;
}

static int f(int a, int mode)
{
	if (mode == 1)
		return a * 2 + 1;
	if (mode == 2)
		return big(a, mode);
	return big(a, mode) - a;
}

__attribute__((noinline)) int caller1(int a) { return f(a, 1); }
__attribute__((noinline)) int caller2(int a) { return f(a, 1) + f(a + 1, 1); }
__attribute__((noinline)) int caller3(int a) { return f(a, 3) + f(a, 2); }

int main(void)
{
	char line[64];
	setvbuf(stdout, NULL, _IOLBF, 0);
	puts("ready");
	while (fgets(line, sizeof line, stdin)) {
		int a = atoi(line);
		printf("%d %d %d\n", caller1(a), caller2(a), caller3(a));
	}
	return 0;
}
