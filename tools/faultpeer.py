#!/usr/bin/env python3
"""A TCP server that misbehaves on command, for testing clients against real faults.

    python3 tools/faultpeer.py --port 9000 --control 9001 [--host 127.0.0.1]
                               [--tls-cert cert.pem --tls-key key.pem [--tls-timeout S]]

The data port is what the client under test connects to. The control port takes one
command per line and answers one line of JSON. By hand: `nc 127.0.0.1 9001`, then e.g.
`mode reset`. Modes apply to every connection accepted from then on:

  serve                  accept, record what arrives, send only what `send` says (default)
  reset                  accept, then abort at once with a RST (SO_LINGER 0)
  close                  accept, then close cleanly at once (FIN)
  silent                 accept, then neither read nor send: a black hole / half-open peer
  drip N MS              send N pattern bytes, one every MS milliseconds, then stay
  flood N                send N pattern bytes as fast as the client takes them
  cut SIZE SENT          announce a SIZE-byte frame (2-byte big-endian length), send
                         SENT bytes of it, close: a frame cut in the middle
  lie SIZE               announce a SIZE-byte frame and send nothing more
  delay MS               accept only MS milliseconds after the client connected
  hello-close            (TLS) read the client's first handshake bytes, then close: a
                         server restarting in the middle of the handshake
  half-record            (TLS) read them, send half of a handshake record, then close

Other commands:

  down | up | restart    close the listener (connects are refused) / listen again on a new
                         socket / both; down and restart also close every connection
  send TEXT              send TEXT (\\n and \\r escapes allowed) on every open connection
  sendhex HEX            the same, in hex
  stats                  {"accepts", "open", "received", "sent", "listening", "mode"}
  received               {"data": what the newest connection sent, as latin-1 text}
  quit

The pattern byte at stream offset i is i % 251 (a prime: a lost or repeated chunk shows).
With --tls-cert/--tls-key every accepted connection speaks TLS (handshake on accept; a
client that rejects the certificate counts in stats "tls_failures").
"""
import argparse
import json
import select
import selectors
import socket
import ssl
import struct
import time

_WOULD_BLOCK = (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError)


def pattern(offset, n):
    return bytes((offset + i) % 251 for i in range(n))


class Conn:
    def __init__(self, sock, mode, args):
        self.sock = sock
        self.mode = mode
        self.args = args
        self.received = bytearray()
        self.offset = 0  # pattern bytes sent
        self.outq = b""
        self.next_drip = 0.0


