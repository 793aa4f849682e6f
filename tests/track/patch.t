#!/usr/bin/env bash
# The store table travels in the patch: polus-mkpatch writes, for the variables whose type
# changed (tests/data/stats: a field inserted into a static struct), the table trk_scan_var
# builds from OLD's record into the patch's allocated section .polus.track (symbol
# __polus_track_table), names it in the version file with what the runtime needs per
# variable (OLD's copy, the tracked sync, new2old into a buffer, the coexistence flag, the
# carry slot), and the sync file holds the tracked sync: one guarded statement per field.
: "${POLUS_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$POLUS_TOP/tests/lib.sh" || exit 1
. "$POLUS_TOP/tests/data/lib-data.sh" || exit 1
need_built "$POLUS_BUILD/tests/track-table"
need_plugin
cd "$TMP" || fail "cd"
HERE=$POLUS_TOP/tests/data
build_main stats ""
"$MK" -q v1/prog v2/prog -o p.so 2> mk.err || fail "patch build: $(cat mk.err)"

grep -q '^    if (POLUS_TOUCHED(8, 8))$' sync/stats.c || fail "tracked sync: $(cat sync/stats.c)"
grep -q '^void polus_sync_stats_new2old_to(unsigned char \*polus_old)$' \
	<(sed 's/^__attribute__((used)) //' sync/stats.c) || fail "new2old_to missing"
ok "sync/stats.c has the tracked sync and new2old into a buffer"

objcopy -O binary --only-section=.polus.track p.so table.bin || fail "no .polus.track in p.so"
"$POLUS_BUILD/tests/track-table" v1/prog record:stats > want.txt || fail "track-table"
stats=$(nm v1/prog | awk '$3 == "stats" {print $1}')
[ -n "$stats" ] || fail "no symbol stats in v1/prog"
python3 - p.yaml table.bin want.txt "$stats" <<'PY' || fail "table or version file wrong"
import struct, sys, yaml
vf = yaml.safe_load(open(sys.argv[1]))
tab = open(sys.argv[2], "rb").read()
magic, version, n, esize = struct.unpack_from("<IIII", tab)
assert magic == 0x4b525450 and version == 1 and esize == 32, (magic, version, esize)
assert len(tab) == 16 + 32 * n == vf["track-table-size"], (len(tab), n)
assert vf["track-table"] == "__polus_track_table" and vf["track-table-addr"] > 0, vf
offs = [struct.unpack_from("<Q", tab, 16 + 32 * i)[0] for i in range(n)]
want = [int(l.split()[0], 16) for l in open(sys.argv[3]) if l.startswith("0x")]
assert offs == sorted(set(want)) and n > 0, (offs, want)
d = vf["data"][0]
assert d["old-addr"] == int(sys.argv[4], 16), d
for k in ("sync-track", "sync-new2old-to", "coexist-flag", "carry-slot"):
    assert d[k] and d[k + "-addr"] > 0, (k, d)
assert d["sync-track"] == "polus_sync_stats_track", d
PY
ok "p.so holds the table of record:stats ($(grep -c '^0x' want.txt) stores) and names it"
