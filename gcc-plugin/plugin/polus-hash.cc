/* polus-hash.cc — structural hashes of function bodies and initializers.
 *
 * One walk computes three 64-bit hashes at once (docs/metadata.md, "Hashes"):
 *   HASH           everything that can change behaviour;
 *   HASH_NOLINE    as HASH, but an integer constant equal to its statement's source line
 *                  (expansion point or spelling point) hashes as a placeholder where
 *                  __LINE__ can have left it: as a call's argument (log(__LINE__, ...),
 *                  assert's __assert_fail) or anywhere in a statement that comes from a
 *                  macro expansion. `return 10;` on line 10 is a real constant;
 *   HASH_NOLAYOUT  as HASH, but fields hash by name only, struct types by tag only.
 * Never the dump text: uids and D.1234 numbers change with unrelated code. Locals,
 * labels and SSA names are numbered by first appearance; globals and functions are
 * named by assembler name (read raw, never computed), static locals by OWNER/NAME.
 * The same walk reports the body's `use` facts (calls, addresses, reads, writes, types).
 * Pure observer: nothing here creates trees or changes a declaration. */
#include "polus-common.h"
#include "polus.h"

enum { H_ALL = 7, H_NOLAYOUT_OFF = 3, H_LINE_ONLY = 2 }; /* bit i = hash i */
enum { M_READ, M_WRITE, M_ADDR };

struct hctx {
	uint64_t h[3];
	hash_map<tree, int> *locals;
	int next_local;
	location_t loc;
	int line_a, line_b; /* expansion and spelling line of the statement; -1 = not computed */
	polus_use_fn use;
	void *data;
	tree fn;
	bool field_base; /* the expression being hashed is the object of a field access */
	bool arg_slot;	 /* the operand about to be hashed is a call's argument */
};

static char *g_prefix[2];
static size_t g_prefix_len[2];

void polus_hash_init_paths(void)
{
	const char *cwd = getpwd();
	if (cwd && strlen(cwd) > 1)
		g_prefix[0] = xstrdup(cwd);
	const char *src = main_input_filename;
	if (src && src[0] == '/') {
		const char *slash = strrchr(src, '/');
		if (slash && slash - src > 1)
			g_prefix[1] = xstrndup(src, slash - src);
	}
	/* Longest first, so a source directory below the cwd wins over the cwd. */
	for (int i = 0; i < 2; i++)
		g_prefix_len[i] = g_prefix[i] ? strlen(g_prefix[i]) : 0;
	if (g_prefix_len[1] > g_prefix_len[0]) {
		std::swap(g_prefix[0], g_prefix[1]);
		std::swap(g_prefix_len[0], g_prefix_len[1]);
	}
}

static inline uint64_t mix64(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
	h *= 0xff51afd7ed558ccdULL;
	return h ^ (h >> 29);
}

static inline void hmix(struct hctx *c, uint64_t v, int mask = H_ALL)
{
	if (mask & 1)
		c->h[0] = mix64(c->h[0], v);
	if (mask & 2)
		c->h[1] = mix64(c->h[1], v);
	if (mask & 4)
		c->h[2] = mix64(c->h[2], v);
}

static uint64_t bytes_hash(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
	return h;
}

static void mix_str(struct hctx *c, const char *s, int mask = H_ALL)
{
	hmix(c, bytes_hash(s, strlen(s)), mask);
}

/* A string constant, with the source directory and the cwd replaced by a placeholder. */
static void mix_string_cst(struct hctx *c, const char *s, size_t n)
{
	while (n) {
		const char *best = NULL;
		int which = -1;
		for (int i = 0; i < 2; i++) {
			if (!g_prefix_len[i] || g_prefix_len[i] > n)
				continue;
			const char *hit = (const char *)memmem(s, n, g_prefix[i], g_prefix_len[i]);
			if (hit && (!best || hit < best)) {
				best = hit;
				which = i;
			}
		}
		if (!best) {
			hmix(c, bytes_hash(s, n));
			return;
		}
		hmix(c, bytes_hash(s, best - s));
		hmix(c, 0x5041544850524546ULL); /* placeholder */
		n -= best - s + g_prefix_len[which];
		s = best + g_prefix_len[which];
	}
}

static const char *ident(tree id)
{
	const char *s = IDENTIFIER_POINTER(id);
	return *s == '*' ? s + 1 : s;
}

const char *polus_decl_name(tree decl)
{
	if (!decl || !DECL_P(decl) || !DECL_NAME(decl))
		return NULL;
	return ident(DECL_NAME(decl));
}

