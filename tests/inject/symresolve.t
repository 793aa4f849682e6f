#!/usr/bin/env bash
# polus-apply's own choice of a libc IFUNC moved to another process (symresolve,
# ifunc_self): time lands in the target's vDSO, strstr in its libc, each at the offset
# polus-apply's own choice has; another GLIBC_TUNABLES is refused naming the symbol. In
# the normal build and under ASan+UBSan.
. "$POLUS_TOP/tests/lib.sh"
[ -x /bin/sleep ] || skip "needs /bin/sleep"
unit_test symresolve-test
