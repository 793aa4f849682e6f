/*
 * diff — compares the metadata of two recorded builds (OLD = what runs, NEW = the next
 * release) and decides what changed, with reasons (docs/metadata.md; docs/architecture.md,
 * "What changed means").
 *
 * Matching: units by key (source path relative to the build's common directory), then
 * units left over on both sides by their path below each build root (objects compiled
 * in two trees), with a warning;
 * static functions and file-scope/local statics within their unit, globals by name;
 * static locals by OWNER/NAME, so a renumbered `x.0` -> `x.1` is no change.
 * Every item carries its state (SAME, LINE = only __LINE__ values changed, CHANGED,
 * NEW, REMOVED), its twins and its reasons. Reasons spread to a fixpoint through OLD's
 * inline and clone-call facts: old callers carry the old inlined code.
 */
#ifndef POLUS_DIFF_H
#define POLUS_DIFF_H
#include "meta.h"

enum d_state { DS_SAME, DS_LINE, DS_CHANGED, DS_NEW, DS_REMOVED };

struct d_item {
	const char *name;      /* source name (function, variable NAME, type tag) */
	const char *key;       /* variables: KEY (OWNER/NAME for static locals); else = name */
	const char *unit;      /* unit key (NEW's; OLD's when removed) */
	int ou, nu;	       /* unit index in OLD / NEW, -1 when absent */
	const void *old, *new; /* struct meta_fn / meta_var / meta_type */
	enum d_state state;
	char **reasons;
	size_t nreasons, capreasons;
};

struct diff {
	struct d_item *fns, *vars, *types;
	size_t nfns, capfns, nvars, capvars, ntypes, captypes;
	/* extern inline (`xfn`) bodies of OLD's units, per unit: never emitted, so never
	 * in a patch themselves, but a changed one changes every caller that inlined it
	 * (CHANGED: body, or `no longer inline` when NEW's unit has no such body) */
	struct d_item *xfns;
	size_t nxfns, capxfns;
	int *unit_map; /* OLD unit index -> NEW unit index or -1 */
	char **warnings;
	size_t nwarnings, capwarnings;
};

struct diff_opts {
	int line_only;		 /* treat line-only changes as real ones */
	int allow_option_change; /* differing code-generation options: warn, not refuse */
	/* Builds whose code also still runs (in a chain, the base binary under the patches
	 * built from OLD): their inline and clone facts spread changes too, their units
	 * matched to OLD's by key. */
	const struct meta_build *const *extra_facts;
	size_t nextra_facts;
};

/* Refuses builds that cannot be diffed: -flto, another compiler version, other
 * code-generation options (warnings instead with allow_option_change). Returns 0, or
 * -1 (+ message) for incompatible builds. */
int diff_check_compat(const struct meta_build *o, const struct meta_build *n,
		      const struct diff_opts *opts, struct diff *d, char *err, size_t errlen);
/* Fills `d` (call diff_check_compat on the same `d` first, or zero it). */
int diff_builds(const struct meta_build *o, const struct meta_build *n,
		const struct diff_opts *opts, struct diff *d, char *err, size_t errlen);
void diff_free(struct diff *d);

/* True for items that belong in a patch / in the listing (line-only only with opts). */
int d_is_changed(const struct d_item *it);
#endif
