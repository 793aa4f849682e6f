#!/usr/bin/env bash
# NEW no longer reproducible from its record: the message names what differs. An option
# that reached the compiler through a -specs file changed since NEW was built: the
# refusal names the option, old and new; a header changed (found through CPATH): the
# refusal names the header. Nothing is written either way.
: "${POLUS_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$POLUS_TOP/tests/lib.sh" || exit 1
. "$(dirname "$0")/lib-mkpatch.sh" || exit 1
need_recording_plugin
unset POLUS_PLUGIN CPATH C_INCLUDE_PATH
need_patch_mode
cd "$TMP" || fail "cd"
mkdir out

# build NAME CFLAGS...: v1 and v2 of options/ under NAME/
build() {
	local name=$1 v; shift
	for v in v1 v2; do
		mkdir -p "$name/$v" && cp "$HERE/options/$v/main.c" "$name/$v/" ||
			fail "copy"
		(cd "$name/$v" && gcc -g "$@" -fplugin="$PLUGIN" -o prog main.c) || fail "building $name/$v"
	done
}

printf '*cpp:\n+ -DKNOB=5\n' > knob.specs
build specs -O2 -specs="$TMP/knob.specs"
"$MK" -q specs/v1/prog specs/v2/prog -o out/p.so || fail "patch build before the change"
rm -f out/*
printf '*cpp:\n+ -DKNOB=6\n' > knob.specs
expect_fail 1 "^polus-mkpatch: recompiling main.c does not reproduce NEW's build of fill: the compiler got option -DKNOB=5 when NEW was built, -DKNOB=6 now: rebuild NEW$" \
	"$MK" -q specs/v1/prog specs/v2/prog -o out/p.so
[ -z "$(ls -A out)" ] || fail "left behind: $(ls out)"

cp -r "$HERE/options/inc" "$TMP/inc" || fail "copy"
export CPATH=$TMP/inc
build cpath -O2 -DKNOB_HEADER
unset CPATH
# edited after NEW was built (dated a second later: any file system tells them apart)
echo '#define KNOB 10' > inc/knob.h
touch -d "@$(($(stat -c %Y cpath/v2/prog) + 1))" inc/knob.h || fail "touch"
expect_fail 1 "^polus-mkpatch: NEW's source of fill \(main.c\) changed since NEW was built \(newer than NEW: .*/inc/knob.h\): rebuild NEW or restore the source$" \
	"$MK" -q cpath/v1/prog cpath/v2/prog -o out/p.so
[ -z "$(ls -A out)" ] || fail "left behind: $(ls out)"
