#include <stdio.h>
static const int table[8] = {1, 2, 3, 5, 8, 13, 21, 35};

__attribute__((noinline)) int lookup(int i)
{
	return table[i & 7];
}

int unrelated(int i)
{
	return i + 42;
}

int main(int argc, char **argv)
{
	(void)argv;
	printf("%d %d\n", lookup(argc), unrelated(argc));
	return 0;
}
