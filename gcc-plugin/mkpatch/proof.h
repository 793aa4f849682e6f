/*
 * proof — the completeness proof of a patch: every body of the running code whose code
 * differs from NEW's is reached by the patch, checked from OLD's facts and the plan
 * alone, independently of the diff's propagation (which decided what the plan keeps).
 *
 * A body of OLD (an `emit` record) differs when its own source function changed, when a
 * changed function's code was inlined into it (the closure of its `inline` records), or
 * when it calls (an `ecall`) a clone that differs. Each such body must be redirected by
 * the plan; a clone (not redirectable: other parameters) is covered when its callers
 * are, and they differ by the rule above. A changed function with no body and no
 * container in OLD is not reachable. In a chain, the base binary's bodies all run, an
 * earlier patch's release only for the functions that patch carries.
 *
 * Result: one entry per changed function of OLD saying how it goes live; problems it
 * cannot prove are errors, or warnings (a non-redirect the plan chose and already warned
 * about, such as a changed signature) that the caller may treat as errors (--strict).
 */
#ifndef POLUS_PROOF_H
#define POLUS_PROOF_H
#include "diff.h"
#include "meta.h"
#include "mkpatch_chain.h"
#include "mkpatch_plan.h"

struct proof_entry {
	const char *name, *unit;
	char *how; /* "redirected", "inlined into a, b (redirected)", ... */
	int live;  /* 0: some of its code in OLD is not reached */
};

struct proof {
	struct proof_entry *v;
	size_t n, cap;
	char **errors, **warnings;
	size_t nerrors, caperrors, nwarnings, capwarnings;
};

/* `base` is OLD's binary's metadata, `chain` the patches it runs (may be NULL or empty).
 * Fills `pr` (zeroed first); returns the number of errors. */
size_t proof_check(struct proof *pr, const struct diff *d, const struct plan *p,
		   const struct meta_build *base, const struct chain *chain, int line_only);
void proof_free(struct proof *pr);
#endif
