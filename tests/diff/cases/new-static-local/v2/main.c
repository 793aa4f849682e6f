#include <stdio.h>
int count(void)
{
	static int calls;
	static int total;
	total += 2;
	return ++calls + total;
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
