/* polus-patchmode.cc — patch mode: compile a unit of the new release into patch code.
 *
 * The plan (written by polus-mkpatch; keywords in versionfiles/plan_format.h) names,
 * per unit:
 *   keep      NAME SYMBOL [ADDRSYM]  changed/new function: exported as SYMBOL (default
 *                                visibility, `used`), so the injector finds it; with
 *                                ADDRSYM, calls still go to SYMBOL but every address
 *                                taken of NAME (code and initializers) is the external
 *                                ADDRSYM: the running program's own entry, so pointers
 *                                the old code stored compare equal to new ones;
 *   bind-fn   NAME SYMBOL        unchanged function of the running program: every call
 *                                and address refers to the external SYMBOL; the unit's
 *                                own body is dropped;
 *   bind-var  KEY SYMBOL [tls]   variable of the running program (KEY = NAME or
 *                                OWNER/NAME): every reference goes to the external
 *                                SYMBOL (GOT under -fPIC; initial-exec TLS for tls);
 *                                the unit's own definition is dropped;
 *   coexist   KEY SYMBOL         variable whose type changed: the unit's own definition
 *                                stays (the patch's new copy), exported as SYMBOL
 *                                (default visibility, `used`), page-aligned, so
 *                                polus-mkpatch's sync code and polus-apply find it;
 *   sync-store KEY FN            after each store of this unit's code to variable KEY (one
 *                                in coexistence), a call to the external FN (void (void)),
 *                                which carries the store to the old copy while old code
 *                                may still use it;
 *   expect    NAME HASH          NEW's recorded HASH of function NAME in this unit: the
 *                                same hash is computed here (as record mode does, before
 *                                any rewriting) and a difference fails the compile, since
 *                                the source changed after NEW was built.
 * Everything else compiles normally, and its references follow the same rules. A
 * bind-fn of an always_inline function is ignored: it has no out-of-line copy in the
 * base, and stays inlined. Same-named statics of one function are OWNER/NAME#N, as in
 * record mode.
 *
 * How: the declarations themselves are turned into external declarations named SYMBOL,
 * once the whole unit is parsed and lowered (PLUGIN_ALL_IPA_PASSES_START: before any
 * inlining, cloning or IPA analysis). Doing it on the decls rather than on each use
 * catches every reference at once: function bodies, initializers of other variables,
 * asm operands, references parsed before the definition. Doing it after parsing keeps
 * the C front end's redeclaration checks (static after non-static) out of the way. */
#include "polus-common.h"
#include "polus.h"
#include "tree-cfg.h"

struct plan_entry {
	char *symbol;
	char *addrsym; /* keep: the symbol an address of the function becomes, or NULL */
	bool tls;
	bool done;
};

typedef hash_map<nofree_string_hash, plan_entry> plan_map;
static plan_map *g_keep, *g_bind_fn, *g_bind_var, *g_coexist, *g_sync_store;
/* Kept FUNCTION_DECL -> the external ADDRSYM decl; used within one callback only (the
 * new decls are not GC roots until the IL refers to them). */
static hash_map<tree, tree> *g_addr_of;

/* expect NAME HASH: what this compile finds, per NAME. */
struct expect_entry {
	uint64_t want, got, got_generic;
	bool hashed, generic;
};
typedef hash_map<nofree_string_hash, expect_entry> expect_map;
static expect_map *g_expect;

static bool parse_hash(const char *s, uint64_t *out)
{
	if (strlen(s) != 16 || strspn(s, "0123456789abcdef") != 16)
		return false;
	*out = strtoull(s, NULL, 16);
	return true;
}

static char *trim_nl(char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = 0;
	return s;
}

