/*
 * oplog — every operation on a process (an apply, a rollback, a refusal of either) as
 * one line in the system log, so an operator can see afterwards who patched what:
 *   apply pid=1234 exe=/usr/sbin/server patch=/srv/p12.so name=p12 sha256=9f86...
 *   result=applied exit=0 pause-ms=1.42 uid=0 login=alice
 * A refusal says result=refused (exit 1-3) or result=failed (4) and error="...". The
 * line goes to the system log's socket (/dev/log, where syslog(3) writes: journald or a
 * syslog daemon) in the syslog protocol, facility daemon, priority notice (done),
 * warning (refused) or err (failed); no daemon listening: nothing is logged, nothing
 * fails. POLUS_NO_SYSLOG=1 (or the tool's --no-log) turns it off; POLUS_SYSLOG_SOCKET
 * names another socket (tests). Logging never changes a tool's result.
 */
#ifndef POLUS_OPLOG_H
#define POLUS_OPLOG_H
#include <stdint.h>
#include <sys/types.h>

struct ol_entry {
	const char *op;	     /* "apply", "rollback" */
	pid_t pid;	     /* the target */
	const char *exe;     /* the program it runs, or NULL */
	const char *patch;   /* the patch file as given, or NULL */
	const char *name;    /* the patch's name, or NULL */
	int exit_code;	     /* the tool's exit code (common/exitcodes.h) */
	const char *error;   /* the error line when exit_code != 0 */
	uint64_t pause_ns;   /* the pause it caused, when done */
	const char *done_as; /* the result word when exit_code is 0: "applied", "rolled-back" */
	const char *digest;  /* the patch's SHA-256 (common/seal.h) when known, or NULL/"" */
};

/* Logs e as TOOL[our pid]; 0, or -errno when the line could not be sent (not an error
 * for the caller: the tool goes on). Does nothing (0) when turned off. */
int ol_log(const char *tool, const struct ol_entry *e);

/* Turns logging off for this process (--no-log). */
void ol_disable(void);

/* The line ol_log would send after the syslog header, into buf (tests and --json). */
void ol_format(const struct ol_entry *e, char *buf, size_t len);

#endif
