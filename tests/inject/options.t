#!/usr/bin/env bash
# A bad option gets one line naming it and exit 1 (not getopt's line and then ours), from
# both the normal and the sanitized polus-apply and polus-status.
. "$POLUS_TOP/tests/lib.sh"
for b in "$POLUS_BUILD" "$POLUS_SAN_BUILD"; do
	expect_fail 1 '^polus-apply: unknown option --bogus \(see --help\)$' "$b/polus-apply" --bogus 1 x.so
	expect_fail 1 '^polus-apply: unknown option -z \(see --help\)$' "$b/polus-apply" -z 1 x.so
	expect_fail 1 '^polus-status: unknown option --nope \(see --help\)$' "$b/polus-status" --nope 1
done
