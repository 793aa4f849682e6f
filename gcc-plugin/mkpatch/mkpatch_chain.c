/*
 * mkpatch_chain — reads the patches below the one being built (see mkpatch_chain.h).
 */
#include "mkpatch_chain.h"
#include "elffile.h"
#include "formats.h"
#include "mkpatch_release.h"
#include "mkpatch_util.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Reads one patch's build-id, version file and raw records (*rec, malloc'd), and keeps
 * the patch open with its symbols: a later patch redirects the copies it holds. */
static int load_one(struct chain_patch *cp, const char *path, char **rec, size_t *rlen, char *err,
		    size_t errlen)
{
	struct ef_file *ei = &cp->ef;
	char *buf = NULL, sub[512];
	size_t len;
	int r;
	cp->path = path;
	if (ef_open_path(ei, path, err, errlen))
		return -1;
	cp->open = 1;
	if (ef_build_id(ei, cp->build_id, sizeof(cp->build_id), err, errlen) ||
	    ef_load_symbols(ei, err, errlen))
		return -1;
	if (ef_link_base(ei, &cp->link_base))
		return msg(err, errlen, "%s: no loadable segment", path);
	r = ef_section_copy(ei, POLUS_VERSION_SECTION, &buf, &len, err, errlen);
	if (r) {
		if (r == -ENOENT)
			msg(err, errlen,
			    "%s: no " POLUS_VERSION_SECTION " section: not a polus patch", path);
		return -1;
	}
	r = vf_parse(buf, len, &cp->vf, sub, sizeof(sub));
	free(buf);
	if (r)
		return msg(err, errlen, "%s: %s", path, sub);
	r = ef_section_copy(ei, POLUS_META_SECTION, rec, rlen, err, errlen);
	if (r == -ENOENT)
		msg(err, errlen,
		    "%s carries no metadata of its release (built by an older polus-mkpatch?): "
		    "rebuild it",
		    path);
	return r ? -1 : 0;
}

/* The base binary's raw records: the release below the first patch. */
static int base_records(const char *path, char **buf, size_t *len, char *err, size_t errlen)
{
	struct ef_file ei;
	int r;
	if (ef_open_path(&ei, path, err, errlen))
		return -1;
	r = ef_section_copy(&ei, POLUS_META_SECTION, buf, len, err, errlen);
	ef_close(&ei);
	if (r == -ENOENT)
		msg(err, errlen, "%s: no .polus.meta section", path);
	return r ? -1 : 0;
}

/* Patch i targets OLD and requires exactly the patches before it. */
static int check_order(const struct chain *ch, size_t i, const char *base_build_id, char *err,
		       size_t errlen)
{
	const struct chain_patch *cp = &ch->p[i];
	if (strcmp(cp->vf.target_build_id, base_build_id))
		return msg(err, errlen, "%s applies to build-id %s, OLD is %s: not a patch of OLD",
			   cp->path, cp->vf.target_build_id, base_build_id);
	if (cp->vf.nrequires != i)
		return msg(err, errlen,
			   "%s requires %zu patch(es) below it, given %zu before it: give the "
			   "patches in the order they were applied",
			   cp->path, cp->vf.nrequires, i);
	for (size_t k = 0; k < i; k++)
		if (strcmp(cp->vf.requires[k], ch -> p[k].build_id))
			return msg(err, errlen,
				   "%s requires %s as patch %zu, but %s is %s: give the patches in "
				   "the order they were applied",
				   cp->path, cp->vf.requires[k], k + 1, ch->p[k].path,
				   ch->p[k].build_id);
	return 0;
}

