/*
 * track_state — the runtime's write tracking state, read from outside (see track_state.h).
 */
#include "track_state.h"
#include "beside.h"
#include "jsonout.h"
#include "procfs.h"
#include "target.h"
#include "registry_format.h"

#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int tst_rt_path(char *buf, size_t len)
{
	const char *env = getenv("POLUS_RT");
	if (env && *env) {
		snprintf(buf, len, "%s", env);
		return 0;
	}
	return px_beside_me("polus-rt.so", buf, len);
}

uint64_t tst_recorded_base(const char *text, const char *id)
{
	uint64_t base = 0;
	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		unsigned long long a;
		char got[130];
		size_t k = strlen(REG_LINE_RUNTIME "\t");
		if (strncmp(l, REG_LINE_RUNTIME "\t", k) != 0 ||
		    sscanf(l + k, "%llx\t%129[0-9a-f]", &a, got) != 2)
			continue;
		if (strcmp(got, id) == 0)
			base = a;
	}
	return base;
}

int tst_exports(struct tst_runtime *r, struct ef_file *f)
{
	static const char *names[] = {"polus_rt_track_arm",   "polus_rt_track_start",
				      "polus_rt_track_end",   "polus_rt_track_carry",
				      "polus_rt_track_state", "polus_rt_track_argbuf"};
	uint64_t *offs[] = {&r->off_arm,   &r->off_start, &r->off_end,
			    &r->off_carry, &r->off_state, &r->off_argbuf};
	_Static_assert(sizeof(names) / sizeof(names[0]) == sizeof(offs) / sizeof(offs[0]),
		       "one offset per name");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		GElf_Sym s;
		if (ef_dynsym_lookup(f, names[i], &s) != 0 || !s.st_value)
			return -ENOENT;
		*offs[i] = s.st_value;
	}
	return 0;
}

int tst_open(struct tst_runtime *r, const char *registry_text)
{
	char path[4096], id[130], err[256];
	struct ef_file f;
	memset(r, 0, sizeof(*r));
	if (tst_rt_path(path, sizeof(path)) != 0 || ef_open_path(&f, path, err, sizeof(err)) != 0)
		return -ENOENT;
	int rc = ef_build_id(&f, id, sizeof(id), err, sizeof(err));
	if (rc == 0)
		rc = tst_exports(r, &f);
	ef_close(&f);
	if (rc == 0 && !(r->base = tst_recorded_base(registry_text, id)))
		rc = -ENOENT;
	return rc;
}

int tst_read(const struct tst_runtime *r, int memfd, struct polus_rt_track_shared *s)
{
	/* the runtime may update it meanwhile: read until two reads agree on seq */
	for (int tries = 0; tries < 5; tries++) {
		uint64_t seq;
		int rc = pf_mem_read(memfd, r->base + r->off_state, s, sizeof(*s));
		if (rc)
			return rc;
		rc = pf_mem_read(
		    memfd, r->base + r->off_state + offsetof(struct polus_rt_track_shared, seq),
		    &seq, sizeof(seq));
		if (rc)
			return rc;
		if (seq == s->seq)
			break;
	}
	if (s->nframes > POLUS_TRACK_MAX_FRAMES || s->nvars > POLUS_TRACK_MAX_VARS)
		return -EPROTO;
	return 0;
}

const char *tst_state_name(int state)
{
	switch (state) {
	case POLUS_TRACK_ARMING:
		return "armed";
	case POLUS_TRACK_ACTIVE:
		return "active";
	case POLUS_TRACK_ENDED:
		return "ended";
	default:
		return "idle";
	}
}

const char *tst_sym_at(const struct ef_file *f, uint64_t a, int want_func)
{
	for (size_t i = 0; f && i < f->nsyms; i++) {
		const struct ef_sym *s = &f->syms[i];
		if (s->defined && (s->type == STT_FUNC) == (want_func != 0) &&
		    (want_func || s->type == STT_OBJECT) && a >= s->value && a < s->value + s->size)
			return s->name;
	}
	return "?";
}

