#!/usr/bin/env bash
# Patch mode: release 2 of a small program, compiled with a hand-written plan as
# polus-mkpatch does it, links into a shared object where kept functions are exported
# under their SYMBOL, bound functions and variables are undefined __polus_b_N reached
# through the GOT/PLT (initial-exec TLS for tls), and no bound definition or copy of a
# bound variable is left. A host that defines the __polus_b_N then dlopens the patch
# and sees the patch update its own variables.
. "${POLUS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh" || exit 1
need_plugin
FIX=$POLUS_TOP/tests/plugin/fixtures/patch
cd "$TMP" || exit 1

printf 'polus-plan\t1\n' >plan
printf 'keep\tcompute\tpolus_new_compute\n' >>plan
printf 'bind-fn\thelper\t__polus_b_0\n' >>plan
printf 'bind-fn\tutil\t__polus_b_1\n' >>plan
printf 'bind-var\tcounter\t__polus_b_2\n' >>plan
printf 'bind-var\thits\t__polus_b_3\n' >>plan
printf 'bind-var\ttcount\t__polus_b_4\ttls\n' >>plan
printf 'bind-var\tstep/calls\t__polus_b_5\n' >>plan
printf 'bind-fn\tmain\t__polus_b_6\n' >>plan

gcc -O2 -rdynamic "$FIX/host.c" -o host -ldl || fail "host build"
PATCHFLAGS="-fPIC -ffunction-sections -fdata-sections -fno-semantic-interposition"
for opt in -O0 "-O2" "-O2 -g" "-O3"; do
	gcc $opt $PATCHFLAGS -fplugin="$PLUGIN" -fplugin-arg-polus-mode=patch \
		-fplugin-arg-polus-plan=plan -c "$FIX/v2.c" -o v2.o || fail "patch compile $opt"
	gcc -shared -Wl,--gc-sections v2.o -o patch.so || fail "patch link $opt"
	syms=$(nm patch.so)
	dyn=$(nm -D patch.so)
	relocs=$(readelf -rW patch.so)
	# kept: defined, global, exported
	grep -q ' T polus_new_compute$' <<<"$dyn" || fail "$opt: polus_new_compute not exported: $dyn"
	grep -Eq ' (compute|helper|util|main)$' <<<"$syms" && fail "$opt: a bound or renamed function is defined: $syms"
	# bound: undefined, reached through GOT/PLT or TPOFF
	for n in 0 1 2 3 4 5; do
		grep -q " U __polus_b_$n$" <<<"$dyn" || fail "$opt: __polus_b_$n not undefined"
	done
	grep -q '__polus_b_6' <<<"$syms" && fail "$opt: unreferenced bound main left a reference"
	for n in 2 3 5; do
		grep -q "R_X86_64_GLOB_DAT .* __polus_b_$n + 0" <<<"$relocs" || fail "$opt: __polus_b_$n not via GOT"
	done
	grep -q "R_X86_64_TPOFF64 .* __polus_b_4 + 0" <<<"$relocs" || fail "$opt: tcount not initial-exec"
	grep -q "R_X86_64_JUMP_SLOT .* __polus_b_1 + 0" <<<"$relocs" || fail "$opt: util not via PLT"
	grep -q "R_X86_64_64 .* __polus_b_0 + 0" <<<"$relocs" || fail "$opt: hook's initializer does not bind helper"
	# no copies of bound variables
	grep -Eq ' [bBdDrR] (counter|hits|tcount|calls(\.[0-9]+)?)$' <<<"$syms" && fail "$opt: copy of a bound variable: $syms"
	readelf -S v2.o | grep -q '\.polus\.meta' && fail "$opt: patch object carries record metadata"
	out=$(./host ./patch.so) || fail "$opt: host failed: $out"
	[ "$out" = "143 1 11 21 31 1" ] || fail "$opt: host saw '$out', wanted '143 1 11 21 31 1'"
	ok "patch mode $opt"
done

# A bad plan is one clear error.
printf 'polus-plan\t1\nreplace\tx\ty\n' >bad.plan
expect_fail '*' "bad.plan:2: bad plan line" gcc -c "$FIX/v2.c" -o bad.o -fplugin="$PLUGIN" \
	-fplugin-arg-polus-mode=patch -fplugin-arg-polus-plan=bad.plan
printf 'something else\n' >bad2.plan
expect_fail '*' "not a polus plan" gcc -c "$FIX/v2.c" -o bad.o -fplugin="$PLUGIN" \
	-fplugin-arg-polus-mode=patch -fplugin-arg-polus-plan=bad2.plan
expect_fail '*' "cannot read plan" gcc -c "$FIX/v2.c" -o bad.o -fplugin="$PLUGIN" \
	-fplugin-arg-polus-mode=patch -fplugin-arg-polus-plan=missing.plan
