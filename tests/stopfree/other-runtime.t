#!/usr/bin/env bash
# A process patched by another polus (its runtime has another build-id, as after an
# upgrade of polus while the process runs): polus-rollback holds no runtime of its own
# there. A stop-free patch is refused, naming the function (writing ORIG-BYTES back at
# OLD-ADDR, the padding, would break the code), and nothing changes; the polus whose
# runtime it is rolls it back.
: "${POLUS_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$POLUS_TOP/tests/lib.sh" || exit 1
. "$POLUS_TOP/tests/mkpatch/lib-mkpatch.sh" || exit 1
. "$POLUS_TOP/tests/stopfree/lib-stopfree.sh" || exit 1
cd "$TMP" || fail "cd"
build_live
# the other polus's runtime: ours with another build-id
python3 - "$POLUS_BUILD/polus-rt.so" other-rt.so <<'PY' || fail "cannot make the other runtime"
import sys
b = bytearray(open(sys.argv[1], "rb").read())
i = b.find(b"GNU\0")  # the NT_GNU_BUILD_ID note's name; its 20 bytes follow
assert i > 0
b[i + 4] ^= 0xff
open(sys.argv[2], "wb").write(b)
PY

start_prog v1/prog
ask 3 "10 6 16 40 1"
orig=$(text_of "$pid")
POLUS_RT=$PWD/other-rt.so "$APPLY" "$pid" p.so >apply.txt 2>&1 || { cat apply.txt; fail "apply with the other runtime failed"; }
grep -q '^switch: stop-free' apply.txt || { cat apply.txt; fail "not stop-free"; }
ask 3 "16 10 38 41 2"
patched=$(text_of "$pid")
expect_fail 2 "^polus-rollback: function [a-z_]+ of patch p was switched stop-free by another polus \(process $pid holds no runtime of this one\): roll it back with that polus$" \
	"$ROLLBACK" "$pid"
[ "$(text_of "$pid")" = "$patched" ] || fail "the refused rollback changed the code"
ask 3 "16 10 38 41 3"
POLUS_RT=$PWD/other-rt.so "$ROLLBACK" "$pid" >rb.txt 2>&1 || { cat rb.txt; fail "rollback with that polus failed"; }
[ "$(text_of "$pid")" = "$orig" ] || fail "the rollback with that polus left other bytes"
ask 3 "10 6 16 40 4"
ok "a stop-free patch of another polus: refused, untouched; rolled back by that polus"
