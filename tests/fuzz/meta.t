#!/usr/bin/env bash
# Robustness of polus-mkpatch against corrupt inputs: a fixed, seeded set of broken
# .polus.meta sections (put into a recorded binary with objcopy --update-section),
# truncated and byte-flipped copies of the whole recorded binary, and patches whose
# .polus.version YAML or ELF structure is broken, go through the SANITIZED polus-mkpatch
# (--diff OLD NEW, --diff --json, --show PATCH.so). Each run must give one error line and
# a non-zero exit, or exit 0 with a listing; never a crash, a hang or a sanitizer report.
# FUZZ_SEED=N picks another set of variants; FUZZ_KEEP=1 keeps the failing variant.
: "${POLUS_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$POLUS_TOP/tests/lib.sh" || exit 1
MK=$POLUS_SAN_BUILD/polus-mkpatch
need_built "$MK"
need_plugin
. "$POLUS_TOP/tests/inject/lib-inject.sh"
need_tools
build_fixtures # a valid patch with a version file: $FX/p1.so
SEED=${FUZZ_SEED:-1}
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
MUT=$POLUS_TOP/tests/fuzz/mutate.py
cd "$TMP" || fail "cd"

# a tiny program in two releases, recorded by the plugin
for v in v1 v2; do
	mkdir $v && cp "$POLUS_TOP/tests/mkpatch/carried/$v/main.c" $v/ || fail "copy"
	(cd $v && gcc -O2 -g -fplugin="$PLUGIN" -o prog main.c) || fail "building $v"
done
"$MK" --diff v1/prog v2/prog >diff.out 2>diff.err || fail "the valid diff fails: $(cat diff.err)"
grep -q 'serve' diff.out || fail "the valid diff does not list serve: $(cat diff.out)"
"$MK" --show "$FX/p1.so" >show.out 2>show.err || fail "--show of a valid patch fails: $(cat show.err)"
objcopy --dump-section .polus.meta=v1.meta v1/prog v1.tmp || fail "no .polus.meta in v1/prog"

mkdir meta elf yaml pelf v
python3 "$MUT" meta "$SEED" 60 v1.meta meta || fail "mutate.py meta"
python3 "$MUT" elf "$SEED" 40 v1/prog elf .polus.meta || fail "mutate.py elf"
python3 "$MUT" yaml "$SEED" 40 "$FX/p1.so.yaml" yaml || fail "mutate.py yaml"
python3 "$MUT" elf "$SEED" 25 "$FX/p1.so" pelf .polus.version || fail "mutate.py elf (patch)"
for m in meta/*.meta; do
	b=${m##*/}
	objcopy --update-section .polus.meta="$m" v1/prog "v/meta-${b%.meta}" 2>/dev/null ||
		fail "objcopy --update-section $m"
done
for y in yaml/*.yaml; do
	b=${y##*/}
	embed "v/show-yaml-${b%.yaml}.so" "$FX/patch-raw.so" "$y"
done

keep() { [ -n "${FUZZ_KEEP:-}" ] && cp "$1" "/tmp/polus-fuzz-${1##*/}" && echo "kept /tmp/polus-fuzz-${1##*/}" >&2; }
# run VARIANT ARGS...: polus-mkpatch ARGS must refuse with one line or succeed
n=0 refused=0 accepted=0
run() {
	local v=$1 rc; shift
	n=$((n + 1))
	timeout -k 5 20 "$MK" "$@" >out 2>err
	rc=$?
	if grep -q 'Sanitizer\|runtime error' err; then
		keep "$v"
		fail "${v##*/} ($*): sanitizer report: $(grep -m3 'ERROR\|runtime error\|#[0-3] ' err)"
	fi
	[ $rc = 124 ] || [ $rc = 137 ] && { keep "$v"; fail "${v##*/} ($*): timed out"; }
	[ $rc -ge 128 ] && { keep "$v"; fail "${v##*/} ($*): died of signal $((rc - 128)): $(head -3 err)"; }
	if [ $rc = 0 ]; then
		[ -s out ] || fail "${v##*/} ($*): exit 0 without output"
		accepted=$((accepted + 1))
		echo "accepted: ${v##*/} $1"
		return
	fi
	[ "$(grep -c . err)" = 1 ] || { keep "$v"; fail "${v##*/} ($*): exit $rc with $(grep -c . err) stderr lines: $(head -5 err)"; }
	refused=$((refused + 1))
	echo "refused ($rc) ${v##*/} $1: $(cat err)"
}
i=0
for v in v/meta-* elf/*; do
	i=$((i + 1))
	case $((i % 3)) in
	0) run "$v" --diff "$v" v2/prog ;;
	1) run "$v" --diff v2/prog "$v" ;;
	2) run "$v" --diff --json "$v" v2/prog ;;
	esac
done
for v in v/show-yaml-* pelf/*; do run "$v" --show "$v"; done
[ $refused -ge $((n / 3)) ] || fail "only $refused of $n runs refused"
ok "$n runs: $refused refused cleanly, $accepted accepted"
