/*
 * errmsg — messages into a caller's buffer (see errmsg.h).
 */
#include "errmsg.h"
#include <stdarg.h>
#include <stdio.h>

int px_err(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;
	if (!err || !errlen)
		return code;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return code;
}
