#!/usr/bin/env bash
# Variables whose type changed but that polus cannot carry (refuse/): every one refused in
# the same run, each naming the variable and why, then the count (exit 2, nothing
# written): a lock in it, an atomic in it, its address handed to the kernel (read()), and
# a redirected function that takes it by address (old frames may pass the old copy).
# Record mode real, patch mode stubbed: the refusals come before any compile.
: "${POLUS_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$POLUS_TOP/tests/lib.sh" || exit 1
. "$(dirname "$0")/lib-data.sh" || exit 1
need_recording_plugin
HERE=$POLUS_TOP/tests/mkpatch build_stub
export POLUS_PLUGIN=$TMP/stub/polus.so
cd "$TMP" || fail "cd"
mkdir out
build_main refuse ""
"$MK" -q v1/prog v2/prog -o out/p.so > mk.out 2> mk.err
rc=$?
cat mk.err
[ $rc = 2 ] || fail "exit $rc, wanted 2"
[ -z "$(ls -A out)" ] || fail "left behind: $(ls out)"
want() { grep -Eq "^polus-mkpatch: $1$" mk.err || fail "no line /$1/"; }
want 'variable locked \(main.c\) changed type, and it holds a lock or an atomic \(locked.m \(pthread_mutex_t\)\): old and new code would lock different copies; not supported'
want 'variable counts \(main.c\) changed type, and it holds a lock or an atomic \(counts.a \(_Atomic int\)\): old and new code would lock different copies; not supported'
want 'variable buf \(main.c\) changed type, and step stores its address or passes it on \(to another thread, the kernel...\): writes made through it cannot be carried to the new copy; not supported'
want 'get_x \(main.c\): redirected, but its parameter or return type uses st, whose layout changed \(int \(struct st \*\)\): old frames may pass it objects of the old layout; not supported'
[ "$(tail -n 1 mk.err)" = "polus-mkpatch: 4 unsupported changes" ] || fail "last line: $(tail -n 1 mk.err)"
ok "four refusals named in one run"
