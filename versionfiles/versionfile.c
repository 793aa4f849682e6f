/*
 * versionfile — read and write the patch version file (docs/patch-format.md).
 *
 * Both directions go through libyaml's document API: parsing loads the whole
 * document and walks the node tree; emitting builds a tree and lets libyaml quote.
 * Unknown keys are ignored on read, so a newer writer stays readable.
 */
#include "versionfile.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

struct ctx {
	yaml_document_t *doc;
	char *err;
	size_t errlen;
};

static int fail(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct ctx *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->err, c->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static yaml_node_t *node(struct ctx *c, int id)
{
	return yaml_document_get_node(c->doc, id);
}

/* The value node of `key` in mapping `map`, or NULL. */
static yaml_node_t *lookup(struct ctx *c, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *p;

	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(c, p->key);
		if (k && k->type == YAML_SCALAR_NODE && !strcmp((char *)k->data.scalar.value, key))
			return node(c, p->value);
	}
	return NULL;
}

static int get_str(struct ctx *c, yaml_node_t *map, const char *key, int required, char **out)
{
	yaml_node_t *v = lookup(c, map, key);

	if (!v) {
		*out = NULL;
		return required ? fail(c, "version file: missing '%s' (line %lu)", key,
				       map ? (unsigned long)map->start_mark.line + 1 : 0UL)
				: 0;
	}
	if (v->type != YAML_SCALAR_NODE)
		return fail(c, "version file: '%s' must be a scalar (line %lu)", key,
			    (unsigned long)v->start_mark.line + 1);
	*out = strdup((char *)v->data.scalar.value);
	return *out ? 0 : fail(c, "out of memory");
}

static int get_u64(struct ctx *c, yaml_node_t *map, const char *key, int required, uint64_t *out)
{
	char *s, *end;
	int rc = get_str(c, map, key, required, &s);

	*out = 0;
	if (rc || !s)
		return rc;
	errno = 0;
	*out = strtoull(s, &end, 0);
	rc = (errno || end == s || *end)
		 ? fail(c, "version file: '%s' is not a number: '%s'", key, s)
		 : 0;
	free(s);
	return rc;
}

static int get_bool(struct ctx *c, yaml_node_t *map, const char *key, int *out)
{
	char *s;

	*out = 0;
	if (get_str(c, map, key, 0, &s))
		return -1;
	if (!s)
		return 0;
	if (!strcmp(s, "true"))
		*out = 1;
	else if (strcmp(s, "false")) {
		free(s);
		return fail(c, "version file: '%s' must be true or false", key);
	}
	free(s);
	return 0;
}

static int get_strlist(struct ctx *c, yaml_node_t *map, const char *key, char ***out, size_t *n)
{
	yaml_node_t *seq = lookup(c, map, key);
	yaml_node_item_t *it;

	*out = NULL;
	*n = 0;
	if (!seq)
		return 0;
	if (seq->type != YAML_SEQUENCE_NODE)
		return fail(c, "version file: '%s' must be a list", key);
	*out = calloc((size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start) + 1,
		      sizeof(char *));
	if (!*out)
		return fail(c, "out of memory");
	for (it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
		yaml_node_t *v = node(c, *it);
		if (!v || v->type != YAML_SCALAR_NODE)
			return fail(c, "version file: '%s' must hold scalars", key);
		if (!((*out)[(*n)++] = strdup((char *)v->data.scalar.value)))
			return fail(c, "out of memory");
	}
	return 0;
}

