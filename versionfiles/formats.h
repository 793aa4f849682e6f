/*
 * formats — the names every polus component agrees on, defined once.
 *
 * ELF sections: the plugin writes POLUS_META_SECTION into every object it compiles
 * (docs/metadata.md); polus-mkpatch reads it from binaries and writes it, with
 * POLUS_VERSION_SECTION (the version file, docs/patch-format.md), into each patch;
 * polus-apply and polus-status read both. Memfds polus-apply creates in a target are
 * named POLUS_MEMFD_PREFIX + a name (the registry's is in registry_format.h).
 *
 * Plain C that also compiles as C++ inside the GCC plugin: macros only, no includes.
 * The record formats themselves: meta_format.h, plan_format.h, registry_format.h.
 */
#ifndef POLUS_FORMATS_H
#define POLUS_FORMATS_H

#define POLUS_META_SECTION ".polus.meta"
#define POLUS_VERSION_SECTION ".polus.version"
/* a patch's digest and signatures (common/seal.h) */
#define POLUS_SEAL_SECTION ".polus.seal"
#define POLUS_MEMFD_PREFIX "polus:"

/*
 * A patch store (docs/patch-store.md): STORE/TARGET-BUILD-ID/NN-NAME.so, NN the patch's
 * place in that build's chain (1 + the patches it requires). polus-mkpatch --store writes
 * there; polus-apply --store reads. Arguments: store, build-id, place, name.
 */
#define POLUS_STORE_PATH_FMT "%s/%s/%02zu-%s.so"

/* A format version number as a string literal: POLUS_STR(META_FORMAT) is "1". */
#define POLUS_STR_(x) #x
#define POLUS_STR(x) POLUS_STR_(x)

#endif
