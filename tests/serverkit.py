# What the server tests (test_server.py, test_aioserver.py) share: clients on 127.0.0.1
# the test drives itself (the kernel completes their connects into the server's backlog,
# so no thread is needed), a handler that records what it heard, a listener that fails
# on command. Every wait is bounded.
import io
import socket
import struct
import time

from support import LOOPBACK, SocketTestCase, closed_port

_EAGAIN = 11


def addr(port):
    return socket.getaddrinfo(LOOPBACK, port)[0][-1]


class Log:
    """A server handler that records every call, one list for all connections; echoes
    what it gets unless told otherwise; keeps what each connection sent in conn.state."""

    def __init__(self, echo=True):
        self.events = []
        self.echo = echo
        self.conns = []

    def on_connect(self, conn):
        conn.state = b""
        self.conns.append(conn)
        self.events.append(("connect",))

    def on_data(self, conn, data):
        conn.state += data
        self.events.append(("data", bytes(data)))
        if self.echo:
            conn.send(data)

    def on_disconnect(self, conn, failure):
        self.conns.remove(conn)
        self.events.append(("disconnect", failure and (failure.kind, failure.phase)))
        self.last_failure = failure

    def named(self, name):
        return [e for e in self.events if e[0] == name]


class Clients:
    """Client sockets of one test, all closed by close()."""

    def __init__(self, port):
        self.port = port
        self.socks = []

    def dial(self, timeout=2):
        s = socket.socket()
        self.socks.append(s)
        s.settimeout(timeout)
        s.connect(addr(self.port))
        return s

    def dial_nowait(self):
        """Start a connect and return at once (a storm)."""
        s = socket.socket()
        self.socks.append(s)
        s.setblocking(False)
        try:
            s.connect(addr(self.port))
        except OSError as e:
            if e.args[0] != 115:  # EINPROGRESS
                raise
        return s

    def close(self):
        for s in self.socks:
            s.close()
        self.socks = []


def reset(s):
    """Abort a connection: SO_LINGER 0 makes close() send a RST."""
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


RESET = object()  # what take() returns for a connection reset


def take(s):
    """What a client socket has to read now: bytes, b'' at EOF, RESET, or None."""
    s.setblocking(False)
    try:
        return s.recv(65536)
    except OSError as e:
        return None if e.args[0] == _EAGAIN else RESET


class FlakyListener(io.IOBase):
    """Stands in for a server's listening socket: accept() raises what the test queued
    in `failures` (one per call), then does the real thing. Pollable: the unix port's
    poll asks its ioctl for the real socket's descriptor."""

    def __init__(self, real):
        self.real = real
        self.failures = []
        self.calls = 0

    def accept(self):
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return self.real.accept()

    def ioctl(self, request, arg):
        if request == 10:  # MP_STREAM_GET_FILENO
            return self.real.fileno()
        return -1

    def fileno(self):  # (CPython's poll, for the coverage run)
        return self.real.fileno()

    def close(self):
        self.real.close()


def flaky(server):
    """Put a FlakyListener in place of the server's listening socket; return it."""
    real = server._listener
    server._unwatch(real)
    proxy = FlakyListener(real)
    server._listener = proxy
    server._watch(proxy)
    return proxy


class ServerCase(SocketTestCase):
    """A test with a server (self.server) and clients (self.clients); at the end both
    are closed and as many descriptors are open as before."""

    def setUp(self):
        super().setUp()
        self.server = None
        self.clients = None

    def tearDown(self):
        if self.clients is not None:
            self.clients.close()
        if self.server is not None:
            self.server.stop()
        super().tearDown()

    def listen_on(self):
        self.port = closed_port()
        self.clients = Clients(self.port)
        return self.port


def wall_ms(fn, *args):
    t = time.ticks_ms()
    fn(*args)
    return time.ticks_diff(time.ticks_ms(), t)