int polus_patch_load_plan(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "cannot read plan %s: %s", path, xstrerror(errno));
		return -1;
	}
	g_keep = new plan_map;
	g_bind_fn = new plan_map;
	g_bind_var = new plan_map;
	g_coexist = new plan_map;
	g_sync_store = new plan_map;
	g_addr_of = new hash_map<tree, tree>;
	g_expect = new expect_map;
	char line[4096];
	int lineno = 0, rc = 0;
	while (fgets(line, sizeof line, f)) {
		lineno++;
		trim_nl(line);
		char *fields[5] = {};
		int nf = 0;
		for (char *p = line; p && nf < 5;) {
			fields[nf++] = p;
			p = strchr(p, '\t');
			if (p)
				*p++ = 0;
		}
		if (lineno == 1) {
			if (nf != 2 || strcmp(fields[0], PLAN_MAGIC) ||
			    strcmp(fields[1], POLUS_STR(PLAN_FORMAT))) {
				snprintf(err, errlen,
					 "%s: not a polus plan (want '" PLAN_MAGIC
					 "<TAB>" POLUS_STR(PLAN_FORMAT) "')",
					 path);
				rc = -1;
				break;
			}
			continue;
		}
		if (!line[0])
			continue;
		if (!strcmp(fields[0], PLAN_EXPECT)) {
			expect_entry x = {};
			if (nf != 3 || !fields[1][0] || !parse_hash(fields[2], &x.want)) {
				snprintf(err, errlen,
					 "%s:%d: bad plan line (want " PLAN_EXPECT
					 " NAME HASH, HASH = 16 lower-case hex digits)",
					 path, lineno);
				rc = -1;
				break;
			}
			g_expect->put(xstrdup(fields[1]), x);
			continue;
		}
		plan_map *m = NULL;
		if (!strcmp(fields[0], PLAN_KEEP))
			m = g_keep;
		else if (!strcmp(fields[0], PLAN_BIND_FN))
			m = g_bind_fn;
		else if (!strcmp(fields[0], PLAN_BIND_VAR))
			m = g_bind_var;
		else if (!strcmp(fields[0], PLAN_COEXIST))
			m = g_coexist;
		else if (!strcmp(fields[0], PLAN_SYNC_STORE))
			m = g_sync_store;
		bool tls = nf == 4 && m == g_bind_var && !strcmp(fields[3], PLAN_TLS);
		bool addr = nf == 4 && m == g_keep && fields[3][0];
		if (!m || nf < 3 || (nf > 3 && !tls && !addr) || !fields[1][0] || !fields[2][0]) {
			snprintf(err, errlen,
				 "%s:%d: bad plan line (want " PLAN_KEEP
				 " NAME SYMBOL [ADDRSYM], " PLAN_BIND_FN
				 " NAME SYMBOL, " PLAN_BIND_VAR " KEY SYMBOL "
				 "[" PLAN_TLS "], " PLAN_COEXIST " KEY SYMBOL or " PLAN_SYNC_STORE
				 " KEY FN)",
				 path, lineno);
			rc = -1;
			break;
		}
		plan_entry e = {xstrdup(fields[2]), addr ? xstrdup(fields[3]) : NULL, tls, false};
		m->put(xstrdup(fields[1]), e);
	}
	if (!rc && lineno == 0) {
		snprintf(err, errlen, "%s: empty plan", path);
		rc = -1;
	}
	fclose(f);
	return rc;
}

static void set_name(tree decl, const char *symbol)
{
	symtab->change_decl_assembler_name(decl, get_identifier(symbol));
}

static void make_default_visibility(tree decl)
{
	TREE_PUBLIC(decl) = 1;
	DECL_VISIBILITY(decl) = VISIBILITY_DEFAULT;
	DECL_VISIBILITY_SPECIFIED(decl) = 1;
}

/* The unit's function NAME becomes an external declaration of SYMBOL: its body (if
 * any) is dropped, every existing call edge and reference now leads outside. */
static void bind_function(cgraph_node *node, const char *symbol)
{
	tree decl = node->decl;
	if (node->definition) {
		if (gimple_has_body_p(decl) || DECL_STRUCT_FUNCTION(decl))
			node->release_body();
		node->reset();
	}
	node->force_output = 0;
	node->forced_by_abi = 0;
	node->lowered = 0;
	node->no_reorder = 0;
	DECL_EXTERNAL(decl) = 1;
	TREE_STATIC(decl) = 0;
	DECL_INITIAL(decl) = NULL_TREE;
	DECL_SAVED_TREE(decl) = NULL_TREE;
	DECL_WEAK(decl) = 0;
	DECL_COMDAT(decl) = 0;
	DECL_DECLARED_INLINE_P(decl) = 0;
	DECL_DISREGARD_INLINE_LIMITS(decl) = 0;
	DECL_PRESERVE_P(decl) = 0;
	make_default_visibility(decl);
	set_name(decl, symbol);
}

