#!/usr/bin/env python3
"""A recovery timeline: what the client does while its server is down, up, away, back.

    python3 tools/outage.py [--json FILE]

The board side is a ReconnectingTCPClient under $MICROPYTHON (default: the pinned unix
port in .venv, else `micropython`) that prints every handler call; the PC side is
examples/pc_server.py, which this script starts and stops on a schedule:

    0.0 s  server down (the board starts and is refused)
    1.0 s  server up; "hello" once the board is connected
    3.0 s  server gone (an outage of 5 s)
    8.0 s  server back; "hello again" once the board is connected
   10.0 s  Ctrl-C to the board

Backoff(initial_ms=250, factor=2, max_ms=2000, jitter=0): the delays are the same on
every run, so the picture in the manual (docs/measured.py) is too. Every time is taken
on this side, when a line arrives. Prints the timeline; --json writes it. Exits 1 when
the board did not echo both messages or did not stop cleanly.
"""
import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "examples"))
from pc_server import PCServer  # noqa: E402

BOARD = r"""
import sys
from wiznet_net import Backoff, ReconnectingTCPClient


class Log:
    def on_connecting(self, client):
        print("connecting")

    def on_connect(self, client):
        print("connected")

    def on_data(self, client, data):
        client.send(b"Client echo: " + data)
        print("echoed", len(data))

    def on_disconnect(self, client, failure):
        print("disconnected", failure.kind if failure else "clean")

    def on_connect_failed(self, client, failure, retry_in_ms):
        print("failed", failure.kind, retry_in_ms)


client = ReconnectingTCPClient("127.0.0.1", int(sys.argv[1]), Log(),
                               backoff=Backoff(initial_ms=250, factor=2, max_ms=2000, jitter=0))
try:
    client.run()
except KeyboardInterrupt:
    client.stop()
    print("stopped")
"""

SCHEDULE = ((0.0, "down"), (1.0, "up"), (3.0, "down"), (8.0, "up"), (10.0, "end"))


def micropython():
    pinned = os.path.join(ROOT, ".venv", "bin", "micropython")
    return os.environ.get("MICROPYTHON") or (pinned if os.path.exists(pinned) else "micropython")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run():
    """{"server": [[t, "up"|"down"|"end"]], "board": [[t, event, *details]]}, t in s."""
    port = free_port()
    events = []
    server_log = []
    start = time.monotonic()

    def now():
        return round(time.monotonic() - start, 3)

    with tempfile.TemporaryDirectory() as tmp:
        script = os.path.join(tmp, "outage_board.py")
        with open(script, "w") as f:
            f.write(BOARD)
        board = subprocess.Popen(
            [micropython(), script, str(port)],
            env=dict(os.environ, MICROPYPATH=ROOT + ":.frozen"),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1, cwd=tmp,
        )

        def read():
            for line in board.stdout:
                events.append([now()] + line.split())

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        server = None
        try:
            for at, what in SCHEDULE:
                time.sleep(max(0.0, at - (time.monotonic() - start)))
                server_log.append([now(), what])
                if what == "up":
                    server = PCServer("127.0.0.1", port, log=lambda msg: None)
                    server.start()
                    server.wait(lambda: server.clients, 3)
                    server.send_all(b"hello" if at < 5 else b"hello again")
                elif server is not None:
                    server.stop()
                    server = None
        finally:
            if board.poll() is None:
                board.send_signal(signal.SIGINT)
            try:
                board.wait(5)
            except subprocess.TimeoutExpired:
                board.kill()
                board.wait(5)
            reader.join(5)
            if server is not None:
                server.stop()
    return {"server": server_log, "board": events}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--json", help="write the timeline here")
    args = ap.parse_args()
    timeline = run()
    rows = [(t, "server", what) for t, what in timeline["server"]]
    rows += [(e[0], "board", " ".join(e[1:])) for e in timeline["board"]]
    for t, who, what in sorted(rows, key=lambda r: r[0]):
        print("%6.3f s  %-6s %s" % (t, who, what))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(timeline, f)
    names = [e[1] for e in timeline["board"]]
    return 0 if names.count("echoed") == 2 and names[-1:] == ["stopped"] else 1


if __name__ == "__main__":
    sys.exit(main())
