/* polus.h — the plugin's internal contract between its modules.
 *
 *   polus-plugin.cc       plugin_init: options, version check, build profile, LTO refusal
 *   polus-record.cc       record mode: collects fn/use/inline/emit/ecall/var/type facts
 *   polus-hash.cc         structural body/initializer hashes and the `use` facts of a body
 *   polus-meta-writer.cc  text buffer with the metadata escaping, record lines checked
 *                         against the key table of versionfiles/meta_format.h, and
 *                         their emission into the non-allocated section .polus.meta
 *   polus-patchmode.cc    patch mode: reads the plan, checks the expected hashes,
 *                         renames/binds/keeps declarations, moves addresses of kept
 *                         functions to their ADDRSYM
 *
 * Record mode is a pure observer: nothing here may create trees, call
 * DECL_ASSEMBLER_NAME (it renumbers static locals) or otherwise change what GCC emits. */
#ifndef POLUS_H
#define POLUS_H

#include <stdint.h>
#include <stddef.h>

#include "meta_format.h"
#include "plan_format.h"

/* ---- polus-meta-writer.cc ---- */
struct pbuf {
	char *p;
	size_t len, cap;
	const struct meta_key_def *line; /* the record line being written, or NULL */
	int nfields;			 /* fields written on it so far */
};
void pbuf_add(struct pbuf *b, const char *s, size_t n);
void pbuf_puts(struct pbuf *b, const char *s);
void pbuf_printf(struct pbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* One field, escaped per docs/metadata.md (\\ \t \n; empty or NULL = "-"), preceded by a tab. */
void pbuf_field(struct pbuf *b, const char *s);
/* One field formatted by FMT (numbers: nothing to escape), preceded by a tab. */
void pbuf_fieldf(struct pbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A record line of kind K: pbuf_line writes its key, the fields follow, and
 * pbuf_line_end ends it, a fatal error unless their count is within the table's
 * NREQUIRED..NFIELDS. */
void pbuf_line(struct pbuf *b, enum meta_key k);
void pbuf_line_end(struct pbuf *b);
/* A record line of kind K with the one field V. */
void pbuf_line1(struct pbuf *b, enum meta_key k, const char *v);
void pbuf_free(struct pbuf *b);
/* Writes BUF as the bytes of section .polus.meta into the assembler output, leaving
 * the assembler's current section as it was. */
void polus_emit_meta_section(const struct pbuf *buf);

/* ---- polus-hash.cc ---- */
/* The hash rules' own version, written in every record (`hashes` line): hashes of two
 * builds compare only under the same rules. Bump it with every change that moves a hash
 * of unchanged source. (Scheme 1: the first plugin; 2: -g no longer changes a hash and
 * __LINE__ placeholders only where __LINE__ can be.) */
#define POLUS_HASH_SCHEME 2
struct polus_hash3 {
	uint64_t h[3]; /* HASH, HASH_NOLINE, HASH_NOLAYOUT */
};
/* Called for each `use` fact found while hashing (kind: call, addr, write, read, type). */
typedef void (*polus_use_fn)(const char *kind, const char *target, void *data);
void polus_hash_init_paths(void);
/* Hash of FN's lowered GIMPLE body (after cfg; cfun == DECL_STRUCT_FUNCTION(FN)). */
void polus_hash_gimple_body(tree fn, struct polus_hash3 *out, polus_use_fn use, void *data);
/* Hash of a GENERIC tree (an unlowered body, or an initializer). */
void polus_hash_generic(tree fn, tree t, struct polus_hash3 *out, polus_use_fn use, void *data);
/* Source-level key of a variable: NAME, or OWNER/NAME for a function-local static.
 * Returns a pointer to a static buffer. */
const char *polus_var_key(tree var);
/* Registers a variable at its PLUGIN_FINISH_DECL and returns its unique KEY (OWNER/NAME,
 * then OWNER/NAME#2... for later statics of the same name in the same function). */
const char *polus_note_var(tree var);
/* The KEY given by polus_note_var, or polus_var_key for a variable never noted. */
const char *polus_var_key_final(tree var);
/* Assembler name if already set (never computed), else the source name; "-" if none. */
const char *polus_raw_asm_name(tree decl);
const char *polus_decl_name(tree decl);
/* Name of a struct/union: tag, typedef name, or NULL if anonymous. */
const char *polus_type_tag(tree type);
void polus_note_typedef_tag(tree type, const char *name);
/* At a TYPE_DECL's PLUGIN_FINISH_DECL: a typedef naming an anonymous struct/union gives
 * it its tag (both modes do it, so their hashes agree). Returns the type newly named. */
tree polus_note_typedef(tree decl);
/* C-like text of a type (static buffer, overwritten by the next call). */
void polus_type_text(struct pbuf *b, tree type);

/* ---- polus-record.cc ---- */
void polus_record_register(const char *plugin_name);
extern const char *polus_profile_setter; /* "plugin" or "user" */
extern const char *polus_pad_setter;	 /* "plugin" or "user" */

/* ---- polus-patchmode.cc ---- */
/* Reads the plan; on error fills ERR and returns -1. */
int polus_patch_load_plan(const char *path, char *err, size_t errlen);
void polus_patch_register(const char *plugin_name);

#endif
