/* polus-mkpatch test program, release 1: serve calls sum, a target_clones function (an IFUNC). */
#include <stdio.h>
__attribute__((target_clones("default", "avx2"))) int sum(const int *v, int n)
{
	int s = 0;
	for (int i = 0; i < n; i++)
		s += v[i];
	return s;
}
__attribute__((noinline)) int serve(int x)
{
	int v[4] = {x, x, x, x};
	return sum(v, 4) + 1;
}
int main(void)
{
	printf("%d\n", serve(2));
	return 0;
}
