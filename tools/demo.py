#!/usr/bin/env python3
"""`make demo`: the echo example end to end on the MicroPython unix port.

The board side is examples/tcp_client_echo.py under `micropython` (the library falls back
to the host network); the PC side is examples/pc_server.py. Script, about 15 s:
server down at start (refusals, backoff), server up (hello -> Client echo: hello), an
outage (the server goes away), recovery (hello again), then Ctrl-C to the board.

    python3 tools/demo.py [--check] [--lib DIR] [--async]
    --check: exit 1 unless every step happened; --lib: import wiznet_net from DIR only
    (e.g. a folder mip installed into) instead of this checkout; --async: the asyncio
    example (examples/tcp_client_echo_async.py), whose heartbeat task must keep its
    one-second rhythm throughout.
"""
import os
import signal
import socket
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "examples"))
from pc_server import PCServer  # noqa: E402


_print_lock = threading.Lock()
BEATS = 6  # heartbeats the async example must print, each about 1000 ms after the last


def say(prefix, text):
    with _print_lock:  # the board reader, the server thread and the script all print
        print("%-5s | %s" % (prefix, text), flush=True)


class Steps:
    """The demo's checks: each step said as it happens, the failed ones summed up."""

    def __init__(self):
        self.failed = []

    def __call__(self, ok, what):
        say("demo", "%s %s" % ("ok:  " if ok else "FAIL:", what))
        if not ok:
            self.failed.append(what)
        return ok

    def result(self, check):
        """The exit status: 1 when a step failed and `check` asks for it."""
        if self.failed:
            say("demo", "%d step(s) failed: %s" % (len(self.failed), "; ".join(self.failed)))
            return 1 if check else 0
        say("demo", "every step passed")
        return 0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Board:
    """The example running under micropython, its output collected line by line."""

    def __init__(self, micropython, port, lib, example, **settings):
        env = dict(os.environ, PC_IP="127.0.0.1", PC_PORT=str(port), MICROPYPATH=lib + ":.frozen", **settings)
        self.lines = []
        self.proc = subprocess.Popen(
            [micropython, os.path.join(ROOT, "examples", example)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            line = line.rstrip("\n")
            self.lines.append(line)
            say("board", line)

    def wait_for(self, text, timeout_s, after=0):
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if any(text in line for line in self.lines[after:]):
                return True
            time.sleep(0.02)
        return False

    def interrupt(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(5)


def micropython_path():
    # $MICROPYTHON, else the pinned unix port `make demo` installed, else one on PATH
    pinned = os.path.join(ROOT, ".venv", "bin", "micropython")
    return os.environ.get("MICROPYTHON") or (pinned if os.path.exists(pinned) else "micropython")


def run(check, lib, example):
    micropython = micropython_path()
    port = free_port()
    step = Steps()

    say("demo", "board -> 127.0.0.1:%d; the server is down at first" % port)
    board = Board(micropython, port, lib, example)
    server = None
    try:
        step(board.wait_for("refused in connect", 10), "server down: the board reports 'refused' and backs off")
        time.sleep(1.0)
        server = PCServer("127.0.0.1", port, log=lambda msg: say("pc", msg))
        server.start()
        if step(server.wait(lambda: server.clients, 10), "server up: the board connects"):
            server.send_all(b"hello")
            step(
                server.wait(lambda: (b"Client echo: hello") in b"".join(r for _, r in server.replies), 5),
                "hello -> Client echo: hello",
            )
        say("demo", "outage: the server goes away for 3 s")
        mark = len(board.lines)
        server.stop()
        step(board.wait_for("refused in connect", 10, mark), "outage: the board notices and retries with backoff")
        time.sleep(3)
        server = PCServer("127.0.0.1", port, log=lambda msg: say("pc", msg))
        server.start()
        if step(server.wait(lambda: server.clients, 35), "server back: the board reconnects"):
            server.send_all(b"hello again")
            step(
                server.wait(lambda: b"Client echo: hello again" in b"".join(r for _, r in server.replies), 5),
                "hello again -> Client echo: hello again",
            )
        if example.endswith("_async.py"):
            # The script itself lasts about 6 s; let the heartbeat reach a count worth
            # judging before Ctrl-C, instead of counting on how fast the steps went.
            board.wait_for("heartbeat %d:" % BEATS, BEATS + 5)
    finally:
        code = board.interrupt()
        if server is not None:
            server.stop()
    step(code == 0 and any("Stopped" in line for line in board.lines), "Ctrl-C: the board closes and exits")
    gaps = [int(line.split(": ")[1].split()[0]) for line in board.lines if line.startswith("heartbeat")]
    if gaps:
        # asleep 1000 ms each time: anything far above means something blocked the loop
        step(len(gaps) >= BEATS and max(gaps) < 1500, "heartbeat kept its rhythm: %d beats, the longest gap %d ms"
             % (len(gaps), max(gaps)))
    return step.result(check)


if __name__ == "__main__":
    args = sys.argv[1:]
    lib = args[args.index("--lib") + 1] if "--lib" in args else ROOT
    example = "tcp_client_echo_async.py" if "--async" in args else "tcp_client_echo.py"
    sys.exit(run("--check" in args, os.path.abspath(lib), example))