static void keep_function(cgraph_node *node, const char *symbol)
{
	tree decl = node->decl;
	make_default_visibility(decl);
	DECL_PRESERVE_P(decl) = 1;
	DECL_COMDAT(decl) = 0;
	DECL_WEAK(decl) = 0;
	node->force_output = 1;
	node->set_comdat_group(NULL);
	set_name(decl, symbol);
}

static void bind_variable(varpool_node *node, const char *symbol, bool tls)
{
	tree decl = node->decl;
	if (node->definition) {
		node->remove_all_references();
		node->definition = 0;
		node->analyzed = 0;
	}
	node->force_output = 0;
	node->forced_by_abi = 0;
	node->no_reorder = 0;
	DECL_EXTERNAL(decl) = 1;
	TREE_STATIC(decl) = 0;
	DECL_INITIAL(decl) = NULL_TREE;
	DECL_COMMON(decl) = 0;
	DECL_WEAK(decl) = 0;
	DECL_COMDAT(decl) = 0;
	DECL_PRESERVE_P(decl) = 0;
	make_default_visibility(decl);
	if (tls || DECL_THREAD_LOCAL_P(decl))
		set_decl_tls_model(decl, TLS_MODEL_INITIAL_EXEC);
	set_name(decl, symbol);
}

/* The patch's new copy of a variable whose type changed: exported under SYMBOL, kept,
 * and starting a page of its own, so that no other variable shares its first page. */
static void coexist_variable(varpool_node *node, const char *symbol)
{
	tree decl = node->decl;
	make_default_visibility(decl);
	DECL_PRESERVE_P(decl) = 1;
	DECL_COMDAT(decl) = 0;
	DECL_WEAK(decl) = 0;
	DECL_COMMON(decl) = 0;
	node->force_output = 1;
	node->set_comdat_group(NULL);
	SET_DECL_ALIGN(decl, PLAN_COEXIST_ALIGN * BITS_PER_UNIT);
	DECL_USER_ALIGN(decl) = 1;
	set_name(decl, symbol);
}

/* ---- sync-store KEY FN: a call to FN after each store to the variable ---- */

/* The external declaration of FN, void (void); one per name (the IL keeps it alive). */
static tree store_fn(const char *name)
{
	static hash_map<nofree_string_hash, tree> *decls;
	if (!decls)
		decls = new hash_map<nofree_string_hash, tree>;
	if (tree *d = decls->get(name))
		return *d;
	tree d = build_fn_decl(name, build_function_type_list(void_type_node, NULL_TREE));
	DECL_EXTERNAL(d) = 1;
	DECL_ARTIFICIAL(d) = 1;
	make_default_visibility(d);
	decls->put(xstrdup(name), d);
	return d;
}

static const pass_data sync_store_pass_data = {
    GIMPLE_PASS, "polus_sync_store", OPTGROUP_NONE, TV_NONE, PROP_cfg, 0, 0, 0, 0,
};

/* Right after `cfg`, before any inlining: every copy of the code carries the calls. */
struct sync_store_pass : gimple_opt_pass {
	sync_store_pass(gcc::context *ctx) : gimple_opt_pass(sync_store_pass_data, ctx)
	{
	}
	bool gate(function *) final override
	{
		return !g_sync_store->is_empty();
	}
	unsigned int execute(function *fun) final override
	{
		basic_block bb;
		FOR_EACH_BB_FN(bb, fun)
		{
			for (gimple_stmt_iterator gsi = gsi_start_bb(bb); !gsi_end_p(gsi);
			     gsi_next(&gsi)) {
				gimple *st = gsi_stmt(gsi);
				tree lhs = gimple_store_p(st) ? gimple_get_lhs(st) : NULL_TREE;
				tree base = lhs ? get_base_address(lhs) : NULL_TREE;
				if (!base || TREE_CODE(base) != VAR_DECL || !is_global_var(base) ||
				    !DECL_NAME(base) || stmt_ends_bb_p(st))
					continue;
				plan_entry *e = g_sync_store->get(polus_var_key_final(base));
				if (!e)
					continue;
				gcall *call = gimple_build_call(store_fn(e->symbol), 0);
				gimple_set_location(call, gimple_location(st));
				gsi_insert_after(&gsi, call, GSI_NEW_STMT);
			}
		}
		return 0;
	}
};