static int parse_function(struct ctx *c, yaml_node_t *m, struct vf_function *f)
{
	if (!m || m->type != YAML_MAPPING_NODE)
		return fail(c, "version file: a function entry must be a mapping");
	if (get_str(c, m, "name", 1, &f->name) || get_str(c, m, "unit", 0, &f->unit) ||
	    get_str(c, m, "change", 1, &f->change) ||
	    get_strlist(c, m, "reasons", &f->reasons, &f->nreasons) ||
	    get_str(c, m, "old-symbol", 0, &f->old_symbol) ||
	    get_u64(c, m, "old-addr", 0, &f->old_addr) || get_str(c, m, "old-in", 0, &f->old_in) ||
	    get_u64(c, m, "old-size", 0, &f->old_size) ||
	    get_str(c, m, "new-symbol", 1, &f->new_symbol) ||
	    get_u64(c, m, "new-addr", 1, &f->new_addr) ||
	    get_bool(c, m, "redirect", &f->redirect) || get_bool(c, m, "padded", &f->padded))
		return -1;
	if (strcmp(f->change, "changed") && strcmp(f->change, "new"))
		return fail(c, "version file: function %s: unknown change '%s'", f->name,
			    f->change);
	if (f->redirect && !f->old_symbol)
		return fail(c, "version file: function %s: redirect without old-symbol", f->name);
	if (f->old_in && !f->old_symbol)
		return fail(c, "version file: function %s: old-in without old-symbol", f->name);
	return 0;
}

static int parse_bind(struct ctx *c, yaml_node_t *m, struct vf_bind *b)
{
	if (!m || m->type != YAML_MAPPING_NODE)
		return fail(c, "version file: a bind entry must be a mapping");
	return get_str(c, m, "symbol", 1, &b->symbol) || get_str(c, m, "name", 0, &b->name) ||
		       get_u64(c, m, "addr", 1, &b->addr) || get_bool(c, m, "tls", &b->tls)
		   ? -1
		   : 0;
}

static int parse_live(struct ctx *c, yaml_node_t *m, struct vf_live *l)
{
	if (!m || m->type != YAML_MAPPING_NODE)
		return fail(c, "version file: a live entry must be a mapping");
	return get_str(c, m, "name", 1, &l->name) || get_str(c, m, "unit", 0, &l->unit) ||
		       get_str(c, m, "how", 1, &l->how)
		   ? -1
		   : 0;
}

static int one_writer(struct ctx *c, yaml_node_t *m, void *out)
{
	struct vf_writer *w = out;
	if (!m || m->type != YAML_MAPPING_NODE)
		return fail(c, "version file: a writer entry must be a mapping");
	return get_str(c, m, "name", 1, &w->name) || get_u64(c, m, "old-addr", 1, &w->old_addr) ||
		       get_u64(c, m, "old-size", 1, &w->old_size)
		   ? -1
		   : 0;
}

static int parse_seq(struct ctx *c, yaml_node_t *root, const char *key, size_t size, void **arr,
		     size_t *n, int (*one)(struct ctx *, yaml_node_t *, void *));

/* A function of a data entry: KEY: SYMBOL and KEY-addr: ADDR, both or neither. */
static int get_fn(struct ctx *c, yaml_node_t *m, const char *key, char **sym, uint64_t *addr)
{
	char k[64];
	snprintf(k, sizeof(k), "%s-addr", key);
	if (get_str(c, m, key, 0, sym) || get_u64(c, m, k, *sym != NULL, addr))
		return -1;
	return 0;
}

