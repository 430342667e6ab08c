# Outage scenarios against tools/faultpeer.py, a real server process that misbehaves on
# command: down at start, restarting, flapping, silent (half-open), flooding, soaking.
# Each scenario prints its figures; assertions are about behaviour (what arrived, which
# failure, how many attempts and sockets), never about how long something took.
import gc
import time
import unittest

from support import FakeClock, FaultPeer, Peer, Recorder, SocketTestCase, micropython_only, open_fds, poll_until
from wiznet_net import Backoff, ReconnectingTCPClient


def figures(name, **values):
    print("    figures %s: %s" % (name, ", ".join("%s=%s" % (k, values[k]) for k in sorted(values))))


def heap():
    micropython_only("gc.mem_alloc() measures the MicroPython heap")
    gc.collect()
    return gc.mem_alloc()


class Scenario(SocketTestCase):
    def setUp(self):
        super().setUp()
        self.peer = FaultPeer()

    def make(self, handler, **kw):
        self.handler = handler
        self.client = ReconnectingTCPClient("127.0.0.1", self.peer.port, handler, **kw)
        return self.client

    def echo_once(self, text=b"hello"):
        c = self.client
        before = len(self.handler.data)
        self.peer.cmd("send " + text.decode())
        poll_until(c, lambda: len(self.handler.data) >= before + len(text), steps=300)
        want = b"Client echo: " + text
        for _ in range(100):
            if self.peer.received().endswith(want):
                return True
            time.sleep_ms(10)
        return False

    def test_server_down_at_start_then_up(self):
        self.peer.cmd("down")
        c = self.make(Recorder(echo=True), backoff=Backoff(initial_ms=50, factor=2, max_ms=400, jitter=0))
        start = time.ticks_ms()
        for _ in range(1000):  # about 1.5 s of outage
            c.poll(20)
            if time.ticks_diff(time.ticks_ms(), start) > 1500:
                break
        delays = [e[2] for e in self.handler.named("failed")]
        self.peer.cmd("up")
        failed_before_up = len(delays)
        up_at = time.ticks_ms()
        poll_until(c, lambda: c.connected, steps=100, step_ms=20)
        figures(
            "server down 1.5 s",
            attempts_during_outage=failed_before_up,
            delays_ms=delays[:8],
            ms_from_up_to_connected=time.ticks_diff(time.ticks_ms(), up_at),
            delay_due_at_up=delays[-1],
        )
        self.assertEqual(delays[:5], [50, 100, 200, 400, 400])  # the backoff sequence
        self.assertTrue(all(d == 400 for d in delays[4:]))
        # the first attempt after the server came up succeeded: no failure in between
        self.assertEqual(len(self.handler.named("failed")), failed_before_up)
        self.assertTrue(self.echo_once())

    def test_server_restarts_50_times(self):
        heap()
        c = self.make(Recorder(echo=True), backoff=Backoff(initial_ms=5, max_ms=200))
        poll_until(c, lambda: c.connected)
        self.assertTrue(self.echo_once())
        fds_connected = open_fds()
        heap_start = heap()
        echoes = 0
        for i in range(50):
            self.peer.cmd("restart")
            poll_until(c, lambda: c.stats["connects"] == i + 2, steps=400, step_ms=10)
            echoes += self.echo_once(b"hello %d" % i)
        gc.collect()
        figures(
            "50 restarts",
            connects=c.stats["connects"],
            echoes=echoes,
            connect_failures=c.stats["connect_failures"],
            fds_start=fds_connected,
            fds_end=open_fds(),
            heap_growth_incl_recorder=heap() - heap_start,  # the Recorder keeps every event
        )
        self.assertEqual(echoes, 50)
        self.assertEqual(c.stats["connects"], 51)
        self.assertEqual(open_fds(), fds_connected)

    def test_flapping_server_is_not_hammered(self):
        # accept, then drop at once, 20 times: no data, never healthy, delays keep growing
        self.peer.cmd("mode close")
        clock = FakeClock()
        c = self.make(Recorder(), backoff=Backoff(initial_ms=100, factor=2, max_ms=3200, jitter=0), clock=clock)
        for _ in range(20):
            poll_until(c, lambda: c.connected, steps=5, step_ms=100000)
            poll_until(c, lambda: not c.connected, steps=200, step_ms=10)
        spacing = [s for s in clock.sleeps if s]
        figures("flapping x20", accepts=self.peer.stats()["accepts"], waits_ms=spacing)
        self.assertEqual(self.peer.stats()["accepts"], 20)
        self.assertEqual(spacing, [100, 200, 400, 800, 1600] + [3200] * 14)
        self.assertEqual(len(self.handler.named("disconnect")), 20)

    def test_half_open_peer_is_detected_by_the_idle_timeout(self):
        self.peer.cmd("mode silent")
        c = self.make(Recorder(), idle_timeout_ms=300, backoff=Backoff(initial_ms=10, jitter=0))
        poll_until(c, lambda: c.connected)
        up = time.ticks_ms()
        poll_until(c, lambda: not c.connected, steps=200, step_ms=50)
        detected_after = time.ticks_diff(time.ticks_ms(), up)
        f = self.handler.last_disconnect
        poll_until(c, lambda: c.connected, steps=100, step_ms=10)
        figures("silent peer", idle_timeout_ms=300, detected_after_ms=detected_after, reconnects=c.stats["connects"] - 1)
        self.assertEqual((f.kind, f.phase), ("timeout", "recv"))
        self.assertEqual(c.stats["connects"], 2)

    def test_heartbeat_keeps_a_quiet_connection_talking(self):
        # The documented choice: an application heartbeat (on_heartbeat), not TCP
        # keepalive, which lwIP and the WIZnet chip lack or start after two hours.
        class Beat(Recorder):
            def on_heartbeat(self, client):
                client.send(b"\n")

        c = self.make(Beat(), heartbeat_ms=100)
        poll_until(c, lambda: c.connected)
        for _ in range(100):
            c.poll(50)
            if self.peer.received().count(b"\n") >= 3:
                break
        figures("heartbeat", heartbeat_ms=100, keepalives_seen=self.peer.received().count(b"\n"))
        self.assertTrue(self.peer.received().count(b"\n") >= 3)
        self.assertEqual(c.stats["disconnects"], 0)

    def test_flood_of_10_mb_arrives_whole_in_order_with_flat_memory(self):
        total = 10 * 1024 * 1024

        class Check:
            def __init__(self):
                self.offset = 0
                self.bad_at = None

            def on_data(self, client, data):
                for i in range(len(data)):
                    if data[i] != (self.offset + i) % 251:
                        self.bad_at = self.offset + i
                        client.stop()
                        return
                self.offset += len(data)

        check = Check()
        heap()
        self.peer.cmd("mode flood %d" % total)
        c = self.make(check, rxbuf=4096)
        poll_until(c, lambda: c.connected)
        base = heap()
        peak = 0
        for step in range(200000):
            c.poll(100)
            if check.offset >= total or not c.connected:
                break
            if step % 256 == 0:
                peak = max(peak, heap() - base)
        growth = heap() - base
        figures("flood", bytes_in=c.stats["bytes_in"], heap_peak_growth=peak, heap_growth_after=growth)
        self.assertIsNone(check.bad_at)
        self.assertEqual(check.offset, total)
        self.assertTrue(growth <= 1024, "retained heap grew by %d bytes" % growth)  # the stated bound: 1 KiB

    def test_dripping_peer_arrives_whole_and_in_order(self):
        # one byte every 10 ms: many tiny reads, none lost, none reordered
        self.peer.cmd("mode drip 40 10")
        c = self.make(Recorder())
        poll_until(c, lambda: len(self.handler.data) >= 40, steps=400, step_ms=10)
        reads = len(self.handler.named("data"))
        figures("drip", bytes=len(self.handler.data), reads=reads)
        self.assertEqual(self.handler.data, bytes(i % 251 for i in range(40)))
        self.assertTrue(reads > 1)

    def test_late_accept_is_still_a_connection(self):
        # The kernel completes the handshake; the server program accepts 300 ms later.
        self.peer.cmd("mode delay 300")
        c = self.make(Recorder(echo=True), idle_timeout_ms=2000)
        poll_until(c, lambda: c.connected)
        for _ in range(100):
            if self.peer.stats()["accepts"]:
                break
            c.poll(10)
        self.assertEqual(self.peer.stats()["accepts"], 1)
        self.assertTrue(self.echo_once())
        self.assertEqual(c.stats["connects"], 1)

    def test_frame_cut_in_the_middle_is_reported(self):
        from wiznet_net.framing import LengthPrefixed

        class App:
            def __init__(self):
                self.failures = []

            def on_message(self, client, m):
                pass

            def on_disconnect(self, client, failure):
                self.failures.append(failure)

        app = App()
        framer = LengthPrefixed(app, max_frame=200)
        self.peer.cmd("mode cut 100 40")
        c = self.make(framer)
        poll_until(c, lambda: app.failures, steps=300)
        f = app.failures[0]
        figures("cut frame", announced=100, received=40, kind=f.kind)
        self.assertEqual(f.kind, "protocol")
        self.assertIn("42 bytes are lost", f.hint)  # the 2-byte header and 40 of the body


