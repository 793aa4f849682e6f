/*
 * mkpatch_patch — the patch build (polus-mkpatch OLD [PATCH...] NEW -o OUT.so).
 *
 * Phases: report_diff, make_plans (mkpatch_plan), compile_units (each planned unit of
 * NEW recompiled from its recorded driver/cwd/src/opt in patch mode, one compiler per
 * CPU; a unit patch mode finds drifted since NEW was built is settled by recheck_drift),
 * link_patch (<driver> -shared -nostartfiles; a kept global that another patch
 * unit calls by name gets a --defsym alias to its SYMBOL), write_version_file (symbols
 * of the linked patch and of OLD into docs/patch-format.md's YAML), embed_and_publish
 * (objcopy the YAML and NEW's records of the recompiled units, stubs for the rest, into
 * the .so for a later link of a chain, then rename both outputs into place). Everything
 * is built under temporary names so an error leaves no partial OUT.so behind.
 */
#include "mkpatch_patch.h"
#include "beside.h"
#include "elffile.h"
#include "formats.h"
#include "exitcodes.h"
#include "mkpatch_data.h"
#include "mkpatch_ifunc.h"
#include "mkpatch_plan.h"
#include "mkpatch_release.h"
#include "mkpatch_run.h"
#include "mkpatch_util.h"
#include "proof.h"
#include "seal.h"
#include "site_rules.h"
#include "versionfile.h"
#include "warnlog.h"
#include "code-env.h"
#include <errno.h>
#include <gelf.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct pb {
	const struct patch_opts *po;
	const struct meta_build *ob, *nb;
	const struct diff *d;
	struct ef_file old, new; /* new: for the churn check */
	struct plan plan;
	struct proof proof;
	struct data_build db; /* the sync/ folder */
	char build_id[130];
	char *tmpdir;
	char *plugin, *plugin_base;
	char *tmp_so, *tmp_yaml, *out_yaml;
	char err[1024];
};

#define NSTEPS 4

