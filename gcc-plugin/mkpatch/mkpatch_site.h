/*
 * mkpatch_site — whether polus-apply can write its jump at a function of OLD.
 *
 * The rules of injector/patch_site.c, checked on OLD's file when the patch is built, so
 * a patch that polus-apply would refuse is refused here, naming the function: the site
 * is the entry (after an endbr64 if there is one); the whole instructions covering the
 * 5-byte `jmp rel32` written there must lie inside the function, and no direct branch of
 * the function may land strictly inside them.
 */
#ifndef POLUS_MKPATCH_SITE_H
#define POLUS_MKPATCH_SITE_H
#include <stddef.h>
#include <stdint.h>

#define SITE_JMP_LEN 5
/* Longest prefix of a function decoded for the branch check (as polus-apply). */
#define SITE_MAX_CODE (1u << 20)

/* `code`: the function's first `len` bytes (len = min(size, SITE_MAX_CODE)), `size` its
 * symbol size, `addr` its address. 0 when the jump is safe, else 1 with the reason in
 * `why` (a phrase that follows the function's name). */
int site_check(const uint8_t *code, size_t len, uint64_t size, uint64_t addr, char *why,
	       size_t whylen);
#endif
