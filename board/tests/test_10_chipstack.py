"""Scenario 10: the chip stack - MicroPython's rp2 firmware for W5500-EVB-Pico built
without lwIP (board/firmware/firmware-chipstack.bin: extmod/network_wiznet5k.c with
WIZNET5K_PROVIDED_STACK, sockets from extmod/modsocket.c over the ioLibrary's socket.c),
on the W5500 model's socket mode. What tests/fake_chipstack.py stands in for on the unix
port, here on the real driver.

The model carries each chip socket on a host socket bound to the chip's address, so for
this class 192.168.77.2 is an address of the namespace itself (on lo): every connection
stays inside the namespace. UDP goes on the wire as frames (the model's own ARP and
UDP/IPv4): the ioLibrary's DHCP client gets its lease from dnsmasq on tap0. For its
conflict check (a datagram to the leased address must draw no ARP reply) the namespace's
kernel must not answer ARP on tap0 for the address it holds on lo: arp_ignore=1 there
for the class. No DNS server answers (a lookup that succeeds is not covered)."""
import os
import socket
import struct
import unittest
import subprocess
import threading
import time

from boardcase import BoardCase, EchoServer
from harness import BOARD_IP, FIRMWARE_CHIPSTACK, HOST_IP, TAP, example_source, wait_until

PEER_PORT = 9310  # CommandPeer
ECHO_PORT = 8082  # examples/pc_server.py
CLOSED_PORT = 9319  # nothing listens

FIRST = """
import network
n = network.WIZNET5K()
R = {"status_inactive": n.status()}
n.active(True)
R["first"] = (n.ifconfig(), n.isconnected(), n.status())
print("RESULT", R)
"""

UP = """
from wiznet_net import nic
eth = nic("W5500-EVB-Pico", ip="%s", gateway="%s", timeout_ms=5000)
print("RESULT", {"ifconfig": eth.ifconfig(), "status": eth.status(), "lwip": hasattr(eth, "send_ethernet")})
""" % (BOARD_IP, HOST_IP)


class CommandPeer:
    """A TCP peer on the namespace's address. Per connection: b"FIN" -> a clean close,
    b"RST" -> a reset (SO_LINGER 0), anything else is echoed. Keeps every connection."""

    def __init__(self, port=PEER_PORT):
        self.srv = socket.socket()
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind((HOST_IP, port))
        self.srv.listen(16)
        self.srv.settimeout(0.2)
        self.conns = []
        self.accepted = 0
        self.got = b""
        self.running = True
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while self.running:
            try:
                c, _ = self.srv.accept()
            except OSError:
                continue
            self.accepted += 1
            self.conns.append(c)
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, c):
        try:
            while True:
                d = c.recv(4096)
                if not d:
                    return
                self.got += d
                if d == b"FIN":
                    c.close()
                    return
                if d == b"RST":
                    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    c.close()
                    return
                c.sendall(d)
        except OSError:
            return

    def stop(self):
        self.running = False
        self.thread.join(2)
        for c in self.conns:
            try:
                c.close()
            except OSError:
                pass
        self.srv.close()


