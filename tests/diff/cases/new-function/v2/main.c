#include <stdio.h>
int api(int x)
{
	return x + 1;
}

int added(int x)
{
	return x * 9;
}

int main(int argc, char **argv)
{
	(void)argv;
	printf("%d\n", api(argc));
	return 0;
}
