/*
 * meta — parser of .polus.meta records (docs/metadata.md). Fields are unescaped in
 * place; structs hold pointers into the section buffer.
 */
#include "meta.h"
#include "mkpatch_util.h"
#include <stdlib.h>
#include <string.h>

#define MAXF 16

static void unescape(char *s)
{
	char *o = s;
	for (; *s; s++) {
		if (*s == '\\' && s[1]) {
			s++;
			*o++ = *s == 't' ? '\t' : *s == 'n' ? '\n' : *s;
		} else {
			*o++ = *s;
		}
	}
	*o = 0;
}

/* Splits the NUL-terminated line into at most MAXF fields; returns the count. */
static int split(char *line, char **f)
{
	int n = 0;
	char *p = line;
	for (;;) {
		char *t = strchr(p, '\t');
		if (n < MAXF)
			f[n++] = p;
		if (!t)
			break;
		*t = 0;
		p = t + 1;
	}
	for (int i = 0; i < n; i++)
		unescape(f[i]);
	return n;
}

static int need(int have, int want, const char *kind, size_t lineno, char *err, size_t errlen)
{
	if (have >= want)
		return 0;
	return msg(err, errlen, ".polus.meta line %zu: '%s' has %d fields, expected %d", lineno,
		   kind, have - 1, want - 1);
}

static int parse_line(struct meta_unit *u, char **f, int n, size_t lineno, char *err, size_t errlen)
{
	const char *k = f[0];
	if (!strcmp(k, "compiler")) {
		if (need(n, 2, k, lineno, err, errlen))
			return -1;
		u->compiler = f[1];
	} else if (!strcmp(k, "hashes")) {
		if (need(n, 2, k, lineno, err, errlen))
			return -1;
		u->hashes = atoi(f[1]);
		if (u->hashes < 1)
			return msg(err, errlen, ".polus.meta line %zu: bad hashes '%s'", lineno,
				   f[1]);
	} else if (!strcmp(k, "driver")) {
		if (need(n, 2, k, lineno, err, errlen))
			return -1;
		u->driver = f[1];
	} else if (!strcmp(k, "cwd")) {
		if (need(n, 2, k, lineno, err, errlen))
			return -1;
		u->cwd = f[1];
	} else if (!strcmp(k, "src")) {
		if (need(n, 2, k, lineno, err, errlen))
			return -1;
		u->src = f[1];
	} else if (!strcmp(k, "opt")) {
		if (need(n, 2, k, lineno, err, errlen))
			return -1;
		VEC_PUSH(u->opts, u->nopts, u->capopts, f[1]);
	} else if (!strcmp(k, "optsrc")) {
		if (need(n, 2, k, lineno, err, errlen))
			return -1;
		u->optsrc = f[1];
	} else if (!strcmp(k, "env") || !strcmp(k, "cc1opt")) {
		if (need(n, k[0] == 'e' ? 3 : 2, k, lineno, err, errlen))
			return -1;
		struct meta_pair p = {f[1], n > 2 ? f[2] : NULL};
		if (k[0] == 'e')
			VEC_PUSH(u->envs, u->nenvs, u->capenvs, p);
		else
			VEC_PUSH(u->cc1opts, u->ncc1opts, u->capcc1opts, p);
	} else if (!strcmp(k, "profile")) {
		if (need(n, 2, k, lineno, err, errlen))
			return -1;
		u->profile = f[1];
		u->profile_by = n > 2 ? f[2] : "-";
	} else if (!strcmp(k, "fn")) {
		struct meta_fn fn;
		if (need(n, 8, k, lineno, err, errlen))
			return -1;
		fn.name = f[1];
		fn.asm_name = f[2];
		fn.linkage = f[3];
		fn.sig = f[4];
		fn.hash = f[5];
		fn.hash_noline = f[6];
		fn.hash_nolayout = f[7];
		fn.is_static = !strncmp(f[3], "static", 6);
		VEC_PUSH(u->fns, u->nfns, u->capfns, fn);
	} else if (!strcmp(k, "use")) {
		struct meta_use us;
		if (need(n, 4, k, lineno, err, errlen))
			return -1;
		us.fn = f[1];
		us.kind = f[2];
		us.target = f[3];
		VEC_PUSH(u->uses, u->nuses, u->capuses, us);
	} else if (!strcmp(k, "emit") || !strcmp(k, "inline") || !strcmp(k, "ecall")) {
		struct meta_pair p;
		if (need(n, 3, k, lineno, err, errlen))
			return -1;
		p.a = f[1];
		p.b = f[2];
		if (k[0] == 'e' && k[1] == 'm')
			VEC_PUSH(u->emits, u->nemits, u->capemits, p);
		else if (k[0] == 'i')
			VEC_PUSH(u->inlines, u->ninlines, u->capinlines, p);
		else
			VEC_PUSH(u->ecalls, u->necalls, u->capecalls, p);
	} else if (!strcmp(k, "var")) {
		struct meta_var v;
		if (need(n, 11, k, lineno, err, errlen))
			return -1;
		v.key = f[1];
		v.name = f[2];
		v.asm_name = f[3];
		v.scope = f[4];
		v.owner = f[5];
		v.type = f[6];
		v.size = f[7];
		v.access = f[8];
		v.inithash = f[9];
		v.flags = f[10];
		v.tls = strstr(f[10], "tls") != NULL;
		VEC_PUSH(u->vars, u->nvars, u->capvars, v);
	} else if (!strcmp(k, "type")) {
		struct meta_type t;
		if (need(n, 5, k, lineno, err, errlen))
			return -1;
		t.tag = f[1];
		t.kind = f[2];
		t.size = f[3];
		t.layout = f[4];
		VEC_PUSH(u->types, u->ntypes, u->captypes, t);
	}
	/* other kinds: written by a newer plugin, ignored by design */
	return 0;
}