/* ---- addresses of kept functions (keep NAME SYMBOL ADDRSYM) ---- */

/* An external declaration of ADDRSYM with FN's type: the running program's entry of the
 * function, which the applied patch redirects to SYMBOL. */
static tree make_addr_decl(tree fn, const char *symbol)
{
	tree d = build_decl(DECL_SOURCE_LOCATION(fn), FUNCTION_DECL, get_identifier(symbol),
			    TREE_TYPE(fn));
	DECL_CONTEXT(d) = DECL_CONTEXT(fn);
	DECL_EXTERNAL(d) = 1;
	DECL_ARTIFICIAL(d) = 1;
	DECL_IGNORED_P(d) = 1;
	TREE_USED(d) = 1;
	TREE_ADDRESSABLE(d) = 1;
	/* A call made through the pointer reaches the same body: same guarantees. */
	TREE_NOTHROW(d) = TREE_NOTHROW(fn);
	TREE_THIS_VOLATILE(d) = TREE_THIS_VOLATILE(fn);
	make_default_visibility(d);
	SET_DECL_ASSEMBLER_NAME(d, get_identifier(symbol));
	return d;
}

/* walk_tree callback: &KEPT becomes &ADDRSYM; *(bool *)DATA is set on a change. The
 * parent's slot gets a new ADDR_EXPR: the old one may be shared with a call. */
static tree replace_addr(tree *tp, int *walk_subtrees, void *data)
{
	tree t = *tp;
	if (TREE_CODE(t) == ADDR_EXPR && TREE_CODE(TREE_OPERAND(t, 0)) == FUNCTION_DECL) {
		tree *to = g_addr_of->get(TREE_OPERAND(t, 0));
		if (to) {
			*tp = build1_loc(EXPR_LOCATION(t), ADDR_EXPR, TREE_TYPE(t), *to);
			*(bool *)data = true;
		}
		*walk_subtrees = 0;
	} else if (TYPE_P(t) || DECL_P(t)) {
		*walk_subtrees = 0;
	}
	return NULL_TREE;
}

/* Every operand of every statement except a call's callee: a direct call keeps going to
 * the new body. */
static void rewrite_body_addrs(cgraph_node *cn)
{
	function *f = DECL_STRUCT_FUNCTION(cn->decl);
	if (!f || !f->cfg || !gimple_has_body_p(cn->decl))
		return;
	bool changed = false;
	basic_block bb;
	FOR_EACH_BB_FN(bb, f)
	{
		for (gimple_stmt_iterator gsi = gsi_start_bb(bb); !gsi_end_p(gsi); gsi_next(&gsi)) {
			gimple *s = gsi_stmt(gsi);
			for (unsigned i = 0; i < gimple_num_ops(s); i++) {
				if (is_gimple_call(s) && i == 1)
					continue;
				tree *op = gimple_op_ptr(s, i);
				if (*op)
					walk_tree(op, replace_addr, &changed, NULL);
			}
		}
	}
	if (!changed)
		return;
	/* The IPA references must follow, or the new symbol would be invisible to the
	 * symbol table and the kept one would stay address-taken. */
	push_cfun(f);
	cgraph_edge::rebuild_references();
	pop_cfun();
}

static void rewrite_init_addrs(varpool_node *vn)
{
	tree *init = &DECL_INITIAL(vn->decl);
	if (!*init || *init == error_mark_node)
		return;
	bool changed = false;
	walk_tree(init, replace_addr, &changed, NULL);
	if (changed && vn->analyzed) {
		vn->remove_all_references();
		record_references_in_initializer(vn->decl, false);
	}
}

static void rewrite_addresses(void)
{
	if (g_addr_of->is_empty())
		return;
	cgraph_node *cn;
	FOR_EACH_FUNCTION(cn)
	rewrite_body_addrs(cn);
	varpool_node *vn;
	FOR_EACH_VARIABLE(vn)
	rewrite_init_addrs(vn);
}

/* ---- expect NAME HASH: the source still is what NEW was built from ---- */
static expect_entry *expected(tree decl)
{
	const char *name = polus_decl_name(decl);
	if (!name || g_expect->is_empty() ||
	    (DECL_CONTEXT(decl) && TREE_CODE(DECL_CONTEXT(decl)) == FUNCTION_DECL))
		return NULL;
	return g_expect->get(name);
}

