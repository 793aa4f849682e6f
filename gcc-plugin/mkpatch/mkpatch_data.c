/*
 * mkpatch_data — the patch's sync/ folder (see mkpatch_data.h).
 */
#include "mkpatch_data.h"
#include "mkpatch_run.h"
#include "mkpatch_track.h"
#include "mkpatch_util.h"
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void drefuse(struct data_build *db, char *why)
{
	VEC_PUSH(db->refusals, db->nrefusals, db->caprefusals, why);
}

static int copy_file(const char *from, const char *to, char *err, size_t errlen)
{
	char *buf;
	size_t len;
	if (read_file(from, &buf, &len, err, errlen))
		return -1;
	FILE *f = fopen(to, "w");
	int bad = !f || fwrite(buf, 1, len, f) != len;
	if (f && fclose(f))
		bad = 1;
	free(buf);
	return bad ? msg(err, errlen, "%s: cannot write: %m", to) : 0;
}

static struct sync_var var_of(const struct plan *p, const struct plan_coexist *cv)
{
	const struct d_item *it = cv->it;
	struct sync_var sv = {.key = it->key,
			      .unit = it->unit,
			      .old = it->old,
			      .new = it->new,
			      .ou = it->ou,
			      .nu = it->nu,
			      .id = cv->id,
			      .oldsym = p->binds[cv->oldbind].symbol,
			      .newsym = cv->symbol};
	return sv;
}

int data_generate(struct data_build *db, const struct plan *p, const struct meta_build *ob,
		  const struct meta_build *nb, const char *dir, const char *header, char *err,
		  size_t errlen)
{
	memset(db, 0, sizeof(*db));
	db->dir = xstrdup(dir);
	if (!p->ncoexist)
		return 0;
	if (mkdir(dir, 0777) && errno != EEXIST)
		return msg(err, errlen, "%s: cannot create: %m", dir);
	char *h = xasprintf("%s/polus_recover.h", dir);
	int rc = copy_file(header, h, err, errlen);
	free(h);
	if (rc)
		return -1;
	db->res = xcalloc(p->ncoexist, sizeof(*db->res));
	for (size_t i = 0; i < p->ncoexist; i++) {
		struct sync_var sv = var_of(p, &p->coexist[i]);
		struct sync_result *r = &db->res[i];
		/* a field left to the author is an #error in the file: the compile names it,
		 * in the generated file as in one the author kept */
		if (sync_write(ob, nb, &sv, dir, r, err, errlen))
			return -1;
	}
	return 0;
}

/* The `#error` lines of a failed compile, as "FILE: LINE" refusals. */
static int refuse_errors(struct data_build *db, const char *file, const char *log)
{
	char *buf;
	size_t len;
	char e[256];
	int n = 0;
	if (read_file(log, &buf, &len, e, sizeof(e)))
		return 0;
	for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n")) {
		char *w = strstr(l, "error: #error ");
		if (!w)
			continue; /* the source line quoted below it holds #error too */
		w += 7;
		drefuse(db, xasprintf("%s: not complete: %s (fill it in, delete the #error line, "
				      "then run polus-mkpatch again)",
				      file, w + 7));
		n++;
	}
	free(buf);
	return n;
}

static int list_sources(struct data_build *db, char *err, size_t errlen)
{
	DIR *d = opendir(db->dir);
	struct dirent *e;
	if (!d)
		return errno == ENOENT ? 0 : msg(err, errlen, "%s: %m", db->dir);
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (n > 2 && !strcmp(e->d_name + n - 2, ".c")) {
			char *f = xasprintf("%s/%s", db->dir, e->d_name);
			VEC_PUSH(db->files, db->nfiles, db->capfiles, f);
		}
	}
	closedir(d);
	return 0;
}

static int compile_file(struct data_build *db, const char *driver, const char *file,
			const char *obj, const char *log, char *err, size_t errlen)
{
	struct argv_buf a = {0};
	pid_t pid;
	char sub[512];
	const char *args[] = {driver,	      "-O2",   "-g", "-fPIC", "-fno-stack-protector",
			      "-fno-builtin", "-Wall", "-I", db->dir, "-c",
			      "-o",	      obj,     file};
	for (size_t i = 0; i < sizeof(args) / sizeof(args[0]); i++)
		argv_add(&a, args[i]);
	int rc = run_spawn(a.v, NULL, NULL, log, &pid, err, errlen);
	argv_free(&a);
	if (rc)
		return -1;
	if (run_wait(pid, driver, sub, sizeof(sub)) == 0)
		return 0;
	if (!refuse_errors(db, file, log)) {
		char *buf;
		size_t len;
		char e[256];
		if (!read_file(log, &buf, &len, e, sizeof(e))) {
			fputs(buf, stderr);
			free(buf);
		}
		drefuse(db, xasprintf("%s does not compile (%s; its messages above)", file, sub));
	}
	return 1;
}

