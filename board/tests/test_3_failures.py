"""Scenario 3: failures as lwIP on the real firmware reports them - the raw errno of each
situation and what wiznet_net.classify() makes of it, then the same situations through
ReconnectingTCPClient. The tables are written to build/board/errno-table.txt and
client-failures.txt (docs/board.rst quotes them)."""
import os
import time

from boardcase import BoardCase
from harness import HOST_IP, RUN_DIR, FaultPeer, SynBlock

REFUSED_PORT = 9100  # nothing listens there
BLOCKED_PORT = 9200  # SYNs to it are dropped in the namespace (nftables)

# Each probe: a situation, the phase classify() is told, and code that raises.
PROBES = r"""
import socket, time, errno
from wiznet_net import classify
HOST = "%(host)s"
rows = []
def probe(situation, phase, fn):
    t = time.ticks_ms()
    try:
        got = fn()
        rows.append((situation, phase, None, "no error", repr(got), time.ticks_diff(time.ticks_ms(), t)))
    except OSError as e:
        f = classify(e, phase)
        rows.append((situation, phase, f.errno, f.kind, repr(e), time.ticks_diff(time.ticks_ms(), t)))

def connect(port, timeout=None):
    s = socket.socket()
    if timeout is not None:
        s.settimeout(timeout)
    try:
        s.connect((HOST, port))
    finally:
        s.close()
probe("connect refused (nothing listens)", "connect", lambda: connect(%(refused)d))
probe("connect refused, settimeout(5)", "connect", lambda: connect(%(refused)d, 5))
probe("connect timeout (SYNs dropped), settimeout(3)", "connect", lambda: connect(%(blocked)d, 3))

def open_to(mode):
    ctl.send(("mode %%s\n" %% mode).encode()); ctl.recv(200)
    s = socket.socket()
    s.settimeout(5)
    s.connect((HOST, %(data)d))
    return s
ctl = socket.socket(); ctl.connect((HOST, %(control)d))

def recv_after_reset():
    s = open_to("reset")
    try:
        time.sleep_ms(300)
        s.recv(100)
    finally:
        s.close()
probe("recv after the peer's RST", "recv", recv_after_reset)

def send_after_reset():
    s = open_to("reset")
    try:
        time.sleep_ms(300)
        for i in range(5):
            s.send(b"x" * 100)
            time.sleep_ms(100)
    finally:
        s.close()
probe("send after the peer's RST", "send", send_after_reset)

def recv_after_close():
    s = open_to("close")
    try:
        time.sleep_ms(300)
        return s.recv(100)
    finally:
        s.close()
probe("recv after the peer's FIN", "recv", recv_after_close)

def recv_timeout():
    s = open_to("silent")
    try:
        s.settimeout(1)
        s.recv(100)
    finally:
        s.close()
probe("recv timeout, settimeout(1), silent peer", "recv", recv_timeout)

def recv_nonblocking():
    s = open_to("silent")
    try:
        s.setblocking(False)
        s.recv(100)
    finally:
        s.close()
probe("recv non-blocking, no data", "recv", recv_nonblocking)

def use_after_close():
    s = open_to("serve")
    s.close()
    s.send(b"x")
probe("send on a socket closed locally", "send", use_after_close)

def dns():
    socket.getaddrinfo("board-test.invalid", 80)
probe("getaddrinfo, no DNS server", "dns", dns)

def no_route():
    cfg = eth.ifconfig()
    eth.ifconfig((cfg[0], cfg[1], "0.0.0.0", cfg[3]))
    try:
        s = socket.socket()
        s.settimeout(3)
        try:
            s.connect(("10.9.9.9", 80))
        finally:
            s.close()
    finally:
        eth.ifconfig(cfg)
probe("connect, no route (no gateway)", "connect", no_route)
ctl.close()
for r in rows:
    print("RESULT", r)
"""

