#!/usr/bin/env bash
# Every apply and every refusal goes to the system log: one line saying who (uid, login),
# which process and program, which patch, the result and the pause, or the error; facility
# daemon, notice when done, warning when refused. A private log socket stands for
# /dev/log (POLUS_SYSLOG_SOCKET): a small listener here records each datagram. --no-log
# and POLUS_NO_SYSLOG=1 turn it off; --check logs nothing; no listener changes nothing.
# polus-rollback logs its rollbacks and refusals the same way.
: "${POLUS_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$POLUS_TOP/tests/lib.sh" || exit 1
. "$POLUS_TOP/tests/inject/lib-inject.sh"
need_tools
build_fixtures
make_patch_variant "$FX/p2.so" p2
make_patch_raw "$FX/wrongbuild.so" "$FX/patch-raw.so" wb 0123456789abcdef0123456789abcdef01234567 \
	-f "$F_COMPUTE" -b "$B_CALLS" -b "$B_HELPER" -b "$B_TLS"

SOCK=$TMP/log.sock LOG=$TMP/log.txt
python3 - "$SOCK" "$LOG" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a") as out:
    while True:
        out.write(s.recv(65536).decode().rstrip("\0") + "\n")
        out.flush()
PY
track_pid $!
wait_for 10 test -S "$SOCK" || fail "the log listener did not start"
export POLUS_SYSLOG_SOCKET=$SOCK
: >"$LOG"

start_target
login=$(python3 -c 'import os, pwd
try: print(os.getlogin())
except OSError: print(os.environ.get("SUDO_USER") or pwd.getpwuid(os.getuid()).pw_name)')
# sha N: the digest polus-sign reports for the Nth patch of the log's lines
sha() {
	local p
	p=$(sed -n "${1}s/.* patch=\([^ ]*\) .*/\1/p" "$LOG")
	"$POLUS_BUILD/polus-sign" --verify "$p" | sed -n 's/.* sha256 \([0-9a-f]*\) ok.*/\1/p'
}
# logged N: the log comes to N lines and no more. A unix datagram socket keeps the order
# of what is sent: a line that did not come before the Nth never came.
nlines() { [ "$(grep -c . "$LOG")" -ge "$1" ]; }
logged() {
	wait_for 10 nlines "$1" || fail "wanted $1 log lines, have: $(cat "$LOG")"
	[ "$(grep -c . "$LOG")" = "$1" ] || fail "wanted $1 log lines, have: $(cat "$LOG")"
}

"$APPLY" --check "$TPID" "$FX/p1.so" >/dev/null || fail "--check"
"$APPLY" --no-log -q "$TPID" "$FX/wrongbuild.so" 2>/dev/null
POLUS_NO_SYSLOG=1 "$APPLY" -q "$TPID" "$FX/wrongbuild.so" 2>/dev/null

"$APPLY" -q "$TPID" "$FX/p1.so" || fail "apply"
logged 1
ok "--check, --no-log and POLUS_NO_SYSLOG=1 logged nothing (the apply after them is line 1)"
cat "$LOG"
grep -Eq "^<29>[A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} polus-apply\[[0-9]+\]: apply pid=$TPID exe=$FX/target patch=$FX/p1.so name=p1 sha256=$(sha 1) result=applied exit=0 pause-ms=[0-9]+\.[0-9]{2} uid=$(id -u) login=$login$" "$LOG" ||
	fail "the apply's line: $(cat "$LOG")"
ok "apply logged"

"$APPLY" -q "$TPID" "$FX/wrongbuild.so" 2>"$TMP/err" && fail "wrong build applied"
logged 2
err=$(sed 's/^polus-apply: //' "$TMP/err")
tail -n 1 "$LOG" | grep -qF "polus-apply[" || fail "no tag"
tail -n 1 "$LOG" | grep -Eq "^<28>.* apply pid=$TPID exe=$FX/target patch=$FX/wrongbuild.so name=wb sha256=$(sha 2) result=refused exit=2 error=\".*\" uid=$(id -u) login=$login$" &&
	tail -n 1 "$LOG" | grep -qF " error=\"$err\" " || fail "the refusal's line: $(tail -n 1 "$LOG")"
"$APPLY" -q "$TPID" "$FX/none.so" 2>/dev/null && fail "a missing patch applied"
logged 3
tail -n 1 "$LOG" | grep -q "patch=$FX/none.so result=refused exit=1 error=\"$FX/none.so: No such file or directory\"" ||
	fail "the missing patch's line: $(tail -n 1 "$LOG")"
ok "refusals logged with their error"

# nobody listening: the apply is not hurt
POLUS_SYSLOG_SOCKET=$TMP/nobody.sock "$APPLY" -q "$TPID" "$FX/p2.so" || fail "apply without a log listener"
"$APPLY" -q "$TPID" "$FX/p2.so" 2>/dev/null && fail "p2 applied twice"
logged 4
tail -n 1 "$LOG" | grep -q "patch=$FX/p2.so .*result=refused exit=2 error=\"patch p2 .* is already applied" ||
	fail "line 4 is not the second p2: $(tail -n 1 "$LOG")"
ok "no listener: applied, nothing logged"

# polus-rollback: the rollback and its refusal, the same way; --check logs nothing
ROLLBACK=$POLUS_BUILD/polus-rollback
"$ROLLBACK" --check "$TPID" >/dev/null || fail "rollback --check"
"$ROLLBACK" -q "$TPID" || fail "rollback"
logged 5
tail -n 1 "$LOG" | grep -Eq "^<29>.* polus-rollback\[[0-9]+\]: rollback pid=$TPID exe=$FX/target name=p2 result=rolled-back exit=0 pause-ms=[0-9]+\.[0-9]{2} uid=$(id -u) login=$login$" ||
	fail "the rollback's line: $(tail -n 1 "$LOG")"
"$ROLLBACK" -q "$TPID" nosuchpatch 2>/dev/null && fail "a rollback of no such patch went through"
logged 6
tail -n 1 "$LOG" | grep -Eq "^<28>.* rollback pid=$TPID exe=$FX/target .*result=refused exit=2 error=\".*nosuchpatch" ||
	fail "the rollback refusal's line: $(tail -n 1 "$LOG")"
"$ROLLBACK" --no-log -q "$TPID" nosuchpatch 2>/dev/null
logged 6
ok "rollbacks and their refusals logged; --check and --no-log log nothing"
