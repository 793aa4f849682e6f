#!/usr/bin/env bash
# Patch integrity and signatures. polus-mkpatch seals each patch (a SHA-256 of all its
# bytes, common/seal.h); a flipped byte anywhere (ELF and program headers, code,
# relocations, symbols, the version file, the metadata, the section headers, the seal)
# is refused: every byte of a polus-mkpatch patch in the unit test (normal and sanitized
# build), and one byte of each region through polus-apply against a live target, which
# must refuse with one line (exit 1) and stay as it was (a flip in the version file,
# code or relocations, which the loader cannot see, by the seal). Signatures (polus-sign, Ed25519
# by OpenSSL): with --require-signature DIR (or POLUS_REQUIRE_SIGNATURE) an unsigned
# patch, one signed by a key not in DIR, and one whose signature was altered are each
# refused; a patch signed by a key of DIR applies.
: "${POLUS_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$POLUS_TOP/tests/lib.sh" || exit 1
SIGN=$POLUS_BUILD/polus-sign MK=$POLUS_BUILD/polus-mkpatch
need_built "$SIGN" "$MK"
. "$POLUS_TOP/tests/inject/lib-inject.sh"
need_tools
need_plugin

# a patch of polus-mkpatch: its seal, every byte flipped
mkdir -p "$TMP/w1" "$TMP/w2"
for v in 1 2; do
	cat >"$TMP/w$v/main.c" <<C
#include <stdio.h>
__attribute__((noinline)) int f(int x) { return x * x + $v * x - 7 + (x >> 3); }
int main(int argc, char **argv) { printf("%d\n", f(argc)); return argv[0][0] == 0; }
C
	(cd "$TMP/w$v" && gcc -O2 -g -fplugin="$PLUGIN" -o prog main.c) || fail "building w$v"
done
"$MK" -q "$TMP/w1/prog" "$TMP/w2/prog" -o "$TMP/w.so" || fail "patch build"
"$SIGN" --verify "$TMP/w.so" | grep -Eq "^$TMP/w.so: sha256 [0-9a-f]{64} ok, 0 signatures$" ||
	fail "polus-mkpatch's patch is not sealed: $("$SIGN" --verify "$TMP/w.so" 2>&1)"
readelf -S "$TMP/w.so" | grep -q '\.polus\.meta' || fail "no .polus.meta in the patch"
for b in "$POLUS_BUILD" "$POLUS_SAN_BUILD"; do
	need_built "$b/tests/seal-test"
	stride=1
	[ "$b" = "$POLUS_BUILD" ] || stride=5 # every byte under ASan takes minutes
	"$b/tests/seal-test" "$TMP/w.so" $stride >"$TMP/fuzz.out" 2>&1 || fail "seal-test in $b: $(tail "$TMP/fuzz.out")"
	cat "$TMP/fuzz.out"
	for r in 'ELF header' 'program headers' .text .dynsym .dynstr .polus.version .polus.meta \
		.polus.seal 'section headers'; do
		grep -q "^  $r  *[1-9]" "$TMP/fuzz.out" || fail "no flip in $r"
	done
	ok "every flip refused ($b, stride $stride)"
done

# through polus-apply: one flip per region, refused, the target untouched
build_fixtures
start_target
wait_blocked
before=$(snapshot)
offset_of() { # offset_of SECTION[+N]: the file offset of the section's middle (or of its byte N)
	python3 - "$FX/p1.so" "$1" <<'PY'
import struct, sys
b = open(sys.argv[1], "rb").read()
shoff, = struct.unpack_from("<Q", b, 0x28)
shnum, shstrndx = struct.unpack_from("<HH", b, 0x3c)
sh = [struct.unpack_from("<IIQQQQIIQQ", b, shoff + 64 * i) for i in range(shnum)]
strtab = sh[shstrndx][4]
want, _, delta = sys.argv[2].partition("+")
for name, typ, flags, addr, off, size, *_ in sh:
    if b[strtab + name:b.index(b"\0", strtab + name)].decode() == want:
        print(off + (int(delta) if delta else size // 2))
PY
}
shoff=$(readelf -hW "$FX/p1.so" | awk '/Start of section headers/ { print $5 }')
# .rela.dyn+16: the first relocation's addend; version: a name in the version file changed
# (still valid YAML)
for r in elf:16 phdr:70 .text .rela.dyn+16 .dynsym .polus.version .polus.seal shdr:$((shoff + 100)) version; do
	case $r in
	*:*) off=${r#*:} ;;
	version) off=$(python3 -c 'import sys; print(open(sys.argv[1], "rb").read().index(b"name: p1\n") + 7)' "$FX/p1.so") ;;
	*) off=$(offset_of "$r") ;;
	esac
	[ -n "$off" ] || fail "no $r in the fixture patch"
	cp "$FX/p1.so" "$TMP/flip.so"
	byte=$(od -An -tu1 -j "$off" -N1 "$TMP/flip.so")
	[ "$r" = version ] && new=$((byte + 1)) || new=$((0xff ^ byte))
	printf "$(printf '\\x%02x' $new)" | dd of="$TMP/flip.so" bs=1 seek="$off" conv=notrunc status=none
	cmp -s "$FX/p1.so" "$TMP/flip.so" && fail "no byte flipped at $off"
	# the loader's checks of the file's form come first and may name the damage
	# themselves; whatever they let through, the seal refuses
	expect_fail 1 "^polus-apply: $TMP/flip.so: " "$APPLY" "$TPID" "$TMP/flip.so"
	echo "flip in $r: $(sed 's/.*flip.so: //' <<<"$(2>&1 "$APPLY" "$TPID" "$TMP/flip.so" >/dev/null)")" >>"$TMP/flips"
	[ "$(snapshot)" = "$before" ] || fail "$r: the target changed"
	no_eintr
