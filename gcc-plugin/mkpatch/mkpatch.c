/*
 * polus-mkpatch — the patch constructor.
 *
 *   polus-mkpatch --diff [--json] [--line-only] OLD [PATCH...] NEW
 *   polus-mkpatch [--line-only] [--quiet] [--exclude FUNC]... [--include-churn]
 *                 [--layout-ok TYPE]...
 *                 OLD [PATCH...] NEW -o OUT.so
 *   polus-mkpatch --show PATCH.so
 *
 * Both binaries carry the record-mode metadata of their build (.polus.meta, see
 * docs/metadata.md). --diff lists what changed between them; the patch build then
 * recompiles the changed units of NEW in patch mode and links them into OUT.so with
 * its version file (docs/patch-format.md). PATCH...: the patches the process already
 * runs on OLD, in order (a chain): the diff is then taken against the newest patch's
 * release, whose metadata each patch carries.
 *
 * Phases of main: parse_args, load_build (OLD, NEW), chain_load, diff_check_compat,
 * diff_builds, then diff_print_* or patch_build.
 *
 * Exit codes (common/exitcodes.h, the table of every polus tool): 0 ok, 1 usage or input
 * error, 2 incompatible builds or a change the patch cannot carry, 4 internal error (a
 * failing compiler or linker included). 3 (unsafe now) does not occur: nothing runs.
 */
#include "cli.h"
#include "diff.h"
#include "diff_out.h"
#include "elffile.h"
#include "formats.h"
#include "exitcodes.h"
#include "meta.h"
#include "mkpatch_chain.h"
#include "mkpatch_patch.h"
#include "mkpatch_util.h"
#include "version.h"
#include "versionfile.h"
#include "warnlog.h"
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define TOOL "polus-mkpatch"

struct args {
	int diff, json, line_only, allow_option_change, quiet, strict;
	const char *old, *new, *out, *show, *store, *sync_dir;
	char store_out[4096]; /* --store: where the patch goes */
	char store_name[256]; /* and its name */
	char **chain;	      /* patches between OLD and NEW, in the order they were applied */
	size_t nchain;
	char **exclude; /* --exclude patterns */
	size_t nexclude, capexclude;
	char **layout_ok; /* --layout-ok patterns */
	size_t nlayout_ok, caplayout_ok;
	int include_churn;
};

static void usage(FILE *f)
{
	fputs("usage: polus-mkpatch --diff [--json] [--line-only] [--allow-option-change] OLD "
	      "[PATCH...] NEW\n"
	      "       polus-mkpatch [--line-only] [--allow-option-change] [--quiet] [--strict] "
	      "[--exclude "
	      "FUNC]...\n"
	      "                     [--include-churn] [--layout-ok TYPE]... OLD [PATCH...] NEW "
	      "-o OUT.so\n"
	      "       polus-mkpatch --show PATCH.so\n"
	      "       polus-mkpatch --version\n"
	      "\n"
	      "OLD and NEW are binaries built with the polus plugin (-fplugin=polus.so).\n"
	      "PATCH...: patches the process already runs on OLD, in the order applied: the\n"
	      "new patch is built against OLD plus those (a chain).\n"
	      "  --diff                 list the functions, variables and types that changed\n"
	      "  --json                 print the listing as one JSON object (or the error)\n"
	      "  --line-only            treat changes of __LINE__ values only as real changes\n"
	      "  --allow-option-change  accept builds whose code-generation options differ\n"
	      "  -o PATCH.so            build the patch (and PATCH.yaml beside it)\n"
	      "  --store DIR            build it into the patch store DIR instead, as\n"
	      "                         DIR/OLD-BUILD-ID/NN-NAME.so (NN: its place in the\n"
	      "                         chain; NAME: -o's file name, else NEW's and its\n"
	      "                         build-id); docs/patch-store.md\n"
	      "  --quiet                no progress lines\n"
	      "  --exclude FUNC         leave FUNC out of the patch on purpose (it keeps running\n"
	      "                         the old code); repeatable; FUNC may be a glob ('log_*')\n"
	      "  --include-churn        keep functions that never return (main, usage...) and\n"
	      "                         changed only through strings or constants (a version\n"
	      "                         string); by default they are left out with a warning\n"
	      "  --layout-ok TYPE       TYPE changed layout, but no object of it exists in the\n"
	      "                         running process yet: patch code may use the new layout\n"
	      "                         (else refused); repeatable; TYPE may be a glob\n"
	      "  --sync-dir DIR         where the sync, check and recover code of variables\n"
	      "                         whose type changed goes (default: sync/ beside OUT.so);\n"
	      "                         a file there that you edited is kept\n"
	      "  --strict               a changed function the patch cannot show live (not\n"
	      "                         redirected, e.g. its signature changed) is an error\n"
	      "  --show PATCH.so        check and print the version file embedded in a patch\n"
	      "  --version              polus's version, its formats, the GCC of its plugin\n"
	      "environment: POLUS_PLUGIN (polus.so to use; default: next to this program),\n"
	      "  POLUS_JOBS (compilers at once; default: one per CPU), POLUS_KEEP_TMP (keep the\n"
	      "  plans and objects of a patch build)\n" PX_HELP_TEXT,
	      f);
}

