/* loadgen.c — load generator for the example server (examples/server).
 *
 * N threads, each with its own connection, issue requests back to back until the duration
 * ends or SIGINT/SIGTERM arrives, and check every answer: SET then GET of the same key must
 * return the value just written, INCR of the thread's own counter must go up by exactly
 * one, PING must answer PONG, VERSION must never go back to an older release (unless
 * --rollbacks 1: the server is rolled back on purpose, any release counts). A connection
 * error, a timeout, or a wrong or missing reply is a failure. With --reconnect N each thread
 * closes its connection after every N rounds of those five requests and dials again (a
 * process per connection, or another worker of a pre-forked server, may answer: the
 * INCR and VERSION checks start afresh on each connection). Prints one summary line
 *   requests=N failed=M p50_us=N p99_us=N max_us=N rps=N v1=N v2=N
 * and exits 1 if any request failed (2 on bad usage). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Latency histogram: 1 us buckets below FINE_US, then COARSE_STEP us buckets. */
#define FINE_US 4096
#define COARSE_STEP 64
#define NBUCKETS (FINE_US + 16384)
#define MAX_VERSION 16
#define MAX_REPORTED 5

struct worker {
	pthread_t tid;
	unsigned id;
	unsigned long requests, failed;
	unsigned long versions[MAX_VERSION];
	unsigned long max_us;
	unsigned long *hist;
};

static unsigned port, timeout_ms = 5000, reconnect, rollbacks;
static volatile int stop;
static unsigned long reported;
static unsigned connected;

static unsigned long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long)ts.tv_sec * 1000000ul + (unsigned long)ts.tv_nsec / 1000;
}

static void report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The first few failures are described on stderr; the summary counts them all. */
static void report(const char *fmt, ...)
{
	va_list ap;

	if (__atomic_add_fetch(&reported, 1, __ATOMIC_RELAXED) > MAX_REPORTED)
		return;
	va_start(ap, fmt);
	fputs("loadgen: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static int dial(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
	struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
	int one = 1, fd;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

struct conn {
	int fd;
	size_t len;
	char buf[4096];
};

/* Sends one request line and reads one reply line (without '\n') into reply.
 * Returns 0, or -1 with a description in reply. */
static int call(struct conn *c, const char *req, char *reply, size_t rsz)
{
	size_t rlen = strlen(req), off = 0;

	while (off < rlen) {
		ssize_t n = send(c->fd, req + off, rlen - off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(reply, rsz, "send: %s", strerror(errno));
			return -1;
		}
		off += (size_t)n;
	}
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);
		ssize_t n;

		if (nl) {
			size_t l = (size_t)(nl - c->buf);

			snprintf(reply, rsz, "%.*s", (int)l, c->buf);
			memmove(c->buf, nl + 1, c->len - l - 1);
			c->len -= l + 1;
			return 0;
		}
		if (c->len == sizeof(c->buf)) {
			snprintf(reply, rsz, "reply line too long");
			return -1;
		}
		n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(reply, rsz, n == 0 ? "connection closed" : "recv: %s",
				 n == 0		   ? ""
				 : errno == EAGAIN ? "timed out"
						   : strerror(errno));
			return -1;
		}
		c->len += (size_t)n;
	}
}

static void record(struct worker *w, unsigned long us)
{
	unsigned long b = us < FINE_US ? us : FINE_US + (us - FINE_US) / COARSE_STEP;

	w->hist[b < NBUCKETS ? b : NBUCKETS - 1]++;
	if (us > w->max_us)
		w->max_us = us;
}

