/*
 * Unit test of the metadata reader (gcc-plugin/mkpatch/meta.c) against the key table
 * (versionfiles/meta_format.h): a record written line by line from the table, every
 * field a distinct value full of characters that need escaping, reads back with every
 * field where the reader keeps it; broken records are refused with a message naming
 * the problem.
 *   meta-test             run the checks
 *   meta-test --doc-rows  print the table as the rows docs/metadata.md must contain
 */
#include "meta.h"
#include "unit_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Values whose reader interprets them: everything else is VALUE_<key>.<i> + specials.
 * Names that must resolve in the unit (meta.h) name the `fn` line's function: an inline
 * record's CALLER and CALLEE and an emit's ORIGIN; CLONE is a clone of it, and an ecall's
 * CALLER the emitted body. */
static void field_value(enum meta_key k, int i, char *out, size_t len)
{
	if ((k == META_K_INLINE && i <= 2) || (k == META_K_EMIT && i == 2))
		field_value(META_K_FN, 1, out, len);
	else if (k == META_K_INLINE && i == 3) {
		field_value(META_K_FN, 1, out, len);
		strncat(out, ".constprop.0", len - strlen(out) - 1);
	} else if (k == META_K_ECALL && i == 1)
		field_value(META_K_EMIT, 1, out, len);
	else if (k == META_K_HASHES)
		snprintf(out, len, "7");
	else if ((k == META_K_FN || k == META_K_XFN) && i == 3)
		snprintf(out, len, "static,inline");
	else if (k == META_K_VAR && i == 10)
		snprintf(out, len, "weak,tls");
	else
		snprintf(out, len, "%s.%d\\\t\n", meta_key_def(k)->key, i);
}

/* The escaping of docs/metadata.md, as the plugin's pbuf_field does it. */
static void put_field(FILE *f, const char *s)
{
	fputc('\t', f);
	for (; *s; s++)
		fputs(*s == '\\'   ? "\\\\"
		      : *s == '\t' ? "\\t"
		      : *s == '\n' ? "\\n"
				   : (char[]){*s, 0},
		      f);
}

/* One record with one line of every kind (END last), each with NFIELDS fields. */
static char *write_record(size_t *len)
{
	char *buf = NULL, v[64];
	FILE *f = open_memstream(&buf, len);
	fputs(META_HEADER "\n", f);
	for (int k = 0; k < META_NKEYS; k++) {
		if (k == META_K_END)
			continue;
		fputs(meta_key_def(k)->key, f);
		for (int i = 1; i <= meta_key_def(k)->nfields; i++) {
			field_value(k, i, v, sizeof(v));
			put_field(f, v);
		}
		fputc('\n', f);
	}
	fputs(meta_key_def(META_K_END)->key, f);
	fputc('\n', f);
	fclose(f);
	return buf;
}

/* Field i (1..7) of a fn or xfn line. */
static const char *fn_field(const struct meta_fn *f, int i)
{
	const char *v[] = {NULL,   f->name, f->asm_name,    f->linkage,
			   f->sig, f->hash, f->hash_noline, f->hash_nolayout};
	return v[i];
}