const char *polus_raw_asm_name(tree decl)
{
	if (DECL_ASSEMBLER_NAME_SET_P(decl))
		return ident(DECL_ASSEMBLER_NAME_RAW(decl));
	const char *n = polus_decl_name(decl);
	return n ? n : "-";
}

static bool is_local_static(tree var)
{
	return TREE_STATIC(var) && DECL_CONTEXT(var) &&
	       TREE_CODE(DECL_CONTEXT(var)) == FUNCTION_DECL;
}

const char *polus_var_key(tree var)
{
	static char buf[512];
	const char *name = polus_decl_name(var);
	if (!name)
		name = DECL_ASSEMBLER_NAME_SET_P(var) ? ident(DECL_ASSEMBLER_NAME_RAW(var)) : "-";
	if (is_local_static(var)) {
		const char *owner = polus_decl_name(DECL_CONTEXT(var));
		snprintf(buf, sizeof buf, "%s/%s", owner ? owner : "-", name);
	} else {
		snprintf(buf, sizeof buf, "%s", name);
	}
	return buf;
}

/* Function-local statics that share OWNER/NAME (`static const int iLn` in several blocks
 * of one function, as in SQLite) get `#2`, `#3`... in declaration order, so each KEY
 * names one variable. Both modes number them at PLUGIN_FINISH_DECL, in parse order. */
static hash_map<int_hash<int, -1, -2>, const char *> *g_var_keys;
static hash_map<nofree_string_hash, int> *g_key_counts;

const char *polus_note_var(tree var)
{
	if (!g_var_keys) {
		g_var_keys = new hash_map<int_hash<int, -1, -2>, const char *>;
		g_key_counts = new hash_map<nofree_string_hash, int>;
	}
	const char **known = g_var_keys->get(DECL_UID(var));
	if (known)
		return *known;
	const char *key = polus_var_key(var);
	char *unique;
	if (!is_local_static(var)) {
		unique = xstrdup(key);
	} else {
		bool existed;
		int &n = g_key_counts->get_or_insert(xstrdup(key), &existed);
		n = existed ? n + 1 : 1;
		if (n == 1) {
			unique = xstrdup(key);
		} else {
			char num[16];
			snprintf(num, sizeof num, "#%d", n);
			unique = concat(key, num, NULL);
		}
	}
	g_var_keys->put(DECL_UID(var), unique);
	return unique;
}

static const char *var_key_final(tree var)
{
	const char **known = g_var_keys ? g_var_keys->get(DECL_UID(var)) : NULL;
	return known ? *known : polus_var_key(var);
}

const char *polus_var_key_final(tree var)
{
	return var_key_final(var);
}

/* Typedef names of anonymous structs and unions, by TYPE_UID of the main variant. */
static hash_map<int_hash<int, -1, -2>, const char *> *g_typedef_tags;

void polus_note_typedef_tag(tree type, const char *name)
{
	if (!g_typedef_tags)
		g_typedef_tags = new hash_map<int_hash<int, -1, -2>, const char *>;
	int uid = TYPE_UID(TYPE_MAIN_VARIANT(type));
	if (!g_typedef_tags->get(uid))
		g_typedef_tags->put(uid, xstrdup(name));
}

tree polus_note_typedef(tree decl)
{
	if (TREE_CODE(decl) != TYPE_DECL || !DECL_NAME(decl) || !DECL_ORIGINAL_TYPE(decl))
		return NULL_TREE;
	tree t = TYPE_MAIN_VARIANT(DECL_ORIGINAL_TYPE(decl));
	if (!RECORD_OR_UNION_TYPE_P(t) || TYPE_NAME(t) || polus_type_tag(t))
		return NULL_TREE;
	polus_note_typedef_tag(t, IDENTIFIER_POINTER(DECL_NAME(decl)));
	return t;
}

const char *polus_type_tag(tree type)
{
	tree mv = TYPE_MAIN_VARIANT(type);
	tree n = TYPE_NAME(mv);
	if (n && TREE_CODE(n) == IDENTIFIER_NODE)
		return ident(n);
	if (n && TREE_CODE(n) == TYPE_DECL && DECL_NAME(n))
		return ident(DECL_NAME(n));
	if (g_typedef_tags) {
		const char **p = g_typedef_tags->get(TYPE_UID(mv));
		if (p)
			return *p;
	}
	return NULL;
}

static void use(struct hctx *c, const char *kind, const char *target)
{
	/* __builtin_expect and friends are no symbols anywhere: nothing to bind or patch. */
	if (target && !strncmp(target, "__builtin_", 10))
		return;
	if (c->use && target)
		c->use(kind, target, c->data);
}

