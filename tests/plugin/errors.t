#!/usr/bin/env bash
# The plugin refuses what it cannot honour: one error line, non-zero exit, no object.
. "${POLUS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh" || exit 1
need_plugin
cd "$TMP" || exit 1
printf 'int f(int x) { return x + 1; }\n' >u.c

refused() { # refused PATTERN GCC-ARGS...: fails with one matching line and writes no u.o
	local pat=$1; shift
	rm -f u.o
	expect_fail '*' "$pat" gcc -c u.c -o u.o -fplugin="$PLUGIN" "$@"
	[ ! -e u.o ] || fail "an object was written despite the error ($*)"
}
refused "unknown option .-fplugin-arg-polus-bogus." -fplugin-arg-polus-bogus=1
refused "unknown option .-fplugin-arg-polus-verbose." -fplugin-arg-polus-verbose
refused "mode. must be .record. or .patch." -fplugin-arg-polus-mode=both
refused "patch mode needs .-fplugin-arg-polus-plan=FILE." -fplugin-arg-polus-mode=patch
refused "plan. is only valid with" -fplugin-arg-polus-plan=x.plan
refused "-flto. is not supported: cross-unit inlining" -O2 -flto
refused "-fipa-ra. conflicts with the build profile.*-flive-patching=inline-clone" -O2 -fipa-ra

# LTO at link time: lto1 loads the plugin when it is on the link line.
gcc -O2 -flto -c u.c -o lto.o || fail "plain -flto compile"
printf 'int f(int); int main(void) { return f(1) - 2; }\n' >m.c
gcc -O2 -flto -c m.c -o m.o || fail "plain -flto compile"
rm -f a.out
out=$(gcc -O2 -flto -fplugin="$PLUGIN" lto.o m.o -o a.out 2>&1) && fail "LTO link with the plugin succeeded"
echo "$out" | grep -q -- "-flto.* is not supported" || fail "LTO link: $out"
[ ! -e a.out ] || fail "LTO link wrote an executable"
ok "LTO link refused"

# A good compile still works with the same options minus the bad one.
gcc -c u.c -o u.o -fplugin="$PLUGIN" -fplugin-arg-polus-mode=record || fail "record mode compile"
[ -s u.o ] || fail "no object"
ok "valid options accepted"

# A plugin built for another GCC refuses to run: a copy of polus.so whose recorded
# GCC version string is altered stands in for one built against another release.
ver=$(gcc -dumpfullversion)
alt=$(echo "$ver" | tr '0-9' '1-90')
python3 - "$PLUGIN" other.so "$ver" "$alt" <<'PY' || fail "cannot make the altered plugin"
import sys
data = open(sys.argv[1], 'rb').read()
old, new = sys.argv[3].encode() + b'\0', sys.argv[4].encode() + b'\0'
assert len(old) == len(new) and old in data
open(sys.argv[2], 'wb').write(data.replace(old, new))
PY
rm -f u.o
out=$(gcc -c u.c -o u.o -fplugin=./other.so 2>&1) && fail "a mismatched plugin was accepted"
echo "$out" | grep -q "polus.so was built for GCC $alt .* cannot run in GCC $ver" || fail "version error: $out"
[ ! -e u.o ] || fail "an object was written by a mismatched plugin"
ok "version mismatch refused"
