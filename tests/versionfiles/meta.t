#!/usr/bin/env bash
# The metadata reader against the key table (versionfiles/meta_format.h): meta-test reads
# back every field of a record written from the table and sees broken records refused,
# in the normal build and under ASan+UBSan. Then docs/metadata.md must list every line
# kind of the table with the table's fields, so the document cannot drift either.
. "$POLUS_TOP/tests/lib.sh"
unit_test meta-test
"$POLUS_BUILD/tests/meta-test" --doc-rows > "$TMP/rows" || fail "meta-test --doc-rows"
[ "$(grep -c . "$TMP/rows")" -ge 16 ] || fail "too few table rows: $(cat "$TMP/rows")"
while IFS= read -r row; do
	grep -qF -- "$row" "$POLUS_TOP/docs/metadata.md" ||
		fail "docs/metadata.md has no row starting '$row' (versionfiles/meta_format.h)"
done < "$TMP/rows"
ok "docs/metadata.md lists the key table"
