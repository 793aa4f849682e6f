# Shared setup of the tests/mkpatch tests: source after tests/lib.sh.
#   need_recording_plugin   fail unless $PLUGIN writes .polus.meta records (need_plugin)
#   build_stub              $TMP/stub/polus.so, a stand-in for patch mode (stub-plugin.cc)
#   build_prog DIR SRC      copy SRC (a release's sources) to DIR and build DIR/prog
MK=${MKPATCH:-$POLUS_BUILD/polus-mkpatch}
[ -x "$MK" ] || fail "$MK not built (make tools)"
HERE=$(cd "$(dirname "$0")" && pwd)

need_recording_plugin() { need_plugin; }

build_stub() {
	mkdir -p "$TMP/stub"
	g++ -shared -fPIC -fno-rtti -fno-exceptions -O2 -I"$(gcc -print-file-name=plugin)/include" \
		-o "$TMP/stub/polus.so" "$HERE/stub-plugin.cc" || fail "building the stub plugin"
}

build_prog() {
	local dir=$1 src=$2
	mkdir -p "$dir" && cp "$src"/* "$dir"/ || fail "copy $src"
	(cd "$dir" && gcc -O2 -g -fplugin="$PLUGIN" -o prog main.c util.c) || fail "building $dir"
}

# variant NAME MAIN-SED [COMMON-SED]: release 1 of prog/ edited (main.c, common.h), built
# as NAME/prog
variant() {
	mkdir -p "$1.src" && cp "$HERE"/prog/v1/* "$1.src"/ || fail "copy"
	sed -i "$2" "$1.src/main.c" || fail "sed"
	[ -z "${3:-}" ] || sed -i "$3" "$1.src/common.h" || fail "sed"
	build_prog "$1" "$1.src"
}

# build_main CASE PREFIX: CASE/v1/main.c and CASE/v2/main.c (under $HERE) built with
# -O2 -g and the plugin as PREFIXv1/prog and PREFIXv2/prog
build_main() {
	local v
	for v in v1 v2; do
		mkdir -p "$2$v" && cp "$HERE/$1/$v/main.c" "$2$v"/ || fail "copy $1/$v"
		(cd "$2$v" && gcc -O2 -g -fplugin="$PLUGIN" -o prog main.c) || fail "building $1/$v"
	done
}

# nm_addr BINARY SYMBOL [FILE]: 0x address of SYMBOL (a local one after STT_FILE FILE).
nm_addr() {
	python3 - "$@" <<'PY'
import subprocess, sys
binary, sym = sys.argv[1], sys.argv[2]
want_file = sys.argv[3] if len(sys.argv) > 3 else None
out = subprocess.run(["readelf", "-sW", binary], capture_output=True, text=True).stdout
cur = None
sec = None
for line in out.splitlines():
    if "Symbol table" in line:
        sec = ".symtab" if "'.symtab'" in line else ".dynsym"
        continue
    f = line.split()
    if sec != ".symtab" or len(f) < 8 or not f[0].endswith(":"):
        continue
    if f[3] == "FILE":
        cur = f[7]
        continue
    if f[7] == sym and f[6] != "UND" and (want_file is None or (f[4] == "LOCAL" and cur and cur.endswith(want_file))):
        print(hex(int(f[1], 16)))
        sys.exit(0)
sys.exit(1)
PY
}

# need_patch_mode: fail unless $PLUGIN compiles a unit in patch mode with a plan
need_patch_mode() {
	printf 'polus-plan\t1\nkeep\tprobe\t__polus_f_0\n' > "$TMP/probe.plan"
	gcc -O2 -fPIC -fplugin="$PLUGIN" -fplugin-arg-polus-mode=patch \
		-fplugin-arg-polus-plan="$TMP/probe.plan" -c -o "$TMP/probe-patch.o" "$TMP/probe.c" \
		2> "$TMP/probe-patch.err" ||
		fail "the plugin's patch mode fails: $(grep -m1 error "$TMP/probe-patch.err" || head -n 1 "$TMP/probe-patch.err")"
}

# need_live: the real plugin with patch mode, and polus-apply ($APPLY), for a test that
# applies its patch to a running process
need_live() {
	need_recording_plugin
	unset POLUS_PLUGIN
	need_patch_mode
	APPLY=$POLUS_BUILD/polus-apply
	[ -x "$APPLY" ] || fail "polus-apply not built (make)"
}

# start_prog PROG: runs PROG (a test program that reads requests line by line) in the
# current directory with its stdin on the fifo in.fifo, kept open as fd 3, and its answers
# in out.txt; sets pid; waits until it says "ready".
start_prog() {
	rm -f in.fifo out.txt
	mkfifo in.fifo || fail "mkfifo"
	"$1" < in.fifo > out.txt 2> err.txt &
	pid=$!
	track_pid $pid
	exec 3> in.fifo
	wait_for 10 grep -q '^ready$' out.txt || fail "$1 did not start"
}

# ask REQUEST EXPECTED: sends one request to the program start_prog started; its answer
# (the next line of out.txt) must be EXPECTED.
ask() {
	local before
	before=$(wc -l < out.txt)
	echo "$1" >&3
	wait_for 10 _more_lines "$before" || fail "no answer to $1"
	[ "$(tail -n 1 out.txt)" = "$2" ] || fail "answer to $1: '$(tail -n 1 out.txt)', wanted '$2'"
	ok "$1 -> $2"
}
_more_lines() { [ "$(wc -l < out.txt)" -gt "$1" ]; }
