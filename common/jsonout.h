/*
 * jsonout — the few JSON helpers the command-line tools need for --json output.
 */
#ifndef POLUS_JSONOUT_H
#define POLUS_JSONOUT_H
#include <stdio.h>

/* Writes s as a JSON string literal (quotes included); NULL is written as null. */
void json_str(FILE *f, const char *s);

/*
 * The one object a tool run with --json prints on stdout when it fails, its exit code
 * unchanged: {"error":{"code":"does-not-apply","exit":2,"message":"..."}}. code is the
 * stable name of the exit code (json_exit_name), message the error line without the
 * tool's prefix.
 */
void json_error(FILE *f, int exit_code, const char *message);

/* "ok", "bad-input", "does-not-apply", "unsafe-now", "internal" (common/exitcodes.h). */
const char *json_exit_name(int exit_code);

#endif
