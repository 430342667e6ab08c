#!/usr/bin/env python3
"""`make demo-server`: the loopback server example end to end on the MicroPython unix port.

The board side is examples/tcp_server_loopback.py under `micropython` (listening on
127.0.0.1 only, with a 1.5 s idle timeout so that the demo need not wait a minute); the
PC side is examples/pc_loopback_client.py. Script, about 10 s: three clients at once echo
20 messages each; a storm of 12 connects against the 4 the board serves (4 served, the
others turned away at once); a client that says nothing loses its slot; Ctrl-C.

    python3 tools/loopback_demo.py [--check] [--lib DIR]
    --check: exit 1 unless every step happened; --lib: import wiznet_net from DIR only.
"""
import os
import socket
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "examples"))
sys.path.insert(0, os.path.join(ROOT, "tools"))
from demo import Board, Steps, free_port, micropython_path, say  # noqa: E402
from pc_loopback_client import echo_clients, storm  # noqa: E402

IDLE_MS = 1500


def silent_client(port, log):
    """Connect, say nothing; how long until the board closed the connection (s), or None."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    t = time.monotonic()
    s.settimeout(IDLE_MS / 1000 * 4)
    try:
        data = s.recv(16)
    except OSError:
        data = None
    finally:
        s.close()
    took = time.monotonic() - t
    log("silent client: closed by the board after %.1f s" % took if data == b"" else "silent client: %r" % (data,))
    return took if data == b"" else None


def run(check, lib):
    port = free_port()
    step = Steps()

    def pc(text):
        say("pc", text)

    board = Board(micropython_path(), port, lib, "tcp_server_loopback.py",
                  PORT=str(port), BIND="127.0.0.1", IDLE_TIMEOUT_MS=str(IDLE_MS))
    try:
        if step(board.wait_for("Listening on 127.0.0.1:%d" % port, 10), "the board listens on 127.0.0.1:%d" % port):
            step(echo_clients("127.0.0.1", port, clients=3, messages=20, size=200, log=pc) == 60,
                 "3 clients at once: 60 messages echoed whole")
            result = storm("127.0.0.1", port, 12, timeout=15, log=pc)
            step(len(result["served"]) == 4 and len(result["rejected"]) == 8 and not result["unanswered"],
                 "a storm of 12 connects: 4 served, 8 turned away at once, none left hanging")
            took = silent_client(port, pc)
            step(took is not None and IDLE_MS / 1000 * 0.8 < took < IDLE_MS / 1000 * 3,
                 "a silent client loses its slot after the idle timeout (%d ms)" % IDLE_MS)
            step(echo_clients("127.0.0.1", port, clients=4, messages=3, log=pc) == 12,
                 "afterwards all 4 slots serve again")
    finally:
        code = board.interrupt()
    step(code == 0 and any(line.startswith("Stopped:") for line in board.lines), "Ctrl-C: the board closes and exits")
    step(any("timeout in recv" in line for line in board.lines), "the board said why it dropped the silent client")
    return step.result(check)


if __name__ == "__main__":
    args = sys.argv[1:]
    lib = args[args.index("--lib") + 1] if "--lib" in args else ROOT
    sys.exit(run("--check" in args, os.path.abspath(lib)))
