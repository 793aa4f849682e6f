#!/usr/bin/env bash
# The cost of a patched call under each switch, in one process (bench/switch-callcost.c):
# native; stop-free (the short jump at the entry, then the jmp rel32 before it);
# stop-free with the caller's call site retargeted (runtime/rt_switch's CALL sites);
# stop-the-world (a jmp rel32 over the entry). Built with the padded build profile and
# runtime/rt_switch.c. REPEAT=N runs (default 3), each the median of 9 batches.
. "$(dirname "$0")/lib.sh"
case ${1:-} in
--help | -h) sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; exit 0 ;;
"") ;;
*) echo "switch-callcost.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
esac
machine
gcc -std=gnu11 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE -I"$top/runtime" -fno-stack-protector \
	-flive-patching=inline-clone -fpatchable-function-entry=5,5 -o "$work/switch-callcost" \
	"$top/bench/switch-callcost.c" "$top/runtime/rt_switch.c" || exit 1
for ((r = 1; r <= REPEAT; r++)); do
	"$work/switch-callcost" || exit 1
done
