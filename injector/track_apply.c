/*
 * track_apply — write tracking armed by polus-apply (see track_apply.h).
 */
#include "track_apply.h"
#include "errmsg.h"
#include "exitcodes.h"
#include "patch_site.h"
#include "procfs.h"
#include "rt_agent.h"
#include "thread_frames.h"
#include "track_cfi.h"
#include "track_unwind.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define fail(t, code, ...) px_err((t)->err, (t)->errlen, code, __VA_ARGS__)

void ta_init(struct ta_ctx *t, pid_t pid, char *err, size_t errlen)
{
	memset(t, 0, sizeof(*t));
	t->pid = pid;
	t->err = err;
	t->errlen = errlen;
}

void ta_free(struct ta_ctx *t)
{
	free(t->f);
	t->f = NULL;
	t->n = t->cap = 0;
}

int ta_possible(const struct vf_patch *vf)
{
	size_t vars = 0;
	if (!vf->track_table || !vf->track_table_size)
		return 0;
	for (size_t i = 0; i < vf->ndata; i++) {
		const struct vf_data *d = &vf->data[i];
		if (!d->variable)
			continue;
		if (!d->sync_track || !d->sync_new2old_to || !d->coexist_flag || !d->carry_slot ||
		    !d->old_addr || !d->old_size)
			return 0;
		vars++;
	}
	return vars > 0;
}

/* ---- the frames ---- */

static int add_frame(struct ta_ctx *t, uint64_t slot, uint64_t pc, pid_t tid, const char *fn,
		     const char *var)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->f[i].slot == slot)
			return 0; /* the same frame, a writer of two variables */
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 16;
		struct ta_frame *f = realloc(t->f, cap * sizeof(*f));
		if (!f)
			return -ENOMEM;
		t->f = f;
		t->cap = cap;
	}
	t->f[t->n++] = (struct ta_frame){slot, pc, tid, fn, var};
	return 0;
}

/* Whether the word at slot (above `above`) is a return address: a real frame's. */
static int plausible(int memfd, uint64_t slot, uint64_t above)
{
	uint64_t ra;
	return slot > above && (slot & 7) == 0 && pf_mem_read(memfd, slot, &ra, 8) == 0 &&
	       tf_after_call(memfd, ra);
}

struct where {
	const struct cfi *cfi;
	int memfd;
	uint64_t bias;
};

/*
 * The slot of the frame running at pc with stack pointer rsp (and rbp when the thread's
 * registers are known to be this frame's: innermost). A frame whose CFA is rbp-based,
 * seen through a return address, takes the rbp its callee saved first (a frame pointer
 * chain), else the thread's own. 0: no plausible slot.
 */
static uint64_t slot_of(const struct where *w, uint64_t pc, uint64_t rsp, uint64_t rbp,
			int innermost, int *unwound)
{
	int reg;
	int64_t off;
	*unwound = cfi_cfa(w->cfi, pc - w->bias, &reg, &off) == 0;
	if (!*unwound)
		return 0;
	if (reg == CFI_RSP)
		return plausible(w->memfd, rsp + (uint64_t)off - 8, rsp - 1)
			   ? rsp + (uint64_t)off - 8
			   : 0;
	uint64_t cand[2] = {rbp, 0};
	if (!innermost && pf_mem_read(w->memfd, rsp - 16, &cand[0], 8) != 0)
		cand[0] = 0;
	if (!innermost)
		cand[1] = rbp;
	for (int i = 0; i < 2; i++)
		if (cand[i] && plausible(w->memfd, cand[i] + (uint64_t)off - 8, rsp - 1))
			return cand[i] + (uint64_t)off - 8;
	return 0;
}

/* The frames of writer [lo, hi) in thread th: the innermost, then each return address into
 * it (a frame of it that called something). -1 when one cannot be placed. */
