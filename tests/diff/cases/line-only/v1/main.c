#include <assert.h>
#include <stdio.h>
#define CHECK(x) do { if (!(x)) fprintf(stderr, "check failed at line %d\n", __LINE__); } while (0)

int before(int x)
{
	return x + 1;
}

int checked(int x)
{
	assert(x > 0);
	return x * 2;
}

int logged(int x)
{
	CHECK(x < 100);
	return x - 2;
}

int main(int argc, char **argv)
{
	(void)argv;
	printf("%d %d %d\n", before(argc), checked(argc), logged(argc));
	return 0;
}
