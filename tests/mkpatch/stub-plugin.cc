/*
 * A stand-in for polus.so's patch mode, for testing polus-mkpatch's pipeline alone.
 * It checks the arguments polus-mkpatch passes (mode=patch, a readable plan whose first
 * line is "polus-plan\t1"), then at the end of the unit emits for each plan line:
 *   keep NAME SYMBOL [ADDRSYM]  a global alias SYMBOL of NAME (and a reference to
 *                         ADDRSYM)
 *   bind-* NAME SYMBOL    a retained reference to the undefined symbol SYMBOL
 *   expect NAME HASH      nothing (source drift is the real plugin's check)
 * It does not rewrite any code: that is the real plugin's job.
 * Build: g++ -shared -fPIC -fno-rtti -O2 -I$(gcc -print-file-name=plugin)/include
 */
#include "gcc-plugin.h"
#include "plugin-version.h"
#include "tree.h"
#include "diagnostic-core.h"
#include "output.h"
#include <stdio.h>
#include <string.h>

int plugin_is_GPL_compatible;

static char plan_path[4096];

static void finish_unit(void *, void *)
{
	FILE *f = fopen(plan_path, "r");
	char line[1024];
	if (!f) {
		error("stub: cannot open plan %s", plan_path);
		return;
	}
	if (!fgets(line, sizeof(line), f) || strcmp(line, "polus-plan\t1\n")) {
		error("stub: bad plan header in %s", plan_path);
		fclose(f);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		char *kind = strtok(line, "\t\n");
		char *name = strtok(NULL, "\t\n");
		char *sym = strtok(NULL, "\t\n");
		char *addrsym = strtok(NULL, "\t\n");
		if (!kind || !name || !sym) {
			error("stub: bad plan line");
			break;
		}
		if (!strcmp(kind, "keep"))
			fprintf(asm_out_file, "\t.globl %s\n\t.type %s,@function\n\t.set %s,%s\n", sym,
				sym, sym, name);
		if (!strcmp(kind, "keep") && addrsym)
			fprintf(asm_out_file,
				"\t.pushsection .data.polus_stub,\"awR\",@progbits\n\t.quad %s\n"
				"\t.popsection\n",
				addrsym);
		else if (strcmp(kind, "keep") && strcmp(kind, "expect"))
			fprintf(asm_out_file,
				"\t.pushsection .data.polus_stub,\"awR\",@progbits\n\t.quad %s\n"
				"\t.popsection\n",
				sym);
	}
	fclose(f);
}

int plugin_init(struct plugin_name_args *info, struct plugin_gcc_version *)
{
	int patch = 0;
	for (int i = 0; i < info->argc; i++) {
		if (!strcmp(info->argv[i].key, "mode") && info->argv[i].value &&
		    !strcmp(info->argv[i].value, "patch"))
			patch = 1;
		else if (!strcmp(info->argv[i].key, "plan") && info->argv[i].value)
			snprintf(plan_path, sizeof(plan_path), "%s", info->argv[i].value);
		else {
			error("stub: unknown argument %s", info->argv[i].key);
			return 1;
		}
	}
	if (!patch || !plan_path[0]) {
		error("stub: needs -fplugin-arg-polus-mode=patch and -fplugin-arg-polus-plan=");
		return 1;
	}
	register_callback(info->base_name, PLUGIN_FINISH_UNIT, finish_unit, NULL);
	return 0;
}
