#include "mkpatch_patch.h"
#include <stdio.h>
int patch_build(const struct patch_opts *po, const struct meta_build *ob,
		const struct meta_build *nb, const struct diff *d)
{
	(void)po; (void)ob; (void)nb; (void)d;
	fputs("polus-mkpatch: patch build not implemented yet\n", stderr);
	return 3;
}
