#!/usr/bin/env bash
# A field no rule converts (stub/: an int became a struct): sync/cfg.c leaves it to the
# author, with the accessors of both sides and an #error naming it; polus-mkpatch refuses
# (exit 2) naming the file and the field, and writes no patch. Once the author fills it
# in, the file is kept (not generated again) and the patch applies, carrying the value.
: "${POLUS_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$POLUS_TOP/tests/lib.sh" || exit 1
. "$(dirname "$0")/lib-data.sh" || exit 1
need_live
cd "$TMP" || fail "cd"
build_main stub ""
expect_fail 2 '^polus-mkpatch: sync/cfg.c: not complete: "polus: the sync of cfg.level is left to you \(int -> struct lv: no rule converts these types\)" \(fill it in, delete the #error line, then run polus-mkpatch again\)$' \
	"$MK" -q v1/prog v2/prog -o p.so
[ -e p.so ] && fail "p.so written"
grep -q '^#define NEW_level_n POLUS_AT(int, NEW, 4 + 0)$' sync/cfg.c || fail "no accessor for the author: $(cat sync/cfg.c)"
"$HERE/author.py" sync/cfg.c fill cfg.level 'NEW_level_n = OLD_level; /* the level; its max keeps the initializer */' ||
	fail "author"
"$MK" -q v1/prog v2/prog -o p.so 2> mk.err || fail "filled in, still refused: $(cat mk.err)"
grep -q 'NEW_level_n = OLD_level;' sync/cfg.c || fail "the author's file was not kept"
ok "refused until filled in, then built from the author's file"

start_prog v1/prog
ask 'l 4' 'port=80 level=4'
"$APPLY" "$pid" p.so > apply.txt 2>&1 || { cat apply.txt; fail "polus-apply failed"; }
ask 'c' 'port=80 level=4/9'
ask 'l 12' 'port=80 level=9/9'
ok "the author's sync carried the level into the new struct"
