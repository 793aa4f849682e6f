/*
 * jsonout — the few JSON helpers the command-line tools need for --json output.
 */
#ifndef POLUS_JSONOUT_H
#define POLUS_JSONOUT_H
#include <stdio.h>

/* Writes s as a JSON string literal (quotes included); NULL is written as null. */
void json_str(FILE *f, const char *s);

#endif
