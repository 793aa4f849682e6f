/* polus-record.cc — record mode: what one translation unit defines, uses and emits.
 *
 * Facts are collected where GCC shows them and written once, at PLUGIN_FINISH_UNIT,
 * as one record (docs/metadata.md) into .polus.meta, every line through the key table
 * of versionfiles/meta_format.h (pbuf_line):
 * - fn: PLUGIN_FINISH_PARSE_FUNCTION (every definition, unused statics included);
 *   hashes and `use` lines from a GIMPLE pass right after `cfg` (before any inlining).
 *   A definition that never reaches `cfg` (an unused static the compiler drops) is
 *   hashed from its GENERIC body when its cgraph node is removed: that hash differs
 *   from any GIMPLE hash, so using it later shows as a change, and two unused versions
 *   compare equal when unchanged. Extern inline (gnu_inline) bodies, never emitted out
 *   of line, are written as `xfn` lines (same fields; readers ignore unknown kinds).
 * - inline: the cgraph node-removal hook; a removed node with inlined_to set is an
 *   inline decision, early or IPA (walking BLOCKs would miss calls folded away).
 * - emit, ecall: a GIMPLE pass right after `optimized` (the last GIMPLE pass, at -O0
 *   too) sees every body really emitted, clones (.constprop/.isra/.part) included,
 *   and its direct calls.
 * - var: PLUGIN_FINISH_DECL; the final assembler name from the varpool at the end
 *   (never DECL_ASSEMBLER_NAME: on static locals it renumbers `x.N`).
 * - type: PLUGIN_FINISH_TYPE (tagged), or the typedef's PLUGIN_FINISH_DECL.
 * Everything here only reads GCC's data: the loaded sections must stay byte-identical. */
#include "polus-common.h"
#include "polus.h"
#include "polus-options.h"
#include "version.h"

const char *polus_profile_setter = "plugin";
const char *polus_pad_setter = "plugin";

struct fn_rec {
	char *name, *asm_name, *linkage, *sig;
	bool hashed, xfn;
	struct polus_hash3 h;
	struct pbuf uses;
};

struct var_rec {
	int uid;
	char *key, *name, *scope, *owner, *type, *access, *inithash, *flags;
	long long size;
	char *final_asm;
};

static vec<fn_rec *> g_fns;
static vec<var_rec *> g_vars;
static hash_map<int_hash<int, -1, -2>, int> *g_fn_by_uid, *g_var_by_uid;
static hash_set<nofree_string_hash> *g_inline_seen;
static struct pbuf g_inline, g_emit, g_types;
static hash_map<int_hash<int, -1, -2>, int> *g_anon_types; /* uid -> 1 while pending */

static char *hex16(uint64_t v)
{
	char buf[17];
	snprintf(buf, sizeof buf, "%016llx", (unsigned long long)v);
	return xstrdup(buf);
}

static char *type_string(tree t)
{
	struct pbuf b = {};
	polus_type_text(&b, t);
	char *s = xstrdup(b.p ? b.p : "-");
	pbuf_free(&b);
	return s;
}

static fn_rec *fn_get(tree decl, bool create)
{
	int uid = DECL_UID(decl);
	int *ix = g_fn_by_uid->get(uid);
	if (ix)
		return g_fns[*ix];
	if (!create)
		return NULL;
	fn_rec *f = XCNEW(fn_rec);
	const char *n = polus_decl_name(decl);
	f->name = xstrdup(n ? n : "-");
	g_fn_by_uid->put(uid, g_fns.length());
	g_fns.safe_push(f);
	return f;
}

static void fn_fill_decl(fn_rec *f, tree decl)
{
	free(f->linkage);
	free(f->sig);
	free(f->asm_name);
	const char *l = DECL_WEAK(decl) ? "weak" : TREE_PUBLIC(decl) ? "global" : "static";
	f->linkage = concat(l, DECL_DECLARED_INLINE_P(decl) ? ",inline" : "", NULL);
	f->sig = type_string(TREE_TYPE(decl));
	f->asm_name = xstrdup(polus_raw_asm_name(decl));
	f->xfn = DECL_EXTERNAL(decl);
}

