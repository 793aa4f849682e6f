/* main.c — the example server of polus: a small multithreaded key/value server that the
 * demo and the end-to-end tests update live from one release to the next.
 *
 * The main thread accepts connections on 127.0.0.1 and hands each to one of N worker
 * threads round-robin; each worker waits in epoll_wait for its connections and serves the
 * line protocol of proto.h. A heartbeat thread measures how long the process could not run
 * (heartbeat.h). A HOLD request runs in a thread of its own, blocked on a fifo, so a test
 * can keep one invocation of the old code alive across an update. */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "counters.h"
#include "heartbeat.h"
#include "io.h"
#include "proto.h"

#define MAX_THREADS 1024
#define LINE_MAX_LEN 1024

struct conn {
	int fd;
	size_t len;
	char buf[LINE_MAX_LEN];
};

struct worker {
	pthread_t tid;
	int ep;
};

static struct worker *workers;
static unsigned nworkers;

static void usage(FILE *f)
{
	fprintf(f, "usage: server [--port N] [--threads N] [--hold-fifo PATH] [--hb-us N]\n"
		   "  --port N        TCP port on 127.0.0.1 (0, the default: pick one)\n"
		   "  --threads N     worker threads (default 4)\n"
		   "  --hold-fifo P   fifo that a HOLD request waits on\n"
		   "  --hb-us N       heartbeat period in microseconds (default 200)\n"
		   "Prints 'listening on 127.0.0.1:PORT' once it accepts connections.\n");
}

static void drop(struct worker *w, struct conn *c)
{
	epoll_ctl(w->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c);
}

static void *hold_thread(void *arg)
{
	struct conn *c = arg;

	proto_hold(c->fd);
	close(c->fd);
	free(c);
	return NULL;
}

/* Reads what the connection has and answers every complete line. Returns 0 to keep the
 * connection, PROTO_CLOSE to drop it, PROTO_HOLD when it left for a hold thread. */
static int serve(struct conn *c)
{
	char out[1024];
	size_t start = 0;
	ssize_t r;

	r = io_read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
	if (r == -EAGAIN)
		return 0;
	if (r <= 0)
		return PROTO_CLOSE;
	c->len += (size_t)r;
	for (;;) {
		char *nl = memchr(c->buf + start, '\n', c->len - start);
		size_t len;
		int n;

		if (!nl)
			break;
		len = (size_t)(nl - (c->buf + start));
		if (len > 0 && c->buf[start + len - 1] == '\r')
			len--;
		n = proto_handle(c->buf + start, len, out, sizeof(out));
		start = (size_t)(nl - c->buf) + 1;
		if (n < 0)
			return n;
		if (io_write_all(c->fd, out, (size_t)n) < 0)
			return PROTO_CLOSE;
	}
	memmove(c->buf, c->buf + start, c->len - start);
	c->len -= start;
	if (c->len == sizeof(c->buf)) {
		io_write_all(c->fd, "ERR line too long\n", 18);
		return PROTO_CLOSE;
	}
	return 0;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	struct epoll_event ev[64];

	for (;;) {
		int n = epoll_wait(w->ep, ev, 64, -1);

		if (n < 0) {
			if (errno == EINTR)
				COUNT(eintr);
			continue;
		}
		for (int i = 0; i < n; i++) {
			struct conn *c = ev[i].data.ptr;
			int rc = serve(c);
			pthread_t tid;

			if (rc == PROTO_CLOSE) {
				drop(w, c);
			} else if (rc == PROTO_HOLD) {
				epoll_ctl(w->ep, EPOLL_CTL_DEL, c->fd, NULL);
				if (pthread_create(&tid, NULL, hold_thread, c) == 0) {
					pthread_detach(tid);
				} else {
					close(c->fd);
					free(c);
				}
			}
		}
	}
	return NULL;
}

static int listen_on(unsigned port, unsigned *bound)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t alen = sizeof(a);
	int one = 1, fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((unsigned short)port);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 512) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &alen) < 0) {
		close(fd);
		return -1;
	}
	*bound = ntohs(a.sin_port);
	return fd;
}

static int parse_uint(const char *s, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > max)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static void accept_loop(int lfd)
{
	unsigned next = 0;

	for (;;) {
		struct epoll_event ev = {.events = EPOLLIN};
		struct conn *c;
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR) {
				COUNT(eintr);
			} else if (errno == EMFILE || errno == ENFILE || errno == ENOMEM) {
				struct timespec ts = {0, 10000000};
				nanosleep(&ts,
					  NULL); /* out of descriptors: let connections close */
			}
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->fd = fd;
		ev.data.ptr = c;
		COUNT(conns);
		if (epoll_ctl(workers[next].ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
			close(fd);
			free(c);
		}
		next = (next + 1) % nworkers;
	}
}

int main(int argc, char **argv)
{
	unsigned port = 0, hb_us = 200, bound;
	const char *fifo = NULL;
	int lfd, rc;

	nworkers = 4;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int bad = 0;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		}
		if (!v) {
			fprintf(stderr, "server: %s: unknown option or missing value\n", a);
			return 2;
		}
		i++;
		if (!strcmp(a, "--port"))
			bad = parse_uint(v, 65535, &port) < 0;
		else if (!strcmp(a, "--threads"))
			bad = parse_uint(v, MAX_THREADS, &nworkers) < 0 || nworkers == 0;
		else if (!strcmp(a, "--hb-us"))
			bad = parse_uint(v, 1000000, &hb_us) < 0 || hb_us == 0;
		else if (!strcmp(a, "--hold-fifo"))
			fifo = v;
		else
			bad = 1;
		if (bad) {
			fprintf(stderr, "server: bad option %s %s (try --help)\n", a, v);
			return 2;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	workers = calloc(nworkers, sizeof(*workers));
	if (!workers) {
		fprintf(stderr, "server: out of memory\n");
		return 1;
	}
	proto_init(fifo, nworkers);
	lfd = listen_on(port, &bound);
	if (lfd < 0) {
		fprintf(stderr, "server: cannot listen on 127.0.0.1:%u: %m\n", port);
		return 1;
	}
	for (unsigned i = 0; i < nworkers; i++) {
		workers[i].ep = epoll_create1(EPOLL_CLOEXEC);
		if (workers[i].ep < 0 ||
		    (rc = pthread_create(&workers[i].tid, NULL, work, &workers[i])) != 0) {
			fprintf(stderr, "server: cannot start worker %u\n", i);
			return 1;
		}
	}
	rc = heartbeat_start(hb_us);
	if (rc) {
		fprintf(stderr, "server: cannot start heartbeat: %s\n", strerror(rc));
		return 1;
	}
	printf("listening on 127.0.0.1:%u\n", bound);
	fflush(stdout);
	accept_loop(lfd);
	return 0;
}
