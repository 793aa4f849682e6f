#include <stdio.h>
#include <assert.h>
static const char *where(void)
{
	return __FILE__;
}

int report(int x)
{
	assert(x > 0);
	fprintf(stderr, "report from %s\n", where());
	return x * 5;
}
