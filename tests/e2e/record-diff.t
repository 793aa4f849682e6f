#!/usr/bin/env bash
# Record mode and the diff on the real example at -O2: the plugin leaves the code as the
# profile alone makes it (pure observer), records parse_key as inlined into cmd_get, and
# `polus-mkpatch --diff --json v1 v2` names exactly the functions the fix and the release
# string touch, the callers that inlined parse_key included, and nothing else.
. "$POLUS_TOP/tests/lib.sh"
. ./e2e.sh
need_tool polus.so
build_release v1 -O2
build_release v2 -O2
has_meta "$BIN_v1" || fail "the plugin recorded no .polus.meta in $BIN_v1"
meta_of "$BIN_v1" | grep -qP '^inline\tcmd_get\tparse_key$' ||
	fail "metadata does not record parse_key inlined into cmd_get"
ok "metadata records parse_key inlined into cmd_get"

# Pure observer: the loaded code and data equal a build with only the profile flags.
cp -r "$EX_SRC/v1" "$TMP/ref"
make -s -C "$TMP/ref" clean >/dev/null
make -s -C "$TMP/ref" CFLAGS="-O2 -g -flive-patching=inline-clone -fpatchable-function-entry=5,5" server >/dev/null ||
	fail "reference build failed"
for sec in .text .rodata .data; do
	objcopy -O binary --only-section=$sec "$BIN_v1" "$TMP/a$sec"
	objcopy -O binary --only-section=$sec "$TMP/ref/server" "$TMP/b$sec"
	cmp -s "$TMP/a$sec" "$TMP/b$sec" || fail "$sec differs from the build without the plugin"
done
ok "loaded .text/.rodata/.data identical to the build profile without the plugin"

need_tool polus-mkpatch
step "$TMP/diff.json" "$POLUS_BUILD/polus-mkpatch" --diff --json "$BIN_v1" "$BIN_v2" ||
	fail "polus-mkpatch --diff --json failed"
python3 - "$TMP/diff.json" <<'PY' || fail "unexpected diff: $(cat "$TMP/diff.json")"
import json, sys
d = json.load(open(sys.argv[1]))
fns = {f["name"]: f for f in d["functions"] if not f.get("line_only")}
want = {"parse_key", "cmd_get", "cmd_mget", "cmd_incr", "cmd_stats", "cmd_version", "proto_hold"}
never = {"cmd_set", "cmd_ping", "cmd_hold", "cmd_quit", "main", "serve", "work", "table_get",
         "table_set", "table_incr", "heartbeat_start", "counters_format", "io_read"}
missing, extra = want - set(fns), never & set(fns)
print("changed:", ", ".join(sorted(fns)))
if missing or extra:
    sys.exit("missing %s, unexpected %s" % (sorted(missing), sorted(extra)))
for caller in ("cmd_get", "cmd_mget", "cmd_incr"):
    if not any("parse_key" in r for r in fns[caller]["reasons"]):
        sys.exit("%s: reasons %s do not name the inlined parse_key" % (caller, fns[caller]["reasons"]))
PY
ok "diff names the changed functions and the callers that inlined parse_key"
