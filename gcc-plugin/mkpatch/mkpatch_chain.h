/*
 * mkpatch_chain — the patches a process already runs, for `polus-mkpatch OLD PATCH...
 * NEW`: the next patch is built against OLD's binary plus those patches, in order.
 *
 * Each patch built by polus-mkpatch carries its version file (.polus.version) and the
 * metadata of the release it brought (.polus.meta, NEW's records). chain_load checks
 * that the first patch targets OLD's build-id and each later one requires the ones
 * before it, and reads both sections. A patch carries full records only of the units it
 * recompiled (mkpatch_release): each chain_patch's meta is the whole release it brought,
 * rebuilt from the releases below it, OLD's first.
 */
#ifndef POLUS_MKPATCH_CHAIN_H
#define POLUS_MKPATCH_CHAIN_H
#include "meta.h"
#include "versionfile.h"

struct chain_patch {
	const char *path;
	char build_id[130];
	struct vf_patch vf;
	struct meta_build meta; /* the release the patch brought */
};

struct chain {
	struct chain_patch *p;
	size_t n;
};

/* base_path: OLD's binary (its records are the release below the first patch). */
int chain_load(struct chain *ch, char *const *paths, size_t n, const char *base_path,
	       const char *base_build_id, char *err, size_t errlen);
void chain_free(struct chain *ch);
/* The patch whose functions list carries `name` of `unit`, or NULL. */
const struct chain_patch *chain_carrier(const struct chain *ch, const char *name, const char *unit);
#endif
