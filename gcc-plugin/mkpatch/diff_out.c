/*
 * diff_out — text and JSON renderings of a diff.
 */
#include "diff_out.h"
#include "jsonout.h"
#include "mkpatch_util.h"
#include <stdlib.h>
#include <string.h>

static const char *change_word(enum d_state s)
{
	switch (s) {
	case DS_NEW:
		return "new";
	case DS_REMOVED:
		return "removed";
	default:
		return "changed";
	}
}

char *diff_reason_text(const char *r)
{
	static const struct {
		const char *prefix, *fmt;
	} map[] = {
	    {"inlined:", "inlined callee %s changed"},
	    {"calls-clone:", "calls clone %s of a changed function"},
	    {"layout:", "layout of %s changed"},
	    {"const:", "constant %s changed"},
	    {"signature:", "signature of callee %s changed"},
	    {"var-type:", "type of variable %s changed"},
	};
	if (!strcmp(r, "body"))
		return xstrdup("body changed");
	if (!strcmp(r, "line-only"))
		return xstrdup("only __LINE__ values changed");
	if (!strcmp(r, "init"))
		return xstrdup("initializer changed");
	if (!strcmp(r, "type"))
		return xstrdup("type changed");
	if (!strcmp(r, "layout"))
		return xstrdup("layout changed");
	if (!strcmp(r, "size"))
		return xstrdup("size changed");
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		size_t n = strlen(map[i].prefix);
		if (!strncmp(r, map[i].prefix, n))
			return xasprintf(map[i].fmt, r + n);
	}
	return xstrdup(r);
}

static void print_item(FILE *f, const char *what, const struct d_item *it)
{
	fprintf(f, "%s %s (%s): %s", what, it->key, it->unit, change_word(it->state));
	for (size_t r = 0; r < it->nreasons; r++) {
		char *t = diff_reason_text(it->reasons[r]);
		fprintf(f, "%s%s", r ? ", " : " \xe2\x80\x94 ", t);
		free(t);
	}
	fputc('\n', f);
}

struct counts {
	size_t changed, added, removed, line;
};

static struct counts count(const struct d_item *v, size_t n)
{
	struct counts c = {0};
	for (size_t i = 0; i < n; i++) {
		switch (v[i].state) {
		case DS_CHANGED:
			c.changed++;
			break;
		case DS_NEW:
			c.added++;
			break;
		case DS_REMOVED:
			c.removed++;
			break;
		case DS_LINE:
			c.line++;
			break;
		default:
			break;
		}
	}
	return c;
}

void diff_print_text(FILE *f, const struct diff *d)
{
	const struct {
		const char *what;
		const struct d_item *v;
		size_t n;
	} groups[] = {{"function", d->fns, d->nfns},
		      {"variable", d->vars, d->nvars},
		      {"type", d->types, d->ntypes}};
	for (size_t g = 0; g < 3; g++)
		for (size_t i = 0; i < groups[g].n; i++)
			if (groups[g].v[i].state != DS_SAME && groups[g].v[i].state != DS_LINE)
				print_item(f, groups[g].what, &groups[g].v[i]);
	struct counts fc = count(d->fns, d->nfns), vc = count(d->vars, d->nvars),
		      tc = count(d->types, d->ntypes);
	if (fc.line) {
		fprintf(f, "line-only (left out of patches unless --line-only):\n");
		for (size_t i = 0; i < d->nfns; i++)
			if (d->fns[i].state == DS_LINE)
				print_item(f, "function", &d->fns[i]);
	}
	fprintf(f,
		"summary: functions %zu changed, %zu new, %zu removed, %zu line-only; "
		"variables %zu changed, %zu new, %zu removed; types %zu changed, %zu new, "
		"%zu removed\n",
		fc.changed, fc.added, fc.removed, fc.line, vc.changed, vc.added, vc.removed,
		tc.changed, tc.added, tc.removed);
}

static void json_items(FILE *f, const char *label, const struct d_item *v, size_t n, int with_key)
{
	int first = 1;
	fprintf(f, "\"%s\": [", label);
	for (size_t i = 0; i < n; i++) {
		const struct d_item *it = &v[i];
		if (it->state == DS_SAME)
			continue;
		fputs(first ? "\n  {" : ",\n  {", f);
		first = 0;
		fputs("\"name\": ", f);
		json_str(f, it->name);
		if (with_key) {
			fputs(", \"key\": ", f);
			json_str(f, it->key);
		}
		fprintf(f, ", \"change\": \"%s\", \"reasons\": [", change_word(it->state));
		for (size_t r = 0; r < it->nreasons; r++) {
			if (r)
				fputs(", ", f);
			json_str(f, it->reasons[r]);
		}
		fputs("], \"unit\": ", f);
		json_str(f, it->unit);
		if (it->state == DS_LINE)
			fputs(", \"line_only\": true", f);
		fputc('}', f);
	}
	fputs(first ? "]" : "\n]", f);
}

void diff_print_json(FILE *f, const struct diff *d)
{
	fputs("{", f);
	json_items(f, "functions", d->fns, d->nfns, 0);
	fputs(",\n", f);
	json_items(f, "variables", d->vars, d->nvars, 1);
	fputs(",\n", f);
	json_items(f, "types", d->types, d->ntypes, 0);
	fputs("}\n", f);
}