# The driver's own behaviour, through plain sockets: what fake_chipstack.py claims.
PROBE = """
import socket, select, time
A = ("%s", %d)
R = {}
def errno_of(f):
    try:
        f()
        return None
    except OSError as e:
        return e.errno
def readable(s, ms):
    p = select.poll()
    p.register(s, select.POLLIN)
    t = time.ticks_ms()
    while time.ticks_diff(time.ticks_ms(), t) < ms:
        ev = p.poll(50)
        if ev:
            return ev[0][1]
    return 0
s = socket.socket()
R["settimeout_before_connect"] = errno_of(lambda: s.settimeout(1))
R["setblocking_before_connect"] = errno_of(lambda: s.setblocking(False))
s.connect(A)
R["settimeout_after_connect"] = errno_of(lambda: s.settimeout(1))
R["setblocking_after_connect"] = errno_of(lambda: s.setblocking(False))
s.send(b"ping")
R["echo"] = s.recv(10)
# a clean close by the peer, while idle
s.send(b"FIN")
time.sleep_ms(300)
R["poll_after_peer_fin"] = readable(s, 1000)
R["send_1_after_fin"] = errno_of(lambda: s.send(b"a"))
time.sleep_ms(300)
R["send_2_after_fin"] = errno_of(lambda: s.send(b"b"))
R["send_3_after_fin"] = errno_of(lambda: s.send(b"c"))
s.close()
# recv() in CLOSE_WAIT
s = socket.socket()
s.connect(A)
s.send(b"FIN")
time.sleep_ms(300)
R["recv_in_close_wait"] = s.recv(10)
R["send_after_that_recv"] = errno_of(lambda: s.send(b"x"))
s.close()
# a reset by the peer, while idle
s = socket.socket()
s.connect(A)
s.send(b"RST")
time.sleep_ms(300)
R["poll_after_peer_rst"] = readable(s, 1000)
R["recv_after_rst"] = errno_of(lambda: s.recv(10))
s.close()
# refused
s = socket.socket()
R["refused"] = errno_of(lambda: s.connect(("%s", %d)))
s.close()
# nobody has the address: the chip's ARP times out (the host's, carrying it, here)
s = socket.socket()
R["nobody"] = errno_of(lambda: s.connect(("192.168.77.9", 80)))
s.close()
# a write larger than the chip's 2 KiB buffer
s = socket.socket()
s.connect(A)
R["write_10k"] = s.write(bytes(10240))
R["send_10k"] = s.send(bytes(10240))
s.close()
# the chip's sockets run out
held = []
R["emfile"] = None
for i in range(10):
    s = socket.socket()
    e = errno_of(lambda: s.connect(A))
    if e is not None:
        R["emfile"] = e
        s.close()
        break
    held.append(s)
R["sockets_before_emfile"] = len(held)
for s in held:
    s.close()
s = socket.socket()
R["connect_after_closing_them"] = errno_of(lambda: s.connect(A))
s.close()
print("RESULT", R)
""" % (HOST_IP, PEER_PORT, HOST_IP, CLOSED_PORT)


def arp_ignore(value):
    """net.ipv4.conf.<tap>.arp_ignore of this namespace (1: answer ARP only for addresses
    of the interface it came in on)."""
    with open("/proc/sys/net/ipv4/conf/%s/arp_ignore" % TAP, "w") as f:
        f.write("%d\n" % value)


class ChipStackBoard(BoardCase):
    """A chip-stack board with the static address (no tests of its own); dnsmasq runs."""

    firmware = FIRMWARE_CHIPSTACK
    dhcp = True

    @classmethod
    def setUpClass(cls):
        # The board's address is the namespace's own for this class (see the docstring).
        subprocess.run(["ip", "addr", "add", BOARD_IP + "/32", "dev", "lo"], check=True, timeout=10)
        arp_ignore(1)
        try:
            super().setUpClass()
            cls.first = cls.board.run(FIRST, timeout=30).result
            cls.board.run(UP, timeout=30)
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        try:
            arp_ignore(0)
        except OSError:
            pass
        subprocess.run(["ip", "addr", "del", BOARD_IP + "/32", "dev", "lo"], check=False, timeout=10)

    def setUp(self):
        self.peer = CommandPeer()

    def tearDown(self):
        self.peer.stop()


