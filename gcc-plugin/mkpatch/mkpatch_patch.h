/*
 * mkpatch_patch — builds PATCH.so from a diff: writes one plan per changed unit,
 * recompiles those units of NEW in patch mode, links them, and embeds the version file.
 * Prints progress unless quiet; on any error removes what it wrote and returns the exit
 * code (common/exitcodes.h: PX_INPUT, PX_NOTAPPLY, PX_INTERNAL).
 */
#ifndef POLUS_MKPATCH_PATCH_H
#define POLUS_MKPATCH_PATCH_H
#include "diff.h"
#include "meta.h"
#include "mkpatch_chain.h"

/* `ob` is the metadata of what runs: OLD's, or in a chain the newest patch's release;
 * symbols, addresses and the target build-id always come from the binary old_path. */
struct patch_opts {
	const char *old_path, *new_path, *out;
	const char *name;	   /* the patch's name; NULL: out's file name without .so */
	const struct chain *chain; /* patches below this one (n may be 0) */
	int line_only, quiet;
	char *const *exclude; /* --exclude patterns: functions left out on purpose */
	size_t nexclude;
	char *const *layout_ok; /* --layout-ok patterns: types of which no object exists yet */
	size_t nlayout_ok;
	int include_churn;	       /* --include-churn */
	int strict;		       /* the proof's warnings are errors */
	const struct meta_build *base; /* OLD's binary's metadata (for the proof) */
	const char *self;	       /* argv[0], to find polus.so next to the binary */
	const char *sync_dir;	       /* --sync-dir (NULL: sync/ beside out) */
};

int patch_build(const struct patch_opts *po, const struct meta_build *ob,
		const struct meta_build *nb, const struct diff *d);
#endif
