#!/usr/bin/env bash
# The store table of write tracking (gcc-plugin/mkpatch/mkpatch_track.c) over real compiled
# code: the old writers of fixtures/writers.c, built at -O0 and at -O2 into track-rt-O0/O2.
# Each writer's stores into `stats` are listed with the right operation, size, source,
# lock prefix and address; a function writing another variable lists none for `stats`.
. "$POLUS_TOP/tests/lib.sh"
T=$POLUS_BUILD/tests/track-table
need_built "$T" "$POLUS_BUILD/tests/track-rt-O0" "$POLUS_BUILD/tests/track-rt-O2"

# expect BIN FN REGEX: a line of FN's table for `stats` matches REGEX (ERE).
expect() {
	local out
	out=$("$T" "$1" stats -w "$2") || fail "track-table $2 failed"
	grep -Eq "$3" <<<"$out" || fail "$(basename "$1") $2: no entry like '$3' in:"$'\n'"$out"
}

for o in O0 O2; do
	bin=$POLUS_BUILD/tests/track-rt-$o
	read -r lo size < <(nm -S "$bin" | awk '$4 == "stats" {print $1, $2}')
	[ -n "$lo" ] || fail "no symbol stats in $bin"
	# every exact store lands inside stats; no writer needs an unsupported instruction
	out=$("$T" "$bin" stats $(nm "$bin" | awk '$3 ~ /^w_/ {printf " -w %s", $3}'))
	while read -r ea; do
		((ea >= 16#$lo && ea < 16#$lo + 16#$size)) || fail "$o: exact store to $ea, outside stats"
	done < <(awk '$NF ~ /^0x/ {print $NF}' <<<"$out")
	grep -qx "unsupported 0" <<<"$out" || fail "$o: unsupported stores:"$'\n'"$out"
	# the locked forms keep their lock at both levels
	expect "$bin" w_lock_add '^0x[0-9a-f]+ (add|xadd) 8 l'
	expect "$bin" w_xadd '^0x[0-9a-f]+ xadd 8 l'
	expect "$bin" w_cas '^0x[0-9a-f]+ cmpxchg 8 l'
	expect "$bin" w_xchg '^0x[0-9a-f]+ xchg 8 l'
	expect "$bin" w_set_d '^0x[0-9a-f]+ mov 1 ien -1 20 -1 1 -?[0-9]+ 7 0x'
	expect "$bin" w_set_c '^0x[0-9a-f]+ mov 2 e?n'
	expect "$bin" w_set_x '^0x[0-9a-f]+ mov 8 en 32 20 '
	# an array element through an index register: listed, not exact
	expect "$bin" w_set_e '^0x[0-9a-f]+ mov 8 n [0-9]+ [0-9]+ [0-9]+ (1|8) .* -$'
	# a writer of another variable lists nothing for stats, but its own store for `other`
	n=$("$T" "$bin" stats -s w_other | grep -c '^0x')
	[ "$n" -eq 0 ] || fail "$o: w_other listed for stats"
	"$T" "$bin" other -s w_other | grep -Eq '^0x[0-9a-f]+ (add|mov) 8 .*e' ||
		fail "$o: w_other's store to other not listed"
	# scanning every function for RIP-relative stores finds the writers' exact ones
	"$T" "$bin" stats -a | grep -q ' 0x' || fail "$o: -a found no exact store"
	ok "$o"
done

# -O2 folds the arithmetic into the store: the operation and its flags are the table's
bin=$POLUS_BUILD/tests/track-rt-O2
expect "$bin" w_inc_a '^0x[0-9a-f]+ (add 8 ie-|inc 8 e-)'
expect "$bin" w_add_b '^0x[0-9a-f]+ add 4 e- 7 20'
expect "$bin" w_sub_b '^0x[0-9a-f]+ sub 4 e- 7 20'
expect "$bin" w_or_b '^0x[0-9a-f]+ or 4 e-'
expect "$bin" w_and_b '^0x[0-9a-f]+ and 4 e-'
expect "$bin" w_xor_b '^0x[0-9a-f]+ xor 4 e-'
expect "$bin" w_neg_a '^0x[0-9a-f]+ neg 8 e-'
expect "$bin" w_not_a '^0x[0-9a-f]+ not 8 en'
expect "$bin" w_dec_zero '^0x[0-9a-f]+ (sub 4 ie-|dec 4 e-)'
expect "$bin" w_set_flag '^0x[0-9a-f]+ setcc 1 en 5 20'
ok "O2 read-modify-write forms"

# From the record: polus-mkpatch's writers of `stats` are the functions whose source writes
# it and the bodies those were inlined into; every function is scanned for RIP-relative
# stores into its pages. Built with the plugin at -O0 and -O2.
need_plugin
printf '#include "writers.h"\nint main(void) { w_inline_caller(1); return (int)stats.a; }\n' \
	>"$TMP/main.c"
for o in O0 O2; do
	gcc -$o -fplugin="$PLUGIN" -I"$POLUS_TOP/tests/track/fixtures" -o "$TMP/rec-$o" \
		"$TMP/main.c" "$POLUS_TOP/tests/track/fixtures/writers.c" || fail "build rec-$o"
	rec=$("$T" "$TMP/rec-$o" record:stats) || fail "$o: record:stats"
	grep -qx "unsupported 0" <<<"$rec" || fail "$o: unsupported stores:"$'\n'"$rec"
	# every store the writers hold, listed function by function, is in the record's table
	hand=$("$T" "$TMP/rec-$o" stats $(nm "$TMP/rec-$o" |
		awk '$3 ~ /^w_/ && $3 != "w_inline_caller" {printf " -w %s", $3}'))
	missing=$(comm -23 <(awk '/^0x/ {print $1}' <<<"$hand" | sort -u) \
		<(awk '/^0x/ {print $1}' <<<"$rec" | sort -u))
	[ -z "$missing" ] || fail "$o: stores not in the record's table: $missing"
	ok "$o: the record's table holds every writer's stores"
done
# -O2 inlined bump_inl into w_inline_caller: its indexed store is listed through the
# inline fact (w_inline_caller's own source writes nothing)
read -r lo size < <(nm -S "$TMP/rec-O2" | awk '$4 == "w_inline_caller" {print $1, $2}')
"$T" "$TMP/rec-O2" record:stats | awk -v lo=$((16#$lo)) -v hi=$((16#$lo + 16#$size)) '
	/^0x.* -$/ { split($1, h, "x"); v = 0; n = length(h[2])
		for (i = 1; i <= n; i++) v = v * 16 + index("0123456789abcdef", substr(h[2], i, 1)) - 1
		if (v >= lo && v < hi) found = 1 }
	END { exit !found }' || fail "the inlined writer's store is not listed"
ok "a writer inlined into its caller"
