#!/usr/bin/env bash
# polus-apply --store DIR (docs/patch-store.md): per process, the patches its build and
# applied chain need, in chain order: a process at the bare build gets pa then pc (pc
# requires pa), one that runs pa already gets pc, one that runs both nothing; --store
# with one PID; a store without the build is refused before anything is done.
. "$POLUS_TOP/tests/lib.sh"
. "$POLUS_TOP/tests/multi/lib-multi.sh"
need_tools
build_forker
S=$TMP/store
bid=$(build_id "$MX/forker")
mkdir -p "$S/$bid" "$S/0123456789abcdef"
cp "$MX/pa.so" "$S/$bid/01-pa.so"
cp "$MX/pc.so" "$S/$bid/02-pc.so"

start_forker
P=$FPID
fork_child "$P"; Q=$CHILD
"$APPLY" -q "$Q" "$MX/pa.so" || fail "pa on $Q"
"$APPLY" --store "$S" --all "$MX/forker" >"$TMP/out" 2>&1 || fail "--store --all: exit $?: $(cat "$TMP/out")"
cat "$TMP/out"
grep -q "^process $P (forker): applied pa, pc (pause" "$TMP/out" || fail "P did not get pa, pc"
grep -q "^process $Q (forker): applied pc (pause" "$TMP/out" || fail "Q did not get pc alone"
[ "$(patches "$P")" = "pa pc" ] && [ "$(patches "$Q")" = "pa pc" ] || fail "status after --store"
[ "$(result "$P")" = 50 ] && [ "$(result "$Q")" = 50 ] || fail "not running pc"
ok "--store: each process gets what its chain needs, in order"

"$APPLY" --store "$S" --all "$MX/forker" >"$TMP/out2" || fail "second run: exit $?"
grep -q '^2 processes: 0 updated, 2 already up to date, 0 not updated$' "$TMP/out2" ||
	fail "second run: $(cat "$TMP/out2")"
fork_child "$Q"; R=$CHILD # inherits pa, pc
"$APPLY" --store "$S" "$R" >"$TMP/out3" || fail "--store PID: exit $?"
grep -q "^process $R (forker): already up to date$" "$TMP/out3" || fail "R: $(cat "$TMP/out3")"
ok "--store: nothing twice; a child forked after it is up to date"

# a new release installed over the binary: the old processes run "forker (deleted)";
# --store --all takes both releases, each process what the store has for its build
build_forker # a new build (its own build-id) at the same path, its patches pa, pb, pc, pd
bid2=$(build_id "$MX/forker")
[ "$bid2" != "$bid" ] || fail "the rebuild kept the build-id"
mkdir -p "$S/$bid2"
cp "$MX/pb.so" "$S/$bid2/01-pb.so"
start_forker
N=$FPID
"$APPLY" --store "$S" --all "$MX/forker" >"$TMP/out4" 2>&1 || fail "two releases: exit $?: $(cat "$TMP/out4")"
cat "$TMP/out4"
grep -q "^process $N (forker): applied pb (pause" "$TMP/out4" || fail "the new release's process"
grep -q '^4 processes: 1 updated, 3 already up to date, 0 not updated$' "$TMP/out4" ||
	fail "two releases: summary"
"$STATUS" --all "$MX/forker" | tail -n 1 |
	grep -Eqx '4 processes: (3 run pa pc; 1 runs pb|1 runs pb; 3 run pa pc)' ||
	fail "status of two releases: $("$STATUS" --all "$MX/forker")"
ok "--store --all: processes of an older release of the binary (deleted file) too"
rm -r "$S/$bid2"

rm -r "$S/$bid"
expect_fail 2 "^polus-apply: the store $S has no patch for build $bid2 \\($MX/forker\\)$" \
	"$APPLY" --store "$S" --all "$MX/forker"
expect_fail 2 "^polus-apply: the store $S has no patch for build $bid \\(process $P\\)$" \
	"$APPLY" --store "$S" "$P"
expect_fail 2 "^polus-apply: patch is for build [0-9a-f]+, process $$ runs build [0-9a-f]+$" \
	"$APPLY" --tree $$ "$MX/pa.so"
