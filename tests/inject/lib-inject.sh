# Helpers of the injector tests (tests/inject/*.t). Source after tests/lib.sh.
# build_fixtures: compiles the target, the fixture patch and the helpers into $FX.
# start_target [ARGS]: starts $FX/target with log $TLOG, sets TPID, waits for "ready".
APPLY=${APPLY:-$POLUS_BUILD/polus-apply}
STATUS=${STATUS:-$POLUS_BUILD/polus-status}
FX=$TMP/fx
FIXSRC=$POLUS_TOP/tests/inject/fixtures

need_tools() {
	need_built "$APPLY" "$STATUS" "$POLUS_BUILD/obj/versionfiles/versionfile.o"
	need_ptrace
}

sym_addr() { nm "$1" | awk -v s="$2" '$3 == s { print $1; exit }'; }
sym_size() { nm -S "$1" | awk -v s="$2" '$4 == s { print $2; exit }'; }
build_id() { readelf -n "$1" | awk '/Build ID/ { print $3; exit }'; }

# Arguments of mkvf for the usual parts of the fixture patch against $FX/target. The
# symbols are read once (cache_syms, after each build of the target or the patch): nm is
# slow on a loaded machine and every variant of the patch links patch.o the same way.
cache_syms() {
	local t=$FX/target so=$FX/patch-raw.so
	T_BID=$(build_id "$t")
	F_COMPUTE="compute:$(sym_addr "$t" compute):$(sym_size "$t" compute):$(sym_addr "$so" compute):1"
	F_BUSY="busy_fn:$(sym_addr "$t" busy_fn):$(sym_size "$t" busy_fn):$(sym_addr "$so" busy_fn_new):1"
	F_RET="ret_fn:$(sym_addr "$t" ret_fn):$(sym_size "$t" ret_fn):$(sym_addr "$so" busy_fn_new):1"
	B_CALLS="__polus_b_0:calls:$(sym_addr "$t" calls):0"
	B_HELPER="__polus_b_1:base_helper:$(sym_addr "$t" base_helper):0"
	B_TLS="__polus_b_2:tls_calls:$(sym_addr "$t" tls_calls):1"
}

# embed OUT SO YAML: OUT = SO with YAML as its .polus.version section, sealed as
# polus-mkpatch seals its patches (an empty .polus.seal, then polus-sign --seal).
embed() {
	cp "$2" "$1"
	head -c 4096 /dev/zero >"$1.seal"
	objcopy --add-section .polus.version="$3" --add-section .polus.seal="$1.seal" "$1" ||
		fail "objcopy failed"
	rm -f "$1.seal"
	"$POLUS_BUILD/polus-sign" --seal "$1" || fail "polus-sign --seal $1 failed"
}

# make_patch_raw OUT SO NAME BUILD-ID [mkvf options...]: full control over the version file.
make_patch_raw() {
	local out=$1 so=$2 name=$3 bid=$4; shift 4
	"$FX/mkvf" "$name" "$bid" "$@" >"$out.yaml" || fail "mkvf failed"
	embed "$out" "$so" "$out.yaml"
}

# make_patch OUT NAME [mkvf options...]: the fixture patch for $FX/target (compute
# redirected, the three binds) plus any extra mkvf options.
make_patch() {
	local out=$1 name=$2; shift 2
	make_patch_raw "$out" "$FX/patch-raw.so" "$name" "$T_BID" \
		-f "$F_COMPUTE" -b "$B_CALLS" -b "$B_HELPER" -b "$B_TLS" "$@"
}

_build_fixtures() {
	mkdir -p "$FX"
	# the build profile (docs/architecture.md): without it -fipa-ra lets callers keep values in
	# registers the old compute() did not touch (seen: a garbage result after the switch)
	gcc -O2 -g -flive-patching=inline-clone -pthread -o "$FX/target" "$FIXSRC/target.c" || fail "cannot build target"
	gcc -O2 -fPIC -c -o "$FX/patch.o" "$FIXSRC/patch.c" || fail "cannot compile patch"
	gcc -shared -o "$FX/patch-raw.so" "$FX/patch.o" || fail "cannot link patch"
	gcc -O2 -I"$POLUS_TOP/versionfiles" -o "$FX/mkvf" "$FIXSRC/mkvf.c" \
		"$POLUS_BUILD/obj/versionfiles/versionfile.o" -lyaml || fail "cannot build mkvf"
	gcc -O2 -o "$FX/holdtrace" "$FIXSRC/holdtrace.c" || fail "cannot build holdtrace"
}

