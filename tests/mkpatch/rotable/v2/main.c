/* tests/mkpatch/rotable.t, release 2 (one entry more): answers "N" with the sum of the first N entries of a
 * read-only table (a parser's tables, say). Release 2's table has one entry more (its type
 * changes: int [4] -> int [5]); the state (calls) is kept. */
#include <stdio.h>
#include <stdlib.h>

static const int table[] = {1, 2, 3, 4, 50};
static int calls;

__attribute__((noinline)) int api(int n)
{
	int s = 0;
	calls++;
	for (int i = 0; i < n && i < (int)(sizeof(table) / sizeof(table[0])); i++)
		s += table[i];
	return s * 1000 + calls;
}

int main(void)
{
	char line[64];
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready\n");
	while (fgets(line, sizeof(line), stdin))
		printf("%d\n", api(atoi(line)));
	return 0;
}