class ChipStack(ChipStackBoard):

    def test_01_static_address_on_the_chip_stack(self):
        # First activation: the chip's address is 0.0.0.0, yet isconnected() is True
        # (link and active only, wiznet5k_isconnected) - why nic() asks for an address.
        self.assertEqual(self.first["first"], (("0.0.0.0",) * 4, True, 2))
        r = self.board.run(UP, timeout=30).result
        self.assertEqual(r["ifconfig"][0], BOARD_IP)
        self.assertEqual(r["status"], 2)  # link and active
        self.assertFalse(r["lwip"])  # the library's sign of the chip stack

    def test_02_the_driver_as_the_fake_claims(self):
        r = self.board.run(PROBE, timeout=90).result
        # modsocket.c: no NIC bound before connect -> ENOTCONN; the driver's
        # settimeout is EINVAL after.
        self.assertEqual(r["settimeout_before_connect"], 107)
        self.assertEqual(r["setblocking_before_connect"], 107)
        self.assertEqual(r["settimeout_after_connect"], 22)
        self.assertEqual(r["setblocking_after_connect"], 22)
        self.assertEqual(r["echo"], b"ping")
        # a peer's clean close is invisible to poll(); the first send after it is taken,
        # the peer's RST to it closes the chip socket: the next is SOCKERR_SOCKSTATUS.
        self.assertEqual(r["poll_after_peer_fin"], 0)
        self.assertEqual(r["send_1_after_fin"], None)
        self.assertEqual(r["send_2_after_fin"], 7)
        self.assertEqual(r["send_3_after_fin"], 7)
        # recv() in CLOSE_WAIT: an orderly b"" (and the chip socket is closed)
        self.assertEqual(r["recv_in_close_wait"], b"")
        self.assertEqual(r["send_after_that_recv"], 7)
        # a reset while idle: invisible to poll() too; recv() then says 7
        self.assertEqual(r["poll_after_peer_rst"], 0)
        self.assertEqual(r["recv_after_rst"], 7)
        self.assertEqual(r["refused"], 4)  # SOCKERR_SOCKCLOSED
        # SOCKERR_TIMEOUT, or SOCKERR_SOCKCLOSED when the timeout lands between connect()'s
        # reads of Sn_IR and Sn_SR (this run's firmware read 4 here)
        self.assertIn(r["nobody"], (4, 13))
        # one driver send takes at most the 2 KiB buffer; the next one before SENDOK
        # returns 0 (SOCK_BUSY), and write() stops there: short writes
        self.assertIn(r["send_10k"], (0, 2048))
        self.assertEqual(r["write_10k"] % 2048, 0)
        self.assertLess(r["write_10k"], 10240)
        self.assertEqual(r["sockets_before_emfile"], 8)
        self.assertEqual(r["emfile"], 24)
        self.assertEqual(r["connect_after_closing_them"], None)

    def test_03_echo_example_against_pc_server(self):
        server = EchoServer(ECHO_PORT)
        try:
            src = example_source("tcp_client_echo.py")
            old = "eth = nic(BOARD, dhcp=True, timeout_ms=15000)"
            self.assertIn(old, src)
            src = src.replace(old, 'eth = nic(BOARD, ip="%s", gateway="%s", timeout_ms=5000)' % (BOARD_IP, HOST_IP))
            b = self.board
            b.start(src)
            out = b.wait_for("Connected to computer", 30)
            self.assertIn("IP: " + BOARD_IP, out)
            server.wait_clients(1, 20)
            self.assertTrue(server.say("hello"))
            self.assertTrue(server.say("again"))
            b.interrupt()
            r = b.finish(30)
            self.assertEqual(r.err, "")
            self.assertEqual(r.out.count("Replied: b'Client echo: "), 2)
            self.assertIn("Stopped: connection closed", r.out)
            server.wait_no_clients(10)
        finally:
            server.stop()

    def test_04_a_peer_close_is_seen_by_the_idle_timeout_and_the_default_is_chip_stack_idle_ms(self):
        code = """
import time
from wiznet_net import ReconnectingTCPClient, Backoff
from wiznet_net.session import CHIP_STACK_IDLE_MS
class H:
    def __init__(self):
        self.events = []
    def on_connect(self, c):
        self.events.append(("connect", time.ticks_ms()))
    def on_disconnect(self, c, f):
        self.events.append(("disconnect", time.ticks_ms(), f and f.kind, f and f.phase))
R = {}
# neither idle timeout nor heartbeat: the chip stack's default applies
h = H()
c = ReconnectingTCPClient("%(host)s", %(port)d, h, max_attempts=1)
c.poll(2000)
R["connected"] = c.connected
R["default_idle_ms"] = c._idle_ms
R["CHIP_STACK_IDLE_MS"] = CHIP_STACK_IDLE_MS
c.stop()
# idle_timeout_ms=1500: the peer closes; poll() never reports it, the idle timeout does
h = H()
c = ReconnectingTCPClient("%(host)s", %(port)d, h, idle_timeout_ms=1500, backoff=Backoff(initial_ms=60000, max_ms=60000))
c.poll(2000)
c.send(b"FIN")
t = time.ticks_ms()
while c.connected and time.ticks_diff(time.ticks_ms(), t) < 6000:
    c.poll(100)
R["idle_events"] = [e[0] for e in h.events]
R["idle_kind"] = h.events[-1][2:]
R["idle_seen_after_ms"] = time.ticks_diff(time.ticks_ms(), t)
c.stop()
# heartbeat_ms=500, no idle timeout: the second send after the close fails
class Beat(H):
    def on_heartbeat(self, c):
        c.send(b"beat")
h = Beat()
c = ReconnectingTCPClient("%(host)s", %(port)d, h, heartbeat_ms=500, backoff=Backoff(initial_ms=60000, max_ms=60000))
c.poll(2000)
R["beat_idle_ms"] = c._idle_ms
c.send(b"FIN")
t = time.ticks_ms()
while c.connected and time.ticks_diff(time.ticks_ms(), t) < 6000:
    c.poll(100)
R["beat_kind"] = h.events[-1][2:]
R["beat_seen_after_ms"] = time.ticks_diff(time.ticks_ms(), t)
c.stop()
print("RESULT", R)
""" % {"host": HOST_IP, "port": PEER_PORT}
        r = self.board.run(code, timeout=60).result
        self.assertTrue(r["connected"])
        self.assertEqual(r["default_idle_ms"], r["CHIP_STACK_IDLE_MS"])
        self.assertEqual(r["default_idle_ms"], 60000)
        self.assertEqual(r["idle_events"], ["connect", "disconnect"])
        self.assertEqual(r["idle_kind"], ("timeout", "recv"))
        self.assertGreaterEqual(r["idle_seen_after_ms"], 1400)
        self.assertLess(r["idle_seen_after_ms"], 3000)
        self.assertIsNone(r["beat_idle_ms"])
        self.assertEqual(r["beat_kind"], ("reset", "send"))
        self.assertLess(r["beat_seen_after_ms"], 3000)

    def test_05_asyncio_client_servers_and_host_names_are_refused(self):
        code = """
R = {}
from wiznet_net.aio import AsyncReconnectingTCPClient
try:
    AsyncReconnectingTCPClient("%(host)s", %(port)d, object())
    R["aio"] = None
except RuntimeError as e:
    R["aio"] = str(e)
from wiznet_net import TCPServer
class H:
    pass
try:
    TCPServer(8090, H())
    R["server"] = None
except RuntimeError as e:
    R["server"] = str(e)
from wiznet_net import ReconnectingTCPClient, sync_time
for what, make in (("name", lambda: ReconnectingTCPClient("board-test.invalid", %(port)d, H())),
                   ("ntp", lambda: sync_time("board-test.invalid"))):
    try:
        make()
        R[what] = None
    except RuntimeError as e:
        R[what] = str(e)
c = ReconnectingTCPClient("%(host)s", %(port)d, H())  # an address: no question asked
import socket
s = socket.socket()
s.connect(("%(host)s", %(port)d))  # nothing leaked: a chip socket is still free
s.close()
print("RESULT", R)
""" % {"host": HOST_IP, "port": PEER_PORT}
        r = self.board.run(code, timeout=30).result
        self.assertIsNotNone(r["aio"])
        self.assertIn("lwIP", r["aio"])
        self.assertIn("ReconnectingTCPClient", r["aio"])
        self.assertIsNotNone(r["server"])
        self.assertIn("lwIP", r["server"])
        # a host name, before any lookup: one nobody answers never returns here (test_10)
        for what in ("name", "ntp"):
            self.assertIsNotNone(r[what], what)
            self.assertIn("never returns", r[what])

    def test_06_out_of_chip_sockets_is_emfile_no_memory_and_retried(self):
        code = """
import socket
from wiznet_net import ReconnectingTCPClient, Backoff
class H:
    failed = None
    def on_connect_failed(self, c, f, retry):
        self.failed = (f.kind, f.errno, f.retryable, "hardware socket" in f.hint, retry is not None)
held = []
for i in range(8):
    s = socket.socket()
    s.connect(("%(host)s", %(port)d))
    held.append(s)
h = H()
c = ReconnectingTCPClient("%(host)s", %(port)d, h, backoff=Backoff(initial_ms=10, jitter=0))
c.poll(0)
R = {"failed": h.failed, "connected_while_full": c.connected}
held.pop().close()
import time
t = time.ticks_ms()
while not c.connected and time.ticks_diff(time.ticks_ms(), t) < 3000:
    c.poll(50)
R["connected_after_one_freed"] = c.connected
c.stop()
for s in held:
    s.close()
print("RESULT", R)
""" % {"host": HOST_IP, "port": PEER_PORT}
        r = self.board.run(code, timeout=30).result
        self.assertFalse(r["connected_while_full"])
        self.assertEqual(r["failed"], ("no_memory", 24, True, True, True))
        self.assertTrue(r["connected_after_one_freed"])

    def test_07_reactivation_writes_back_the_drivers_defaults_not_the_static_address(self):
        code = """
eth.active(False)
eth.active(True)
R = {"reactivated": (eth.ifconfig(), eth.isconnected())}
print("RESULT", R)
"""
        r = self.board.run(code, timeout=30).result
        # wiznet5k_init writes back the driver's own netinfo: its defaults once it has
        # been activated before; ifconfig((...)) set only the chip.
        self.assertEqual(r["reactivated"], (("192.168.0.18", "255.255.255.0", "192.168.0.1", "8.8.8.8"), True))
        self.assertEqual(self.board.run(UP, timeout=30).result["ifconfig"][0], BOARD_IP)

    def test_08_dhcp_lease_from_dnsmasq_and_the_try_takes_chip_socket_1(self):
        code = """
import time
from wiznet_net import nic, ReconnectingTCPClient, Backoff
R = {}
t = time.ticks_ms()
eth = nic("W5500-EVB-Pico", dhcp=True, timeout_ms=15000)
R["nic_ms"] = time.ticks_diff(time.ticks_ms(), t)
R["leased"] = eth.ifconfig()
class H:
    def __init__(self):
        self.events = []
    def on_data(self, c, data):
        self.events.append(data)
    def on_disconnect(self, c, f):
        self.events.append(f and (f.kind, f.phase, f.errno, "DHCP" in f.hint))
h0, h1 = H(), H()
c0 = ReconnectingTCPClient("%(host)s", %(port)d, h0, backoff=Backoff(initial_ms=60000, max_ms=60000))
c0.poll(2000)
c1 = ReconnectingTCPClient("%(host)s", %(port)d, h1, backoff=Backoff(initial_ms=60000, max_ms=60000))
c1.poll(2000)
R["connected"] = (c0.connected, c1.connected)
t = time.ticks_ms()
R["again"] = eth.ifconfig("dhcp")
R["again_ms"] = time.ticks_diff(time.ticks_ms(), t)
c0.send(b"zero")
t = time.ticks_ms()
while not h0.events and time.ticks_diff(time.ticks_ms(), t) < 3000:
    c0.poll(100)
R["c0"] = list(h0.events)
try:
    c1.send(b"one")
    R["c1"] = "sent"
except Exception as f:
    R["c1"] = (f.kind, f.phase, f.errno, "DHCP" in f.hint)
c0.stop()
c1.stop()
print("RESULT", R)
""" % {"host": HOST_IP, "port": PEER_PORT}
        r = self.board.run(code, timeout=90).result
        # nic(dhcp=True) on the chip stack: the driver's blocking ifconfig('dhcp'), the
        # ioLibrary's DHCP over chip socket 1, answered by dnsmasq
        self.assertEqual(r["leased"][:3], (BOARD_IP, "255.255.255.0", HOST_IP))
        self.assertLess(r["nic_ms"], 5000)
        self.assertEqual(r["connected"], (True, True))
        self.assertEqual(r["again"][0], BOARD_IP)
        self.assertEqual(r["c0"], [b"zero"])  # chip socket 0 untouched
        # the DHCP client reopened chip socket 1 in UDP mode: SOCKERR_SOCKMODE
        self.assertEqual(r["c1"], ("closed", "send", 5, True))
        self.board.run(UP, timeout=30)

    def test_10_a_name_lookup_nobody_answers_is_not_stopped_by_ctrl_c(self):
        # Last: the board does not come back. ioLibrary DNS_run() counts its timeout in
        # dns_1s_tick, which only DNS_time_handler() advances - nothing in MicroPython
        # calls it - and its wait loop never yields to the VM (Internet/DNS/dns.c): a
        # lookup no server answers never returns, and Ctrl-C is never seen.
        b = self.board
        b.start("import socket\nprint('lookup')\nsocket.getaddrinfo('board-test.invalid', 80)\nprint('returned')\n")
        b.wait_for("lookup", 10)
        t0 = b.clock_ms()
        wait_until(lambda: b.clock_ms() - t0 > 2000, 60, step=0.2, what="2 s of board time")
        b.interrupt()
        t1 = b.clock_ms()
        wait_until(lambda: b.clock_ms() - t1 > 500, 30, step=0.1, what="0.5 s of board time after Ctrl-C")
        out = b.output()
        tail = out[out.rfind("lookup"):]
        self.assertNotIn("returned", tail)
        self.assertNotIn("KeyboardInterrupt", tail)
        self.assertNotIn("Error", tail)


