/*
 * mkpatch_ifunc — the build-time warning about IFUNCs polus-apply may not be able to bind.
 *
 * polus-apply gives a patch's call to a library IFUNC (strstr, time, __memcpy_chk...) the
 * implementation the process uses, read from a GOT slot of the program, of another
 * library, or from the library's IRELATIVE slot; failing those it computes the choice
 * itself, which needs the target to run the same library file with the same
 * GLIBC_TUNABLES as polus-apply, and refuses otherwise. This module names, after the
 * patch is linked, each library symbol the patch calls that is an IFUNC of OLD's
 * libraries (the ones OLD's dynamic loader would load: polus-mkpatch's own loader run
 * with --list, as ldd does), that OLD neither imports nor defines, and that has no
 * IRELATIVE slot.
 */
#ifndef POLUS_MKPATCH_IFUNC_H
#define POLUS_MKPATCH_IFUNC_H
#include "elffile.h"

/* Appends one malloc'd warning per such symbol to (*w, *n, *cap); `tmpdir` holds the
 * loader's listing for a moment. A program whose libraries cannot be listed (a static
 * one) gets no warning: nothing to check. */
void ifunc_warnings(const char *old_path, struct ef_file *old, struct ef_file *patch,
		    const char *tmpdir, char ***w, size_t *n, size_t *cap);
#endif
