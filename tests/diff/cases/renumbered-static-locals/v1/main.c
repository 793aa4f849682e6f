#include <stdio.h>
int alpha(void)
{
	static int calls;
	return ++calls;
}

int beta(void)
{
	static int calls;
	return calls += 2;
}

int main(void)
{
	printf("%d %d\n", alpha(), beta());
	return 0;
}