static int thread_frames(struct ta_ctx *t, const struct where *w, const struct pt_thread *th,
			 const uint64_t *stk, size_t got, uint64_t lo, uint64_t hi, const char *fn,
			 const char *var)
{
	const struct user_regs_struct *r = &th->regs;
	uint64_t base = r->rsp & ~7ULL, slot;
	int unwound;
	if (r->rip >= lo && r->rip < hi) {
		slot = slot_of(w, r->rip, r->rsp, r->rbp, 1, &unwound);
		if (!slot || add_frame(t, slot, r->rip, th->tid, fn, var))
			return -1;
	}
	for (size_t k = 0; k < got; k++) {
		uint64_t v = stk[k], at = base + 8 * k;
		if (v <= lo || v > hi || !tf_after_call(w->memfd, v))
			continue;
		/* the caller's state right after the call returns: rsp = at + 8 */
		slot = slot_of(w, v - 1, at + 8, r->rbp, 0, &unwound);
		if (slot && add_frame(t, slot, v, th->tid, fn, var))
			return -1;
		if (!slot && !unwound)
			return -1; /* a return address we cannot place: not a stale word */
	}
	return 0;
}

/* A frame of the unwinding: an old writer's, noted with its slot. */
struct visit {
	struct ta_ctx *t;
	const struct vf_patch *vf;
	uint64_t bias;
	pid_t tid;
};

static int visit_frame(void *ctx, uint64_t pc, uint64_t cfa)
{
	struct visit *v = ctx;
	for (size_t d = 0; d < v->vf->ndata; d++) {
		const struct vf_data *x = &v->vf->data[d];
		for (size_t k = 0; x->variable && k < x->nwriters; k++) {
			uint64_t lo = v->bias + x->writers[k].old_addr;
			if (pc >= lo && pc < lo + x->writers[k].old_size &&
			    add_frame(v->t, cfa - 8, pc, v->tid, x->writers[k].name, x->variable))
				return -1;
		}
	}
	return 0;
}

/* Thread th's writer frames found by the stack scan (when its unwinding stopped short). */
static int scan_thread(struct ta_ctx *t, const struct where *w, const struct pt_thread *th,
		       const struct vf_patch *vf, uint64_t *stk)
{
	size_t got = tf_read_stack(w->memfd, th->regs.rsp, stk);
	for (size_t d = 0; d < vf->ndata; d++) {
		const struct vf_data *x = &vf->data[d];
		for (size_t k = 0; x->variable && k < x->nwriters; k++) {
			uint64_t lo = w->bias + x->writers[k].old_addr;
			if (thread_frames(t, w, th, stk, got, lo, lo + x->writers[k].old_size,
					  x->writers[k].name, x->variable))
				return -1;
		}
	}
	return 0;
}

/* Each thread unwound (exact); the stack scan where the unwinding stops short. */
static int each_thread(struct ta_ctx *t, const struct vf_patch *vf, const struct where *w,
		       const struct pt_group *g, const struct pf_maps *maps)
{
	struct tu_ctx u;
	uint64_t *stk = malloc(PS_STACK_SCAN);
	int bad = !stk || tu_init(&u, maps, w->memfd) != 0;
	t->exact = !bad;
	for (size_t i = 0; i < g->n && !bad; i++) {
		const struct pt_thread *th = &g->v[i];
		struct visit v = {t, vf, w->bias, th->tid};
		if (th->state != PT_STOPPED)
			continue;
		int rc = tu_walk(&u, &th->regs, visit_frame, &v);
		if (rc < 0)
			bad = 1;
		else if (rc == 0) { /* stopped short: what it found is kept, the scan adds */
			t->exact = 0;
			bad = scan_thread(t, w, th, vf, stk) != 0;
		}
	}
	if (stk)
		tu_free(&u);
	free(stk);
	return bad ? -1 : 0;
}

int ta_find(struct ta_ctx *t, const struct vf_patch *vf, uint64_t bias, const char *exe_path,
	    const struct pf_maps *maps, const struct pt_group *g, int memfd)
{
	struct ef_file ef;
	struct cfi cfi;
	char sub[256];
	t->n = 0;
	t->exact = 0;
	if (ef_open_path(&ef, exe_path, sub, sizeof(sub)) != 0)
		return fail(t, PX_INTERNAL, "%s: %s", exe_path, sub);
	int rc = cfi_open(&cfi, &ef);
	ef_close(&ef);
	if (rc) /* no call frame information: the frames cannot be found, wait instead */
		return 0;
	struct where w = {&cfi, memfd, bias};
	if (each_thread(t, vf, &w, g, maps)) { /* an old writer we cannot place: tracking */
		t->n = 0;		       /* could end too early, so wait */
		t->exact = 0;
	}
	cfi_close(&cfi);
	return 0;
}

