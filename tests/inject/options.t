#!/usr/bin/env bash
# A bad option gets one line naming it and exit 1 (not getopt's line and then ours), from
# both the normal and the sanitized polus-apply and polus-status; polus-apply --help
# prints the exit table of every polus tool (common/exitcodes.h).
. "$POLUS_TOP/tests/lib.sh"
for b in "$POLUS_BUILD" "$POLUS_SAN_BUILD"; do
	expect_fail 1 '^polus-apply: unknown option --bogus \(see --help\)$' "$b/polus-apply" --bogus 1 x.so
	expect_fail 1 '^polus-apply: unknown option -z \(see --help\)$' "$b/polus-apply" -z 1 x.so
	expect_fail 1 '^polus-status: unknown option --nope \(see --help\)$' "$b/polus-status" --nope 1
	out=$("$b/polus-apply" --help) || fail "polus-apply --help: exit $?"
	printf '%s\n' "$out" | grep -q '^exit: 0 ok, 1 usage or bad input, 2 does not apply' &&
		printf '%s\n' "$out" | grep -qF '3 unsafe now (retry), 4 internal' ||
		fail "polus-apply --help does not print the exit table: $out"
done
ok "bad options refused; --help prints the exit table"
