#!/usr/bin/env bash
# One variable of each kind changes type (kinds/): a function-local static struct
# (int -> long, a field added), a grown array, a renumbered enum (synced by enumerator
# name), an extern global of another unit (int -> long), a read-only table of structs
# that gained a field and an entry (the new code takes the new table), and a new global
# (starts from its initializer). The program's state goes on across the update.
: "${POLUS_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$POLUS_TOP/tests/lib.sh" || exit 1
. "$(dirname "$0")/lib-data.sh" || exit 1
need_live
cd "$TMP" || fail "cd"
build_two kinds
"$MK" -q v1/prog v2/prog -o p.so 2> mk.err || fail "patch build: $(cat mk.err)"
for f in api__st hist mode total; do
	[ -f sync/$f.c ] || fail "no sync/$f.c: $(ls sync)"
done
grep -q '^    case 2: NEW_mode = 3; break; /\* M_STOP \*/$' sync/mode.c || fail "enum by name: $(cat sync/mode.c)"
grep -q '^    for (long i0 = 0; i0 < 4; i0++) { /\* the shorter length \*/$' sync/hist.c || fail "array"
grep -q '^    NEW_calls = (long int)OLD_calls; /\* int -> long int \*/$' sync/api__st.c || fail "local static"
grep -q 'read-only table words (main.c)' mk.err || fail "no word about the table: $(cat mk.err)"
ok "four sync files, the read-only table taken new"

start_prog v1/prog
ask 1 'calls=1 hist=1 total=1 prev=idle word=b'
ask 5 'calls=2 hist=2 total=6 prev=run word=b'
ask 0 'calls=3 hist=1 total=6 prev=run word=a'
"$APPLY" "$pid" p.so > apply.txt 2>&1 || { cat apply.txt; fail "polus-apply failed"; }
for v in 'mode: synced old -> new (enum mode, 4 -> 4 bytes)' 'hist: synced old -> new (int \[6\], 16 -> 24 bytes)' \
	'api/st: synced old -> new (struct apistate, 4 -> 16 bytes)' 'total: synced old -> new (long int, 4 -> 8 bytes)'; do
	grep -q "^$v; check clean$" apply.txt || fail "apply: no '$v': $(cat apply.txt)"
done
ask 7 'calls=4 hist=3 total=13 prev=stop word=b last=7 fresh=42'
ask 8 'calls=5 hist=1 total=21 prev=run word=c last=8 fresh=43'
ok "every kind carried over: state kept, enum mapped, new table and new global live"
