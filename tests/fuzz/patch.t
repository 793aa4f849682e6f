#!/usr/bin/env bash
# Robustness of polus-apply against corrupt patches: a fixed, seeded set of variants of a
# valid patch (truncations; bad values and byte flips in the ELF header, the program and
# section headers, .dynamic, the relocations, .dynsym, the string tables; broken
# .polus.version YAML: garbage, huge numbers, missing keys, wrong types, deep nesting,
# very long strings, aliases; the version file of another build) goes through the
# SANITIZED polus-apply into a live target. Each run must refuse with one error line and
# a non-zero exit, leaving the target's memory map, fds and threads as they were and the
# target still answering -- or, for a harmless mutation, exit 0 with the patch really
# applied (a fresh target is then started). Never a crash, a hang or a sanitizer report.
# FUZZ_SEED=N picks another set of variants; FUZZ_KEEP=1 keeps the failing variant.
: "${POLUS_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$POLUS_TOP/tests/lib.sh" || exit 1
APPLY=$POLUS_SAN_BUILD/polus-apply STATUS=$POLUS_SAN_BUILD/polus-status
need_built "$APPLY"
. "$POLUS_TOP/tests/inject/lib-inject.sh"
need_tools
build_fixtures
SEED=${FUZZ_SEED:-1}
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
MUT=$POLUS_TOP/tests/fuzz/mutate.py

mkdir -p "$TMP/elf" "$TMP/yaml" "$TMP/v"
python3 "$MUT" elf "$SEED" 80 "$FX/p1.so" "$TMP/elf" .polus.version || fail "mutate.py elf"
# resealed, so the loader's own checks meet the mutations (a variant too broken for its
# seal to be found stays as it is: the seal check refuses it; tests/ops/seal.t fuzzes that)
for v in "$TMP"/elf/*.so; do "$POLUS_BUILD/polus-sign" --seal "$v" 2>/dev/null; done
python3 "$MUT" yaml "$SEED" 45 "$FX/p1.so.yaml" "$TMP/yaml" || fail "mutate.py yaml"
for y in "$TMP"/yaml/*.yaml; do
	b=${y##*/}
	embed "$TMP/v/yaml-${b%.yaml}.so" "$FX/patch-raw.so" "$y"
done
# a valid version file, but for another build of the target
make_patch_raw "$TMP/v/otherbuild.so" "$FX/patch-raw.so" ob 0123456789abcdef0123456789abcdef01234567 \
	-f "$F_COMPUTE" -b "$B_CALLS" -b "$B_HELPER" -b "$B_TLS"
variants=("$TMP"/elf/*.so "$TMP"/v/*.so)

snap() {
	local f
	SNAP=$(<"/proc/$TPID/maps")
	SNAP+=$'\n'fds:
	for f in /proc/$TPID/fd/*; do SNAP+=" ${f##*/}"; done
	SNAP+=$'\n'threads:
	for f in /proc/$TPID/task/*; do SNAP+=" ${f##*/}"; done
}
answers() {
	local line
	exec 3<>"/dev/tcp/127.0.0.1/$PORT" && read -r -t 10 line <&3 && exec 3<&- && [ "$line" = ok ]
}
fresh_target() {
	[ -n "${TPID:-}" ] && { kill -9 "$TPID"; wait "$TPID" 2>/dev/null; }
	start_target
	wait_blocked
	snap
	BEFORE=$SNAP
}
keep() { [ -n "${FUZZ_KEEP:-}" ] && cp "$1" "/tmp/polus-fuzz-${1##*/}" && echo "kept /tmp/polus-fuzz-${1##*/}" >&2; }

TPID=
fresh_target
# the control: the valid patch applies (a polus-apply that refuses everything fails here)
"$APPLY" "$TPID" "$FX/p1.so" >"$TMP/out" 2>&1 || fail "the valid patch was refused: $(cat "$TMP/out")"
wait_for 10 grep -q '^new ' "$TLOG" || fail "the valid patch applied, but its code does not run"
fresh_target
refused=0 applied=0
for v in "${variants[@]}"; do
	name=${v##*/}
	timeout -k 5 20 "$APPLY" "$TPID" "$v" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	if grep -q 'Sanitizer\|runtime error\|LeakSanitizer' "$TMP/err"; then
		keep "$v"
		fail "$name: sanitizer report: $(grep -m3 'ERROR\|runtime error\|#[0-3] ' "$TMP/err")"
	fi
	[ $rc = 124 ] || [ $rc = 137 ] && { keep "$v"; fail "$name: polus-apply timed out"; }
	[ $rc -ge 128 ] && { keep "$v"; fail "$name: polus-apply died of signal $((rc - 128)): $(head -3 "$TMP/err")"; }
	kill -0 "$TPID" 2>/dev/null || { keep "$v"; fail "$name: the target died (exit $rc: $(head -3 "$TMP/err"))"; }
	if [ $rc = 0 ]; then
		grep -q '^loaded .* at 0x' "$TMP/out" || fail "$name: exit 0 without a 'loaded' line: $(cat "$TMP/out")"
		grep -q 'memfd:polus:' "/proc/$TPID/maps" || fail "$name: exit 0 but nothing mapped in the target"
		"$STATUS" "$TPID" | grep -q '^patch ' || fail "$name: exit 0 but polus-status lists no patch"
		applied=$((applied + 1))
		echo "applied (harmless mutation): $name"
		fresh_target
		continue
	fi
	[ "$(grep -c . "$TMP/err")" = 1 ] || { keep "$v"; fail "$name: exit $rc with $(grep -c . "$TMP/err") stderr lines: $(head -5 "$TMP/err")"; }
	snap
	[ "$SNAP" = "$BEFORE" ] || { keep "$v"; diff <(echo "$BEFORE") <(echo "$SNAP") >&2; fail "$name: the target changed after a refusal"; }
	answers || fail "$name: the target does not answer after the refusal"
	no_eintr
	! grep -q '^new ' "$TLOG" || fail "$name: refused, but the target runs the new code"
	refused=$((refused + 1))
	echo "refused ($rc) $name: $(cat "$TMP/err")"
done
[ $refused -ge $((${#variants[@]} / 2)) ] || fail "only $refused of ${#variants[@]} variants refused"
ok "${#variants[@]} variants: $refused refused cleanly, $applied harmless and applied"
