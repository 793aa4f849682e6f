/* polus-options.cc — a unit's options and environment, complete (polus-options.h).
 *
 * COLLECT_GCC_OPTIONS, the driver's options as it hands them to cc1, leaves out what the
 * driver passes through without reading: -Wp,/-Xpreprocessor (cc1's preprocessor) and
 * -Wa,/-Xassembler (as). A -Wp,-D_FORTIFY_SOURCE=2 lost there would rebuild a patch
 * without its hardening. They are read from the driver's own command line: cc1's parent
 * process, when its argv[0] is COLLECT_GCC (`optsrc driver`). When that cannot be read
 * (a wrapper forked in between), the preprocessor options cc1 received that
 * COLLECT_GCC_OPTIONS does not explain are written back as -Xpreprocessor pairs
 * (`optsrc cc1`), unless -specs may have added them. Either way the -D/-U/-A/-include/
 * -imacros options cc1 received beyond COLLECT_GCC_OPTIONS are kept as `cc1opt` lines:
 * polus-mkpatch compares them to name an option that drifted. */
#include "polus-common.h"
#include "polus.h"
#include "polus-options.h"
#include "../../common/code-env.h"

/* docs/metadata.md says why these, and why not the others */
static const char *const code_env[] = {POLUS_CODE_ENV};

static void strings_free(vec<char *> *v)
{
	for (unsigned i = 0; i < v->length(); i++)
		free((*v)[i]);
	v->release();
}

/* COLLECT_GCC_OPTIONS: 'quoted' words separated by spaces, \ escaping one character. */
static void split_collect_options(const char *s, vec<char *> *out)
{
	struct pbuf tok = {};
	while (s && *s) {
		while (*s == ' ')
			s++;
		if (!*s)
			break;
		tok.len = 0;
		pbuf_add(&tok, "", 0);
		while (*s && *s != ' ') {
			if (*s == '\'') {
				const char *e = strchr(s + 1, '\'');
				if (!e)
					e = s + strlen(s);
				pbuf_add(&tok, s + 1, e - s - 1);
				s = *e ? e + 1 : e;
			} else if (*s == '\\' && s[1]) {
				pbuf_add(&tok, s + 1, 1);
				s += 2;
			} else {
				pbuf_add(&tok, s, 1);
				s++;
			}
		}
		out->safe_push(xstrdup(tok.p));
	}
	pbuf_free(&tok);
}

/* The driver's argv (response files expanded), or false when cc1's parent is not the
 * driver that set COLLECT_GCC. */
static bool driver_argv(vec<char *> *out)
{
	const char *driver = getenv("COLLECT_GCC");
	char path[64], *buf = NULL;
	size_t len = 0, cap = 0;
	snprintf(path, sizeof path, "/proc/%d/cmdline", (int)getppid());
	FILE *f = fopen(path, "r");
	if (!driver || !f) {
		if (f)
			fclose(f);
		return false;
	}
	for (;;) {
		if (len + 4096 > cap) {
			cap = cap ? cap * 2 : 8192;
			buf = (char *)xrealloc(buf, cap);
		}
		size_t n = fread(buf + len, 1, cap - len - 1, f);
		if (!n)
			break;
		len += n;
	}
	fclose(f);
	if (!len) {
		free(buf);
		return false;
	}
	buf[len] = 0;
	int argc = 0;
	char **argv = XNEWVEC(char *, len / 2 + 2);
	for (size_t i = 0; i < len; i += strlen(buf + i) + 1)
		argv[argc++] = buf + i;
	argv[argc] = NULL;
	bool ok = argc > 0 && !strcmp(argv[0], driver);
	if (ok) {
		char **orig = argv;
		expandargv(&argc,
			   &argv); /* a new vector (not freed: cc1 exits soon) if any @file */
		for (int i = 0; i < argc; i++)
			out->safe_push(xstrdup(argv[i]));
		argv = orig;
	}
	XDELETEVEC(argv);
	free(buf);
	return ok;
}

/* The options the driver passes through unread, in order: the preprocessor keeps the
 * order of -Wp/-Xpreprocessor among themselves, and as that of -Wa/-Xassembler. */
static void passthrough_options(const vec<char *> &argv, vec<char *> *out)
{
	for (unsigned i = 1; i < argv.length(); i++) {
		const char *a = argv[i];
		if (!strncmp(a, "-Wp,", 4) || !strncmp(a, "-Wa,", 4)) {
			out->safe_push(xstrdup(a));
		} else if ((!strcmp(a, "-Xpreprocessor") || !strcmp(a, "-Xassembler")) &&
			   i + 1 < argv.length()) {
			out->safe_push(xstrdup(a));
			out->safe_push(xstrdup(argv[++i]));
		}
	}
}

static bool is_passthrough(const char *o)
{
	return !strncmp(o, "-Wp,", 4) || !strncmp(o, "-Wa,", 4) || !strcmp(o, "-Xpreprocessor") ||
	       !strcmp(o, "-Xassembler");
}

