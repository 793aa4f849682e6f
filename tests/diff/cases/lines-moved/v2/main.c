/* a comment
   that moves everything
   down */

#include <stdio.h>
static int twice(int x)
{
	return 2 * x;
}

int api(int x)
{
	return twice(x) + 1;
}

int main(int argc, char **argv)
{
	(void)argv;
	printf("%d\n", api(argc));
	return 0;
}