static int one_data(struct ctx *c, yaml_node_t *m, void *out)
{
	struct vf_data *d = out;
	if (!m || m->type != YAML_MAPPING_NODE)
		return fail(c, "version file: a data entry must be a mapping");
	if (get_str(c, m, "variable", 0, &d->variable) || get_str(c, m, "unit", 0, &d->unit) ||
	    get_str(c, m, "file", 0, &d->file) || get_str(c, m, "covers", 0, &d->covers) ||
	    get_str(c, m, "old-type", 0, &d->old_type) ||
	    get_str(c, m, "new-type", 0, &d->new_type) ||
	    get_u64(c, m, "old-size", 0, &d->old_size) ||
	    get_u64(c, m, "new-size", 0, &d->new_size) ||
	    get_str(c, m, "new-symbol", 0, &d->new_symbol) ||
	    get_u64(c, m, "new-addr", 0, &d->new_addr) ||
	    get_str(c, m, "old-bind", 0, &d->old_bind) ||
	    get_fn(c, m, "sync-old2new", &d->sync_old2new, &d->sync_old2new_addr) ||
	    get_fn(c, m, "sync-new2old", &d->sync_new2old, &d->sync_new2old_addr) ||
	    get_fn(c, m, "check", &d->check, &d->check_addr) ||
	    get_fn(c, m, "recover", &d->recover, &d->recover_addr) ||
	    get_u64(c, m, "old-addr", 0, &d->old_addr) ||
	    get_fn(c, m, "sync-track", &d->sync_track, &d->sync_track_addr) ||
	    get_fn(c, m, "sync-new2old-to", &d->sync_new2old_to, &d->sync_new2old_to_addr) ||
	    get_fn(c, m, "coexist-flag", &d->coexist_flag, &d->coexist_flag_addr) ||
	    get_fn(c, m, "carry-slot", &d->carry_slot, &d->carry_slot_addr) ||
	    parse_seq(c, m, "writers", sizeof(struct vf_writer), (void **)&d->writers, &d->nwriters,
		      one_writer))
		return -1;
	if (d->variable && !d->sync_old2new)
		return fail(c, "version file: data %s: no sync-old2new", d->variable);
	if (!d->variable && !d->check)
		return fail(c, "version file: a data entry needs a variable or a check");
	return 0;
}

/* Parses the sequence `key` of `root` into an array of `size`-byte elements. */
static int parse_seq(struct ctx *c, yaml_node_t *root, const char *key, size_t size, void **arr,
		     size_t *n, int (*one)(struct ctx *, yaml_node_t *, void *))
{
	yaml_node_t *seq = lookup(c, root, key);
	yaml_node_item_t *it;

	*arr = NULL;
	*n = 0;
	if (!seq)
		return 0;
	if (seq->type != YAML_SEQUENCE_NODE)
		return fail(c, "version file: '%s' must be a list", key);
	*arr = calloc((size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start) + 1,
		      size);
	if (!*arr)
		return fail(c, "out of memory");
	for (it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++)
		if (one(c, node(c, *it), (char *)*arr + size * (*n)++))
			return -1;
	return 0;
}

static int one_function(struct ctx *c, yaml_node_t *m, void *out)
{
	return parse_function(c, m, out);
}

static int one_bind(struct ctx *c, yaml_node_t *m, void *out)
{
	return parse_bind(c, m, out);
}

static int one_live(struct ctx *c, yaml_node_t *m, void *out)
{
	return parse_live(c, m, out);
}

static int parse_root(struct ctx *c, yaml_node_t *root, struct vf_patch *p)
{
	uint64_t format;
	yaml_node_t *target;

	if (!root || root->type != YAML_MAPPING_NODE)
		return fail(c, "version file: not a YAML mapping");
	if (get_u64(c, root, "polus-patch", 1, &format))
		return -1;
	if (format != VF_FORMAT)
		return fail(c, "version file: format %llu, this polus reads format %d",
			    (unsigned long long)format, VF_FORMAT);
	p->format = (int)format;
	target = lookup(c, root, "target");
	if (!target)
		return fail(c, "version file: missing 'target'");
	if (get_str(c, root, "name", 1, &p->name) || get_str(c, root, "created", 0, &p->created) ||
	    get_str(c, target, "build-id", 1, &p->target_build_id) ||
	    get_str(c, target, "path", 0, &p->target_path) ||
	    get_strlist(c, root, "requires", &p->requires, &p->nrequires) ||
	    get_strlist(c, root, "warnings", &p->warnings, &p->nwarnings) ||
	    get_fn(c, root, "track-table", &p->track_table, &p->track_table_addr) ||
	    get_u64(c, root, "track-table-size", p->track_table != NULL, &p->track_table_size))
		return -1;
	return parse_seq(c, root, "functions", sizeof(struct vf_function), (void **)&p->functions,
			 &p->nfunctions, one_function) ||
		       parse_seq(c, root, "binds", sizeof(struct vf_bind), (void **)&p->binds,
				 &p->nbinds, one_bind) ||
		       parse_seq(c, root, "live", sizeof(struct vf_live), (void **)&p->live,
				 &p->nlive, one_live) ||
		       parse_seq(c, root, "data", sizeof(struct vf_data), (void **)&p->data,
				 &p->ndata, one_data)
		   ? -1
		   : 0;
}