/* One progress line for step `step` of NSTEPS (0: no step number). */
static void progress(struct pb *b, int step, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void progress(struct pb *b, int step, const char *fmt, ...)
{
	va_list ap;
	if (b->po->quiet)
		return;
	va_start(ap, fmt);
	if (step)
		printf("[%d/%d] ", step, NSTEPS);
	vprintf(fmt, ap);
	putchar('\n');
	fflush(stdout);
	va_end(ap);
}

/* FILE next to this binary (beside.h), malloc'd, or NULL. */
static char *beside_me(const char *file)
{
	char p[PATH_MAX];
	return px_beside_me(file, p, sizeof(p)) == 0 ? xstrdup(p) : NULL;
}

/* polus.so: $POLUS_PLUGIN, else next to this binary (beside_me). */
static int find_plugin(struct pb *b)
{
	const char *env = getenv("POLUS_PLUGIN");
	if (env && *env) {
		if (access(env, R_OK))
			return msg(b->err, sizeof(b->err), "POLUS_PLUGIN=%s: %m", env);
		b->plugin = xstrdup(env);
		return 0;
	}
	if ((b->plugin = beside_me("polus.so")))
		return 0;
	return msg(b->err, sizeof(b->err),
		   "polus.so not found next to polus-mkpatch (%s): set POLUS_PLUGIN", b->po->self);
}

static size_t count_fns(const struct diff *d, enum d_state s)
{
	size_t n = 0;
	for (size_t i = 0; i < d->nfns; i++)
		n += d->fns[i].state == s;
	return n;
}

static int report_diff(struct pb *b)
{
	size_t ch = count_fns(b->d, DS_CHANGED), nw = count_fns(b->d, DS_NEW),
	       ln = count_fns(b->d, DS_LINE);
	if (b->po->line_only)
		progress(b, 1, "diff: %zu function%s changed, %zu new, %zu line-only included", ch,
			 ch == 1 ? "" : "s", nw, ln);
	else
		progress(b, 1, "diff: %zu function%s changed, %zu new (%zu line-only left out%s)",
			 ch, ch == 1 ? "" : "s", nw, ln, ln ? ": --line-only includes them" : "");
	return 0;
}

static int make_plans(struct pb *b)
{
	int r;
	if (ef_load_symbols(&b->old, b->err, sizeof(b->err)) ||
	    ef_build_id(&b->old, b->build_id, sizeof(b->build_id), b->err, sizeof(b->err)))
		return PX_INPUT;
	if (b->old.stripped)
		return msg(b->err, sizeof(b->err),
			   "%s has no .symtab (stripped): build the patch against the unstripped "
			   "binary of that release",
			   b->po->old_path),
		       PX_INPUT;
	struct plan_opts o = {.line_only = b->po->line_only,
			      .exclude = b->po->exclude,
			      .nexclude = b->po->nexclude,
			      .layout_ok = b->po->layout_ok,
			      .nlayout_ok = b->po->nlayout_ok,
			      .include_churn = b->po->include_churn};
	if (!ef_open_path(&b->new, b->po->new_path, b->err, sizeof(b->err)) &&
	    !ef_load_symbols(&b->new, b->err, sizeof(b->err)) && !b->new.stripped)
		o.new = &b->new; /* else no churn check: every changed function goes in */
	r = plan_make(&b->plan, b->ob, b->nb, b->d, &b->old, b->po->chain, &o, b->err,
		      sizeof(b->err));
	if (r == -2) {
		/* one refusal is its own error line; several are listed, then counted */
		if (b->plan.nrefusals == 1)
			return msg(b->err, sizeof(b->err), "%s", b->plan.refusals[0]), PX_NOTAPPLY;
		for (size_t i = 0; i < b->plan.nrefusals; i++)
			fprintf(stderr, "polus-mkpatch: %s\n", b->plan.refusals[i]);
		return PX_NOTAPPLY;
	}
	if (r)
		return PX_INPUT;
	for (size_t i = 0; i < b->plan.nunits; i++) {
		const struct meta_unit *u = b->plan.units[i].u;
		if (access(u->abs_src, R_OK))
			return msg(b->err, sizeof(b->err),
				   "%s: NEW's source %s is gone (%m): the patch is recompiled from "
				   "NEW's build tree",
				   u->key, u->abs_src),
			       PX_INPUT;
	}
	if (!b->plan.nkeeps) {
		for (size_t i = 0; i < b->plan.nwarnings && b->plan.nleft_out; i++)
			wl_warn("polus-mkpatch", "%s", b->plan.warnings[i]);
		if (b->plan.nleft_out)
			msg(b->err, sizeof(b->err),
			    "nothing to patch: every changed function is left out (warnings "
			    "above)");
		else
			msg(b->err, sizeof(b->err), "nothing to patch: no function changed%s",
			    b->plan.nline_left_out ? " (only __LINE__ values: pass --line-only)"
						   : "");
		return PX_INPUT;
	}
	for (size_t i = 0; i < b->plan.nwarnings; i++)
		wl_warn("polus-mkpatch", "%s", b->plan.warnings[i]);
	for (size_t i = 0; i < b->plan.nunits; i++) {
		struct plan_unit *pu = &b->plan.units[i];
		pu->plan_path = xasprintf("%s/unit%zu.plan", b->tmpdir, i);
		pu->obj_path = xasprintf("%s/unit%zu.o", b->tmpdir, i);
		pu->log_path = xasprintf("%s/unit%zu.log", b->tmpdir, i);
		pu->rec_path = xasprintf("%s/unit%zu.rec.o", b->tmpdir, i);
		if (plan_write(&b->plan, pu, pu->plan_path, b->err, sizeof(b->err)))
			return PX_INTERNAL;
	}
	progress(b, 2, "plan: %zu unit%s to recompile, %zu function%s kept, %zu bind%s",
		 b->plan.nunits, b->plan.nunits == 1 ? "" : "s", b->plan.nkeeps,
		 b->plan.nkeeps == 1 ? "" : "s", b->plan.nbinds, b->plan.nbinds == 1 ? "" : "s");
	return 0;
}

/* The completeness proof (proof.h) of the plan: how each changed function goes live,
 * or why that cannot be shown (PX_NOTAPPLY). */
static int prove(struct pb *b)
{
	size_t nerr =
	    proof_check(&b->proof, b->d, &b->plan, b->po->base, b->po->chain, b->po->line_only);
	for (size_t i = 0; i < b->proof.nwarnings; i++)
		if (b->po->strict)
			fprintf(stderr, "polus-mkpatch: error: %s\n", b->proof.warnings[i]);
		else
			wl_warn("polus-mkpatch", "%s", b->proof.warnings[i]);
	if (b->po->strict)
		nerr += b->proof.nwarnings;
	for (size_t i = 0; i + 1 < b->proof.nerrors; i++)
		fprintf(stderr, "polus-mkpatch: %s\n", b->proof.errors[i]);
	if (nerr) {
		if (b->proof.nerrors)
			msg(b->err, sizeof(b->err), "%s", b->proof.errors[b->proof.nerrors - 1]);
		else
			msg(b->err, sizeof(b->err), "%zu function%s not live (--strict)",
			    b->proof.nwarnings, b->proof.nwarnings == 1 ? "" : "s");
		return PX_NOTAPPLY;
	}
	progress(b, 2, "live: %zu changed function%s of OLD", b->proof.n,
		 b->proof.n == 1 ? "" : "s");
	for (size_t i = 0; i < b->proof.n; i++)
		progress(b, 0, "  %s: %s", b->proof.v[i].name, b->proof.v[i].how);
	return 0;
}

/* The refusals of the sync/ folder, one line each, then their count (PX_NOTAPPLY). */
static int data_refused(struct pb *b)
{
	size_t n = b->db.nrefusals;
	for (size_t i = 0; i + 1 < n; i++)
		fprintf(stderr, "polus-mkpatch: %s\n", b->db.refusals[i]);
	if (n == 1)
		msg(b->err, sizeof(b->err), "%s", b->db.refusals[0]);
	else
		msg(b->err, sizeof(b->err), "%s\npolus-mkpatch: %zu unsupported changes",
		    b->db.refusals[n - 1], n);
	return PX_NOTAPPLY;
}

/* sync/ beside OUT.so (or --sync-dir): one sync file per variable in coexistence. */
static int make_sync(struct pb *b)
{
	char *dir, *header = NULL;
	int rc = 0;
	if (b->po->sync_dir) {
		dir = xstrdup(b->po->sync_dir);
	} else {
		char *copy = xstrdup(b->po->out);
		const char *d = dirname(copy);
		dir = strcmp(d, ".") ? xasprintf("%s/sync", d) : xstrdup("sync");
		free(copy);
	}
	if (b->plan.ncoexist && !(header = beside_me("polus_recover.h"))) {
		msg(b->err, sizeof(b->err), "polus_recover.h not found next to polus-mkpatch");
		rc = PX_INTERNAL;
	}
	if (!rc &&
	    data_generate(&b->db, &b->plan, b->ob, b->nb, dir, header, b->err, sizeof(b->err)))
		rc = PX_INTERNAL;
	free(header);
	free(dir);
	for (size_t i = 0; !rc && i < b->plan.ncoexist; i++)
		progress(b, 2, "sync: %s%s", b->db.res[i].covers,
			 b->db.res[i].kept ? " (your file, kept)" : "");
	return rc;
}

static int compile_sync(struct pb *b)
{
	const char *driver = b->plan.units[0].u->driver;
	if (data_compile(&b->db, driver, b->tmpdir, b->err, sizeof(b->err)) ||
	    data_track(&b->db, &b->plan, &b->old, b->ob, driver, b->tmpdir, b->err, sizeof(b->err)))
		return PX_INTERNAL;
	if (b->db.track_note)
		progress(b, 2, "no write tracking (polus-apply will wait for old writers): %s",
			 b->db.track_note);
	return b->db.nrefusals ? data_refused(b) : 0;
}

/* Recorded options minus output, dependency and record-mode plugin options, and, in
 * patch mode (not `record`), PIC/PIE options (the patch sets its own). */
static int drop_option(const char *o, int *skip_next, int record)
{
	static const char *const with_arg[] = {
	    "-o",	 "-MF",		  "-MT",      "-MQ",	       "-dumpdir",
	    "-dumpbase", "-dumpbase-ext", "-auxbase", "-auxbase-strip"};
	static const char *const exact[] = {"-c", "-S", "-E", "-pipe"};
	static const char *const pic[] = {"-fpic",    "-fPIC",	  "-fpie",    "-fPIE",
					  "-fno-pic", "-fno-PIC", "-fno-pie", "-fno-PIE"};
	*skip_next = 0;
	for (size_t i = 0; i < sizeof(with_arg) / sizeof(with_arg[0]); i++)
		if (!strcmp(o, with_arg[i])) {
			*skip_next = 1;
			return 1;
		}
	for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
		if (!strcmp(o, exact[i]))
			return 1;
	for (size_t i = 0; i < sizeof(pic) / sizeof(pic[0]) && !record; i++)
		if (!strcmp(o, pic[i]))
			return 1;
	if (!strncmp(o, "-fplugin=", 9)) {
		/* record mode's own plugin goes; any other plugin of the build stays */
		const char *base = strrchr(o + 9, '/');
		base = base ? base + 1 : o + 9;
		return !strncmp(base, "polus.", 6) || !strcmp(base, "polus");
	}
	/* -save-temps would write into NEW's tree */
	return !strncmp(o, "-M", 2) || !strncmp(o, "-save-temps", 11) ||
	       !strncmp(o, "-fplugin-arg-polus-", 19) || !strncmp(o, "-o", 2);
}

/* Whether cc1 option `o` writes a dependency file; *arg: it takes the next word too. */
static int cc1_dep_option(const char *o, int *arg)
{
	*arg = !strcmp(o, "-MD") || !strcmp(o, "-MMD") || !strcmp(o, "-MF") || !strcmp(o, "-MT") ||
	       !strcmp(o, "-MQ");
	return !strncmp(o, "-M", 2);
}

/* -Wp,A,B,... without its dependency-file words (the kernel's -Wp,-MMD,dep.d would
 * write into NEW's tree); NULL when none is left. */
static char *wp_without_deps(const char *o)
{
	char *copy = xstrdup(o + 4), *save = NULL, *w;
	char *out = xstrdup("-Wp");
	int skip = 0, arg;
	for (w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		if (skip || cc1_dep_option(w, &arg)) {
			skip = skip ? 0 : arg;
			continue;
		}
		char *longer = xasprintf("%s,%s", out, w);
		free(out);
		out = longer;
	}
	free(copy);
	if (!strcmp(out, "-Wp")) {
		free(out);
		return NULL;
	}
	return out;
}

/* Appends the recorded options to `a`, as the patch or record compile needs them. */
static void add_recorded_options(const struct meta_unit *u, int record, struct argv_buf *a)
{
	int skip = 0, pp_skip = 0, arg;
	for (size_t k = 0; k < u->nopts; k++) {
		const char *o = u->opts[k];
		if (skip) {
			skip = 0;
			continue;
		}
		if (!strncmp(o, "-Wp,", 4)) {
			char *w = wp_without_deps(o);
			if (w)
				argv_add(a, w);
			free(w);
			continue;
		}
		if (!strcmp(o, "-Xpreprocessor") && k + 1 < u->nopts) {
			/* a dependency option and its argument come as two pairs */
			const char *x = u->opts[++k];
			if (pp_skip || cc1_dep_option(x, &arg)) {
				pp_skip = pp_skip ? 0 : arg;
				continue;
			}
			argv_add(a, o);
			argv_add(a, x);
			continue;
		}
		if (!drop_option(o, &skip, record))
			argv_add(a, o);
	}
}

/* The environment of a unit's compile: ours, with the code-changing variables as NEW's
 * build had them (set or unset) when its record says (`optsrc`), and never a
 * dependency-file variable. */
static void unit_environment(const struct meta_unit *u, struct argv_buf *e)
{
	static const char *const code[] = {POLUS_CODE_ENV}, *const dep[] = {POLUS_DEPFILE_ENV};
	for (char **p = environ; *p; p++) {
		size_t n = strcspn(*p, "=");
		int drop = 0;
		for (size_t i = 0; i < sizeof(dep) / sizeof(dep[0]); i++)
			drop |= strlen(dep[i]) == n && !strncmp(*p, dep[i], n);
		for (size_t i = 0; i < sizeof(code) / sizeof(code[0]) && u->optsrc; i++)
			drop |= strlen(code[i]) == n && !strncmp(*p, code[i], n);
		if (!drop)
			argv_add(e, *p);
	}
	for (size_t i = 0; i < u->nenvs; i++) {
		/* an empty value is recorded as `-` */
		char *kv =
		    xasprintf("%s=%s", u->envs[i].a, strcmp(u->envs[i].b, "-") ? u->envs[i].b : "");
		argv_add(e, kv);
		free(kv);
	}
}

/* Where the record compile of a unit lists the files it read. */
static char *dep_path(const struct plan_unit *pu)
{
	return xasprintf("%s.d", pu->rec_path);
}

/* The unit's recorded compile in patch mode into obj_path, or with `record` in record
 * mode (as NEW was built) into rec_path, the files it read listed in dep_path(). */
static void compile_argv(struct pb *b, const struct plan_unit *pu, int record, struct argv_buf *a)
{
	const struct meta_unit *u = pu->u;
	char *arg;
	argv_add(a, u->driver);
	add_recorded_options(u, record, a);
	arg = xasprintf("-fplugin=%s", b->plugin);
	if (record) {
		argv_add(a, arg);
		free(arg);
		argv_add(a, "-MD");
		argv_add(a, "-MF");
		arg = dep_path(pu);
		argv_add(a, arg);
		free(arg);
		argv_add(a, "-c");
		argv_add(a, "-o");
		argv_add(a, pu->rec_path);
		argv_add(a, u->src);
		return;
	}
	argv_add(a, "-fPIC");
	argv_add(a, "-ffunction-sections");
	argv_add(a, "-fdata-sections");
	argv_add(a, "-fno-semantic-interposition");
	argv_add(a, arg);
	free(arg);
	/* gcc names plugin arguments by the plugin file's base name */
	arg = xasprintf("-fplugin-arg-%s-mode=patch", b->plugin_base);
	argv_add(a, arg);
	free(arg);
	arg = xasprintf("-fplugin-arg-%s-plan=%s", b->plugin_base, pu->plan_path);
	argv_add(a, arg);
	free(arg);
	argv_add(a, "-c");
	argv_add(a, "-o");
	argv_add(a, pu->obj_path);
	argv_add(a, u->src);
}

/* Relays a unit's compiler messages to our stderr (in unit order, so they do not mix). */
static void relay_log(const struct plan_unit *pu)
{
	char *log = NULL, sub[256];
	size_t len = 0;
	if (!read_file(pu->log_path, &log, &len, sub, sizeof(sub)))
		fwrite(log, 1, len, stderr);
	free(log);
}

/* Whether patch mode failed on an `expect` line (the source changed since NEW). */
static int log_says_drift(const struct plan_unit *pu)
{
	char *log = NULL, sub[256];
	size_t len = 0;
	int r = !read_file(pu->log_path, &log, &len, sub, sizeof(sub)) &&
		strstr(log, PLAN_DRIFT_ERROR) != NULL;
	free(log);
	return r;
}

/* Runs one compile of a unit to the end; its messages relayed unless `quiet_log`. */
static int compile_one(struct pb *b, const struct plan_unit *pu, int record, int quiet_log,
		       char *sub, size_t sublen)
{
	struct argv_buf a = {0}, e = {0};
	pid_t pid;
	int r;
	compile_argv(b, pu, record, &a);
	unit_environment(pu->u, &e);
	r = run_spawn(a.v, e.v, pu->u->cwd, pu->log_path, &pid, sub, sublen);
	if (!r)
		r = run_wait(pid, pu->u->driver, sub, sublen);
	argv_free(&a);
	argv_free(&e);
	if (!quiet_log)
		relay_log(pu);
	return r;
}

/* A `cc1opt` line as the compiler saw it ("-DX", "-include cfg.h"), or "nothing". */
static char *cc1opt_text(const struct meta_unit *u, size_t i)
{
	if (i >= u->ncc1opts)
		return xstrdup("nothing");
	const struct meta_pair *p = &u->cc1opts[i];
	return p->b ? xasprintf("%s %s", p->a, p->b) : xstrdup(p->a);
}

/* What NEW's build gave the compiler that its record compile today does not (the
 * compiler itself, or an option that reached cc1 through -Wp, -Xpreprocessor or
 * -specs), or NULL. Recorded options and environment are replayed as they were. */
static char *option_drift(const struct meta_unit *was, const struct meta_unit *now)
{
	if (strcmp(was->compiler, now->compiler))
		return xasprintf("the compiler is %s now, NEW was built with %s", now->compiler,
				 was->compiler);
	if (!was->optsrc || !now->optsrc)
		return NULL;
	for (size_t i = 0; i < was->ncc1opts || i < now->ncc1opts; i++) {
		char *w = cc1opt_text(was, i), *n = cc1opt_text(now, i), *r = NULL;
		if (strcmp(w, n))
			r = xasprintf("the compiler got option %s when NEW was built, %s now", w,
				      n);
		free(w);
		free(n);
		if (r)
			return r;
	}
	return NULL;
}

/* The files the record compile read (its dependency file) that are newer than NEW,
 * as ", "-separated text ("" when none); *own: the unit's source is one of them. */
static char *files_newer_than_new(struct pb *b, const struct plan_unit *pu, int *own)
{
	char *dep = dep_path(pu), *text = NULL, sub[256], *save = NULL;
	size_t len = 0, n = 0;
	struct stat ns, fs;
	char *out = xstrdup("");
	*own = 0;
	if (stat(b->po->new_path, &ns) || read_file(dep, &text, &len, sub, sizeof(sub))) {
		free(dep);
		return out;
	}
	free(dep);
	/* make syntax: "target: dep dep \<newline> dep"; a space inside a name is "\ " */
	for (char *t = strtok_r(text, " \t\n", &save); t; t = strtok_r(NULL, " \t\n", &save)) {
		size_t tl = strlen(t);
		if (!strcmp(t, "\\") || (tl && t[tl - 1] == ':'))
			continue;
		char *abs = path_absolute(pu->u->cwd, t);
		if (!stat(abs, &fs) && (fs.st_mtim.tv_sec > ns.st_mtim.tv_sec ||
					(fs.st_mtim.tv_sec == ns.st_mtim.tv_sec &&
					 fs.st_mtim.tv_nsec > ns.st_mtim.tv_nsec))) {
			if (!strcmp(abs, pu->u->abs_src))
				*own = 1;
			char *longer = xasprintf("%s%s%s", out, n++ ? ", " : "", t);
			free(out);
			out = longer;
		}
		free(abs);
	}
	free(text);
	return out;
}

/* The one-line verdict on a unit whose function `fn` record mode hashes differently from
 * NEW's record (`gone`: no longer defined): which option or which file. */
static void drift_message(struct pb *b, const struct plan_unit *pu, const struct meta_unit *now,
			  const char *fn, int gone)
{
	const struct meta_unit *u = pu->u;
	int own;
	char *opt = option_drift(u, now), *files = files_newer_than_new(b, pu, &own);
	if (opt)
		msg(b->err, sizeof(b->err),
		    "recompiling %s does not reproduce NEW's build of %s: %s: rebuild NEW", u->key,
		    fn, opt);
	else if (*files && !(own && !strchr(files, ',')))
		msg(b->err, sizeof(b->err),
		    "NEW's source of %s (%s) %s since NEW was built (newer than NEW: %s): rebuild "
		    "NEW or restore the source",
		    fn, u->key, gone ? "is gone" : "changed", files);
	else if (*files || gone)
		msg(b->err, sizeof(b->err),
		    "NEW's source of %s (%s) %s since NEW was built: rebuild NEW or restore the "
		    "source",
		    fn, u->key, gone ? "is gone" : "changed");
	else if (!u->optsrc)
		msg(b->err, sizeof(b->err),
		    "%s (%s) compiles differently from NEW's record, and no file it reads is newer "
		    "than NEW: NEW was recorded by an older polus.so, which kept no -Wp, or "
		    "-Xpreprocessor options and no environment: rebuild NEW with this one",
		    fn, u->key);
	else
		msg(b->err, sizeof(b->err),
		    "NEW's source of %s (%s) changed since NEW was built (though no file it reads "
		    "is newer than NEW, and its options are as recorded): rebuild NEW or restore "
		    "the source",
		    fn, u->key);
	free(opt);
	free(files);
}

/*
 * Patch mode refused a unit for source drift. Record mode, run again on today's source,
 * settles it: a function hashing differently from NEW's record is a real change (one
 * line naming it, PX_INPUT); when all hash as recorded, patch mode's check was wrong
 * and the unit is built again without `expect` lines.
 */
static int recheck_drift(struct pb *b, struct plan_unit *pu)
{
	char sub[sizeof(b->err)], *buf = NULL;
	size_t len = 0;
	struct ef_file ei;
	struct meta_build rec = {0};
	int r;
	if (compile_one(b, pu, 1, 0, sub, sizeof(sub)))
		return msg(b->err, sizeof(b->err),
			   "recompiling %s in record mode to check its source failed: %s",
			   pu->u->key, sub),
		       PX_INTERNAL;
	if (ef_open_path(&ei, pu->rec_path, b->err, sizeof(b->err)))
		return PX_INTERNAL;
	r = ef_section_copy(&ei, POLUS_META_SECTION, &buf, &len, b->err, sizeof(b->err));
	ef_close(&ei);
	if (r) {
		free(buf);
		return (r != -ENOENT ? 0
				     : msg(b->err, sizeof(b->err), "%s: no " POLUS_META_SECTION,
					   pu->rec_path)),
		       PX_INTERNAL;
	}
	if (meta_parse(buf, len, &rec, sub, sizeof(sub)) || rec.nunits != 1) {
		meta_free(&rec);
		return msg(b->err, sizeof(b->err), "%s: %s", pu->rec_path,
			   rec.nunits != 1 ? "not one unit's record" : sub),
		       PX_INTERNAL;
	}
	const struct meta_unit *now = &rec.units[0];
	for (size_t i = 0; i < pu->u->nfns; i++) {
		const struct meta_fn *fn = &pu->u->fns[i];
		const char *h = NULL;
		if (!plan_expects(&b->plan, pu, fn))
			continue;
		for (size_t k = 0; k < now->nfns && !h; k++)
			if (!strcmp(now->fns[k].name, fn->name))
				h = now->fns[k].hash;
		if (h && !strcmp(h, fn->hash))
			continue;
		drift_message(b, pu, now, fn->name, !h);
		meta_free(&rec);
		return PX_INPUT;
	}
	meta_free(&rec);
	if (!b->po->quiet)
		fprintf(
		    stderr,
		    "polus-mkpatch: note: patch mode finds the source of %s changed, record mode "
		    "does not: built without patch mode's check\n",
		    pu->u->key);
	pu->skip_expect = 1;
	if (plan_write(&b->plan, pu, pu->plan_path, b->err, sizeof(b->err)))
		return PX_INTERNAL;
	if (compile_one(b, pu, 0, 0, sub, sizeof(sub)))
		return msg(b->err, sizeof(b->err), "recompiling %s in patch mode failed: %s",
			   pu->u->key, sub),
		       PX_INTERNAL;
	return 0;
}

/* Up to one compiler per CPU ($POLUS_JOBS overrides); the first failure is reported
 * after every started compiler has been reaped. */
static int compile_units(struct pb *b)
{
	const char *slash = strrchr(b->plugin, '/');
	const char *env = getenv("POLUS_JOBS");
	long jobs = env && atoi(env) > 0 ? atoi(env) : sysconf(_SC_NPROCESSORS_ONLN);
	pid_t *pids = xcalloc(b->plan.nunits, sizeof(pid_t));
	size_t next = 0, done = 0, running = 0;
	char *drifted = xcalloc(b->plan.nunits, 1);
	int failed = 0;
	char sub[sizeof(b->err)];
	b->plugin_base = xstrdup(slash ? slash + 1 : b->plugin);
	b->plugin_base[strcspn(b->plugin_base, ".")] = 0;
	if (jobs < 1)
		jobs = 1;
	while (done < next || (next < b->plan.nunits && !failed)) {
		if (!failed && next < b->plan.nunits && running < (size_t)jobs) {
			const struct plan_unit *pu = &b->plan.units[next];
			struct argv_buf a = {0}, e = {0};
			compile_argv(b, pu, 0, &a);
			unit_environment(pu->u, &e);
			progress(b, 3, "compile %s (%zu kept, %zu bound)", pu->u->key, pu->nkeeps,
				 pu->nbinds);
			if (run_spawn(a.v, e.v, pu->u->cwd, pu->log_path, &pids[next], sub,
				      sizeof(sub))) {
				msg(b->err, sizeof(b->err), "recompiling %s in patch mode: %s",
				    pu->u->key, sub);
				failed = 1;
				pids[next] = 0;
			} else {
				running++;
			}
			argv_free(&a);
			argv_free(&e);
			next++;
			continue;
		}
		/* reap in order: the messages then name the first unit that failed (a unit
		 * whose compiler never started has pid 0) */
		if (pids[done]) {
			const struct plan_unit *pu = &b->plan.units[done];
			int bad = run_wait(pids[done], pu->u->driver, sub, sizeof(sub));
			if (bad && log_says_drift(pu))
				drifted[done] = 1; /* settled below; its log is no news */
			else
				relay_log(pu);
			if (bad && !drifted[done] && !failed) {
				msg(b->err, sizeof(b->err),
				    "recompiling %s in patch mode failed: %s", pu->u->key, sub);
				failed = 1;
			}
			running--;
		}
		done++;
	}
	free(pids);
	int rc = failed ? PX_INTERNAL : 0;
	for (size_t i = 0; i < b->plan.nunits && !rc; i++)
		if (drifted[i])
			rc = recheck_drift(b, &b->plan.units[i]);
	free(drifted);
	return rc;
}

/* Patch mode emits a kept function under its SYMBOL only; a unit that calls a kept
 * global of another unit still names it: point that name at the SYMBOL. */
static int add_kept_aliases(struct pb *b, struct argv_buf *a)
{
	struct smap defined = {0}, undefined = {0};
	int rc = 0;
	for (size_t i = 0; i < b->plan.nunits && !rc; i++) {
		struct ef_file ei;
		if (ef_open_path(&ei, b->plan.units[i].obj_path, b->err, sizeof(b->err)) ||
		    ef_load_symbols(&ei, b->err, sizeof(b->err))) {
			ef_close(&ei);
			rc = -1;
			break;
		}
		for (size_t k = 0; k < ei.nsyms; k++) {
			const struct ef_sym *sy = &ei.syms[k];
			if (sy->bind == STB_LOCAL)
				continue;
			smap_put(sy->defined ? &defined : &undefined, sy->name, 1);
		}
		ef_close(&ei);
	}
	for (size_t i = 0; i < b->plan.nunits && !rc; i++)
		for (size_t k = 0; k < b->plan.units[i].nkeeps; k++) {
			const struct plan_keep *kp = &b->plan.units[i].keeps[k];
			const struct meta_fn *nf = kp->it->new;
			if (nf->is_static || smap_get(&undefined, nf->asm_name) < 0 ||
			    smap_get(&defined, nf->asm_name) >= 0 ||
			    smap_get(&defined, kp->symbol) < 0)
				continue;
			char *def = xasprintf("-Wl,--defsym=%s=%s", nf->asm_name, kp->symbol);
			argv_add(a, def);
			free(def);
		}
	/* the same for a global variable in coexistence: its new copy is SYMBOL */
	for (size_t i = 0; i < b->plan.ncoexist; i++) {
		const struct plan_coexist *cv = &b->plan.coexist[i];
		const struct meta_var *nv = cv->it->new;
		if (strcmp(nv->scope, "global") || smap_get(&undefined, nv->asm_name) < 0 ||
		    smap_get(&defined, nv->asm_name) >= 0)
			continue;
		char *def = xasprintf("-Wl,--defsym=%s=%s", nv->asm_name, cv->symbol);
		argv_add(a, def);
		free(def);
	}
	smap_free(&defined);
	smap_free(&undefined);
	return rc;
}

static int link_patch(struct pb *b)
{
	struct argv_buf a = {0};
	int r;
	argv_add(&a, b->plan.units[0].u->driver);
	argv_add(&a, "-shared");
	argv_add(&a, "-Wl,--gc-sections");
	argv_add(&a, "-Wl,--build-id");
	argv_add(&a, "-nostartfiles");
	argv_add(&a, "-o");
	argv_add(&a, b->tmp_so);
	for (size_t i = 0; i < b->plan.nunits; i++)
		argv_add(&a, b->plan.units[i].obj_path);
	for (size_t i = 0; i < b->db.nobjs; i++)
		argv_add(&a, b->db.objs[i]);
	if (add_kept_aliases(b, &a)) {
		argv_free(&a);
		return PX_INTERNAL;
	}
	r = run_argv(a.v, NULL, b->err, sizeof(b->err));
	argv_free(&a);
	if (r) {
		char sub[sizeof(b->err)];
		memcpy(sub, b->err, sizeof(sub));
		msg(b->err, sizeof(b->err), "linking the patch failed: %s", sub);
		return PX_INTERNAL;
	}
	return 0;
}

static char *patch_name(const char *out)
{
	char *copy = xstrdup(out);
	char *base = xstrdup(basename(copy));
	size_t n = strlen(base);
	if (n > 3 && !strcmp(base + n - 3, ".so"))
		base[n - 3] = 0;
	free(copy);
	return base;
}

/* A site of OLD that can switch without stopping threads: its unit's record (`pad`)
 * says its entry is padded, and its bytes show the padding and an instruction at the
 * site the short jump can replace (common/site_rules). Sites in earlier patches: no. */
static int old_padded(struct pb *b, const struct d_item *it, const struct ef_sym *old)
{
	const struct meta_unit *u = it->ou >= 0 ? &b->ob->units[it->ou] : NULL;
	uint8_t pre[SITE_PAD_BEFORE], code[64];
	size_t len = old->size < sizeof(code) ? old->size : sizeof(code);
	char err[256];
	if (!u || !u->pad_size || atoi(u->pad_before) < SITE_PAD_BEFORE ||
	    old->value < SITE_PAD_BEFORE)
		return 0;
	if (ef_read_addr(&b->old, old->value - SITE_PAD_BEFORE, pre, sizeof(pre), err,
			 sizeof(err)) ||
	    ef_read_addr(&b->old, old->value, code, len, err, sizeof(err)))
		return 0;
	return site_stopfree(pre, code, len, old->size, old->value);
}

/* One entry of the functions list: kp's new code, and the site `old` of `in` (NULL: OLD)
 * that jumps to it when `redirect`. */
static void add_function(struct pb *b, struct vf_patch *vf, const struct plan_keep *kp,
			 const char *nsym, const struct ef_sym *ns, const struct ef_sym *old,
			 const struct chain_patch *in, int redirect)
{
	const struct d_item *it = kp->it;
	struct vf_function *f = &vf->functions[vf->nfunctions++];
	f->name = xstrdup(it->name);
	f->unit = xstrdup(it->unit);
	f->change = xstrdup(it->state == DS_NEW ? "new" : "changed");
	f->reasons = xcalloc(it->nreasons, sizeof(char *));
	for (size_t r = 0; r < it->nreasons; r++)
		f->reasons[f->nreasons++] = xstrdup(it->reasons[r]);
	if (old) {
		f->old_symbol = xstrdup(old->name);
		f->old_addr = old->value - (in ? in->link_base : 0);
		f->old_size = old->size;
		f->old_in = in ? xstrdup(in->build_id) : NULL;
		f->padded = !in && redirect && old_padded(b, it, old);
	}
	f->new_symbol = xstrdup(nsym);
	f->new_addr = ns->value;
	f->redirect = redirect;
}

/* Each kept function gets an entry per copy of the running code it redirects (OLD's,
 * then earlier patches'), or one entry without a site. */
static int fill_functions(struct pb *b, struct ef_file *patch, struct vf_patch *vf)
{
	size_t n = 0;
	for (size_t i = 0; i < b->plan.nunits; i++)
		for (size_t k = 0; k < b->plan.units[i].nkeeps; k++)
			n += 1 + b->plan.units[i].keeps[k].nsites;
	vf->functions = xcalloc(n + 1, sizeof(struct vf_function));
	for (size_t i = 0; i < b->plan.nunits; i++) {
		const struct plan_unit *pu = &b->plan.units[i];
		for (size_t k = 0; k < pu->nkeeps; k++) {
			const struct plan_keep *kp = &pu->keeps[k];
			const struct d_item *it = kp->it;
			const struct ef_sym *ns = ef_find(patch, kp->symbol, NULL, 0);
			const char *nsym = kp->symbol;
			if (!ns)
				ns = ef_find(patch, kp->symbol, NULL, 1);
			if (!ns) {
				const struct meta_fn *nf = it->new;
				ns = ef_find(patch, nf->asm_name, NULL, nf->is_static);
				nsym = nf->asm_name;
			}
			if (ns == &ef_ambiguous)
				ns = NULL;
			if (!ns && !kp->redirect && !kp->nsites) {
				/* nothing jumps to it: patch mode inlined it into its callers */
				if (!b->po->quiet)
					fprintf(stderr,
						"polus-mkpatch: note: %s (%s) has no copy of its "
						"own in "
						"the patch (inlined into its callers)\n",
						it->name, it->unit);
				continue;
			}
			if (!ns)
				return msg(b->err, sizeof(b->err),
					   "the patch has no symbol %s for kept function %s (%s): "
					   "patch mode did not emit it",
					   kp->symbol, it->name, it->unit);
			if (kp->old || !kp->nsites)
				add_function(b, vf, kp, nsym, ns, kp->old, NULL, kp->redirect);
			for (size_t s = 0; s < kp->nsites; s++)
				add_function(b, vf, kp, nsym, ns, kp->sites[s].sym, kp->sites[s].in,
					     1);
		}
	}
	return 0;
}

static int has_addr(const uint64_t *a, size_t n, uint64_t v)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] == v)
			return 1;
	return 0;
}