static void on_finish_parse_function(void *gcc_data, void *)
{
	tree decl = (tree)gcc_data;
	if (!decl || TREE_CODE(decl) != FUNCTION_DECL)
		return;
	fn_fill_decl(fn_get(decl, true), decl);
}

/* ---- uses, deduplicated per function ---- */
struct use_ctx {
	fn_rec *f;
	hash_set<nofree_string_hash> *seen;
};

static void on_use(const char *kind, const char *target, void *data)
{
	struct use_ctx *u = (struct use_ctx *)data;
	char key[600];
	snprintf(key, sizeof key, "%s\t%s", kind, target);
	if (u->seen->contains(key))
		return;
	u->seen->add(xstrdup(key));
	pbuf_line(&u->f->uses, META_K_USE);
	pbuf_field(&u->f->uses, u->f->name);
	pbuf_field(&u->f->uses, kind);
	pbuf_field(&u->f->uses, target);
	pbuf_line_end(&u->f->uses);
}

static void hash_function(fn_rec *f, tree decl, tree generic_body)
{
	hash_set<nofree_string_hash> seen;
	struct use_ctx u = {f, &seen};
	f->uses.len = 0;
	if (generic_body)
		polus_hash_generic(decl, generic_body, &f->h, on_use, &u);
	else
		polus_hash_gimple_body(decl, &f->h, on_use, &u);
	f->hashed = true;
	for (hash_set<nofree_string_hash>::iterator it = seen.begin(); it != seen.end(); ++it)
		free(const_cast<char *>(*it));
}

/* ---- the pass after cfg ---- */
static const pass_data hash_pass_data = {
    GIMPLE_PASS, "polus_hash", OPTGROUP_NONE, TV_NONE, PROP_cfg, 0, 0, 0, 0,
};

struct hash_pass : gimple_opt_pass {
	hash_pass(gcc::context *ctx) : gimple_opt_pass(hash_pass_data, ctx)
	{
	}
	unsigned int execute(function *fun) final override
	{
		tree decl = fun->decl;
		fn_rec *f = fn_get(decl, true);
		if (!f->linkage)
			fn_fill_decl(f, decl);
		else {
			free(f->asm_name);
			f->asm_name = xstrdup(polus_raw_asm_name(decl));
		}
		hash_function(f, decl, NULL_TREE);
		return 0;
	}
};

/* ---- the pass after optimized: emitted bodies and their direct calls ---- */
/*
 * The source function a body came from. Clone decls carry their own DECL_NAME
 * (work.constprop.0, work.part.0, work.constprop.0.isra.0): a C identifier has no '.',
 * so the origin is the name up to the first one. Returns whether decl is a clone.
 */
static bool origin_name(tree decl, char *buf, size_t len)
{
	const char *dn = polus_decl_name(decl);
	snprintf(buf, len, "%s", dn ? dn : polus_raw_asm_name(decl));
	char *dot = strchr(buf, '.');
	if (!dot || dot == buf)
		return false;
	*dot = 0;
	return true;
}

static const pass_data emit_pass_data = {
    GIMPLE_PASS, "polus_emit", OPTGROUP_NONE, TV_NONE, PROP_cfg, 0, 0, 0, 0,
};

