/*
 * registry_io — the registry in the target (see registry_io.h).
 */
#include "registry_io.h"
#include "errmsg.h"
#include "exitcodes.h"
#include "test_kill.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

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

int ri_published(struct ri_ctx *r, uint64_t **addrs, size_t *n)
{
	char *text;
	size_t used, k = 0;
	uint64_t start;
	*addrs = NULL;
	*n = 0;
	int rc = tg_refresh_maps(r->tg);
	if (!rc && (rc = tg_registry_read(r->memfd, &r->tg->maps, &text, &used, &start)) != 0)
		return rc == -ENOENT ? 0 : rc;
	if (rc)
		return rc;
	struct reg_patch *v = NULL;
	size_t nv = 0;
	char derr[256];
	if (reg_decode(text, used, &v, &nv, derr, sizeof(derr)) != 0)
		nv = 0;
	size_t lines = 1;
	for (const char *p = text; *p; p++)
		lines += *p == '\n';
	if ((*addrs = calloc(nv + lines, sizeof(**addrs)))) {
		for (size_t i = 0; i < nv; i++)
			(*addrs)[k++] = v[i].load_addr;
		for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
			unsigned long long a;
			if (sscanf(l, REG_LINE_RUNTIME "\t%llx", &a) == 1)
				(*addrs)[k++] = a;
		}
	}
	*n = k;
	reg_free(v, nv);
	free(text);
	return *addrs || !(nv + lines) ? 0 : -ENOMEM;
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

/* The text in the registry now (malloc'd, NUL-terminated): what a write is compared with. */
static int read_current(struct ri_ctx *r, char **text, size_t *len)
{
	uint64_t start;
	int rc = tg_registry_read(r->memfd, &r->tg->maps, text, len, &start);
	if (rc)
		return fail(r, PX_INTERNAL, "cannot read the registry of process %d: %s",
			    (int)r->tg->pid, strerror(-rc));
	return 0;
}

/* Where text (len bytes) first differs from cur (cur_len): writes start there. */
static size_t first_change(const char *cur, size_t cur_len, const char *text, size_t len)
{
	size_t i = 0;
	while (i < len && i < cur_len && cur[i] == text[i])
		i++;
	return i;
}

/*
 * Makes the registry's text `text` (len bytes): writes, with its NUL, only from the first
 * byte that differs from the text there now (a record's in-place update is a small
 * write; bytes after the NUL are never read). logged: the bytes it overwrites go in the
 * undo log first.
 */
static int write_text(struct ri_ctx *r, const char *text, size_t len, int logged)
{
	char *cur;
	size_t cur_len, first;
	struct ul_entry *e = NULL;
	int rc;
	if (len >= REG_MAP_SIZE)
		return fail(r, PX_NOTAPPLY, "the registry of process %d is full", (int)r->tg->pid);
	if ((rc = read_current(r, &cur, &cur_len)))
		return rc;
	first = first_change(cur, cur_len, text, len);
	free(cur);
	if (first == len && cur_len == len)
		return 0;
	uint64_t at = r->addr + first;
	size_t n = len - first + 1; /* with its NUL */
	if (logged && (rc = log_bytes(r, at, n, &e)))
		return rc;
	rc = pf_mem_write(r->memfd, at, text + first, n);
	tk_step("registry write");
	if (rc) {
		if (e) /* maybe written in part: the undo writes the old bytes back */
			e->made = 1;
		return fail(r, PX_INTERNAL, "cannot write the registry of process %d: %s",
			    (int)r->tg->pid, strerror(-rc));
	}
	return e ? ul_made(r->log, e, r->err, r->errlen) : 0;
}

/*
 * Appends the n bytes from `tail` (with their NUL) after the text read, all but the first:
 * the text still ends at that byte, which polus_rt_commit writes (rt_abi.h). Logged.
 */
static int write_unpublished(struct ri_ctx *r, const char *tail, size_t n)
{
	uint64_t at = r->addr + r->old_len;
	struct ul_entry *e = NULL;
	int rc = log_bytes(r, at, n, &e);
	if (rc)
		return rc;
	r->publish = at;
	r->publish_byte = (uint8_t)tail[0];
	r->journal = (at + n + 15) & ~(uint64_t)15;
	r->journal_room = r->addr + REG_MAP_SIZE - r->journal;
	rc = pf_mem_write(r->memfd, at + 1, tail + 1, n - 1);
	tk_step("registry write");
	if (rc) {
		e->made = 1; /* maybe written in part: the undo writes the old bytes back */
		return fail(r, PX_INTERNAL, "cannot write the registry of process %d: %s",
			    (int)r->tg->pid, strerror(-rc));
	}
	return ul_made(r->log, e, r->err, r->errlen);
}

/* The text read, then the prefix line (a fresh runtime's), in a buffer of its own. */
static char *with_prefix(const struct ri_ctx *r, size_t *len)
{
	const char *head = r->old ? r->old : REG_MAGIC, *pre = r->prefix ? r->prefix : "";
	size_t hl = r->old ? r->old_len : strlen(REG_MAGIC), pl = strlen(pre);
	char *buf = malloc(hl + pl + 1);
	if (!buf)
		return NULL;
	memcpy(buf, head, hl);
	memcpy(buf + hl, pre, pl + 1);
	*len = hl + pl;
	return buf;
}

