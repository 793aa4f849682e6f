/*
 * mkpatch_run — runs a tool (the compiler, objcopy) with fork/exec and an argv array,
 * never through a shell: recorded options may hold any character.
 */
#ifndef POLUS_MKPATCH_RUN_H
#define POLUS_MKPATCH_RUN_H
#include <stddef.h>
#include <sys/types.h>

/* Runs argv[0] (PATH lookup) in `cwd` (NULL: ours) and waits. The child's output goes
 * to our stderr. 0 when it exits 0, else -1 + message naming the tool and status. */
int run_argv(char *const argv[], const char *cwd, char *err, size_t errlen);

/* The two halves of run_argv, to run several tools at once: run_spawn starts argv (0,
 * or -1 + message when it cannot be started), run_wait reaps it. With `envp`, the tool
 * gets that environment instead of ours (PATH still looked up in ours). With
 * `out_path`, the tool's stdout and stderr go to that file (created or truncated). */
int run_spawn(char *const argv[], char *const envp[], const char *cwd, const char *out_path,
	      pid_t *pid, char *err, size_t errlen);
int run_wait(pid_t pid, const char *tool, char *err, size_t errlen);

/* A growable NULL-terminated argv of malloc'd strings. */
struct argv_buf {
	char **v;
	size_t n, cap;
};
void argv_add(struct argv_buf *a, const char *s);
void argv_free(struct argv_buf *a);
#endif