static void hash_type(struct hctx *c, tree t, int depth);

/* A struct's size matters to code that handles the object whole (a copy, a local, an
 * array element); through a pointer or as the base of a field access only the fields
 * used matter, and they hash with their own offset and size. */
static void hash_record_ref(struct hctx *c, tree t, bool whole)
{
	const char *tag = polus_type_tag(t);
	mix_str(c, tag ? tag : "<anon>");
	if (!whole)
		return;
	/* A layout change (size) reaches every user of the type, except in NOLAYOUT. */
	if (TYPE_SIZE(t) && TREE_CODE(TYPE_SIZE(t)) == INTEGER_CST)
		hmix(c, TREE_INT_CST_LOW(TYPE_SIZE(t)), H_NOLAYOUT_OFF);
}

static void hash_type(struct hctx *c, tree t, int depth)
{
	if (!t || t == error_mark_node) {
		hmix(c, 1);
		return;
	}
	enum tree_code code = TREE_CODE(t);
	hmix(c, code + 1000);
	hmix(c, TYPE_QUALS(t));
	if (depth > 4)
		return;
	switch (code) {
	case INTEGER_TYPE:
	case ENUMERAL_TYPE:
	case BOOLEAN_TYPE:
	case REAL_TYPE:
	case FIXED_POINT_TYPE:
		hmix(c, TYPE_PRECISION(t) * 2 + TYPE_UNSIGNED(t));
		break;
	case POINTER_TYPE:
	case REFERENCE_TYPE:
	case COMPLEX_TYPE:
	case VECTOR_TYPE:
		if (code == VECTOR_TYPE)
			hmix(c, TYPE_VECTOR_SUBPARTS(t).coeffs[0]);
		hash_type(c, TREE_TYPE(t), depth + 1);
		break;
	case ARRAY_TYPE:
		if (TYPE_DOMAIN(t) && TYPE_MAX_VALUE(TYPE_DOMAIN(t)) &&
		    TREE_CODE(TYPE_MAX_VALUE(TYPE_DOMAIN(t))) == INTEGER_CST)
			hmix(c, TREE_INT_CST_LOW(TYPE_MAX_VALUE(TYPE_DOMAIN(t))));
		hash_type(c, TREE_TYPE(t), depth + 1);
		break;
	case RECORD_TYPE:
	case UNION_TYPE:
	case QUAL_UNION_TYPE:
		hash_record_ref(c, t, depth == 0 && !c->field_base);
		break;
	case FUNCTION_TYPE:
	case METHOD_TYPE:
		hash_type(c, TREE_TYPE(t), depth + 1);
		for (tree a = TYPE_ARG_TYPES(t); a; a = TREE_CHAIN(a))
			hash_type(c, TREE_VALUE(a), depth + 1);
		break;
	default:
		break;
	}
}

static void expr_type(struct hctx *c, tree t, bool field_base)
{
	tree type = TREE_TYPE(t);
	c->field_base = field_base;
	hash_type(c, type, 0);
	c->field_base = false;
	if (type && RECORD_OR_UNION_TYPE_P(type))
		use(c, "type", polus_type_tag(type));
}

static int local_number(struct hctx *c, tree t, bool *first)
{
	bool existed;
	int &slot = c->locals->get_or_insert(t, &existed);
	if (!existed)
		slot = c->next_local++;
	*first = !existed;
	return slot;
}

/* V may be what __LINE__ left: it equals the statement's line, and it is a call's
 * argument (IN_ARG) or the statement comes from a macro expansion. */
static bool line_match(struct hctx *c, HOST_WIDE_INT v, bool in_arg)
{
	if (v <= 0 || c->loc == UNKNOWN_LOCATION)
		return false;
	if (!in_arg && !from_macro_expansion_at(c->loc))
		return false;
	if (c->line_a < 0) {
		c->line_a = expand_location(c->loc).line;
		c->line_b = expand_location_to_spelling_point(c->loc).line;
	}
	return v == c->line_a || v == c->line_b;
}

static void hash_op(struct hctx *c, tree t, int mode, bool field_base = false);

static void hash_global_var(struct hctx *c, tree t, int mode)
{
	const char *key = var_key_final(t);
	mix_str(c, is_local_static(t) ? key : polus_raw_asm_name(t));
	if (mode == M_WRITE) {
		use(c, "write", key);
	} else if (mode == M_ADDR) {
		use(c, "read", key);
		if (!TREE_READONLY(t))
			use(c, "write", key);
	} else {
		use(c, "read", key);
	}
}

