# Shared test tools: a loopback peer the test drives step by step, a fake clock, a
# handler that records what it saw, socket counting. The fake board modules (network,
# machine) are in fake_board.py, the chip-stack socket in fake_chipstack.py. Every wait
# here is bounded.
import os
import socket
import struct
import sys
import time

import unittest

LOOPBACK = "127.0.0.1"
_here = __file__.rsplit("/", 1)[0] if "/" in __file__ else "."
ROOT = _here.rsplit("/", 1)[0] if "/" in _here else "."  # the checkout, as tests/run.py finds it
TICKS_MASK = time.ticks_add(0, -1)  # the port's ticks period minus one (2**30 - 1 on boards)


def addr(port):
    return socket.getaddrinfo(LOOPBACK, port)[0][-1]


def listen(backlog=4):
    """A listening socket on 127.0.0.1 and its port. MicroPython sockets have no
    getsockname(), so ports are tried at random until one binds."""
    for _ in range(100):
        port = 20000 + int.from_bytes(os.urandom(2), "big") % 30000
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(addr(port))
            s.listen(backlog)
            return s, port
        except OSError:
            s.close()
    raise AssertionError("no free port on 127.0.0.1 after 100 tries")


def closed_port():
    """A port on 127.0.0.1 where nothing listens: a connect there is refused."""
    s, port = listen()
    s.close()
    return port


def open_fds():
    """How many file descriptors (sockets included) this process holds now."""
    return len(os.listdir("/proc/self/fd"))


class SocketTestCase(unittest.TestCase):
    """A test that ends with as many descriptors open as it began with: the client and
    the peer it made (self.client, self.peer) are stopped and closed first."""

    def setUp(self):
        self.fds = open_fds()
        self.peer = None
        self.client = None

    def tearDown(self):
        if self.client is not None:
            self.client.stop()
        if self.peer is not None:
            self.peer.close()
        self.assertEqual(open_fds(), self.fds)


def raises(exc_type, fn, *args, **kwargs):
    """Call fn; return the exception of exc_type it raised (unittest 0.4 has no cm.exception)."""
    try:
        fn(*args, **kwargs)
    except exc_type as e:
        return e
    raise AssertionError("%s not raised by %r" % (exc_type.__name__, fn))


def poll_until(client, cond, steps=200, step_ms=10):
    """poll() the client until cond() holds, at most `steps` times."""
    for _ in range(steps):
        if cond():
            return
        client.poll(step_ms)
    if not cond():
        raise AssertionError("condition not reached after %d polls" % steps)


