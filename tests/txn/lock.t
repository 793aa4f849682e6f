#!/usr/bin/env bash
# One updater at a time: two polus-apply started together on one process, ten times with
# the same patch and ten times with two patches. Exactly one applies at a time: the other
# refuses with exit 3 naming the first's PID (or, the same patch, finds it applied: exit
# 2; two patches, started after the first finished: applies). With --wait both apply.
# Never two records of one patch, never a patch image mapped twice.
. "$POLUS_TOP/tests/lib.sh"
. "$POLUS_TOP/tests/inject/lib-inject.sh"
need_tools
build_fixtures
for i in $(seq 1 10); do make_patch_variant "$FX/s$i.so" "s$i"; make_patch_variant "$FX/t$i.so" "t$i"; make_patch_variant "$FX/u$i.so" "u$i"; done

# race OUT A.so B.so [OPTIONS]: both applies at once; "rcA rcB pidA pidB" in OUT.
race() {
	local out=$1 pa=$2 pb=$3; shift 3
	"$APPLY" -q "$@" "$TPID" "$pa" >"$TMP/a.out" 2>&1 &
	local a=$!
	"$APPLY" -q "$@" "$TPID" "$pb" >"$TMP/b.out" 2>&1 &
	local b=$!
	wait $a; local ra=$?
	wait $b; local rb=$?
	echo "$ra $rb $a $b" >"$out"
}
# refused_by_other "RCA RCB" PIDA PIDB: one applied, the other exited 3 naming it.
refused_by_other() {
	case $1 in
	"0 3") grep -q "being updated by process $2 " "$TMP/b.out" || fail "$(cat "$TMP/b.out")" ;;
	"3 0") grep -q "being updated by process $3 " "$TMP/a.out" || fail "$(cat "$TMP/a.out")" ;;
	*) return 1 ;;
	esac
}
# images NAME: how many mappings of polus:NAME's code the target has.
images() { grep -c "polus:$1 .*r-xp\|r-xp.*polus:$1 " "/proc/$TPID/maps"; }
records() { "$STATUS" "$TPID" | grep -c "^patch $1 "; }

start_target
for i in $(seq 1 10); do
	race "$TMP/r" "$FX/s$i.so" "$FX/s$i.so"
	read -r ra rb pa pb <"$TMP/r"
	refused_by_other "$ra $rb" "$pa" "$pb" ||
		case "$ra $rb" in
		"0 2" | "2 0") grep -q "already applied" "$TMP/a.out" "$TMP/b.out" || fail "round $i: exit 2 but not 'already applied'" ;;
		*) fail "same patch, round $i: exits $ra $rb: $(cat "$TMP/a.out" "$TMP/b.out")" ;;
		esac
	[ "$(records "s$i")" = 1 ] || fail "round $i: $(records "s$i") records of s$i"
	[ "$(images "s$i")" = 1 ] || fail "round $i: $(images "s$i") images of s$i"
	answers || fail "round $i: the target does not answer"
done
ok "the same patch twice at once, 10 times: applied once, the other refused naming the first"
for i in $(seq 1 10); do
	race "$TMP/r" "$FX/t$i.so" "$FX/u$i.so"
	read -r ra rb pa pb <"$TMP/r"
	refused_by_other "$ra $rb" "$pa" "$pb" || [ "$ra $rb" = "0 0" ] || # one after the other
		fail "two patches, round $i: exits $ra $rb: $(cat "$TMP/a.out" "$TMP/b.out")"
	[ "$(records "t$i")" = "$([ "$ra" = 0 ] && echo 1 || echo 0)" ] &&
		[ "$(records "u$i")" = "$([ "$rb" = 0 ] && echo 1 || echo 0)" ] || fail "round $i: records wrong"
done
ok "two patches at once, 10 times: one at a time"
stop() { kill -9 "$TPID"; wait "$TPID" 2>/dev/null; }
stop
start_target
for i in $(seq 1 10); do
	race "$TMP/r" "$FX/s$i.so" "$FX/t$i.so" --wait 60
	read -r ra rb pa pb <"$TMP/r"
	[ "$ra $rb" = "0 0" ] || fail "--wait, round $i: exits $ra $rb: $(cat "$TMP/a.out" "$TMP/b.out")"
	[ "$(records "s$i")" = 1 ] && [ "$(records "t$i")" = 1 ] || fail "--wait, round $i: records"
done
answers || fail "the target does not answer"
ok "with --wait, 10 times: both applied, one after the other"