struct emit_pass : gimple_opt_pass {
	emit_pass(gcc::context *ctx) : gimple_opt_pass(emit_pass_data, ctx)
	{
	}
	unsigned int execute(function *fun) final override
	{
		tree decl = fun->decl;
		const char *asm_name = polus_raw_asm_name(decl);
		char origin[512];
		origin_name(decl, origin, sizeof origin);
		pbuf_line(&g_emit, META_K_EMIT);
		pbuf_field(&g_emit, asm_name);
		pbuf_field(&g_emit, origin);
		pbuf_line_end(&g_emit);
		hash_set<nofree_string_hash> seen;
		basic_block bb;
		FOR_EACH_BB_FN(bb, fun)
		{
			for (gimple_stmt_iterator gsi = gsi_start_bb(bb); !gsi_end_p(gsi);
			     gsi_next(&gsi)) {
				gimple *s = gsi_stmt(gsi);
				if (!is_gimple_call(s))
					continue;
				tree callee = gimple_call_fndecl(s);
				if (!callee)
					continue;
				const char *cn = polus_raw_asm_name(callee);
				if (!strncmp(cn, "__builtin_", 10) || seen.contains(cn))
					continue;
				seen.add(cn);
				pbuf_line(&g_emit, META_K_ECALL);
				pbuf_field(&g_emit, asm_name);
				pbuf_field(&g_emit, cn);
				pbuf_line_end(&g_emit);
			}
		}
		return 0;
	}
};

/* ---- inlining and dropped definitions, from the node-removal hook ---- */
static void on_node_removed(cgraph_node *node, void *)
{
	if (node->inlined_to) {
		/* CALLEE is the source function; a clone inlined (f.constprop.0, f.part.0)
		 * is named too, so no reader has to guess its origin. */
		const char *caller = polus_raw_asm_name(node->inlined_to->decl);
		const char *dn = polus_decl_name(node->decl);
		if (!dn)
			return;
		char callee[512];
		bool clone = origin_name(node->decl, callee, sizeof callee);
		char key[1200];
		snprintf(key, sizeof key, "%s\t%s\t%s", caller, callee, dn);
		if (g_inline_seen->contains(key))
			return;
		g_inline_seen->add(xstrdup(key));
		pbuf_line(&g_inline, META_K_INLINE);
		pbuf_field(&g_inline, caller);
		pbuf_field(&g_inline, callee);
		if (clone)
			pbuf_field(&g_inline, dn);
		pbuf_line_end(&g_inline);
		return;
	}
	fn_rec *f = fn_get(node->decl, false);
	if (f && !f->hashed && DECL_SAVED_TREE(node->decl) && !gimple_has_body_p(node->decl))
		hash_function(f, node->decl, DECL_SAVED_TREE(node->decl));
}

/* ---- variables ---- */
static void on_var_decl(tree decl)
{
	if (!TREE_STATIC(decl) || DECL_EXTERNAL(decl))
		return;
	int uid = DECL_UID(decl);
	var_rec *v;
	int *ix = g_var_by_uid->get(uid);
	if (ix) {
		v = g_vars[*ix];
		free(v->inithash);
		free(v->type);
		free(v->access);
	} else {
		v = XCNEW(var_rec);
		v->uid = uid;
		v->key = xstrdup(polus_note_var(decl));
		const char *n = polus_decl_name(decl);
		v->name = xstrdup(n ? n : "-");
		bool local = DECL_CONTEXT(decl) && TREE_CODE(DECL_CONTEXT(decl)) == FUNCTION_DECL;
		v->scope = xstrdup(local ? "local" : TREE_PUBLIC(decl) ? "global" : "static");
		const char *o = local ? polus_decl_name(DECL_CONTEXT(decl)) : NULL;
		v->owner = xstrdup(o ? o : "-");
		g_var_by_uid->put(uid, g_vars.length());
		g_vars.safe_push(v);
	}
	v->type = type_string(TREE_TYPE(decl));
	v->size = DECL_SIZE_UNIT(decl) && tree_fits_shwi_p(DECL_SIZE_UNIT(decl))
		      ? tree_to_shwi(DECL_SIZE_UNIT(decl))
		      : -1;
	v->access = xstrdup(TREE_READONLY(decl) ? "ro" : "rw");
	tree init = DECL_INITIAL(decl);
	if (init && init != error_mark_node) {
		struct polus_hash3 h;
		polus_hash_generic(NULL_TREE, init, &h, NULL, NULL);
		v->inithash = hex16(h.h[0]);
	} else {
		v->inithash = xstrdup("-");
	}
	free(v->flags);
	char fl[64] = "";
	if (DECL_THREAD_LOCAL_P(decl))
		strcat(fl, ",tls");
	if (DECL_WEAK(decl))
		strcat(fl, ",weak");
	if (TREE_THIS_VOLATILE(decl))
		strcat(fl, ",volatile");
	v->flags = xstrdup(fl[0] ? fl + 1 : "-");
}

