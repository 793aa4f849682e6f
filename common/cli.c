/*
 * cli — shared front-end messages (see cli.h).
 */
#include "cli.h"
#include "exitcodes.h"
#include "jsonout.h"
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cli_fail(const char *tool, int json, int code, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s\n", tool, msg);
	if (json)
		json_error(stdout, code, msg);
	return code;
}

void cli_step(int quiet, const char *fmt, ...)
{
	va_list ap;
	if (quiet)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

int cli_seconds(const char *tool, int json, const char *option, const char *arg, int *ms)
{
	char *end;
	double s = strtod(arg, &end);
	if (end == arg || *end || !(s >= 0) || s > INT_MAX / 1000)
		return cli_fail(tool, json, PX_INPUT, "%s needs a number of seconds, not %s",
				option, arg);
	*ms = (int)(s * 1000);
	return 0;
}

static int is_pid(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);
	return *s && !*end && v > 0 && v <= 0x7fffffff;
}

int cli_several_pids(char *const *args, int n, const char *rest, char *msg, size_t len)
{
	char exe[PATH_MAX], link[64];
	size_t o;
	if (n < 2)
		return 0;
	for (int i = 0; i < n; i++)
		if (!is_pid(args[i]))
			return 0;
	o = (size_t)snprintf(msg, len, "%d processes given (", n);
	for (int i = 0; i < n && o < len; i++)
		o += (size_t)snprintf(msg + o, len - o, "%s%s", i ? " " : "", args[i]);
	snprintf(link, sizeof(link), "/proc/%s/exe", args[0]);
	ssize_t k = readlink(link, exe, sizeof(exe) - 1);
	exe[k > 0 ? k : 0] = 0;
	if (o < len)
		snprintf(msg + o, len - o,
			 ") where one PID is expected (every process of a program: --all %s%s)",
			 k > 0 ? exe : "BINARY", rest);
	return 1;
}
