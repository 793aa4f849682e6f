#!/usr/bin/env bash
# Record mode is a pure observer on a real program: examples/server/v1 (every .c, with
# its Makefile's flags) built with -fplugin=polus.so and with the build profile
# (-flive-patching=inline-clone -fpatchable-function-entry=5,5)
# and no plugin has the same loaded sections and defined symbols, object by object and
# in the linked executable, at -O0/-O2/-O3 with and without -g. The six configurations
# build two at a time.
. "${POLUS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh" || exit 1
need_plugin
SRC=$POLUS_TOP/examples/server/v1
need_built "$SRC/Makefile"
cd "$TMP" || exit 1
. "$POLUS_TOP/tests/plugin/alloc-dump.sh" || exit 1

# The objects the Makefile links, in its order, and its compile flags.
objs=$(sed -n 's/^OBJS *:= *//p' "$SRC/Makefile")
[ -n "$objs" ] || fail "no OBJS line in $SRC/Makefile"
WARN="-Wall -Wextra -Werror"

# one DIR OPT G: builds both ways in DIR and compares; the last line says what differs.
one() {
	local dir=$1 opt=$2 g=$3 o kind exe
	mkdir -p "$dir" && cd "$dir" || return 1
	for kind in ref plg; do
		local extra="-flive-patching=inline-clone -fpatchable-function-entry=5,5"
		[ $kind = plg ] && extra=-fplugin="$PLUGIN"
		for o in $objs; do
			gcc $opt $g $WARN -pthread $extra -c "$SRC/${o%.o}.c" -o $kind-$o ||
				{ echo "$kind compile ${o%.o}.c failed"; return 1; }
		done
		gcc $opt $g -pthread -o $kind.exe $(for o in $objs; do echo $kind-$o; done) ||
			{ echo "$kind link failed"; return 1; }
	done
	for o in $objs; do
		readelf -S plg-$o | grep -q '\.polus\.meta' || { echo "no .polus.meta in $o"; return 1; }
		alloc_dump ref-$o >ref.txt
		alloc_dump plg-$o >plg.txt
		cmp -s ref.txt plg.txt || { diff ref.txt plg.txt | head -20; echo "$o: loaded sections or symbols differ"; return 1; }
	done
	alloc_dump ref.exe >ref.txt
	alloc_dump plg.exe >plg.txt
	cmp -s ref.txt plg.txt || { diff ref.txt plg.txt | head -20; echo "executable differs"; return 1; }
	objcopy -O binary --only-section=.polus.meta --set-section-flags .polus.meta=alloc \
		plg.exe meta.txt || { echo "cannot read .polus.meta of the executable"; return 1; }
	[ "$(grep -c '^polus-meta	1$' meta.txt)" = "$(wc -w <<<"$objs")" ] ||
		{ echo "the executable does not carry one record per unit"; return 1; }
	echo "identical"
}

configs=()
for opt in -O0 -O2 -O3; do
	for g in "" -g; do configs+=("$opt $g"); done
done
pids=() names=()
running=0
for c in "${configs[@]}"; do
	set -- $c
	name="cfg${1}${2:-}"
	(one "$TMP/$name" $1 "${2:-}") >"$name.log" 2>&1 &
	track_pid $!
	pids+=($!) names+=("$name")
	running=$((running + 1))
	if [ $running -ge 2 ]; then
		wait -n
		running=$((running - 1))
	fi
done
bad=0
for i in "${!pids[@]}"; do
	wait "${pids[$i]}" || true
	if [ "$(tail -n1 "${names[$i]}.log")" != identical ]; then
		cat "${names[$i]}.log" >&2
		echo "FAIL: ${names[$i]}: $(tail -n1 "${names[$i]}.log")" >&2
		bad=1
	else
		ok "${names[$i]}: $(wc -w <<<"$objs") objects and the executable identical"
	fi
done
[ $bad = 0 ] || exit 1
