/*
 * mkpatch_churn — whether a changed function changed only through its constants, read
 * from the machine code of OLD's and NEW's out-of-line copies.
 *
 * A version string from `git describe` changes at every commit and pulls main, usage()
 * and the like into every patch. Two copies are "the same code but for constants" when
 * they decode to the same instructions with the same registers, where only immediates,
 * memory displacements and RIP-relative references to data no symbol names (string
 * literals, anonymous constants) may differ; branches inside the function must land at
 * the same offset and calls/references to named symbols must name the same symbol. At
 * least one literal must read differently (a changed string): a number that changed
 * alone is a change of logic, not churn.
 * churn_never_returns: the code has no `ret` and no jump out of itself (it ends in
 * exit(), abort() or an endless loop).
 */
#ifndef POLUS_MKPATCH_CHURN_H
#define POLUS_MKPATCH_CHURN_H
#include "elffile.h"

/* 1 same code but for a changed string (and constants), 0 a real difference or no
 * string changed, -1 + message (unreadable code). */
int churn_constants_only(const struct ef_file *old, const struct ef_sym *os,
			 const struct ef_file *new, const struct ef_sym *ns, char *err,
			 size_t errlen);
/* 1 when NEW's copy `s` never returns to its caller, 0 otherwise or unreadable. */
int churn_never_returns(const struct ef_file *ei, const struct ef_sym *s);
#endif