int data_compile(struct data_build *db, const char *driver, const char *tmpdir, char *err,
		 size_t errlen)
{
	if (list_sources(db, err, errlen))
		return -1;
	for (size_t i = 0; i < db->nfiles; i++) {
		char *obj = xasprintf("%s/sync%zu.o", tmpdir, i);
		char *log = xasprintf("%s/sync%zu.log", tmpdir, i);
		int rc = compile_file(db, driver, db->files[i], obj, log, err, errlen);
		unlink(log);
		free(log);
		if (rc) {
			unlink(obj);
			free(obj);
			if (rc < 0)
				return -1;
			continue;
		}
		int failed;
		char *bad = sync_forbidden(obj, err, errlen, &failed);
		if (failed) {
			free(obj);
			return -1;
		}
		if (bad)
			drefuse(db, xasprintf("%s calls %s: its functions run while the program's "
					      "threads are held, and must not lock, allocate or "
					      "block",
					      db->files[i], bad));
		free(bad);
		VEC_PUSH(db->objs, db->nobjs, db->capobjs, obj);
	}
	return 0;
}

/* The function of `old` holding link-time address a, for messages. */
static const char *fn_at(const struct ef_file *old, uint64_t a)
{
	for (size_t i = 0; i < old->nsyms; i++) {
		const struct ef_sym *s = &old->syms[i];
		if (s->type == STT_FUNC && s->defined && a >= s->value && a < s->value + s->size)
			return s->name;
	}
	return "?";
}

/* Why the table cannot serve (malloc'd), or NULL: a store the runtime cannot complete
 * known to land on the protected pages. */
static char *untrackable(const struct ef_file *old, const struct trk_table *t)
{
	uint64_t base;
	if (ef_link_base((struct ef_file *)old, &base) < 0)
		return xstrdup("OLD has no loadable segment");
	for (size_t i = 0; i < t->n; i++)
		if (t->e[i].op == TRK_OP_UNSUPPORTED && (t->e[i].flags & TRK_F_EXACT))
			return xasprintf("%s stores into the pages of a changed variable with an "
					 "instruction write tracking cannot complete (at 0x%llx)",
					 fn_at(old, base + t->e[i].off),
					 (unsigned long long)(base + t->e[i].off));
	return NULL;
}

int data_track(struct data_build *db, const struct plan *p, struct ef_file *old,
	       const struct meta_build *ob, const char *driver, const char *tmpdir, char *err,
	       size_t errlen)
{
	struct trk_table t = {0};
	char sub[512];
	if (!p->ncoexist)
		return 0;
	db->old_addr = xcalloc(p->ncoexist, sizeof(*db->old_addr));
	for (size_t i = 0; i < p->ncoexist && !db->track_note; i++) {
		const struct d_item *it = p->coexist[i].it;
		const struct meta_var *ov = it->old;
		int local = strcmp(ov->scope, "global") != 0;
		struct trk_range pages;
		if (trk_scan_var(old, ob, (size_t)it->ou, it->key, &pages, &t, sub, sizeof(sub)))
			db->track_note = xstrdup(sub);
		const struct ef_sym *s =
		    ef_find(old, ov->asm_name, local ? ob->units[it->ou].src : NULL, local);
		if (s && s != &ef_ambiguous)
			db->old_addr[i] = s->value;
	}
	if (!db->track_note)
		db->track_note = untrackable(old, &t);
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = 0;
	if (!db->track_note && trk_encode(&t, &buf, &len))
		rc = msg(err, errlen, "out of memory");
	char *obj = NULL;
	if (!rc && !db->track_note &&
	    !(rc = trk_write_object(buf, len, driver, tmpdir, &obj, err, errlen)))
		VEC_PUSH(db->objs, db->nobjs, db->capobjs, obj);
	free(buf);
	trk_free(&t);
	return rc;
}

static uint64_t sym_addr(struct ef_file *patch, const char *name)
{
	const struct ef_sym *s = ef_find(patch, name, NULL, 0);
	return s && s != &ef_ambiguous && s->defined ? s->value : 0;
}

/* name's address into *addr and a copy of name into *sym, when the patch defines it. */
static void fn_entry(struct ef_file *patch, char *name, char **sym, uint64_t *addr)
{
	*addr = sym_addr(patch, name);
	*sym = *addr ? name : NULL;
	if (!*addr)
		free(name);
}

