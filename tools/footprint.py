#!/usr/bin/env python3
"""Flash and RAM footprint of wiznet_net, as .py and as .mpy (run `make mpy` first).

    python3 tools/footprint.py            # prints Markdown tables

Measured on the MicroPython unix port named by $MICROPYTHON (default: micropython):
- flash: bytes per module file;
- retained: heap still in use after the import line of every blocking program
  (`from wiznet_net import nic, ReconnectingTCPClient, Backoff, classify`) and a
  gc.collect();
- import heap: the smallest `-X heapsize` (1 KiB steps) in which that import succeeds -
  what a board must have free to import it at all (compiling .py source costs extra);
- client: heap one ReconnectingTCPClient instance keeps (with its 1 KiB buffer);
- aio: what `import wiznet_net.aio` retains in a program that imports nothing else of
  wiznet_net (asyncio itself, which the firmware keeps frozen, is imported first and
  not counted).
The unix port is 64-bit: a 32-bit board (RP2040/RP2350) needs noticeably less for the same
objects (pointers are half the size). For a board's figures, build a 32-bit unix port with
tools/unix32.sh and run `make footprint32`: $MICROPYTHON is then that build, and
$MICROPYTHON_FROZEN the same build with wiznet_net frozen in (a third row, "frozen").
"""
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MICROPYTHON = os.environ.get("MICROPYTHON", "micropython")
if os.sep in MICROPYTHON:  # a path: keep it valid where the measurements change directory
    MICROPYTHON = os.path.abspath(MICROPYTHON)

IMPORT = "from wiznet_net import nic, ReconnectingTCPClient, Backoff, classify"

RETAINED = """
import gc
gc.collect(); a = gc.mem_alloc()
%s
gc.collect(); b = gc.mem_alloc()
class H: pass
c = ReconnectingTCPClient("127.0.0.1", 8082, H())
gc.collect(); d = gc.mem_alloc()
import wiznet_net
print(b - a, d - b, wiznet_net.__file__)
""" % IMPORT

AIO_ALONE = """
import gc
import asyncio
gc.collect(); a = gc.mem_alloc()
import wiznet_net.aio
gc.collect(); b = gc.mem_alloc()
print(b - a)
"""


def run(lib, code, heap=None, micropython=None):
    cmd = [micropython or MICROPYTHON]
    if heap:
        cmd += ["-X", "heapsize=%d" % heap]
    env = dict(os.environ, MICROPYPATH=lib + ":.frozen")
    # `-c` puts the current directory first on sys.path: run where no wiznet_net lies.
    with tempfile.TemporaryDirectory() as empty:
        return subprocess.run(cmd + ["-c", code], env=env, capture_output=True, text=True, cwd=empty)


def smallest_heap(lib, code, hi=256 * 1024, micropython=None):
    lo = 1024
    if run(lib, code, hi, micropython).returncode:
        return None
    while hi - lo > 1024:
        mid = (lo + hi) // 2 // 1024 * 1024
        if run(lib, code, mid, micropython).returncode == 0:
            hi = mid
        else:
            lo = mid
    return hi


def measure(lib, micropython=None):
    """lib: the folder to import wiznet_net from; None: the one frozen into `micropython`."""
    frozen = lib is None
    with tempfile.TemporaryDirectory() as empty:
        lib = empty if frozen else lib
        out = run(lib, RETAINED, micropython=micropython)
        if out.returncode:
            raise SystemExit("footprint: import failed from %s:\n%s%s" % (lib, out.stdout, out.stderr))
        retained, client, where = out.stdout.split()
        if where.startswith("/") if frozen else not where.startswith(lib):
            raise SystemExit("footprint: imported %s, not from %s" % (where, "the firmware" if frozen else lib))
        out = run(lib, AIO_ALONE, micropython=micropython)
        if out.returncode:
            raise SystemExit("footprint: import wiznet_net.aio failed from %s:\n%s%s" % (lib, out.stdout, out.stderr))
        aio = out.stdout.strip()
        heap = smallest_heap(lib, IMPORT, micropython=micropython)
    return int(retained), heap, int(client), int(aio)


def rows():
    """(label, lib, micropython) for each form of the library there is to measure."""
    mpy_lib = os.path.join(ROOT, "build", "mpy")
    found = [(".py", ROOT, None)]
    if os.path.isdir(os.path.join(mpy_lib, "wiznet_net")):
        found.append((".mpy", mpy_lib, None))
    if os.environ.get("MICROPYTHON_FROZEN"):
        found.append(("frozen", None, os.environ["MICROPYTHON_FROZEN"]))
    return found


def sizes(folder, ext):
    d = os.path.join(folder, "wiznet_net")
    return {n[: -len(ext)]: os.path.getsize(os.path.join(d, n)) for n in sorted(os.listdir(d)) if n.endswith(ext)}


def main():
    mpy_lib = os.path.join(ROOT, "build", "mpy")
    py_sizes = sizes(ROOT, ".py")
    mpy_sizes = sizes(mpy_lib, ".mpy") if os.path.isdir(mpy_lib) else {}
    print("| module | .py bytes | .mpy bytes |")
    print("|---|---:|---:|")
    for name, size in py_sizes.items():
        print("| %s | %d | %s |" % (name, size, mpy_sizes.get(name, "-")))
    print("| **total** | %d | %s |" % (sum(py_sizes.values()), sum(mpy_sizes.values()) or "-"))
    print()
    print("| as | retained by the import | smallest heap for the import | one client instance | `import wiznet_net.aio` alone |")
    print("|---|---:|---:|---:|---:|")
    for label, lib, micropython in rows():
        retained, heap, client, aio = measure(lib, micropython)
        print("| %s | %d B | %s | %d B | %d B |" % (
            label, retained, "%d KiB" % (heap // 1024) if heap else "?", client, aio))


if __name__ == "__main__":
    sys.exit(main())
