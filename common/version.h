/*
 * version — what every polus tool's --version prints, defined once: the release of polus
 * (VERSION, plus the git commit it was built from when there is one), the format versions
 * of the records the tools exchange (metadata, version file, registry, patch seal), and
 * the GCC the plugin was built for (the one compiler whose binaries it can record).
 * The build writes build/gen/polus_version.h (POLUS_VERSION, POLUS_GCC_VERSION); the GCC
 * plugin includes that header too, so every part of one build reports the same.
 */
#ifndef POLUS_VERSION_H
#define POLUS_VERSION_H
#include <stdio.h>

/* "0.3.0+gabc1234" */
const char *px_version(void);

/* The --version text of TOOL (its program name), several lines. */
void px_version_print(FILE *f, const char *tool);

#endif