static void index_unit(struct meta_unit *u)
{
	struct smap last = {0};
	u->use_next = xcalloc(u->nuses, sizeof(long));
	for (size_t i = 0; i < u->nuses; i++) {
		long prev = smap_get(&last, u->uses[i].fn);
		u->use_next[i] = -1;
		if (prev < 0) {
			smap_put(&u->use_first, u->uses[i].fn, (long)i);
			smap_put(&last, u->uses[i].fn, (long)i);
		} else {
			u->use_next[prev] = (long)i;
			smap_set(&last, u->uses[i].fn, (long)i);
		}
	}
	smap_free(&last);
	for (size_t i = 0; i < u->nemits; i++)
		smap_put(&u->emit_at, u->emits[i].a, (long)i);
}

const char *meta_origin(const struct meta_unit *u, const char *asm_name)
{
	long i = smap_get(&u->emit_at, asm_name);
	return i < 0 ? NULL : u->emits[i].b;
}

long meta_first_use(const struct meta_unit *u, const char *fn)
{
	return smap_get(&u->use_first, fn);
}

long meta_next_use(const struct meta_unit *u, long i)
{
	return u->use_next[i];
}

/* Longest common directory of all units' abs_src, then each unit's key relative to it. */
static void assign_keys(struct meta_build *b)
{
	size_t common = 0;
	struct smap seen = {0};
	if (!b->nunits) {
		b->root = xstrdup("/");
		return;
	}
	const char *first = b->units[0].abs_src;
	const char *slash = strrchr(first, '/');
	common = (size_t)(slash - first); /* directory of the first unit, without the '/' */
	for (size_t i = 1; i < b->nunits; i++) {
		const char *s = b->units[i].abs_src;
		size_t j = 0;
		while (j < common && s[j] == first[j])
			j++;
		/* on a mismatch, back up to the last directory both share */
		if (j < common || s[j] != '/') {
			if (j > 0)
				j--;
			while (j > 0 && first[j] != '/')
				j--;
		}
		common = j;
	}
	b->root = common ? strndup(first, common) : xstrdup("/");
	for (size_t i = 0; i < b->nunits; i++) {
		struct meta_unit *u = &b->units[i];
		u->key = u->abs_src + common + (u->abs_src[common] == '/');
		if (smap_get(&seen, u->key) >= 0) {
			/* the same source built twice (different -D, say): keep keys unique */
			for (int k = 2;; k++) {
				free(u->key_buf);
				u->key_buf = xasprintf("%s#%d", u->key, k);
				if (smap_get(&seen, u->key_buf) < 0)
					break;
			}
			u->key = u->key_buf;
		}
		smap_put(&seen, u->key, (long)i);
	}
	smap_free(&seen);
}

