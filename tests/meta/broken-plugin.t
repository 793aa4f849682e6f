#!/usr/bin/env bash
# With polus.so replaced by a file that is no plugin, every test that compiles with the
# plugin fails, none passes or skips: plugin/, diff/cases/, mkpatch/, fuzz/meta.t and
# the e2e tests that build with the plugin.
. "$POLUS_TOP/tests/lib.sh"
. "$POLUS_TOP/tests/meta/lib-meta.sh"
copy_build
break_file polus.so 'not a gcc plugin'
expect_all_fail plugin/ diff/cases/ mkpatch/ fuzz/meta.t e2e/apply-O2.t e2e/apply-chain.t \
	e2e/record-diff.t e2e/fail_wrong-target.t
