#include <stdio.h>
int report(int x);

int main(int argc, char **argv)
{
	(void)argv;
	printf("%s %d\n", __FILE__, report(argc));
	return 0;
}