class Peer:
    """The PC-side server of the tutorial, on loopback, driven by the test itself:
    the kernel completes a client's connect into the backlog, so no thread is needed."""

    def __init__(self, backlog=4):
        self.listener, self.port = listen(backlog)
        self.conn = None

    def accept(self, timeout_ms=2000):
        self.close_conn()  # one connection at a time
        self.listener.settimeout(timeout_ms / 1000)
        self.conn, _ = self.listener.accept()
        self.conn.settimeout(2)
        return self.conn

    def send(self, data):
        self.conn.sendall(data)

    def recv_exactly(self, n, timeout_ms=2000):
        self.conn.settimeout(timeout_ms / 1000)
        got = b""
        for _ in range(n):  # at least one byte per read, so n reads at most
            if len(got) >= n:
                break
            chunk = self.conn.recv(n - len(got))
            if not chunk:
                break
            got += chunk
        return got

    def reset(self):
        """Abort the connection: SO_LINGER 0 makes close() send a RST."""
        self.conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_conn()

    def close_conn(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def close(self):
        self.close_conn()
        if self.listener is not None:
            self.listener.close()
            self.listener = None


PYTHON = os.getenv("PYTHON") or "python3"


def port_open(port):
    s = socket.socket()
    try:
        s.connect(addr(port))
        return True
    except OSError:
        return False
    finally:
        s.close()


class Background:
    """A command run in the background (a CPython helper), stopped by stop().
    Waits up to 5 s until it listens on `port`."""

    def __init__(self, name, command, port):
        os.system("mkdir -p %s/build/run" % ROOT)
        self.pidfile = "%s/build/run/%s.pid" % (ROOT, name)
        self.log = "%s/build/run/%s.log" % (ROOT, name)
        os.system("%s > %s 2>&1 & echo $! > %s" % (command, self.log, self.pidfile))
        for _ in range(100):
            if port_open(port):
                return
            time.sleep_ms(50)
        self.stop()
        raise AssertionError("%s did not start; see %s" % (name, self.log))

    def stop(self):
        os.system("kill $(cat %s) 2>/dev/null; sleep 0.05" % self.pidfile)


class FaultPeer:
    """tools/faultpeer.py in the background: a server that misbehaves on command."""

    def __init__(self, tls_cert=None, tls_key=None):
        self.port = closed_port()
        control = closed_port()
        tls = " --tls-cert %s --tls-key %s" % (tls_cert, tls_key) if tls_cert else ""
        self.process = Background(
            "faultpeer",
            "%s %s/tools/faultpeer.py --port %d --control %d%s" % (PYTHON, ROOT, self.port, control, tls),
            control,
        )
        self.ctl = socket.socket()
        self.ctl.connect(addr(control))
        self.ctl.settimeout(5)

    def cmd(self, line):
        import json

        self.ctl.send((line + "\n").encode())
        reply = b""
        for _ in range(1000):  # one JSON line
            chunk = self.ctl.recv(4096)
            if not chunk:
                break
            reply += chunk
            if reply.endswith(b"\n"):
                break
        result = json.loads(reply)
        if not result.get("ok"):
            raise AssertionError("faultpeer: %r -> %r" % (line, result))
        return result

    def stats(self):
        return self.cmd("stats")

    def received(self):
        return self.cmd("received")["data"].encode()

    def close(self):
        try:
            self.cmd("quit")
        except (OSError, AssertionError, ValueError):
            pass
        self.ctl.close()
        self.process.stop()


class FakeClock:
    """Time that moves only when slept: backoff waits cost nothing and are recorded.
    Starts just before the ticks wraparound, so the client's ticks arithmetic
    is exercised across it."""

    def __init__(self, start=TICKS_MASK - 500, record=True):
        self.now = start
        self.sleeps = [] if record else None

    def ticks_ms(self):
        return self.now & TICKS_MASK

    def sleep_ms(self, ms):
        if self.sleeps is not None:
            self.sleeps.append(ms)
        self.now += ms

    def advance(self, ms):
        self.now += ms


class Recorder:
    """A handler that records every call; optionally echoes like the tutorial."""

    def __init__(self, echo=False):
        self.events = []
        self.data = b""
        self.echo = echo

    def on_connecting(self, client):
        self.events.append(("connecting",))

    def on_connect(self, client):
        self.events.append(("connect",))

    def on_data(self, client, data):
        self.data += bytes(data)
        self.events.append(("data", bytes(data)))
        if self.echo:
            client.send(b"Client echo: " + data)

    def on_disconnect(self, client, failure):
        self.events.append(("disconnect", failure and failure.kind))
        self.last_disconnect = failure

    def on_connect_failed(self, client, failure, retry_in_ms):
        self.events.append(("failed", failure.kind, retry_in_ms))
        self.last_failed = failure

    def named(self, name):
        return [e for e in self.events if e[0] == name]


def lcg(seed=12345):
    """A deterministic rand() for Backoff: floats in [0, 1)."""
    state = [seed]

    def rand():
        state[0] = (state[0] * 1103515245 + 12345) & 0x7FFFFFFF
        return state[0] / 0x80000000

    return rand


class Quiet:
    """Swallow print() output of the code under test (nic() prints progress)."""

    def __enter__(self):
        import builtins

        self._print = builtins.print
        self.lines = []
        builtins.print = lambda *a, **k: self.lines.append(" ".join(str(x) for x in a))
        return self

    def __exit__(self, *exc):
        import builtins

        builtins.print = self._print
        return False


def micropython_only(why):
    """Skip under CPython (the coverage run): `why` names what CPython lacks."""
    if sys.implementation.name != "micropython":
        raise unittest.SkipTest("MicroPython only: " + why)


# For run_fresh(): code that makes a loopback server (srv, port) and defines fragment(),
# which fills the heap with 500-byte blocks and frees every other one - a heap with
# plenty free but no contiguous 1 KiB (keep what it returns while it should last);
# poll_without_room(client), one poll() on such a heap, saying whether a MemoryError
# escaped it; deliver_without_room(client, data, seen), which connects the client, has
# the peer send data and prints what that poll() did; QUEUED, messages to queue in an
# Outbox(4096), and drained(client, box), what is left of them and what the peer got.
FRAGMENTED_HEAP = """
import gc, socket, time
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
for port in range(31000, 31100):
    try:
        srv.bind(socket.getaddrinfo("127.0.0.1", port)[0][-1])
        break
    except OSError:
        pass
srv.listen(1)
def fragment():
    gc.collect()
    keep = [None] * (gc.mem_free() // 500 + 16)  # made first: a list that grew would leave holes
    small = [None] * 4096  # for the gaps the 500-byte blocks leave: next to a freed block
    for blocks, size in ((keep, 500), (small, 1)):  # one, they would make a hole of 1 KiB
        try:
            for i in range(len(blocks)):
                blocks[i] = bytearray(size)
        except MemoryError:
            pass
    for i in range(0, len(keep), 2):
        keep[i] = None
    gc.collect()
    return keep, small
def poll_without_room(client):
    keep = fragment()
    try:
        client.poll(100)
        result = "escaped: none"
    except MemoryError:
        result = "escaped: MemoryError"
    keep = None
    gc.collect()
    return result
def deliver_without_room(client, data, seen):
    client.poll(0)
    conn, _ = srv.accept()
    conn.send(data)
    time.sleep_ms(50)
    result = poll_without_room(client)
    f = client.stats["last_failure"]
    print(result, "connected", client.connected, "seen", [getattr(x, "kind", x) for x in seen],
          "kind", f and f.kind, "retryable", f and f.retryable)
    conn.close()
# into an Outbox(4096): the third drops the first and wraps round the end of the ring
QUEUED = (b"a" * 1000, b"y" * 2000, b"z" * 2000, b"x" * 10)
def drained(client, box):
    conn, _ = srv.accept()
    conn.settimeout(2)
    got = b""
    for _ in range(100):
        try:
            chunk = conn.recv(8192)
        except OSError:  # nothing came
            break
        got += chunk
        if not chunk or len(got) >= 4010:
            break
    conn.close()
    return "queued %d dropped %d peer got %s" % (len(box), client.stats["dropped"], got == b"".join(QUEUED[1:]))
"""


def run_fresh(code, name):
    """Run `code` in a new MicroPython interpreter and return (exit status, output): for
    what one process has loaded already (memory, sys.modules). It runs in /tmp, outside
    the checkout, so wiznet_net comes from $WIZNET_NET_LIB or the checkout alone."""

    def absolute(path):
        return path if path.startswith("/") else os.getcwd() + "/" + path

    root = absolute(ROOT)
    lib = absolute(os.getenv("WIZNET_NET_LIB") or ROOT)
    micropython = os.getenv("MICROPYTHON") or sys.executable
    base = "%s/build/run/%s" % (root, name)
    os.system("mkdir -p %s/build/run; rm -f %s.out" % (root, base))
    with open(base + ".py", "w") as f:
        f.write(code)
    status = os.system("cd /tmp && MICROPYPATH=%s:.frozen %s %s.py > %s.out 2>&1" % (lib, micropython, base, base))
    with open(base + ".out") as f:
        return status, f.read().strip()