/* Names from the executable: the variables' old copies and the frames' functions. */
static void name_all(const struct polus_rt_track_shared *s, const struct tg_info *tg,
		     struct ef_file *ef, int have_ef, struct tst_view *v)
{
	size_t o = 0;
	for (uint32_t i = 0; i < s->nvars && o < sizeof(v->vars); i++)
		o +=
		    (size_t)snprintf(v->vars + o, sizeof(v->vars) - o, "%s%s", i ? ", " : "",
				     have_ef ? tst_sym_at(ef, s->vars[i].addr - tg->bias, 0) : "?");
	for (uint32_t i = 0; i < s->nframes; i++) {
		struct tst_frame_view *f = &v->frames[i];
		const char *fn = have_ef ? tst_sym_at(ef, s->frames[i].pc - tg->bias, 1) : "?";
		/* a clone (watch.constprop.0) by its source name, as polus-apply names it */
		snprintf(f->fn, sizeof(f->fn), "%.*s", (int)strcspn(fn, "."), fn);
		f->tid = (pid_t)s->frames[i].tid;
		f->returned = s->frames[i].done != 0;
		snprintf(f->comm, sizeof(f->comm), "?");
		pf_status_field(tg->pid, f->tid, "Name", f->comm, sizeof(f->comm));
	}
}

int tst_view(pid_t pid, const char *registry_text, struct tst_view *v)
{
	static struct polus_rt_track_shared s;
	struct tst_runtime r;
	struct tg_info tg;
	struct ef_file ef;
	char err[256];
	memset(v, 0, sizeof(*v));
	int rc = tst_open(&r, registry_text), memfd;
	if (rc)
		return rc;
	if ((memfd = pf_mem_open(pid, 0)) < 0)
		return memfd;
	rc = tst_read(&r, memfd, &s);
	close(memfd);
	if (rc || s.state == POLUS_TRACK_IDLE)
		return rc ? rc : -ENOENT;
	if ((rc = tg_open(pid, &tg, err, sizeof(err))) != 0)
		return rc;
	int have_ef = ef_open_path(&ef, tg.exe_path, err, sizeof(err)) == 0 &&
		      ef_load_symbols(&ef, err, sizeof(err)) == 0;
	v->frames = calloc(s.nframes + 1, sizeof(*v->frames));
	if (v->frames) {
		v->state = s.state;
		v->left = s.left;
		v->nframes = s.nframes;
		v->nvars = s.nvars;
		v->stores = s.stores;
		v->chained = s.chained;
		name_all(&s, &tg, &ef, have_ef, v);
	}
	if (have_ef)
		ef_close(&ef);
	tg_close(&tg);
	return v->frames ? 0 : -ENOMEM;
}

void tst_view_free(struct tst_view *v)
{
	free(v->frames);
	memset(v, 0, sizeof(*v));
}

void tst_print_text(FILE *f, const struct tst_view *v)
{
	if (v->state == POLUS_TRACK_ENDED) {
		fprintf(
		    f,
		    "  coexistence ended: %s; %u old frame%s returned; %llu old writes tracked\n",
		    v->vars, v->nframes, v->nframes == 1 ? "" : "s", (unsigned long long)v->stores);
		return;
	}
	fprintf(f, "  coexistence %s: %s; %d of %u old frame%s left", tst_state_name(v->state),
		v->vars, v->left, v->nframes, v->nframes == 1 ? "" : "s");
	const char *sep = ": ";
	for (uint32_t i = 0; i < v->nframes; i++)
		if (!v->frames[i].returned) {
			fprintf(f, "%s%s in thread %d (%s)", sep, v->frames[i].fn,
				(int)v->frames[i].tid, v->frames[i].comm);
			sep = ", ";
		}
	fprintf(f, "; %llu old writes tracked\n", (unsigned long long)v->stores);
}

void tst_print_json(FILE *f, const struct tst_view *v)
{
	fprintf(f, "\"coexistence\":{\"state\":\"%s\",\"variables\":[", tst_state_name(v->state));
	const char *p = v->vars;
	for (int first = 1; *p; first = 0) {
		size_t n = strcspn(p, ",");
		char name[128];
		snprintf(name, sizeof(name), "%.*s", (int)n, p);
		fputs(first ? "" : ",", f);
		json_str(f, name);
		p += n;
		p += strspn(p, ", ");
	}
	fprintf(f,
		"],\"frames_left\":%d,\"old_writes\":%llu,\"faults_passed_on\":%llu,\"frames\":[",
		v->left, (unsigned long long)v->stores, (unsigned long long)v->chained);
	for (uint32_t i = 0; i < v->nframes; i++) {
		fprintf(f, "%s{\"function\":", i ? "," : "");
		json_str(f, v->frames[i].fn);
		fprintf(f, ",\"tid\":%d,\"thread\":", (int)v->frames[i].tid);
		json_str(f, v->frames[i].comm);
		fprintf(f, ",\"returned\":%s}", v->frames[i].returned ? "true" : "false");
	}
	fprintf(f, "]}");
}
