#!/usr/bin/env bash
# The patch-site rule polus-mkpatch and polus-apply share (common/site_rules): its verdict
# on hand-assembled functions (endbr64, too short, size 0, a branch into the replaced
# bytes, a jmp at the entry, undecodable code), in the normal build and under ASan+UBSan.
. "$POLUS_TOP/tests/lib.sh"
unit_test site-test
