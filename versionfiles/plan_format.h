/*
 * plan_format — the patch-mode plan (docs/metadata.md, "Patch-mode plan"), defined once.
 *
 * polus-mkpatch (gcc-plugin/mkpatch/mkpatch_plan.c) writes one plan per unit it
 * recompiles; the plugin's patch mode (gcc-plugin/plugin/polus-patchmode.cc) reads it.
 * Text, one line per entry, tab-separated fields, no escaping: first PLAN_HEADER, then
 *   PLAN_KEEP      NAME SYMBOL [ADDRSYM]
 *   PLAN_BIND_FN   NAME SYMBOL
 *   PLAN_BIND_VAR  KEY SYMBOL [PLAN_TLS]
 *   PLAN_EXPECT    NAME HASH
 *   PLAN_COEXIST   KEY SYMBOL   a variable whose type changed: the unit keeps its own
 *                               definition (the patch's new copy), exported as SYMBOL on
 *                               pages of its own; the running program keeps the old copy
 *   PLAN_SYNC_STORE KEY FN      after each store of the unit's code to variable KEY, a call
 *                               to the external FN (void (void)): the store's sync
 * Plain C that also compiles as C++ inside the GCC plugin.
 */
#ifndef POLUS_PLAN_FORMAT_H
#define POLUS_PLAN_FORMAT_H
#include "formats.h"

#define PLAN_MAGIC "polus-plan"
#define PLAN_FORMAT 1
#define PLAN_HEADER PLAN_MAGIC "\t" POLUS_STR(PLAN_FORMAT)

#define PLAN_KEEP "keep"
#define PLAN_BIND_FN "bind-fn"
#define PLAN_BIND_VAR "bind-var"
#define PLAN_EXPECT "expect"
#define PLAN_COEXIST "coexist"
#define PLAN_SYNC_STORE "sync-store"
/* The alignment of a PLAN_COEXIST variable: the new copy starts a page of its own. */
#define PLAN_COEXIST_ALIGN 4096
#define PLAN_TLS "tls" /* the optional last field of PLAN_BIND_VAR */

/* How patch mode's error about a failed PLAN_EXPECT starts: polus-mkpatch looks for it
 * in the compiler's messages to tell source drift from other failures. */
#define PLAN_DRIFT_ERROR "polus: the source of function "

#endif