int ta_check_masks(struct ta_ctx *t, const struct pt_group *g)
{
	for (size_t i = 0; i < g->n; i++) {
		char buf[64], comm[32] = "?";
		unsigned long long m;
		pid_t tid = g->v[i].tid;
		if (pf_status_field(t->pid, tid, "SigBlk", buf, sizeof(buf)) != 0 ||
		    sscanf(buf, "%llx", &m) != 1 || !(m & (1ULL << (11 - 1))))
			continue;
		pf_status_field(t->pid, tid, "Name", comm, sizeof(comm));
		if (!strcmp(comm, POLUS_RT_AGENT_NAME))
			continue; /* the runtime's agent blocks every signal, writes no data */
		return fail(t, PX_UNSAFE,
			    "unsafe to update now: thread %d (%s) blocks SIGSEGV while old code "
			    "writes %s (%s in thread %d): write tracking could not complete its "
			    "writes",
			    (int)tid, comm, t->f[0].var, t->f[0].fn, (int)t->f[0].tid);
	}
	return 0;
}

/* ---- the calls ---- */

static int call(struct ta_ctx *t, struct rs_ctx *rs, const struct rt_ctx *rt, uint64_t off,
		long arg, long *res, const char *what)
{
	long args[6] = {arg, 0, 0, 0, 0, 0};
	int rc;
	if (rs_set_trampoline(rs, rt->base + rt->off_tramp) != 0)
		return fail(t, PX_INTERNAL, "process %d: the runtime at 0x%llx is not ours",
			    (int)t->pid, (unsigned long long)rt->base);
	if ((rc = rs_fncall(rs, rt->base + off, args, res)) != 0)
		return fail(t, PX_INTERNAL, "%s in thread %d failed: %s", what, (int)rs->t->tid,
			    strerror(-rc));
	return 0;
}

_Static_assert(sizeof(struct polus_rt_track_args) <= 128 &&
		   sizeof(struct polus_rt_track_var) + sizeof(uintptr_t) <= 48 &&
		   sizeof(struct polus_rt_track_frame) + sizeof(uintptr_t) <= 48,
	       "POLUS_TRACK_ARGS_MAX holds them");

/* Bytes of a vector of n elements of size sz (uint64 aligned). */
#define VEC(n, sz) (((n) * (sz) + 7) & ~(size_t)7)

/*
 * arm's arguments laid out for the runtime's argument buffer at `at`: the args, the
 * variables, their flags, the frames' slots, the frames' details. malloc'd *buf; its size.
 */
static size_t lay_out(struct ta_ctx *t, const struct vf_patch *vf, uint64_t bias,
		      uint64_t patch_base, uint64_t libc_sigaction, uint64_t at, uint8_t **buf)
{
	size_t nv = 0;
	for (size_t i = 0; i < vf->ndata; i++)
		nv += vf->data[i].variable != NULL;
	size_t o_vars = VEC(1, sizeof(struct polus_rt_track_args)),
	       o_flags = o_vars + VEC(nv, sizeof(struct polus_rt_track_var)),
	       o_slots = o_flags + VEC(nv, sizeof(uintptr_t)),
	       o_info = o_slots + VEC(t->n, sizeof(uintptr_t)),
	       need = o_info + VEC(t->n, sizeof(struct polus_rt_track_frame));
	if (!(*buf = calloc(1, need)))
		return 0;
	struct polus_rt_track_var *vars = (void *)(*buf + o_vars);
	uintptr_t *flags = (void *)(*buf + o_flags), *slots = (void *)(*buf + o_slots);
	struct polus_rt_track_frame *info = (void *)(*buf + o_info);
	for (size_t i = 0, k = 0; i < vf->ndata; i++) {
		const struct vf_data *d = &vf->data[i];
		if (!d->variable)
			continue;
		vars[k] = (struct polus_rt_track_var){
		    bias + d->old_addr, d->old_size,
		    (void (*)(void *, size_t, size_t))(patch_base + d->sync_track_addr), NULL};
		flags[k++] = patch_base + d->coexist_flag_addr;
	}
	for (size_t i = 0; i < t->n; i++) {
		slots[i] = t->f[i].slot;
		info[i] = (struct polus_rt_track_frame){t->f[i].slot, 0, t->f[i].pc,
							(uint32_t)t->f[i].tid, 0};
	}
	*(struct polus_rt_track_args *)*buf =
	    (struct polus_rt_track_args){.size = sizeof(struct polus_rt_track_args),
					 .nvars = (uint32_t)nv,
					 .nframes = (uint32_t)t->n,
					 .table = (const void *)(patch_base + vf->track_table_addr),
					 .table_len = vf->track_table_size,
					 .load_base = bias,
					 .vars = (void *)(at + o_vars),
					 .frames = (void *)(at + o_slots),
					 .libc_sigaction = libc_sigaction,
					 .flags = (void *)(at + o_flags),
					 .frame_info = (void *)(at + o_info)};
	return need;
}

