#!/usr/bin/env python3
"""The PC side of the echo example: a TCP server for the board to connect to.

It replaces the tutorial's SocketTester and runs with plain CPython 3 on Linux, macOS or
Windows. Type a line and press Enter: it goes to every connected board (like
SocketTester's "Send to all"); replies are printed as they arrive.

    python3 examples/pc_server.py                  # listen on every interface, port 8082
    python3 examples/pc_server.py --port 9000
    python3 examples/pc_server.py --send hello     # send scripted lines, print the replies, exit
"""
import argparse
import selectors
import socket
import sys
import threading
import time


class PCServer:
    """A small multi-client TCP server; the demo and the tests drive it from Python."""

    def __init__(self, host="0.0.0.0", port=8082, log=print):
        self.host = host
        self.port = port
        self.log = log
        self.replies = []  # (peer, bytes) in arrival order
        self.connections = 0  # accepted so far
        self._clients = {}
        self._lock = threading.Lock()
        self._sel = None
        self._listener = None
        self._thread = None
        self._running = False

    def start(self):
        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind((self.host, self.port))
        ls.listen(4)
        ls.setblocking(False)
        self._listener = ls
        self._sel = selectors.DefaultSelector()
        self._sel.register(ls, selectors.EVENT_READ)
        self._running = True
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        self.log("Listening on %s:%d" % (self.host, self.port))

    def stop(self):
        """Close every connection and the listener: to the board, the server is gone."""
        self._running = False
        if self._thread is not None:
            self._thread.join(2)
        with self._lock:
            for conn in list(self._clients):
                conn.close()
            self._clients.clear()
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        if self._sel is not None:
            self._sel.close()
        self.log("Server stopped")

    def send_all(self, data):
        with self._lock:
            targets = list(self._clients.items())
        for conn, peer in targets:
            try:
                conn.sendall(data)
                self.log("Sent to %s: %r" % (peer, data))
            except OSError as e:
                self.log("Send to %s failed: %s" % (peer, e))
        return len(targets)

    def wait(self, condition, timeout_s):
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if condition():
                return True
            time.sleep(0.02)
        return condition()

    @property
    def clients(self):
        with self._lock:
            return len(self._clients)

    def _loop(self):
        while self._running:
            for key, _ in self._sel.select(0.1):
                if key.fileobj is self._listener:
                    self._accept()
                else:
                    self._receive(key.fileobj)

    def _accept(self):
        try:
            conn, addr = self._listener.accept()
        except OSError:
            return
        peer = "%s:%d" % addr[:2]
        conn.setblocking(False)
        with self._lock:
            self._clients[conn] = peer
            self.connections += 1
        self._sel.register(conn, selectors.EVENT_READ)
        self.log("Board connected from %s" % peer)

    def _receive(self, conn):
        peer = self._clients.get(conn, "?")
        try:
            data = conn.recv(4096)
        except OSError as e:
            data = b""
            self.log("Connection from %s failed: %s" % (peer, e))
        if data:
            self.replies.append((peer, data))
            self.log("Reply from %s: %r" % (peer, data))
            return
        self.log("Board %s disconnected" % peer)
        self._sel.unregister(conn)
        with self._lock:
            self._clients.pop(conn, None)
        conn.close()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", default="0.0.0.0", help="address to listen on (default: every interface)")
    ap.add_argument("--port", type=int, default=8082, help="port to listen on (the example's PC_PORT)")
    ap.add_argument("--send", action="append", help="send this line once a board is connected; repeatable")
    ap.add_argument("--wait", type=float, default=60, help="with --send: seconds to wait for a board")
    args = ap.parse_args(argv)
    server = PCServer(args.host, args.port)
    server.start()
    try:
        if args.send:
            if not server.wait(lambda: server.clients, args.wait):
                print("No board connected within %g s" % args.wait)
                return 1
            for line in args.send:
                before = len(server.replies)
                server.send_all(line.encode())
                server.wait(lambda: len(server.replies) > before, 5)
            return 0
        print("Type a line and press Enter to send it; Ctrl-C (Ctrl-Break on Windows) quits.")
        for line in sys.stdin:
            if not server.send_all(line.rstrip("\r\n").encode()):
                print("No board connected yet")
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
