#!/usr/bin/env bash
# Record mode writes one well-formed record per unit (docs/metadata.md) and its hashes
# follow the rules: lines added above, other functions moved or a local renamed change
# nothing; a __LINE__ change is line-only (HASH differs, HASH_NOLINE equal); a field
# inserted is layout-only for a function that uses a field (HASH_NOLAYOUT equal); a body
# edit changes all three; the same tree built in two directories hashes the same.
. "${POLUS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh" || exit 1
need_plugin
FIX=$POLUS_TOP/tests/plugin/fixtures
cd "$TMP" || exit 1

meta() { # meta OBJ: the .polus.meta text
	objcopy -O binary --only-section=.polus.meta --set-section-flags .polus.meta=alloc "$1" "$1.meta.bin" &&
		cat "$1.meta.bin"
}
fnline() { # fnline META_FILE NAME: the fn line of NAME
	awk -F'\t' -v n="$2" '$1 == "fn" && $2 == n' "$1"
}
rec() { # rec SRC OUT [opts]: compile SRC with the plugin, metadata into OUT
	local src=$1 out=$2; shift 2
	gcc -O2 "$@" -fplugin="$PLUGIN" -c "$src" -o "$out.o" || fail "compile $src"
	meta "$out.o" >"$out"
}

cp "$FIX/helpers.c" base.c
rec base.c base
# Well-formed: starts with the version, ends with end, field counts per kind.
[ "$(head -n1 base)" = "polus-meta	1" ] || fail "first line: $(head -n1 base)"
[ "$(tail -n1 base)" = "end" ] || fail "last line: $(tail -n1 base)"
awk -F'\t' '
	BEGIN { want["fn"]=8; want["xfn"]=8; want["use"]=4; want["emit"]=3; want["inline"]=3;
		want["ecall"]=3; want["var"]=11; want["type"]=5; want["compiler"]=2; want["driver"]=2;
		want["cwd"]=2; want["src"]=2; want["opt"]=2; want["profile"]=3 }
	($1 in want) && NF != want[$1] { print "bad field count: " $0; bad=1 }
	END { exit bad }' base || fail "malformed record"
for n in square clampi work unused_helper next_id conn_init sum_pair run; do
	fnline base $n | grep -Eq '	[0-9a-f]{16}	[0-9a-f]{16}	[0-9a-f]{16}$' || fail "no hashed fn line for $n"
done
grep -q '^fn	work	work	static	int (int, int)	' base || fail "work's fn line: $(fnline base work)"
grep -q '^emit	work.constprop.0	work$' base || fail "no emit of work.constprop.0 <- work"
grep -q '^ecall	run	work.constprop.0$' base || fail "no ecall run -> work.constprop.0"
grep -q '^inline	work	square$' base || fail "no inline fact work <- square"
grep -q '^use	conn_init	write	counter$' base || fail "no write use of counter"
grep -q '^use	work	read	table$' base || fail "no read use of table"
grep -q '^use	conn_init	type	conn$' base || fail "no type use of conn"
grep -Eq '^var	work/calls	calls	calls\.[0-9]+	local	work	int	4	rw	' base || fail "static local var line: $(grep work/calls base)"
grep -q '^var	tls_var	.*	tls$' base || fail "tls flag"
grep -q '^var	table	table	table	static	-	const int \[8\]	32	ro	[0-9a-f]\{16\}	-$' base || fail "table var line: $(grep '^var	table' base)"
grep -q '^type	conn	struct	32	fd:int@0/32;name:char \[16\]@32/128;bytes:long unsigned int@192/64$' base || fail "conn layout"
grep -q '^type	pair_t	struct	8	' base || fail "typedef'd anonymous struct"
grep -q "^cwd	$TMP\$" base || fail "cwd line"
grep -q '^src	base.c$' base || fail "src line"
grep -q '^opt	-O2$' base || fail "opt lines"
ok "record well-formed"

same() { # same A B FN FIELD...: fields (5=HASH 6=NOLINE 7=NOLAYOUT, counted after "fn") equal
	local a=$1 b=$2 fn=$3; shift 3
	local f
	for f in "$@"; do
		f=$((f + 1))
		[ "$(fnline "$a" "$fn" | cut -f$f)" = "$(fnline "$b" "$fn" | cut -f$f)" ] || return 1
	done
}

# Lines added above, a function moved, a local renamed: no hash changes.
{ printf '\n\n/* comment */\n\n'; cat base.c; } >moved.c
sed -i 's/int acc = 0;/int total = 0;/; s/acc +=/total +=/; s/return acc + calls/return total + calls/' moved.c
rec moved.c moved
for n in square clampi work next_id conn_init sum_pair conn_fd; do
	same base moved $n 5 6 7 || fail "$n changed by lines added / local renamed"
done
ok "line shifts and local renames change nothing"

# __LINE__ (the printf in run) shifts when run moves down: line-only.
same base moved run 5 && fail "run's HASH did not see __LINE__"
same base moved run 7 && fail "HASH_NOLAYOUT must see the __LINE__ change too"
same base moved run 6 || fail "run's HASH_NOLINE changed by a __LINE__ shift"
# The same for an unused static that -O2 drops before lowering (hashed from GENERIC).
same base moved unused_helper 5 && fail "unused_helper's HASH did not see __LINE__"
same base moved unused_helper 6 || fail "unused_helper's HASH_NOLINE changed by a __LINE__ shift"
ok "__LINE__ change is line-only"

