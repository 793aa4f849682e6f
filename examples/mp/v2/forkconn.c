/*
 * forkconn — a fork-per-connection server (examples/mp): the master accepts, and forks a
 * child that serves that one connection (proto.h) and exits. Children are reaped by the
 * kernel (SIGCHLD ignored).
 */
#define _GNU_SOURCE
#include "listen.h"
#include "proto.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	unsigned port = 0;
	for (int i = 1; i + 1 < argc; i += 2)
		if (strcmp(argv[i], "--port") == 0)
			port = (unsigned)atoi(argv[i + 1]);
	int s = listen_on(port);
	signal(SIGCHLD, SIG_IGN);
	for (;;) {
		int c = accept4(s, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			continue;
		pid_t p = fork();
		if (p == 0) {
			close(s);
			proto_serve(c);
			_exit(0);
		}
		close(c);
	}
}