# build_fixtures: the fixtures in $FX, from a cache in $POLUS_BUILD keyed by their sources
# (compiling them is most of a test's time on a loaded machine). Tests running in
# parallel (tests/run -j) take turns on a lock: one builds, the others copy.
build_fixtures() {
	local key cache lock
	key=$(cat "$FIXSRC"/*.c "$POLUS_TOP/tests/inject/lib-inject.sh" \
		"$POLUS_BUILD/obj/versionfiles/versionfile.o" | md5sum | cut -c1-16)
	cache=$POLUS_BUILD/tests/inject-fixtures/$key
	mkdir -p "${cache%/*}" || fail "cannot create ${cache%/*}"
	exec {lock}>"${cache%/*}/.lock" && flock "$lock" || fail "cannot lock the fixture cache"
	if [ -f "$cache/done" ]; then
		mkdir -p "$FX" && cp -a "$cache/." "$FX/" || fail "cannot copy fixtures"
	else
		_build_fixtures
		local tmp
		tmp=$(mktemp -d "${cache%/*}/.tmp.XXXXXX") && cp -a "$FX/." "$tmp/" && touch "$tmp/done" &&
			mv -T "$tmp" "$cache" 2>/dev/null || rm -rf "$tmp"
	fi
	exec {lock}>&-
	cache_syms
	make_patch "$FX/p1.so" p1
}

# make_patch_variant OUT NAME: the fixture patch again, with a build-id of its own (the
# injector refuses a patch that is already applied).
make_patch_variant() {
	local out=$1 name=$2 so=$FX/patch-$2.so; shift 2
	gcc -shared -Wl,--build-id=0x$(printf '%s' "$name" | md5sum | cut -c1-32) \
		-o "$so" "$FX/patch.o" || fail "cannot link patch"
	make_patch_raw "$out" "$so" "$name" "$T_BID" \
		-f "$F_COMPUTE" -b "$B_CALLS" -b "$B_HELPER" -b "$B_TLS" "$@"
}

TLOG=$TMP/target.log
start_target() {
	: >"$TLOG"
	"$FX/target" "$TLOG" "$@" &
	TPID=$!
	track_pid $TPID
	wait_for 10 grep -q '^ready' "$TLOG" || fail "target did not start: $(cat "$TLOG")"
	PORT=$(sed -n 's/^ready port=//p' "$TLOG")
}

# thread_in NAME SYSCALL-NR: some thread named NAME is blocked in that system call, or
# in restart_syscall (219), which is how the kernel resumes an interrupted timed wait.
thread_in() {
	local d c nr rest
	for d in /proc/$TPID/task/*; do # builtins only: forks are slow on a loaded machine
		read -r c <"$d/comm" 2>/dev/null || continue
		[ "$c" = "$1" ] || continue
		read -r nr rest <"$d/syscall" 2>/dev/null || continue
		[ "$nr" = "$2" ] || [ "$nr" = 219 ] && return 0
	done
	return 1
}

# wait_blocked: every b-* thread sits in its blocking call.
wait_blocked() {
	local pair
	for pair in b-accept:43 b-accept-t:43 b-read:0 b-epoll:232 b-epoll-t:232 b-futex:202 \
		b-futex-t:202 b-nanosleep:230 b-poll:7 b-sigwait:128 target:232; do
		wait_for 10 thread_in "${pair%%:*}" "${pair##*:}" ||
			fail "thread ${pair%%:*} is not blocked in syscall ${pair##*:}"
	done
}

# snapshot: what a refusal must leave unchanged (memory map, fds, threads).
snapshot() {
	cat "/proc/$TPID/maps"
	echo "fds $(ls "/proc/$TPID/fd" | wc -l)"
	ls "/proc/$TPID/task" | sort -n | tr '\n' ' '
	echo
}

# no_eintr: the target reported no interrupted or shortened call, nothing unexpected.
no_eintr() {
	! grep -E '^(EINTR|SHORT|ERROR|SPURIOUS|BAD|STATE|SIGTRAP|SIGSEGV)' "$TLOG" ||
		fail "the target reported: $(grep -E '^(EINTR|SHORT|ERROR|SPURIOUS|BAD|STATE|SIG)' "$TLOG" | head -5)"
}

# registry_bytes: the md5 of the registry's bytes (all of them: what a failure wrote past
# the text counts too), or "none".
registry_bytes() {
	python3 - "$TPID" <<'PY'
import hashlib, sys
pid = sys.argv[1]
for line in open(f"/proc/{pid}/maps"):
    if "polus:registry" in line:
        lo, hi = (int(x, 16) for x in line.split()[0].split("-"))
        with open(f"/proc/{pid}/mem", "rb") as m:
            m.seek(lo)
            print(hashlib.md5(m.read(hi - lo)).hexdigest())
        break
else:
    print("none")
PY
}

# code_bytes NAME:ADDR...: the first 16 bytes at each link-time address of $FX/target in
# the running target, in hex (the load bias from the executable's first mapping).
code_bytes() {
	python3 - "$TPID" "$FX/target" "$@" <<'PY'
import os, sys
pid, exe, rest = sys.argv[1], os.path.realpath(sys.argv[2]), sys.argv[3:]
bias = None
for line in open(f"/proc/{pid}/maps"):
    parts = line.split()
    if len(parts) >= 6 and parts[5] == exe and int(parts[2], 16) == 0:
        bias = int(parts[0].split("-")[0], 16)
        break
assert bias is not None, "executable not mapped"
with open(f"/proc/{pid}/mem", "rb") as m:
    for arg in rest:
        name, addr = arg.split(":")
        m.seek(bias + int(addr, 16))
        print(name, m.read(16).hex())
PY
}

# target_state NAME:ADDR: what a refusal or an undone failure must leave as it was: the
# memory map, descriptors, threads, the code at the site, the registry's bytes, and what
# polus-status says.
target_state() {
	cat "/proc/$TPID/maps"
	ls -l "/proc/$TPID/fd" | awk 'NR > 1 { print $9, $11 }'
	ls "/proc/$TPID/task" | sort -n | tr '\n' ' '
	echo
	code_bytes "$1"
	registry_bytes
	"$STATUS" "$TPID" 2>&1
}

# answers: the target's accept thread still serves a connection.
answers() {
	local line rc
	exec 3<>"/dev/tcp/127.0.0.1/$PORT" && read -r -t 5 line <&3 && [ "$line" = ok ]
	rc=$?
	exec 3<&-
	return $rc
}
