/*
 * mkpatch_plan — decides what goes into a patch and writes the per-unit plan files that
 * the plugin's patch mode reads.
 *
 * Plan file (one per recompiled unit, versionfiles/plan_format.h): first line
 * `polus-plan<TAB>1`, then
 *   keep<TAB>NAME<TAB>SYMBOL[<TAB>ADDRSYM]  a changed or new function, emitted as SYMBOL;
 *                                     a redirected one's addresses become the bind
 *                                     ADDRSYM (OLD's entry), so old and new pointers
 *                                     to it compare equal
 *   bind-fn<TAB>NAME<TAB>SYMBOL       an unchanged function with an out-of-line copy in OLD,
 *                                     or another unit's kept function whose address
 *                                     this unit takes (SYMBOL: that keep's ADDRSYM)
 *   bind-var<TAB>KEY<TAB>SYMBOL[<TAB>tls]  an unchanged variable with storage in OLD
 *   coexist<TAB>KEY<TAB>SYMBOL        a variable whose type changed: the unit's definition
 *                                     is the patch's new copy, exported as SYMBOL
 *   expect<TAB>NAME<TAB>HASH          NEW's recorded HASH of a function the unit compiles
 *                                     (not bound): patch mode fails if the source drifted
 * Binds cover the unit's own unchanged functions/variables and its references to
 * globals defined in other units of OLD. Unchanged functions without an out-of-line
 * copy in OLD get no line: the patch carries its own copy.
 * One OLD address gets one bind symbol (__polus_b_N) across the whole patch.
 */
#ifndef POLUS_MKPATCH_PLAN_H
#define POLUS_MKPATCH_PLAN_H
#include "diff.h"
#include "elffile.h"
#include "meta.h"
#include "mkpatch_chain.h"
#include "plan_format.h"
#include <stdint.h>

/* A copy of a kept function that an earlier patch of the chain holds (its keep, or one it
 * carried): redirected too, since that patch's own code calls it directly. */
struct plan_site {
	const struct chain_patch *in;
	const struct ef_sym *sym; /* in in->ef */
};

struct plan_keep {
	const struct d_item *it;
	char *symbol;		  /* __polus_f_N */
	const struct ef_sym *old; /* OLD's out-of-line copy, or NULL */
	int redirect;
	long addrbind;		 /* index into plan.binds of OLD's entry (ADDRSYM), or -1 */
	struct plan_site *sites; /* earlier patches' copies, each redirected */
	size_t nsites, capsites;
};

struct plan_bind {
	char *symbol; /* __polus_b_N */
	const char *name;
	uint64_t addr;
	int tls, is_fn;
};

/* An old function that writes a variable in coexistence (its code in OLD). */
struct plan_writer {
	const char *name;
	uint64_t addr, size;
};

/* A writable variable whose type changed: the patch's unit defines a new copy (SYMBOL,
 * plan line `coexist`), synced from OLD's copy at the switch (mkpatch_sync). */
struct plan_coexist {
	const struct d_item *it;
	char *id;     /* C identifier: sync/ID.c, polus_sync_ID_old2new... */
	char *symbol; /* __polus_v_N */
	long oldbind; /* index into plan.binds of OLD's copy */
	struct plan_writer *writers;
	size_t nwriters, capwriters;
};

struct plan_unit {
	const struct meta_unit *u; /* NEW's record */
	int nu;
	struct plan_keep *keeps;
	size_t nkeeps, capkeeps;
	size_t *binds; /* indices into plan.binds */
	size_t nbinds, capbinds;
	char *plan_path, *obj_path, *log_path; /* log: the compiler's messages */
	char *rec_path;			       /* the unit compiled in record mode (drift check) */
	int skip_expect;		       /* plan_write leaves out `expect` lines */
};

struct plan {
	struct plan_unit *units;
	size_t nunits, capunits;
	struct plan_bind *binds;
	size_t nbinds, capbinds;
	char **warnings;
	size_t nwarnings, capwarnings;
	struct plan_coexist *coexist;
	size_t ncoexist, capcoexist;
	char **refusals; /* changes the patch cannot carry, one line each */
	size_t nrefusals, caprefusals;
	size_t nkeeps, nline_left_out;
	size_t nleft_out; /* changed functions left out on purpose (warnings say which) */
	char *left_out;	  /* per diff function item: 1 when left out on purpose */
};

struct plan_opts {
	int line_only;
	char *const *exclude; /* --exclude: fnmatch patterns of function names left out */
	size_t nexclude;
	char *const *layout_ok; /* --layout-ok: fnmatch patterns of types of which no object
				   exists in the running process (a changed layout is no refusal) */
	size_t nlayout_ok;
	int include_churn;	   /* keep never-returning functions changed only in constants */
	const struct ef_file *new; /* NEW's symbols, for the churn check (NULL: none) */
};

/* Returns 0, -1 (+ message) for an input problem, -2 (+ "N unsupported changes") when
 * changes the patch cannot carry yet were found: p->refusals names each (the variable,
 * type or function that really changed), all of them in one run. */
int plan_make(struct plan *p, const struct meta_build *ob, const struct meta_build *nb,
	      const struct diff *d, const struct ef_file *old, const struct chain *chain,
	      const struct plan_opts *opts, char *err, size_t errlen);
int plan_write(const struct plan *p, const struct plan_unit *pu, const char *path, char *err,
	       size_t errlen);
void plan_free(struct plan *p);
/* Whether the unit's plan has an `expect` line for NEW's function fn (the patch compiles
 * its body: it is not bound). */
int plan_expects(const struct plan *p, const struct plan_unit *pu, const struct meta_fn *fn);
/* Whether a diff item belongs in the patch. */
int plan_in_patch(const struct d_item *it, int line_only);
#endif