static void fill_var(const struct data_build *db, const struct plan *p, size_t i,
		     struct ef_file *patch, struct vf_data *x)
{
	const struct plan_coexist *cv = &p->coexist[i];
	const struct meta_var *ov = cv->it->old, *nv = cv->it->new;
	x->variable = xstrdup(cv->it->key);
	x->unit = xstrdup(cv->it->unit);
	x->file = xasprintf("%s/%s.c", db->dir, cv->id);
	x->covers = xstrdup(db->res[i].covers);
	x->old_type = xstrdup(ov->type);
	x->new_type = xstrdup(nv->type);
	x->old_size = strtoull(ov->size, NULL, 10);
	x->new_size = strtoull(nv->size, NULL, 10);
	x->new_symbol = xstrdup(cv->symbol);
	x->new_addr = sym_addr(patch, cv->symbol);
	x->old_bind = xstrdup(p->binds[cv->oldbind].symbol);
	fn_entry(patch, xasprintf("polus_sync_%s_old2new", cv->id), &x->sync_old2new,
		 &x->sync_old2new_addr);
	fn_entry(patch, xasprintf("polus_sync_%s_new2old", cv->id), &x->sync_new2old,
		 &x->sync_new2old_addr);
	fn_entry(patch, xasprintf("polus_check_%s", cv->id), &x->check, &x->check_addr);
	fn_entry(patch, xasprintf("polus_recover_%s", cv->id), &x->recover, &x->recover_addr);
	if (db->old_addr && sym_addr(patch, TRK_SYMBOL)) { /* tracked: what the runtime needs */
		x->old_addr = db->old_addr[i];
		fn_entry(patch, xasprintf("polus_sync_%s_track", cv->id), &x->sync_track,
			 &x->sync_track_addr);
		fn_entry(patch, xasprintf("polus_sync_%s_new2old_to", cv->id), &x->sync_new2old_to,
			 &x->sync_new2old_to_addr);
		fn_entry(patch, xasprintf("polus_coexist_%s", cv->id), &x->coexist_flag,
			 &x->coexist_flag_addr);
		fn_entry(patch, xasprintf("polus_carry_%s", cv->id), &x->carry_slot,
			 &x->carry_slot_addr);
	}
	x->writers = xcalloc(cv->nwriters + 1, sizeof(*x->writers));
	for (size_t w = 0; w < cv->nwriters; w++) {
		x->writers[w].name = xstrdup(cv->writers[w].name);
		x->writers[w].old_addr = cv->writers[w].addr;
		x->writers[w].old_size = cv->writers[w].size;
	}
	x->nwriters = cv->nwriters;
}

/* polus_check_NAME of the author's own (no variable's): a check entry. */
static int own_check(const struct plan *p, const char *sym, const char **name)
{
	if (strncmp(sym, "polus_check_", 12))
		return 0;
	for (size_t i = 0; i < p->ncoexist; i++)
		if (!strcmp(sym + 12, p->coexist[i].id))
			return 0;
	*name = sym + 12;
	return 1;
}

void data_fill(const struct data_build *db, const struct plan *p, struct ef_file *patch,
	       struct vf_patch *vf)
{
	size_t extra = 0;
	const char *name;
	for (size_t s = 0; s < patch->nsyms; s++)
		extra += patch->syms[s].defined && own_check(p, patch->syms[s].name, &name);
	if (!p->ncoexist && !extra)
		return;
	vf->data = xcalloc(p->ncoexist + extra + 1, sizeof(*vf->data));
	const struct ef_sym *tt = ef_find(patch, TRK_SYMBOL, NULL, 0);
	if (tt && tt != &ef_ambiguous && tt->defined) {
		vf->track_table = xstrdup(TRK_SYMBOL);
		vf->track_table_addr = tt->value;
		vf->track_table_size = tt->size;
	}
	for (size_t i = 0; i < p->ncoexist; i++)
		fill_var(db, p, i, patch, &vf->data[vf->ndata++]);
	for (size_t s = 0; s < patch->nsyms; s++) {
		if (!patch->syms[s].defined || !own_check(p, patch->syms[s].name, &name))
			continue;
		struct vf_data *x = &vf->data[vf->ndata++];
		x->covers = xasprintf("check %s of the patch", name);
		fn_entry(patch, xstrdup(patch->syms[s].name), &x->check, &x->check_addr);
		fn_entry(patch, xasprintf("polus_recover_%s", name), &x->recover, &x->recover_addr);
	}
}

void data_free(struct data_build *db, const struct plan *p)
{
	for (size_t i = 0; db->res && i < p->ncoexist; i++)
		sync_result_free(&db->res[i]);
	free(db->res);
	for (size_t i = 0; i < db->nfiles; i++)
		free(db->files[i]);
	free(db->files);
	for (size_t i = 0; i < db->nobjs; i++) {
		unlink(db->objs[i]);
		free(db->objs[i]);
	}
	free(db->objs);
	for (size_t i = 0; i < db->nrefusals; i++)
		free(db->refusals[i]);
	free(db->refusals);
	free(db->old_addr);
	free(db->track_note);
	free(db->dir);
	memset(db, 0, sizeof(*db));
}