/* One line for an option getopt refused (it prints nothing: opterr = 0). `c` is ':' for
 * a missing argument, '?' otherwise; the offending word is argv[optind - 1] for a long
 * option, optopt for a short one. */
static void bad_option(int c, char **argv, int json)
{
	const char *w = argv[optind - 1];
	int lw = !strncmp(w, "--", 2);
	int len = lw ? (int)strcspn(w, "=") : 0;
	char m[512];
	if (c == ':' && lw)
		snprintf(m, sizeof(m), "option %.*s needs an argument", len, w);
	else if (c == ':')
		snprintf(m, sizeof(m), "option -%c needs an argument", optopt);
	else if (lw && optopt && w[len] == '=')
		snprintf(m, sizeof(m), "option %.*s takes no argument", len, w);
	else if (lw && !optopt)
		snprintf(m, sizeof(m), "unknown option %.*s", len, w);
	else if (optopt > ' ' && optopt < 127)
		snprintf(m, sizeof(m), "unknown option -%c", optopt);
	else
		snprintf(m, sizeof(m), "unknown option %s", w);
	cli_fail(TOOL, json, PX_INPUT, "%s (see --help)", m);
}

/* A usage error of parse_args: one line (and the JSON error with --json); -1. */
static int usage_err(const struct args *a, const char *m)
{
	cli_fail(TOOL, a->json, PX_INPUT, "%s", m);
	return -1;
}

static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option longopts[] = {
	    {"diff", no_argument, NULL, 'd'},
	    {"json", no_argument, NULL, 'j'},
	    {"line-only", no_argument, NULL, 'l'},
	    {"allow-option-change", no_argument, NULL, 'a'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"strict", no_argument, NULL, 'S'},
	    {"output", required_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'},
	    {"show", required_argument, NULL, 's'},
	    {"exclude", required_argument, NULL, 'x'},
	    {"include-churn", no_argument, NULL, 'c'},
	    {"layout-ok", required_argument, NULL, 'L'},
	    {"store", required_argument, NULL, 'T'},
	    {"version", no_argument, NULL, 'V'},
	    {"sync-dir", required_argument, NULL, 'Y'},
	    {0, 0, 0, 0},
	};
	int c;
	memset(a, 0, sizeof(*a));
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			a->diff = 1;
			break;
		case 'j':
			a->json = 1;
			break;
		case 'l':
			a->line_only = 1;
			break;
		case 'a':
			a->allow_option_change = 1;
			break;
		case 'q':
			a->quiet = 1;
			break;
		case 'S':
			a->strict = 1;
			break;
		case 'o':
			a->out = optarg;
			break;
		case 's':
			a->show = optarg;
			break;
		case 'x':
			VEC_PUSH(a->exclude, a->nexclude, a->capexclude, optarg);
			break;
		case 'c':
			a->include_churn = 1;
			break;
		case 'L':
			VEC_PUSH(a->layout_ok, a->nlayout_ok, a->caplayout_ok, optarg);
			break;
		case 'T':
			a->store = optarg;
			break;
		case 'Y':
			a->sync_dir = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			px_version_print(stdout, TOOL);
			exit(0);
		default:
			bad_option(c, argv, a->json);
			return -1;
		}
	}
	if (a->show) {
		if (argc != optind || a->diff || a->out)
			return usage_err(a, "--show takes one patch and nothing else");
		return 0;
	}
	if (argc - optind < 2)
		return usage_err(a, "expected two binaries OLD NEW (see --help)");
	a->old = argv[optind];
	a->new = argv[argc - 1];
	a->chain = argv + optind + 1;
	a->nchain = (size_t)(argc - optind - 2);
	if (a->diff && a->out)
		return usage_err(a, "--diff and -o exclude each other");
	if (a->diff && a->store)
		return usage_err(a, "--diff and --store exclude each other");
	if (!a->diff && !a->out && !a->store)
		return usage_err(a, "give --diff or -o PATCH.so (see --help)");
	if (a->json && !a->diff)
		return usage_err(a, "--json goes with --diff");
	return 0;
}

