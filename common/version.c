/*
 * version — the --version text of every tool (see version.h).
 */
#include "version.h"
#include "meta_format.h"
#include "polus_version.h"
#include "registry_format.h"
#include "versionfile.h"
#include <string.h>

const char *px_version(void)
{
	return POLUS_VERSION;
}

void px_version_print(FILE *f, const char *tool)
{
	/* the registry's version is the number in its magic line, "polus-registry\t1\n" */
	const char *reg = strchr(REG_MAGIC, '\t');
	fprintf(f,
		"%s (polus) %s\n"
		"formats: metadata %d, version file %d, registry %.*s\n"
		"plugin: polus.so for GCC %s\n",
		tool, POLUS_VERSION, META_FORMAT, VF_FORMAT, (int)strcspn(reg + 1, "\n"), reg + 1,
		POLUS_GCC_VERSION);
}
