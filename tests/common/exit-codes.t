#!/usr/bin/env bash
# One table of exit codes for every tool (common/exitcodes.h): --help prints it, and
# polus-mkpatch and polus-status exit by it (bad input 1; polus-mkpatch's internal
# errors are 4, as polus-apply's: tests/mkpatch/stub-refusals.t fails a compiler).
. "$POLUS_TOP/tests/lib.sh"
table='3 unsafe now (retry), 4 internal'
for b in "$POLUS_BUILD" "$POLUS_SAN_BUILD"; do
	for t in polus-mkpatch polus-status; do
		[ -x "$b/$t" ] || fail "$b/$t not built (run make check)"
		out=$("$b/$t" --help) || fail "$t --help: exit $?"
		printf '%s\n' "$out" | grep -q '^exit: 0 ok, 1 usage or bad input, 2 does not apply' ||
			fail "$t --help does not print the exit table: $out"
		printf '%s\n' "$out" | grep -qF "$table" || fail "$t --help: no '$table'"
	done
	expect_fail 1 '^polus-status: expected one PID' "$b/polus-status"
	expect_fail 1 '^polus-status: not a process id: x$' "$b/polus-status" x
	expect_fail 1 "^polus-mkpatch: $TMP/none: No such file or directory$" "$b/polus-mkpatch" --diff "$TMP/none" "$TMP/none2"
	ok "exit table in every --help, bad input exits 1 ($b)"
done
