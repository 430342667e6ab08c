"""Scenario 2: nic() on the real WIZNET5K driver - a static address, DHCP without a
server, the cable out at power-on, and the cable pulled from a connected client and put
back."""
import re
import time
import unittest

from boardcase import BoardCase, EchoServer
from harness import BOARD_IP, HOST_IP, wait_until

FAILURE = """
from wiznet_net import nic, Failure
import time
t = time.ticks_ms()
try:
    eth = nic("W5500-EVB-Pico", {args})
    print("RESULT", {{"ok": True, "ifconfig": eth.ifconfig()}})
except Failure as f:
    print("RESULT", {{"ok": False, "kind": f.kind, "phase": f.phase, "errno": f.errno, "hint": f.hint,
                     "waited_ms": time.ticks_diff(time.ticks_ms(), t)}})
"""


class StaticAddress(BoardCase):
    dhcp = False

    def test_static_address_without_dhcp_server(self):
        r = self.up('ip="192.168.77.3", gateway="%s", timeout_ms=5000' % HOST_IP)
        self.assertEqual(r["ifconfig"], ("192.168.77.3", "255.255.255.0", HOST_IP, HOST_IP))
        self.assertEqual(r["status"], 2)  # link up, interface active
        server = EchoServer()
        try:
            self.board.run(
                "import socket\ns = socket.socket()\ns.connect(('%s', 8082))\ns.send(b'static')\ns.close()" % HOST_IP, 30
            )
            wait_until(lambda: b"static" in server.replies(), 10, what="bytes from the static address")
            self.assertIn("192.168.77.3", " ".join(server.lines))
        finally:
            server.stop()


class DhcpServerAbsent(BoardCase):
    dhcp = False

    def test_no_lease_is_a_timeout_failure_after_the_bounded_wait(self):
        r = self.board.run(FAILURE.format(args="timeout_ms=4000"), 90).result
        self.assertFalse(r["ok"])
        self.assertEqual((r["kind"], r["phase"]), ("timeout", "link"))
        self.assertIn("DHCP", r["hint"])
        self.assertIn("link is up", r["hint"])
        self.assertGreaterEqual(r["waited_ms"], 4000)  # it did wait (bounded: the script ended)


class CableOutAtBoot(BoardCase):
    cable = False

    def test_no_link_then_up_once_the_cable_is_in(self):
        r = self.board.run(FAILURE.format(args="timeout_ms=3000"), 90).result
        self.assertFalse(r["ok"])
        self.assertEqual((r["kind"], r["phase"]), ("no_link", "link"))
        self.assertIn("cable", r["hint"])
        self.board.cable(True)
        r = self.board.run(FAILURE.format(args="timeout_ms=15000"), 90).result
        self.assertTrue(r["ok"], r)
        self.assertEqual(r["ifconfig"][0], BOARD_IP)


PLUGGED = """
from wiznet_net import nic
import time
eth = nic("W5500-EVB-Pico", timeout_ms=30000)
print("RESULT", {"ifconfig": eth.ifconfig(), "at": time.ticks_ms()})
"""


class CablePluggedDuringTheWait(BoardCase):
    cable = False

    def test_the_lease_follows_the_plug_not_lwips_next_discover(self):
        # lwIP's DHCP backs off while the cable is out (DISCOVERs at 0, 2, 6, 14, 30 s
        # after active(True)): plugged at about 8 s, the next one would go at 14 s. nic()
        # restarts DHCP when the link appears, so the lease comes at once. (Before that
        # fix: 5.6 s here, the DISCOVER at 14 s.)
        b = self.board
        b.start(PLUGGED)
        b.wait_for("Waiting for the network to connect...", 60)
        started = b.clock_ms()  # DHCP (re)started just before the first line
        wait_until(lambda: b.clock_ms() - started >= 10000, 60, what="10 s of board time")
        plugged_at = b.cable(True)  # between the DISCOVERs at 6 and 14 s
        r = b.finish(90)
        self.assertEqual(r.err, "")
        self.assertEqual(r.result["ifconfig"][0], BOARD_IP)
        self.assertLess(r.result["at"] - plugged_at, 2000, "board ms from the plug to the lease")