/* The index of the rolled-back record of rec's image (build and address) in text, or -1. */
static long rolled_back_record(const char *text, size_t len, const struct reg_patch *rec)
{
	const char *id = rec->build_id;
	struct reg_patch *v;
	size_t n;
	long found = -1;
	char derr[256];
	if (!text || strcmp(id, "-") == 0 || reg_decode(text, len, &v, &n, derr, sizeof(derr)))
		return -1;
	for (size_t i = 0; i < n && found < 0; i++)
		if (strcasecmp(v[i].build_id, id) == 0 && v[i].load_addr == rec->load_addr &&
		    strcmp(v[i].state, REG_STATE_ROLLED_BACK) == 0)
			found = (long)i;
	reg_free(v, n);
	return found;
}

int ri_write_record(struct ri_ctx *r, const struct reg_patch *rec, int logged)
{
	char *buf = NULL;
	size_t len = r->old_len;
	long again;
	int rc = 0;
	if ((r->old || r->prefix) && !(buf = with_prefix(r, &len)))
		return fail(r, PX_INTERNAL, "out of memory");
	/* the record of a done apply replaces the rolled-back one of its image (reuse.h) */
	while (!logged && !rc && (again = rolled_back_record(buf, len, rec)) >= 0)
		rc = reg_text_remove(&buf, &len, (size_t)again);
	if (rc || reg_encode(rec, &buf, &len) != 0) {
		free(buf);
		return fail(r, PX_INTERNAL, "out of memory");
	}
	if (!logged)
		rc = write_text(r, buf, len, 0);
	else if (len >= REG_MAP_SIZE)
		rc = fail(r, PX_NOTAPPLY, "the registry of process %d is full", (int)r->tg->pid);
	else
		rc = write_unpublished(r, buf + r->old_len, len - r->old_len + 1);
	free(buf);
	return rc;
}

/* The records idx[0..n) of the text *buf (*len) get state `state`. */
static int set_states(struct ri_ctx *r, char **buf, size_t *len, const size_t *idx, size_t n,
		      const char *state)
{
	for (size_t i = 0; i < n; i++) {
		int e = reg_text_set_state(buf, len, idx[i], state);
		if (e)
			return fail(r, PX_INTERNAL,
				    e == -1 ? "out of memory"
					    : "registry of process %d: no record %zu",
				    (int)r->tg->pid, idx[i]);
	}
	return 0;
}

int ri_set_state(struct ri_ctx *r, const size_t *idx, size_t n, const char *state, int logged)
{
	char *buf;
	size_t len;
	int rc = read_current(r, &buf, &len);
	if (!rc)
		rc = set_states(r, &buf, &len, idx, n, state);
	if (!rc)
		rc = write_text(r, buf, len, logged);
	free(buf);
	return rc;
}

/* st for the registry's text going from cur (cur_len) to text (len). */
static int stage(struct ri_ctx *r, const char *cur, size_t cur_len, const char *text, size_t len,
		 struct ri_stage *st)
{
	size_t first, end = len > cur_len ? len : cur_len;
	if (end >= REG_MAP_SIZE)
		return fail(r, PX_NOTAPPLY, "the registry of process %d is full", (int)r->tg->pid);
	first = first_change(cur, cur_len, text, len);
	st->copy_len = len - first + 1; /* with its NUL */
	st->copy = malloc(st->copy_len);
	st->was = calloc(1, st->copy_len);
	if (!st->copy || !st->was)
		return fail(r, PX_INTERNAL, "out of memory");
	memcpy(st->copy, text + first, st->copy_len);
	if (pf_mem_read(r->memfd, r->addr + first, st->was, st->copy_len) != 0)
		return fail(r, PX_INTERNAL, "cannot read the registry of process %d",
			    (int)r->tg->pid);
	st->at = r->addr + first;
	st->at_byte = st->was[0];
	st->journal = (r->addr + end + 1 + 15) & ~(uint64_t)15;
	st->journal_room = r->addr + REG_MAP_SIZE - st->journal;
	return 0;
}

int ri_stage_state(struct ri_ctx *r, const size_t *idx, size_t n, const char *state,
		   struct ri_stage *st)
{
	char *cur = NULL, *buf = NULL;
	size_t cur_len = 0, len = 0;
	int rc = read_current(r, &cur, &cur_len);
	memset(st, 0, sizeof(*st));
	if (!rc && !(buf = malloc(cur_len + 1)))
		rc = fail(r, PX_INTERNAL, "out of memory");
	if (!rc) {
		memcpy(buf, cur, cur_len + 1);
		len = cur_len;
	}
	if (!rc)
		rc = set_states(r, &buf, &len, idx, n, state);
	if (!rc)
		rc = stage(r, cur, cur_len, buf, len, st);
	free(cur);
	free(buf);
	return rc;
}

void ri_stage_free(struct ri_stage *st)
{
	free(st->copy);
	free(st->was);
	memset(st, 0, sizeof(*st));
}

void ri_event(struct reg_event *ev, const char *action, const struct reg_patch *p,
	      uint64_t pause_ns)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	*ev = (struct reg_event){
	    (char *)action,	  p->name,
	    p->build_id,	  (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec,
	    (uint64_t)getuid(),	  pause_ns,
	    (char *)REG_RESULT_OK};
}

char *ri_result(char *buf, size_t len, const struct reg_live *data, size_t n)
{
	size_t o = (size_t)snprintf(buf, len, "%s", REG_RESULT_OK);
	for (size_t i = 0; i < n && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "; %s: %s", data[i].name, data[i].how);
	return buf;
}

int ri_add_events(struct ri_ctx *r, const struct reg_event *ev, size_t n)
{
	char *buf;
	size_t len;
	int rc = read_current(r, &buf, &len);
	for (size_t i = 0; i < n && !rc; i++)
		if (reg_text_add_event(&buf, &len, &ev[i]) != 0)
			rc = fail(r, PX_INTERNAL, "out of memory");
	if (!rc)
		rc = write_text(r, buf, len, 0);
	free(buf);
	return rc;
}
