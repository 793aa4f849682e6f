# A tree copied and rebuilt in part, the way make does after `cp -a`: NEW links the
# objects of its unchanged sources as they were compiled in OLD's tree, and only the
# changed util.c compiled in its own. Its units lie in two directories; matched by
# their paths below each build root, only report() changed, no variable.
build() { # SRC OUT CFLAGS...
	local src=$1 out=$2 f old; shift 2
	cd "$src" || return 1
	for f in *.c; do
		old=$src/../../v1-tree/src
		if [ "$old" -ef "$src" ] || ! cmp -s "$f" "$old/$f"; then
			$CC "$@" -c "$f" -o "${f%.c}.o" || return 1
		else
			cp -p "$old/${f%.c}.o" . || return 1
		fi
	done
	$CC -o "$out" ./*.o
}