printf 'polus-plan\t1\nkeep\tnot_here\tx\n' >bad3.plan
expect_fail '*' "keeps .not_here., but this unit does not define it" gcc -c "$FIX/v2.c" -o bad.o \
	-fplugin="$PLUGIN" -fplugin-arg-polus-mode=patch -fplugin-arg-polus-plan=bad3.plan

# Edge cases: a static bound after its forward declaration, a kept static, an
# always_inline helper named in the plan (stays inlined), a tentative definition bound,
# a bound function's address in a function-local static initializer.
printf 'polus-plan\t1\nkeep\tkept_static\tpolus_k_kept\nkeep\tentry\tpolus_k_entry\n' >edge.plan
printf 'bind-fn\tfwd\t__polus_b_10\nbind-fn\ttwice\t__polus_b_11\nbind-var\ttable_total\t__polus_b_12\n' >>edge.plan
for opt in -O0 -O2; do
	gcc $opt $PATCHFLAGS -fplugin="$PLUGIN" -fplugin-arg-polus-mode=patch \
		-fplugin-arg-polus-plan=edge.plan -c "$FIX/edge.c" -o edge.o || fail "edge compile $opt"
	gcc -shared -Wl,--gc-sections edge.o -o edge.so || fail "edge link $opt"
	dyn=$(nm -D edge.so)
	syms=$(nm edge.so)
	for s in polus_k_kept polus_k_entry; do
		grep -q " T $s$" <<<"$dyn" || fail "$opt: $s not exported: $dyn"
	done
	for s in 10 12; do grep -q " U __polus_b_$s$" <<<"$dyn" || fail "$opt: __polus_b_$s not undefined"; done
	grep -q "__polus_b_11" <<<"$syms" && fail "$opt: always_inline twice was bound"
	grep -Eq ' (fwd|table_total|kept_static|entry)$' <<<"$syms" && fail "$opt: original left: $syms"
	ok "edge cases $opt"
done

# Binding the second of two same-named static locals leaves the first alone.
printf 'polus-plan\t1\nkeep\tf\tpolus_k_f\nbind-var\tf/x#2\t__polus_b_20\n' >same.plan
gcc -O2 $PATCHFLAGS -fplugin="$PLUGIN" -fplugin-arg-polus-mode=patch \
	-fplugin-arg-polus-plan=same.plan -c "$POLUS_TOP/tests/plugin/fixtures/samename.c" -o same.o || fail "samename compile"
syms=$(nm same.o)
grep -q ' U __polus_b_20$' <<<"$syms" || fail "f/x#2 not bound: $syms"
[ "$(grep -Ec ' [bBdD] x\.[0-9]+$' <<<"$syms")" = 1 ] || fail "the first f/x must stay local: $syms"
ok "same-named static locals bound by KEY"

# keep NAME SYMBOL ADDRSYM: calls reach the new body (SYMBOL), every address taken of
# NAME (code, a global table, a local static, an automatic array's constant copy) is the
# running program's entry ADDRSYM, undefined and reached through the GOT, so a pointer
# stored by the old code compares equal to the one new code takes. A 3-field keep in
# the same plan still works.
printf 'polus-plan\t1\nkeep\tapi\tpolus_k_api\t__polus_a_api\nkeep\tsapi\tpolus_k_sapi\t__polus_a_sapi\n' >addr.plan
printf 'keep\tis_api\tpolus_k_is_api\nkeep\tcheck\tpolus_k_check\nkeep\tcall_both\tpolus_k_call_both\n' >>addr.plan
printf 'bind-var\tsaved\t__polus_b_0\n' >>addr.plan
gcc -O2 -rdynamic "$FIX/addrhost.c" -o addrhost -ldl || fail "addrhost build"
for opt in -O0 -O2 "-O3 -g"; do
	gcc $opt $PATCHFLAGS -fplugin="$PLUGIN" -fplugin-arg-polus-mode=patch \
		-fplugin-arg-polus-plan=addr.plan -c "$FIX/addr.c" -o addr.o || fail "addr compile $opt"
	gcc -shared -Wl,--gc-sections addr.o -o addr.so || fail "addr link $opt"
	dyn=$(nm -D addr.so)
	relocs=$(readelf -rW addr.so)
	for s in api sapi; do
		grep -q " U __polus_a_$s$" <<<"$dyn" || fail "$opt: __polus_a_$s not undefined: $dyn"
		grep -q "R_X86_64_GLOB_DAT .* __polus_a_$s + 0" <<<"$relocs" || fail "$opt: &$s in code not via the GOT"
		grep -q " T polus_k_$s$" <<<"$dyn" || fail "$opt: polus_k_$s not exported"
	done
	grep -q "R_X86_64_64 .* __polus_a_api + 0" <<<"$relocs" || fail "$opt: table's initializer does not take __polus_a_api"
	grep -Eq "R_X86_64_(64|GLOB_DAT|JUMP_SLOT) .* polus_k_(api|sapi) " <<<"$relocs" && fail "$opt: an address of the new body is taken: $relocs"
	out=$(./addrhost ./addr.so) || fail "$opt: addrhost failed: $out"
	[ "$out" = "1111 104 1 1" ] || fail "$opt: addrhost saw '$out', wanted '1111 104 1 1'"
	ok "keep with ADDRSYM $opt"
