#!/usr/bin/env bash
# With polus-mkpatch (normal and sanitized) truncated to its first 4 KiB, the tests of
# the diff and of the patch build fail, none passes or skips: two of diff/cases/ (all
# go through run-case), the other diff/ tests, mkpatch/, fuzz/meta.t and two e2e tests.
. "$POLUS_TOP/tests/lib.sh"
. "$POLUS_TOP/tests/meta/lib-meta.sh"
copy_build
for f in "$BROKEN/polus-mkpatch" "$BROKEN/san/polus-mkpatch"; do
	head -c 4096 "$f" >"$f.part" && mv -f "$f.part" "$f" && chmod +x "$f" || fail "cannot cut $f"
done
expect_all_fail diff/cases/line-only.t diff/cases/option-change-FAIL.t diff/errors.t \
	diff/fixtures.t diff/san.t mkpatch/ fuzz/meta.t e2e/apply-O2.t e2e/record-diff.t
