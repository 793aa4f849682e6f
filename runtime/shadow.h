/*
 * shadow — data attached to objects by address (polus's shadow variables).
 *
 * A release that needs a new field in a struct the running program already holds objects
 * of (heap, stacks) cannot change the struct: the old objects keep the old layout. It
 * keeps the struct as it is and attaches the new field to objects by address instead:
 *   struct conn_extra *x = polus_shadow_attach(c, CONN_EXTRA, sizeof(*x));
 * gives the object's data `id` (zero-filled when first attached), the same pointer on
 * every later call; polus_shadow_get only looks; polus_shadow_detach drops it (call it
 * where the object is freed, or a new object at the same address finds the old data).
 * Objects born before and after the update are served alike. The program links this file
 * (it is ordinary code of the release: a patch carries it like any new function); it
 * locks and allocates, so it is for the program's own code, never for a sync or check.
 */
#ifndef POLUS_SHADOW_H
#define POLUS_SHADOW_H
#include <stddef.h>

/* The data `id` of obj, attached (zeroed, size bytes) if it has none; NULL: no memory. */
void *polus_shadow_attach(const void *obj, unsigned long id, size_t size);
/* The data `id` of obj, or NULL. */
void *polus_shadow_get(const void *obj, unsigned long id);
/* Drops the data `id` of obj (nothing if none). */
void polus_shadow_detach(const void *obj, unsigned long id);

#endif