int meta_parse(char *buf, size_t len, struct meta_build *b, char *err, size_t errlen)
{
	size_t pos = 0, lineno = 0;
	struct meta_unit *u = NULL;
	char *f[MAXF];

	memset(b, 0, sizeof(*b));
	b->buf = buf;
	b->len = len;
	while (pos < len) {
		if (!u && buf[pos] == 0) { /* linker padding between records */
			pos++;
			continue;
		}
		char *line = buf + pos;
		char *nl = memchr(line, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - buf) : len;
		lineno++;
		if (memchr(line, 0, end - pos))
			return msg(err, errlen, ".polus.meta line %zu: NUL byte inside a record",
				   lineno);
		if (!nl)
			return msg(err, errlen, ".polus.meta line %zu: truncated record", lineno);
		*nl = 0;
		pos = end + 1;
		int n = split(line, f);
		if (!u) {
			if (strcmp(f[0], "polus-meta"))
				return msg(err, errlen,
					   ".polus.meta line %zu: expected 'polus-meta', got '%s'",
					   lineno, f[0]);
			if (n < 2 || strcmp(f[1], "1"))
				return msg(err, errlen,
					   "metadata format version %s is not supported (this "
					   "polus-mkpatch reads version %d)",
					   n < 2 ? "-" : f[1], META_FORMAT);
			struct meta_unit z = {.hashes = 1};
			VEC_PUSH(b->units, b->nunits, b->capunits, z);
			u = &b->units[b->nunits - 1];
			continue;
		}
		if (!strcmp(f[0], "end")) {
			if (!u->src || !u->cwd || !u->compiler)
				return msg(err, errlen,
					   ".polus.meta line %zu: record without compiler/cwd/src",
					   lineno);
			u->abs_src = path_absolute(u->cwd, u->src);
			index_unit(u);
			u = NULL;
			continue;
		}
		if (parse_line(u, f, n, lineno, err, errlen))
			return -1;
	}
	if (u)
		return msg(err, errlen, ".polus.meta: last record has no 'end' (truncated)");
	if (!b->nunits)
		return msg(err, errlen, ".polus.meta holds no record");
	assign_keys(b);
	return 0;
}

void meta_free(struct meta_build *b)
{
	for (size_t i = 0; i < b->nunits; i++) {
		struct meta_unit *u = &b->units[i];
		free(u->abs_src);
		free(u->key_buf);
		free(u->opts);
		free(u->envs);
		free(u->cc1opts);
		free(u->fns);
		free(u->uses);
		free(u->emits);
		free(u->inlines);
		free(u->ecalls);
		free(u->vars);
		free(u->types);
		free(u->use_next);
		smap_free(&u->use_first);
		smap_free(&u->emit_at);
	}
	free(b->units);
	free(b->root);
	free(b->buf);
	memset(b, 0, sizeof(*b));
}

const char *meta_find_opt(const struct meta_build *b, const char *prefix)
{
	size_t pl = strlen(prefix);
	for (size_t i = 0; i < b->nunits; i++)
		for (size_t j = 0; j < b->units[i].nopts; j++)
			if (!strncmp(b->units[i].opts[j], prefix, pl))
				return b->units[i].opts[j];
	return NULL;
}