static void hash_op(struct hctx *c, tree t, int mode, bool field_base)
{
	if (!t) {
		hmix(c, 0);
		return;
	}
	enum tree_code code = TREE_CODE(t);
	/* Only the operand itself (or a conversion of it) is the argument. */
	bool in_arg = c->arg_slot;
	c->arg_slot = false;
	if (code == DEBUG_BEGIN_STMT)
		return;
	if (code == STATEMENT_LIST) {
		/* -g adds DEBUG_BEGIN_STMT markers, and lists to hold them around single
		 * statements: a list of one real statement hashes as that statement. */
		tree only = NULL_TREE;
		int n = 0;
		for (tree_stmt_iterator i = tsi_start(t); !tsi_end_p(i); tsi_next(&i))
			if (TREE_CODE(tsi_stmt(i)) != DEBUG_BEGIN_STMT) {
				only = tsi_stmt(i);
				n++;
			}
		if (n == 1) {
			if (EXPR_P(only) && EXPR_HAS_LOCATION(only)) {
				c->loc = EXPR_LOCATION(only);
				c->line_a = -1;
			}
			hash_op(c, only, mode);
			return;
		}
	}
	hmix(c, code + 1);
	switch (code) {
	case INTEGER_CST: {
		hash_type(c, TREE_TYPE(t), 0);
		unsigned n = TREE_INT_CST_NUNITS(t);
		if (n == 1 && line_match(c, TREE_INT_CST_ELT(t, 0), in_arg)) {
			hmix(c, TREE_INT_CST_ELT(t, 0), 5);
			hmix(c, 0x4c494e45ULL, H_LINE_ONLY);
			return;
		}
		for (unsigned i = 0; i < n; i++)
			hmix(c, TREE_INT_CST_ELT(t, i));
		return;
	}
	case REAL_CST: {
		long buf[4] = {0, 0, 0, 0};
		hash_type(c, TREE_TYPE(t), 0);
		real_to_target(buf, TREE_REAL_CST_PTR(t), TYPE_MODE(TREE_TYPE(t)));
		for (int i = 0; i < 4; i++)
			hmix(c, (uint64_t)buf[i]);
		return;
	}
	case COMPLEX_CST:
		hash_op(c, TREE_REALPART(t), M_READ);
		hash_op(c, TREE_IMAGPART(t), M_READ);
		return;
	case VECTOR_CST: {
		hash_type(c, TREE_TYPE(t), 0);
		unsigned n = vector_cst_encoded_nelts(t);
		for (unsigned i = 0; i < n; i++)
			hash_op(c, VECTOR_CST_ENCODED_ELT(t, i), M_READ);
		return;
	}
	case STRING_CST:
		hash_type(c, TREE_TYPE(t), 0);
		mix_string_cst(c, TREE_STRING_POINTER(t), TREE_STRING_LENGTH(t));
		return;
	case VAR_DECL:
		if (TREE_STATIC(t) || DECL_EXTERNAL(t)) {
			hash_global_var(c, t, mode);
			return;
		}
		/* FALLTHRU */
	case PARM_DECL:
	case RESULT_DECL:
	case LABEL_DECL:
	case SSA_NAME: {
		bool first;
		hmix(c, local_number(c, t, &first));
		if (first && code != LABEL_DECL && code != SSA_NAME)
			hash_type(c, TREE_TYPE(t), 0);
		return;
	}
	case FUNCTION_DECL:
		mix_str(c, polus_raw_asm_name(t));
		if (mode == M_ADDR)
			use(c, "addr", polus_decl_name(t));
		return;
	case FIELD_DECL: {
		const char *n = polus_decl_name(t);
		mix_str(c, n ? n : "<anon>");
		if (DECL_FIELD_OFFSET(t) && TREE_CODE(DECL_FIELD_OFFSET(t)) == INTEGER_CST)
			hmix(c, TREE_INT_CST_LOW(DECL_FIELD_OFFSET(t)) * 8, H_NOLAYOUT_OFF);
		if (DECL_FIELD_BIT_OFFSET(t) && TREE_CODE(DECL_FIELD_BIT_OFFSET(t)) == INTEGER_CST)
			hmix(c, TREE_INT_CST_LOW(DECL_FIELD_BIT_OFFSET(t)), H_NOLAYOUT_OFF);
		if (DECL_SIZE(t) && TREE_CODE(DECL_SIZE(t)) == INTEGER_CST)
			hmix(c, TREE_INT_CST_LOW(DECL_SIZE(t)), H_NOLAYOUT_OFF);
		if (DECL_CONTEXT(t) && TYPE_P(DECL_CONTEXT(t)))
			use(c, "type", polus_type_tag(DECL_CONTEXT(t)));
		return;
	}
	case CONST_DECL:
		hash_op(c, DECL_INITIAL(t), M_READ);
		return;
	case TYPE_DECL:
		hash_type(c, TREE_TYPE(t), 0);
		return;
	case TREE_LIST:
		for (; t; t = TREE_CHAIN(t)) {
			hash_op(c, TREE_PURPOSE(t), M_READ);
			hash_op(c, TREE_VALUE(t), mode);
		}
		return;
	case TREE_VEC:
		for (int i = 0; i < TREE_VEC_LENGTH(t); i++)
			hash_op(c, TREE_VEC_ELT(t, i), mode);
		return;
	case CONSTRUCTOR: {
		unsigned i;
		tree idx, val;
		expr_type(c, t, false);
		FOR_EACH_CONSTRUCTOR_ELT(CONSTRUCTOR_ELTS(t), i, idx, val)
		{
			hash_op(c, idx, M_READ);
			hash_op(c, val, mode == M_ADDR ? M_ADDR : M_READ);
		}
		return;
	}
	case STATEMENT_LIST:
		/* GENERIC: each statement's location is the line __LINE__ would have had. */
		for (tree_stmt_iterator i = tsi_start(t); !tsi_end_p(i); tsi_next(&i)) {
			tree st = tsi_stmt(i);
			if (TREE_CODE(st) == DEBUG_BEGIN_STMT)
				continue;
			if (EXPR_P(st) && EXPR_HAS_LOCATION(st)) {
				c->loc = EXPR_LOCATION(st);
				c->line_a = -1;
			}
			hash_op(c, st, M_READ);
		}
		return;
	case BLOCK:
		return;
	default:
		break;
	}
	if (TYPE_P(t)) {
		hash_type(c, t, 0);
		return;
	}
	if (!EXPR_P(t)) {
		return;
	}
	/* GENERIC statements carry their own location; GIMPLE operands have none. */
	location_t saved = c->loc;
	int sa = c->line_a, sb = c->line_b;
	if (EXPR_HAS_LOCATION(t) && TREE_CODE_CLASS(code) == tcc_statement) {
		c->loc = EXPR_LOCATION(t);
		c->line_a = -1;
	}
	/* An array element's size is the stride, even when a field of it is accessed. */
	expr_type(c, t, field_base && code != ARRAY_REF && code != ARRAY_RANGE_REF);
	hmix(c, TREE_THIS_VOLATILE(t) * 2 + TREE_SIDE_EFFECTS(t));
	int n = TREE_OPERAND_LENGTH(t);
	int first = 0;
	if (TREE_CODE_CLASS(code) == tcc_vl_exp) {
		/* Operand 0 of a CALL_EXPR is its operand count, not a source constant. */
		hmix(c, n);
		first = 1;
	}
	for (int i = first; i < n; i++) {
		int m = M_READ;
		if (code == BIND_EXPR && i == 2)
			continue; /* the BLOCK */
		if (code == ADDR_EXPR)
			m = M_ADDR;
		else if (i == 0 && (TREE_CODE_CLASS(code) == tcc_reference && code != MEM_REF &&
				    code != TARGET_MEM_REF))
			m = mode;
		else if (i == 0 && (code == MEM_REF || code == TARGET_MEM_REF) &&
			 TREE_CODE(TREE_OPERAND(t, 0)) == ADDR_EXPR)
			m = mode == M_WRITE ? M_WRITE : mode;
		else if (i == 0 && (code == MODIFY_EXPR || code == INIT_EXPR))
			m = M_WRITE;
		if (code == CALL_EXPR && i == 1) {
			tree fn = CALL_EXPR_FN(t);
			if (fn && TREE_CODE(fn) == ADDR_EXPR &&
			    TREE_CODE(TREE_OPERAND(fn, 0)) == FUNCTION_DECL) {
				mix_str(c, polus_raw_asm_name(TREE_OPERAND(fn, 0)));
				use(c, "call", polus_decl_name(TREE_OPERAND(fn, 0)));
				continue;
			}
		}
		tree op = TREE_OPERAND(t, i);
		if (code == MEM_REF && i == 0 && op && TREE_CODE(op) == ADDR_EXPR) {
			/* MEM[&var]: an access to var itself, in this reference's mode. */
			hmix(c, ADDR_EXPR + 1);
			hash_op(c, TREE_OPERAND(op, 0), mode);
			continue;
		}
		/* GENERIC: a CALL_EXPR's arguments start at operand 3. */
		c->arg_slot =
		    (code == CALL_EXPR && i >= 3) ||
		    (in_arg && i == 0 && (CONVERT_EXPR_CODE_P(code) || code == NON_LVALUE_EXPR));
		hash_op(c, op, m, code == COMPONENT_REF && i == 0);
	}
	c->loc = saved;
	c->line_a = sa;
	c->line_b = sb;
}

