/*
 * examples/coexist, release 1: a counter server whose state gains a field in release 2.
 *
 * Listens on 127.0.0.1 (--port N, 0 = pick one; prints "listening on 127.0.0.1:PORT"), a
 * thread per connection, one request per line:
 *   HIT      counts a hit (stats.hits, under the mutex); answers OK
 *   STATS    hits=H ticks=T
 *   VERSION  v1
 *   WATCH    a long request that keeps writing the state: answers WATCHING, then counts a
 *            tick (stats.ticks) every millisecond until the client sends a line, then
 *            answers "WATCHED N hits=H": the ticks it counted, and the hits as it sees them
 *   QUIT     closes the connection
 * Release 2 inserts a field (misses: requests it does not know) in the middle of the
 * struct: a live update gives the new code a new copy of the state while a WATCH started
 * before it keeps writing the old copy (docs/coexistence.md).
 */
#include "coexist.h"

#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static struct stats {
	long hits;  /* HIT requests */
	long ticks; /* milliseconds watched */
} stats;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

__attribute__((noinline)) static void count_hit(void)
{
	pthread_mutex_lock(&lock);
	stats.hits++;
	pthread_mutex_unlock(&lock);
}

__attribute__((noinline)) static void show_stats(char *out, size_t len)
{
	pthread_mutex_lock(&lock);
	snprintf(out, len, "hits=%ld ticks=%ld\n", stats.hits, stats.ticks);
	pthread_mutex_unlock(&lock);
}

/* The long request: a tick a millisecond until the client speaks. */
__attribute__((noinline)) static void watch(int fd, char *out, size_t len)
{
	struct pollfd p = {fd, POLLIN, 0};
	long n = 0, hits;
	while (poll(&p, 1, 1) == 0) {
		pthread_mutex_lock(&lock);
		stats.ticks++;
		pthread_mutex_unlock(&lock);
		n++;
	}
	pthread_mutex_lock(&lock);
	hits = stats.hits;
	pthread_mutex_unlock(&lock);
	snprintf(out, len, "WATCHED %ld hits=%ld\n", n, hits);
}

/* One request: the answer into out; 0 to close the connection. */
__attribute__((noinline)) static int handle(const char *line, int fd, FILE *in, char *out,
					    size_t len)
{
	char rest[LINE_MAX_LEN];
	if (!strcmp(line, "HIT\n")) {
		count_hit();
		snprintf(out, len, "OK\n");
	} else if (!strcmp(line, "STATS\n")) {
		show_stats(out, len);
	} else if (!strcmp(line, "VERSION\n")) {
		snprintf(out, len, "v1\n");
	} else if (!strcmp(line, "WATCH\n")) {
		if (write(fd, "WATCHING\n", 9) != 9)
			return 0;
		watch(fd, out, len);
		if (!fgets(rest, sizeof(rest), in)) /* the line that ended it */
			return 0;
	} else if (!strcmp(line, "QUIT\n")) {
		return 0;
	} else {
		snprintf(out, len, "ERR unknown request\n");
	}
	return 1;
}

static void *serve(void *arg)
{
	int fd = (int)(long)arg;
	FILE *in = fdopen(fd, "r");
	char line[LINE_MAX_LEN], out[LINE_MAX_LEN];
	while (in && fgets(line, sizeof(line), in) && handle(line, fd, in, out, sizeof(out))) {
		size_t n = strlen(out);
		if (write(fd, out, n) != (ssize_t)n)
			break;
	}
	if (in)
		fclose(in);
	else
		close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);
	int one = 1, s = socket(AF_INET, SOCK_STREAM, 0);
	if (argc == 3 && !strcmp(argv[1], "--port"))
		a.sin_port = htons((unsigned short)atoi(argv[2]));
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 64) ||
	    getsockname(s, (struct sockaddr *)&a, &alen)) {
		perror("coexist: listen");
		return 1;
	}
	printf("listening on 127.0.0.1:%d\n", ntohs(a.sin_port));
	fflush(stdout);
	for (;;) {
		int c = accept(s, NULL, NULL);
		pthread_t t;
		if (c < 0)
			continue;
		if (pthread_create(&t, NULL, serve, (void *)(long)c) == 0)
			pthread_detach(t);
		else
			close(c);
	}
}
