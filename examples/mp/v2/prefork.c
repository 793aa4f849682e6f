/*
 * prefork — a pre-forked master/worker server (examples/mp): the master listens and forks
 * --workers N worker processes, each with --threads N threads that take connections from
 * the shared socket and serve them (proto.h). SIGHUP: graceful restart: the master forks
 * a new generation of workers, then tells the old ones (SIGTERM) to stop accepting; each
 * finishes its connections and exits. SIGTERM/SIGINT to the master: everything stops.
 * The master prints "generation G: PID..." each time it forks workers.
 */
#define _GNU_SOURCE
#include "listen.h"
#include "proto.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_WORKERS 64

static int lsock;
static volatile sig_atomic_t stopping, restart, quit;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		restart = 1;
	else if (sig == SIGTERM || sig == SIGINT)
		stopping = quit = 1;
}

/* A worker thread: takes connections while the worker is not stopping. */
static void *worker_loop(void *arg)
{
	(void)arg;
	while (!stopping) {
		struct pollfd p = {lsock, POLLIN, 0};
		if (poll(&p, 1, 100) <= 0)
			continue;
		int c = accept4(lsock, NULL, NULL, SOCK_CLOEXEC);
		if (c >= 0)
			proto_serve(c);
	}
	return NULL;
}

static void run_worker(unsigned threads)
{
	pthread_t t[64];
	sigset_t none;
	signal(SIGHUP, SIG_IGN);
	prctl(PR_SET_PDEATHSIG, SIGTERM); /* a worker does not outlive its master */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (unsigned i = 0; i < threads; i++)
		if (pthread_create(&t[i], NULL, worker_loop, NULL) != 0)
			_exit(1);
	for (unsigned i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	_exit(0);
}

/* Forks n workers into pids; prints the generation. */
static void spawn(unsigned n, unsigned threads, pid_t *pids, unsigned gen)
{
	printf("generation %u:", gen);
	for (unsigned i = 0; i < n; i++) {
		pid_t p = fork();
		if (p == 0)
			run_worker(threads);
		pids[i] = p;
		printf(" %d", (int)p);
	}
	printf("\n");
	fflush(stdout);
}

static void stop_all(const pid_t *pids, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGTERM);
}

int main(int argc, char **argv)
{
	unsigned port = 0, nworkers = 2, threads = 4, gen = 1;
	pid_t pids[MAX_WORKERS];
	struct sigaction sa = {.sa_handler = on_signal};
	sigset_t block, old;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--port") == 0)
			port = (unsigned)atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--workers") == 0)
			nworkers = (unsigned)atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--threads") == 0)
			threads = (unsigned)atoi(argv[i + 1]);
	}
	if (nworkers < 1 || nworkers > MAX_WORKERS || threads < 1 || threads > 64) {
		fprintf(stderr, "usage: prefork [--port N] [--workers 1..64] [--threads 1..64]\n");
		return 2;
	}
	lsock = listen_on(port);
	fcntl(lsock, F_SETFL, O_NONBLOCK); /* workers poll, then race to accept */
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL); /* wakes the master to reap a worker that ended */
	sigemptyset(&block);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &old);
	spawn(nworkers, threads, pids, gen);
	while (!quit) {
		sigsuspend(&old);
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if (restart) {
			pid_t olds[MAX_WORKERS];
			restart = 0;
			memcpy(olds, pids, sizeof(olds));
			spawn(nworkers, threads, pids, ++gen);
			stop_all(olds, nworkers);
		}
	}
	stop_all(pids, nworkers);
	while (wait(NULL) > 0)
		;
	return 0;
}
