/*
 * cli — what every polus command-line front end does alike: the one error line on
 * stderr (and with --json the error object on stdout, common/jsonout), and the message
 * for several process ids given where one is expected (`polus-apply $(pidof server)
 * p.so` with two servers running), a progress line, and a SECONDS option. Front ends
 * only: this module prints.
 */
#ifndef POLUS_CLI_H
#define POLUS_CLI_H
#include <stddef.h>

/* Prints "TOOL: MESSAGE" on stderr and, when json, json_error on stdout; returns code. */
int cli_fail(const char *tool, int json, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * When the n words at args are all process ids (n >= 2), writes into msg a line naming
 * them and pointing at `--all PROGRAM REST` (PROGRAM: what the first one runs), and
 * returns 1; else 0.
 */
int cli_several_pids(char *const *args, int n, const char *rest, char *msg, size_t len);

/* Prints one progress line (fmt and a newline, flushed) on stdout, unless quiet. */
void cli_step(int quiet, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * The --OPTION SECONDS of tool (a number >= 0, fractions allowed) in *ms: 0, or PX_INPUT
 * with one line printed (cli_fail) naming the option and the word.
 */
int cli_seconds(const char *tool, int json, const char *option, const char *arg, int *ms);

#endif
