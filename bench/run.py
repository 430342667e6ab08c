#!/usr/bin/env python3
"""`make bench`: wiznet_net against the tutorial's raw loop and a hand-written ceiling.

Benchmarks, not tests: nothing here passes or fails. The PC side (this script, CPython)
plays the peer; the board side (bench/clients.py) runs under $MICROPYTHON over loopback.
Each figure is compared with a baseline from the same run and reported as a ratio,
because this machine is shared and noisy; absolute numbers are context only.

    python3 bench/run.py [--quick]     # prints one Markdown table, also to build/bench.md
"""
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "examples"))
MICROPYTHON = os.environ.get("MICROPYTHON", "micropython")
if os.sep in MICROPYTHON:  # a path: keep it valid where the measurements change directory
    MICROPYTHON = os.path.abspath(MICROPYTHON)
QUICK = "--quick" in sys.argv
# The board side gets the heap of a board (an RP2040 has about 190 KB free), not the unix
# port's 2 MB: allocation costs in MicroPython grow with the heap it has to search.
HEAP = "-X", "heapsize=192K"
CLIENTS = os.path.join(ROOT, "bench", "clients.py")
# The board-side loops (bench/clients.py): the tutorial's, the library's plain and
# zero-copy paths, and the fastest one written by hand.
VARIANTS = ("raw", "lib", "lib0", "ceiling")


def listener():
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(4)
    return ls, ls.getsockname()[1]


# With two CPUs or more, the peer (this process) and the board side each get one of
# their own: less noise from the scheduler moving them about.
PIN = hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) >= 2
if PIN:
    os.sched_setaffinity(0, {0})


def _pin_client():
    os.sched_setaffinity(0, {1})


def start_client(variant, mode, port, *extra, lib=None, wrap=()):
    env = dict(os.environ, MICROPYPATH=(lib or ROOT) + ":.frozen")
    args = [*wrap, MICROPYTHON, *HEAP, CLIENTS, variant, mode, str(port)] + [str(x) for x in extra]
    return subprocess.Popen(
        args,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=_pin_client if PIN else None,
    )


def finish(proc, timeout=30):
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    return out


# -- 1. echo throughput ------------------------------------------------------------------


