/*
 * jsonout — JSON string escaping (see jsonout.h).
 */
#include "jsonout.h"
#include "exitcodes.h"

void json_str(FILE *f, const char *s)
{
	if (!s) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p == '\t')
			fputs("\\t", f);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

const char *json_exit_name(int exit_code)
{
	switch (exit_code) {
	case PX_OK:
		return "ok";
	case PX_INPUT:
		return "bad-input";
	case PX_NOTAPPLY:
		return "does-not-apply";
	case PX_UNSAFE:
		return "unsafe-now";
	default:
		return "internal";
	}
}

void json_error(FILE *f, int exit_code, const char *message)
{
	fprintf(f,
		"{\"error\":{\"code\":\"%s\",\"exit\":%d,\"message\":", json_exit_name(exit_code),
		exit_code);
	json_str(f, message && *message ? message : "failed");
	fputs("}}\n", f);
	fflush(f);
}