/* Right after `cfg`, where record mode hashes: the same GIMPLE, the same hash. */
static const pass_data expect_pass_data = {
    GIMPLE_PASS, "polus_expect", OPTGROUP_NONE, TV_NONE, PROP_cfg, 0, 0, 0, 0,
};

struct expect_pass : gimple_opt_pass {
	expect_pass(gcc::context *ctx) : gimple_opt_pass(expect_pass_data, ctx)
	{
	}
	bool gate(function *) final override
	{
		return !g_expect->is_empty();
	}
	unsigned int execute(function *fun) final override
	{
		expect_entry *x = expected(fun->decl);
		if (x) {
			struct polus_hash3 h;
			polus_hash_gimple_body(fun->decl, &h, NULL, NULL);
			x->got = h.h[0];
			x->hashed = true;
		}
		return 0;
	}
};

/* Record mode hashes a definition dropped before `cfg` (an unused static) from its
 * GENERIC body. Here it may be kept (so lowered): its GENERIC hash, taken when parsed,
 * is the other hash that can match. */
static void expect_parsed(tree decl)
{
	expect_entry *x = expected(decl);
	if (!x || !DECL_SAVED_TREE(decl))
		return;
	struct polus_hash3 h;
	polus_hash_generic(decl, DECL_SAVED_TREE(decl), &h, NULL, NULL);
	x->generic = true;
	x->got_generic = h.h[0];
}

/* True if every expected function hashes as recorded; otherwise one error. */
static bool check_expected(void)
{
	const char *first = NULL;
	int more = 0;
	for (expect_map::iterator it = g_expect->begin(); it != g_expect->end(); ++it) {
		expect_entry &x = (*it).second;
		bool ok = (x.hashed && x.got == x.want) || (x.generic && x.got_generic == x.want);
		if (ok)
			continue;
		if (!first)
			first = (*it).first;
		else
			more++;
	}
	if (!first)
		return true;
	if (more)
		error_at(UNKNOWN_LOCATION,
			 PLAN_DRIFT_ERROR "%qs (and %d more) changed since the recorded build: "
					  "rebuild the new release from this source first",
			 first, more);
	else
		error_at(UNKNOWN_LOCATION,
			 PLAN_DRIFT_ERROR "%qs changed since the recorded build: rebuild the new "
					  "release from this source first",
			 first);
	return false;
}

static void on_all_ipa_passes_start(void *, void *)
{
	if (seen_error() || !check_expected())
		return;
	cgraph_node *cn;
	auto_vec<cgraph_node *> fns;
	FOR_EACH_FUNCTION(cn)
	fns.safe_push(cn);
	for (unsigned i = 0; i < fns.length(); i++) {
		cn = fns[i];
		const char *name = polus_decl_name(cn->decl);
		if (!name ||
		    (DECL_CONTEXT(cn->decl) && TREE_CODE(DECL_CONTEXT(cn->decl)) == FUNCTION_DECL))
			continue; /* nested functions are not in plans */
		plan_entry *e;
		/* An always_inline function has no out-of-line copy to bind to and cannot be
		 * called out of line: it stays a local copy, inlined as in the base. */
		if ((e = g_bind_fn->get(name)) &&
		    lookup_attribute("always_inline", DECL_ATTRIBUTES(cn->decl))) {
			e->done = true;
		} else if ((e = g_bind_fn->get(name))) {
			bind_function(cn, e->symbol);
			e->done = true;
		} else if ((e = g_keep->get(name)) && cn->definition) {
			keep_function(cn, e->symbol);
			if (e->addrsym)
				g_addr_of->put(cn->decl, make_addr_decl(cn->decl, e->addrsym));
			e->done = true;
		}
	}
	varpool_node *vn;
	auto_vec<varpool_node *> vars;
	FOR_EACH_VARIABLE(vn)
	vars.safe_push(vn);
	for (unsigned i = 0; i < vars.length(); i++) {
		vn = vars[i];
		if (!DECL_NAME(vn->decl))
			continue;
		plan_entry *e = g_coexist->get(polus_var_key_final(vn->decl));
		if (e) {
			coexist_variable(vn, e->symbol);
			e->done = true;
			continue;
		}
		e = g_bind_var->get(polus_var_key_final(vn->decl));
		if (!e)
			continue;
		if (e->tls != !!DECL_THREAD_LOCAL_P(vn->decl)) {
			error_at(UNKNOWN_LOCATION,
				 "polus: plan binds %qs as %s, but it is %s in this unit",
				 polus_var_key_final(vn->decl),
				 e->tls ? "thread-local" : "not thread-local",
				 DECL_THREAD_LOCAL_P(vn->decl) ? "thread-local"
							       : "not thread-local");
			return;
		}
		bind_variable(vn, e->symbol, e->tls);
		e->done = true;
	}
	rewrite_addresses();
	for (plan_map::iterator it = g_coexist->begin(); it != g_coexist->end(); ++it)
		if (!(*it).second.done)
			error_at(UNKNOWN_LOCATION,
				 "polus: plan has %qs coexist, but this unit does not define it",
				 (*it).first);
	/* A `keep` whose function is not defined here is a plan/unit mismatch. */
	for (plan_map::iterator it = g_keep->begin(); it != g_keep->end(); ++it)
		if (!(*it).second.done)
			error_at(UNKNOWN_LOCATION,
				 "polus: plan keeps %qs, but this unit does not define it",
				 (*it).first);
}