/* polus-apply runs no constructor of the patch: a function that is one in the patch
 * but was none in OLD (a new one, or one that became one) never runs. */
static int warn_new_ctors(struct pb *b, struct ef_file *patch, const struct vf_patch *vf)
{
	uint64_t *pc = NULL, *oc = NULL;
	size_t npc = 0, noc = 0;
	if (ef_init_array(patch, &pc, &npc, b->err, sizeof(b->err)) ||
	    ef_init_array(&b->old, &oc, &noc, b->err, sizeof(b->err))) {
		free(pc);
		return -1;
	}
	for (size_t i = 0; i < vf->nfunctions; i++) {
		const struct vf_function *f = &vf->functions[i];
		if (!has_addr(pc, npc, f->new_addr) ||
		    (f->old_symbol && !f->old_in && has_addr(oc, noc, f->old_addr)))
			continue;
		char *w = xasprintf("%s: a constructor in NEW but not in OLD: polus-apply runs no "
				    "constructor, so it does not run in the patched process",
				    f->name);
		wl_warn("polus-mkpatch", "%s", w);
		VEC_PUSH(b->plan.warnings, b->plan.nwarnings, b->plan.capwarnings, w);
	}
	free(pc);
	free(oc);
	return 0;
}

/*
 * A symbol the patch leaves undefined that OLD's executable defines without a record:
 * code of a static archive built without the plugin (a vendored liblua.a). The program's
 * own references use its own copy, which the executable does not export, so polus-apply
 * would look for it in the shared libraries in vain (or find another one): bind it to
 * OLD's copy by name. Thread-local and IFUNC definitions are left to polus-apply's rules.
 */