/* Where the reader keeps field i of a line of kind k (one line of each), or NULL. */
static const char *read_back(const struct meta_unit *u, enum meta_key k, int i)
{
	const struct meta_var *va = u->nvars ? &u->vars[0] : NULL;
	const char *var[] = {NULL,
			     va ? va->key : NULL,
			     va ? va->name : NULL,
			     va ? va->asm_name : NULL,
			     va ? va->scope : NULL,
			     va ? va->owner : NULL,
			     va ? va->type : NULL,
			     va ? va->size : NULL,
			     va ? va->access : NULL,
			     va ? va->inithash : NULL,
			     va ? va->flags : NULL};
	const struct meta_pair *emit = u->nemits ? &u->emits[0] : NULL;
	const struct meta_pair *inl = u->ninlines ? &u->inlines[0] : NULL;
	const struct meta_pair *ec = u->necalls ? &u->ecalls[0] : NULL;
	static char hashes[16];
	snprintf(hashes, sizeof(hashes), "%d", u->hashes);
	switch (k) {
	case META_K_COMPILER:
		return u->compiler;
	case META_K_HASHES:
		return hashes;
	case META_K_DRIVER:
		return u->driver;
	case META_K_CWD:
		return u->cwd;
	case META_K_SRC:
		return u->src;
	case META_K_OPT:
		return u->nopts ? u->opts[0] : NULL;
	case META_K_OPTSRC:
		return u->optsrc;
	case META_K_CC1OPT:
		return !u->ncc1opts ? NULL : i == 1 ? u->cc1opts[0].a : u->cc1opts[0].b;
	case META_K_ENV:
		return !u->nenvs ? NULL : i == 1 ? u->envs[0].a : u->envs[0].b;
	case META_K_PROFILE:
		return i == 1 ? u->profile : u->profile_by;
	case META_K_PAD:
		return i == 1 ? u->pad_size : i == 2 ? u->pad_before : u->pad_by;
	case META_K_FN:
		return u->nfns ? fn_field(&u->fns[0], i) : NULL;
	case META_K_USE:
		return !u->nuses ? NULL
		       : i == 1	 ? u->uses[0].fn
		       : i == 2	 ? u->uses[0].kind
				 : u->uses[0].target;
	case META_K_EMIT:
		return !emit ? NULL : i == 1 ? emit->a : emit->b;
	case META_K_INLINE:
		return !inl ? NULL : i == 1 ? inl->a : i == 2 ? inl->b : inl->c;
	case META_K_ECALL:
		return !ec ? NULL : i == 1 ? ec->a : ec->b;
	case META_K_VAR:
		return var[i];
	case META_K_TYPE:
		return !u->ntypes ? NULL
		       : i == 1	  ? u->types[0].tag
		       : i == 2	  ? u->types[0].kind
		       : i == 3	  ? u->types[0].size
				  : u->types[0].layout;
	case META_K_XFN:
		return u->nxfns ? fn_field(&u->xfns[0], i) : NULL;
	case META_K_SAME_AS_BELOW:
	case META_K_END:
	case META_NKEYS:
		break;
	}
	return NULL;
}

static void roundtrip(void)
{
	struct meta_build b;
	char err[256] = "", want[64];
	size_t len;
	char *text = write_record(&len);

	if (meta_parse(text, len, &b, err, sizeof(err))) {
		fprintf(stderr, "the table's own record refused: %s\n", err);
		failures++;
		return;
	}
	CHECK(b.nunits == 1);
	const struct meta_unit *u = &b.units[0];
	for (int k = 0; k < META_NKEYS; k++) {
		if (k == META_K_END)
			continue;
		for (int i = 1; i <= meta_key_def(k)->nfields; i++) {
			const char *got = read_back(u, k, i);
			field_value(k, i, want, sizeof(want));
			if (!got || strcmp(got, want)) {
				fprintf(stderr, "'%s' field %d: wrote '%s', read '%s'\n",
					meta_key_def(k)->key, i, want, got ? got : "(nothing)");
				failures++;
			}
		}
	}
	/* one line of each kind: xfn adds no function, fn exactly one */
	CHECK(u->nfns == 1 && u->fns[0].is_static);
	CHECK(u->nvars == 1 && u->vars[0].tls);
	CHECK(u->nopts == 1 && u->nuses == 1 && u->ntypes == 1);
	meta_free(&b);
}