static void *run(void *arg)
{
	struct worker *w = arg;
	struct conn c = {.fd = -1};
	long long last_incr = -1;
	unsigned long seq = 0;
	int last_version = 0;

	while (!stop) {
		char req[128], want[128], got[512];
		unsigned long t0;
		int step = (int)(seq % 5), ok;

		if (c.fd >= 0 && reconnect && step == 0 && seq && seq / 5 % reconnect == 0) {
			close(c.fd); /* a fresh connection for the next round */
			c.fd = -1;
		}
		if (c.fd < 0) {
			if (reconnect) { /* maybe another process: its own table and release */
				last_incr = -1;
				last_version = 0;
			}
			c.fd = dial();
			c.len = 0;
			if (c.fd < 0) {
				w->failed++;
				report("thread %u: connect: %s", w->id, strerror(errno));
				struct timespec ts = {0, 10000000};
				nanosleep(&ts, NULL);
				continue;
			}
			if (seq == 0)
				__atomic_add_fetch(&connected, 1, __ATOMIC_RELAXED);
		}
		/* SET, GET (the value just set), INCR, PING, VERSION, round and round. */
		switch (step) {
		case 0:
			snprintf(req, sizeof(req), "SET lg%u.%lu v%lu\n", w->id, seq / 5 % 64, seq);
			snprintf(want, sizeof(want), "OK");
			break;
		case 1:
			snprintf(req, sizeof(req), "GET lg%u.%lu\n", w->id, seq / 5 % 64);
			snprintf(want, sizeof(want), "VALUE v%lu", seq - 1);
			break;
		case 2:
			snprintf(req, sizeof(req), "INCR lgc%u.%d\n", w->id, (int)getpid());
			want[0] = 0;
			break;
		case 3:
			snprintf(req, sizeof(req), "PING\n");
			snprintf(want, sizeof(want), "PONG");
			break;
		default:
			snprintf(req, sizeof(req), "VERSION\n");
			want[0] = 0;
			break;
		}
		t0 = now_us();
		if (call(&c, req, got, sizeof(got)) < 0) {
			w->failed++;
			w->requests++;
			report("thread %u: %.*s: %s", w->id, (int)strlen(req) - 1, req, got);
			close(c.fd);
			c.fd = -1;
			seq += 5 - (unsigned long)step; /* start the next round fresh */
			continue;
		}
		record(w, now_us() - t0);
		w->requests++;
		if (step == 2) {
			long long v;

			ok = sscanf(got, "INT %lld", &v) == 1 &&
			     (last_incr < 0 || v == last_incr + 1);
			if (ok)
				last_incr = v;
		} else if (step == 4) {
			int v;

			ok = sscanf(got, "VERSION v%d", &v) == 1 &&
			     (v >= last_version || rollbacks) && v > 0;
			if (ok) {
				last_version = v;
				w->versions[v < MAX_VERSION ? v : 0]++;
			}
		} else {
			ok = strcmp(got, want) == 0;
		}
		if (!ok) {
			w->failed++;
			report("thread %u: %.*s: wrong reply '%s'", w->id, (int)strlen(req) - 1,
			       req, got);
		}
		seq++;
	}
	if (c.fd >= 0)
		close(c.fd);
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: loadgen --port N [--threads N] [--duration SECS] [--timeout-ms N]\n"
		   "               [--reconnect ROUNDS] [--rollbacks 1]\n"
		   "  Loads the example server on 127.0.0.1:PORT with N threads (default 2), one\n"
		   "  connection each, for SECS seconds (default 0: until SIGINT or SIGTERM), and\n"
		   "  checks every reply. Prints 'running' on stderr once every thread is\n"
		   "  connected, then 'requests=N failed=M p50_us=N p99_us=N ...' at the end.\n"
		   "  --reconnect: a new connection after every ROUNDS rounds of 5 requests.\n"
		   "  Exits 1 if any request failed. A VERSION older than one seen before is a\n"
		   "  failure, unless --rollbacks 1 (the server is being rolled back).\n");
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

