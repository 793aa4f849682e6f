/*
 * A second plugin for the source-drift test: stays silent except in a patch-mode compile
 * (cc1's command line has -fplugin-arg-polus-mode=patch) whose plan has `expect` lines,
 * where it fails the way patch mode fails on a drifted source. It stands for a patch
 * mode whose hash disagrees with record mode's on an unchanged source.
 * Build: g++ -shared -fPIC -fno-rtti -O2 -I$(gcc -print-file-name=plugin)/include
 */
#include "gcc-plugin.h"
#include "plugin-version.h"
#include "diagnostic-core.h"
#include <stdio.h>
#include <string.h>

int plugin_is_GPL_compatible;

static char plan_path[4096];

static void finish_unit(void *, void *)
{
	FILE *f = fopen(plan_path, "r");
	char line[1024];
	int expect = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		expect |= !strncmp(line, "expect\t", 7);
	fclose(f);
	if (expect)
		error("polus: the source of function %qs changed since the recorded build: rebuild "
		      "the new release from this source first",
		      "api");
}

int plugin_init(struct plugin_name_args *info, struct plugin_gcc_version *)
{
	FILE *f = fopen("/proc/self/cmdline", "r");
	char arg[4096];
	int patch = 0;
	size_t n = 0;
	int c;
	if (!f)
		return 0;
	/* NUL-separated arguments */
	while ((c = fgetc(f)) != EOF) {
		if (n < sizeof(arg) - 1)
			arg[n++] = (char)c;
		if (c)
			continue;
		arg[n - 1] = 0;
		if (!strcmp(arg, "-fplugin-arg-polus-mode=patch"))
			patch = 1;
		else if (!strncmp(arg, "-fplugin-arg-polus-plan=", 24))
			snprintf(plan_path, sizeof(plan_path), "%s", arg + 24);
		n = 0;
	}
	fclose(f);
	if (patch && plan_path[0])
		register_callback(info->base_name, PLUGIN_FINISH_UNIT, finish_unit, NULL);
	return 0;
}
