/*
 * mkpatch_chain — the patches a process already runs, for `polus-mkpatch OLD PATCH...
 * NEW`: the next patch is built against OLD's binary plus those patches, in order.
 *
 * Each patch built by polus-mkpatch carries its version file (.polus.version) and the
 * metadata of the release it brought (.polus.meta, NEW's records). chain_load checks
 * that the first patch targets OLD's build-id and each later one requires the ones
 * before it, and reads both sections. A patch carries full records only of the units it
 * recompiled (mkpatch_release): each chain_patch's meta is the whole release it brought,
 * rebuilt from the releases below it, OLD's first. Each patch stays open (its symbols
 * loaded) while the chain is: chain_copy finds the copies of a function it holds, which
 * the next patch redirects too (their callers inside that patch call them directly).
 */
#ifndef POLUS_MKPATCH_CHAIN_H
#define POLUS_MKPATCH_CHAIN_H
#include "elffile.h"
#include "meta.h"
#include "versionfile.h"

struct chain_patch {
	const char *path;
	char build_id[130];
	struct vf_patch vf;
	struct meta_build meta; /* the release the patch brought */
	struct ef_file ef;	/* the patch itself, symbols loaded */
	int open;		/* ef is open */
	uint64_t link_base;	/* its lowest loaded page: version-file offsets start there */
};

struct chain {
	struct chain_patch *p;
	size_t n;
};

/* base_path: OLD's binary (its records are the release below the first patch). */
int chain_load(struct chain *ch, char *const *paths, size_t n, const char *base_path,
	       const char *base_build_id, char *err, size_t errlen);
void chain_free(struct chain *ch);
/* Patch cp's own out-of-line copy of function `name` (`unit`): the one its version file
 * lists, else one it carried (its symbol asm_name: a local of file `src` when is_static).
 * NULL when it has none, &ef_ambiguous when its symbols cannot tell which it is. */
const struct ef_sym *chain_copy(const struct chain_patch *cp, const char *name, const char *unit,
				const char *asm_name, const char *src, int is_static);
/* The name of a specialised clone (.constprop, .isra, .part) of asm_name that patch cp
 * compiled for its own callers (of file `src`), or NULL: such a copy takes other
 * arguments than the function, so no jump can replace it. */
const char *chain_clone(const struct chain_patch *cp, const char *asm_name, const char *src);
#endif