static const struct ef_sym *program_symbol(const struct pb *b, const struct ef_sym *u)
{
	const struct ef_sym *o;
	if (u->defined || !strncmp(u->name, "__polus_", 8) || !*u->name)
		return NULL;
	o = ef_find(&b->old, u->name, NULL, 0);
	if (!o || o == &ef_ambiguous || !o->value || (o->type != STT_FUNC && o->type != STT_OBJECT))
		return NULL;
	return o;
}

static void bind_program_symbols(struct pb *b, struct ef_file *patch, struct vf_patch *vf)
{
	for (size_t s = 0; s < patch->nsyms; s++) {
		const struct ef_sym *o = program_symbol(b, &patch->syms[s]);
		if (!o)
			continue;
		vf->binds = xrealloc(vf->binds, (vf->nbinds + 1) * sizeof(struct vf_bind));
		struct vf_bind *vb = &vf->binds[vf->nbinds++];
		memset(vb, 0, sizeof(*vb));
		vb->symbol = xstrdup(o->name);
		vb->name = xstrdup(o->name);
		vb->addr = o->value;
	}
}

/* Library IFUNCs polus-apply may have to choose itself (mkpatch_ifunc): on stderr only,
 * polus-apply says at its turn whether it can. */
static void warn_ifuncs(struct pb *b, struct ef_file *patch)
{
	char **w = NULL;
	size_t n = 0, cap = 0;
	ifunc_warnings(b->po->old_path, &b->old, patch, b->tmpdir, &w, &n, &cap);
	for (size_t i = 0; i < n; i++) {
		wl_warn("polus-mkpatch", "%s", w[i]);
		free(w[i]);
	}
	free(w);
}

