#include <stdio.h>
static __attribute__((noinline)) int work(int a, int mode)
{
	int r = 0;
	for (int i = 0; i < a; i++)
		r += mode == 7 ? i * i : i;
	return r;
}

int first(int a)
{
	return work(a, 7) + 1;
}

int second(int a)
{
	return work(a + 1, 7) * 2;
}

int main(int argc, char **argv)
{
	(void)argv;
	printf("%d %d\n", first(argc), second(argc));
	return 0;
}
