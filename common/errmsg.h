/*
 * errmsg — the one way library code of polus reports an error: the message goes into
 * the caller's buffer (the command-line front end prints it), the code is returned, so
 * an error reads `return px_err(err, errlen, PX_NOTAPPLY, "...", ...)`. A NULL or empty
 * buffer takes no message.
 */
#ifndef POLUS_ERRMSG_H
#define POLUS_ERRMSG_H
#include <stddef.h>

int px_err(char *err, size_t errlen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
