#include <stdio.h>
static int reports;

int report(int x)
{
	reports++;
	return x * 6 + reports;
}
