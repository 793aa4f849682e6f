#!/usr/bin/env bash
# What an operator's scripts rely on, on every tool: --version (one version, the formats,
# the GCC of the plugin; the plugin reports the same through -fplugin-arg-polus-version);
# with --json a failure prints {"error":{"code","exit","message"}} on stdout and the exit
# code is the one without --json; several PIDs where one is expected are named, with a
# pointer to --all and the program they run; polus-mkpatch repeats its warnings after
# its done: line.
: "${POLUS_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$POLUS_TOP/tests/lib.sh" || exit 1
APPLY=$POLUS_BUILD/polus-apply STATUS=$POLUS_BUILD/polus-status MK=$POLUS_BUILD/polus-mkpatch
need_built "$APPLY" "$STATUS" "$MK" "$PLUGIN"
want=$(cat "$POLUS_TOP/VERSION")

# --version: the same three lines on every tool, the version first
for t in "$APPLY" "$STATUS" "$MK"; do
	out=$("$t" --version) || fail "${t##*/} --version exited $?"
	n=${t##*/}
	printf '%s\n' "$out" | head -n 1 | grep -Eq "^$n \(polus\) $want(\+g[0-9a-f]+(-dirty)?)?$" ||
		fail "$n --version: $out"
	printf '%s\n' "$out" | grep -qx 'formats: metadata 1, version file 1, registry 1' ||
		fail "$n --version has no formats line: $out"
	printf '%s\n' "$out" | grep -qx "plugin: polus.so for GCC $(gcc -dumpfullversion)" ||
		fail "$n --version does not name the plugin's GCC: $out"
	ver=${out%%$'\n'*}
	echo "$ver" >>"$TMP/versions"
	ok "$n --version: $ver"
done
gcc -fplugin="$PLUGIN" -fplugin-arg-polus-version -x c -c /dev/null -o /dev/null 2>"$TMP/pv" ||
	fail "the plugin's version option failed: $(cat "$TMP/pv")"
grep -q "^polus.so (polus) $(sed -n 's/^polus-apply (polus) //p' "$TMP/versions")\$" "$TMP/pv" ||
	fail "the plugin reports another version: $(cat "$TMP/pv")"
grep -q "^plugin: polus.so for GCC $(gcc -dumpfullversion)" "$TMP/pv" || fail "plugin: $(cat "$TMP/pv")"
ok "polus.so: $(head -n 1 "$TMP/pv")"

# json_fail WANT-RC CMD...: CMD without --json fails with WANT-RC and one line; with
# --json (inserted after the tool) the same code, the same line on stderr, and on stdout
# exactly one JSON error object carrying them.
json_fail() {
	local want=$1 tool=$2; shift 2
	local rc rc2 line
	"$tool" "$@" >"$TMP/o1" 2>"$TMP/e1"
	rc=$?
	"$tool" --json "$@" >"$TMP/o2" 2>"$TMP/e2"
	rc2=$?
	[ $rc -eq "$want" ] && [ $rc2 -eq "$want" ] ||
		fail "${tool##*/} $*: exit $rc / $rc2 with --json, wanted $want: $(cat "$TMP/e1")"
	[ "$(grep -c . "$TMP/e2")" = 1 ] && cmp -s "$TMP/e1" "$TMP/e2" ||
		fail "${tool##*/} $*: stderr differs with --json: $(cat "$TMP/e1" "$TMP/e2")"
	line=$(cat "$TMP/e2")
	python3 - "$TMP/o2" "$want" "${line#*: }" <<'PY' || fail "${tool##*/} --json $*: bad error object: $(cat "$TMP/o2")"
import json, sys
text = open(sys.argv[1]).read()
assert text.count("\n") == 1, "not one line"
obj = json.loads(text)
names = {1: "bad-input", 2: "does-not-apply", 3: "unsafe-now", 4: "internal"}
err = obj["error"]
assert list(obj) == ["error"], obj
assert err["exit"] == int(sys.argv[2]), err
assert err["code"] == names[err["exit"]], err
assert err["message"] == sys.argv[3], (err["message"], sys.argv[3])
PY
	ok "${tool##*/} --json $*: $(cat "$TMP/o2")"
}
sleep 300 &
S1=$!
track_pid $S1
sleep 300 &
S2=$!
track_pid $S2
echo 'int main(void) { return 0; }' >"$TMP/plain.c"
gcc -o "$TMP/plain" "$TMP/plain.c" || fail "gcc"
json_fail 1 "$APPLY" 2147483646 "$TMP/none.so"
json_fail 1 "$APPLY" notapid "$TMP/none.so"
json_fail 1 "$APPLY" --bogus
json_fail 1 "$APPLY" $S1 "$TMP/none.so"
json_fail 1 "$STATUS" 2147483646
json_fail 1 "$STATUS" --bogus
json_fail 1 "$MK" --diff "$TMP/plain" "$TMP/plain"
json_fail 1 "$MK" --diff onlyone

# several PIDs: each named, --all and the program suggested, on both tools
expect_fail 1 "^polus-apply: 2 processes given \($S1 $S2\) where one PID is expected \(every process of a program: --all $(readlink /proc/$S1/exe) PATCH.so\)$" \
	"$APPLY" $S1 $S2 "$TMP/none.so"
expect_fail 1 "^polus-status: 2 processes given \($S1 $S2\) where one PID is expected \(every process of a program: --all $(readlink /proc/$S1/exe)\)$" \
	"$STATUS" $S1 $S2
json_fail 1 "$APPLY" $S1 $S2 "$TMP/none.so"

# --wait SECONDS, the same on both tools that take the update lock
expect_fail 1 "^polus-apply: --wait needs a number of seconds, not x$" "$APPLY" --wait x $S1 "$TMP/none.so"
expect_fail 1 "^polus-rollback: --wait needs a number of seconds, not -1$" \
	"$POLUS_BUILD/polus-rollback" --wait -1 $S1
expect_fail 1 "^polus-rollback: --wait needs a number of seconds, not $" \
	"$POLUS_BUILD/polus-rollback" --wait "" $S1
json_fail 1 "$POLUS_BUILD/polus-rollback" --wait x $S1

# polus-mkpatch: a warning (main changed: it never returns) is repeated after done:
need_plugin
mkdir -p "$TMP/w1" "$TMP/w2"
for v in 1 2; do
	cat >"$TMP/w$v/main.c" <<C
#include <stdio.h>
#include <unistd.h>
__attribute__((noinline)) int f(int x) { return x * x + $v * x - 7 + (x >> 3); }
int main(void)
{
	for (int i = 0;; i++) {
		printf("%d\n", f(i) * $v);
		sleep(1);
	}
}
C
	(cd "$TMP/w$v" && gcc -O2 -g -fplugin="$PLUGIN" -o prog main.c) || fail "building w$v"
done
# builds compiled with other options do not pair: exit 2, as JSON too
(cd "$TMP/w1" && gcc -O1 -g -fplugin="$PLUGIN" -o prog-O1 main.c) || fail "building w1 -O1"
json_fail 2 "$MK" --diff "$TMP/w1/prog" "$TMP/w1/prog-O1"
"$MK" "$TMP/w1/prog" "$TMP/w2/prog" -o "$TMP/w.so" >"$TMP/mk.out" 2>"$TMP/mk.err" ||
	fail "patch build: $(cat "$TMP/mk.err")"
cat "$TMP/mk.out" "$TMP/mk.err"
tail -n 1 "$TMP/mk.out" | grep -q '^done: ' || fail "no done: line last"
w=$(grep -m1 '^polus-mkpatch: warning: ' "$TMP/mk.err") || fail "no warning: $(cat "$TMP/mk.err")"
n=$(grep -c '^polus-mkpatch: warning: ' "$TMP/mk.err")
grep -qx "polus-mkpatch: $n warnings\? (see above):" "$TMP/mk.err" || fail "no summary of $n warnings"
sed -n '/(see above):$/,$p' "$TMP/mk.err" | grep -qxF "polus-mkpatch:   ${w#polus-mkpatch: warning: }" ||
	fail "the summary does not repeat: $w"
[ "$(sed -n '/(see above):$/,$p' "$TMP/mk.err" | grep -c .)" = $((n + 1)) ] || fail "summary is not last"
"$MK" -q "$TMP/w1/prog" "$TMP/w2/prog" -o "$TMP/wq.so" 2>"$TMP/mkq.err" || fail "quiet patch build"
! grep -q 'see above' "$TMP/mkq.err" || fail "--quiet printed a summary"
ok "warnings repeated after done: ($n)"
