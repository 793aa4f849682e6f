/* polus-plugin.cc — polus.so entry point: options, version check, build profile.
 *
 * Build:  make build/polus.so      (g++ -shared -fPIC -fno-rtti -fno-exceptions -O2
 *                                   -I$(gcc -print-file-name=plugin)/include)
 * Use:    gcc -fplugin=polus.so ...                      record mode (default)
 *         gcc -fplugin=polus.so -fplugin-arg-polus-mode=patch \
 *             -fplugin-arg-polus-plan=FILE ...           patch mode (driven by polus-mkpatch)
 * Options (-fplugin-arg-polus-KEY[=VALUE]); any other key is a compile error:
 *   mode=record|patch   what to do (record: write .polus.meta, change nothing else)
 *   plan=FILE           patch mode: the plan written by polus-mkpatch
 *   version             print polus's version, the metadata format and the GCC this
 *                       polus.so was built for on stderr (the compile goes on):
 *                       gcc -fplugin=polus.so -fplugin-arg-polus-version -x c -c /dev/null
 *                       -o /dev/null
 *
 * Every build with the plugin runs with -flive-patching=inline-clone (docs/architecture.md,
 * "The build profile"): options are already decoded when plugins initialize, so the plugin
 * clears the same IPA flags GCC's control_options_for_live_patching clears, before
 * process_options snapshots them into the default optimization node. The profile also pads
 * every function entry (-fpatchable-function-entry=5,5, common/site_rules.h) so that
 * polus-apply can switch it without stopping a thread (docs/stopfree.md); a value the user
 * gave is kept. -flto is refused: cross-unit inlining is out of scope. */
#include "polus-common.h"
#include "polus.h"
#include "plugin-version.h"
#include "../../common/site_rules.h"
#include "polus_version.h"

int plugin_is_GPL_compatible;

static struct plugin_info polus_info = {
    POLUS_VERSION,
    "polus: record live-update metadata (default) or compile a patch unit.\n"
    "  -fplugin-arg-polus-mode=record|patch  -fplugin-arg-polus-plan=FILE\n"
    "  -fplugin-arg-polus-version",
};

/* The flags -flive-patching=inline-clone turns off (GCC 12 opts.cc). */
struct lp_flag {
	const char *opt;
	size_t off;
};
static const struct lp_flag lp_flags[] = {
    {"-fwhole-program", offsetof(struct gcc_options, x_flag_whole_program)},
    {"-fipa-pta", offsetof(struct gcc_options, x_flag_ipa_pta)},
    {"-fipa-reference", offsetof(struct gcc_options, x_flag_ipa_reference)},
    {"-fipa-ra", offsetof(struct gcc_options, x_flag_ipa_ra)},
    {"-fipa-icf", offsetof(struct gcc_options, x_flag_ipa_icf)},
    {"-fipa-icf-functions", offsetof(struct gcc_options, x_flag_ipa_icf_functions)},
    {"-fipa-icf-variables", offsetof(struct gcc_options, x_flag_ipa_icf_variables)},
    {"-fipa-bit-cp", offsetof(struct gcc_options, x_flag_ipa_bit_cp)},
    {"-fipa-vrp", offsetof(struct gcc_options, x_flag_ipa_vrp)},
    {"-fipa-pure-const", offsetof(struct gcc_options, x_flag_ipa_pure_const)},
    {"-fipa-modref", offsetof(struct gcc_options, x_flag_ipa_modref)},
    {"-fipa-reference-addressable", offsetof(struct gcc_options, x_flag_ipa_reference_addressable)},
    {"-fipa-stack-alignment", offsetof(struct gcc_options, x_flag_ipa_stack_alignment)},
};

static int *opt_int(struct gcc_options *o, size_t off)
{
	return (int *)((char *)o + off);
}

/* The default optimization node, if already built, must see the options changed. */
static void refresh_default_node(void)
{
	if (optimization_default_node) {
		bool cur = optimization_current_node == optimization_default_node;
		optimization_default_node =
		    build_optimization_node(&global_options, &global_options_set);
		if (cur)
			optimization_current_node = optimization_default_node;
	}
}

