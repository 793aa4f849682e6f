/*
 * mkpatch_release — the record of its release that a patch carries (.polus.meta), in
 * proportion to the change.
 *
 * A later patch of a chain is diffed against the release the newest patch brought. That
 * release is the one below it (the base binary, or the previous patch's release) with
 * the units the patch recompiled replaced. So a patch carries the full record of each
 * unit it recompiled and, for every other unit of NEW, a stub record (docs/patch-format.md):
 *   polus-meta 1 / compiler / cwd / src (NEW's) / `same-as-below` / end
 * release_trim writes that text; release_merge rebuilds the full record from the one
 * below: a stub gets the body and options of the unit with the same key below, with the
 * stub's own cwd and src (so keys stay NEW's when the trees differ). A record without
 * stubs (every unit full, as older patches carry) merges to itself.
 * Both work on raw section text (before meta_parse, which unescapes in place).
 */
#ifndef POLUS_MKPATCH_RELEASE_H
#define POLUS_MKPATCH_RELEASE_H
#include <stddef.h>

/* NEW's raw records `raw` with every unit i whose full[i] is 0 reduced to a stub; the
 * text is malloc'd into *out. `nunits`: how many records raw holds (NEW's units). 0 or
 * -1 + message (raw is not nunits records). */
int release_trim(const char *raw, size_t len, const char *full, size_t nunits, char **out,
		 size_t *outlen, char *err, size_t errlen);
/* The release a patch brought: `below` (raw records of the release under the patch)
 * merged with the patch's records `rec`; malloc'd into *out. 0 or -1 + message. */
int release_merge(const char *below, size_t blen, const char *rec, size_t rlen, char **out,
		  size_t *outlen, char *err, size_t errlen);
#endif
