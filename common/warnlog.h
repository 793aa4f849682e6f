/*
 * warnlog — a front end's warnings, printed as they arise ("TOOL: warning: TEXT" on
 * stderr) and kept, so the tool can repeat them in its final summary after the last
 * progress line (a warning scrolled away above a "done:" line is easily missed).
 * One list per process; front ends only.
 */
#ifndef POLUS_WARNLOG_H
#define POLUS_WARNLOG_H
#include <stdio.h>

/* Prints "TOOL: warning: TEXT" on stderr and keeps TEXT. */
void wl_warn(const char *tool, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* How many warnings were kept. */
unsigned wl_count(void);

/* When any were kept: "TOOL: N warnings (see above):" and each again, indented. */
void wl_summary(FILE *f, const char *tool);

#endif
