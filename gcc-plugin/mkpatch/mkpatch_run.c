/*
 * mkpatch_run — fork/exec of the tools polus-mkpatch drives.
 */
#include "mkpatch_run.h"
#include "mkpatch_util.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

void argv_add(struct argv_buf *a, const char *s)
{
	if (a->n + 2 > a->cap) {
		a->cap = a->cap ? a->cap * 2 : 32;
		a->v = xrealloc(a->v, a->cap * sizeof(char *));
	}
	a->v[a->n++] = s ? xstrdup(s) : NULL;
	a->v[a->n] = NULL;
}

void argv_free(struct argv_buf *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	memset(a, 0, sizeof(*a));
}

int run_spawn(char *const argv[], char *const envp[], const char *cwd, const char *out_path,
	      pid_t *pid_out, char *err, size_t errlen)
{
	int pipefd[2], e = 0, outfd = 2;
	pid_t pid;
	if (out_path) {
		outfd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (outfd < 0)
			return msg(err, errlen, "%s: %s", out_path, strerror(errno));
	}
	/* the child reports a failed chdir/exec through a close-on-exec pipe */
	if (pipe2(pipefd, O_CLOEXEC)) {
		e = errno;
		if (outfd != 2)
			close(outfd);
		return msg(err, errlen, "pipe: %s", strerror(e));
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		e = errno;
		close(pipefd[0]);
		close(pipefd[1]);
		if (outfd != 2)
			close(outfd);
		return msg(err, errlen, "fork: %s", strerror(e));
	}
	if (pid == 0) {
		close(pipefd[0]);
		/* tools' stdout would mix with our listing: send it to stderr */
		if (outfd != 2)
			dup2(outfd, 2);
		dup2(2, 1);
		if (cwd && chdir(cwd)) {
			e = errno;
			if (write(pipefd[1], &e, sizeof(e)) < 0)
				_exit(127);
			_exit(127);
		}
		if (envp)
			execvpe(argv[0], argv, envp);
		else
			execvp(argv[0], argv);
		e = -errno;
		if (write(pipefd[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(pipefd[1]);
	if (outfd != 2)
		close(outfd);
	ssize_t got = read(pipefd[0], &e, sizeof(e));
	close(pipefd[0]);
	if (got == (ssize_t)sizeof(e)) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		if (e < 0)
			return msg(err, errlen, "cannot run %s: %s", argv[0], strerror(-e));
		return msg(err, errlen, "cannot enter %s to run %s: %s", cwd, argv[0], strerror(e));
	}
	*pid_out = pid;
	return 0;
}

int run_wait(pid_t pid, const char *tool, char *err, size_t errlen)
{
	int status;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return msg(err, errlen, "waitpid: %s", strerror(errno));
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		return msg(err, errlen, "%s exited with status %d", tool, WEXITSTATUS(status));
	return msg(err, errlen, "%s killed by signal %d", tool,
		   WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

int run_argv(char *const argv[], const char *cwd, char *err, size_t errlen)
{
	pid_t pid;
	if (run_spawn(argv, NULL, cwd, NULL, &pid, err, errlen))
		return -1;
	return run_wait(pid, argv[0], err, errlen);
}
