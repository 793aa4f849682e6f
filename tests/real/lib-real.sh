# Helpers of the real-server corpus (tests/real): fetch a Debian source package through a
# private apt configuration, build release N (the first N patches of its debian/patches
# series applied) with the polus plugin, run a client loop, check a live patch.
# Source after tests/lib.sh. Everything fetched or built lives in $POLUS_CACHE, never in
# the repository; the machine's apt configuration is not touched.
: "${POLUS_CACHE:=/var/cache/polus-real}"
: "${REAL_JOBS:=2}"
REAL_DIR=$POLUS_TOP/tests/real
export POLUS_CACHE

# The Debian suites the sources come from (bookworm and its security updates).
real_apt_opts() {
	local a=$POLUS_CACHE/apt
	printf '%s\n' -o "APT::Sandbox::User=root" -o "Dir::Etc::sourcelist=$a/sources.list" \
		-o "Dir::Etc::sourceparts=-" -o "Dir::State::Lists=$a/lists" -o "Dir::Cache=$a/cache" \
		-o "Acquire::Retries=2" -o "Acquire::http::Timeout=20"
}

# with_apt_lock CMD...: runs CMD holding the cache's apt lock. Tests run in parallel: one
# test's apt-get must never read the sources list or indexes another is rewriting (seen:
# "You must put some 'deb-src' URIs in your sources.list").
with_apt_lock() {
	local lk rc=0
	mkdir -p "$POLUS_CACHE"
	exec {lk}>"$POLUS_CACHE/apt.lock"
	flock "$lk"
	"$@" || rc=$?
	exec {lk}>&-
	return $rc
}

# real_apt_update: fetch the Sources indexes once a day into the cache. Returns non-zero
# (with REAL_WHY set) when the archive cannot be reached.
real_apt_update() {
	with_apt_lock _real_apt_update
}

_real_apt_update() {
	local a=$POLUS_CACHE/apt
	mkdir -p "$a/lists/partial" "$a/cache/archives/partial"
	cat >"$a/sources.list.new" <<'SRC'
deb-src http://deb.debian.org/debian bookworm main
deb-src http://deb.debian.org/debian-security bookworm-security main
deb-src http://deb.debian.org/debian bookworm-updates main
SRC
	mv -f "$a/sources.list.new" "$a/sources.list"
	[ -n "$(find "$a/lists" -name '*Sources*' -mmin -1440 2>/dev/null)" ] && return 0
	local -a o
	mapfile -t o < <(real_apt_opts)
	if ! apt-get "${o[@]}" -qq update >"$a/update.log" 2>&1 ||
		grep -q '^[EW]: Failed to fetch' "$a/update.log"; then
		REAL_WHY="package archive unreachable: $(grep -m1 -E '^(E|W|Err):' "$a/update.log")"
		return 1
	fi
}