/* Each variable's carry slot in the patch gets the runtime's carry entry. */
static int write_carry(struct ta_ctx *t, struct rs_ctx *rs, const struct vf_patch *vf,
		       uint64_t patch_base)
{
	uint64_t carry = t->rtx.base + t->rtx.off_carry;
	for (size_t i = 0; i < vf->ndata; i++)
		if (vf->data[i].variable &&
		    pf_mem_write(rs->memfd, patch_base + vf->data[i].carry_slot_addr, &carry, 8))
			return fail(t, PX_INTERNAL, "cannot write to the patch in process %d",
				    (int)t->pid);
	return 0;
}

static const char *arm_error(long res)
{
	switch (-res) {
	case EBUSY:
		return "another coexistence is still going on";
	case E2BIG:
		return "too many variables or frames, or a variable larger than write tracking "
		       "carries";
	case EINVAL:
		return "the store table or an argument was refused";
	default:
		return strerror((int)-res);
	}
}

int ta_arm(struct ta_ctx *t, struct rs_ctx *rs, const struct rt_ctx *rt, const struct vf_patch *vf,
	   uint64_t bias, uint64_t patch_base, uint64_t libc_sigaction)
{
	uint8_t *buf = NULL;
	long res;
	int rc = 0;
	t->rtx.base = rt->base;
	if (tst_exports(&t->rtx, (struct ef_file *)&rt->lp.ef) != 0)
		return fail(t, PX_INTERNAL, "the runtime has no write tracking");
	/* into the runtime's own argument buffer: arm copies what it keeps */
	uint64_t at = t->rtx.base + t->rtx.off_argbuf;
	size_t len = lay_out(t, vf, bias, patch_base, libc_sigaction, at, &buf);
	if (!len)
		return fail(t, PX_INTERNAL, "out of memory");
	if (len > POLUS_TRACK_ARGS_MAX) {
		free(buf);
		return fail(t, PX_UNSAFE,
			    "unsafe to update now: %zu old-writer frames are more than write "
			    "tracking takes at once",
			    t->n);
	}
	rc = pf_mem_write(rs->memfd, at, buf, len);
	free(buf);
	if (rc || (rc = write_carry(t, rs, vf, patch_base)))
		return rc > 0 ? rc
			      : fail(t, PX_INTERNAL, "cannot write to process %d", (int)t->pid);
	if ((rc = call(t, rs, rt, t->rtx.off_arm, (long)at, &res, "arming write tracking")))
		return rc;
	if (res == -EDEADLK) { /* another thread blocks SIGSEGV now */
		return fail(t, PX_UNSAFE,
			    "unsafe to update now: a thread blocks SIGSEGV while old code writes "
			    "%s: write tracking could not complete its writes",
			    t->f[0].var);
	}
	if (res)
		return fail(t, res == -EBUSY ? PX_UNSAFE : PX_INTERNAL,
			    "process %d: write tracking cannot be armed: %s", (int)t->pid,
			    arm_error(res));
	t->armed = 1;
	return 0;
}

int ta_publish(struct ta_ctx *t, int memfd, uint64_t publish, uint8_t byte)
{
	uint64_t at = t->rtx.base + t->rtx.off_state;
	uint32_t b = byte;
	if (pf_mem_write(memfd, at + offsetof(struct polus_rt_track_shared, publish_byte), &b,
			 sizeof(b)) ||
	    pf_mem_write(memfd, at + offsetof(struct polus_rt_track_shared, publish), &publish,
			 sizeof(publish)))
		return fail(t, PX_INTERNAL, "cannot write to the runtime in process %d",
			    (int)t->pid);
	return 0;
}

