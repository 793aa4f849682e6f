#!/usr/bin/env bash
# The cost of a synced store of new code to a variable in coexistence (docs/data.md):
# work() stores to a struct field in a loop, built three ways from one source:
#   plain       gcc -O2 (the baseline)
#   synced-off  patch mode with the struct in coexistence (plan lines coexist and
#               sync-store): after each store a call to polus_sync_st_store, whose flag
#               is off (no old code runs on the old copy: the usual case after a switch)
#   synced-on   the same with the flag on: each store also runs the generated sync
#               new -> old of the whole struct
# Prints ns per store (best of REPEAT runs) and the difference against plain.
. "$(dirname "$0")/lib.sh"
src=$top/bench/syncwrite
cd "$work" || exit 1
gcc -O2 -o plain "$src/main.c" "$src/work.c" || exit 1
printf 'polus-plan\t1\ncoexist\tst\t__polus_v_0\nsync-store\tst\tpolus_sync_st_store\n' > work.plan
gcc -O2 -fPIC -fplugin="$PLUGIN" -fplugin-arg-polus-mode=patch -fplugin-arg-polus-plan=work.plan \
	-c -o work.o "$src/work.c" || exit 1
# the sync file polus-mkpatch generates for st (a field added): from a real patch build;
# its old copy is the patch's first bind, __polus_b_0
mkdir -p r1 r2
cp "$src/work.c" r1/work.c
sed 's/long errors;/long errors;\n\tlong extra;/' "$src/work.c" > r2/work.c
for r in r1 r2; do
	cp "$src/main.c" $r/ && (cd $r && gcc -O2 -fplugin="$PLUGIN" -o prog main.c work.c) || exit 1
done
"$BUILD/polus-mkpatch" -q r1/prog r2/prog -o p.so >/dev/null 2>&1 || { echo "polus-mkpatch failed"; exit 1; }
printf 'unsigned char __polus_b_0[24];\n' > old.c
gcc -O2 -fPIC -c -I sync -o sync.o sync/st.c || exit 1
gcc -O2 -o synced "$src/main.c" work.o sync.o old.c || exit 1
runs() { local i; for ((i = 0; i < REPEAT; i++)); do "$@"; done; }
p=$(best_min $(runs ./plain))
off=$(best_min $(runs ./synced 0))
on=$(best_min $(runs ./synced 1))
diff_ns() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f\n", a - b}'; }
echo "store to a variable in coexistence, ns per store (best of $REPEAT):"
echo "  plain store                 $p"
echo "  synced store, flag off      $off  (+$(diff_ns "$off" "$p") ns, x$(ratio "$off" "$p"))"
echo "  synced store, flag on       $on  (+$(diff_ns "$on" "$p") ns, x$(ratio "$on" "$p"))"
