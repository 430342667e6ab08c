# Firmware whose WIZNET5K runs TCP on the chip (no lwIP). fake_chipstack.py models its
# sockets from the driver sources: no socket timeouts, readiness only from the chip's
# buffers (a peer's close or reset is invisible to poll), blocking sends, EMFILE when
# the chip's sockets are used up. The client runs against a real loopback peer through it.
import wiznet_net.aio as aio_module
import wiznet_net.client as client_module
from fake_chipstack import SOCKETS, ChipStackSocket, FakeSocketModule
from support import FakeClock, Peer, Recorder, SocketTestCase, micropython_only, poll_until, raises
from wiznet_net import Backoff, Failure, ReconnectingTCPClient
from wiznet_net.session import CHIP_STACK_IDLE_MS


class _Silent:
    """A host socket whose connect times out (a peer that never answers the SYN)."""

    def connect(self, addr):
        raise OSError(110)

    def close(self):
        pass


class Base(SocketTestCase):
    def setUp(self):
        micropython_only("the fake chip-stack socket answers MicroPython's poll through ioctl")
        super().setUp()
        ChipStackSocket.made = []
        ChipStackSocket.in_use = 0
        self.real = client_module.socket
        client_module.socket = FakeSocketModule()
        self.peer = Peer()
        self.handler = Recorder(echo=True)
        self.clock = FakeClock(record=False)

    def make(self, **options):
        options.setdefault("backoff", Backoff(initial_ms=10, jitter=0))
        options.setdefault("clock", self.clock)
        self.client = ReconnectingTCPClient("127.0.0.1", self.peer.port, self.handler, **options)
        return self.client

    def connect(self, **options):
        c = self.make(**options)
        self.assertTrue(c.poll(0))
        self.peer.accept()
        return c

    def tearDown(self):
        client_module.socket = self.real
        super().tearDown()  # stops the client, closes the peer, counts descriptors
        self.assertTrue(all(s.closed_ for s in ChipStackSocket.made))
        self.assertEqual(ChipStackSocket.in_use, 0)