done
for r in .text .rela.dyn+16 version; do
	grep -q "flip in $r: corrupt or modified: its SHA-256" "$TMP/flips" || fail "the seal did not refuse the flip in $r"
done
! grep -q '^new ' "$TLOG" || fail "a flipped patch runs"
ok "a flipped byte in each region refused, the target untouched"

# signatures
mkdir -p "$TMP/keys" "$TMP/other"
(cd "$TMP/keys" && "$SIGN" --keygen ci) | grep -Eq '^key [0-9a-f]{16}: ci.key' || fail "keygen"
(cd "$TMP/other" && "$SIGN" --keygen rogue) >/dev/null || fail "keygen rogue"
[ "$(stat -c %a "$TMP/keys/ci.key")" = 600 ] || fail "the private key is not 0600"
mv "$TMP/keys/ci.key" "$TMP/ci.key" # the trusted directory holds public keys only
for n in p2 p3 p4 p5; do make_patch_variant "$FX/$n.so" $n; done
expect_fail 1 "^polus-apply: $FX/p2.so: not signed, and a signature by a key of $TMP/keys is required$" \
	"$APPLY" --require-signature "$TMP/keys" "$TPID" "$FX/p2.so"
"$SIGN" --key "$TMP/other/rogue.key" "$FX/p3.so" >/dev/null || fail "sign rogue"
expect_fail 1 "^polus-apply: $FX/p3.so: signed \(1 signature, first by key [0-9a-f]{16}\) by no key of $TMP/keys$" \
	"$APPLY" --require-signature "$TMP/keys" "$TPID" "$FX/p3.so"
"$SIGN" --key "$TMP/ci.key" "$FX/p4.so" >/dev/null || fail "sign p4"
python3 - "$FX/p4.so" <<'PY' || fail "altering the signature"
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
i = b.index(b"ed25519\t") + len("ed25519\t") + 17 + 10
b[i] = ord("0") if b[i] != ord("0") else ord("1")
open(p, "wb").write(b)
PY
expect_fail 1 "^polus-apply: $FX/p4.so: its signature by key [0-9a-f]{16} \($TMP/keys/ci.pub\) does not verify$" \
	"$APPLY" --require-signature "$TMP/keys" "$TPID" "$FX/p4.so"
POLUS_REQUIRE_SIGNATURE=$TMP/keys expect_fail 1 "not signed, and a signature by a key of $TMP/keys is required" \
	"$APPLY" "$TPID" "$FX/p2.so"
[ "$(snapshot)" = "$before" ] || fail "a refused signature changed the target"
ok "unsigned, untrusted and altered signatures refused"

"$SIGN" --key "$TMP/ci.key" "$FX/p5.so" >/dev/null || fail "sign p5"
"$SIGN" --key "$TMP/other/rogue.key" "$FX/p5.so" >/dev/null || fail "sign p5 twice"
"$SIGN" --verify --keys "$TMP/keys" "$FX/p5.so" | grep -q "ok, 2 signatures, trusted: ci.pub$" ||
	fail "--verify: $("$SIGN" --verify --keys "$TMP/keys" "$FX/p5.so" 2>&1)"
"$APPLY" --json --require-signature "$TMP/keys" "$TPID" "$FX/p5.so" >"$TMP/json" ||
	fail "a patch signed by a trusted key was refused"
python3 -c 'import json,sys; o=json.load(open(sys.argv[1])); assert o["signed_by"]=="ci.pub" and len(o["sha256"])==64, o' "$TMP/json" ||
	fail "json: $(cat "$TMP/json")"
wait_for 10 grep -q '^new ' "$TLOG" || fail "the signed patch does not run"
ok "signed by a trusted key: applied"