static void hash_decl_head(struct hctx *c, tree fn)
{
	hash_type(c, TREE_TYPE(fn), 0);
	hmix(c, DECL_DECLARED_INLINE_P(fn) * 4 + TREE_PUBLIC(fn) * 2 + DECL_WEAK(fn));
	for (tree a = DECL_ATTRIBUTES(fn); a; a = TREE_CHAIN(a)) {
		mix_str(c, IDENTIFIER_POINTER(get_attribute_name(a)));
		hash_op(c, TREE_VALUE(a), M_READ);
	}
	for (tree p = DECL_ARGUMENTS(fn); p; p = DECL_CHAIN(p))
		hash_op(c, p, M_READ);
}

static void ctx_init(struct hctx *c, tree fn, polus_use_fn u, void *data)
{
	c->h[0] = c->h[1] = c->h[2] = 0x706f6c7573ULL;
	c->locals = new hash_map<tree, int>;
	c->next_local = 0;
	c->loc = UNKNOWN_LOCATION;
	c->line_a = c->line_b = -1;
	c->use = u;
	c->data = data;
	c->fn = fn;
	c->field_base = false;
	c->arg_slot = false;
}

static void ctx_done(struct hctx *c, struct polus_hash3 *out)
{
	delete c->locals;
	for (int i = 0; i < 3; i++)
		out->h[i] = c->h[i];
}

