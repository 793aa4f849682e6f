/*
 * Unit test of gcc-plugin/mkpatch/diff: two small builds, written as metadata text ('|'
 * for a tab) and read with meta_parse in memory, are diffed with diff_builds. Checks each
 * rule once: a body change, its spread to the callers that inlined the function or call
 * its clone, a line-only change, a layout-only change, a constant's new value reaching
 * its readers, renumbered static locals, new and removed items, units matched by key
 * across two build directories; and diff_check_compat's refusals (another compiler,
 * -flto, other code-generation options unless allowed, with a warning then).
 */
#include "diff.h"
#include "meta.h"
#include "unit_check.h"

#include <stdlib.h>
#include <string.h>

#define HEAD(cwd, src, compiler, opt)                                                              \
	"polus-meta|1\ncompiler|" compiler "\ndriver|/usr/bin/gcc\ncwd|" cwd "\nsrc|" src          \
	"\nopt|" opt "\nopt|-c\nprofile|inline-clone|plugin\n"
#define H(x) "|" x x x x x x x x x x x x x x x x /* one 16-digit hash field */
#define HASHES(a, b, c) H(a) H(b) H(c)

/* Lines both builds share: functions that stay the same and the facts of OLD that
 * spread changes (api inlines helper, calls_work calls work's clone). */
#define SHARED                                                                                     \
	"fn|api|api|global|int (int)" HASHES(                                                      \
	    "2", "2", "2") "\n"                                                                    \
			   "fn|calls_work|calls_work|global|int (void)" HASHES(                    \
			       "4", "4",                                                           \
			       "4") "\n"                                                           \
				    "fn|reader|reader|global|int (void)" HASHES(                   \
					"7", "7",                                                  \
					"7") "\n"                                                  \
					     "fn|counter|counter|global|int (void)" HASHES(        \
						 "8", "8",                                         \
						 "8") "\n"                                         \
						      "use|reader|read|table\nuse|counter|write|"  \
						      "counter/n\nuse|sizer|type|conn\n"           \
						      "emit|api|api\nemit|work.constprop.0|"       \
						      "work\nemit|calls_work|calls_work\n"         \
						      "inline|api|helper\necall|calls_work|work."  \
						      "constprop.0\n"

static const char *const old_body = SHARED "fn|helper|helper|static|int (int)" HASHES(
    "1", "1",
    "1") "\n"
	 "fn|work|work|static|int (int, int)" HASHES(
	     "3", "3",
	     "3") "\n"
		  "fn|logline|logline|global|void (void)" HASHES(
		      "5", "5",
		      "5") "\n"
			   "fn|gone|gone|global|void (void)" HASHES(
			       "6", "6",
			       "6") "\n"
				    "fn|sizer|sizer|global|int (struct conn *)" HASHES(
					"9", "9",
					"9") "\n"
					     "var|table|table|table|static|-|const int[2]|8|ro" H(
						 "a") "|-\n"
						      "var|counter/"
						      "n|n|n.0|local|counter|int|4|rw|-|-\n"
						      "type|conn|struct|8|fd:int@0/32;len:int@32/"
						      "32\n"
						      "end\n";

/* helper and work: new bodies; logline: only a __LINE__; sizer: only conn's layout;
 * table: a new value; n: renumbered (n.0 -> n.3); gone removed, fresh new */
static const char *const new_body = SHARED "fn|helper|helper|static|int (int)" HASHES(
    "b", "b",
    "b") "\n"
	 "fn|work|work|static|int (int, int)" HASHES(
	     "c", "c",
	     "c") "\n"
		  "fn|logline|logline|global|void (void)" HASHES(
		      "d", "5",
		      "d") "\n"
			   "fn|fresh|fresh|global|void (void)" HASHES(
			       "e", "e",
			       "e") "\n"
				    "fn|sizer|sizer|global|int (struct conn *)" HASHES(
					"f", "f",
					"9") "\n"
					     "var|table|table|table|static|-|const int[2]|8|ro" H(
						 "b") "|-\n"
						      "var|counter/"
						      "n|n|n.3|local|counter|int|4|rw|-|-\n"
						      "type|conn|struct|12|fd:int@0/"
						      "32;flags:int@32/32;len:int@64/32\n"
						      "end\n";

/* Parses metadata text ('|' = tab) into b; the concatenation of parts is one section. */
static int parse(struct meta_build *b, const char *p1, const char *p2)
{
	size_t n1 = strlen(p1), n2 = strlen(p2);
	char *buf = malloc(n1 + n2 + 1), err[256];
	if (!buf)
		return -1;
	memcpy(buf, p1, n1);
	memcpy(buf + n1, p2, n2 + 1);
	for (char *c = buf; *c; c++)
		if (*c == '|')
			*c = '\t';
	memset(b, 0, sizeof(*b));
	if (meta_parse(buf, n1 + n2, b, err, sizeof(err))) {
		fprintf(stderr, "meta_parse: %s\n", err);
		return -1;
	}
	return 0;
}

static const struct d_item *find(const struct d_item *v, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].key, key))
			return &v[i];
	return NULL;
}

/* The item `key` of list v has state `st` and exactly the reasons listed ("" = none),
 * comma-separated, in any order. */
