#!/usr/bin/env bash
# Warnings of the patch build (stderr and the version file): a changed thread entry
# (its address goes to pthread_create) and a changed main never return, so running
# threads keep their old code. Patch mode played by stub-plugin.cc.
: "${POLUS_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$POLUS_TOP/tests/lib.sh" || exit 1
. "$(dirname "$0")/lib-mkpatch.sh" || exit 1
need_recording_plugin
build_stub
export POLUS_PLUGIN=$TMP/stub/polus.so
cd "$TMP" || fail "cd"
mkdir -p v1 v2
cat > v1/main.c <<'C'
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
static volatile int ticks;

static void *worker(void *arg)
{
	for (;;) {
		ticks++;
		usleep(1000);
	}
	return arg;
}

int main(void)
{
	pthread_t t;
	pthread_create(&t, NULL, worker, NULL);
	for (;;) {
		printf("%d\n", ticks);
		sleep(1);
	}
}
C
sed 's/ticks++;/ticks += 2;/; s/sleep(1);/sleep(2);/' v1/main.c > v2/main.c
for v in v1 v2; do (cd $v && gcc -O2 -pthread -fplugin="$PLUGIN" -o prog main.c) || fail "build $v"; done
"$MK" -q v1/prog v2/prog -o p.so 2> warn.txt || { cat warn.txt; fail "patch build"; }
cat warn.txt
grep -q '^polus-mkpatch: warning: worker: changed, but it is a thread entry (passed to pthread_create) and may never return' warn.txt ||
	fail "no thread-entry warning for worker"
grep -q '^polus-mkpatch: warning: main: changed, but it never returns' warn.txt || fail "no warning for main"
"$MK" --show p.so | grep -A3 '^warnings:' | grep -q 'worker: changed' || fail "warning not in the version file"
ok "thread entry and main warned about, in the version file too"

# a field inserted: the patch's get_len reads the new offset, objects already built
# keep the old one (-O0: at -O2 get_len is 4 bytes, too short to redirect)
for v in v1 v2; do
	mkdir -p sf/$v && cp "$POLUS_TOP/tests/diff/cases/struct-field-insert/$v/main.c" sf/$v/ &&
		(cd sf/$v && gcc -O0 -fplugin="$PLUGIN" -o prog main.c) || fail "build sf/$v"
done
"$MK" -q sf/v1/prog sf/v2/prog -o sf.so 2> sf.txt || { cat sf.txt; fail "patch build"; }
grep -q '^polus-mkpatch: warning: type conn changed layout (get_len uses it): objects the running program already holds keep the old layout' sf.txt ||
	fail "no layout warning: $(cat sf.txt)"
ok "changed layout warned about"
