# Helpers of the tests/meta tests: they break one product of the build on purpose and
# require that the tests using it FAIL (none passes, none skips). Source after lib.sh.
#   copy_build               $BROKEN: a copy of $POLUS_BUILD, with the sanitized build
#                            in $BROKEN/san
#   break_file FILE CONTENT  replaces $BROKEN/FILE by CONTENT, executable (a new file:
#                            the build's own stays as it is)
#   expect_all_fail PATTERN...   runs tests/run on the tests matching each PATTERN
#                            against $BROKEN; each pattern must match a test, every test
#                            matched must fail
# The selections include tests that need ptrace: a machine without it skips the meta
# tests (need_ptrace) instead of seeing their skips as a broken test.
BROKEN=$TMP/build

# Without the injector's fixture cache: tests running meanwhile add to it (the copy
# fills its own).
copy_build() {
	need_ptrace
	mkdir -p "$BROKEN/san" &&
		tar -C "$POLUS_BUILD" --exclude=./tests/inject-fixtures --exclude=./san -cf - . |
		tar -C "$BROKEN" -xf - &&
		tar -C "$POLUS_SAN_BUILD" --exclude=./tests/inject-fixtures -cf - . |
		tar -C "$BROKEN/san" -xf - || fail "cannot copy the build"
}

break_file() {
	rm -f "$BROKEN/$1" && printf '%s' "$2" >"$BROKEN/$1" && chmod +x "$BROKEN/$1" ||
		fail "cannot break $1"
}

expect_all_fail() {
	local out p line bad=() ran=0
	out=$(TMPDIR=$TMP POLUS_BUILD=$BROKEN POLUS_SAN_BUILD=$BROKEN/san \
		"$POLUS_TOP/tests/run" "$@" | grep -E '^(PASS|SKIP|FAIL) ')
	printf '%s\n' "$out"
	for p in "$@"; do
		awk '{ print $2 }' <<<"$out" | grep -qF "$p" || fail "no test matches $p"
	done
	while IFS= read -r line; do
		ran=$((ran + 1))
		case $line in
		FAIL*) ;;
		*) bad+=("$line") ;;
		esac
	done <<<"$out"
	[ ${#bad[@]} -eq 0 ] || fail "$(printf '%s\n' "did not fail:" "${bad[@]}")"
	ok "all $ran tests failed"
}