class ChipStack(Base):
    def test_echo_without_socket_timeouts(self):
        c = self.connect()
        self.peer.send(b"hello")
        poll_until(c, lambda: self.handler.data == b"hello")
        self.assertEqual(self.peer.recv_exactly(18), b"Client echo: hello")
        self.assertEqual(c.stats["bytes_out"], 18)

    def test_a_send_larger_than_the_chip_buffer_goes_out_whole(self):
        # One driver send takes at most 2 KB; the next returns 0 until SENDOK: write()
        # returns short, and the client writes the rest.
        c = self.connect()
        data = bytes(range(256)) * 40  # 10 KB
        c.send(data)
        self.assertEqual(self.peer.recv_exactly(len(data)), data)
        self.assertTrue(c.connected)

    def test_a_clean_close_is_not_seen_by_poll_and_the_default_idle_timeout_ends_it(self):
        c = self.connect()  # neither idle timeout nor heartbeat given
        self.peer.close_conn()
        for _ in range(10):  # the driver's poll stays silent: nothing to read, no hang-up
            c.poll(10)
        self.clock.advance(CHIP_STACK_IDLE_MS - 1)
        c.poll(0)
        self.assertTrue(c.connected)
        self.clock.advance(1)
        c.poll(0)
        self.assertFalse(c.connected)
        self.assertEqual(self.handler.named("disconnect"), [("disconnect", "timeout")])
        self.assertEqual(c.stats["last_failure"].phase, "recv")

    def test_the_first_send_after_a_close_succeeds_the_next_fails_with_7(self):
        # The chip may send in CLOSE_WAIT; the peer answers that with a RST.
        c = self.connect()
        self.peer.close_conn()
        c.send(b"first")
        import time

        time.sleep_ms(20)  # the RST comes back
        f = raises(Failure, c.send, b"second")
        self.assertEqual((f.kind, f.phase, f.errno), ("reset", "send", 7))
        self.assertFalse(c.connected)

    def test_recv_in_close_wait_is_an_orderly_end_not_errno_7(self):
        # The vendored ioLibrary's recv() returns 0 in CLOSE_WAIT once nothing is left
        # (and closes the chip's socket); poll() never leads the client there, but a read
        # that got there would be the clean close it is, not a reset.
        c = self.connect()
        self.peer.close_conn()
        s = c.socket
        import time

        for _ in range(200):  # the FIN reaches the chip
            s._pump()
            if s.state == "close_wait":
                break
            time.sleep_ms(5)
        self.assertEqual(c._drain(1), None)  # one read, as after a poll() wake-up
        self.assertFalse(c.connected)
        self.assertEqual(self.handler.named("disconnect"), [("disconnect", None)])
        self.assertEqual(ChipStackSocket.in_use, 0)

    def test_a_heartbeat_finds_the_closed_peer_without_an_idle_timeout(self):
        class Beat(Recorder):
            def on_heartbeat(self, client):
                client.send(b"ping\n")

        self.handler = Beat()
        c = self.connect(heartbeat_ms=30000)
        # A quiet peer that is alive: the heartbeat replaces the default idle timeout.
        for _ in range(3):
            self.clock.advance(30000)
            c.poll(0)
        self.assertTrue(c.connected)
        self.assertEqual(self.peer.recv_exactly(15), b"ping\n" * 3)
        self.peer.close_conn()
        import time

        for _ in range(5):
            self.clock.advance(30000)
            c.poll(0)
            time.sleep_ms(20)
            if not c.connected:
                break
        self.assertFalse(c.connected)
        self.assertEqual(self.handler.named("disconnect"), [("disconnect", "reset")])

    def test_an_idle_timeout_given_is_kept(self):
        c = self.connect(idle_timeout_ms=500)
        self.peer.close_conn()
        self.clock.advance(499)
        c.poll(0)
        self.assertTrue(c.connected)
        self.clock.advance(1)
        c.poll(0)
        self.assertFalse(c.connected)

    def test_out_of_chip_sockets_is_no_memory_and_retried(self):
        ChipStackSocket.in_use = SOCKETS  # user code holds all eight
        c = self.make()
        self.assertFalse(c.poll(0))
        f = self.handler.last_failed
        self.assertEqual((f.kind, f.errno, f.retryable), ("no_memory", 24, True))
        self.assertIn("hardware socket", f.hint)
        ChipStackSocket.in_use = 0
        poll_until(c, lambda: c.connected)
        self.peer.accept()

    def test_refused_is_sockerr_sockclosed(self):
        self.peer.close()
        c = self.make(max_attempts=1)
        f = raises(Failure, c.poll, 0)
        self.assertEqual((f.kind, f.phase, f.errno), ("refused", "connect", 4))

    def test_a_dhcp_try_that_takes_the_connections_chip_socket_ends_it_as_closed(self):
        # ifconfig('dhcp') reopens chip socket 1 in UDP mode under an open connection
        # (and a name lookup socket 2): its next send fails with SOCKERR_SOCKMODE, 5.
        c = self.connect()
        c.socket.take()
        f = raises(Failure, c.send, b"more")
        self.assertEqual((f.kind, f.phase, f.errno, f.retryable), ("closed", "send", 5, True))
        self.assertIn("DHCP", f.hint)
        self.assertFalse(c.connected)
        self.assertEqual(self.handler.named("disconnect"), [("disconnect", "closed")])
        poll_until(c, lambda: c.connected)  # and it connects again
        self.peer.accept()

    def test_a_connect_timeout_may_read_as_refused(self):
        # ioLibrary connect()'s read order (Sn_IR, then Sn_SR): the kind is "refused", the
        # hint says it may be silence.
        client_module.socket = FakeSocketModule(timeout_race=True)
        s = ChipStackSocket(timeout_race=True)
        s.s.close()
        s.s = _Silent()
        e = raises(OSError, s.connect, ("10.0.0.1", 80))
        self.assertEqual(e.args[0], 4)
        from wiznet_net import classify

        f = classify(e, "connect", "10.0.0.1:80")
        self.assertEqual(f.kind, "refused")
        self.assertIn("no answer", f.hint)
        s.close()

    def test_ctrl_c_during_connect_leaks_nothing(self):
        client_module.socket = FakeSocketModule(interrupt_connect=True)
        raises(KeyboardInterrupt, self.make().poll, 0)
        self.assertEqual(len(ChipStackSocket.made), 1)
        self.assertTrue(ChipStackSocket.made[0].closed_)


class AsyncClientOnChipStack(Base):
    def test_is_refused_at_construction(self):
        # setblocking() before connect raises ENOTCONN there: every attempt would fail as
        # "closed in connect [errno 107]", forever.
        real = aio_module.socket
        aio_module.socket = FakeSocketModule()
        try:
            e = raises(RuntimeError, aio_module.AsyncReconnectingTCPClient, "127.0.0.1", self.peer.port, Recorder())
        finally:
            aio_module.socket = real
        self.assertIn("lwIP", str(e))
        self.assertIn("ReconnectingTCPClient", str(e))
        self.assertEqual(len(ChipStackSocket.made), 1)  # the probe, closed again


class HostNamesOnChipStack(Base):
    # A lookup nobody answers never returns there, not even to Ctrl-C (ioLibrary DNS_run,
    # board scenario 10): one DNS server down would stop the device for good.
    def test_a_client_given_a_name_is_refused_at_construction(self):
        e = raises(RuntimeError, ReconnectingTCPClient, "server.example", self.peer.port, self.handler)
        self.assertIn("'server.example' is a name", str(e))
        self.assertIn("IP address", str(e))
        self.assertEqual(len(ChipStackSocket.made), 1)  # the probe, closed again

    def test_an_address_asks_nothing_and_connects(self):
        c = self.connect()
        self.assertTrue(c.connected)
        self.assertEqual(len(ChipStackSocket.made), 1)  # the connection's socket only

    def test_sync_time_given_a_name_is_refused_before_any_lookup(self):
        import wiznet_net.ntp as ntp_module

        real = ntp_module.socket
        ntp_module.socket = FakeSocketModule()
        try:
            e = raises(RuntimeError, ntp_module.sync_time, "pool.example", set_rtc=lambda t: None)
        finally:
            ntp_module.socket = real
        self.assertIn("never returns", str(e))
        self.assertEqual(len(ChipStackSocket.made), 1)