/* ---- struct/union layouts ---- */
static hash_set<int_hash<int, -1, -2>> *g_types_written;

static void write_type(tree t, const char *tag)
{
	/* PLUGIN_FINISH_TYPE fires again for every variant and redeclaration. */
	int uid = TYPE_UID(TYPE_MAIN_VARIANT(t));
	if (g_types_written->contains(uid))
		return;
	g_types_written->add(uid);
	pbuf_line(&g_types, META_K_TYPE);
	pbuf_field(&g_types, tag);
	pbuf_field(&g_types, TREE_CODE(t) == UNION_TYPE ? "union" : "struct");
	pbuf_fieldf(&g_types, "%lld", (long long)int_size_in_bytes(t));
	struct pbuf lay = {};
	for (tree f = TYPE_FIELDS(t); f; f = DECL_CHAIN(f)) {
		if (TREE_CODE(f) != FIELD_DECL)
			continue;
		if (lay.len)
			pbuf_puts(&lay, ";");
		const char *n = polus_decl_name(f);
		pbuf_puts(&lay, n ? n : "<anon>");
		pbuf_puts(&lay, ":");
		/* A bit-field's own type has no name: show the declared one. */
		polus_type_text(&lay,
				DECL_BIT_FIELD_TYPE(f) ? DECL_BIT_FIELD_TYPE(f) : TREE_TYPE(f));
		/* From the field's own constants: bit_position() would build new trees. */
		long long pos = -1, sz = -1;
		tree off = DECL_FIELD_OFFSET(f), boff = DECL_FIELD_BIT_OFFSET(f);
		if (off && boff && tree_fits_shwi_p(off) && tree_fits_shwi_p(boff))
			pos = tree_to_shwi(off) * BITS_PER_UNIT + tree_to_shwi(boff);
		if (DECL_SIZE(f) && tree_fits_shwi_p(DECL_SIZE(f)))
			sz = tree_to_shwi(DECL_SIZE(f));
		pbuf_printf(&lay, "@%lld/%lld", pos, sz);
	}
	pbuf_field(&g_types, lay.p ? lay.p : "");
	pbuf_free(&lay);
	pbuf_line_end(&g_types);
}

/* A named enum: KIND enum, LAYOUT its enumerators NAME=VALUE joined by `;`, so that a
 * variable of it whose values were renumbered is seen as changed, and synced by name. */
static void write_enum(tree t, const char *tag)
{
	int uid = TYPE_UID(TYPE_MAIN_VARIANT(t));
	if (g_types_written->contains(uid))
		return;
	g_types_written->add(uid);
	struct pbuf lay = {};
	for (tree v = TYPE_VALUES(t); v; v = TREE_CHAIN(v)) {
		tree val = TREE_VALUE(v);
		if (val && TREE_CODE(val) == CONST_DECL)
			val = DECL_INITIAL(val);
		if (!val || TREE_CODE(val) != INTEGER_CST || !tree_fits_shwi_p(val) ||
		    TREE_CODE(TREE_PURPOSE(v)) != IDENTIFIER_NODE)
			continue;
		if (lay.len)
			pbuf_puts(&lay, ";");
		pbuf_printf(&lay, "%s=%lld", IDENTIFIER_POINTER(TREE_PURPOSE(v)),
			    (long long)tree_to_shwi(val));
	}
	pbuf_line(&g_types, META_K_TYPE);
	pbuf_field(&g_types, tag);
	pbuf_field(&g_types, "enum");
	pbuf_fieldf(&g_types, "%lld", (long long)int_size_in_bytes(t));
	pbuf_field(&g_types, lay.p ? lay.p : "");
	pbuf_free(&lay);
	pbuf_line_end(&g_types);
}

