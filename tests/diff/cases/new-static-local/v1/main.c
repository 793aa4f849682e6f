#include <stdio.h>
int count(void)
{
	static int calls;
	return ++calls;
}

int other(int x)
{
	return x + 7;
}

int main(void)
{
	printf("%d %d\n", count(), other(1));
	return 0;
}
