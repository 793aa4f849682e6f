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

# a field inserted: the patch's get_len would read the new offset in objects already
# built with the old one: refused, unless the author says none exists (--layout-ok) (-O0: at -O2 get_len is 4 bytes, too short to redirect)
for v in v1 v2; do
	mkdir -p sf/$v && cp "$POLUS_TOP/tests/diff/cases/struct-field-insert/$v/main.c" sf/$v/ &&
		(cd sf/$v && gcc -O0 -fplugin="$PLUGIN" -o prog main.c) || fail "build sf/$v"
done
expect_fail 2 'type conn changed layout \(get_len, main use it\): objects the running program already holds have the old layout: not supported yet \(--layout-ok conn if none can exist; or keep the type and attach the new fields with runtime/shadow.h\)' \
	"$MK" -q sf/v1/prog sf/v2/prog -o sf.so
"$MK" -q --layout-ok conn sf/v1/prog sf/v2/prog -o sf.so 2> sf.txt || { cat sf.txt; fail "patch build"; }
grep -q '^polus-mkpatch: warning: type conn changed layout (get_len, main use it): objects the running program already holds keep the old layout' sf.txt ||
	fail "no layout warning: $(cat sf.txt)"
ok "changed layout refused, and with --layout-ok warned about"
# the same when get_len changed for a reason of its own too (its only reason is then
# `body`, but its new code still reads old objects with the new layout: dnsmasq's bigname)
mkdir -p sf/v3 && sed 's/return c->len;/return c->len + 1;/' sf/v2/main.c > sf/v3/main.c &&
	(cd sf/v3 && gcc -O0 -fplugin="$PLUGIN" -o prog main.c) || fail "build sf/v3"
expect_fail 2 'type conn changed layout \(get_len, main use it\)' "$MK" -q sf/v1/prog sf/v3/prog -o sf3.so
ok "changed layout refused for a function that changed in its body too"

# constructors (found in OLD's .init_array, PIE: through its RELATIVE relocations) ran
# at start-up, before any patch
mkdir -p ct/v1 ct/v2
cat > ct/v1/main.c <<'C'
#include <stdio.h>
int g;
__attribute__((constructor)) void setup(void) { g = 5; }
static __attribute__((constructor(200))) void early(void) { g *= 3; }
int main(void) { printf("%d\n", g); return 0; }
C
sed 's/g = 5;/g = 6;/; s/g \*= 3;/g *= 4;/' ct/v1/main.c > ct/v2/main.c
# and a new constructor: polus-apply runs none of the patch's
sed -i 's/^int main/__attribute__((constructor)) void late(void) { g += 100; }\n&/' ct/v2/main.c
for v in v1 v2; do (cd ct/$v && gcc -O2 -fplugin="$PLUGIN" -o prog main.c) || fail "build ct/$v"; done
"$MK" -q ct/v1/prog ct/v2/prog -o ct.so 2> ct.txt || { cat ct.txt; fail "patch build"; }
cat ct.txt
for f in setup early; do
	grep -q "^polus-mkpatch: warning: $f: changed, but it is a constructor (in OLD's .init_array): it already ran at start-up" ct.txt ||
		fail "no constructor warning for $f: $(cat ct.txt)"
done
grep -q "^polus-mkpatch: warning: late: a constructor in NEW but not in OLD: polus-apply runs no constructor" ct.txt ||
	fail "no warning for the new constructor late: $(cat ct.txt)"
[ "$(grep -c 'constructor' ct.txt)" = 3 ] || fail "one warning per constructor: $(cat ct.txt)"
"$MK" --show ct.so | grep -q 'late: a constructor in NEW' || fail "new-constructor warning not in the version file"
grep -q 'main: changed' ct.txt && fail "main did not change"
ok "constructors warned about"
