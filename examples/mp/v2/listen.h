/* listen — the listening socket of the multi-process examples: 127.0.0.1:port (0 picks
 * one), printed as "listening on 127.0.0.1:PORT" on stdout. */
#ifndef MP_LISTEN_H
#define MP_LISTEN_H
int listen_on(unsigned port);
#endif