static void on_finish_type(void *gcc_data, void *)
{
	tree t = (tree)gcc_data;
	if (t && TREE_CODE(t) == ENUMERAL_TYPE && COMPLETE_TYPE_P(t)) {
		tree n = TYPE_NAME(TYPE_MAIN_VARIANT(t));
		if (n && TREE_CODE(n) == IDENTIFIER_NODE)
			write_enum(t, IDENTIFIER_POINTER(n));
		return;
	}
	if (!t || (TREE_CODE(t) != RECORD_TYPE && TREE_CODE(t) != UNION_TYPE) ||
	    !COMPLETE_TYPE_P(t))
		return;
	const char *tag = polus_type_tag(t);
	if (tag)
		write_type(t, tag);
	else
		g_anon_types->put(TYPE_UID(TYPE_MAIN_VARIANT(t)), 1);
}

static void on_finish_decl(void *gcc_data, void *)
{
	tree decl = (tree)gcc_data;
	if (!decl)
		return;
	if (TREE_CODE(decl) == VAR_DECL) {
		on_var_decl(decl);
		return;
	}
	if (tree t = polus_note_typedef(decl)) {
		int *pending = g_anon_types->get(TYPE_UID(t));
		if (pending && *pending) {
			*pending = 0;
			write_type(t, IDENTIFIER_POINTER(DECL_NAME(decl)));
		}
	}
}

/* ---- the record ---- */
/* `pad SIZE BEFORE SETTER` when the unit's functions have patchable entries (polus-mkpatch
 * marks a function of such a unit padded when its bytes show the layout: docs/stopfree.md) */
static void write_pad(struct pbuf *b)
{
	unsigned long size = 0, before = 0;
	const char *o = flag_patchable_function_entry;
	if (!o || sscanf(o, "%lu,%lu", &size, &before) < 1 || !size)
		return;
	pbuf_line(b, META_K_PAD);
	pbuf_fieldf(b, "%lu", size);
	pbuf_fieldf(b, "%lu", before);
	pbuf_field(b, polus_pad_setter);
	pbuf_line_end(b);
}