/* Reads a binary's metadata; -1 + message when it cannot. */
static int load_build(const char *path, struct meta_build *b, char *err, size_t errlen)
{
	struct ef_file ei;
	char *buf;
	size_t len;
	char sub[512];
	int r;
	if (ef_open_path(&ei, path, err, errlen))
		return -1;
	r = ef_section_copy(&ei, POLUS_META_SECTION, &buf, &len, err, errlen);
	ef_close(&ei);
	if (r && r != -ENOENT)
		return -1;
	if (r == -ENOENT)
		return msg(err, errlen,
			   "%s: built without the plugin (no " POLUS_META_SECTION
			   " section): rebuild with "
			   "CFLAGS+=-fplugin=.../polus.so",
			   path);
	if (meta_parse(buf, len, b, sub, sizeof(sub))) {
		meta_free(b);
		return msg(err, errlen, "%s: %s", path, sub);
	}
	return 0;
}

/* --show: the embedded version file, parsed by versionfiles and emitted again. */
static int show_patch(const char *path)
{
	struct ef_file ei;
	struct vf_patch vf;
	char err[1024], *buf = NULL, *text = NULL;
	size_t len, tlen;
	int r, rc = PX_INPUT;
	if (ef_open_path(&ei, path, err, sizeof(err))) {
		fprintf(stderr, "polus-mkpatch: %s\n", err);
		return PX_INPUT;
	}
	r = ef_section_copy(&ei, POLUS_VERSION_SECTION, &buf, &len, err, sizeof(err));
	ef_close(&ei);
	if (r) {
		if (r == -ENOENT)
			snprintf(err, sizeof(err),
				 "%s: no " POLUS_VERSION_SECTION " section: not a polus patch",
				 path);
		fprintf(stderr, "polus-mkpatch: %s\n", err);
		return PX_INPUT;
	}
	if (vf_parse(buf, len, &vf, err, sizeof(err))) {
		fprintf(stderr, "polus-mkpatch: %s: %s\n", path, err);
		free(buf);
		return PX_INPUT;
	}
	if (vf_emit(&vf, &text, &tlen, err, sizeof(err))) {
		fprintf(stderr, "polus-mkpatch: %s: %s\n", path, err);
		rc = PX_INTERNAL;
	} else {
		fwrite(text, 1, tlen, stdout);
		rc = fflush(stdout) ? PX_INPUT : 0;
	}
	free(text);
	free(buf);
	vf_free(&vf);
	return rc;
}

/* OLD's build-id, for checking that a chain's patches belong to OLD. */
static int base_build_id(const char *path, char *hex, size_t hexlen, char *err, size_t errlen)
{
	struct ef_file ei;
	int r;
	if (ef_open_path(&ei, path, err, errlen))
		return -1;
	r = ef_build_id(&ei, hex, hexlen, err, errlen);
	ef_close(&ei);
	return r;
}

/*
 * --store DIR: the patch's path in the store (versionfiles/formats.h), its folder made.
 * The name: -o's file name without .so, else NEW's file name and its build-id's start.
 */
