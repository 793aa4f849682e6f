/*
 * placement — where a patch image can go in the target.
 *
 * A `jmp rel32` written in the executable's code must reach the image, so candidates are
 * free gaps of the memory map such that the executable and the image together span less
 * than 2 GiB. Nearest first; room is left above [heap] (or above the executable when
 * there is no heap yet: brk grows there) and below [stack]. The caller maps with
 * MAP_FIXED_NOREPLACE and moves to the next candidate if the map changed meanwhile.
 */
#ifndef POLUS_PLACEMENT_H
#define POLUS_PLACEMENT_H
#include "procfs.h"

/* Fills out[0..max) with page-aligned addresses; returns how many. */
size_t pl_candidates(const struct pf_maps *m, uint64_t exe_lo, uint64_t exe_hi, int has_heap,
		     uint64_t span, uint64_t *out, size_t max);

#endif
