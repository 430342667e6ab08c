#!/usr/bin/env python3
"""`make board-bench`: footprint and speed of the library on the board firmware.

    make board-bench [BENCH_ARGS="--quick | --speed | --footprint"]

A benchmark, not a test: it prints figures (and writes build/board/bench.md). Runs inside
the namespace board/run.py makes. Every time here is *board time* - the RP2040's own
clock, measured on the board with time.ticks_us() - which the emulator keeps from running
ahead of the wall clock (it lags it when the emulated CPU is busy: the emulator runs the
CPU at roughly a sixth of a real RP2040's speed, so CPU-bound work shows slower than a
real board, idle waits as long).

1. Footprint: free heap used by `import wiznet_net` + the client classes, and by one
   client, for the .py and the .mpy library; the smallest free heap the echo example
   still echoes with (a ballast bytearray leaves only that much).
2. Speed: the tutorial's raw loop, the library's on_data and its zero-copy
   on_data_into + send(buf, n), in the same run against the same PC-side driver:
   round-trip time (32-byte ping-pong) and echo throughput (1024-byte chunks, one at a
   time and 8 in flight), both as the board sees them, and whether every byte came
   back (the tutorial's loop ignores what send() returns). Each loop with the driver
   built by nic() and by WIZNET5K() with no arguments (INTn on GP21): the same driver
   since nic() calls WIZNET5K() that way on this board (it used to build it without
   the interrupt pin, and every received frame waited for lwIP's 64 ms poll).
"""
import os
import socket
import sys
import time

from harness import HOST_IP, RUN_DIR, Board, Dhcp, example_source, fs_image

QUICK = "--quick" in sys.argv
PORT = 8091

BRINGUP = {
    "nic": 'from wiznet_net import nic\neth = nic("W5500-EVB-Pico", verbose=False)',
    "intn": "import network, time\neth = network.WIZNET5K()\neth.active(True)\neth.ipconfig(dhcp4=True)\n"
    "for _ in range(200):\n    if eth.isconnected(): break\n    time.sleep_ms(50)",
}

# The board side of the speed runs: each loop echoes until the PC closes, stamping the
# board clock at every read; prints STATS reads bytes first_us last_us.
ECHO = """
import socket, time, gc
ADDR = ("{host}", {port})
stamps = [0] * 5  # first us, last us, reads, bytes read, bytes the send calls took
def stamp(n):
    t = time.ticks_us()
    if stamps[0] == 0:
        stamps[0] = t
    stamps[1] = t
    stamps[2] += 1
    stamps[3] += n
VARIANT = "{variant}"
if VARIANT == "raw":
    # the tutorial's loop, minus its prints
    s = socket.socket()
    s.connect(ADDR)
    while True:
        data = s.recv(1024)
        if not data:
            break
        stamp(len(data))
        stamps[4] += s.send(data)  # the tutorial ignores what send() returns
    s.close()
else:
    from wiznet_net import ReconnectingTCPClient
    class Echo:
        def on_data(self, client, data):
            stamp(len(data))
            client.send(data)
            stamps[4] += len(data)
        def on_disconnect(self, client, failure):
            client.stop()
    class EchoInto:
        def on_data_into(self, client, buf, n):
            stamp(n)
            client.send(buf, n)
            stamps[4] += n
        def on_disconnect(self, client, failure):
            client.stop()
    ReconnectingTCPClient(ADDR[0], ADDR[1], EchoInto() if VARIANT == "lib0" else Echo()).run()
print("STATS", stamps[2], stamps[3], time.ticks_diff(stamps[1], stamps[0]), stamps[4])
"""