/* The release patch i brought: its records merged onto `below`, which becomes it. */
static int load_release(struct chain_patch *cp, char *rec, size_t rlen, char **below, size_t *blen,
			char *err, size_t errlen)
{
	char *rel = NULL, sub[512];
	size_t len = 0;
	if (release_merge(*below, *blen, rec, rlen, &rel, &len, sub, sizeof(sub)))
		return msg(err, errlen, "%s: %s", cp->path, sub);
	free(*below);
	*below = xmalloc(len + 1);
	memcpy(*below, rel, len + 1);
	*blen = len;
	if (meta_parse(rel, len, &cp->meta, sub, sizeof(sub)))
		return msg(err, errlen, "%s: %s", cp->path, sub); /* chain_free frees rel */
	return 0;
}

int chain_load(struct chain *ch, char *const *paths, size_t n, const char *base_path,
	       const char *base_build_id, char *err, size_t errlen)
{
	char *below = NULL;
	size_t blen = 0;
	int rc;
	memset(ch, 0, sizeof(*ch));
	ch->p = xcalloc(n, sizeof(*ch->p));
	rc = base_records(base_path, &below, &blen, err, errlen);
	for (size_t i = 0; i < n && !rc; i++) {
		char *rec = NULL;
		size_t rlen = 0;
		ch->n = i + 1;
		rc = load_one(&ch->p[i], paths[i], &rec, &rlen, err, errlen) ||
		     check_order(ch, i, base_build_id, err, errlen) ||
		     load_release(&ch->p[i], rec, rlen, &below, &blen, err, errlen);
		free(rec);
	}
	free(below);
	return rc ? -1 : 0;
}

void chain_free(struct chain *ch)
{
	for (size_t i = 0; i < ch->n; i++) {
		vf_free(&ch->p[i].vf);
		meta_free(&ch->p[i].meta);
		if (ch->p[i].open)
			ef_close(&ch->p[i].ef);
	}
	free(ch->p);
	memset(ch, 0, sizeof(*ch));
}

/* The function symbol at `addr` of the patch, preferring the one named `name`. */
static const struct ef_sym *sym_at(const struct chain_patch *cp, uint64_t addr, const char *name)
{
	const struct ef_sym *any = NULL;
	for (size_t i = 0; i < cp->ef.nsyms; i++) {
		const struct ef_sym *s = &cp->ef.syms[i];
		if (!s->defined || s->type != STT_FUNC || s->value != addr)
			continue;
		if (!strcmp(s->name, name))
			return s;
		if (!any)
			any = s;
	}
	return any;
}

const struct ef_sym *chain_copy(const struct chain_patch *cp, const char *name, const char *unit,
				const char *asm_name, const char *src, int is_static)
{
	const struct ef_sym *s;
	for (size_t f = 0; f < cp->vf.nfunctions; f++) {
		const struct vf_function *vf = &cp->vf.functions[f];
		if (!strcmp(vf->name, name) && (!vf->unit || !strcmp(vf->unit, unit)))
			return sym_at(cp, vf->new_addr, vf->new_symbol);
	}
	if (!asm_name || !strcmp(asm_name, "-"))
		return NULL;
	s = ef_find(&cp->ef, asm_name, is_static ? src : NULL, is_static);
	return s && s != &ef_ambiguous && s->type != STT_FUNC ? NULL : s;
}

static const char *base(const char *path)
{
	const char *b = strrchr(path, '/');
	return b ? b + 1 : path;
}

const char *chain_clone(const struct chain_patch *cp, const char *asm_name, const char *src)
{
	static const char *const kinds[] = {"constprop.", "isra.", "part."};
	size_t n = asm_name ? strlen(asm_name) : 0;
	if (!n || !strcmp(asm_name, "-"))
		return NULL;
	for (size_t i = 0; i < cp->ef.nsyms; i++) {
		const struct ef_sym *s = &cp->ef.syms[i];
		if (!s->defined || s->type != STT_FUNC || strncmp(s->name, asm_name, n) ||
		    s->name[n] != '.' || (s->file && src && strcmp(base(s->file), base(src))))
			continue;
		for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
			if (!strncmp(s->name + n + 1, kinds[k], strlen(kinds[k])))
				return s->name;
	}
	return NULL;
}
