/*
 * meta_format — the record-mode metadata format (docs/metadata.md), defined once.
 *
 * A record is the header line META_HEADER, then lines `KEY<TAB>FIELD...`, the last
 * one `end`. META_KEYS is the table of every line kind: the plugin's writer
 * (gcc-plugin/plugin) emits each line through it and checks the count of fields it
 * wrote against it; polus-mkpatch's reader (gcc-plugin/mkpatch/meta.c) dispatches on
 * it, one handler per entry, so a kind added here fails the reader's build until it
 * handles it. docs/metadata.md lists the same keys and fields (tests/unit checks it).
 *
 * X(ID, KEY, NFIELDS, NREQUIRED, FIELDS, MEANING):
 *   NFIELDS    fields the kind has after KEY (FIELDS names them, space separated; an
 *              optional one in brackets)
 *   NREQUIRED  fewest fields a line may have: the writer writes NREQUIRED..NFIELDS, a
 *              reader refuses fewer (a field added to a kind later is not required, so
 *              that older records still read: `profile` SETTER)
 * Readers ignore fields after NFIELDS and lines whose KEY is not in the table, so
 * format 1 can grow. Plain C that also compiles as C++ inside the GCC plugin.
 */
#ifndef POLUS_META_FORMAT_H
#define POLUS_META_FORMAT_H
#include "formats.h"

#define META_MAGIC "polus-meta"
#define META_FORMAT 1
#define META_HEADER META_MAGIC "\t" POLUS_STR(META_FORMAT)

/* clang-format off */
#define META_KEYS(X)                                                                          \
	X(COMPILER, "compiler", 1, 1, "VERSION", "the compiler's own version string")        \
	X(HASHES, "hashes", 1, 1, "N", "version of the hash rules (absent: 1)")              \
	X(DRIVER, "driver", 1, 1, "PATH", "the gcc driver that ran the compile")             \
	X(CWD, "cwd", 1, 1, "DIR", "the compiler's working directory")                       \
	X(SRC, "src", 1, 1, "PATH", "the main input file as given")                          \
	X(OPT, "opt", 1, 1, "OPTION", "one driver option, in order")                         \
	X(OPTSRC, "optsrc", 1, 1, "SOURCE", "where the pass-through options came from")      \
	X(CC1OPT, "cc1opt", 2, 1, "OPTION [ARG]", "a preprocessor option cc1 got beyond "  \
	  "COLLECT_GCC_OPTIONS")                                                               \
	X(ENV, "env", 2, 2, "NAME VALUE", "a code-changing environment variable")             \
	X(PROFILE, "profile", 2, 1, "LEVEL SETTER", "live-patching level and who set it")    \
	X(PAD, "pad", 3, 3, "SIZE BEFORE SETTER", "padded function entries "                   \
	  "(-fpatchable-function-entry=SIZE,BEFORE) and who set them")                       \
	X(FN, "fn", 7, 7, "NAME ASM LINKAGE SIG HASH HASH_NOLINE HASH_NOLAYOUT",              \
	  "a function definition")                                                             \
	X(XFN, "xfn", 7, 7, "NAME ASM LINKAGE SIG HASH HASH_NOLINE HASH_NOLAYOUT",            \
	  "an extern inline (gnu_inline) body, no out-of-line definition")                    \
	X(USE, "use", 3, 3, "FN KIND TARGET", "what the source body of FN refers to")         \
	X(EMIT, "emit", 2, 2, "ASM ORIGIN", "a body emitted into the object")                 \
	X(INLINE, "inline", 3, 2, "CALLER CALLEE [CLONE]", "CALLEE's body (its clone CLONE) " \
	  "inlined into CALLER")                                                                \
	X(ECALL, "ecall", 2, 2, "CALLER CALLEE", "a direct call in emitted code")             \
	X(VAR, "var", 10, 10, "KEY NAME ASM SCOPE OWNER TYPE SIZE ACCESS INITHASH FLAGS",    \
	  "a variable defined")                                                                \
	X(TYPE, "type", 4, 4, "TAG KIND SIZE LAYOUT", "a struct/union defined")                \
	X(SAME_AS_BELOW, "same-as-below", 0, 0, "", "a patch's stub record: the unit is as "   \
	  "in the release below (docs/patch-format.md)")                                       \
	X(END, "end", 0, 0, "", "end of record")
/* clang-format on */

enum meta_key {
#define META_KEY_ENUM(id, key, nfields, nrequired, fields, meaning) META_K_##id,
	META_KEYS(META_KEY_ENUM)
#undef META_KEY_ENUM
	    META_NKEYS
};

struct meta_key_def {
	const char *key;
	int nfields, nrequired;
	const char *fields, *meaning;
};

static inline const struct meta_key_def *meta_key_def(enum meta_key k)
{
#define META_KEY_DEF(id, key, nfields, nrequired, fields, meaning)                                 \
	{key, nfields, nrequired, fields, meaning},
	static const struct meta_key_def defs[META_NKEYS] = {META_KEYS(META_KEY_DEF)};
#undef META_KEY_DEF
	return &defs[k];
}

#endif
