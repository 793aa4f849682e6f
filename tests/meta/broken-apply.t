#!/usr/bin/env bash
# With polus-apply (normal and sanitized) replaced by a program that exits 4 (internal
# error), the tests that apply patches fail, none passes or skips. Not selected: the
# ones that skip for facts of the machine (regs.t without AVX2, mountns.t and users.t
# without root).
. "$POLUS_TOP/tests/lib.sh"
. "$POLUS_TOP/tests/meta/lib-meta.sh"
copy_build
stub=$'#!/bin/sh\necho "polus-apply: internal error (broken on purpose)" >&2\nexit 4\n'
break_file polus-apply "$stub"
break_file san/polus-apply "$stub"
expect_all_fail inject/apply.t inject/endbr.t inject/hostile.t inject/nopie.t \
	inject/options.t inject/refuse.t inject/repeat.t inject/retry.t \
	inject/seccomp.t inject/sigframe.t inject/undo.t inject/unsafe.t inject/unwind.t \
	inject/warnings.t \
	fuzz/patch.t e2e/apply-O2.t mkpatch/live.t mkpatch/cold.t