int vf_parse(const char *text, size_t len, struct vf_patch *out, char *err, size_t errlen)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	struct ctx c = {&doc, err, errlen};
	int rc;

	memset(out, 0, sizeof(*out));
	if (!yaml_parser_initialize(&parser))
		return fail(&c, "out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		rc = fail(&c, "version file: YAML error at line %lu: %s",
			  (unsigned long)parser.problem_mark.line + 1,
			  parser.problem ? parser.problem : "unknown");
		yaml_parser_delete(&parser);
		return rc;
	}
	rc = parse_root(&c, yaml_document_get_root_node(&doc), out);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (rc)
		vf_free(out);
	return rc;
}

/* ---- emitting ---- */

static int scalar(yaml_document_t *d, const char *s)
{
	return yaml_document_add_scalar(d, NULL, (yaml_char_t *)(s ? s : ""), -1,
					YAML_ANY_SCALAR_STYLE);
}

/* Adds key: value to mapping m; a NULL value is left out. Returns 0 or -1. */
static int put(yaml_document_t *d, int m, const char *key, int value)
{
	if (value <= 0)
		return value < 0 ? -1 : 0;
	return yaml_document_append_mapping_pair(d, m, scalar(d, key), value) ? 0 : -1;
}

static int str_or_none(yaml_document_t *d, const char *s)
{
	return s ? scalar(d, s) : 0;
}

static int hex(yaml_document_t *d, uint64_t v)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)v);
	return scalar(d, buf);
}

static int num(yaml_document_t *d, uint64_t v)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	return scalar(d, buf);
}

static int strlist(yaml_document_t *d, char **v, size_t n)
{
	int seq = yaml_document_add_sequence(d, NULL, YAML_FLOW_SEQUENCE_STYLE);
	for (size_t i = 0; seq > 0 && i < n; i++)
		if (!yaml_document_append_sequence_item(d, seq, scalar(d, v[i])))
			return -1;
	return seq;
}

static int emit_function(yaml_document_t *d, const struct vf_function *f)
{
	int m = yaml_document_add_mapping(d, NULL, YAML_BLOCK_MAPPING_STYLE);

	if (m <= 0 || put(d, m, "name", scalar(d, f->name)) ||
	    put(d, m, "unit", str_or_none(d, f->unit)) ||
	    put(d, m, "change", scalar(d, f->change)) ||
	    put(d, m, "reasons", strlist(d, f->reasons, f->nreasons)))
		return -1;
	if (f->old_symbol && (put(d, m, "old-symbol", scalar(d, f->old_symbol)) ||
			      put(d, m, "old-addr", hex(d, f->old_addr)) ||
			      (f->old_in && put(d, m, "old-in", scalar(d, f->old_in))) ||
			      put(d, m, "old-size", num(d, f->old_size))))
		return -1;
	if (put(d, m, "new-symbol", scalar(d, f->new_symbol)) ||
	    put(d, m, "new-addr", hex(d, f->new_addr)) ||
	    put(d, m, "redirect", scalar(d, f->redirect ? "true" : "false")) ||
	    (f->padded && put(d, m, "padded", scalar(d, "true"))))
		return -1;
	return m;
}

