#!/usr/bin/env bash
# Fork after an apply (docs/architecture.md, "Many processes"): each process owns its patch
# state. A child forked after an apply runs the patch and polus-status shows it there; a
# further patch on that child shows only in the child (code and status); a new static
# variable of the patch written by the child is not seen by the parent; a sibling forked
# later is not blocked from a patch by another process's record.
. "$POLUS_TOP/tests/lib.sh"
. "$POLUS_TOP/tests/multi/lib-multi.sh"
need_tools
build_forker
start_forker
P=$FPID

"$APPLY" -q "$P" "$MX/pa.so" || fail "pa refused on the parent"
wait_for 10 grep -q "^pid=$P r=30" "$FLOG" || fail "the parent does not run pa"

fork_child "$P"
C1=$CHILD
grep -q "^pid=$C1 r=30" "$FLOG" || fail "child $C1 does not run pa: $(grep "^pid=$C1" "$FLOG")"
[ "$(patches "$C1")" = pa ] || fail "status of child $C1: $("$STATUS" "$C1")"
ok "a child forked after an apply runs the patch and reports it"

kill -USR2 "$C1" # pa's poke: its new static variable, in the child
wait_for 10 grep -q "^pid=$C1 r=1030" "$FLOG" || fail "child $C1 did not take the poke"
[ "$(result "$P")" = 30 ] || fail "the parent sees the child's static variable: $(result "$P")"
ok "a new static variable written by the child is invisible to the parent"

"$APPLY" -q "$C1" "$MX/pb.so" || fail "pb refused on child $C1"
wait_for 10 grep -q "^pid=$C1 r=40" "$FLOG" || fail "child $C1 does not run pb"
[ "$(patches "$C1")" = "pa pb" ] || fail "status of child $C1: $("$STATUS" "$C1")"
[ "$(patches "$P")" = pa ] || fail "status of the parent shows the child's patch: $("$STATUS" "$P")"
[ "$(result "$P")" = 30 ] || fail "the parent runs the child's patch"
ok "a further patch on the child shows only in the child"

fork_child "$P"
C2=$CHILD
grep -q "^pid=$C2 r=30" "$FLOG" || fail "sibling $C2 does not run pa: $(grep "^pid=$C2" "$FLOG")"
[ "$(patches "$C2")" = pa ] || fail "status of sibling $C2: $("$STATUS" "$C2")"
"$APPLY" -q "$C2" "$MX/pb.so" || fail "pb refused on sibling $C2"
wait_for 10 grep -q "^pid=$C2 r=40" "$FLOG" || fail "sibling $C2 does not run pb"
[ "$(patches "$C2")" = "pa pb" ] || fail "status of sibling $C2: $("$STATUS" "$C2")"
[ "$(patches "$P")" = pa ] || fail "status of the parent: $("$STATUS" "$P")"
[ "$(result "$C1")" = 40 ] && [ "$(result "$P")" = 30 ] || fail "results changed elsewhere"
ok "a sibling takes a patch another process has: its own record"
