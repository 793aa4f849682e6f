#!/usr/bin/env bash
# The release pipeline end to end: polus installed with `make install`, then the script
# of examples/ci/gitlab-ci.yml's job run as three pipelines (tags v1, v2, v3 of the example
# server) in a checkout of its own. The patch store (docs/patch-store.md) must then hold,
# per base release, the chain that brings it to v3: <v1's build-id>/01-v2.so, 02-v3.so
# and <v2's build-id>/01-v3.so, each sealed and signed by the pipeline's key. A server
# started as v1 under load is brought to v3 by polus-apply --store, as is one started as
# v2, signatures required; no request fails. A pipeline run again changes nothing.
: "${POLUS_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$POLUS_TOP/tests/lib.sh" || exit 1
. "$POLUS_TOP/tests/e2e/e2e.sh"
need_polus
command -v python3 >/dev/null || fail "python3 missing"

# polus installed as an operator would
make -s -C "$POLUS_TOP" install DESTDIR="$TMP/root" PREFIX=/usr/local >"$TMP/install.log" 2>&1 ||
	fail "make install: $(tail "$TMP/install.log")"
PREFIX=$TMP/root/usr/local
for f in bin/polus-apply bin/polus-mkpatch bin/polus-release bin/polus-sign lib/polus/polus.so; do
	[ -e "$PREFIX/$f" ] || fail "make install put no $f"
done

# the pipeline's key and storage
mkdir -p "$TMP/srv/keys" "$TMP/checkout/examples"
(cd "$TMP/srv" && "$PREFIX/bin/polus-sign" --keygen ci >/dev/null) || fail "keygen"
mv "$TMP/srv/ci.pub" "$TMP/srv/keys/"
cp -r "$POLUS_TOP/examples/server" "$TMP/checkout/examples/" || fail "checkout"
make -s -C "$TMP/checkout/examples/server/v1" clean >/dev/null 2>&1

# pipeline TAG: the job's script lines, as GitLab would run them, with its variables
pipeline() {
	python3 - "$POLUS_TOP/examples/ci/gitlab-ci.yml" >"$TMP/job.sh" <<'PY' || fail "reading the pipeline file"
import sys, yaml
ci = yaml.safe_load(open(sys.argv[1]))
print("set -e")
for line in ci["release-patch"]["script"]:
    print(line)
PY
	(cd "$TMP/checkout" &&
		POLUS_PREFIX=$PREFIX RELEASES=$TMP/srv/releases PATCHES=$TMP/srv/patches \
			POLUS_SIGNING_KEY=$TMP/srv/ci.key CI_COMMIT_TAG=$1 RELEASE=$1 \
			bash "$TMP/job.sh") >"$TMP/pipeline-$1.log" 2>&1 ||
		fail "pipeline $1: $(tail -n 15 "$TMP/pipeline-$1.log")"
	ok "pipeline $1: $(grep -c . "$TMP/pipeline-$1.log") lines of output"
}
pipeline v1
pipeline v2
pipeline v3
cat "$TMP/pipeline-v3.log"
B1=$(readelf -n "$TMP/srv/releases/001-v1/server" | awk '/Build ID/ { print $3 }')
B2=$(readelf -n "$TMP/srv/releases/002-v2/server" | awk '/Build ID/ { print $3 }')
[ -n "$B1" ] && [ -n "$B2" ] || fail "releases not archived: $(ls -R "$TMP/srv/releases")"
grep -q "^build-tree: $TMP/checkout/examples/server/v1$" "$TMP/srv/releases/001-v1/release.txt" ||
	fail "release.txt: $(cat "$TMP/srv/releases/001-v1/release.txt")"
have=$(cd "$TMP/srv/patches" && ls */*.so | sort | tr '\n' ' ')
want=$(printf '%s\n' "$B1/01-v2.so" "$B1/02-v3.so" "$B2/01-v3.so" | sort | tr '\n' ' ')
[ "$have" = "$want" ] || fail "the store holds '$have', wanted '$want'"
for p in "$TMP"/srv/patches/*/*.so; do
	"$PREFIX/bin/polus-sign" --verify --keys "$TMP/srv/keys" "$p" | grep -q 'trusted: ci.pub$' ||
		fail "$p is not signed by the pipeline's key"
done
ok "store: $have"

# a pipeline run again adds nothing
before=$(cd "$TMP/srv" && find . -type f | sort | xargs md5sum)
pipeline v3
[ "$(cd "$TMP/srv" && find . -type f | sort | xargs md5sum)" = "$before" ] || fail "a second v3 pipeline changed the store"

# the hosts: each server takes its folder's patches in order
update() { # update BUILD-ID: the store's chain for the server, signatures required
	"$PREFIX/bin/polus-apply" -q --require-signature "$TMP/srv/keys" --store "$TMP/srv/patches" \
		"$SRV_PID" >"$TMP/update.log" 2>&1 || fail "polus-apply --store: $(cat "$TMP/update.log")"
	"$PREFIX/bin/polus-status" "$SRV_PID" >"$TMP/status.log" || fail "polus-status"
	local p
	for p in "$TMP"/srv/patches/$1/*.so; do
		p=${p##*/}
		p=${p%.so}
		p=${p#[0-9][0-9]-} # the store's NN- is the place; the patch's name is NEW's
		grep -q "^patch $p " "$TMP/status.log" || fail "$p not applied: $(cat "$TMP/status.log")"
	done
}
start_server "$TMP/srv/releases/001-v1/server" --threads 4
expect_reply "$SRV_PORT" VERSION "VERSION v1"
expect_reply "$SRV_PORT" "SET $LONGKEY long" OK
start_load "$SRV_PORT" 2
update "$B1"
expect_reply "$SRV_PORT" VERSION "VERSION v3"
expect_reply "$SRV_PORT" "GET $LONGKEY" "VALUE long"
stop_load
kill "$SRV_PID"
start_server "$TMP/srv/releases/002-v2/server" --threads 2
update "$B2"
expect_reply "$SRV_PORT" VERSION "VERSION v3"
ok "v1 and v2 servers updated to v3 from the store"
