/*
 * Unit test of versionfiles: a patch description survives emit + parse unchanged, and
 * broken documents are refused with a message that names the problem.
 */
#include "versionfile.h"
#include "unit_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void roundtrip(void)
{
	char *reasons[] = {"body", "inlined:parse_key"};
	char *warn[] = {"main: changed, but it never returns: \"quoted\"\tand tabbed"};
	struct vf_function fns[2] = {
	    {.name = "handle",
	     .unit = "src/server.c",
	     .change = "changed",
	     .reasons = reasons,
	     .nreasons = 2,
	     .old_symbol = "handle",
	     .old_addr = 0x1a40,
	     .old_size = 212,
	     .new_symbol = "__polus_f_0",
	     .new_addr = 0x1120,
	     .redirect = 1},
	    {.name = "fresh", .change = "new", .new_symbol = "__polus_f_1", .new_addr = 0x11f0},
	};
	struct vf_bind binds[2] = {
	    {.symbol = "__polus_b_0", .name = "counter", .addr = 0x4010},
	    {.symbol = "__polus_b_1", .name = "tick", .addr = 0x8, .tls = 1}};
	struct vf_patch in = {.name = "p12",
			      .created = "2026-11-27T15:40:00Z",
			      .target_build_id = "5f0c99",
			      .target_path = "/src/v1/server",
			      .functions = fns,
			      .nfunctions = 2,
			      .binds = binds,
			      .nbinds = 2,
			      .warnings = warn,
			      .nwarnings = 1};
	struct vf_patch out;
	char err[256], *text;
	size_t len;

	CHECK(vf_emit(&in, &text, &len, err, sizeof(err)) == 0);
	CHECK(strlen(text) == len);
	CHECK(vf_parse(text, len, &out, err, sizeof(err)) == 0);
	CHECK(out.format == VF_FORMAT && !strcmp(out.name, "p12"));
	CHECK(!strcmp(out.target_build_id, "5f0c99") && !strcmp(out.target_path, "/src/v1/server"));
	CHECK(out.nfunctions == 2 && out.nbinds == 2 && out.nwarnings == 1 && out.nrequires == 0);
	if (out.nfunctions == 2) {
		CHECK(!strcmp(out.functions[0].unit, "src/server.c"));
		CHECK(out.functions[0].nreasons == 2 &&
		      !strcmp(out.functions[0].reasons[1], "inlined:parse_key"));
		CHECK(out.functions[0].old_addr == 0x1a40 && out.functions[0].old_size == 212);
		CHECK(!out.functions[0].old_in);
		CHECK(out.functions[0].new_addr == 0x1120 && out.functions[0].redirect == 1);
		CHECK(!out.functions[1].old_symbol && !out.functions[1].redirect);
		CHECK(!strcmp(out.functions[1].change, "new"));
	}
	if (out.nbinds == 2)
		CHECK(out.binds[1].addr == 0x8 && out.binds[1].tls && !out.binds[0].tls);
	if (out.nwarnings == 1)
		CHECK(!strcmp(out.warnings[0], warn[0]));
	vf_free(&out);
	free(text);
}

/* A site in an earlier patch of a chain: old-in survives the round trip; absent, NULL. */
static void old_in(void)
{
	struct vf_function fns[1] = {{.name = "added",
				      .change = "changed",
				      .old_symbol = "__polus_f_1",
				      .old_addr = 0x1010,
				      .old_in = "c3807e",
				      .old_size = 16,
				      .new_symbol = "__polus_f_2",
				      .new_addr = 0x1020,
				      .redirect = 1}};
	char *req[] = {"c3807e"};
	struct vf_patch in = {.name = "p23",
			      .target_build_id = "5f0c99",
			      .requires = req,
			      .nrequires = 1,
			      .functions = fns,
			      .nfunctions = 1},
			out;
	char err[256], *text;
	size_t len;
	CHECK(vf_emit(&in, &text, &len, err, sizeof(err)) == 0);
	CHECK(vf_parse(text, len, &out, err, sizeof(err)) == 0);
	CHECK(out.nfunctions == 1 && out.functions[0].old_in &&
	      !strcmp(out.functions[0].old_in, "c3807e") && out.functions[0].old_addr == 0x1010);
	vf_free(&out);
	free(text);
}

/* Each document must be refused with a message containing `want`. */
static void refuse(const char *doc, const char *want)
{
	struct vf_patch out;
	char err[256] = "";

	if (vf_parse(doc, strlen(doc), &out, err, sizeof(err)) == 0) {
		fprintf(stderr, "accepted a bad document (wanted '%s'):\n%s\n", want, doc);
		failures++;
		vf_free(&out);
	} else if (!strstr(err, want)) {
		fprintf(stderr, "error '%s' does not mention '%s'\n", err, want);
		failures++;
	}
}

int main(void)
{
	roundtrip();
	old_in();
	refuse("polus-patch: 1\nname: [x\n", "YAML error");
	refuse("- a\n- b\n", "not a YAML mapping");
	refuse("polus-patch: 2\nname: x\ntarget: {build-id: ab}\n", "format 2");
	refuse("polus-patch: 1\nname: x\n", "missing 'target'");
	refuse(
	    "polus-patch: 1\nname: x\ntarget: {build-id: ab}\nfunctions:\n - name: f\n   change: "
	    "changed\n   new-symbol: g\n   new-addr: zz\n",
	    "'new-addr' is not a number");
	refuse(
	    "polus-patch: 1\nname: x\ntarget: {build-id: ab}\nfunctions:\n - name: f\n   change: "
	    "moved\n   new-symbol: g\n   new-addr: 1\n",
	    "unknown change 'moved'");
	refuse("polus-patch: 1\nname: x\ntarget: {build-id: ab}\nbinds: {a: 1}\n",
	       "must be a list");
	refuse(
	    "polus-patch: 1\nname: x\ntarget: {build-id: ab}\nfunctions:\n - name: f\n   change: "
	    "new\n   old-in: ab\n   new-symbol: g\n   new-addr: 1\n",
	    "old-in without old-symbol");
	if (failures)
		fprintf(stderr, "%d checks failed\n", failures);
	else
		printf("versionfile: all checks passed\n");
	return failures ? 1 : 0;
}
