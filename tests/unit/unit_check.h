/*
 * unit_check — the one assertion of polus's C unit tests: CHECK(cond) reports a failed
 * condition with its line and counts it in `failures`; main returns non-zero when any
 * failed (unit_result). Header-only: each test is one program.
 */
#ifndef POLUS_UNIT_CHECK_H
#define POLUS_UNIT_CHECK_H
#include <stdio.h>

static int failures;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
			failures++;                                                                \
		}                                                                                  \
	} while (0)

/* The line that ends a test's output, and main's return value. */
static inline int unit_result(const char *name)
{
	if (failures) {
		fprintf(stderr, "%s: %d check%s failed\n", name, failures,
			failures == 1 ? "" : "s");
		return 1;
	}
	printf("%s: all checks passed\n", name);
	return 0;
}

#endif
