#!/usr/bin/env bash
# A chain's second patch replaces code that lives only in the first: v3 (chain3/v2 edited)
# changes scale, which p12 carries (OLD has only its clone scale.constprop.0), added,
# which p12 brought new, and compute, which p12 redirected and which p12's own path_c
# calls directly.
# p23 is built against v1 + p12 and applied on top of p12 to the running process while its
# load thread calls every path without pause: every path then answers with v3's value
# (calls from OLD's code, from p12's code, through pointers), and the load thread saw no
# wrong answer and no step back (path_a, which calls scale twice, may add an old and a new
# scale once per switch, and an old path_c may call the new compute: old invocations
# finish in their code, their calls go to the new). Applying p23 to a process without p12 is refused.
: "${POLUS_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$POLUS_TOP/tests/lib.sh" || exit 1
. "$(dirname "$0")/lib-mkpatch.sh" || exit 1
need_live
cd "$TMP" || fail "cd"
cp "$HERE/chain3/common.h" "$HERE/chain3/unchanged.h" . || fail "copy"
mkdir v1 v2 v3 && cp "$HERE/chain3/v1/main.c" v1/ && cp "$HERE/chain3/v2/main.c" v2/ || fail "copy"
# v3: scale, compute and added end in 30 (v2: 10, 20, 20)
sed 's/return r + [12]0;/return r + 30;/' v2/main.c > v3/main.c || fail "sed"
[ "$(grep -c 'return r + 30;' v3/main.c)" = 3 ] || fail "v3: $(cat v3/main.c)"
for v in v1 v2 v3; do
	(cd $v && gcc -O2 -g -pthread -fplugin="$PLUGIN" -o prog main.c) || fail "building $v"
done
nm v1/prog | grep -q ' scale\.constprop' || fail "precondition: -O2 did not clone scale() in v1"
nm v1/prog | grep -q ' scale$' && fail "precondition: v1 kept an out-of-line scale()"
"$MK" -q v1/prog v2/prog -o p12.so || fail "p12"
nm p12.so | grep -Eq ' t scale$' || fail "precondition: p12 carries no copy of scale: $(nm p12.so)"
"$MK" v1/prog p12.so v3/prog -o p23.so > mk23.txt 2>&1 || fail "p23: $(cat mk23.txt)"
"$MK" --show p23.so > p23.yaml || fail "--show p23"
export P12_ID=$(readelf -n p12.so | sed -n 's/.*Build ID: //p')
python3 - p23.yaml <<'PY' || fail "p23 version file: $(cat p23.yaml)"
import os, sys, yaml
v = yaml.safe_load(open(sys.argv[1]))
sites = {}
for f in v["functions"]:
    if f.get("redirect"):
        sites.setdefault(f["name"], set()).add(f.get("old-in", "base"))
p12 = os.environ["P12_ID"]
# scale and added run only in p12; compute runs in OLD (jumping to p12) and in p12
assert sites.get("scale") == {p12}, sites
assert sites.get("added") == {p12}, sites
assert sites.get("compute") == {"base", p12}, sites
PY
ok "p23 redirects scale and added in p12, compute in OLD and in p12"

# ask_all X RELEASES: every path at x answers with the value of the release listed for it
ask_all() { ask "$1" "$2"; }
# stats: the load thread's rounds, wrong answers and mixed ones so far: iters, errs, mixed
stats() {
	local before
	before=$(wc -l < out.txt)
	echo stats >&3
	wait_for 10 _more_lines "$before" || fail "no answer to stats"
	read -r iters errs mixed < <(tail -n 1 out.txt)
	[[ $iters =~ ^[0-9]+$ && $errs =~ ^[0-9]+$ && $mixed =~ ^[0-9]+$ ]] ||
		fail "stats: $(tail -n 1 out.txt)"
}
_rounds_past() { stats; [ "$iters" -gt "$1" ]; }

start_prog v1/prog
ask_all 5 "1 2 1 1 1 1 1" # path_a2 answers the same in v1 and v2
expect_fail 2 'patch requires patch [0-9a-f]+, which is not applied in process' "$APPLY" "$pid" p23.so
"$APPLY" "$pid" p12.so > apply12.txt 2>&1 || fail "applying p12: $(cat apply12.txt)"
ask_all 6 "2 2 2 2 2 2 2"
stats
[ "$errs" = 0 ] || fail "after p12 the load thread saw $errs wrong answers"
[ "$mixed" -le 2 ] || fail "after p12 the load thread saw $mixed mixed answers (one switch, path_a and path_c)"
wait_for 10 _rounds_past "$iters" || fail "the load thread does not run"
"$APPLY" "$pid" p23.so > apply23.txt 2>&1 || fail "applying p23: $(cat apply23.txt)"
# scale, added (in p12), compute, path_a (in OLD and p12), path_a2 (in OLD)
grep -q '^switched 5 functions (7 jumps: copies in earlier patches too)$' apply23.txt ||
	fail "p23's switch: $(cat apply23.txt)"
ask_all 7 "3 3 3 3 3 3 3"
ask_all 123 "3 3 3 3 3 3 3"
kill -0 $pid || fail "the process died"
stats
[ "$errs" = 0 ] || fail "the load thread saw $errs wrong answers in $iters rounds"
[ "$mixed" -le 4 ] || fail "the load thread saw $mixed mixed answers of path_a and path_c (two switches)"
ok "$iters rounds of every path under load, 0 wrong answers ($mixed mixed of path_a and path_c)"