done
printf 'polus-plan\t1\nkeep\tapi\tpolus_k_api\t\n' >bad4.plan
expect_fail '*' "bad4.plan:2: bad plan line" gcc -c "$FIX/addr.c" -o bad.o -fplugin="$PLUGIN" \
	-fplugin-arg-polus-mode=patch -fplugin-arg-polus-plan=bad4.plan

# expect NAME HASH: the patch compile hashes NAME as record mode did (before any
# rewriting, whatever the patch flags) and fails with one error naming the function when
# the source changed since the recorded build. Covers every function of helpers.c: one
# kept, one bound, one with __LINE__, one using a typedef'd anonymous struct, an unused
# static dropped (GENERIC hash), and the same static kept.
mkdir -p drift/new drift/edited
cp "$POLUS_TOP/tests/plugin/fixtures/helpers.c" drift/new/helpers.c
sed 's/acc += table\[i \& 7\] \* scale/acc += table[i \& 7] * scale + 1/' drift/new/helpers.c >drift/edited/helpers.c
for opt in -O0 -O2; do
	gcc $opt -fplugin="$PLUGIN" -c "$TMP/drift/new/helpers.c" -o drift/rec.o || fail "record helpers.c $opt"
	objcopy -O binary --only-section=.polus.meta --set-section-flags .polus.meta=alloc drift/rec.o drift/rec.meta
	printf 'polus-plan\t1\nkeep\twork\tpolus_k_work\nbind-fn\tnext_id\t__polus_b_0\n' >drift.plan
	# Every function of the unit (sum_pair uses a typedef'd anonymous struct).
	awk -F'\t' '$1 == "fn" { printf "expect\t%s\t%s\n", $2, $6 }' drift/rec.meta >>drift.plan
	for f in work run conn_init unused_helper next_id sum_pair; do
		grep -Eq "^expect	$f	[0-9a-f]{16}$" drift.plan || fail "no recorded hash for $f"
	done
	gcc $opt $PATCHFLAGS -fplugin="$PLUGIN" -fplugin-arg-polus-mode=patch -fplugin-arg-polus-plan=drift.plan \
		-c "$TMP/drift/new/helpers.c" -o drift/p.o || fail "$opt: unchanged source refused"
	grep -q polus_k_work <<<"$(nm drift/p.o)" || fail "$opt: work not kept"
	cp drift.plan drift-kept.plan
	printf 'keep\tunused_helper\tpolus_k_unused\n' >>drift-kept.plan
	gcc $opt $PATCHFLAGS -fplugin="$PLUGIN" -fplugin-arg-polus-mode=patch -fplugin-arg-polus-plan=drift-kept.plan \
		-c "$TMP/drift/new/helpers.c" -o drift/p.o || fail "$opt: unchanged source refused (unused static kept)"
	rm -f drift/p.o
	expect_fail '*' "source of function .work. changed since the recorded build" \
		gcc $opt $PATCHFLAGS -fplugin="$PLUGIN" -fplugin-arg-polus-mode=patch \
		-fplugin-arg-polus-plan=drift.plan -c "$TMP/drift/edited/helpers.c" -o drift/p.o
	[ ! -e drift/p.o ] || fail "$opt: an object was written despite the drift"
	ok "expect $opt"
done
sed 's/^expect\tunused_helper\t.*/expect\tgone\t0123456789abcdef/' drift.plan >gone.plan
expect_fail '*' "source of function .gone. changed since the recorded build" gcc -O2 $PATCHFLAGS \
	-fplugin="$PLUGIN" -fplugin-arg-polus-mode=patch -fplugin-arg-polus-plan=gone.plan \
	-c "$TMP/drift/new/helpers.c" -o drift/p.o
printf 'polus-plan\t1\nexpect\twork\t0b01779\n' >bad5.plan
expect_fail '*' "bad5.plan:2: bad plan line \(want expect NAME HASH" gcc -c "$TMP/drift/new/helpers.c" \
	-o bad.o -fplugin="$PLUGIN" -fplugin-arg-polus-mode=patch -fplugin-arg-polus-plan=bad5.plan