/* Library functions that only read or write through a pointer argument while they run, on
 * the calling thread: an address passed to them does not escape. */
static const char *const no_escape_fns[] = {"memset",
					    "memcpy",
					    "memmove",
					    "memcmp",
					    "strlen",
					    "strnlen",
					    "strcmp",
					    "strncmp",
					    "strcpy",
					    "strncpy",
					    "strcat",
					    "strncat",
					    "strchr",
					    "strrchr",
					    "strstr",
					    "printf",
					    "fprintf",
					    "sprintf",
					    "snprintf",
					    "vsnprintf",
					    "sscanf",
					    "puts",
					    "fputs",
					    "bzero",
					    "__builtin_memset",
					    "__builtin_memcpy",
					    "__builtin_memmove",
					    "__builtin_memcmp",
					    "__builtin_strlen",
					    "__memcpy_chk",
					    "__memset_chk",
					    "__strcpy_chk",
					    "__snprintf_chk",
					    "__sprintf_chk",
					    "__printf_chk",
					    "__fprintf_chk",
					    "__memmove_chk",
					    "__strncpy_chk"};

/* `use FN escape KEY`: the address of global variable KEY (or of a part of it) leaves the
 * statement as a value (stored, or passed to a function that may keep it, hand it to the
 * kernel or to another thread): polus cannot follow writes made through it. */
static void note_escape(struct hctx *c, tree op, tree callee)
{
	if (!op || TREE_CODE(op) != ADDR_EXPR)
		return;
	tree base = get_base_address(TREE_OPERAND(op, 0));
	if (!base || TREE_CODE(base) != VAR_DECL || !is_global_var(base) || TREE_READONLY(base) ||
	    !DECL_NAME(base))
		return;
	/* a function of this unit: its body is in the record, the address stays in the
	 * program's own code (a store there is noted where it happens) */
	if (callee && !DECL_EXTERNAL(callee) && cgraph_node::get(callee) &&
	    cgraph_node::get(callee)->definition)
		return;
	const char *name = callee ? polus_decl_name(callee) : NULL;
	for (size_t i = 0; name && i < sizeof(no_escape_fns) / sizeof(no_escape_fns[0]); i++)
		if (!strcmp(name, no_escape_fns[i]))
			return;
	use(c, "escape", var_key_final(base));
}