@unittest.skipUnless(os.environ.get("BOARD_SLOW"), "a DHCP try nobody answers (12 s of board time, about 70 s) and the default idle timeout (60 s): BOARD_SLOW=1 runs them")
class ChipStackSlow(ChipStackBoard):
    dhcp = False

    def test_a_peer_close_is_seen_by_the_default_idle_timeout_of_60_s(self):
        code = """
import time
from wiznet_net import ReconnectingTCPClient, Backoff
class H:
    def __init__(self):
        self.events = []
    def on_disconnect(self, c, f):
        self.events.append(f and (f.kind, f.phase))
h = H()
c = ReconnectingTCPClient("%(host)s", %(port)d, h, backoff=Backoff(initial_ms=120000, max_ms=120000))
c.poll(2000)
c.send(b"FIN")
t = time.ticks_ms()
while c.connected and time.ticks_diff(time.ticks_ms(), t) < 70000:
    c.poll(1000)
R = {"events": list(h.events), "seen_after_ms": time.ticks_diff(time.ticks_ms(), t)}
c.stop()
print("RESULT", R)
""" % {"host": HOST_IP, "port": PEER_PORT}
        r = self.board.run(code, timeout=150).result
        self.assertEqual(r["events"], [("timeout", "recv")])
        self.assertGreaterEqual(r["seen_after_ms"], 59000)
        self.assertLess(r["seen_after_ms"], 62000)

    def test_a_dhcp_try_nobody_answers_takes_chip_socket_1_and_clears_the_address(self):
        code = """
import time
from wiznet_net import ReconnectingTCPClient, Backoff
class H:
    def __init__(self):
        self.events = []
    def on_data(self, c, data):
        self.events.append(data)
    def on_disconnect(self, c, f):
        self.events.append(f and (f.kind, f.phase, f.errno, "DHCP" in f.hint))
R = {}
h0, h1 = H(), H()
c0 = ReconnectingTCPClient("%(host)s", %(port)d, h0, backoff=Backoff(initial_ms=60000, max_ms=60000))
c0.poll(2000)
c1 = ReconnectingTCPClient("%(host)s", %(port)d, h1, backoff=Backoff(initial_ms=60000, max_ms=60000))
c1.poll(2000)
R["connected"] = (c0.connected, c1.connected)
t = time.ticks_ms()
try:
    eth.ifconfig("dhcp")
    R["dhcp"] = "leased"
except OSError as e:
    R["dhcp"] = str(e)
R["dhcp_ms"] = time.ticks_diff(time.ticks_ms(), t)
R["after_dhcp"] = eth.ifconfig()
eth.ifconfig(("%(board)s", "255.255.255.0", "%(host)s", "%(host)s"))
c0.send(b"zero")
t = time.ticks_ms()
while not h0.events and time.ticks_diff(time.ticks_ms(), t) < 3000:
    c0.poll(100)
R["c0"] = list(h0.events)
try:
    c1.send(b"one")
    R["c1"] = "sent"
except Exception as f:
    R["c1"] = (f.kind, f.phase, f.errno, "DHCP" in f.hint)
R["c1_events"] = list(h1.events)
c0.stop()
c1.stop()
print("RESULT", R)
""" % {"host": HOST_IP, "port": PEER_PORT, "board": BOARD_IP}
        r = self.board.run(code, timeout=150).result
        self.assertEqual(r["connected"], (True, True))
        # no answer: 4 rounds of 3 s inside the driver (wiznet5k_dhcp_init), then OSError
        self.assertEqual(r["dhcp"], "timeout waiting for DHCP to get IP address")
        self.assertGreaterEqual(r["dhcp_ms"], 12000)
        self.assertLess(r["dhcp_ms"], 13000)
        # DHCP_init cleared the address and the gateway
        self.assertEqual(r["after_dhcp"][0], "0.0.0.0")
        self.assertEqual(r["after_dhcp"][2], "0.0.0.0")
        self.assertEqual(r["c0"], [b"zero"])  # chip socket 0 untouched
        self.assertEqual(r["c1"], ("closed", "send", 5, True))  # SOCKERR_SOCKMODE
        self.assertEqual(r["c1_events"], [("closed", "send", 5, True)])