def drive(board, variant, mode, count, chunk, window=1):
    """Run one board loop against a PC-side driver; returns (reads, bytes read, board us,
    bytes the board's send calls took, bytes that came back to the PC). A loop that
    loses bytes leaves the PC waiting: after 15 s it stops waiting and closes."""
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((HOST_IP, PORT))
    ls.listen(1)
    ls.settimeout(60)
    board.start(ECHO.format(host=HOST_IP, port=PORT, variant=variant))
    try:
        conn, _ = ls.accept()
    finally:
        ls.close()
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    conn.settimeout(15)
    payload = (bytes(range(256)) * (chunk // 256 + 1))[:chunk]
    total = count * chunk
    sent = got = 0
    while got < total:
        while sent < total and sent - got < window * chunk:
            conn.sendall(payload)
            sent += chunk
        try:
            data = conn.recv(65536)
        except socket.timeout:
            break  # bytes were lost: they will never come back
        if not data:
            raise SystemExit("bench: the board closed early:\n" + board.finish(10).out)
        got += len(data)
    conn.close()
    r = board.finish(120)
    line = [x for x in r.out.splitlines() if x.startswith("STATS")]
    if not line:
        raise SystemExit("bench: no STATS from the board:\n%s\n%s" % (r.out, r.err))
    reads, nbytes, us, took = (int(x) for x in line[0].split()[1:])
    return reads, nbytes, us, took, got


def speed(rows):
    n_ping = 100 if QUICK else 300
    n_chunks = 32 if QUICK else 128
    for bringup in ("nic", "intn"):
        variants = ("raw", "lib", "lib0")
        fs, _ = fs_image("mpy")
        with Board(fs=fs, name="bench-speed-" + bringup) as b:
            b.raw()
            b.run(BRINGUP[bringup], timeout=60)
            for v in variants:
                reads, _, us, _, _ = drive(b, v, "ping", n_ping, 32)
                rtt_ms = us / max(1, reads - 1) / 1000
                _, nbytes, us2, _, _ = drive(b, v, "stream", n_chunks, 1024, window=1)
                kbs = nbytes / (us2 / 1e6) / 1024
                # 8 chunks in flight: the echo must come back whole
                _, nbytes8, us8, took8, back8 = drive(b, v, "stream", n_chunks, 1024, window=8)
                kbs8 = nbytes8 / (us8 / 1e6) / 1024
                lost = n_chunks * 1024 - back8
                rows.append((bringup, v, rtt_ms, kbs, kbs8, lost))
                print("speed %-5s %-5s rtt %.2f ms, echo %.1f KiB/s (1 in flight), %.1f KiB/s (8 in flight), %d bytes lost (send() took %d of %d)"
                      % (bringup, v, rtt_ms, kbs, kbs8, lost, took8, nbytes8), flush=True)


FOOT = """
import gc
from wiznet_net import nic
eth = nic("W5500-EVB-Pico", verbose=False)
del nic
gc.collect()
base = gc.mem_free()
import wiznet_net
from wiznet_net import ReconnectingTCPClient, Backoff
gc.collect()
imported = base - gc.mem_free()
class H:
    def on_data(self, c, d):
        c.send(d)
client = ReconnectingTCPClient("{host}", 8082, H(), nic=eth, backoff=Backoff())
gc.collect()
one = base - gc.mem_free()
print("RESULT", {{"total": gc.mem_free() + gc.mem_alloc(), "free_before": base, "import": imported, "client": one}})
"""

# The echo example with only `keep` bytes of free heap: a ballast takes the rest.
SQUEEZE = """
import gc
gc.collect()
_ballast = bytearray(max(0, gc.mem_free() - {keep}))
gc.collect()
print("FREE", gc.mem_free())
"""


def example_echoes(b, keep):
    from boardcase import EchoServer  # the tutorial's server (examples/pc_server.py)

    server = EchoServer()
    try:
        b.soft_reset()
        b.run(SQUEEZE.format(keep=keep), timeout=30)
        b.start(example_source("tcp_client_echo.py"))
        ok = False
        try:
            server.wait_clients(1, 40)
            ok = server.say("hello", timeout=20)
        except AssertionError:
            ok = False
        b.interrupt()
        try:
            b.finish(30)
        except AssertionError:
            b.in_raw = False
        return ok
    finally:
        server.stop()


def footprint(rows):
    for variant in ("py", "mpy"):
        fs, upload_s = fs_image(variant)
        with Board(fs=fs, name="bench-foot-" + variant) as b:
            b.raw()
            r = b.run(FOOT.format(host=HOST_IP), timeout=120).result
            lo, hi = 8 * 1024, 96 * 1024
            if not example_echoes(b, hi):
                smallest = None
            else:
                step = 4096 if QUICK else 1024
                while hi - lo > step:
                    mid = (lo + hi) // 2
                    if example_echoes(b, mid):
                        hi = mid
                    else:
                        lo = mid
                smallest = hi
        rows.append((variant, r, smallest))
        print("footprint %s: %r, the echo example echoes with %s bytes free" % (variant, r, smallest), flush=True)


def main():
    t0 = time.monotonic()
    dhcp = Dhcp()
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "tests"))
    foot, spd = [], []
    try:
        if "--speed" not in sys.argv:
            footprint(foot)
        if "--footprint" not in sys.argv:
            speed(spd)
    finally:
        dhcp.stop()
    lines = ["## Board figures (emulated W5500-EVB-Pico, MicroPython v1.29.0-preview, board time)", ""]
    if foot:
        lines += ["| library | heap total | import + classes | + one client | echo example needs free |", "|---|---|---|---|---|"]
    for variant, r, smallest in foot:
        lines.append(
            "| .%s | %d | %d | %d | %s |"
            % (variant, r["total"], r["import"], r["client"], "%d" % smallest if smallest else "more than 96 KiB")
        )
    if spd:
        lines += ["", "| bring-up | loop | round trip (ms) | echo, 1 KiB at a time (KiB/s) | 8 KiB in flight (KiB/s) | bytes lost |", "|---|---|---|---|---|---|"]
    names = {"raw": "tutorial's raw loop", "lib": "library on_data", "lib0": "library on_data_into + send(buf, n)"}
    for bringup, v, rtt, kbs, kbs8, lost in spd:
        label = "nic()" if bringup == "nic" else "WIZNET5K() (INTn on GP21)"
        lines.append("| %s | %s | %.2f | %.1f | %.1f | %d |" % (label, names[v], rtt, kbs, kbs8, lost))
    lines += ["", "wall time of the bench: %.0f s" % (time.monotonic() - t0)]
    text = "\n".join(lines) + "\n"
    print(text)
    with open(os.path.join(RUN_DIR, "bench.md"), "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
