/*
 * polus_recover.h — the public header of a patch's sync, check and recover functions.
 *
 * polus-mkpatch writes one file per variable whose type changed into the patch's sync/
 * folder (sync/ID.c) and compiles it into the patch; polus-apply calls its functions
 * inside the target with every thread of the program stopped, before the switch:
 *   void polus_sync_ID_old2new(void)   the running program's copy -> the patch's copy
 *   void polus_sync_ID_new2old(void)   the other way (coexistence, rollback)
 *   void polus_sync_ID_track(ctx, off, len)  while old code runs on OLD (write tracking):
 *                                       the fields of OLD's bytes [off, off+len) to NEW
 *   int  polus_check_ID(struct polus_msg *m)    0: the state is sound; else tainted,
 *                                                with a message (polus_say)
 *   int  polus_recover_ID(struct polus_msg *m)  repairs what the check found; 0 on success
 * A patch may add files of its own with more polus_check_NAME / polus_recover_NAME pairs
 * (state that is no changed variable). If a check still fails after its recover, the
 * update is abandoned and the process left as it was (polus-apply exits 2 and prints the
 * message).
 * Rules: the threads are held, possibly inside malloc or holding the program's locks, so
 * these functions must not lock, allocate, do stdio or block (polus-mkpatch refuses an
 * object that calls such a function). Recover should repair the patch's copy (NEW): an
 * abandoned update drops it, so the program is left exactly as it was.
 * Only this header, no libc: everything here is inline.
 */
#ifndef POLUS_RECOVER_H
#define POLUS_RECOVER_H

/* A message buffer in the target, filled by polus_say and read by polus-apply. */
struct polus_msg {
	unsigned long size; /* of this struct: it may grow */
	unsigned long cap;  /* bytes at text */
	unsigned long len;
	char text[240];
};

/* The lvalue of type T at byte offset OFF of the copy at BASE. */
#define POLUS_AT(T, base, off) (*(T *)((unsigned char *)(base) + (off)))

/* In polus_sync_ID_track(ctx, polus_off, polus_len): whether the SIZE bytes at offset OFF
 * of OLD overlap the bytes old code just wrote. */
#define POLUS_TOUCHED(off, size)                                                                   \
	((unsigned long)(off) < polus_off + polus_len &&                                           \
	 polus_off < (unsigned long)(off) + (unsigned long)(size))

/* Bit-fields: BITS bits at bit offset BITOFF of BASE (little-endian, as x86-64 lays them
 * out); SIGNED extends the sign. */
static inline long long polus_getbits(const void *base, unsigned long bitoff, unsigned bits,
				      int is_signed)
{
	const unsigned char *p = (const unsigned char *)base;
	unsigned long long v = 0;
	for (unsigned i = 0; i < bits; i++) {
		unsigned long b = bitoff + i;
		v |= (unsigned long long)((p[b / 8] >> (b % 8)) & 1) << i;
	}
	if (is_signed && bits < 64 && (v >> (bits - 1)) & 1)
		v |= ~0ULL << bits;
	return (long long)v;
}

static inline void polus_putbits(void *base, unsigned long bitoff, unsigned bits, long long val)
{
	unsigned char *p = (unsigned char *)base;
	for (unsigned i = 0; i < bits; i++) {
		unsigned long b = bitoff + i;
		unsigned char bit = (unsigned char)(((unsigned long long)val >> i) & 1);
		p[b / 8] = (unsigned char)((p[b / 8] & ~(1u << (b % 8))) | (bit << (b % 8)));
	}
}

/* Whether pointer P points into the LEN bytes at BASE (a pointer into the old copy would
 * dangle once the old copy is abandoned). */
#define POLUS_POINTS_INTO(p, base, len)                                                            \
	((unsigned long)(p) >= (unsigned long)(base) &&                                            \
	 (unsigned long)(p) < (unsigned long)(base) + (len))

/* Appends text to m (truncated at its capacity); returns 1, the "tainted" result. */
static inline int polus_say(struct polus_msg *m, const char *s)
{
	while (m && *s && m->len + 1 < m->cap && m->len + 1 < sizeof(m->text))
		m->text[m->len++] = *s++;
	if (m && m->len < sizeof(m->text))
		m->text[m->len] = 0;
	return 1;
}

/* Appends a decimal number; returns 1. */
static inline int polus_say_num(struct polus_msg *m, long long v)
{
	char buf[24], *e = buf + sizeof(buf), *p = e;
	unsigned long long u = v < 0 ? 0 - (unsigned long long)v : (unsigned long long)v;
	*--p = 0;
	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) && p > buf + 1);
	if (v < 0)
		*--p = '-';
	return polus_say(m, p);
}

#endif