# HASH_NOLINE hides only what __LINE__ can have left: a call's argument (assert, log(__LINE__))
# or a constant in a statement from a macro expansion. A constant that only happens to
# equal its line (seven() on line 7 becoming `return 8;` on line 8) is a real change.
# (Same file name and absolute path, so assert's __FILE__ hashes the same.)
mkdir -p l1 l2
cp "$FIX/lines.c" l1/lines.c
{ printf '\n'; sed 's/return 7;/return 8;/; s/return 36;/return 37;/' "$FIX/lines.c"; } >l2/lines.c
rec "$TMP/l1/lines.c" lines1
rec "$TMP/l2/lines.c" lines2
for n in seven checks logs marks unused_ret; do fnline lines1 $n | grep -q . || fail "no fn line for $n"; done
same lines1 lines2 seven 6 && fail "seven: 7 -> 8 on a function moved one line down is line-only"
same lines1 lines2 seven 5 && fail "seven: HASH did not change"
same lines1 lines2 unused_ret 6 && fail "unused_ret (GENERIC): 36 -> 37 on line 37 is line-only"
for n in checks logs marks; do
	same lines1 lines2 $n 5 && fail "$n: HASH did not see the __LINE__ shift"
	same lines1 lines2 $n 6 || fail "$n: a __LINE__ shift is not line-only"
done
ok "only __LINE__ positions are line placeholders"

# -g changes no hash: debug markers are skipped, GENERIC (unused_helper, unused_ret) too.
for src in base.c "$TMP/l1/lines.c"; do
	rec "$src" nog
	rec "$src" withg -g
	[ "$(grep -c '^fn	' nog)" -gt 3 ] || fail "no fn lines for $src"
	diff <(grep '^fn	' nog) <(grep '^fn	' withg) || fail "$src: -g changed hashes"
done
ok "-g changes no hash"

# A field inserted: layout-only for conn_init.
sed 's/int fd;/int fd; int added;/' base.c >layout.c
rec layout.c layout
same base layout conn_init 5 && fail "conn_init's HASH ignores a layout change"
same base layout conn_init 7 || fail "conn_init's HASH_NOLAYOUT changed by a layout change"
same base layout work 5 6 7 || fail "work changed by an unrelated layout change"
same base layout conn_fd 5 6 7 || fail "conn_fd (reads the unmoved field fd) changed by a field insert after fd"
ok "field insert is layout-only"

# A body edit: all three change.
sed 's/acc += table\[i \& 7\] \* scale/acc += table[i \& 7] * scale + 1/' base.c >body.c
rec body.c body
for f in 5 6 7; do same base body work $f && fail "work's hash $f ignored a body edit"; done
same base body conn_init 5 6 7 || fail "conn_init changed by an edit of work"
ok "body edit changes the hashes"

# A const table changed: the variable's INITHASH changes.
sed 's/13, 21 }/13, 22 }/' base.c >tbl.c
rec tbl.c tbl
[ "$(grep '^var	table' base | cut -f10)" != "$(grep '^var	table' tbl | cut -f10)" ] || fail "table INITHASH"
ok "initializer change seen"

# The same tree in two directories, absolute paths, __FILE__ used: same hashes.
for d in a b; do
	mkdir -p $d/src-tree-$d && sed 's/"%s %d %d\\n", c.name/"%s %d %d " __FILE__ "\\n", c.name/' base.c >$d/src-tree-$d/x.c
	(cd $d && gcc -O2 -fplugin="$PLUGIN" -c "$PWD/src-tree-$d/x.c" -o x.o) || fail "compile in $d"
	meta $d/x.o >$d.meta
done
for n in work run conn_init; do same a.meta b.meta $n 5 6 7 || fail "$n hashes depend on the build directory"; done
ok "build directory does not change the hashes"

# -O0 records too, with unused statics hashed.
rec base.c o0 -O0
fnline o0 unused_helper | grep -Eq '	[0-9a-f]{16}$' || fail "unused static not hashed at -O0"
grep -q '^emit	unused_helper	unused_helper$' o0 || fail "-O0 emits unused_helper"
ok "-O0 record"

# Clones: .isra and .part bodies are emitted with their origin, calls go to them.
rec "$FIX/clones.c" clones
grep -q '^emit	isra.isra.0	isra$' clones || fail "no emit isra.isra.0 <- isra"
grep -q '^emit	part.part.0	part$' clones || fail "no emit part.part.0 <- part"
grep -q '^ecall	user1	part.part.0$' clones || fail "no ecall user1 -> part.part.0"
grep -q '^inline	user2	part$' clones || fail "no inline user2 <- part (split header)"
ok "clone facts"

# A linked binary carries one record per unit.
gcc -O2 -fplugin="$PLUGIN" -c "$FIX/main.c" -o main.o || fail "compile main.c"
gcc base.o main.o -o linked || fail "link"
meta linked >linked.meta
[ "$(grep -c '^polus-meta	1$' linked.meta)" = 2 ] || fail "wanted 2 records in the binary"
[ "$(grep -c '^end$' linked.meta)" = 2 ] || fail "wanted 2 record ends"
ok "records concatenate in the linked binary"

# Function-local statics sharing a name get distinct KEYs, in declaration order.
rec "$FIX/samename.c" samename
grep -Eq '^var	f/x	x	x\.[0-9]+	local	f	int	4	rw	-	-$' samename || fail "first f/x: $(grep ^var samename)"
grep -Eq '^var	f/x#2	x	x\.[0-9]+	local	f	int	4	rw	[0-9a-f]{16}	-$' samename || fail "second f/x: $(grep ^var samename)"
grep -q '^use	f	write	f/x#2$' samename || fail "use of f/x#2"
ok "same-named static locals"
