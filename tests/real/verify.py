#!/usr/bin/env python3
"""verify.py PID APPLY.json DIFF.json OLD.nm: checks a live patch from outside the process.

Every function polus-apply says it switched must start (after an endbr64) with a jump to
the new address it reported (the stop-free switch: a short jump to the padding's jump
before the entry, docs/stopfree.md); every function the diff lists as changed (beyond __LINE__
values) that OLD has an out-of-line copy of (its own symbol or a clone of it, by nm) must
be among the switched ones, or the patch left the old code live there; and no struct or
union may have changed its size (objects the old code made keep the old size, the new
code would overrun them: such a patch must be refused until data coexistence exists).
Prints one line: what was verified, or what is wrong (exit 1)."""
import json
import re
import struct
import sys

ENDBR64 = bytes.fromhex("f30f1efa")


def jump_target(mem, addr, short=True):
    """The target of the jump at addr, or None when the code there is no jump."""
    mem.seek(addr)
    code = mem.read(24)
    if code.startswith(ENDBR64):
        addr, code = addr + 4, code[4:]
    if code[0] == 0xEB and short:  # jmp rel8: the stop-free switch, to the padding's jmp
        return jump_target(mem, addr + 2 + struct.unpack("<b", code[1:2])[0], False)
    if code[0] == 0xE9:  # jmp rel32
        return addr + 5 + struct.unpack("<i", code[1:5])[0]
    if code[:6] == bytes.fromhex("ff2500000000"):  # jmp *0(%rip); .quad target
        return struct.unpack("<Q", code[6:14])[0]
    if code[:2] in (b"\x49\xbb", b"\x48\xb8") and code[10:13] in (b"\x41\xff\xe3", b"\xff\xe0\x90"):
        return struct.unpack("<Q", code[2:10])[0]  # movabs $target, %reg; jmp *%reg
    return None


def base(name):
    return name.split(".", 1)[0]


def main():
    pid, apply_json, diff_json, old_nm = sys.argv[1:5]
    applied = json.load(open(apply_json))
    funcs = applied.get("functions", [])
    bad = []
    with open("/proc/%s/mem" % pid, "rb") as mem:
        for f in funcs:
            old, new = int(f["old_addr"], 16), int(f["new_addr"], 16)
            got = jump_target(mem, old)
            if got != new:
                bad.append("%s: old entry 0x%x %s, wanted a jump to 0x%x" % (
                    f["name"], old, "jumps to 0x%x" % got if got else "is no jump", new))
    if bad:
        print("not redirected: " + "; ".join(bad))
        return 1
    switched = {base(f["name"]) for f in funcs}
    text = set()
    for line in open(old_nm):
        parts = line.split()
        if len(parts) == 3 and parts[1] in "tTwW" and not re.search(r"\.cold(\.\d+)?$", parts[2]):
            text.add(base(parts[2]))
    diff = json.load(open(diff_json))
    grown = ["%s (%s)" % (t["name"], ", ".join(t.get("reasons", [])))
             for t in diff.get("types", []) if "size" in t.get("reasons", [])]
    if grown:
        print("applied although a type changed size, live objects keep the old one: " +
              ", ".join(grown))
        return 1
    # A change of __LINE__ values only is left out of a patch by design (README.md, "See
    # what changed"): no fix lives there.
    changed = [f["name"] for f in diff.get("functions", [])
               if f.get("change") == "changed" and not f.get("line_only")]
    # Left out on purpose (--exclude, or version-string churn in a function that never
    # returns): polus says so in the live summary and a warning; that is no silent miss.
    left = {l["name"] for l in applied.get("live", []) if l.get("how", "").startswith("left out")}
    if not applied.get("warnings"):
        left = set()
    # Not redirectable (its signature changed) but reached only through redirected
    # callers, by polus-mkpatch's completeness proof: new calls run the new code.
    via = {l["name"] for l in applied.get("live", [])
           if l.get("how", "").startswith("replaced for new calls")}
    missed = [n for n in changed if n in text and n not in switched and n not in left
              and n not in via]
    if missed:
        print("silently partial: changed and out of line in OLD but not switched: " +
              ", ".join(sorted(missed)) + " (switched: " + ", ".join(sorted(switched)) + ")")
        return 1
    if not funcs:
        print("polus-apply switched no function")
        return 1
    print("switched %d (%s), every old entry jumps to the new code%s" % (
        len(funcs), ", ".join(sorted(f["name"] for f in funcs)),
        ("; left out on purpose, with a warning: " + ", ".join(sorted(left)) if left else "") +
        ("; live through redirected callers only: " + ", ".join(sorted(via)) if via else "")))
    return 0


sys.exit(main())
