# Helpers of the rollback tests (tests/rollback/*.t). Source after tests/lib.sh.
ROLLBACK=${ROLLBACK:-$POLUS_BUILD/polus-rollback}

# polus_maps PID: the mappings of polus's patch images (memfd "polus:NAME", the registry
# left out), one per line.
polus_maps() {
	grep 'memfd:polus:' "/proc/$1/maps" | grep -v 'memfd:polus:registry'
}

# history_actions PID: "apply:p1 rollback:p1 ..." from polus-status --history --json.
history_actions() {
	"$POLUS_BUILD/polus-status" --history --json "$1" | python3 -c '
import json, sys
d = json.load(sys.stdin)
for e in d["history"]:
    assert e["uid"] == 0 or e["uid"] > 0 and e["result"] == "ok", e
print(" ".join(e["action"] + ":" + e["patch"] for e in d["history"]))'
}

# state_of PATCH PID: the registry state of PATCH (the newest record of that name).
state_of() {
	"$POLUS_BUILD/polus-status" --json "$2" | python3 -c '
import json, sys
ps = [p for p in json.load(sys.stdin)["patches"] if p["name"] == sys.argv[1]]
print(ps[-1]["state"] if ps else "none")' "$1"
}
