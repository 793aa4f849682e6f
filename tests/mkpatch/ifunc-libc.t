#!/usr/bin/env bash
# A patch that calls libc IFUNCs libc has no IRELATIVE slot for (strstr, __memcpy_chk of
# a -D_FORTIFY_SOURCE=2 build, time) gets the implementation the process uses, applied
# under load (a thread spins in the program throughout):
#   (a) the program's own GOT slot, once resolved: -z now, or lazy after a first call;
#       an unresolved lazy slot (it points into the program's PLT) is not used;
#   (b) another loaded object's GOT slot (an LD_PRELOAD library linked -z now);
#   (d) polus-apply's own choice for this CPU (same libc, same GLIBC_TUNABLES), time's
#       landing in the target's vDSO.
# With (d) off (the target runs with another GLIBC_TUNABLES) a symbol only (d) could give
# is refused: exit 2, one line naming it, target untouched. polus-mkpatch warns about time,
# which OLD does not import, and about nothing else.
: "${POLUS_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$POLUS_TOP/tests/lib.sh" || exit 1
. "$(dirname "$0")/lib-mkpatch.sh" || exit 1
need_recording_plugin
unset POLUS_PLUGIN GLIBC_TUNABLES LD_PRELOAD
need_patch_mode
APPLY=$POLUS_BUILD/polus-apply
[ -x "$APPLY" ] || skip "needs polus-apply (injector) built"
LIBC=$(readlink -f "$(ldd /bin/true | awk '$1 == "libc.so.6" {print $3}')")
for s in time strstr __memcpy_chk; do
	readelf -W --dyn-syms "$LIBC" | grep -Eq " IFUNC +GLOBAL +DEFAULT +[0-9]+ $s@@" ||
		skip "$s is no IFUNC in $LIBC"
done
OTHER=glibc.malloc.perturb=0 # a GLIBC_TUNABLES unlike polus-apply's: (d) is off
cd "$TMP" || fail "cd"

# build_rel DIR SRC FLAGS...: one release, recorded by the plugin
build_rel() {
	local dir=$1 src=$2
	shift 2
	mkdir -p "$dir" && cp "$HERE/ifunc-libc/$src/main.c" "$dir"/ || fail "copy $src"
	(cd "$dir" && gcc -O2 -g -D_FORTIFY_SOURCE=2 -pthread -fplugin="$PLUGIN" "$@" -o prog main.c) ||
		fail "building $dir"
}
for link in lazy now; do
	flags=()
	[ $link = now ] && flags=(-Wl,-z,now)
	build_rel $link/v1 v1 "${flags[@]}"
	build_rel $link/v2 v2 "${flags[@]}"
	build_rel $link/v3 v2 -DNO_TIME "${flags[@]}"
done
gcc -O2 -D_FORTIFY_SOURCE=2 -fPIC -shared -Wl,-z,now -o use.so "$HERE/ifunc-libc/use.c" ||
	fail "building use.so"
readelf -d lazy/v1/prog | grep -Eq 'BIND_NOW|Flags:.* NOW' && fail "precondition: lazy/v1 binds now"
readelf -d now/v1/prog | grep -Eq 'BIND_NOW|Flags:.* NOW' || fail "precondition: now/v1 binds lazily"
for p in lazy/v1/prog use.so; do
	imports=$(readelf -W --dyn-syms "$p" | awk '$7 == "UND" {print $8}')
	for s in strstr __memcpy_chk; do
		grep -q "^$s@" <<<"$imports" || fail "precondition: $p does not import $s"
	done
	grep -q '^time@' <<<"$imports" && fail "precondition: $p imports time"
done

for link in lazy now; do
	"$MK" -q $link/v1/prog $link/v2/prog -o $link/p-time.so 2> $link/warn-time.txt ||
		{ cat $link/warn-time.txt; fail "patch build $link v2"; }
	"$MK" -q $link/v1/prog $link/v3/prog -o $link/p-notime.so 2> $link/warn-notime.txt ||
		{ cat $link/warn-notime.txt; fail "patch build $link v3"; }
	grep -q "^polus-mkpatch: warning: the patch calls time, an IFUNC of libc.so.6 that OLD does not import" \
		$link/warn-time.txt || { cat $link/warn-time.txt; fail "$link: no warning about time"; }
	[ "$(grep -c IFUNC $link/warn-time.txt)" = 1 ] || { cat $link/warn-time.txt; fail "$link: other IFUNC warnings"; }
	grep IFUNC $link/warn-notime.txt && fail "$link: an IFUNC warning for a patch without time"
done
ok "polus-mkpatch warns about time only"

# run_case NAME: a fresh directory for one target (start_prog's fifo and answers)
run_case() {
	mkdir -p "$TMP/$1" && cd "$TMP/$1" || fail "cd $1"
}
# applies PATCH to $pid, which must succeed
apply_ok() {
	"$APPLY" "$pid" "$1" > apply.txt 2>&1 || { cat apply.txt; fail "polus-apply $1 failed"; }
}
# refused PATTERN PATCH: exit 2, one line matching PATTERN, the target's map unchanged
refused() {
	local before
	before=$(cat /proc/$pid/maps)
	expect_fail 2 "^polus-apply: $1" "$APPLY" "$pid" "$2"
	[ "$(cat /proc/$pid/maps)" = "$before" ] || fail "the refused apply changed the target's map"
}
now_ok() {
	local n t before
	before=$(wc -l < out.txt)
	echo n >&3
	wait_for 10 _more_lines "$before" || fail "no answer to n"
	n=$(tail -n 1 out.txt)
	t=$(date +%s)
	[ "$n" -ge $((t - 5)) ] && [ "$n" -le $((t + 5)) ] || fail "api_now says $n, the time is $t"
	ok "n -> $n (time())"
}
ifunc_msg='symbol (strstr|__memcpy_chk) is an IFUNC of .*libc.so.6.*'

# (d): lazy, strstr and __memcpy_chk never called: the program's slots are unresolved
run_case lazy-d
start_prog "$TMP/lazy/v1/prog"
ask c spinning
apply_ok ../lazy/p-time.so
ask "q xxcdyy" 102
ask "q ab" -1
now_ok
ask c spinning

# (d) off: refused while unresolved; (a) once the program has called them
run_case lazy-a
GLIBC_TUNABLES=$OTHER start_prog "$TMP/lazy/v1/prog"
refused "$ifunc_msg" ../lazy/p-notime.so
ask "q xxabyy" 1
apply_ok ../lazy/p-notime.so
ask "q xxcdyy" 102
ask n 1
ask c spinning

# (b): the program's slots unresolved, (d) off, the preloaded library's slots resolved
run_case lazy-b
GLIBC_TUNABLES=$OTHER LD_PRELOAD=$TMP/use.so start_prog "$TMP/lazy/v1/prog"
grep -q "$TMP/use.so" /proc/$pid/maps || fail "use.so is not loaded"
apply_ok ../lazy/p-notime.so
ask "q xxcdyy" 102
ask c spinning

# -z now: (a) for strstr and __memcpy_chk; time, not imported, only through (d)
run_case now-a
GLIBC_TUNABLES=$OTHER start_prog "$TMP/now/v1/prog"
refused 'symbol time is an IFUNC of .*libc.so.6.*GLIBC_TUNABLES' ../now/p-time.so
ask n 0
apply_ok ../now/p-notime.so
ask "q xxcdyy" 102
ask n 1
run_case now-d
start_prog "$TMP/now/v1/prog"
apply_ok ../now/p-time.so
ask "q xxcdyy" 102
now_ok
ask c spinning
