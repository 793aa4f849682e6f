#!/usr/bin/env python3
"""Load for examples/coexist: THREADS connections sending HIT back to back until the file
STOP exists, every reply checked (it must be OK). Prints "running" once all are
connected, then at the end "hits=N failed=M" (hits: the OK replies). Exit 1 if any
request failed.

usage: load.py PORT THREADS STOP
"""
import os
import socket
import sys
import threading
import time

port, nthreads, stop = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
ok = [0] * nthreads
failed = [0] * nthreads
ready = threading.Barrier(nthreads + 1)


def run(i):
    s = socket.create_connection(("127.0.0.1", port))
    f = s.makefile("rwb", buffering=0)
    ready.wait()
    while not os.path.exists(stop):
        try:
            f.write(b"HIT\n")
            if f.readline() == b"OK\n":
                ok[i] += 1
            else:
                failed[i] += 1
        except OSError:
            failed[i] += 1
            time.sleep(0.01)
    s.close()


threads = [threading.Thread(target=run, args=(i,)) for i in range(nthreads)]
for t in threads:
    t.start()
ready.wait()
print("running", file=sys.stderr, flush=True)
for t in threads:
    t.join()
print("hits=%d failed=%d" % (sum(ok), sum(failed)), flush=True)
sys.exit(1 if sum(failed) else 0)
