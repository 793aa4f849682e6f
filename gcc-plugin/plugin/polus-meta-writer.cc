/* polus-meta-writer.cc — the metadata text buffer and its way into the object.
 *
 * Record lines are written through the key table of versionfiles/meta_format.h, the
 * one polus-mkpatch's reader dispatches on: a line whose field count is outside the
 * table's NREQUIRED..NFIELDS stops the compile, so writer and reader cannot drift apart
 * unnoticed.
 * The record is built in memory while the unit compiles and written once, at
 * PLUGIN_FINISH_UNIT, as .ascii data of the non-allocated section .polus.meta.
 * .pushsection/.popsection keep the assembler's section stack, and GCC's own idea of
 * the current section, exactly as they were: the loaded image does not change. */
#include "polus-common.h"
#include "polus.h"

void pbuf_add(struct pbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		b->p = (char *)xrealloc(b->p, cap);
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

void pbuf_puts(struct pbuf *b, const char *s)
{
	pbuf_add(b, s, strlen(s));
}

static void pbuf_vprintf(struct pbuf *b, const char *fmt, va_list ap)
{
	char tmp[512];
	va_list again;
	va_copy(again, ap);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	if (n >= 0 && (size_t)n < sizeof tmp) {
		pbuf_add(b, tmp, n);
	} else if (n >= 0) {
		char *big = (char *)xmalloc(n + 1);
		vsnprintf(big, n + 1, fmt, again);
		pbuf_add(b, big, n);
		free(big);
	}
	va_end(again);
}

void pbuf_printf(struct pbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	pbuf_vprintf(b, fmt, ap);
	va_end(ap);
}

void pbuf_fieldf(struct pbuf *b, const char *fmt, ...)
{
	va_list ap;
	b->nfields++;
	pbuf_add(b, "\t", 1);
	va_start(ap, fmt);
	pbuf_vprintf(b, fmt, ap);
	va_end(ap);
}

void pbuf_line(struct pbuf *b, enum meta_key k)
{
	if (b->line)
		fatal_error(UNKNOWN_LOCATION, "polus: internal: %qs line left open for %qs",
			    b->line->key, meta_key_def(k)->key);
	b->line = meta_key_def(k);
	b->nfields = 0;
	pbuf_puts(b, b->line->key);
}

void pbuf_line_end(struct pbuf *b)
{
	if (!b->line)
		fatal_error(UNKNOWN_LOCATION, "polus: internal: end of a record line never begun");
	if (b->nfields < b->line->nrequired || b->nfields > b->line->nfields)
		fatal_error(UNKNOWN_LOCATION,
			    "polus: internal: %qs line written with %d fields, the key table %qs "
			    "has %d to %d",
			    b->line->key, b->nfields, "versionfiles/meta_format.h",
			    b->line->nrequired, b->line->nfields);
	b->line = NULL;
	pbuf_add(b, "\n", 1);
}

void pbuf_line1(struct pbuf *b, enum meta_key k, const char *v)
{
	pbuf_line(b, k);
	pbuf_field(b, v);
	pbuf_line_end(b);
}

void pbuf_field(struct pbuf *b, const char *s)
{
	b->nfields++;
	pbuf_add(b, "\t", 1);
	if (!s || !*s) {
		pbuf_add(b, "-", 1);
		return;
	}
	const char *run = s;
	for (; *s; s++) {
		const char *esc = NULL;
		if (*s == '\\')
			esc = "\\\\";
		else if (*s == '\t')
			esc = "\\t";
		else if (*s == '\n')
			esc = "\\n";
		if (!esc)
			continue;
		pbuf_add(b, run, s - run);
		pbuf_add(b, esc, 2);
		run = s + 1;
	}
	pbuf_add(b, run, s - run);
}

void pbuf_free(struct pbuf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
	b->line = NULL;
	b->nfields = 0;
}

void polus_emit_meta_section(const struct pbuf *buf)
{
	FILE *f = asm_out_file;
	if (!f || !buf->len)
		return;
	fputs("\t.pushsection\t" POLUS_META_SECTION ",\"\",@progbits\n", f);
	const unsigned char *p = (const unsigned char *)buf->p;
	for (size_t i = 0; i < buf->len;) {
		fputs("\t.ascii\t\"", f);
		size_t end = i + 96 < buf->len ? i + 96 : buf->len;
		for (; i < end; i++) {
			unsigned c = p[i];
			if (c == '"' || c == '\\')
				fprintf(f, "\\%c", c);
			else if (c >= 0x20 && c < 0x7f)
				fputc(c, f);
			else
				fprintf(f, "\\%03o", c);
		}
		fputs("\"\n", f);
	}
	fputs("\t.popsection\n", f);
}