/* Binds the linked patch still refers to (gc-sections drops unused ones). */
static void fill_binds(struct pb *b, struct ef_file *patch, struct vf_patch *vf)
{
	vf->binds = xcalloc(b->plan.nbinds, sizeof(struct vf_bind));
	for (size_t i = 0; i < b->plan.nbinds; i++) {
		const struct plan_bind *pb = &b->plan.binds[i];
		int present = 0;
		for (size_t s = 0; s < patch->nsyms && !present; s++)
			present = !strcmp(patch->syms[s].name, pb->symbol);
		if (!present)
			continue;
		struct vf_bind *vb = &vf->binds[vf->nbinds++];
		vb->symbol = xstrdup(pb->symbol);
		vb->name = xstrdup(pb->name);
		vb->addr = pb->addr;
		vb->tls = pb->tls;
	}
}

static int write_version_file(struct pb *b)
{
	struct ef_file patch;
	struct vf_patch vf = {0};
	char stamp[32], real[PATH_MAX], sub[512];
	char *text = NULL;
	size_t len = 0;
	time_t now = time(NULL);
	int rc = PX_INTERNAL;

	if (ef_open_path(&patch, b->tmp_so, b->err, sizeof(b->err)))
		return PX_INTERNAL;
	if (ef_load_symbols(&patch, b->err, sizeof(b->err)))
		goto out;
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	vf.format = VF_FORMAT;
	vf.name = b->po->name ? xstrdup(b->po->name) : patch_name(b->po->out);
	vf.created = xstrdup(stamp);
	vf.target_build_id = xstrdup(b->build_id);
	vf.target_path = xstrdup(realpath(b->po->old_path, real) ? real : b->po->old_path);
	if (b->po->chain && b->po->chain->n) {
		vf.requires = xcalloc(b->po->chain->n, sizeof(char *));
		for (size_t i = 0; i < b->po->chain->n; i++)
		vf.requires[vf.nrequires++] = xstrdup(b->po->chain->p[i].build_id);
	}
	if (fill_functions(b, &patch, &vf) || warn_new_ctors(b, &patch, &vf))
		goto out;
	warn_ifuncs(b, &patch);
	fill_binds(b, &patch, &vf);
	bind_program_symbols(b, &patch, &vf);
	data_fill(&b->db, &b->plan, &patch, &vf);
	vf.live = xcalloc(b->proof.n + 1, sizeof(struct vf_live));
	for (size_t i = 0; i < b->proof.n; i++) {
		struct vf_live *l = &vf.live[vf.nlive++];
		l->name = xstrdup(b->proof.v[i].name);
		l->unit = xstrdup(b->proof.v[i].unit);
		l->how = xstrdup(b->proof.v[i].how);
	}
	vf.warnings = xcalloc(b->plan.nwarnings, sizeof(char *));
	for (size_t i = 0; i < b->plan.nwarnings; i++)
		vf.warnings[vf.nwarnings++] = xstrdup(b->plan.warnings[i]);
	if (vf_emit(&vf, &text, &len, sub, sizeof(sub))) {
		msg(b->err, sizeof(b->err), "writing the version file: %s", sub);
		goto out;
	}
	FILE *f = fopen(b->tmp_yaml, "w");
	if (!f || fwrite(text, 1, len, f) != len || fclose(f)) {
		msg(b->err, sizeof(b->err), "%s: cannot write: %m", b->tmp_yaml);
		goto out;
	}
	progress(b, 4, "link %s: %zu function%s, %zu bind%s, %zu warning%s", b->po->out,
		 vf.nfunctions, vf.nfunctions == 1 ? "" : "s", vf.nbinds, vf.nbinds == 1 ? "" : "s",
		 vf.nwarnings, vf.nwarnings == 1 ? "" : "s");
	rc = 0;
out:
	free(text);
	vf_free(&vf);
	ef_close(&patch);
	return rc;
}

