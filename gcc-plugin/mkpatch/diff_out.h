/*
 * diff_out — prints a diff (diff.h) for people (one line per item and a summary) or as
 * one JSON object {"functions":[...],"variables":[...],"types":[...]} whose elements
 * hold name, change (changed/new/removed), reasons, unit (and key for variables,
 * line_only for line-only functions). Unchanged items are not listed.
 */
#ifndef POLUS_DIFF_OUT_H
#define POLUS_DIFF_OUT_H
#include "diff.h"
#include <stdio.h>

void diff_print_text(FILE *f, const struct diff *d);
void diff_print_json(FILE *f, const struct diff *d);
/* "body" -> "body changed", "inlined:f" -> "inlined callee f changed", ... (malloc'd) */
char *diff_reason_text(const char *reason);
#endif
