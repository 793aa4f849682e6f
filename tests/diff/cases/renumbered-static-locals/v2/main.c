#include <stdio.h>
int beta(void)
{
	static int calls;
	return calls += 2;
}

int alpha(void)
{
	static int calls;
	return ++calls;
}

int main(void)
{
	printf("%d %d\n", alpha(), beta());
	return 0;
}
