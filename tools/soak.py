#!/usr/bin/env python3
"""Heap and descriptors over a soak: connect / echo / disconnect, thousands of times.

    python3 tools/soak.py [--cycles 5000] [--every 100] [--json FILE]

The board side runs under $MICROPYTHON (default: the pinned unix port in .venv, else
`micropython`) with a board's heap (-X heapsize=192K); its peer is a listening socket in
the same process, so a cycle costs no thread or process switch and the run takes a few
seconds. Every `--every` cycles the board side collects garbage and reports the heap in
use (gc.mem_alloc()) and its open descriptors. Prints a table; --json writes the samples
for the manual's picture (docs/measured.py). Exits 1 when the heap grew by more than
512 bytes after the warm-up, or a descriptor was left open.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HEAP = "192K"  # about what an RP2040 has free

BOARD = r"""
import gc, os, socket, sys
from wiznet_net import Backoff, ReconnectingTCPClient

CYCLES, EVERY = int(sys.argv[1]), int(sys.argv[2])


def listen():
    for _ in range(100):  # MicroPython sockets have no getsockname(): try ports at random
        port = 20000 + int.from_bytes(os.urandom(2), "big") % 30000
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(socket.getaddrinfo("127.0.0.1", port)[0][-1])
            s.listen(8)
            return s, port
        except OSError:
            s.close()
    raise SystemExit("no free port")


def fds():
    return len(os.listdir("/proc/self/fd"))


def until(client, cond):
    for _ in range(1000):
        if cond():
            return
        client.poll(10)
    raise SystemExit("stuck")


class Echo:  # keeps nothing: whatever grows is the library's
    def on_data(self, client, data):
        client.send(b"Client echo: " + data)


listener, port = listen()
listener.settimeout(2)
client = ReconnectingTCPClient("127.0.0.1", port, Echo(), backoff=Backoff(initial_ms=1, max_ms=1))
for cycle in range(1, CYCLES + 1):
    until(client, lambda: client.connected)
    conn, _ = listener.accept()
    conn.settimeout(2)
    conn.send(b"x")
    until(client, lambda: client.stats["bytes_in"] >= cycle)
    echo = b""
    for _ in range(14):
        if len(echo) >= 14:
            break
        echo += conn.recv(14 - len(echo))
    if echo != b"Client echo: x":
        raise SystemExit("cycle %d: echo %r" % (cycle, echo))
    conn.close()
    until(client, lambda: not client.connected)
    if cycle % EVERY == 0:
        gc.collect()
        print("sample", cycle, gc.mem_alloc(), fds())
client.stop()
listener.close()
"""


def micropython():
    pinned = os.path.join(ROOT, ".venv", "bin", "micropython")
    return os.environ.get("MICROPYTHON") or (pinned if os.path.exists(pinned) else "micropython")


def soak(cycles, every):
    """[(cycle, heap bytes in use, open descriptors)] every `every` cycles."""
    with tempfile.TemporaryDirectory() as tmp:
        script = os.path.join(tmp, "soak_board.py")
        with open(script, "w") as f:
            f.write(BOARD)
        env = dict(os.environ, MICROPYPATH=ROOT + ":.frozen")
        out = subprocess.run(
            [micropython(), "-X", "heapsize=" + HEAP, script, str(cycles), str(every)],
            env=env, capture_output=True, text=True, timeout=300, cwd=tmp,
        )
    samples = [tuple(int(x) for x in line.split()[1:]) for line in out.stdout.splitlines() if line.startswith("sample ")]
    if out.returncode or len(samples) != cycles // every:
        raise SystemExit("soak: the board side failed (%d):\n%s%s" % (out.returncode, out.stdout, out.stderr))
    return samples


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cycles", type=int, default=5000)
    ap.add_argument("--every", type=int, default=100)
    ap.add_argument("--json", help="write the samples here")
    args = ap.parse_args()
    samples = soak(args.cycles, args.every)
    warm = samples[0]
    last = samples[-1]
    growth = last[1] - warm[1]
    print("| cycles | heap in use after warm-up | at the end | growth | descriptors after warm-up | at the end |")
    print("|---:|---:|---:|---:|---:|---:|")
    print("| %d | %d B | %d B | %d B | %d | %d |" % (last[0], warm[1], last[1], growth, warm[2], last[2]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"heap": HEAP, "every": args.every, "samples": samples}, f)
    return 1 if growth > 512 or last[2] != warm[2] else 0


if __name__ == "__main__":
    sys.exit(main())
