/*
 * track-table — the store table of write tracking (gcc-plugin/mkpatch/mkpatch_track) on
 * any binary, for the tests: prints it as text and writes it in the runtime's format.
 *   track-table BINARY VAR[,VAR...] [-w FN]... [-s FN]... [-a] [-o TABLE]
 *   track-table BINARY record:KEY     (BINARY's own record names the writers of KEY)
 * -w FN: a writer of VAR (every store through a register counts, TRK_F_EXACT or not);
 * -s FN: scanned for RIP-relative stores only; -a: every function of BINARY, as -s.
 * VAR and FN are symbol names (NAME@FILE for a static of unit FILE). One line per entry:
 *   OFF OP SIZE FLAGS SRC BASE INDEX SCALE DISP IMM EA
 * (FLAGS: l lock, i imm, e exact, n noflags; EA: the offset stored to, when exact, else -)
 * then "unsupported N", "addr-taken N". Exit 0, or 1 with a message.
 */
#include "mkpatch_track.h"
#include "formats.h"
#include "mkpatch_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct ef_sym *lookup(struct ef_file *f, char *spec)
{
	char *at = strchr(spec, '@');
	if (at)
		*at++ = 0;
	const struct ef_sym *s = ef_find(f, spec, at, at != NULL);
	return s == &ef_ambiguous ? NULL : s;
}

static void print_table(const struct trk_table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct trk_entry *e = &t->e[i];
		printf("0x%llx %s %u %s%s%s%s %d %d %d %u %d %lld ", (unsigned long long)e->off,
		       trk_op_name(e->op), e->size, e->flags & TRK_F_LOCK ? "l" : "",
		       e->flags & TRK_F_IMM ? "i" : "", e->flags & TRK_F_EXACT ? "e" : "",
		       e->flags & TRK_F_NOFLAGS ? "n" : "-", e->src == TRK_REG_NONE ? -1 : e->src,
		       e->base == TRK_REG_NONE ? -1 : e->base,
		       e->index == TRK_REG_NONE ? -1 : e->index, e->scale, e->disp,
		       (long long)e->imm);
		if (e->flags & TRK_F_EXACT)
			printf("0x%llx\n",
			       (unsigned long long)(e->off + e->len + (int64_t)e->disp));
		else
			printf("-\n");
	}
	printf("unsupported %zu\naddr-taken %zu\n", t->unsupported, t->addr_taken);
}

static int write_table(struct trk_table *t, const char *path)
{
	uint8_t *buf;
	size_t len;
	FILE *o;
	if (trk_encode(t, &buf, &len) < 0 || !(o = fopen(path, "wb")))
		return -1;
	int ok = fwrite(buf, 1, len, o) == len;
	free(buf);
	return fclose(o) == 0 && ok ? 0 : -1;
}

/* record:KEY: the table mkpatch builds from BINARY's own record for variable KEY. */
static int scan_record(struct ef_file *f, const char *key, struct trk_table *t, char *err,
		       size_t errlen)
{
	char *buf;
	size_t len;
	struct meta_build b = {0};
	struct trk_range pages;
	if (ef_section_copy(f, POLUS_META_SECTION, &buf, &len, err, errlen) < 0 ||
	    meta_parse(buf, len, &b, err, errlen) < 0)
		return -1;
	size_t u = 0;
	for (; u < b.nunits; u++)
		for (size_t i = 0; i < b.units[u].nvars; i++)
			if (!strcmp(b.units[u].vars[i].key, key))
				goto found;
found:;
	int rc = trk_scan_var(f, &b, u, key, &pages, t, err, errlen);
	meta_free(&b);
	return rc;
}

int main(int argc, char **argv)
{
	char err[512] = "", *out = NULL;
	struct ef_file f;
	struct trk_table t = {0};
	struct trk_range r[16];
	size_t nr = 0;
	if (argc < 3 || ef_open_path(&f, argv[1], err, sizeof(err)) < 0 ||
	    ef_load_symbols(&f, err, sizeof(err)) < 0) {
		fprintf(stderr, "track-table: %s\n", *err ? err : "usage: BINARY VAR[,VAR] ...");
		return 1;
	}
	if (!strncmp(argv[2], "record:", 7)) {
		int rc = scan_record(&f, argv[2] + 7, &t, err, sizeof(err));
		uint8_t *buf;
		size_t len;
		if (rc == 0 && trk_encode(&t, &buf, &len) == 0) { /* sorted, one per instruction */
			print_table(&t);
			free(buf);
		} else
			fprintf(stderr, "track-table: %s\n", err);
		trk_free(&t);
		ef_close(&f);
		return rc < 0;
	}
	for (char *v = strtok(argv[2], ","); v && nr < 16; v = strtok(NULL, ",")) {
		const struct ef_sym *s = lookup(&f, v);
		if (!s) {
			fprintf(stderr, "track-table: variable %s not found\n", v);
			return 1;
		}
		r[nr++] = (struct trk_range){s->value, s->value + s->size};
	}
	int opt, rc = 0;
	optind = 3;
	while (rc == 0 && (opt = getopt(argc, argv, "w:s:ao:")) != -1) {
		if (opt == 'o')
			out = optarg;
		else if (opt == 'a')
			rc = trk_scan_all(&f, r, nr, &t, err, sizeof(err));
		else if (opt == 'w' || opt == 's') {
			char *at = strchr(optarg, '@');
			if (at)
				*at++ = 0;
			rc = trk_scan_fn(&f, optarg, at, r, nr, opt == 'w', &t, err, sizeof(err));
		} else
			return 1;
	}
	if (rc == 0 && out && write_table(&t, out) < 0)
		snprintf(err, sizeof(err), "cannot write %s", out), rc = -1;
	if (rc < 0) {
		fprintf(stderr, "track-table: %s\n", err);
		return 1;
	}
	if (!out)
		print_table(&t);
	trk_free(&t);
	ef_close(&f);
	return 0;
}