static int emit_bind(yaml_document_t *d, const struct vf_bind *b)
{
	int m = yaml_document_add_mapping(d, NULL, YAML_FLOW_MAPPING_STYLE);

	if (m <= 0 || put(d, m, "symbol", scalar(d, b->symbol)) ||
	    put(d, m, "name", str_or_none(d, b->name)) || put(d, m, "addr", hex(d, b->addr)) ||
	    (b->tls && put(d, m, "tls", scalar(d, "true"))))
		return -1;
	return m;
}

static int emit_live(yaml_document_t *d, const struct vf_live *l)
{
	int m = yaml_document_add_mapping(d, NULL, YAML_FLOW_MAPPING_STYLE);

	if (m <= 0 || put(d, m, "name", scalar(d, l->name)) ||
	    put(d, m, "unit", str_or_none(d, l->unit)) || put(d, m, "how", scalar(d, l->how)))
		return -1;
	return m;
}

static int emit_writer(yaml_document_t *d, const struct vf_writer *w)
{
	int m = yaml_document_add_mapping(d, NULL, YAML_FLOW_MAPPING_STYLE);
	if (m <= 0 || put(d, m, "name", scalar(d, w->name)) ||
	    put(d, m, "old-addr", hex(d, w->old_addr)) ||
	    put(d, m, "old-size", num(d, w->old_size)))
		return -1;
	return m;
}

static int put_fn(yaml_document_t *d, int m, const char *key, const char *sym, uint64_t addr)
{
	char k[64];
	snprintf(k, sizeof(k), "%s-addr", key);
	return sym && (put(d, m, key, scalar(d, sym)) || put(d, m, k, hex(d, addr))) ? -1 : 0;
}

static int emit_data(yaml_document_t *d, const struct vf_data *x)
{
	int m = yaml_document_add_mapping(d, NULL, YAML_BLOCK_MAPPING_STYLE);
	if (m <= 0 || put(d, m, "variable", str_or_none(d, x->variable)) ||
	    put(d, m, "unit", str_or_none(d, x->unit)) ||
	    put(d, m, "file", str_or_none(d, x->file)) ||
	    put(d, m, "covers", str_or_none(d, x->covers)))
		return -1;
	if (x->variable && (put(d, m, "old-type", str_or_none(d, x->old_type)) ||
			    put(d, m, "old-size", num(d, x->old_size)) ||
			    put(d, m, "new-type", str_or_none(d, x->new_type)) ||
			    put(d, m, "new-size", num(d, x->new_size)) ||
			    put(d, m, "new-symbol", str_or_none(d, x->new_symbol)) ||
			    put(d, m, "new-addr", hex(d, x->new_addr)) ||
			    put(d, m, "old-bind", str_or_none(d, x->old_bind))))
		return -1;
	if (put_fn(d, m, "sync-old2new", x->sync_old2new, x->sync_old2new_addr) ||
	    put_fn(d, m, "sync-new2old", x->sync_new2old, x->sync_new2old_addr) ||
	    put_fn(d, m, "check", x->check, x->check_addr) ||
	    put_fn(d, m, "recover", x->recover, x->recover_addr) ||
	    (x->old_addr && put(d, m, "old-addr", hex(d, x->old_addr))) ||
	    put_fn(d, m, "sync-track", x->sync_track, x->sync_track_addr) ||
	    put_fn(d, m, "sync-new2old-to", x->sync_new2old_to, x->sync_new2old_to_addr) ||
	    put_fn(d, m, "coexist-flag", x->coexist_flag, x->coexist_flag_addr) ||
	    put_fn(d, m, "carry-slot", x->carry_slot, x->carry_slot_addr))
		return -1;
	int ws = yaml_document_add_sequence(d, NULL, YAML_BLOCK_SEQUENCE_STYLE);
	for (size_t i = 0; ws > 0 && i < x->nwriters; i++)
		if (!yaml_document_append_sequence_item(d, ws, emit_writer(d, &x->writers[i])))
			return -1;
	return x->variable && put(d, m, "writers", ws) ? -1 : m;
}