static int store_path(struct args *a, char *err, size_t errlen)
{
	char old_id[130], new_id[130], *name = a->store_name, *slash;
	const char *from = a->out ? a->out : a->new;
	if (base_build_id(a->old, old_id, sizeof(old_id), err, errlen) ||
	    base_build_id(a->new, new_id, sizeof(new_id), err, errlen))
		return -1;
	slash = strrchr(from, '/');
	size_t cap = sizeof(a->store_name);
	snprintf(name, cap, "%s", slash ? slash + 1 : from);
	if (a->out && strlen(name) > 3 && strcmp(name + strlen(name) - 3, ".so") == 0)
		name[strlen(name) - 3] = 0;
	else if (!a->out)
		snprintf(name + strlen(name), cap - strlen(name), "-%.8s", new_id);
	snprintf(a->store_out, sizeof(a->store_out), "%s/%s", a->store, old_id);
	if (mkdir(a->store, 0755) && errno != EEXIST)
		return msg(err, errlen, "%s: %s", a->store, strerror(errno));
	if (mkdir(a->store_out, 0755) && errno != EEXIST)
		return msg(err, errlen, "%s: %s", a->store_out, strerror(errno));
	snprintf(a->store_out, sizeof(a->store_out), POLUS_STORE_PATH_FMT, a->store, old_id,
		 a->nchain + 1, name);
	a->out = a->store_out;
	return 0;
}

int main(int argc, char **argv)
{
	struct args a;
	struct meta_build base = {0}, nb = {0};
	const struct meta_build *ob = &base;
	const struct meta_build **extra = NULL;
	struct chain ch = {0};
	struct diff d = {0};
	struct diff_opts dopts = {0};
	char err[1024], id[130];
	int rc = 0;

	if (parse_args(argc, argv, &a))
		return PX_INPUT;
	if (a.show)
		return show_patch(a.show);
	if (a.store && store_path(&a, err, sizeof(err))) {
		fprintf(stderr, "polus-mkpatch: %s\n", err);
		return PX_INPUT;
	}
	dopts.line_only = a.line_only;
	dopts.allow_option_change = a.allow_option_change;

	if (load_build(a.old, &base, err, sizeof(err)) ||
	    load_build(a.new, &nb, err, sizeof(err))) {
		rc = cli_fail(TOOL, a.json, PX_INPUT, "%s", err);
		goto out;
	}
	if (a.nchain) {
		/* the running code is the newest patch's release where it replaced OLD's:
		 * diff against that release, and let OLD's (and earlier patches') inline facts
		 * spread changes too, since their code still runs */
		if (base_build_id(a.old, id, sizeof(id), err, sizeof(err)) ||
		    chain_load(&ch, a.chain, a.nchain, a.old, id, err, sizeof(err))) {
			rc = cli_fail(TOOL, a.json, PX_INPUT, "%s", err);
			goto out;
		}
		ob = &ch.p[ch.n - 1].meta;
		extra = xcalloc(ch.n, sizeof(*extra));
		extra[0] = &base;
		for (size_t i = 0; i + 1 < ch.n; i++)
			extra[i + 1] = &ch.p[i].meta;
		dopts.extra_facts = extra;
		dopts.nextra_facts = ch.n;
	}
	if (diff_check_compat(ob, &nb, &dopts, &d, err, sizeof(err))) {
		rc = cli_fail(TOOL, a.json, PX_NOTAPPLY, "%s", err);
		goto out;
	}
	if (diff_builds(ob, &nb, &dopts, &d, err, sizeof(err))) {
		rc = cli_fail(TOOL, a.json, PX_INTERNAL, "%s", err);
		goto out;
	}
	for (size_t i = 0; i < d.nwarnings; i++)
		wl_warn(TOOL, "%s", d.warnings[i]);
	if (a.diff) {
		if (a.json)
			diff_print_json(stdout, &d);
		else
			diff_print_text(stdout, &d);
		if (fflush(stdout)) {
			fputs("polus-mkpatch: cannot write the listing\n", stderr);
			rc = PX_INPUT;
		}
		goto out;
	}
	{
		struct patch_opts po = {
		    .old_path = a.old,
		    .new_path = a.new,
		    .out = a.out,
		    .name = a.store ? a.store_name : NULL,
		    .line_only = a.line_only,
		    .quiet = a.quiet,
		    .strict = a.strict,
		    .base = &base,
		    .self = argv[0],
		    .chain = &ch,
		    .exclude = a.exclude,
		    .nexclude = a.nexclude,
		    .layout_ok = a.layout_ok,
		    .nlayout_ok = a.nlayout_ok,
		    .include_churn = a.include_churn,
		    .sync_dir = a.sync_dir,
		};
		rc = patch_build(&po, ob, &nb, &d);
	}
out:
	diff_free(&d);
	free(a.exclude);
	free(a.layout_ok);
	free(extra);
	chain_free(&ch);
	meta_free(&base);
	meta_free(&nb);
	return rc;
}