static void on_finish_unit(void *, void *)
{
	if (seen_error())
		return;
	varpool_node *vn;
	FOR_EACH_VARIABLE(vn)
	{
		int *ix = g_var_by_uid->get(DECL_UID(vn->decl));
		if (!ix || !TREE_ASM_WRITTEN(vn->decl) || !DECL_ASSEMBLER_NAME_SET_P(vn->decl))
			continue;
		free(g_vars[*ix]->final_asm);
		g_vars[*ix]->final_asm = xstrdup(polus_raw_asm_name(vn->decl));
	}

	struct pbuf b = {};
	pbuf_puts(&b, META_HEADER "\n");
	pbuf_line1(&b, META_K_COMPILER, version_string);
	pbuf_line(&b, META_K_HASHES);
	pbuf_fieldf(&b, "%d", POLUS_HASH_SCHEME);
	pbuf_line_end(&b);
	pbuf_line1(&b, META_K_DRIVER, getenv("COLLECT_GCC"));
	pbuf_line1(&b, META_K_CWD, getpwd());
	pbuf_line1(&b, META_K_SRC, main_input_filename);
	polus_write_options(&b);
	pbuf_line(&b, META_K_PROFILE);
	pbuf_field(&b, flag_live_patching == LIVE_PATCHING_INLINE_ONLY_STATIC ? "inline-only-static"
									      : "inline-clone");
	pbuf_field(&b, polus_profile_setter);
	pbuf_line_end(&b);
	write_pad(&b);
	for (unsigned i = 0; i < g_fns.length(); i++) {
		fn_rec *f = g_fns[i];
		if (!f->linkage)
			continue;
		/* `xfn`: an extern inline (gnu_inline) body, never emitted out of line here;
		 * same fields as `fn` (an extension: readers ignore unknown kinds). */
		pbuf_line(&b, f->xfn ? META_K_XFN : META_K_FN);
		pbuf_field(&b, f->name);
		pbuf_field(&b, f->asm_name);
		pbuf_field(&b, f->linkage);
		pbuf_field(&b, f->sig);
		for (int k = 0; k < 3; k++) {
			if (f->hashed)
				pbuf_fieldf(&b, "%016llx", (unsigned long long)f->h.h[k]);
			else
				pbuf_field(&b, NULL);
		}
		pbuf_line_end(&b);
		if (f->uses.len)
			pbuf_add(&b, f->uses.p, f->uses.len);
	}
	if (g_inline.len)
		pbuf_add(&b, g_inline.p, g_inline.len);
	if (g_emit.len)
		pbuf_add(&b, g_emit.p, g_emit.len);
	for (unsigned i = 0; i < g_vars.length(); i++) {
		var_rec *v = g_vars[i];
		pbuf_line(&b, META_K_VAR);
		pbuf_field(&b, v->key);
		pbuf_field(&b, v->name);
		pbuf_field(&b, v->final_asm);
		pbuf_field(&b, v->scope);
		pbuf_field(&b, v->owner);
		pbuf_field(&b, v->type);
		pbuf_fieldf(&b, "%lld", v->size);
		pbuf_field(&b, v->access);
		pbuf_field(&b, v->inithash);
		pbuf_field(&b, v->flags);
		pbuf_line_end(&b);
	}
	if (g_types.len)
		pbuf_add(&b, g_types.p, g_types.len);
	pbuf_line(&b, META_K_END);
	pbuf_line_end(&b);
	polus_emit_meta_section(&b);
	pbuf_free(&b);
}

/* main_input_filename and the symbol table exist only once the unit starts. */
static void on_start_unit(void *, void *)
{
	polus_hash_init_paths();
	symtab->add_cgraph_removal_hook(on_node_removed, NULL);
}

void polus_record_register(const char *plugin_name)
{
	g_fn_by_uid = new hash_map<int_hash<int, -1, -2>, int>;
	g_var_by_uid = new hash_map<int_hash<int, -1, -2>, int>;
	g_anon_types = new hash_map<int_hash<int, -1, -2>, int>;
	g_inline_seen = new hash_set<nofree_string_hash>;
	g_types_written = new hash_set<int_hash<int, -1, -2>>;
	register_callback(plugin_name, PLUGIN_START_UNIT, on_start_unit, NULL);
	register_callback(plugin_name, PLUGIN_FINISH_PARSE_FUNCTION, on_finish_parse_function,
			  NULL);
	register_callback(plugin_name, PLUGIN_FINISH_DECL, on_finish_decl, NULL);
	register_callback(plugin_name, PLUGIN_FINISH_TYPE, on_finish_type, NULL);
	register_callback(plugin_name, PLUGIN_FINISH_UNIT, on_finish_unit, NULL);

	struct register_pass_info hp = {new hash_pass(g), "cfg", 1, PASS_POS_INSERT_AFTER};
	register_callback(plugin_name, PLUGIN_PASS_MANAGER_SETUP, NULL, &hp);
	struct register_pass_info ep = {new emit_pass(g), "optimized", 1, PASS_POS_INSERT_AFTER};
	register_callback(plugin_name, PLUGIN_PASS_MANAGER_SETUP, NULL, &ep);
}
