#include <stdio.h>
static inline int scale(int x)
{
	return x * 4;
}

int api(int x)
{
	return scale(x) + 1;
}

int other(int x)
{
	return x - 1;
}

int main(int argc, char **argv)
{
	(void)argv;
	printf("%d %d\n", api(argc), other(argc));
	return 0;
}
