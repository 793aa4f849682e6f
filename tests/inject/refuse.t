#!/usr/bin/env bash
# polus-apply refusals: each is one clear error line with its exit code, and leaves the
# target exactly as it was (same memory map, same fds, same threads, no EINTR). The
# sanitized tools are used when built, so the error paths run under ASan/LSan/UBSan.
. "$POLUS_TOP/tests/lib.sh"
if [ -x "$POLUS_SAN_BUILD/polus-apply" ] && [ -x "$POLUS_SAN_BUILD/polus-status" ]; then
	APPLY=$POLUS_SAN_BUILD/polus-apply STATUS=$POLUS_SAN_BUILD/polus-status
fi
. "$POLUS_TOP/tests/inject/lib-inject.sh"
need_tools
build_fixtures
t=$FX/target
bid=$T_BID

# the patches and files that must be refused
make_patch "$FX/p1.so" p1
head -c 3000 "$FX/p1.so" >"$FX/truncated.so"
cp "$FX/p1.so" "$FX/corrupt.so"
printf '\xff\xff\xff\xff\xff\xff\xff\x7f' | dd of="$FX/corrupt.so" bs=1 seek=32 conv=notrunc status=none
echo "just text" >"$FX/text.so"
gcc -c -fPIC -o "$FX/object.o" "$FIXSRC/patch.c"
printf 'polus-patch: 1\nname: [unclosed\n' >"$FX/bad.yaml"
embed "$FX/badvf.so" "$FX/patch-raw.so" "$FX/bad.yaml"
make_patch_raw "$FX/wrongbuild.so" "$FX/patch-raw.so" wb 0123456789abcdef0123456789abcdef01234567 \
	-f "$F_COMPUTE" -b "$B_CALLS" -b "$B_HELPER" -b "$B_TLS"
make_patch_raw "$FX/nobind.so" "$FX/patch-raw.so" nb "$bid" -f "$F_COMPUTE" -b "$B_CALLS" -b "$B_TLS"
gcc -O2 -fPIC -shared -o "$FX/missing-raw.so" "$FIXSRC/patch-missing.c"
SO=$FX/missing-raw.so make_patch_raw "$FX/missing.so" "$FX/missing-raw.so" ms "$bid" \
	-f "compute:$(sym_addr "$t" compute):$(sym_size "$t" compute):$(sym_addr "$FX/missing-raw.so" compute):1"
make_patch_raw "$FX/nosize.so" "$FX/patch-raw.so" ns "$bid" \
	-f "compute:$(sym_addr "$t" compute):0:$(sym_addr "$FX/patch-raw.so" compute):1" -b "$B_CALLS" -b "$B_HELPER" -b "$B_TLS"
make_patch "$FX/short.so" sh -f "base_helper:$(sym_addr "$t" base_helper):3:$(sym_addr "$FX/patch-raw.so" compute):1"

# usage
expect_fail 1 'expected PID and PATCH.so' "$APPLY"
expect_fail 1 'not a process id' "$APPLY" abc "$FX/p1.so"
"$APPLY" --help | grep -q '^usage: polus-apply' || fail "--help"
"$STATUS" --help | grep -q '^usage: polus-status' || fail "status --help"
expect_fail 1 'no such process' "$STATUS" 999999999

start_target
wait_blocked
before=$(snapshot)
same() {
	[ "$(snapshot)" = "$before" ] || { diff <(echo "$before") <(snapshot) >&2; fail "target changed after: $*"; }
	no_eintr
}

expect_fail 1 'no such process' "$APPLY" 999999999 "$FX/p1.so"
expect_fail 1 'No such file' "$APPLY" "$TPID" "$FX/absent.so"; same absent
expect_fail 1 'truncated' "$APPLY" "$TPID" "$FX/truncated.so"; same truncated
expect_fail 1 'truncated|corrupt' "$APPLY" "$TPID" "$FX/corrupt.so"; same corrupt
expect_fail 1 'not an ELF file' "$APPLY" "$TPID" "$FX/text.so"; same text
expect_fail 1 'not an ELF shared object' "$APPLY" "$TPID" "$FX/object.o"; same object
expect_fail 1 'not a polus patch' "$APPLY" "$TPID" "$FX/patch-raw.so"; same notpolus
expect_fail 1 'invalid version file' "$APPLY" "$TPID" "$FX/badvf.so"; same badvf
expect_fail 2 'not built with the polus plugin' "$APPLY" "$TPID" "$FX/wrongbuild.so"; same noplugin
expect_fail 2 '__polus_b_1 has no bind' "$APPLY" "$TPID" "$FX/nobind.so"; same nobind
expect_fail 2 'cannot resolve symbol polus_test_no_such_function' "$APPLY" "$TPID" "$FX/missing.so"; same missing
expect_fail 1 'function compute: no old-size' "$APPLY" "$TPID" "$FX/nosize.so"; same nosize
expect_fail 2 'base_helper is too short' "$APPLY" "$TPID" "$FX/short.so"; same short

# a second tracer
"$FX/holdtrace" "$TPID" >"$TMP/hold.out" &
hold=$!
track_pid $hold
wait_for 10 grep -q traced "$TMP/hold.out" || fail "holdtrace did not attach"
expect_fail 3 "already traced by process $hold" "$APPLY" "$TPID" "$FX/p1.so"
kill -9 $hold; wait $hold 2>/dev/null
same traced

# the same target with polus metadata, running another build than the patch's
objcopy --add-section .polus.meta="$FX/bad.yaml" "$t" "$FX/target-meta"
cp "$t" "$FX/target-plain"
kill -9 "$TPID"; wait "$TPID" 2>/dev/null
cp "$FX/target-meta" "$FX/target"
start_target
expect_fail 2 "patch is for build 0123456789abcdef0123456789abcdef01234567, process $TPID runs build $bid" \
	"$APPLY" "$TPID" "$FX/wrongbuild.so"
kill -9 "$TPID"; wait "$TPID" 2>/dev/null

# a static binary
if gcc -static -O2 -o "$FX/static" "$FIXSRC/static.c" 2>/dev/null; then
	"$FX/static" & sp=$!
	track_pid $sp
	wait_for 5 test -e /proc/$sp/exe
	wait_for 5 [ "$(readlink /proc/$sp/exe)" = "$FX/static" ]
	expect_fail 2 'statically linked' "$APPLY" "$sp" "$FX/p1.so"
else
	echo "note: no static libc, static binary case not run"
fi
ok "all refusals clean"
