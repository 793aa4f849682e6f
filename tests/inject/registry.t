#!/usr/bin/env bash
# runtime/registry.c: records round-trip (escapes, original bytes, the fixed-width pause
# field), text after the first NUL is ignored, malformed text is rejected; built with
# ASan+UBSan.
. "$POLUS_TOP/tests/lib.sh"
gcc -std=gnu11 -O1 -g -Wall -Wextra -Werror -fsanitize=address,undefined -fno-sanitize-recover=all \
	-I"$POLUS_TOP/runtime" -I"$POLUS_TOP/versionfiles" -o "$TMP/registry_unit" "$POLUS_TOP/tests/inject/fixtures/registry_unit.c" \
	"$POLUS_TOP/runtime/registry.c" || fail "cannot build registry_unit"
"$TMP/registry_unit" || fail "registry unit test"
