/* examples/shadow, release 2 (the shadow route): connections on the heap. "o" opens
 * one (prints its number), "d I N" says N bytes arrived on connection I, "s I" shows it. */
#include "shadow.h"
#include <stdio.h>
#include <stdlib.h>

/* Release 2 counts messages per connection. Connections opened before the update are
 * struct conn objects of release 1's layout, so the struct stays as it is and the new
 * field lives in shadow data attached to each object (runtime/shadow.h). */
#define CONN_EXTRA 1
struct conn_extra {
	long msgs;
};

struct conn {
	int id;
	long bytes;
};

static struct conn *conns[16];
static int nconns;

__attribute__((noinline)) void on_data(struct conn *c, long n)
{
	struct conn_extra *x = polus_shadow_attach(c, CONN_EXTRA, sizeof(*x));
	c->bytes += n;
	if (x)
		x->msgs++;
}

__attribute__((noinline)) void show(const struct conn *c)
{
	struct conn_extra *x = polus_shadow_get(c, CONN_EXTRA);
	printf("conn %d: %ld bytes in %ld messages\n", c->id, c->bytes, x ? x->msgs : 0L);
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
