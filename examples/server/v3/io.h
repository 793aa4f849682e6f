/* io.h — the few blocking I/O helpers the server shares. A call interrupted by a signal
 * (EINTR) is counted in counters.eintr and retried: a live update must never cause one,
 * and STATS shows whether it did. */
#ifndef EX_IO_H
#define EX_IO_H
#include <stddef.h>
#include <sys/types.h>

/* Writes all of buf to a socket or pipe; returns 0 or -errno. */
int io_write_all(int fd, const char *buf, size_t len);
/* One read(), retried on EINTR; returns what read() returns, with -errno on error. */
ssize_t io_read(int fd, char *buf, size_t len);

#endif
