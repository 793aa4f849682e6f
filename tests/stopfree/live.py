#!/usr/bin/env python3
"""Helpers of tests/stopfree/apply-live.t and bench/apply.sh over fixtures/live_server.c.

live.py ask PORT LINE          one request, its answer line printed
live.py client PORT STOP [N]   N client threads (4) asking ANSWER 7 in a loop until the
                               file STOP exists; prints "requests R failed F"
live.py watch PID STOP         samples every thread's state (/proc/PID/task/*/stat) until
                               STOP exists (STOP.ready is created after the first sample);
                               prints "samples S stopped T" where T counts
                               the samples that saw a thread of the program (not the
                               runtime's agent) in a ptrace or job-control stop
live.py traps PID RTSO         the traps the runtime in PID counted (its ntrapped, read
                               at the symbol's offset of RTSO in the polus-rt mapping)
live.py hook PID RTSO EXE SYM  points the runtime's polus_rt_switch_test_hook at EXE's
                               function SYM in PID (0 as SYM: no hook)
"""
import os
import socket
import subprocess
import sys
import threading
import time

GOOD = {"RELEASE 1 VALUE 22", "RELEASE 2 VALUE 37"}  # answer(7) in each release


def ask(port, line):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall((line + "\n").encode())
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(256)
            if not chunk:
                break
            data += chunk
    return data.decode().strip()


def client(port, stop, n=4):
    counts = {"requests": 0, "failed": 0}
    lock = threading.Lock()

    def run():
        while not os.path.exists(stop):
            try:
                ok = ask(port, "ANSWER 7") in GOOD
            except OSError:
                ok = False
            with lock:
                counts["requests"] += 1
                counts["failed"] += not ok
    ts = [threading.Thread(target=run) for _ in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print("requests %d failed %d" % (counts["requests"], counts["failed"]))


def watch(pid, stop):
    samples = stopped = 0
    task = f"/proc/{pid}/task"
    while not os.path.exists(stop):
        seen = False
        for tid in os.listdir(task):
            try:
                stat = open(f"{task}/{tid}/stat").read()
            except OSError:
                continue
            comm, state = stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2]
            if state in "tT" and comm != "polus-agent":
                seen = True
        samples += 1
        stopped += seen
        if samples == 1:
            open(stop + ".ready", "w").close()
    print("samples %d stopped %d" % (samples, stopped))


def symbol(path, name):
    out = subprocess.run(["nm", path], capture_output=True, text=True).stdout
    return next(int(l.split()[0], 16) for l in out.splitlines() if l.endswith(" " + name))


def base_of(pid, what):
    """The start of the mapping at file offset 0 whose line holds `what`."""
    for line in open(f"/proc/{pid}/maps"):
        p = line.split()
        if len(p) >= 6 and what in line and int(p[2], 16) == 0:
            return int(p[0].split("-")[0], 16)
    sys.exit(f"no {what} in process {pid}")


def traps(pid, rtso):
    with open(f"/proc/{pid}/mem", "rb") as m:
        m.seek(base_of(pid, "polus:polus-rt") + symbol(rtso, "ntrapped"))
        print(int.from_bytes(m.read(8), "little"))


def hook(pid, rtso, exe, sym):
    fn = 0 if sym == "0" else base_of(pid, os.path.realpath(exe)) + symbol(exe, sym)
    with open(f"/proc/{pid}/mem", "r+b") as m:
        m.seek(base_of(pid, "polus:polus-rt") + symbol(rtso, "polus_rt_switch_test_hook"))
        m.write(fn.to_bytes(8, "little"))


cmd = sys.argv[1]
if cmd == "ask":
    print(ask(int(sys.argv[2]), sys.argv[3]))
elif cmd == "client":
    client(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else 4)
elif cmd == "watch":
    watch(int(sys.argv[2]), sys.argv[3])
elif cmd == "traps":
    traps(int(sys.argv[2]), sys.argv[3])
elif cmd == "hook":
    hook(int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5])
else:
    sys.exit("live.py: unknown command " + cmd)