class FaultPeer:
    def __init__(self, host, port, control_port, tls=None, tls_timeout=5):
        self.tls = tls  # an ssl.SSLContext for the server side, or None
        self.tls_timeout = tls_timeout  # seconds the handshake on accept may take
        self.tls_failures = 0
        self.host = host
        self.port = port
        self.sel = selectors.DefaultSelector()
        self.listener = None
        self.conns = []
        self.waiting_since = None  # "delay": when a connection started waiting
        self.mode = "serve"
        self.args = []
        self.accepts = 0
        self.received = 0
        self.sent = 0
        self.last = None
        self.running = True
        ctl = socket.socket()
        ctl.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ctl.bind((host, control_port))
        ctl.listen(4)
        self.sel.register(ctl, selectors.EVENT_READ, ("control-listener", None))
        self.up()

    # -- listener -------------------------------------------------------------------

    def up(self):
        if self.listener is None:
            ls = socket.socket()
            ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            ls.bind((self.host, self.port))
            ls.listen(16)
            ls.setblocking(False)
            self.listener = ls
            self._watch_listener()

    def _watch_listener(self):
        # In "delay" mode the loop polls the listener itself; otherwise the selector does.
        if self.listener is None:
            return
        try:
            self.sel.unregister(self.listener)
        except (KeyError, ValueError):
            pass
        if self.mode != "delay":
            self.sel.register(self.listener, selectors.EVENT_READ, ("listener", None))

    def down(self):
        if self.listener is not None:
            try:
                self.sel.unregister(self.listener)
            except (KeyError, ValueError):
                pass
            self.listener.close()
            self.listener = None
        for c in list(self.conns):
            self.drop(c)

    def _accept_now(self):
        try:
            sock, _ = self.listener.accept()
        except (OSError, AttributeError):
            return
        self.accepts += 1
        if self.mode in ("hello-close", "half-record"):
            self._cut_handshake(sock)
            return
        if self.tls is not None and self.mode not in ("reset", "close", "silent"):
            try:
                sock.settimeout(self.tls_timeout)
                sock = self.tls.wrap_socket(sock, server_side=True)
            except (OSError, ssl.SSLError):
                self.tls_failures += 1
                sock.close()
                return
        sock.setblocking(False)
        c = Conn(sock, self.mode, list(self.args))
        self.last = c
        if c.mode == "reset":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
            return
        if c.mode == "close":
            sock.close()
            return
        self.conns.append(c)
        if c.mode == "silent":
            return  # never registered: nothing is read, nothing sent
        if c.mode == "cut":
            size, sent = int(c.args[0]), int(c.args[1])
            c.outq = struct.pack(">H", size) + pattern(0, sent)
        elif c.mode == "lie":
            c.outq = struct.pack(">H", int(c.args[0]))
        self.sel.register(sock, selectors.EVENT_READ, ("conn", c))
        self.flush(c)

    def _cut_handshake(self, sock):
        sock.settimeout(2)
        try:
            sock.recv(4096)  # the ClientHello
            if self.mode == "half-record":
                # a TLS handshake record header announcing 256 bytes, then 20 of them
                sock.sendall(b"\x16\x03\x03\x01\x00" + b"\x02" * 20)
        except OSError:
            pass
        sock.close()

    def drop(self, c, rst=False):
        if c in self.conns:
            self.conns.remove(c)
        try:
            self.sel.unregister(c.sock)
        except (KeyError, ValueError):
            pass
        if rst:
            c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        c.sock.close()

    # -- data -----------------------------------------------------------------------

    def readable(self, c):
        try:
            data = c.sock.recv(65536)
        except _WOULD_BLOCK:
            return
        except OSError:
            data = b""
        if not data:
            self.drop(c)
            return
        c.received += data
        self.received += len(data)
        if self.tls is not None and c.sock.pending():
            self.readable(c)  # TLS may hold decrypted bytes the selector cannot see

    def flush(self, c):
        """Send what is due on c without blocking; True while more is to come."""
        if c.mode == "flood" and not c.outq:
            left = int(c.args[0]) - c.offset
            if left > 0:
                c.outq = pattern(c.offset, min(left, 65536))
        elif c.mode == "drip" and not c.outq:
            if c.offset < int(c.args[0]) and time.monotonic() >= c.next_drip:
                c.outq = pattern(c.offset, 1)
                c.next_drip = time.monotonic() + int(c.args[1]) / 1000
        if c.outq:
            try:
                n = c.sock.send(c.outq)
            except _WOULD_BLOCK:
                n = 0
            except OSError:
                self.drop(c)
                return False
            if c.mode in ("flood", "drip"):
                c.offset += n
            c.outq = c.outq[n:]
            self.sent += n
            if not c.outq and c.mode == "cut":
                self.drop(c)
                return False
        if c.mode == "flood":
            return c.offset < int(c.args[0]) or bool(c.outq)
        if c.mode == "drip":
            return c.offset < int(c.args[0])
        return bool(c.outq)

    # -- control --------------------------------------------------------------------

    def command(self, line):
        words = line.split()
        if not words:
            return {"ok": False, "error": "empty command"}
        op, rest = words[0], words[1:]
        if op == "mode":
            self.mode, self.args = rest[0], rest[1:]
            self._watch_listener()
        elif op == "down":
            self.down()
        elif op == "up":
            self.up()
        elif op == "restart":
            self.down()
            self.up()
        elif op in ("send", "sendhex"):
            text = line.split(None, 1)[1] if len(words) > 1 else ""
            data = bytes.fromhex(text) if op == "sendhex" else text.replace("\\n", "\n").replace("\\r", "\r").encode()
            for c in self.conns:
                if c.mode != "silent":
                    c.outq += data
                    self.flush(c)
            return {"ok": True, "to": len([c for c in self.conns if c.mode != "silent"])}
        elif op == "stats":
            return {
                "ok": True,
                "accepts": self.accepts,
                "open": len(self.conns),
                "received": self.received,
                "sent": self.sent,
                "listening": self.listener is not None,
                "mode": self.mode,
                "tls_failures": self.tls_failures,
            }
        elif op == "received":
            data = bytes(self.last.received) if self.last else b""
            return {"ok": True, "data": data.decode("latin-1")}
        elif op == "quit":
            self.running = False
        else:
            return {"ok": False, "error": "unknown command %r" % op}
        return {"ok": True}

    def control(self, sock, state):
        try:
            data = sock.recv(4096)
        except OSError:
            data = b""
        if not data:
            self.sel.unregister(sock)
            sock.close()
            return
        state["buf"] += data
        while b"\n" in state["buf"]:
            line, state["buf"] = state["buf"].split(b"\n", 1)
            reply = self.command(line.decode().strip())
            sock.sendall((json.dumps(reply) + "\n").encode())

    # -- loop -----------------------------------------------------------------------

    def loop(self):
        while self.running:
            busy = [c for c in self.conns if c.mode in ("flood", "drip") or c.outq]
            for key, _ in self.sel.select(0.002 if busy or self.mode == "delay" else 0.05):
                kind, obj = key.data
                if kind == "control-listener":
                    sock, _ = key.fileobj.accept()
                    self.sel.register(sock, selectors.EVENT_READ, ("control", {"buf": b""}))
                elif kind == "control":
                    self.control(key.fileobj, obj)
                elif kind == "listener":
                    self._accept_now()
                elif kind == "conn":
                    self.readable(obj)
            if self.mode == "delay":
                self._delayed_accept()
            for c in busy:
                if c in self.conns:
                    self.flush(c)

    def _delayed_accept(self):
        # The kernel has completed the handshake; accept() waits until the delay passed.
        if self.listener is None or not select.select([self.listener], [], [], 0)[0]:
            self.waiting_since = None
            return
        now = time.monotonic()
        if self.waiting_since is None:
            self.waiting_since = now
        elif now - self.waiting_since >= int(self.args[0]) / 1000:
            self.waiting_since = None
            self._accept_now()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True, help="data port (the client connects here)")
    ap.add_argument("--control", type=int, required=True, help="control port")
    ap.add_argument("--tls-cert", help="PEM certificate: speak TLS on the data port")
    ap.add_argument("--tls-key", help="PEM private key for --tls-cert")
    ap.add_argument("--tls-timeout", type=float, default=5, help="seconds a TLS handshake may take (a slow client: more)")
    args = ap.parse_args()
    tls = None
    if args.tls_cert:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(args.tls_cert, args.tls_key)
    peer = FaultPeer(args.host, args.port, args.control, tls, args.tls_timeout)
    try:
        peer.loop()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