/* A kept function must survive until the plan is applied, even an unreferenced static
 * (a new function nothing in this unit calls yet): mark it `used` as soon as it exists. */
static void on_finish_parse_function(void *gcc_data, void *)
{
	tree decl = (tree)gcc_data;
	if (decl && TREE_CODE(decl) == FUNCTION_DECL)
		expect_parsed(decl);
	const char *name = decl ? polus_decl_name(decl) : NULL;
	if (!name || !g_keep->get(name))
		return;
	DECL_PRESERVE_P(decl) = 1;
	if (cgraph_node *n = cgraph_node::get(decl))
		n->force_output = 1;
}

/* Variables are keyed and anonymous typedef'd structs named as in record mode, in
 * declaration order: the same names in plans, the same hashes for `expect`. */
static void on_finish_decl(void *gcc_data, void *)
{
	tree decl = (tree)gcc_data;
	if (decl && TREE_CODE(decl) == VAR_DECL && TREE_STATIC(decl) && !DECL_EXTERNAL(decl))
		polus_note_var(decl);
	else if (decl && TREE_CODE(decl) == TYPE_DECL)
		polus_note_typedef(decl);
}

/* A definition dropped before `cfg` is hashed as record mode hashes it: from GENERIC,
 * when its node goes. */
static void on_node_removed(cgraph_node *node, void *)
{
	if (node->inlined_to)
		return;
	expect_entry *x = expected(node->decl);
	if (!x || x->hashed || !DECL_SAVED_TREE(node->decl) || gimple_has_body_p(node->decl))
		return;
	struct polus_hash3 h;
	polus_hash_generic(node->decl, DECL_SAVED_TREE(node->decl), &h, NULL, NULL);
	x->generic = true;
	x->got_generic = h.h[0];
}

static void on_start_unit(void *, void *)
{
	polus_hash_init_paths();
	if (!g_expect->is_empty())
		symtab->add_cgraph_removal_hook(on_node_removed, NULL);
}

void polus_patch_register(const char *plugin_name)
{
	register_callback(plugin_name, PLUGIN_START_UNIT, on_start_unit, NULL);
	/* each pass goes right after cfg: the one registered last runs first, so the
	 * stores' sync calls come after polus_expect's hash of the body as written */
	struct register_pass_info sp = {new sync_store_pass(g), "cfg", 1, PASS_POS_INSERT_AFTER};
	register_callback(plugin_name, PLUGIN_PASS_MANAGER_SETUP, NULL, &sp);
	struct register_pass_info xp = {new expect_pass(g), "cfg", 1, PASS_POS_INSERT_AFTER};
	register_callback(plugin_name, PLUGIN_PASS_MANAGER_SETUP, NULL, &xp);
	register_callback(plugin_name, PLUGIN_FINISH_DECL, on_finish_decl, NULL);
	register_callback(plugin_name, PLUGIN_FINISH_PARSE_FUNCTION, on_finish_parse_function,
			  NULL);
	register_callback(plugin_name, PLUGIN_ALL_IPA_PASSES_START, on_all_ipa_passes_start, NULL);
}