static int build_doc(yaml_document_t *d, const struct vf_patch *p)
{
	int root = yaml_document_add_mapping(d, NULL, YAML_BLOCK_MAPPING_STYLE);
	int target, fns, binds;
	char fmt[16];

	snprintf(fmt, sizeof(fmt), "%d", VF_FORMAT);
	target = yaml_document_add_mapping(d, NULL, YAML_BLOCK_MAPPING_STYLE);
	fns = yaml_document_add_sequence(d, NULL, YAML_BLOCK_SEQUENCE_STYLE);
	binds = yaml_document_add_sequence(d, NULL, YAML_BLOCK_SEQUENCE_STYLE);
	if (root <= 0 || target <= 0 || fns <= 0 || binds <= 0)
		return -1;
	if (put(d, root, "polus-patch", scalar(d, fmt)) ||
	    put(d, root, "name", scalar(d, p->name)) ||
	    put(d, root, "created", str_or_none(d, p->created)) || put(d, root, "target", target) ||
	    put(d, target, "build-id", scalar(d, p->target_build_id)) ||
	    put(d, target, "path", str_or_none(d, p->target_path)) ||
	    put(d, root, "requires", strlist(d, p->requires, p->nrequires)))
		return -1;
	for (size_t i = 0; i < p->nfunctions; i++)
		if (!yaml_document_append_sequence_item(d, fns, emit_function(d, &p->functions[i])))
			return -1;
	for (size_t i = 0; i < p->nbinds; i++)
		if (!yaml_document_append_sequence_item(d, binds, emit_bind(d, &p->binds[i])))
			return -1;
	if (put(d, root, "functions", fns) || put(d, root, "binds", binds) ||
	    put(d, root, "warnings", strlist(d, p->warnings, p->nwarnings)))
		return -1;
	if (p->live) {
		int live = yaml_document_add_sequence(d, NULL, YAML_BLOCK_SEQUENCE_STYLE);
		for (size_t i = 0; live > 0 && i < p->nlive; i++)
			if (!yaml_document_append_sequence_item(d, live, emit_live(d, &p->live[i])))
				return -1;
		if (put(d, root, "live", live))
			return -1;
	}
	if (p->track_table &&
	    (put_fn(d, root, "track-table", p->track_table, p->track_table_addr) ||
	     put(d, root, "track-table-size", num(d, p->track_table_size))))
		return -1;
	if (!p->ndata)
		return 0;
	int data = yaml_document_add_sequence(d, NULL, YAML_BLOCK_SEQUENCE_STYLE);
	for (size_t i = 0; data > 0 && i < p->ndata; i++)
		if (!yaml_document_append_sequence_item(d, data, emit_data(d, &p->data[i])))
			return -1;
	return put(d, root, "data", data);
}

struct sink {
	char *buf;
	size_t len, cap;
};

static int sink_write(void *data, unsigned char *bytes, size_t size)
{
	struct sink *s = data;

	if (s->len + size + 1 > s->cap) {
		size_t cap = (s->cap ? s->cap * 2 : 4096) + size;
		char *nb = realloc(s->buf, cap);
		if (!nb)
			return 0;
		s->buf = nb;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, bytes, size);
	s->len += size;
	s->buf[s->len] = '\0';
	return 1;
}