/* NEW's records, so a later patch in a chain knows the code this one brings: in full for
 * the units the patch recompiled, a stub for the others (mkpatch_release). */
static int write_new_meta(struct pb *b, char **path)
{
	struct ef_file ei;
	char *buf = NULL, *trim = NULL;
	size_t len = 0, tlen = 0;
	int r;
	FILE *f;
	if (ef_open_path(&ei, b->po->new_path, b->err, sizeof(b->err)))
		return -1;
	r = ef_section_copy(&ei, POLUS_META_SECTION, &buf, &len, b->err, sizeof(b->err));
	ef_close(&ei);
	if (r) {
		free(buf);
		return r != -ENOENT ? -1
				    : msg(b->err, sizeof(b->err),
					  "%s: " POLUS_META_SECTION " vanished", b->po->new_path);
	}
	char *full = xcalloc(b->nb->nunits + 1, 1);
	for (size_t i = 0; i < b->plan.nunits; i++)
		full[b->plan.units[i].nu] = 1;
	r = release_trim(buf, len, full, b->nb->nunits, &trim, &tlen, b->err, sizeof(b->err));
	free(full);
	free(buf);
	if (r)
		return -1;
	*path = xasprintf("%s/new.meta", b->tmpdir);
	f = fopen(*path, "w");
	if (!f || fwrite(trim, 1, tlen, f) != tlen || fclose(f)) {
		free(trim);
		return msg(b->err, sizeof(b->err), "%s: cannot write: %m", *path);
	}
	free(trim);
	return 0;
}

