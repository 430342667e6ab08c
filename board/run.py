#!/usr/bin/env python3
"""Run the board suite (or the board bench) in a network namespace of its own.

    sudo python3 board/run.py                # the board tests (make board-test)
    sudo python3 board/run.py --bench        # the board benchmark (make board-bench)
    sudo python3 board/run.py -- CMD ARGS    # any command inside a fresh namespace

Needs root (network namespaces, a TAP device, nftables), node (the emulator, installed
by `make board-sim`), dnsmasq and nft. Makes a namespace named wznb-<pid> holding a TAP
device tap0 with 192.168.77.1/24 - the board's link; the board, dnsmasq and every peer
run inside it, so no address exists outside it. At the end, also on failure or a signal,
every process left in the namespace is ended by its id and the namespace deleted. At the
start, namespaces of earlier runs whose process is gone are removed the same way.
"""
import atexit
import os
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PREFIX = "wznb-"
TOTAL_TIMEOUT_S = int(os.environ.get("BOARD_TIMEOUT_S", "1500"))  # whole suite, bounded


def sh(*cmd, check=True):
    return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=30)


def namespaces():
    out = sh("ip", "netns", "list", check=False).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def remove(ns):
    """End every process in `ns` (by pid; they were started by a run of this script),
    then delete the namespace."""
    for _ in range(3):
        pids = [int(p) for p in sh("ip", "netns", "pids", ns, check=False).stdout.split()]
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGTERM if _ == 0 else signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.5)
    sh("ip", "netns", "del", ns, check=False)


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def clean_stale():
    for ns in namespaces():
        if ns.startswith(PREFIX) and ns[len(PREFIX) :].isdigit() and not alive(int(ns[len(PREFIX) :])):
            print("board: removing stale namespace", ns, flush=True)
            remove(ns)


def create(ns):
    sh("ip", "netns", "add", ns)
    sh("ip", "-n", ns, "link", "set", "lo", "up")
    sh("ip", "-n", ns, "tuntap", "add", "dev", "tap0", "mode", "tap")
    sh("ip", "-n", ns, "addr", "add", "192.168.77.1/24", "dev", "tap0")
    sh("ip", "-n", ns, "link", "set", "tap0", "up")


def preflight():
    problems = []
    if os.geteuid() != 0:
        problems.append("needs root (network namespace, TAP device, nftables)")
    for tool, hint in (("ip", "iproute2"), ("node", "Node.js 18+"), ("dnsmasq", "apt-get install dnsmasq-base"), ("nft", "apt-get install nftables")):
        if shutil.which(tool) is None:
            problems.append("%s not found (%s)" % (tool, hint))
    if not os.path.isdir(os.path.join(HERE, "sim", "node_modules", "rp2040js")):
        problems.append("the emulator is not installed: make board-sim (npm ci in board/sim)")
    if problems:
        sys.exit("board: cannot run:\n  " + "\n  ".join(problems))


def main(argv):
    preflight()
    clean_stale()
    ns = PREFIX + str(os.getpid())
    done = []

    def teardown():
        if not done:
            done.append(1)
            remove(ns)

    atexit.register(teardown)
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(sig, lambda *_: sys.exit(130))
    if "--" in argv:
        cmd = argv[argv.index("--") + 1 :]
    elif "--bench" in argv:
        cmd = [sys.executable, os.path.join(HERE, "bench.py")] + [a for a in argv if a != "--bench"]
    else:
        cmd = [sys.executable, "-m", "unittest", "discover", "-s", os.path.join(HERE, "tests"), "-v"] + argv
    env = dict(os.environ, PYTHONPATH=HERE, PYTHONUNBUFFERED="1")
    env.setdefault("BOARD_RUN_DIR", os.path.join(ROOT, "build", "board"))
    t0 = time.monotonic()
    try:
        create(ns)
        proc = subprocess.Popen(["ip", "netns", "exec", ns] + cmd, cwd=ROOT, env=env)
        try:
            rc = proc.wait(TOTAL_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            print("board: the run took longer than %d s: stopped" % TOTAL_TIMEOUT_S, flush=True)
            proc.kill()
            proc.wait(10)
            rc = 3
    finally:
        teardown()
    print("board: %s in %.0f s (namespace %s removed)" % ("passed" if rc == 0 else "FAILED (%d)" % rc, time.monotonic() - t0, ns), flush=True)
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
