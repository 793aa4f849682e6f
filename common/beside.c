/*
 * beside — files installed next to the tools (see beside.h).
 */
#include "beside.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

int px_beside_me(const char *file, char *buf, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return -errno;
	self[n] = 0;
	const char *dir = dirname(self);
	const char *tries[] = {"%s/%s", "%s/../%s", "%s/../lib/polus/%s"};
	for (size_t i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
		if ((size_t)snprintf(buf, len, tries[i], dir, file) >= len)
			return -ENAMETOOLONG;
		if (!access(buf, R_OK))
			return 0;
	}
	return -ENOENT;
}