/* An empty seal (common/seal.h) the size of the section, for objcopy to add. */
static char *write_empty_seal(struct pb *b)
{
	static const char zeros[SEAL_SIZE];
	char *path = xasprintf("%s/seal", b->tmpdir);
	FILE *f = fopen(path, "w");
	if (!f || fwrite(zeros, 1, sizeof(zeros), f) != sizeof(zeros) || fclose(f)) {
		msg(b->err, sizeof(b->err), "%s: cannot write: %m", path);
		unlink(path);
		free(path);
		return NULL;
	}
	return path;
}

static int embed_and_publish(struct pb *b)
{
	char *meta = NULL, *seal = NULL, *vsect, *msect, *ssect;
	int r;
	if (write_new_meta(b, &meta) || !(seal = write_empty_seal(b))) {
		if (meta)
			unlink(meta);
		free(meta);
		return PX_INTERNAL;
	}
	vsect = xasprintf(POLUS_VERSION_SECTION "=%s", b->tmp_yaml);
	msect = xasprintf(POLUS_META_SECTION "=%s", meta);
	ssect = xasprintf(POLUS_SEAL_SECTION "=%s", seal);
	char *const argv[] = {"objcopy", "--add-section", vsect, "--add-section",
			      msect,	 "--add-section", ssect, (char *)b->tmp_so,
			      NULL};
	r = run_argv(argv, NULL, b->err, sizeof(b->err));
	unlink(meta);
	unlink(seal);
	free(meta);
	free(seal);
	free(vsect);
	free(msect);
	free(ssect);
	/* the digest last: it covers every other byte of the patch */
	if (r || seal_write_digest(b->tmp_so, b->err, sizeof(b->err)))
		return PX_INTERNAL;
	if (rename(b->tmp_yaml, b->out_yaml) || rename(b->tmp_so, b->po->out))
		return msg(b->err, sizeof(b->err), "%s: cannot write: %m", b->po->out), PX_INPUT;
	return 0;
}