static void hash_stmt(struct hctx *c, gimple *s)
{
	enum gimple_code gc = gimple_code(s);
	hmix(c, gc + 5000);
	c->loc = gimple_location(s);
	c->line_a = -1;
	switch (gc) {
	case GIMPLE_ASSIGN:
		hmix(c, gimple_assign_rhs_code(s));
		hash_op(c, gimple_assign_lhs(s), M_WRITE);
		for (unsigned i = 1; i < gimple_num_ops(s); i++)
			hash_op(c, gimple_op(s, i), M_READ);
		if (gimple_assign_rhs_code(s) == ADDR_EXPR)
			note_escape(c, gimple_assign_rhs1(s), NULL);
		if (gimple_clobber_p(s))
			hmix(c, 77);
		break;
	case GIMPLE_CALL: {
		tree fndecl = gimple_call_fndecl(s);
		hash_op(c, gimple_call_lhs(s), M_WRITE);
		if (gimple_call_internal_p(s)) {
			hmix(c, gimple_call_internal_fn(s) + 100000);
		} else if (fndecl) {
			mix_str(c, polus_raw_asm_name(fndecl));
			use(c, "call", polus_decl_name(fndecl));
		} else {
			hash_op(c, gimple_call_fn(s), M_READ);
			hash_type(c, gimple_call_fntype(s), 0);
		}
		hmix(c, gimple_call_num_args(s));
		for (unsigned i = 0; i < gimple_call_num_args(s); i++) {
			c->arg_slot = true;
			hash_op(c, gimple_call_arg(s, i), M_READ);
			if (!gimple_call_internal_p(s))
				note_escape(c, gimple_call_arg(s, i), fndecl);
		}
		hash_op(c, gimple_call_chain(s), M_READ);
		hmix(c, gimple_call_tail_p(as_a<gcall *>(s)) * 2 +
			    gimple_call_return_slot_opt_p(as_a<gcall *>(s)));
		break;
	}
	case GIMPLE_ASM: {
		gasm *a = as_a<gasm *>(s);
		mix_str(c, gimple_asm_string(a));
		hmix(c, gimple_asm_volatile_p(a));
		for (unsigned i = 0; i < gimple_asm_noutputs(a); i++)
			hash_op(c, gimple_asm_output_op(a, i), M_WRITE);
		for (unsigned i = 0; i < gimple_asm_ninputs(a); i++)
			hash_op(c, gimple_asm_input_op(a, i), M_READ);
		for (unsigned i = 0; i < gimple_asm_nclobbers(a); i++)
			hash_op(c, gimple_asm_clobber_op(a, i), M_READ);
		for (unsigned i = 0; i < gimple_asm_nlabels(a); i++)
			hash_op(c, gimple_asm_label_op(a, i), M_READ);
		break;
	}
	case GIMPLE_COND:
		hmix(c, gimple_cond_code(s));
		hash_op(c, gimple_cond_lhs(s), M_READ);
		hash_op(c, gimple_cond_rhs(s), M_READ);
		break;
	default:
		hmix(c, gimple_num_ops(s));
		for (unsigned i = 0; i < gimple_num_ops(s); i++)
			hash_op(c, gimple_op(s, i), M_READ);
		break;
	}
}

void polus_hash_gimple_body(tree fn, struct polus_hash3 *out, polus_use_fn u, void *data)
{
	struct hctx c;
	ctx_init(&c, fn, u, data);
	hash_decl_head(&c, fn);
	function *f = DECL_STRUCT_FUNCTION(fn);
	basic_block bb;
	FOR_EACH_BB_FN(bb, f)
	{
		hmix(&c, 0xbb);
		for (gimple_stmt_iterator gsi = gsi_start_bb(bb); !gsi_end_p(gsi); gsi_next(&gsi)) {
			gimple *s = gsi_stmt(gsi);
			if (is_gimple_debug(s))
				continue;
			hash_stmt(&c, s);
		}
		edge e;
		edge_iterator ei;
		FOR_EACH_EDGE(e, ei, bb->succs)
		{
			hmix(&c, e->dest->index);
			hmix(&c, e->flags & (EDGE_TRUE_VALUE | EDGE_FALSE_VALUE | EDGE_EH |
					     EDGE_ABNORMAL));
		}
	}
	ctx_done(&c, out);
}

void polus_hash_generic(tree fn, tree t, struct polus_hash3 *out, polus_use_fn u, void *data)
{
	struct hctx c;
	ctx_init(&c, fn, u, data);
	if (fn)
		hash_decl_head(&c, fn);
	hash_op(&c, t, M_READ);
	ctx_done(&c, out);
}

/* ---- C-like type text ---- */

static void type_text(struct pbuf *b, tree t, int depth);

