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

/* Reads one patch's build-id, version file and raw records (*rec, malloc'd). */
static int load_one(struct chain_patch *cp, const char *path, char **rec, size_t *rlen, char *err,
		    size_t errlen)
{
	struct ef_file ei;
	char *buf = NULL, sub[512];
	size_t len;
	int r;
	cp->path = path;
	if (ef_open_path(&ei, path, err, errlen))
		return -1;
	if (ef_build_id(&ei, cp->build_id, sizeof(cp->build_id), err, errlen))
		goto fail;
	r = ef_section_copy(&ei, POLUS_VERSION_SECTION, &buf, &len, err, errlen);
	if (r) {
		if (r == -ENOENT)
			msg(err, errlen,
			    "%s: no " POLUS_VERSION_SECTION " section: not a polus patch", path);
		goto fail;
	}
	if (vf_parse(buf, len, &cp->vf, sub, sizeof(sub))) {
		msg(err, errlen, "%s: %s", path, sub);
		goto fail;
	}
	free(buf);
	r = ef_section_copy(&ei, POLUS_META_SECTION, rec, rlen, err, errlen);
	ef_close(&ei);
	if (r == -ENOENT)
		msg(err, errlen,
		    "%s carries no metadata of its release (built by an older polus-mkpatch?): "
		    "rebuild it",
		    path);
	return r ? -1 : 0;
fail:
	free(buf);
	ef_close(&ei);
	return -1;
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
		msg(err, errlen, "%s: no " POLUS_META_SECTION " section", path);
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
	}
	free(ch->p);
	memset(ch, 0, sizeof(*ch));
}

const struct chain_patch *chain_carrier(const struct chain *ch, const char *name, const char *unit)
{
	for (size_t i = ch->n; i-- > 0;)
		for (size_t f = 0; f < ch->p[i].vf.nfunctions; f++) {
			const struct vf_function *vf = &ch->p[i].vf.functions[f];
			if (!strcmp(vf->name, name) && (!vf->unit || !strcmp(vf->unit, unit)))
				return &ch->p[i];
		}
	return NULL;
}
