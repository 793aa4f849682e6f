/*
 * proto — the line protocol of the multi-process examples (prefork, forkconn): a subset
 * of examples/server's, so examples/client/loadgen drives them too.
 *   PING -> PONG          SET k v -> OK          GET k -> VALUE v | NONE
 *   INCR k -> INT n       VERSION -> VERSION vN pid=P (the process that answered)
 *   QUIT -> closes
 * The table is per process (a worker's own, or a connection's child's).
 */
#ifndef MP_PROTO_H
#define MP_PROTO_H
#include <stddef.h>

/* The answer to one request line into out (without newline); -1: close the connection. */
int proto_line(const char *line, char *out, size_t len);

/* Serves one connection until QUIT, EOF or an error; closes fd. */
void proto_serve(int fd);

#endif