static void args_text(struct pbuf *b, tree fntype, int depth)
{
	pbuf_puts(b, "(");
	tree a = TYPE_ARG_TYPES(fntype);
	if (!a) {
		pbuf_puts(b, ")");
		return;
	}
	bool first = true;
	for (; a && a != void_list_node; a = TREE_CHAIN(a)) {
		if (!first)
			pbuf_puts(b, ", ");
		type_text(b, TREE_VALUE(a), depth + 1);
		first = false;
	}
	if (!a)
		pbuf_puts(b, first ? "..." : ", ...");
	else if (first)
		pbuf_puts(b, "void");
	pbuf_puts(b, ")");
}

static void type_text(struct pbuf *b, tree t, int depth)
{
	if (!t || t == error_mark_node || depth > 8) {
		pbuf_puts(b, "?");
		return;
	}
	/* GCC copies an element's qualifiers onto the array type: print them once. */
	int q = TREE_CODE(t) == ARRAY_TYPE ? 0 : TYPE_QUALS(t);
	if (q & TYPE_QUAL_CONST)
		pbuf_puts(b, "const ");
	if (q & TYPE_QUAL_VOLATILE)
		pbuf_puts(b, "volatile ");
	if (q & TYPE_QUAL_ATOMIC)
		pbuf_puts(b, "_Atomic ");
	switch (TREE_CODE(t)) {
	case RECORD_TYPE:
	case UNION_TYPE:
	case ENUMERAL_TYPE: {
		const char *kw = TREE_CODE(t) == RECORD_TYPE  ? "struct "
				 : TREE_CODE(t) == UNION_TYPE ? "union "
							      : "enum ";
		tree mv = TYPE_MAIN_VARIANT(t);
		const char *tag = NULL;
		if (TYPE_NAME(mv) && TREE_CODE(TYPE_NAME(mv)) == IDENTIFIER_NODE)
			tag = ident(TYPE_NAME(mv));
		if (tag) {
			pbuf_puts(b, kw);
			pbuf_puts(b, tag);
		} else {
			tag = polus_type_tag(t);
			pbuf_puts(b, tag ? tag : kw);
			if (!tag)
				pbuf_puts(b, "<anon>");
		}
		return;
	}
	case POINTER_TYPE: {
		tree to = TREE_TYPE(t);
		if (TREE_CODE(to) == FUNCTION_TYPE) {
			type_text(b, TREE_TYPE(to), depth + 1);
			pbuf_puts(b, " (*)");
			args_text(b, to, depth);
			return;
		}
		if (TREE_CODE(to) == ARRAY_TYPE) {
			type_text(b, to, depth + 1);
			pbuf_puts(b, " (*)");
			return;
		}
		type_text(b, to, depth + 1);
		pbuf_puts(b, " *");
		return;
	}
	case ARRAY_TYPE:
		type_text(b, TREE_TYPE(t), depth + 1);
		if (TYPE_DOMAIN(t) && TYPE_MAX_VALUE(TYPE_DOMAIN(t)) &&
		    TREE_CODE(TYPE_MAX_VALUE(TYPE_DOMAIN(t))) == INTEGER_CST)
			pbuf_printf(b, " [%lld]",
				    (long long)TREE_INT_CST_LOW(TYPE_MAX_VALUE(TYPE_DOMAIN(t))) +
					1);
		else
			pbuf_puts(b, " []");
		return;
	case FUNCTION_TYPE:
		type_text(b, TREE_TYPE(t), depth + 1);
		pbuf_puts(b, " ");
		args_text(b, t, depth);
		return;
	case VOID_TYPE:
		pbuf_puts(b, "void");
		return;
	default: {
		tree mv = TYPE_MAIN_VARIANT(t);
		tree n = TYPE_NAME(mv);
		if (n && TREE_CODE(n) == TYPE_DECL)
			n = DECL_NAME(n);
		if (n && TREE_CODE(n) == IDENTIFIER_NODE) {
			pbuf_puts(b, ident(n));
		} else if (TREE_CODE(t) == VECTOR_TYPE) {
			type_text(b, TREE_TYPE(t), depth + 1);
			pbuf_printf(b, " __attribute__((vector_size(%lld)))",
				    (long long)int_size_in_bytes(t));
		} else {
			pbuf_printf(b, "<%s%s%d>", get_tree_code_name(TREE_CODE(t)),
				    TYPE_UNSIGNED(t) ? " unsigned " : " ", TYPE_PRECISION(t));
		}
		return;
	}
	}
}

void polus_type_text(struct pbuf *b, tree type)
{
	type_text(b, type, 0);
}
