/*
 * multi_cli — what polus-apply prints for --all, --tree and --store (multi_apply.h does
 * the work): one line per process as it is done (stdout; a process not updated on
 * stderr), the warnings of each apply named by process (stderr), a summary; or with
 * --json one object at the end. Returns the exit code (multi_apply.h: ma_exit_code).
 */
#ifndef POLUS_MULTI_CLI_H
#define POLUS_MULTI_CLI_H
#include "multi_apply.h"

/*
 * o holds what the options said (mode MA_ALL with binary, MA_TREE with pid, store); the
 * operands left are PATCH.so (without --store) and, for MA_ONE, the PID first. A usage
 * error prints one line and returns PX_INPUT.
 */
int ma_cli(struct ma_opts *o, int argc, char **argv, int json, int quiet);

/* Parses a process id operand: 0 and *pid, or -1. */
int ma_parse_pid(const char *s, pid_t *pid);

#endif