static int is(const struct d_item *v, size_t n, const char *key, enum d_state st,
	      const char *reasons)
{
	const struct d_item *it = find(v, n, key);
	size_t want = 0;
	if (!it) {
		fprintf(stderr, "%s: not listed\n", key);
		return 0;
	}
	for (const char *r = reasons; *r; want++) {
		size_t len = strcspn(r, ",");
		int found = 0;
		for (size_t i = 0; i < it->nreasons; i++)
			found |= strlen(it->reasons[i]) == len && !strncmp(it->reasons[i], r, len);
		if (!found)
			fprintf(stderr, "%s: no reason %.*s\n", key, (int)len, r);
		if (!found)
			return 0;
		r += len + (r[len] == ',');
	}
	if (it->state != st || it->nreasons != want)
		fprintf(stderr, "%s: state %d with %zu reasons, wanted %d with %zu\n", key,
			(int)it->state, it->nreasons, (int)st, want);
	return it->state == st && it->nreasons == want;
}

static void test_rules(void)
{
	struct meta_build o, n;
	struct diff_opts opts = {0};
	struct diff d = {0};
	char err[256];
	/* the same tree, built in two directories: units match by key */
	CHECK(parse(&o, HEAD("/src/a", "lib/s.c", "12.2.0", "-O2"), old_body) == 0);
	CHECK(parse(&n, HEAD("/home/b", "/home/b/lib/s.c", "12.2.0", "-O2"), new_body) == 0);
	CHECK(diff_check_compat(&o, &n, &opts, &d, err, sizeof(err)) == 0);
	CHECK(diff_builds(&o, &n, &opts, &d, err, sizeof(err)) == 0);
	CHECK(d.nwarnings == 0);
	CHECK(is(d.fns, d.nfns, "helper", DS_CHANGED, "body"));
	CHECK(is(d.fns, d.nfns, "api", DS_CHANGED, "inlined:helper"));
	CHECK(is(d.fns, d.nfns, "work", DS_CHANGED, "body"));
	CHECK(is(d.fns, d.nfns, "calls_work", DS_CHANGED, "calls-clone:work.constprop.0"));
	CHECK(is(d.fns, d.nfns, "logline", DS_LINE, "line-only"));
	CHECK(!d_is_changed(find(d.fns, d.nfns, "logline")));
	CHECK(is(d.fns, d.nfns, "sizer", DS_CHANGED, "layout:conn"));
	CHECK(is(d.fns, d.nfns, "reader", DS_CHANGED, "const:table"));
	CHECK(is(d.fns, d.nfns, "counter", DS_SAME, ""));
	CHECK(is(d.fns, d.nfns, "gone", DS_REMOVED, ""));
	CHECK(is(d.fns, d.nfns, "fresh", DS_NEW, ""));
	CHECK(d_is_changed(find(d.fns, d.nfns, "gone")) &&
	      d_is_changed(find(d.fns, d.nfns, "fresh")));
	CHECK(is(d.vars, d.nvars, "table", DS_CHANGED, "init"));
	CHECK(is(d.vars, d.nvars, "counter/n", DS_SAME, ""));
	CHECK(is(d.types, d.ntypes, "conn", DS_CHANGED, "size,layout"));
	const struct d_item *h = find(d.fns, d.nfns, "helper");
	CHECK(h && h->unit && !strcmp(h->unit, "s.c") && h->ou == 0 && h->nu == 0);
	diff_free(&d);

	/* a build against itself: nothing changed */
	memset(&d, 0, sizeof(d));
	CHECK(diff_builds(&o, &o, &opts, &d, err, sizeof(err)) == 0);
	for (size_t i = 0; i < d.nfns; i++)
		CHECK(d.fns[i].state == DS_SAME && d.fns[i].nreasons == 0);
	for (size_t i = 0; i < d.nvars; i++)
		CHECK(d.vars[i].state == DS_SAME);
	CHECK(d.ntypes == 0);
	diff_free(&d);
	meta_free(&o);
	meta_free(&n);
}

/* diff_check_compat between OLD (gcc 12.2.0, -O2) and a NEW built otherwise. */
static int compat(const char *new_head, int allow, size_t *nwarnings, char *err, size_t errlen)
{
	struct meta_build o, n;
	struct diff_opts opts = {.allow_option_change = allow};
	struct diff d = {0};
	int rc = -2;
	if (parse(&o, HEAD("/src", "s.c", "12.2.0", "-O2"), old_body) == 0 &&
	    parse(&n, new_head, new_body) == 0) {
		rc = diff_check_compat(&o, &n, &opts, &d, err, errlen);
		*nwarnings = d.nwarnings;
		meta_free(&n);
	}
	meta_free(&o);
	diff_free(&d);
	return rc;
}

static void test_compat(void)
{
	char err[512] = "";
	size_t w = 0;
	CHECK(compat(HEAD("/src", "s.c", "12.3.0", "-O2"), 0, &w, err, sizeof(err)) == -1);
	CHECK(strstr(err, "compiler 12.2.0") && strstr(err, "12.3.0"));
	CHECK(compat(HEAD("/src", "s.c", "12.2.0", "-flto"), 1, &w, err, sizeof(err)) == -1);
	CHECK(strstr(err, "-flto") && strstr(err, "NEW"));
	CHECK(compat(HEAD("/src", "s.c", "12.2.0", "-O3"), 0, &w, err, sizeof(err)) == -1);
	CHECK(strstr(err, "--allow-option-change"));
	CHECK(compat(HEAD("/src", "s.c", "12.2.0", "-O3"), 1, &w, err, sizeof(err)) == 0 && w == 1);
	/* -D and -I show up in the hashes, not in the build's code generation */
	CHECK(compat(HEAD("/src", "s.c", "12.2.0", "-O2\nopt|-DX=1"), 0, &w, err, sizeof(err)) ==
	      0);
	CHECK(w == 0);
}

int main(void)
{
	test_rules();
	test_compat();
	return unit_result("diff");
}
