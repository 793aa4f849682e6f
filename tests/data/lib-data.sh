# Shared setup of the tests/data tests (variables whose type changed): source after
# tests/lib.sh. Brings tests/mkpatch/lib-mkpatch.sh (MK, build_main, start_prog, ask) with
# HERE = tests/data, and:
#   line_after N        waits for out.txt to have more than N lines; prints the last one
#   lines               the number of lines of out.txt
. "$POLUS_TOP/tests/mkpatch/lib-mkpatch.sh" || exit 1
HERE=$(cd "$(dirname "$0")" && pwd)

lines() { wc -l < out.txt; }
_longer() { [ "$(wc -l < out.txt)" -gt "$1" ]; }
line_after() {
	wait_for 10 _longer "$1" || fail "no answer (out.txt: $(tail -n 3 out.txt))"
	tail -n 1 out.txt
}

# say CMD: sends CMD to the program start_prog started and prints its one-line answer
say() {
	local n
	n=$(lines)
	echo "$1" >&3
	line_after "$n"
}

# build_two CASE: CASE/v1 and CASE/v2 (main.c util.c common.h under $HERE) built with
# -O2 -g and the plugin as v1/prog and v2/prog
build_two() {
	local v
	for v in v1 v2; do
		mkdir -p "$v" && cp "$HERE/$1/$v"/* "$v"/ || fail "copy $1/$v"
		(cd "$v" && gcc -O2 -g -fplugin="$PLUGIN" -o prog main.c util.c) || fail "building $1/$v"
	done
}