# real_source PKG VERSION: unpacked upstream tree (no Debian patches applied) in
# $POLUS_CACHE/src/PKG_VERSION/tree; sets SRC_TREE. Returns 1 (REAL_WHY set) when the
# archive or that version cannot be had, 2 when the fetched source does not unpack.
real_source() {
	local pkg=$1 ver=$2 d=$POLUS_CACHE/src/${1}_$2
	SRC_TREE=$d/tree
	[ -f "$d/.unpacked" ] && return 0
	real_apt_update || return 1
	rm -rf "$d" && mkdir -p "$d"
	local -a o
	mapfile -t o < <(real_apt_opts)
	if ! with_apt_lock _real_fetch "$d" "$pkg=$ver" "${o[@]}"; then
		REAL_WHY="package archive unreachable or $pkg=$ver gone: $(grep -m1 -E '^E:' "$d/fetch.log")"
		return 1
	fi
	(cd "$d" && dpkg-source --skip-patches -x ./*.dsc tree) >>"$d/fetch.log" 2>&1 ||
		{ REAL_WHY="dpkg-source failed: $(tail -n 1 "$d/fetch.log")"; return 2; }
	touch "$d/.unpacked"
}

# _real_fetch DIR PKG=VER APT-OPTIONS...: downloads the source package into DIR.
_real_fetch() {
	local d=$1 what=$2
	shift 2
	(cd "$d" && apt-get "$@" -qq source --download-only "$what") >"$d/fetch.log" 2>&1
}

# real_series: the patch names of $SRC_TREE's debian/patches/series, one a line, with
# any -pN option kept after a space.
real_series() {
	sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$SRC_TREE/debian/patches/series"
}

# real_index PATCH: its 1-based position in the series.
real_index() {
	real_series | awk -v p="$1" '$1 == p { print NR; f = 1; exit } END { exit !f }'
}

# build_key PKG: names builds by the plugin that recorded them and the recipe that built
# them, so a new plugin or a changed servers/PKG.sh rebuilds.
build_key() {
	cat "$PLUGIN" "$REAL_DIR/servers/$1.sh" | sha256sum | cut -c1-12
}

# real_build PKG VERSION N: release N of PKG built with the plugin (by the server's
# srv_build, in its own fresh tree, as a user builds a release); sets REL_TREE and REL_BIN.
# Builds are cached per plugin; a lock lets two runs share the cache.
real_build() {
	local pkg=$1 ver=$2 n=$3
	real_source "$pkg" "$ver" || return 1
	REL_TREE=$POLUS_CACHE/build/${pkg}_$ver/$(build_key "$pkg")/r$n
	REL_BIN=$REL_TREE/$SRV_BIN
	mkdir -p "$(dirname "$REL_TREE")"
	exec {lk}>"$REL_TREE.lock"
	flock "$lk"
	if [ ! -f "$REL_TREE/.polus-real-built" ]; then
		rm -rf "$REL_TREE" && cp -a "$SRC_TREE" "$REL_TREE" || return 1
		local line name popt i=0
		while read -r name popt && [ $i -lt "$n" ]; do
			i=$((i + 1))
			patch -d "$REL_TREE" -s -N ${popt:--p1} <"$REL_TREE/debian/patches/$name" \
				>>"$REL_TREE.log" 2>&1 ||
				{ REAL_WHY="patch $name does not apply: $(tail -n 1 "$REL_TREE.log")"; exec {lk}>&-; return 1; }
		done < <(real_series)
		if ! (cd "$REL_TREE" && srv_build) >>"$REL_TREE.log" 2>&1; then
			REAL_WHY="building r$n failed: $(grep -m1 -E 'error|Error' "$REL_TREE.log" || tail -n 1 "$REL_TREE.log")"
			exec {lk}>&-
			return 1
		fi
		touch "$REL_TREE/.polus-real-built"
	fi
	exec {lk}>&-
	[ -x "$REL_BIN" ] || { REAL_WHY="r$n has no $SRV_BIN"; return 1; }
}

# real_flags: sets CFLAGS, CPPFLAGS and LDFLAGS as a Debian package build of the current
# directory gets them (dpkg-buildflags, hardening=+all as these servers' packages ask),
# with the plugin added to CFLAGS. Shell variables only: the build gets them from
# srv_build's command line, as each build system expects them (nginx's configure would
# add exported ones a second time).
real_flags() {
	eval "$(DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --export=sh |
		sed -n -E 's/^export ((CFLAGS|CPPFLAGS|LDFLAGS)=)/\1/p')"
	CFLAGS="$CFLAGS -fplugin=$PLUGIN"
}

# Client loop: runs srv_request (the server's real client, one request) until the stop
# file appears; counts successes and failures in $TMP/load.ok and $TMP/load.bad, and keeps
# the output of the first failures.
load_start() {
	rm -f "$TMP/load.stop" "$TMP/load.done" "$TMP/load.ok" "$TMP/load.bad" "$TMP/load.fail"
	(
		ok=0 bad=0
		while [ ! -e "$TMP/load.stop" ]; do
			if out=$(srv_request 2>&1); then
				ok=$((ok + 1))
			else
				bad=$((bad + 1))
				[ $bad -le 5 ] && printf '%s\n' "$out" >>"$TMP/load.fail"
			fi
			# renamed into place: a reader never sees a file half-written
			echo $ok >"$TMP/load.ok.new" && mv -f "$TMP/load.ok.new" "$TMP/load.ok"
			echo $bad >"$TMP/load.bad.new" && mv -f "$TMP/load.bad.new" "$TMP/load.bad"
		done
		touch "$TMP/load.done"
	) &
	LOAD_PID=$!
	track_pid $LOAD_PID
	wait_for 30 load_done_at_least 5 || { REAL_WHY="client never succeeded: $(head -c 300 "$TMP/load.fail" 2>/dev/null)"; return 1; }
}
load_count() { cat "$TMP/load.$1" 2>/dev/null || echo 0; }
load_done_at_least() { [ "$(load_count ok)" -ge "$1" ]; }

# load_stop: stops the loop (after at least 20 more requests than MARK); prints "ok=N bad=N".
load_stop() {
	local mark=${1:-0}
	wait_for 30 load_done_at_least $((mark + 20)) || true
	touch "$TMP/load.stop"
	# load_stop may run in a command substitution, where `wait` cannot wait for the loop
	wait_for 30 test -e "$TMP/load.done" || echo "load loop did not stop" >&2
	echo "ok=$(load_count ok) bad=$(load_count bad)"
}

# free_udp_port: a port on 127.0.0.1 free for both UDP and TCP (a DNS server binds both).
free_udp_port() {
	python3 -c '
import socket
while True:
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0))
    p = u.getsockname()[1]
    t = socket.socket()
    try:
        t.bind(("127.0.0.1", p)); print(p); break
    except OSError:
        pass'
}
