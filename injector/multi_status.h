/*
 * multi_status — polus-status --all BINARY / --tree PID: one line per process (its
 * build, the patches in its registry and their state), then whether they all run the
 * same patches; or one JSON object. Reads each registry without stopping the process.
 * Returns the exit code (PX_INPUT: no such process / binary, nothing running it).
 */
#ifndef POLUS_MULTI_STATUS_H
#define POLUS_MULTI_STATUS_H
#include <sys/types.h>

/* binary != NULL: every process of its build; else root and its descendants. */
int ms_cli(const char *binary, pid_t root, int json);

#endif
