#!/usr/bin/env python3
"""The PC side of the loopback server example: clients that connect to the board, send,
and check that every byte comes back. Plain CPython 3 on Linux, macOS or Windows.

    python3 examples/pc_loopback_client.py 192.168.1.20                # 3 clients, 5 messages each
    python3 examples/pc_loopback_client.py 192.168.1.20 --clients 4 --messages 100 --size 512
    python3 examples/pc_loopback_client.py 192.168.1.20 --storm 100    # a burst of connects

A storm opens that many connections at once and keeps them open, then asks each for an
echo: "served" ones answer, "rejected" ones were closed by the board at once (past its
max_clients), "unanswered" ones never got through (the board's stack had no slot left
for them and dropped their SYNs, or it was too slow for --timeout).
"""
import argparse
import os
import selectors
import socket
import sys
import time


def _recv_exactly(s, n):
    got = b""
    while len(got) < n:
        chunk = s.recv(n - len(got))
        if not chunk:
            break
        got += chunk
    return got


def echo_clients(host, port, clients=3, messages=5, size=64, timeout=10, log=print):
    """`clients` connections at once, each sending `messages` messages of `size` bytes
    in turn and reading each back. Returns the number of messages that came back whole."""
    socks = []
    ok = 0
    try:
        for i in range(clients):
            s = socket.create_connection((host, port), timeout=timeout)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            socks.append(s)
        for m in range(messages):
            sent = []
            for i, s in enumerate(socks):
                data = (b"client %d message %d " % (i, m) + os.urandom(size))[:size]
                s.sendall(data)
                sent.append(data)
            for i, s in enumerate(socks):
                back = _recv_exactly(s, len(sent[i]))
                if back == sent[i]:
                    ok += 1
                else:
                    log("client %d: message %d came back as %r" % (i, m, back[:40]))
    finally:
        for s in socks:
            s.close()
    log("%d clients x %d messages of %d bytes: %d came back whole" % (clients, messages, size, ok))
    return ok


def storm(host, port, n=100, timeout=10, hold=None, log=print):
    """Open n connections at once (non-blocking connects), then ask each for an echo.
    Returns {"served", "rejected", "unanswered"} (lists of client numbers). `hold`: a
    list that keeps the sockets open for the caller (else they are closed here)."""
    sel = selectors.DefaultSelector()
    socks = []
    state = {}
    for i in range(n):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex((host, port))
        socks.append(s)
        state[s] = "connecting"
        sel.register(s, selectors.EVENT_WRITE, i)
    deadline = time.monotonic() + timeout
    probe = b"?"
    while time.monotonic() < deadline and any(v in ("connecting", "probing") for v in state.values()):
        for key, ev in sel.select(0.05):
            s = key.fileobj
            if state[s] == "connecting":
                err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    state[s] = "unanswered"
                    sel.unregister(s)
                    continue
                try:
                    s.send(probe)
                except OSError:
                    state[s] = "rejected"
                    sel.unregister(s)
                    continue
                state[s] = "probing"
                sel.modify(s, selectors.EVENT_READ, key.data)
            else:
                try:
                    data = s.recv(16)
                except OSError:
                    data = b""
                state[s] = "served" if data == probe else "rejected"
                sel.unregister(s)
                if state[s] == "rejected":
                    # Closed at once, as a client should: left open, the board's side of
                    # it would wait in FIN_WAIT_2 and hold one of its few TCP slots.
                    s.close()
    result = {"served": [], "rejected": [], "unanswered": []}
    for i, s in enumerate(socks):
        v = state[s]
        result[v if v in result else "unanswered"].append(i)
    sel.close()
    if hold is None:
        for s in socks:
            s.close()
    else:
        hold.extend(s for s in socks if state[s] == "served")
        for s in socks:
            if state[s] != "served":
                s.close()
    log("storm of %d connects: %d served, %d rejected at once, %d unanswered" % (
        n, len(result["served"]), len(result["rejected"]), len(result["unanswered"])))
    return result


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("host", help="the board's IP address (it prints it at start)")
    ap.add_argument("--port", type=int, default=5000, help="the example's PORT (default 5000)")
    ap.add_argument("--clients", type=int, default=3, help="connections at once (the board serves 4)")
    ap.add_argument("--messages", type=int, default=5, help="messages per client")
    ap.add_argument("--size", type=int, default=64, help="bytes per message")
    ap.add_argument("--storm", type=int, metavar="N", help="instead: a burst of N connects at once")
    ap.add_argument("--timeout", type=float, default=10, help="seconds to wait for the board")
    args = ap.parse_args(argv)
    if args.storm:
        result = storm(args.host, args.port, args.storm, args.timeout)
        return 0 if result["served"] else 1
    ok = echo_clients(args.host, args.port, args.clients, args.messages, args.size, args.timeout)
    return 0 if ok == args.clients * args.messages else 1


if __name__ == "__main__":
    sys.exit(main())