/* What an interrupted build must remove, readable from a signal handler. */
static char sig_tmp_so[PATH_MAX], sig_tmp_yaml[PATH_MAX];

static void on_signal(int sig)
{
	if (sig_tmp_so[0])
		unlink(sig_tmp_so);
	if (sig_tmp_yaml[0])
		unlink(sig_tmp_yaml);
	signal(sig, SIG_DFL);
	raise(sig);
}

static int setup(struct pb *b)
{
	const char *out = b->po->out;
	size_t n = strlen(out);
	char tmpl[] = "/tmp/polus-mkpatch.XXXXXX";
	if (n > 3 && !strcmp(out + n - 3, ".so"))
		b->out_yaml = xasprintf("%.*s.yaml", (int)(n - 3), out);
	else
		b->out_yaml = xasprintf("%s.yaml", out);
	char real_out[PATH_MAX], real_in[PATH_MAX];
	const char *inputs[] = {b->po->old_path, b->po->new_path};
	for (size_t i = 0; i < 2; i++)
		if (realpath(out, real_out) && realpath(inputs[i], real_in) &&
		    !strcmp(real_out, real_in))
			return msg(b->err, sizeof(b->err), "-o %s would overwrite %s", out,
				   inputs[i]);
	char *copy = xstrdup(out);
	int writable = !access(dirname(copy), W_OK);
	free(copy);
	if (!writable)
		return msg(b->err, sizeof(b->err), "%s: cannot write there: %m", out);
	/* beside the outputs, so the final rename stays on one file system */
	b->tmp_so = xasprintf("%s.tmp%d", out, (int)getpid());
	b->tmp_yaml = xasprintf("%s.tmp%d", b->out_yaml, (int)getpid());
	snprintf(sig_tmp_so, sizeof(sig_tmp_so), "%s", b->tmp_so);
	snprintf(sig_tmp_yaml, sizeof(sig_tmp_yaml), "%s", b->tmp_yaml);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	if (!mkdtemp(tmpl))
		return msg(b->err, sizeof(b->err), "mkdtemp: %m");
	b->tmpdir = xstrdup(tmpl);
	return 0;
}

static void cleanup(struct pb *b, int failed)
{
	if (failed) {
		if (b->tmp_so)
			unlink(b->tmp_so);
		if (b->tmp_yaml)
			unlink(b->tmp_yaml);
	}
	if (b->tmpdir && !getenv("POLUS_KEEP_TMP")) {
		for (size_t i = 0; i < b->plan.nunits; i++) {
			if (b->plan.units[i].plan_path)
				unlink(b->plan.units[i].plan_path);
			if (b->plan.units[i].obj_path)
				unlink(b->plan.units[i].obj_path);
			if (b->plan.units[i].log_path)
				unlink(b->plan.units[i].log_path);
			if (b->plan.units[i].rec_path) {
				char *dep = dep_path(&b->plan.units[i]);
				unlink(dep);
				free(dep);
				unlink(b->plan.units[i].rec_path);
			}
		}
		rmdir(b->tmpdir);
	} else if (b->tmpdir) {
		fprintf(stderr, "polus-mkpatch: kept %s\n", b->tmpdir);
	}
	free(b->tmpdir);
	free(b->plugin);
	free(b->plugin_base);
	free(b->tmp_so);
	free(b->tmp_yaml);
	free(b->out_yaml);
	data_free(&b->db, &b->plan);
	plan_free(&b->plan);
	proof_free(&b->proof);
	ef_close(&b->old);
	ef_close(&b->new);
}

int patch_build(const struct patch_opts *po, const struct meta_build *ob,
		const struct meta_build *nb, const struct diff *d)
{
	struct pb b = {.po = po, .ob = ob, .nb = nb, .d = d};
	int rc;
	b.old.fd = -1;
	b.new.fd = -1;
	if ((rc = setup(&b) ? PX_INPUT : 0) || (rc = find_plugin(&b) ? PX_INPUT : 0) ||
	    (rc = ef_open_path(&b.old, po->old_path, b.err, sizeof(b.err)) ? PX_INPUT : 0))
		goto out;
	if ((rc = report_diff(&b)) || (rc = make_plans(&b)) || (rc = prove(&b)) ||
	    (rc = make_sync(&b)))
		goto out;
	if ((rc = compile_units(&b)) || (rc = compile_sync(&b)) || (rc = link_patch(&b)) ||
	    (rc = write_version_file(&b)) || (rc = embed_and_publish(&b)))
		goto out;
	progress(&b, 0, "done: %s (version file %s)", po->out, b.out_yaml);
	if (!po->quiet)
		wl_summary(stderr, "polus-mkpatch");
out:
	if (rc)
		fprintf(stderr, "polus-mkpatch: %s\n", b.err);
	cleanup(&b, rc != 0);
	return rc;
}
