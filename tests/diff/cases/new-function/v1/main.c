#include <stdio.h>
int api(int x)
{
	return x + 1;
}

int main(int argc, char **argv)
{
	(void)argv;
	printf("%d\n", api(argc));
	return 0;
}