# The same situations through the client: the Failure it reports.
CLIENT = r"""
from wiznet_net import Backoff, ReconnectingTCPClient, Failure
import time
class Handler:
    def __init__(self):
        self.failures = []
    def on_disconnect(self, c, f):
        self.failures.append(("disconnect", f and f.kind, f and f.phase, f and f.errno))
        c.stop()
    def on_connect_failed(self, c, f, retry):
        self.failures.append(("connect_failed", f.kind, f.phase, f.errno))
def outcome(port, **kw):
    h = Handler()
    c = ReconnectingTCPClient("%(host)s", port, h, max_attempts=1, backoff=Backoff(initial_ms=100), **kw)
    try:
        c.run()
    except Failure:
        pass
    c.stop()
    return h.failures[0] if h.failures else None
ctl = __import__("socket").socket(); ctl.connect(("%(host)s", %(control)d))
def mode(m):
    ctl.send(("mode %%s\n" %% m).encode()); ctl.recv(200)
print("RESULT", ("refused", outcome(%(refused)d)))
print("RESULT", ("connect timeout", outcome(%(blocked)d, connect_timeout_ms=2000)))
mode("reset")
print("RESULT", ("peer reset", outcome(%(data)d)))
mode("close")
print("RESULT", ("peer closed", outcome(%(data)d)))
mode("silent")
print("RESULT", ("half-open peer, idle_timeout_ms=1500", outcome(%(data)d, idle_timeout_ms=1500)))
mode("serve")
ctl.close()
"""


class Failures(BoardCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.peer = cls.block = None
        try:
            cls.peer = FaultPeer(9000, 9001)
            cls.block = SynBlock(BLOCKED_PORT)
        except BaseException:
            cls.tearDownClass()
            raise
        cls.up_done = False

    @classmethod
    def tearDownClass(cls):
        if cls.block is not None:
            cls.block.remove()
        if cls.peer is not None:
            cls.peer.stop()
        super().tearDownClass()

    def setUp(self):
        if not Failures.up_done:
            self.up()
            Failures.up_done = True

    def params(self):
        return {"host": HOST_IP, "refused": REFUSED_PORT, "blocked": BLOCKED_PORT, "data": 9000, "control": 9001}

    def test_raw_errno_and_classify(self):
        r = self.board.run(PROBES % self.params(), timeout=120)
        rows = {row[0]: row for row in r.results}
        kinds = {k: v[3] for k, v in rows.items()}
        codes = {k: v[2] for k, v in rows.items()}
        with open(os.path.join(RUN_DIR, "errno-table.txt"), "w") as f:
            f.write("situation | classify phase | errno | kind | exception | board ms\n")
            for row in r.results:
                f.write(" | ".join(str(x) for x in row) + "\n")
        # What the real firmware says, and that classify() reads it right.
        self.assertEqual((codes["connect refused (nothing listens)"], kinds["connect refused (nothing listens)"]), (104, "refused"))
        self.assertEqual(kinds["connect refused, settimeout(5)"], "refused")
        self.assertEqual((codes["connect timeout (SYNs dropped), settimeout(3)"], kinds["connect timeout (SYNs dropped), settimeout(3)"]), (110, "timeout"))
        self.assertEqual((codes["recv after the peer's RST"], kinds["recv after the peer's RST"]), (104, "reset"))
        self.assertIn(kinds["send after the peer's RST"], ("reset", "closed"))
        self.assertEqual(rows["recv after the peer's FIN"][3:5], ("no error", "b''"), "a clean close is recv() == b''")
        self.assertEqual((codes["recv timeout, settimeout(1), silent peer"], kinds["recv timeout, settimeout(1), silent peer"]), (110, "timeout"))
        self.assertEqual(codes["recv non-blocking, no data"], 11)
        self.assertEqual((codes["send on a socket closed locally"], kinds["send on a socket closed locally"]), (9, "closed"))
        self.assertEqual(kinds["getaddrinfo, no DNS server"], "dns")
        # lwIP sends the SYN to its default interface even without a gateway; nothing
        # answers, so this is a timeout (110), not EHOSTUNREACH (113), on this firmware.
        self.assertEqual((codes["connect, no route (no gateway)"], kinds["connect, no route (no gateway)"]), (110, "timeout"))

    def test_client_reports_each_failure_by_kind(self):
        r = self.board.run(CLIENT % self.params(), timeout=120)
        got = dict(r.results)
        with open(os.path.join(RUN_DIR, "client-failures.txt"), "w") as f:
            f.write("ReconnectingTCPClient: situation | (callback, kind, phase, errno)\n")
            for k, v in r.results:
                f.write("%s | %s\n" % (k, v))
        self.assertEqual(got["refused"], ("connect_failed", "refused", "connect", 104))
        self.assertEqual(got["connect timeout"], ("connect_failed", "timeout", "connect", 110))
        self.assertEqual(got["peer reset"][:3], ("disconnect", "reset", "recv"))
        self.assertEqual(got["peer closed"], ("disconnect", None, None, None))
        self.assertEqual(got["half-open peer, idle_timeout_ms=1500"], ("disconnect", "timeout", "recv", 110))
