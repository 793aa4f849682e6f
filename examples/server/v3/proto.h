/* proto.h — the server's line protocol: one request per line, words split by spaces.
 *   PING              -> PONG
 *   SET key value     -> OK
 *   GET key           -> VALUE value | NOTFOUND
 *   MGET key...       -> VALUES v1 v2 ...   ("-" for a missing key)
 *   INCR key          -> INT n
 *   STATS             -> STATS version=vN requests=N ... (counters, table, heartbeat)
 *   VERSION           -> VERSION vN
 *   HBRESET           -> OK   (forget the heartbeat's longest gap)
 *   HOLD              -> HOLDING, then HELD vN once a line arrives on the hold fifo
 *   QUIT              -> the server closes the connection
 * Anything wrong answers "ERR reason". Commands are dispatched through a table of
 * function pointers filled by proto_init(). */
#ifndef EX_PROTO_H
#define EX_PROTO_H
#include <stddef.h>

#define PROTO_CLOSE (-1) /* close the connection */
#define PROTO_HOLD (-2)	 /* run proto_hold() on the connection, in a thread of its own */

/* hold_fifo may be NULL (HOLD then answers an error); threads is reported by STATS. */
void proto_init(const char *hold_fifo, unsigned threads);
/* Handles one request line (no newline). Writes the reply, '\n' included, into out and
 * returns its length, or returns PROTO_CLOSE or PROTO_HOLD. */
int proto_handle(const char *line, size_t len, char *out, size_t outsz);
/* Serves a HOLD on connection fd; blocks until the hold fifo yields a line. 0 or -errno. */
int proto_hold(int fd);

#endif
