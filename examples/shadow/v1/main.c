/* examples/shadow, release 1: connections on the heap. "o" opens one (prints its
 * number), "d I N" says N bytes arrived on connection I, "s I" shows it. */
#include <stdio.h>
#include <stdlib.h>

struct conn {
	int id;
	long bytes;
};

static struct conn *conns[16];
static int nconns;

__attribute__((noinline)) void on_data(struct conn *c, long n)
{
	c->bytes += n;
}

__attribute__((noinline)) void show(const struct conn *c)
{
	printf("conn %d: %ld bytes\n", c->id, c->bytes);
}

int main(void)
{
	char line[64];
	int i;
	long n;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready\n");
	while (fgets(line, sizeof(line), stdin)) {
		if (line[0] == 'o' && nconns < 16) {
			struct conn *c = calloc(1, sizeof(*c));
			c->id = nconns;
			conns[nconns++] = c;
			printf("opened %d\n", c->id);
		} else if (sscanf(line, "d %d %ld", &i, &n) == 2 && i >= 0 && i < nconns) {
			on_data(conns[i], n);
			show(conns[i]);
		} else if (sscanf(line, "s %d", &i) == 1 && i >= 0 && i < nconns) {
			show(conns[i]);
		}
	}
	return 0;
}
