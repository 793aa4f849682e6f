#!/usr/bin/env bash
# A unit's options reach the patch: polus-mkpatch compiles each patch unit with every
# option and environment setting of NEW's build. Three builds of one program (options/),
# each giving the macro KNOB another way: -include cfg.h, knob.h found through CPATH
# (unset when polus-mkpatch runs), and -DKNOB with -Wp,-D_FORTIFY_SOURCE=2, which
# COLLECT_GCC_OPTIONS does not carry. Each patch builds, goes live, and the fortified
# one calls __memcpy_chk as NEW does, not plain memcpy.
: "${POLUS_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$POLUS_TOP/tests/lib.sh" || exit 1
. "$(dirname "$0")/lib-mkpatch.sh" || exit 1
need_recording_plugin
unset POLUS_PLUGIN CPATH C_INCLUDE_PATH
need_patch_mode
APPLY=$POLUS_BUILD/polus-apply
need_built "$APPLY"
need_ptrace
cd "$TMP" || fail "cd"

# build_variant NAME CFLAGS...: v1 and v2 under NAME/, then NAME/p.so
build_variant() {
	local name=$1 v; shift
	for v in v1 v2; do
		mkdir -p "$name/$v" && cp "$HERE/options/$v/main.c" "$HERE/options/cfg.h" "$name/$v/" &&
			cp -r "$HERE/options/inc" "$name/$v/" || fail "copy"
		(cd "$name/$v" && gcc -g "$@" -fplugin="$PLUGIN" -o prog main.c) || fail "building $name/$v"
	done
	# polus-mkpatch runs without the build's CPATH: the record must give it
	env -u CPATH "$MK" -q "$name/v1/prog" "$name/v2/prog" -o "$name/p.so" 2> "$name/mk.err" ||
		fail "$name: patch build: $(cat "$name/mk.err")"
	ok "$name: patch built"
}

# live NAME KNOB: the patch of NAME applied to its v1 running; fill(3) = 'c' + KNOB before,
# 'c' + 2 * KNOB after. Returns 3 when polus-apply fails (its output in NAME/apply.txt).
live() {
	local name=$1 knob=$2
	cd "$name" || fail "cd $name"
	start_prog v1/prog
	ask 3 $((99 + knob))
	if ! "$APPLY" "$pid" p.so > apply.txt 2>&1; then
		cat apply.txt
		cd "$TMP" && return 3
	fi
	ask 3 $((99 + 2 * knob))
	kill -0 "$pid" || fail "$name: the process died"
	cd "$TMP" || fail "cd"
	ok "$name: the fix is live"
}

build_variant include -O2 -include cfg.h
live include 7 || fail "include: not live"

export CPATH=$TMP/cpath/v1/inc
build_variant cpath -O2 -DKNOB_HEADER
unset CPATH
live cpath 9 || fail "cpath: not live"

build_variant fortify -O2 -Wp,-D_FORTIFY_SOURCE=2 -DKNOB=5
objdump -d fortify/v1/prog | grep -A20 '<fill>:' | grep -q '__memcpy_chk' ||
	fail "precondition: the fortified v1 calls no __memcpy_chk"
objdump -d fortify/p.so > fortify/p.dis || fail "objdump"
grep -q 'call.*<__memcpy_chk@plt>' fortify/p.dis ||
	fail "the patch calls no __memcpy_chk: $(grep call fortify/p.dis)"
grep -q 'call.*<memcpy@plt>' fortify/p.dis && fail "the patch calls plain memcpy"
ok "fortify: the patched fill calls __memcpy_chk, as NEW does"
live fortify 5 || fail "fortify: not live"