# A client given nic=, printing each event with the board clock (time.ticks_ms(): ms since
# power-on, the same clock the emulator's control socket reports).
WATCH = """
import time
from wiznet_net import Backoff, ReconnectingTCPClient
class Handler:
    def on_connect(self, c):
        print("EV connect", time.ticks_ms())
    def on_data(self, c, data):
        c.send(b"Client echo: " + data)
    def on_disconnect(self, c, f):
        print("EV disconnect", time.ticks_ms(), f and f.kind, f and f.errno)
    def on_connect_failed(self, c, f, retry_in_ms):
        print("EV connect_failed", time.ticks_ms(), f.kind, retry_in_ms)
client = ReconnectingTCPClient("{host}", 8082, Handler(), nic=eth, idle_timeout_ms={idle},
                               backoff=Backoff(initial_ms=500, factor=2, max_ms=4000))
try:
    client.run()
except KeyboardInterrupt:
    client.stop()
print("RESULT", {{"stats": {{k: v for k, v in client.stats.items() if k != "last_failure"}}}})
"""


def events(out, name):
    """[(board ms, rest...)] of the EV lines named `name`."""
    found = []
    for line in out.splitlines():
        words = line.split()
        if len(words) >= 3 and words[0] == "EV" and words[1] == name:
            found.append([int(words[2])] + words[3:])
    return found


class CablePulled(BoardCase):
    """The cable pulled from a connected client, then put back."""

    def setUp(self):
        self.server = EchoServer()
        if not getattr(self.board, "eth_up", False):
            self.up()
            self.board.eth_up = True

    def tearDown(self):
        if self.board.running is not None:
            self.board.interrupt()
            self.board.finish(30)
        self.server.stop()

    def pull_and_put_back(self, idle, out_s, must_notice=False):
        b = self.board
        b.start(WATCH.format(host=HOST_IP, idle=idle))
        b.wait_for("EV connect", 60)
        self.server.wait_clients(1, 20)
        self.assertTrue(self.server.say("before"))
        accepted = self.server.server.connections
        pulled_at = b.cable(False)
        t = time.monotonic()
        if must_notice:
            try:
                b.wait_for("EV disconnect", out_s)
            except AssertionError:
                self.fail(
                    "the connected client (idle_timeout_ms=%s, a quiet server) did not notice the pulled cable "
                    "within %d s of wall time (wanted: about 0.5 s of board time, kind no_link)" % (idle, out_s)
                )
        time.sleep(max(0, out_s - (time.monotonic() - t)))
        back_at = b.cable(True)
        # Reconnected: a new connection reaches the server, and it echoes.
        wait_until(lambda: self.server.server.connections > accepted, 60, what="a new connection after the cable returned")
        self.assertTrue(self.server.say("after"))
        b.interrupt()
        r = b.finish(30)
        self.assertEqual(r.err, "")
        return r, pulled_at, back_at

    def test_recovers_when_the_cable_returns(self):
        # With an idle timeout too, it is the link watch that drops the dead connection
        # (250 ms, before the 2 s idle timeout): no_link, no retry scheduled while the
        # cable is out, reconnected once it is back.
        r, pulled_at, back_at = self.pull_and_put_back(idle=2000, out_s=8)
        drops = events(r.out, "disconnect")
        self.assertEqual(len(drops), 2, r.out)  # the dead connection, then stop()
        self.assertEqual(drops[0][1], "no_link", r.out)
        self.assertTrue(pulled_at <= drops[0][0] < back_at, (pulled_at, drops, back_at))
        self.assertEqual(events(r.out, "connect_failed"), [], r.out)  # reported once, by the drop
        self.assertEqual(len(events(r.out, "connect")), 2, r.out)
        self.assertGreater(events(r.out, "connect")[1][0], back_at)

    def test_link_loss_seen_within_half_a_second_whatever_the_idle_timeout(self):
        # A connected client given nic= notices a lost link within about half a second,
        # whatever its idle timeout (None here, and a quiet server), drops with kind
        # no_link, waits without spending backoff steps, and reconnects once the link is
        # back.
        r, pulled_at, back_at = self.pull_and_put_back(idle=None, out_s=6, must_notice=True)
        drops = events(r.out, "disconnect")
        self.assertTrue(drops, r.out)
        self.assertEqual(drops[0][1], "no_link", r.out)
        self.assertLessEqual(drops[0][0] - pulled_at, 1000, "board ms from the pull to the drop (wanted: about 500)")
        waits = events(r.out, "connect_failed")
        self.assertTrue(all(w[1:] == ["no_link", "None"] for w in waits), r.out)
        self.assertEqual(r.result["stats"]["connect_failures"], 0, "backoff steps spent while the link was down")
        self.assertGreater(events(r.out, "connect")[1][0], back_at)