int ta_start(struct ta_ctx *t, struct rs_ctx *rs, const struct rt_ctx *rt)
{
	long res;
	int rc = call(t, rs, rt, t->rtx.off_start, 0, &res, "starting write tracking");
	if (!rc && res)
		rc = fail(t, PX_INTERNAL, "process %d: write tracking cannot start: %s",
			  (int)t->pid, strerror((int)-res));
	t->started = rc == 0;
	return rc;
}

int ta_end(struct ta_ctx *t, struct rs_ctx *rs, const struct rt_ctx *rt)
{
	long res;
	if (!t->armed)
		return 0;
	int rc = call(t, rs, rt, t->rtx.off_end, 0, &res, "ending write tracking");
	t->armed = rc != 0;
	return rc;
}

/* ---- reporting and waiting ---- */

static size_t frame_text(const struct ta_frame *f, pid_t pid, char *buf, size_t len)
{
	char comm[32] = "?";
	pf_status_field(pid, f->tid, "Name", comm, sizeof(comm));
	return (size_t)snprintf(buf, len, "%s in thread %d (%s)", f->fn, (int)f->tid, comm);
}

void ta_text(const struct ta_ctx *t, char *buf, size_t len)
{
	size_t o = (size_t)snprintf(buf, len, "tracking old writes of %s: %zu old frame%s (",
				    t->n ? t->f[0].var : "?", t->n, t->n == 1 ? "" : "s");
	for (size_t i = 0; i < t->n && o < len; i++) {
		if (i)
			o += (size_t)snprintf(buf + o, len - o, ", ");
		if (o < len)
			o += frame_text(&t->f[i], t->pid, buf + o, len - o);
	}
	if (o < len)
		snprintf(buf + o, len - o, ")");
}

/* "coexistence: N of M old frames left: FN in thread T (comm), ..." */
static void progress(const struct ta_ctx *t, const struct polus_rt_track_shared *s, char *buf,
		     size_t len)
{
	size_t o = (size_t)snprintf(buf, len, "coexistence: %d of %u old frame%s left", s->left,
				    s->nframes, s->nframes == 1 ? "" : "s");
	const char *sep = ": ";
	for (uint32_t i = 0; i < s->nframes && o < len; i++) {
		if (s->frames[i].done)
			continue;
		for (size_t k = 0; k < t->n && o < len; k++)
			if (t->f[k].slot == s->frames[i].slot) {
				o += (size_t)snprintf(buf + o, len - o, "%s", sep);
				if (o < len)
					o += frame_text(&t->f[k], t->pid, buf + o, len - o);
				sep = ", ";
			}
	}
	if (o < len)
		snprintf(buf + o, len - o, "; %llu old writes tracked",
			 (unsigned long long)s->stores);
}

int ta_wait(struct ta_ctx *t, int memfd, volatile sig_atomic_t *stop, void (*say)(const char *))
{
	static struct polus_rt_track_shared s;
	char line[1024];
	int last = -1;
	time_t said = 0;
	for (;;) {
		if (*stop) {
			snprintf(line, sizeof(line),
				 "stopped waiting: the coexistence goes on until the old frames "
				 "return (polus-status %d shows it)",
				 (int)t->pid);
			say(line);
			return 0;
		}
		int rc = tst_read(&t->rtx, memfd, &s);
		if (rc)
			return fail(t, PX_INTERNAL,
				    "process %d went away during coexistence (its memory: %s)",
				    (int)t->pid, strerror(-rc));
		if (s.state == POLUS_TRACK_ENDED) {
			t->ended = 1;
			t->stores = s.stores;
			snprintf(line, sizeof(line),
				 "coexistence ended: the last old frame returned, %llu old writes "
				 "tracked, protection lifted %.3f ms after it",
				 (unsigned long long)s.stores,
				 s.end_ns >= s.last_return_ns && s.last_return_ns
				     ? (double)(s.end_ns - s.last_return_ns) / 1e6
				     : 0.0);
			say(line);
			return 0;
		}
		if (s.left != last || time(NULL) - said >= 5) {
			progress(t, &s, line, sizeof(line));
			say(line);
			last = s.left;
			said = time(NULL);
		}
		struct timespec ts = {0, 20000000L};
		nanosleep(&ts, NULL);
	}
}
