# The same release built twice, in two directories, the CMake way: absolute source
# paths on the command line, objects in a separate build directory.
SAME=1
build() { # SRC OUT CFLAGS...
	local src=$1 out=$2 f; shift 2
	mkdir -p "$src/../obj" && cd "$src/../obj" || return 1
	for f in "$src"/*.c; do
		$CC "$@" -c "$f" -o "$(basename "$f" .c).o" || return 1
	done
	$CC -o "$out" ./*.o
}
