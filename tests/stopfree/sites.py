#!/usr/bin/env python3
"""The redirected functions of p.yaml in a live process of v1/prog (tests/stopfree).

sites.py bytes PID   the bytes of each function from 8 before its entry, a line each
sites.py state PID   "old" when every function holds its first bytes as built, "new" when
                     every one holds the stop-free switch's short jump into its padding,
                     else "mixed: ..." (a torn switch would show as torn@ADDR:BYTES)
"""
import re
import subprocess
import sys

EXE, YML = "v1/prog", "p.yaml"


def offsets():
    yml = open(YML).read()
    return [int(m, 16) for b in yml.split("\n- name:") if "redirect: true" in b
            for m in re.findall(r"old-addr: (0x[0-9a-f]+)", b)]


def base_of(pid):
    for line in open(f"/proc/{pid}/maps"):
        p = line.split()
        if len(p) >= 6 and p[5].endswith("/" + EXE) and int(p[2], 16) == 0:
            return int(p[0].split("-")[0], 16)
    sys.exit(f"{EXE} is not mapped in process {pid}")


def file_bytes(off, n):
    """The executable's bytes at link-time address off."""
    out = subprocess.run(["objdump", "-h", EXE], capture_output=True, text=True).stdout
    for line in out.splitlines():
        f = line.split()
        if len(f) >= 7 and f[1] == ".text":
            vma, foff = int(f[3], 16), int(f[5], 16)
            return open(EXE, "rb").read()[off - vma + foff:off - vma + foff + n]
    sys.exit(f"{EXE}: no .text")


def state(now, orig):
    s = 4 if orig[:4] == b"\xf3\x0f\x1e\xfa" else 0
    if now == orig:
        return "old"
    if now[s] == 0xEB and now[:s] == orig[:s] and now[s + 2:] == orig[s + 2:]:
        return "new"
    return "torn:" + now.hex()


def main():
    what, pid = sys.argv[1], int(sys.argv[2])
    base, out = base_of(pid), []
    with open(f"/proc/{pid}/mem", "rb") as m:
        for off in offsets():
            if what == "bytes":
                m.seek(base + off - 8)
                print(m.read(40).hex())
            else:
                m.seek(base + off)
                out.append(state(m.read(6), file_bytes(off, 6)))
    if what == "state":
        print(out[0] if len(set(out)) == 1 else "mixed: " + " ".join(out))


main()
