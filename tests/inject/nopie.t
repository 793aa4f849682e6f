#!/usr/bin/env bash
# A non-PIE target (loaded at 0x400000, load bias 0, little room below it): the patch is
# placed above the heap, within rel32 reach, and applies like on a PIE.
. "$POLUS_TOP/tests/lib.sh"
. "$POLUS_TOP/tests/inject/lib-inject.sh"
need_tools
build_fixtures
gcc -O2 -g -no-pie -fno-pie -flive-patching=inline-clone -pthread -o "$FX/target" \
	"$FIXSRC/target.c" || fail "cannot build the non-PIE target"
cache_syms
make_patch "$FX/np.so" np
start_target
grep -q '^00400000-.*/target$' /proc/$TPID/maps || fail "target not at 0x400000"
wait_blocked
"$APPLY" "$TPID" "$FX/np.so" || fail "apply failed"
wait_for 10 grep -q '^new direct' "$TLOG" || fail "new code not reached"
wait_for 10 grep -q '^new pointer' "$TLOG" || fail "new code not reached through the pointer"
wait_blocked
no_eintr
ok "non-PIE target patched"