/* Padded entries, unless the command line chose its own (recorded as it is). */
static void apply_padding(void)
{
	if (global_options_set.x_flag_patchable_function_entry) {
		polus_pad_setter = "user";
		return;
	}
	global_options.x_flag_patchable_function_entry = SITE_PAD_ARG;
	refresh_default_node();
	polus_pad_setter = "plugin";
}

/* Returns false (after one error line) if the profile cannot be put in force. */
static bool apply_build_profile(void)
{
	apply_padding();
	if (global_options.x_flag_live_patching != LIVE_PATCHING_NONE) {
		polus_profile_setter = "user";
		return true; /* GCC itself already applied it */
	}
	for (size_t i = 0; i < ARRAY_SIZE(lp_flags); i++) {
		if (*opt_int(&global_options_set, lp_flags[i].off) &&
		    *opt_int(&global_options, lp_flags[i].off)) {
			error(
			    "polus: %qs conflicts with the build profile; remove it or build with "
			    "%<-flive-patching=inline-clone%>",
			    lp_flags[i].opt);
			return false;
		}
	}
	global_options.x_flag_live_patching = LIVE_PATCHING_INLINE_CLONE;
	for (size_t i = 0; i < ARRAY_SIZE(lp_flags); i++)
		*opt_int(&global_options, lp_flags[i].off) = 0;
	refresh_default_node();
	polus_profile_setter = "plugin";
	return true;
}

int plugin_init(struct plugin_name_args *info, struct plugin_gcc_version *version)
{
	if (!plugin_default_version_check(version, &gcc_version)) {
		error("polus: polus.so was built for GCC %s (%s) and cannot run in GCC %s (%s); "
		      "rebuild it",
		      gcc_version.basever, gcc_version.datestamp, version->basever,
		      version->datestamp);
		return 1;
	}
	const char *mode = "record", *plan = NULL;
	for (int i = 0; i < info->argc; i++) {
		const char *k = info->argv[i].key, *v = info->argv[i].value;
		if (!strcmp(k, "mode") && v && (!strcmp(v, "record") || !strcmp(v, "patch"))) {
			mode = v;
		} else if (!strcmp(k, "mode")) {
			error("polus: %<-fplugin-arg-polus-mode%> must be %<record%> or %<patch%>");
			return 0;
		} else if (!strcmp(k, "plan") && v && *v) {
			plan = v;
		} else if (!strcmp(k, "plan")) {
			error("polus: %<-fplugin-arg-polus-plan%> needs a file name");
			return 0;
		} else if (!strcmp(k, "version") && !v) {
			fprintf(
			    stderr,
			    "polus.so (polus) %s\nformats: metadata " POLUS_STR(
				META_FORMAT) "\nplugin: polus.so for GCC %s, running in GCC %s\n",
			    POLUS_VERSION, POLUS_GCC_VERSION, version->basever);
		} else {
			error("polus: unknown option %<-fplugin-arg-polus-%s%>", k);
			return 0;
		}
	}
	bool patch = !strcmp(mode, "patch");
	if (patch && !plan) {
		error("polus: patch mode needs %<-fplugin-arg-polus-plan=FILE%>");
		return 0;
	}
	if (!patch && plan) {
		error("polus: %<-fplugin-arg-polus-plan%> is only valid with "
		      "%<-fplugin-arg-polus-mode=patch%>");
		return 0;
	}
	if (flag_lto || flag_generate_lto || flag_generate_offload || in_lto_p ||
	    !strcmp(lang_hooks.name, "GNU GIMPLE")) {
		error("polus: %<-flto%> is not supported: cross-unit inlining would hide which "
		      "units a changed function reaches; build without %<-flto%>");
		return 0;
	}
	if (!apply_build_profile())
		return 0;

	register_callback(info->base_name, PLUGIN_INFO, NULL, &polus_info);
	if (patch) {
		char err[512];
		if (polus_patch_load_plan(plan, err, sizeof err) < 0) {
			error("polus: %s", err);
			return 0;
		}
		polus_patch_register(info->base_name);
	} else {
		polus_record_register(info->base_name);
	}
	return 0;
}
