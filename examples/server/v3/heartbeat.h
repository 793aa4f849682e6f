/* heartbeat.h — a thread that wakes every period and records the longest interval between
 * two of its wake-ups: how long the process could not run, seen from inside it. That is the
 * pause of a live update as the program itself feels it. */
#ifndef EX_HEARTBEAT_H
#define EX_HEARTBEAT_H
#include <stddef.h>

/* Starts the thread; returns 0 or a positive errno. */
int heartbeat_start(unsigned period_us);
/* Forgets the longest gap seen so far (tests measure one update at a time). */
void heartbeat_reset(void);
/* Writes "hb_period_us=N hb_max_gap_us=N hb_ticks=N"; returns the length. */
int heartbeat_format(char *out, size_t outsz);

#endif