class Soak(unittest.TestCase):
    def test_many_cycles_no_growth(self):
        # connect / echo / disconnect, as fast as loopback allows, bounded by count and time
        heap()
        fds0 = open_fds()
        peer = Peer(backlog=8)

        class Echo:  # records nothing: whatever grows is the library's
            def on_data(self, client, data):
                client.send(b"Client echo: " + data)

        c = ReconnectingTCPClient("127.0.0.1", peer.port, Echo(), backoff=Backoff(initial_ms=1), clock=FakeClock(record=False))
        cycles = 0
        start = time.ticks_ms()
        fds_warm = heap_warm = None
        for cycle in range(10000):
            poll_until(c, lambda: c.connected, steps=5, step_ms=100000)
            peer.accept()
            peer.send(b"x")
            poll_until(c, lambda: c.stats["bytes_in"] > cycle)
            if peer.recv_exactly(14) != b"Client echo: x":
                break
            peer.close_conn()
            poll_until(c, lambda: not c.connected)
            cycles += 1
            if cycle == 99:
                fds_warm, heap_warm = open_fds(), heap()
            if time.ticks_diff(time.ticks_ms(), start) > 60000:
                break
        fds_end, heap_end = open_fds(), heap()
        c.stop()
        peer.close()
        figures(
            "soak",
            cycles=cycles,
            seconds=time.ticks_diff(time.ticks_ms(), start) // 1000,
            fds_warm=fds_warm,
            fds_end=fds_end,
            heap_warm=heap_warm,
            heap_end=heap_end,
        )
        self.assertTrue(cycles >= 1000, "only %d cycles" % cycles)
        self.assertEqual(fds_end, fds_warm)
        self.assertTrue(heap_end - heap_warm <= 512, "heap grew by %d bytes" % (heap_end - heap_warm))
        self.assertEqual(open_fds(), fds0)
