/*
 * warnlog — warnings printed and kept for the final summary (see warnlog.h).
 */
#include "warnlog.h"
#include <stdarg.h>
#include <stdlib.h>

static char **kept;
static unsigned nkept;

void wl_warn(const char *tool, const char *fmt, ...)
{
	va_list ap;
	char *text = NULL;
	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	va_end(ap);
	fprintf(stderr, "%s: warning: %s\n", tool, text ? text : fmt);
	char **grown = text ? realloc(kept, (nkept + 1) * sizeof(*kept)) : NULL;
	if (!grown) {
		free(text); /* printed; only the summary misses it */
		return;
	}
	kept = grown;
	kept[nkept++] = text;
}

unsigned wl_count(void)
{
	return nkept;
}

void wl_summary(FILE *f, const char *tool)
{
	if (!nkept)
		return;
	fprintf(f, "%s: %u warning%s (see above):\n", tool, nkept, nkept == 1 ? "" : "s");
	for (unsigned i = 0; i < nkept; i++)
		fprintf(f, "%s:   %s\n", tool, kept[i]);
	fflush(f);
}
