#!/usr/bin/env bash
# NEW's source edited after NEW was built: the patch would carry code nobody built or
# tested. Each plan has an `expect` line per compiled function; patch mode fails on a
# changed hash, record mode run again on today's source confirms it, and polus-mkpatch
# refuses with one line naming the function, writing nothing. A patch mode whose check
# is wrong on an unchanged source (liar-plugin.cc) is overruled by record mode.
: "${POLUS_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$POLUS_TOP/tests/lib.sh" || exit 1
. "$(dirname "$0")/lib-mkpatch.sh" || exit 1
need_recording_plugin
unset POLUS_PLUGIN
need_patch_mode
cd "$TMP" || fail "cd"
mkdir out
for v in v1 v2; do
	mkdir -p $v && cp "$HERE"/units/$v/* $v/ || fail "copy"
	(cd $v && gcc -O2 -g -fplugin="$PLUGIN" -c a.c && gcc -O2 -g -fplugin="$PLUGIN" -c b.c &&
		gcc -o prog a.o b.o) || fail "building $v"
done
POLUS_KEEP_TMP=1 "$MK" -q v1/prog v2/prog -o out/p.so 2> keep.err || { cat keep.err; fail "patch build"; }
tmpd=$(sed -n 's/^polus-mkpatch: kept //p' keep.err)
pa=$(grep -l $'^keep\tapi\t' "$tmpd"/*.plan) || fail "no plan keeps api"
grep -Eq $'^expect\tapi\t[0-9a-f]{16}$' "$pa" || fail "no expect line for api: $(cat "$pa")"
grep -q $'^expect\thelper\t' "$tmpd"/*.plan && fail "helper is bound: no expect line for it"
rm -rf "$tmpd" out/*
ok "plans expect NEW's hashes of the functions they compile"

# a.c edited after v2 was built
cp v2/a.c a.c.orig
grep -q 'return' v2/a.c || fail "precondition"
sed -i '0,/return /s/return /return 1 + /' v2/a.c
expect_fail 1 "^polus-mkpatch: NEW's source of [a-z_]+ \(a.c\) changed since NEW was built: rebuild NEW or restore the source$" \
	"$MK" -q v1/prog v2/prog -o out/p.so
[ -z "$(ls -A out)" ] || fail "left behind: $(ls out)"
cp a.c.orig v2/a.c
"$MK" -q v1/prog v2/prog -o out/p.so || fail "restored source refused"
rm -f out/*
ok "restored source builds again"

# a patch mode that cries drift on an unchanged source: record mode overrules it
g++ -shared -fPIC -fno-rtti -fno-exceptions -O2 -I"$(gcc -print-file-name=plugin)/include" \
	-o liar.so "$HERE/liar-plugin.cc" || fail "building liar-plugin"
for v in v1 v2; do
	mkdir -p l$v && cp "$HERE"/units/$v/* l$v/ || fail "copy"
	(cd l$v && for u in a b; do gcc -O2 -g -fplugin="$PLUGIN" -fplugin="$TMP/liar.so" -c $u.c || exit 1; done &&
		gcc -o prog a.o b.o) || fail "building l$v"
done
"$MK" -q lv1/prog lv2/prog -o out/l.so 2> liar.err || { cat liar.err; fail "liar build refused"; }
cat liar.err
[ ! -s liar.err ] || fail "--quiet printed: $(cat liar.err)"
"$MK" lv1/prog lv2/prog -o out/l2.so 2> liar2.err > /dev/null || { cat liar2.err; fail "liar build refused"; }
grep -q "^polus-mkpatch: note: patch mode finds the source of a.c changed, record mode does not" liar2.err ||
	fail "no note: $(cat liar2.err)"
ok "patch mode's wrong drift verdict overruled by record mode"
