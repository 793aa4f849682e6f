/* tests/data/refusals.t, release 2: four variables whose type changes in release 2, each
 * in a way polus refuses: one holds a lock, one an atomic, one has its address passed to
 * the kernel (read()), and one is passed by address to a function that stays redirected. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

struct locked {
	pthread_mutex_t m;
	int n;
	long waits;
} locked = {PTHREAD_MUTEX_INITIALIZER, 0};
struct counts {
	_Atomic int a;
	int b;
	int c;
} counts;
struct buf {
	char data[16];
	int len;
	int flags;
} buf;
struct st {
	int y;
	int x;
} st;

__attribute__((noinline)) int get_x(struct st *p)
{
	int s = 0;
	for (int i = 0; i < p->x; i++)
		s += i * p->x;
	return s;
}

__attribute__((noinline)) void step(void)
{
	pthread_mutex_lock(&locked.m);
	locked.n++;
	pthread_mutex_unlock(&locked.m);
	counts.a++;
	counts.b++;
	buf.len = (int)read(0, buf.data, sizeof(buf.data));
	st.x++;
	printf("%d %d %d %d\n", locked.n, counts.b, buf.len, get_x(&st));
}

int main(void)
{
	for (int i = 0; i < 3; i++)
		step();
	return 0;
}
