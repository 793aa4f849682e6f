/*
 * meta — reads the record-mode metadata of a binary (docs/metadata.md, format 1) into
 * structs: one meta_unit per translation unit record. The line kinds and their fields
 * are the table of versionfiles/meta_format.h, which the plugin writes through.
 *
 * meta_parse() takes ownership of the section bytes and unescapes fields in place, so
 * every string of the result points into that buffer (or into the unit's abs_src) and
 * lives until meta_free(). Unknown line kinds are skipped; an unknown format version, a
 * record without `end`, a line cut short (no newline) or a line with fewer fields than
 * its kind needs is an error (-1 + message).
 * Every inline, clone and call record must name functions of its unit (an inline record's
 * CALLER an emitted body or a `fn`, its CALLEE a `fn` or `xfn`; a clone's origin a `fn`),
 * or meta_parse fails naming the record, the unit and the name: no fact is dropped.
 * Units get a `key`: their absolute source path relative to the common directory of
 * all units of the build, so one tree built in two places yields the same keys.
 */
#ifndef POLUS_META_H
#define POLUS_META_H
#include "meta_format.h"
#include "mkpatch_util.h"
#include <stddef.h>

struct meta_fn {
	const char *name, *asm_name, *linkage, *sig, *hash, *hash_noline, *hash_nolayout;
	int is_static; /* linkage "static" */
};

struct meta_use {
	const char *fn, *kind, *target;
};

/* emit (ASM, ORIGIN), inline (CALLER asm, CALLEE name, c = CLONE or NULL), ecall (CALLER
 * asm, CALLEE asm). An inline record of an older plugin, which named the clone as CALLEE
 * (`inline g f.part.0`), is read as CALLEE f, CLONE f.part.0. */
struct meta_pair {
	const char *a, *b, *c;
};

struct meta_var {
	const char *key, *name, *asm_name, *scope, *owner, *type, *size, *access, *inithash, *flags;
	int tls;
};

struct meta_type {
	const char *tag, *kind, *size, *layout;
};

struct meta_unit {
	const char *compiler, *driver, *cwd, *src, *profile, *profile_by;
	int hashes; /* the plugin's hash rules (`hashes` line; 1 when absent) */
	/* `pad` SIZE BEFORE SETTER: padded entries; all NULL without (older records) */
	const char *pad_size, *pad_before, *pad_by;
	char *abs_src;	 /* malloc'd: cwd + src, normalized */
	const char *key; /* abs_src relative to the build's common directory */
	char *key_buf;	 /* set when the key had to be made unique */
	const char **opts;
	size_t nopts, capopts;
	/* `optsrc` (NULL: recorded before -Wp/-Xpreprocessor and env were kept), `env`
	 * (NAME, VALUE) and `cc1opt` (OPTION, ARG or NULL) lines */
	const char *optsrc;
	struct meta_pair *envs, *cc1opts;
	size_t nenvs, capenvs, ncc1opts, capcc1opts;
	struct meta_fn *fns;
	size_t nfns, capfns;
	struct meta_fn *xfns; /* `xfn`: extern inline bodies, never emitted here */
	size_t nxfns, capxfns;
	struct meta_use *uses;
	size_t nuses, capuses;
	struct meta_pair *emits, *inlines, *ecalls;
	size_t nemits, capemits, ninlines, capinlines, necalls, capecalls;
	struct meta_var *vars;
	size_t nvars, capvars;
	struct meta_type *types;
	size_t ntypes, captypes;
	/* indexes built by meta_parse: uses chained per function, emits by ASM */
	struct smap use_first;
	long *use_next;
	struct smap emit_at;
	struct smap fn_at, xfn_at; /* NAME -> index in fns / xfns */
	char **owned;		   /* strings made while reading (old records' CALLEE) */
	size_t nowned, capowned;
};

struct meta_build {
	char *buf; /* the section bytes, owned */
	size_t len;
	struct meta_unit *units;
	size_t nunits, capunits;
	char *root; /* common directory of the units' sources */
};

/* Parses `len` bytes at `buf` (malloc'd; ownership moves to `b`, also on error). */
int meta_parse(char *buf, size_t len, struct meta_build *b, char *err, size_t errlen);
void meta_free(struct meta_build *b);

/* The ORIGIN of emitted body ASM in unit u, or NULL when u emitted no such body. */
const char *meta_origin(const struct meta_unit *u, const char *asm_name);
/* Index of FN's first `use` line in u, then of the next one; -1 at the end. */
long meta_first_use(const struct meta_unit *u, const char *fn);
long meta_next_use(const struct meta_unit *u, long i);
/* The `fn` (or with `xfn` set, `xfn`) record of NAME in u, or NULL. */
const struct meta_fn *meta_fn_named(const struct meta_unit *u, const char *name, int xfn);

/* Returns the value of `opt` when one unit of the build has an option starting with
 * `prefix` (e.g. "-flto"), else NULL. */
const char *meta_find_opt(const struct meta_build *b, const char *prefix);
#endif
