/*
 * registry_io — the registry in the target (see registry_io.h).
 */
#include "registry_io.h"
#include "errmsg.h"
#include "exitcodes.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define fail(r, code, ...) px_err((r)->err, (r)->errlen, code, __VA_ARGS__)

void ri_init(struct ri_ctx *r, int memfd, struct tg_info *tg, struct ul_log *log, char *err,
	     size_t errlen)
{
	memset(r, 0, sizeof(*r));
	r->memfd = memfd;
	r->tg = tg;
	r->log = log;
	r->err = err;
	r->errlen = errlen;
}

void ri_free(struct ri_ctx *r)
{
	free(r->old);
	r->old = NULL;
}

int ri_list(struct ri_ctx *r, struct reg_patch **v, size_t *n)
{
	char *text, derr[256];
	size_t used;
	uint64_t start;
	int rc = tg_registry_read(r->memfd, &r->tg->maps, &text, &used, &start);
	if (rc == -ENOENT)
		return rc;
	if (rc)
		return fail(r, PX_INTERNAL, "cannot read the registry of process %d: %s",
			    (int)r->tg->pid, strerror(-rc));
	rc = reg_decode(text, used, v, n, derr, sizeof(derr));
	free(text);
	if (rc)
		return fail(r, PX_INTERNAL, "process %d: %s", (int)r->tg->pid, derr);
	return 0;
}

int ri_ensure(struct ri_ctx *r, struct rl_ctx *rl, int may_create)
{
	uint64_t end;
	if (tg_refresh_maps(r->tg))
		return fail(r, PX_INTERNAL, "cannot re-read the map of process %d",
			    (int)r->tg->pid);
	if (tg_registry_find(&r->tg->maps, &r->addr, &end) == 0)
		return 0;
	if (!may_create) /* another apply's, undone since we looked */
		return fail(r, PX_UNSAFE, "the registry of process %d went away meanwhile",
			    (int)r->tg->pid);
	return rl_create_registry(rl, &r->addr);
}

int ri_read(struct ri_ctx *r)
{
	char *text;
	size_t used;
	uint64_t start;
	int rc = tg_refresh_maps(r->tg);
	if (!rc)
		rc = tg_registry_read(r->memfd, &r->tg->maps, &text, &used, &start);
	if (rc)
		return fail(r, PX_INTERNAL, "cannot read the registry of process %d: %s",
			    (int)r->tg->pid, strerror(-rc));
	free(r->old);
	r->old = used ? text : NULL;
	r->old_len = used;
	if (!used)
		free(text);
	r->addr = start;
	return 0;
}

/* Logs the n bytes at addr as they are now, before they are overwritten. */
static int log_bytes(struct ri_ctx *r, uint64_t addr, size_t n, struct ul_entry **e)
{
	uint8_t *was = malloc(n);
	int rc;
	if (!was)
		return fail(r, PX_INTERNAL, "out of memory");
	if ((rc = pf_mem_read(r->memfd, addr, was, n)) != 0) {
		free(was);
		return fail(r, PX_INTERNAL, "cannot read the registry of process %d: %s",
			    (int)r->tg->pid, strerror(-rc));
	}
	*e = ul_add(r->log, UL_BYTES, addr, n, was, "our registry record");
	if (*e)
		(*e)->describes = 1;
	free(was);
	return *e ? 0 : fail(r, PX_INTERNAL, "out of memory");
}

int ri_write_record(struct ri_ctx *r, const struct reg_patch *rec, int logged)
{
	char *buf = NULL;
	size_t len = r->old_len;
	struct ul_entry *e = NULL;
	int rc;
	if (r->old) {
		if (!(buf = malloc(r->old_len + 1)))
			return fail(r, PX_INTERNAL, "out of memory");
		memcpy(buf, r->old, r->old_len + 1);
	}
	if (reg_encode(rec, &buf, &len) != 0)
		return fail(r, PX_INTERNAL, "out of memory");
	if (len >= REG_MAP_SIZE) {
		free(buf);
		return fail(r, PX_NOTAPPLY, "the registry of process %d is full", (int)r->tg->pid);
	}
	uint64_t at = r->addr + r->old_len;
	size_t n = len - r->old_len + 1; /* with its NUL */
	if (logged && (rc = log_bytes(r, at, n, &e))) {
		free(buf);
		return rc;
	}
	rc = pf_mem_write(r->memfd, at, buf + r->old_len, n);
	free(buf);
	if (rc) {
		if (e) /* maybe written in part: the undo writes the old bytes back */
			e->made = 1;
		return fail(r, PX_INTERNAL, "cannot write the registry of process %d: %s",
			    (int)r->tg->pid, strerror(-rc));
	}
	return e ? ul_made(r->log, e, r->err, r->errlen) : 0;
}