def stream(variant, chunk, total, window=8, wrap=()):
    ls, port = listener()
    proc = start_client(variant, "echo", port, 1024, wrap=wrap)
    ls.settimeout(10)
    conn, _ = ls.accept()
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    payload = (bytes(range(256)) * (chunk // 256 + 1))[:chunk]
    sent = got = 0
    t0 = time.perf_counter()
    while got < total:
        while sent < total and sent - got < window * chunk:
            conn.sendall(payload)
            sent += chunk
        data = conn.recv(65536)
        if not data:
            raise SystemExit("bench: %s closed early: %s" % (variant, finish(proc)))
        got += len(data)
    seconds = time.perf_counter() - t0
    conn.close()
    ls.close()
    out = finish(proc, 120)
    if wrap:
        return out
    return total / seconds / 1e6


def throughput():
    rows = []
    for chunk, total in ((64, 1 << 20), (1024, 8 << 20), (8192, 16 << 20)):
        if QUICK:
            total //= 8
        runs = {v: [] for v in VARIANTS}
        for _ in range(2 if QUICK else 5):  # interleaved, so drift hits every variant alike
            for v in VARIANTS:
                runs[v].append(stream(v, chunk, total))
        # the best of the runs: what each loop can do when the machine lets it
        mb = {v: max(runs[v]) for v in VARIANTS}
        rows.append((chunk, mb))
    return rows


# -- 2. latency, 3. allocation per message ------------------------------------------------


def pingpong(variant, count, size=32, mode="echo"):
    ls, port = listener()
    proc = start_client(variant, mode, port, 1024)
    ls.settimeout(10)
    conn, _ = ls.accept()
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    msg = b"m" * size
    rtts = []
    for _ in range(count):
        t0 = time.perf_counter_ns()
        conn.sendall(msg)
        got = 0
        while got < size:
            data = conn.recv(size - got)
            if not data:
                raise SystemExit("bench: %s closed early: %s" % (variant, finish(proc)))
            got += len(data)
        rtts.append(time.perf_counter_ns() - t0)
    conn.close()
    ls.close()
    out = finish(proc)
    rtts.sort()
    alloc = [tuple(float(x) for x in line.split()[1:]) for line in out.splitlines() if line.startswith("ALLOC")]
    return rtts[len(rtts) // 2] / 1000, rtts[int(len(rtts) * 0.99)] / 1000, alloc[0] if alloc else None


def latency():
    n = 2000 if QUICK else 10000
    runs = {v: [] for v in ("raw", "lib", "ceiling")}
    for _ in range(3):  # interleaved; the run with the lowest median counts for each
        for v in runs:
            runs[v].append(pingpong(v, n)[:2])
    return {v: min(r) for v, r in runs.items()}


def allocation():
    return {v: pingpong(v, 1300, mode="alloc")[2] for v in VARIANTS}


# -- 4. footprint ---------------------------------------------------------------------------


def example_runs(heap_kb, lib, micropython=None):
    """Does examples/tcp_client_echo.py echo within a heap of heap_kb KiB?"""
    from pc_server import PCServer

    ls, port = listener()
    ls.close()
    server = PCServer("127.0.0.1", port, log=lambda msg: None)
    server.start()
    env = dict(os.environ, PC_IP="127.0.0.1", PC_PORT=str(port), MICROPYPATH=lib + ":.frozen")
    with tempfile.TemporaryDirectory() as empty:
        proc = subprocess.Popen(
            [micropython or MICROPYTHON, "-X", "heapsize=%dK" % heap_kb, os.path.join(ROOT, "examples", "tcp_client_echo.py")],
            env=env,
            cwd=empty,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        ok = server.wait(lambda: server.clients, 5)
        if ok:
            server.send_all(b"hello")
            ok = server.wait(lambda: any(b"Client echo: hello" in r for _, r in server.replies), 5)
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        finish(proc, 5)
    server.stop()
    return ok


def smallest_example_heap(lib, micropython=None):
    lo, hi = 8, 256
    if not example_runs(hi, lib, micropython):
        return None
    while hi - lo > 2:
        mid = (lo + hi) // 2
        if example_runs(mid, lib, micropython):
            hi = mid
        else:
            lo = mid
    return hi


def footprint():
    import footprint as fp

    rows = []
    for label, lib, micropython in fp.rows():
        retained, import_heap, client, _ = fp.measure(lib, micropython)
        with tempfile.TemporaryDirectory() as empty:  # frozen: nothing to import from
            rows.append((label, retained, import_heap, client, smallest_example_heap(lib or empty, micropython)))
    return rows


# -- 5. recovery ------------------------------------------------------------------------------


def recovery_trial(variant, down_ms, backoff=None):
    ls, port = listener()
    ls.close()  # nothing listens: every attempt is refused
    extra = [1024] + ([backoff] if backoff else [])
    proc = start_client(variant, "recovery", port, *extra)
    time.sleep(down_ms / 1000)
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(1)
    up = time.monotonic() * 1000  # the same clock as MicroPython's ticks_ms on Linux
    ls.settimeout(10)
    conn, _ = ls.accept()
    conn.sendall(b"hello")
    conn.settimeout(5)
    conn.recv(16)
    echoed = time.monotonic() * 1000
    conn.close()
    ls.close()
    out = finish(proc, 10)
    attempts = [int(line.split()[1]) for line in out.splitlines() if line.startswith("attempt")]
    after = [a for a in attempts if a >= up]
    before = [a for a in attempts if a < up]
    due = (after[0] - up) if after else 0.0  # how long the schedule still had to wait
    in_force = (after[0] - before[-1]) if after and before else None
    return echoed - up, due, in_force


def recovery():
    downs = (900, 2300, 3700) if QUICK else (700, 1500, 2300, 3100, 3900, 4700)
    configs = (
        ("tutorial: fixed 2 s", "raw", None),
        ("library, Backoff(100, 2, 2000)", "lib", "100,2,2000"),
        ("library, Backoff() = (500, 2, 30000)", "lib", "500,2,30000"),
    )
    rows = []
    for label, variant, backoff in configs:
        trials = [recovery_trial(variant, d, backoff) for d in downs]
        rec = statistics.median(t[0] for t in trials)
        over = [(t[0] - t[1]) / t[2] for t in trials if t[2]]
        rows.append((label, rec, statistics.median(t[1] for t in trials), statistics.median(over) if over else None))
    return rows


# -- 6. interpreter work, counted -------------------------------------------------------------

CALLGRIND_DIR = os.path.join(ROOT, "build", "callgrind")


def callgrind(variant, chunk, n):
    """Run the board side under callgrind; its profile stays in build/callgrind/ (for
    section 7 and for callgrind_annotate by hand). Returns the instructions counted."""
    os.makedirs(CALLGRIND_DIR, exist_ok=True)
    path = os.path.join(CALLGRIND_DIR, "%s-%d-%d.out" % (variant, chunk, n))
    out = stream(variant, chunk, n, wrap=("valgrind", "--tool=callgrind", "--callgrind-out-file=" + path))
    for line in out.splitlines():
        if "Collected :" in line:
            return int(line.split(":")[-1])
    raise SystemExit("bench: no instruction count from valgrind: %s" % out[-500:])


def instructions(variant, chunk, total):
    """User-space instructions the board side executes to echo `total` bytes, less those
    of a run that echoes nothing: counted by callgrind, so the same figure every run
    whatever else the machine does (system calls count as one instruction each)."""
    return (callgrind(variant, chunk, total) - callgrind(variant, chunk, 0)) / (total / 1024)


def interpreter_work():
    if not shutil.which("valgrind"):
        return None
    total = 64 << 10 if QUICK else 256 << 10
    return total, [(chunk, {v: instructions(v, chunk, total) for v in VARIANTS})
                   for chunk in (64, 1024, 8192)]


# Section 7 sorts the interpreter's functions into what they do for a message.
WORK = (
    ("allocating and collecting (gc_*)", lambda f: f.startswith("gc_")),
    ("hashing each new bytes object (qstr_compute_hash)", lambda f: f == "qstr_compute_hash"),
    ("everything else: bytecode, lookups, calls, copies, system calls", lambda f: True),
)


def self_costs(path):
    """{function: instructions spent in it} from a callgrind profile."""
    out = subprocess.run(["callgrind_annotate", "--threshold=100", path], capture_output=True, text=True).stdout
    costs = {}
    for line in out.splitlines():  # "4,857,327 ( 6.14%)  /path/file.c:function [object]"
        m = re.match(r"\s*([\d,]+) \(\s*[\d.]+%\)\s+(\S+)", line)
        if m and ":" in m.group(2):
            name = m.group(2).rsplit(":", 1)[1]
            costs[name] = costs.get(name, 0) + int(m.group(1).replace(",", ""))
    return costs


def where_it_goes(total, chunk=1024):
    """Instructions per KiB by kind of work, from section 6's profiles at `chunk`."""
    if not shutil.which("callgrind_annotate"):
        return None
    rows = {label: {} for label, _ in WORK}
    for v in VARIANTS:
        full = self_costs(os.path.join(CALLGRIND_DIR, "%s-%d-%d.out" % (v, chunk, total)))
        empty = self_costs(os.path.join(CALLGRIND_DIR, "%s-%d-0.out" % (v, chunk)))
        for name in set(full) | set(empty):
            cost = full.get(name, 0) - empty.get(name, 0)
            for label, match in WORK:
                if match(name):
                    rows[label][v] = rows[label].get(v, 0) + cost / (total / 1024)
                    break
    return rows


# -- the table --------------------------------------------------------------------------------


def main():
    lines = []

    def out(text=""):
        print(text, flush=True)
        lines.append(text)

    machine = "%s, %s, Python %s, %d CPUs" % (platform.machine(), platform.system(), platform.python_version(), os.cpu_count())
    out("Machine: %s; MicroPython: %s" % (machine, subprocess.run(
        [MICROPYTHON, "-c", "import sys; print(sys.version)"], capture_output=True, text=True).stdout.strip()))
    out()
    out("| 1. Echo throughput (1 KiB buffers, 8 chunks in flight, best of %d) |" % (2 if QUICK else 5) + " raw MB/s | library MB/s | zero-copy MB/s | ceiling MB/s | library / raw | library / ceiling | zero-copy / ceiling |")
    out("|---|---:|---:|---:|---:|---:|---:|---:|")
    for chunk, mb in throughput():
        out("| %d B chunks | %.1f | %.1f | %.1f | %.1f | %.2f | %.2f | %.2f |" % (
            chunk, mb["raw"], mb["lib"], mb["lib0"], mb["ceiling"],
            mb["lib"] / mb["raw"], mb["lib"] / mb["ceiling"], mb["lib0"] / mb["ceiling"]))
    out()
    lat = latency()
    out("| 2. Round trip, 32 B, lockstep (best of 3 runs of %d) | median us | p99 us | median vs raw |" % (2000 if QUICK else 10000))
    out("|---|---:|---:|---:|")
    for v, name in (("raw", "raw loop"), ("lib", "library"), ("ceiling", "ceiling")):
        out("| %s | %.0f | %.0f | %.2f |" % (name, lat[v][0], lat[v][1], lat[v][0] / lat["raw"][0]))
    out()
    alloc = allocation()
    out("| 3. Heap allocated per message (32 B, gc off) | bytes kept | bytes allocated, freed again included |")
    out("|---|---:|---:|")
    for v, name in (("raw", "raw loop: recv(1024) / send"), ("lib", "library, on_data (bytes)"),
                    ("lib0", "library, on_data_into + send(buf, n)"), ("ceiling", "ceiling")):
        out("| %s | %s |" % (name, "%.1f | %.1f" % alloc[v] if alloc[v] is not None else "? | ?"))
    out()
    out("| 4. Footprint | retained by import | smallest heap to import | one client | smallest heap for the echo example |")
    out("|---|---:|---:|---:|---:|")
    for label, retained, import_heap, client, example in footprint():
        out("| %s | %d B | %s | %d B | %s |" % (
            label, retained, "%d KiB" % (import_heap // 1024) if import_heap else "?", client,
            "%d KiB" % example if example else "?"))
    out()
    out("| 5. Recovery: server back -> first byte echoed | median ms | median wait still due | median (recovery - due) / delay in force |")
    out("|---|---:|---:|---:|")
    for label, rec, due, over in recovery():
        out("| %s | %.0f | %.0f | %s |" % (label, rec, due, "%.1f %%" % (over * 100) if over is not None else "-"))
    out()
    work = interpreter_work()
    if work is None:
        out("6. Instructions per KiB echoed: skipped (valgrind is not installed)")
    else:
        total, counts = work
        out("| 6. Instructions per KiB echoed (callgrind; deterministic) | raw | library | zero-copy | ceiling | library / raw | zero-copy / ceiling |")
        out("|---|---:|---:|---:|---:|---:|---:|")
        for chunk, ins in counts:
            out("| %d B chunks | %.0f | %.0f | %.0f | %.0f | %.2f | %.2f |" % (
                chunk, ins["raw"], ins["lib"], ins["lib0"], ins["ceiling"],
                ins["lib"] / ins["raw"], ins["lib0"] / ins["ceiling"]))
        rows = where_it_goes(total)
        if rows:
            out()
            out("| 7. Where the instructions per KiB go (1024 B chunks, from section 6) | raw | library | zero-copy | ceiling |")
            out("|---|---:|---:|---:|---:|")
            for label, _ in WORK:
                out("| %s | %s |" % (label, " | ".join("%.0f" % rows[label].get(v, 0) for v in VARIANTS)))
    os.makedirs(os.path.join(ROOT, "build"), exist_ok=True)
    with open(os.path.join(ROOT, "build", "bench.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
