#include <stdio.h>
struct conn {
	int fd;
	int flags;
	int len;
};

__attribute__((noinline)) int get_fd(struct conn *c)
{
	return c->fd;
}

__attribute__((noinline)) int get_len(struct conn *c)
{
	return c->len;
}

int main(void)
{
	struct conn c = {3, 4};
	printf("%d %d\n", get_fd(&c), get_len(&c));
	return 0;
}