/* The table itself: FIELDS names NFIELDS fields, NREQUIRED <= NFIELDS, keys unique. */
static void table(void)
{
	for (int k = 0; k < META_NKEYS; k++) {
		const struct meta_key_def *d = meta_key_def(k);
		int words = 0;
		for (const char *p = d->fields; *p; p++)
			words += *p != ' ' && (p == d->fields || p[-1] == ' ');
		if (words != d->nfields || d->nrequired > d->nfields || d->nrequired < 0) {
			fprintf(stderr, "'%s': FIELDS '%s' names %d, NFIELDS %d, NREQUIRED %d\n",
				d->key, d->fields, words, d->nfields, d->nrequired);
			failures++;
		}
		for (int j = 0; j < k; j++)
			CHECK(strcmp(d->key, meta_key_def(j)->key));
	}
}

/* Parses TEXT ('|' = tab); returns 0 or -1 with the message in err. */
static int parse(const char *text, struct meta_build *b, char *err, size_t errlen)
{
	char *buf = xstrdup(text);
	for (char *p = buf; *p; p++)
		if (*p == '|')
			*p = '\t';
	return meta_parse(buf, strlen(buf), b, err, errlen);
}

#define HEAD "polus-meta|1\ncompiler|12.2.0\ndriver|gcc\ncwd|/s\nsrc|a.c\n"

/* TEXT must be refused with a message containing `want`. */
static void refuse(const char *text, const char *want)
{
	struct meta_build b;
	char err[256] = "";
	if (parse(text, &b, err, sizeof(err)) == 0) {
		fprintf(stderr, "accepted a bad record (wanted '%s'):\n%s\n", want, text);
		failures++;
	} else if (!strstr(err, want)) {
		fprintf(stderr, "error '%s' does not mention '%s'\n", err, want);
		failures++;
	}
	meta_free(&b);
}

/* What format 1 promises readers skip or default: unknown kinds (a newer plugin's),
 * fields after NFIELDS, the SETTER of older records' profile lines, an optional field. */
static void tolerated(void)
{
	struct meta_build b;
	char err[256] = "";
	int r = parse(HEAD "some-future-kind|x\nprofile|inline-clone\n"
			   "use|f|call|g|extra-field\ncc1opt|-DX\nend\n",
		      &b, err, sizeof(err));
	CHECK(r == 0);
	if (r == 0) {
		const struct meta_unit *u = &b.units[0];
		CHECK(u->hashes == 1 && !strcmp(u->profile_by, "-"));
		CHECK(u->nuses == 1 && !strcmp(u->uses[0].target, "g"));
		CHECK(u->ncc1opts == 1 && !u->cc1opts[0].b && !u->optsrc);
	} else {
		fprintf(stderr, "refused: %s\n", err);
	}
	meta_free(&b);
}

static void doc_rows(void)
{
	for (int k = 0; k < META_NKEYS; k++) {
		const struct meta_key_def *d = meta_key_def(k);
		printf("| `%s` | %s%s|\n", d->key, d->fields, *d->fields ? " " : "");
	}
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "--doc-rows")) {
		doc_rows();
		return 0;
	}
	table();
	roundtrip();
	tolerated();
	refuse(HEAD "fn|f|f|global\nend\n", "line 6: 'fn' has 3 fields, expected 7");
	refuse(HEAD "var|k\nend\n", "line 6: 'var' has 1 fields, expected 10");
	refuse(HEAD "env|CPATH\nend\n", "line 6: 'env' has 1 fields, expected 2");
	refuse(HEAD "profile\nend\n", "line 6: 'profile' has 0 fields, expected 1");
	refuse(HEAD "fn|f|f|global|int (void)|1", "line 6: truncated record");
	refuse(HEAD "opt|-O2\n", "last record has no 'end' (truncated)");
	refuse(HEAD "hashes|0\nend\n", "line 6: bad hashes '0'");
	refuse("polus-meta|2\n", "format version 2 is not supported");
	refuse("compiler|12.2.0\n", "line 1: expected 'polus-meta', got 'compiler'");
	refuse("polus-meta|1\ncompiler|12.2.0\nend\n", "line 3: record without compiler/cwd/src");
	refuse("", "holds no record");
	return unit_result("meta");
}