/* One preprocessor option as one string: "-DX", "-UX", "-AX", "-include X",
 * "-imacros X"; NULL for other options. `next` is the option's separate argument. */
static char *pp_option(const char *o, const char *next, bool *used_next)
{
	static const char *const joined[] = {"-D", "-U", "-A"};
	static const char *const separate[] = {"-include", "-imacros"};
	*used_next = false;
	for (size_t k = 0; k < ARRAY_SIZE(joined); k++)
		if (!strncmp(o, joined[k], 2)) {
			if (o[2])
				return concat(joined[k], o + 2, NULL);
			*used_next = next != NULL;
			return next ? concat(joined[k], next, NULL) : NULL;
		}
	for (size_t k = 0; k < ARRAY_SIZE(separate); k++)
		if (!strcmp(o, separate[k]) && next) {
			*used_next = true;
			return concat(separate[k], " ", next, NULL);
		}
	return NULL;
}

/* The -D/-U/-A/-include/-imacros options cc1 received, in order, as pp_option writes
 * them. */
static void cc1_pp_options(vec<char *> *out)
{
	static const struct {
		size_t opt;
		const char *text;
	} pp[] = {{OPT_D, "-D"},
		  {OPT_U, "-U"},
		  {OPT_A, "-A"},
		  {OPT_include, "-include "},
		  {OPT_imacros, "-imacros "}};
	for (unsigned i = 1; i < save_decoded_options_count; i++) {
		const struct cl_decoded_option *d = &save_decoded_options[i];
		for (size_t k = 0; k < ARRAY_SIZE(pp); k++)
			if (d->opt_index == pp[k].opt)
				out->safe_push(concat(pp[k].text, d->arg ? d->arg : "", NULL));
	}
}

/* Removes from `pp` (cc1's preprocessor options) one copy of each that the driver
 * options `opts` give directly; what stays came from elsewhere (-Wp, specs...). */
static void remove_explained(vec<char *> *pp, const vec<char *> &opts)
{
	for (unsigned i = 0; i < opts.length(); i++) {
		bool used_next;
		char *p =
		    pp_option(opts[i], i + 1 < opts.length() ? opts[i + 1] : NULL, &used_next);
		if (used_next)
			i++;
		if (!p)
			continue;
		for (unsigned k = 0; k < pp->length(); k++)
			if (!strcmp((*pp)[k], p)) {
				free((*pp)[k]);
				pp->ordered_remove(k);
				break;
			}
		free(p);
	}
}

static void put_line(struct pbuf *b, enum meta_key kind, const char *v1, const char *v2)
{
	pbuf_line(b, kind);
	pbuf_field(b, v1);
	if (v2)
		pbuf_field(b, v2);
	pbuf_line_end(b);
}

/* "-include X" back into its two words, for -Xpreprocessor pairs and cc1opt lines. */
static const char *pp_split(char *p, char **second)
{
	char *sp = strchr(p, ' ');
	*second = NULL;
	if (sp && p[1] == 'i') {
		*sp = 0;
		*second = sp + 1;
	}
	return p;
}

void polus_write_options(struct pbuf *b)
{
	auto_vec<char *> opts, argv, extra, pp;
	bool has_specs = false, has_passthrough = false;
	split_collect_options(getenv("COLLECT_GCC_OPTIONS"), &opts);
	for (unsigned i = 0; i < opts.length(); i++) {
		has_specs |= !strncmp(opts[i], "-specs", 6);
		has_passthrough |= is_passthrough(opts[i]);
	}
	cc1_pp_options(&pp);
	remove_explained(&pp, opts);
	const char *src = "collect";
	if (has_passthrough) {
		/* a driver that hands them on itself: nothing to add */
	} else if (driver_argv(&argv)) {
		passthrough_options(argv, &extra);
		src = "driver";
	} else if (!has_specs) {
		for (unsigned i = 0; i < pp.length(); i++) {
			char *p = xstrdup(pp[i]), *second;
			extra.safe_push(xstrdup("-Xpreprocessor"));
			extra.safe_push(xstrdup(pp_split(p, &second)));
			if (second) {
				extra.safe_push(xstrdup("-Xpreprocessor"));
				extra.safe_push(xstrdup(second));
			}
			free(p);
		}
		src = "cc1";
	}
	for (unsigned i = 0; i < opts.length(); i++)
		put_line(b, META_K_OPT, opts[i], NULL);
	for (unsigned i = 0; i < extra.length(); i++)
		put_line(b, META_K_OPT, extra[i], NULL);
	put_line(b, META_K_OPTSRC, src, NULL);
	for (unsigned i = 0; i < pp.length(); i++) {
		char *second;
		const char *first = pp_split(pp[i], &second);
		put_line(b, META_K_CC1OPT, first, second);
	}
	for (size_t i = 0; i < ARRAY_SIZE(code_env); i++) {
		const char *v = getenv(code_env[i]);
		if (v)
			put_line(b, META_K_ENV, code_env[i], v);
	}
	strings_free(&opts);
	strings_free(&argv);
	strings_free(&extra);
	strings_free(&pp);
}
