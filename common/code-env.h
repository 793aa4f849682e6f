/*
 * code-env.h — the environment variables that change what gcc compiles (read by the
 * driver or cc1): polus.so records those set (`env` lines, docs/metadata.md) and
 * polus-mkpatch compiles a patch unit with exactly those, set or unset, again.
 * A list for an array initializer, shared by the plugin (C++) and the C tools.
 */
#ifndef POLUS_CODE_ENV_H
#define POLUS_CODE_ENV_H

/* include search paths; which cc1 and as run; __DATE__/__TIME__; the default input
 * charset (a source's bytes in string literals) */
#define POLUS_CODE_ENV                                                                             \
	"CPATH", "C_INCLUDE_PATH", "CPLUS_INCLUDE_PATH", "OBJC_INCLUDE_PATH", "GCC_EXEC_PREFIX",   \
	    "COMPILER_PATH", "SOURCE_DATE_EPOCH", "LC_ALL", "LC_CTYPE", "LANG"

/* Read by cc1 to write a dependency file beside the object: never set for a replay. */
#define POLUS_DEPFILE_ENV "DEPENDENCIES_OUTPUT", "SUNPRO_DEPENDENCIES"
#endif
