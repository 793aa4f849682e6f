/* polus-mkpatch live test program, release 1: answers "N" with three computations
 * that -O2 turns into the hazards the diff must catch. */
#include <stdio.h>
#include <stdlib.h>

static int served; /* state: must survive the update (the patch binds to it) */
static const int table[4] = {10, 20, 30, 40};

static inline int scale(int x)
{
	return x * 3;
}

static __attribute__((noinline)) int work(int a, int mode)
{
	int r = 0;
	for (int i = 0; i < a; i++)
		r += mode == 7 ? i * i : i;
	return r;
}

__attribute__((noinline)) int api_scale(int x)
{
	served++;
	return scale(x) + 1;
}

__attribute__((noinline)) int api_work(int a)
{
	return work(a, 7) + 1;
}

__attribute__((noinline)) int api_work2(int a)
{
	return work(a + 1, 7) + 2;
}

__attribute__((noinline)) int api_table(int i)
{
	return table[i & 3];
}

int main(void)
{
	char line[64];
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready\n");
	while (fgets(line, sizeof(line), stdin)) {
		int x = atoi(line);
		int s = api_scale(x);
		printf("%d %d %d %d %d\n", s, api_work(x), api_work2(x), api_table(x), served);
	}
	return 0;
}