int vf_emit(const struct vf_patch *p, char **text, size_t *len, char *err, size_t errlen)
{
	yaml_document_t doc;
	yaml_emitter_t em;
	struct sink s = {0};
	struct ctx c = {&doc, err, errlen};
	int ok;

	if (!p->name || !p->target_build_id)
		return fail(&c, "version file: name and target build-id are required");
	if (!yaml_document_initialize(&doc, NULL, NULL, NULL, 0, 0))
		return fail(&c, "out of memory");
	if (build_doc(&doc, p)) {
		yaml_document_delete(&doc);
		return fail(&c, "version file: cannot build the document (out of memory?)");
	}
	if (!yaml_emitter_initialize(&em)) {
		yaml_document_delete(&doc);
		return fail(&c, "out of memory");
	}
	yaml_emitter_set_output(&em, sink_write, &s);
	yaml_emitter_set_unicode(&em, 1);
	yaml_emitter_set_width(&em, 100);
	/* dump consumes (and deletes) the document */
	ok = yaml_emitter_open(&em) && yaml_emitter_dump(&em, &doc) && yaml_emitter_close(&em);
	yaml_emitter_delete(&em);
	if (!ok || !s.buf) {
		free(s.buf);
		return fail(&c, "version file: YAML emitter failed");
	}
	*text = s.buf;
	*len = s.len;
	return 0;
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

void vf_free(struct vf_patch *p)
{
	for (size_t i = 0; p->functions && i < p->nfunctions; i++) {
		struct vf_function *f = &p->functions[i];
		free(f->name);
		free(f->unit);
		free(f->change);
		free_list(f->reasons, f->nreasons);
		free(f->old_symbol);
		free(f->old_in);
		free(f->new_symbol);
	}
	free(p->functions);
	for (size_t i = 0; p->binds && i < p->nbinds; i++) {
		free(p->binds[i].symbol);
		free(p->binds[i].name);
	}
	free(p->binds);
	free(p->name);
	free(p->created);
	free(p->target_build_id);
	free(p->target_path);
	free_list(p->requires, p->nrequires);
	free_list(p->warnings, p->nwarnings);
	for (size_t i = 0; p->live && i < p->nlive; i++) {
		free(p->live[i].name);
		free(p->live[i].unit);
		free(p->live[i].how);
	}
	free(p->live);
	for (size_t i = 0; p->data && i < p->ndata; i++) {
		struct vf_data *x = &p->data[i];
		char *strs[] = {
		    x->variable,  x->unit,	 x->file,	x->covers,	    x->old_type,
		    x->new_type,  x->new_symbol, x->old_bind,	x->sync_old2new,    x->sync_new2old,
		    x->check,	  x->recover,	 x->sync_track, x->sync_new2old_to, x->coexist_flag,
		    x->carry_slot};
		for (size_t k = 0; k < sizeof(strs) / sizeof(strs[0]); k++)
			free(strs[k]);
		for (size_t k = 0; x->writers && k < x->nwriters; k++)
			free(x->writers[k].name);
		free(x->writers);
	}
	free(p->data);
	free(p->track_table);
	memset(p, 0, sizeof(*p));
}

void vf_live_summary(const struct vf_patch *p, size_t switched, char *buf, size_t len)
{
	static const struct {
		const char *prefix, *say;
	} kinds[] = {
	    {"inlined into", "live through inlining into them"},
	    {"clones", "live through their clones' callers"},
	    {"no code", "not reachable in the base"},
	    {"left out", "left out on purpose"},
	};
	size_t count[4] = {0}, other = 0, off;
	buf[0] = 0;
	if (!p->live)
		return;
	for (size_t i = 0; i < p->nlive; i++) {
		size_t k = 0;
		while (k < 4 && strncmp(p->live[i].how, kinds[k].prefix, strlen(kinds[k].prefix)))
			k++;
		if (k < 4)
			count[k]++;
		else if (strncmp(p->live[i].how, "redirected", 10))
			other++;
	}
	/* the counts agree and everything is live: nothing to explain */
	if (p->nlive == switched && !count[3] && !other)
		return;
	off = (size_t)snprintf(buf, len, "%zu changed", p->nlive);
	const char *sep = ": ";
	for (size_t k = 0; k < 4 && off < len; k++) {
		if (!count[k])
			continue;
		off +=
		    (size_t)snprintf(buf + off, len - off, "%s%zu %s", sep, count[k], kinds[k].say);
		sep = ", ";
	}
	if (other && off < len)
		snprintf(buf + off, len - off, "%s%zu not live (see the patch's live list)", sep,
			 other);
}
