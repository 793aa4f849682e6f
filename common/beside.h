/*
 * beside — the files polus installs next to its tools (polus.so, polus-rt.so,
 * polus_recover.h), found from the running tool's own path: in the build directory
 * beside it, one directory up (the sanitizer build in build/san), or installed in
 * PREFIX/lib/polus while the tool is in PREFIX/bin.
 */
#ifndef POLUS_BESIDE_H
#define POLUS_BESIDE_H
#include <stddef.h>

/* The path of FILE there (the first readable), in buf: 0, or -ENOENT / -errno. */
int px_beside_me(const char *file, char *buf, size_t len);

#endif
