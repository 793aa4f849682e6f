#!/usr/bin/env bash
# The ELF reader polus-mkpatch and polus-apply share (common/elffile): the build-id rule
# (PT_NOTE read, an empty id is none), the link base, and its refusals of files that are
# not ELF, missing or cut, in the normal build and under ASan+UBSan.
. "$POLUS_TOP/tests/lib.sh"
unit_test elf-test