static unsigned long percentile(const unsigned long *hist, unsigned long total, double p)
{
	unsigned long want = (unsigned long)(p * (double)total), seen = 0;

	for (unsigned long b = 0; b < NBUCKETS; b++) {
		seen += hist[b];
		if (seen > want)
			return b < FINE_US ? b : FINE_US + (b - FINE_US) * COARSE_STEP;
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned nthreads = 2, duration = 0;
	unsigned long requests = 0, failed = 0, max_us = 0, *hist, t0, t1;
	unsigned long versions[MAX_VERSION] = {0};
	struct worker *w;
	sigset_t set;
	int have_port = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int bad;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		}
		if (!v) {
			fprintf(stderr, "loadgen: %s: unknown option or missing value\n", a);
			return 2;
		}
		i++;
		if (!strcmp(a, "--port"))
			bad = parse_uint(v, 65535, &port) < 0 || port == 0 || !(have_port = 1);
		else if (!strcmp(a, "--threads"))
			bad = parse_uint(v, 4096, &nthreads) < 0 || nthreads == 0;
		else if (!strcmp(a, "--duration"))
			bad = parse_uint(v, 86400, &duration) < 0;
		else if (!strcmp(a, "--reconnect"))
			bad = parse_uint(v, 1000000, &reconnect) < 0;
		else if (!strcmp(a, "--rollbacks"))
			bad = parse_uint(v, 1, &rollbacks) < 0;
		else if (!strcmp(a, "--timeout-ms"))
			bad = parse_uint(v, 600000, &timeout_ms) < 0 || timeout_ms == 0;
		else
			bad = 1;
		if (bad) {
			fprintf(stderr, "loadgen: bad option %s %s (try --help)\n", a, v);
			return 2;
		}
	}
	if (!have_port) {
		fprintf(stderr, "loadgen: --port is required (try --help)\n");
		return 2;
	}
	/* Only the main thread takes SIGINT/SIGTERM, so workers never see EINTR. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	w = calloc(nthreads, sizeof(*w));
	hist = calloc(NBUCKETS, sizeof(*hist));
	if (!w || !hist) {
		fprintf(stderr, "loadgen: out of memory\n");
		return 1;
	}
	t0 = now_us();
	for (unsigned i = 0; i < nthreads; i++) {
		w[i].id = i;
		w[i].hist = calloc(NBUCKETS, sizeof(*hist));
		if (!w[i].hist || pthread_create(&w[i].tid, NULL, run, &w[i]) != 0) {
			fprintf(stderr, "loadgen: cannot start thread %u\n", i);
			return 1;
		}
	}
	for (;;) {
		struct timespec ts = {0, 2000000};
		unsigned long left;

		if (sigtimedwait(&set, NULL, &ts) > 0)
			break;
		if (__atomic_load_n(&connected, __ATOMIC_RELAXED) == nthreads) {
			fputs("running\n", stderr);
			connected++; /* say it once */
		}
		left = now_us() - t0;
		if (duration && left >= (unsigned long)duration * 1000000ul)
			break;
	}
	stop = 1;
	for (unsigned i = 0; i < nthreads; i++) {
		pthread_join(w[i].tid, NULL);
		requests += w[i].requests;
		failed += w[i].failed;
		if (w[i].max_us > max_us)
			max_us = w[i].max_us;
		for (unsigned b = 0; b < NBUCKETS; b++)
			hist[b] += w[i].hist[b];
		for (unsigned v = 0; v < MAX_VERSION; v++)
			versions[v] += w[i].versions[v];
	}
	t1 = now_us();
	printf("requests=%lu failed=%lu p50_us=%lu p99_us=%lu max_us=%lu rps=%lu", requests, failed,
	       percentile(hist, requests - failed, 0.50), percentile(hist, requests - failed, 0.99),
	       max_us, t1 > t0 ? requests * 1000000ul / (t1 - t0) : 0);
	for (unsigned v = 1; v < MAX_VERSION; v++)
		if (versions[v])
			printf(" v%u=%lu", v, versions[v]);
	printf("\n");
	fflush(stdout);
	for (unsigned i = 0; i < nthreads; i++)
		free(w[i].hist);
	free(w);
	free(hist);
	return failed ? 1 : 0;
}
