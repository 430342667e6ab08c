# ReconnectingTCPClient against a real peer on 127.0.0.1 that the test drives step by
# step: refusing, accepting then resetting, closing cleanly, going silent, sending in
# small pieces. Backoff waits run on a fake clock: they are recorded, not slept.
import socket
import sys
import time

from support import FakeClock, Peer, Recorder, SocketTestCase, closed_port, lcg, listen, micropython_only, open_fds, poll_until, raises
from wiznet_net import Backoff, Failure, ReconnectingTCPClient

try:
    from micropython import mem_total
except ImportError:  # CPython (the coverage run): the test that needs it is skipped
    mem_total = None


SO_SNDBUF = 7  # Linux numbers; MicroPython's socket module does not name them
SO_RCVBUF = 8


def fixed_backoff(initial_ms=100, max_ms=1600, stable_ms=10000):
    return Backoff(initial_ms=initial_ms, factor=2, max_ms=max_ms, jitter=0, stable_ms=stable_ms)


class Base(SocketTestCase):
    def make(self, port, handler=None, **kw):
        self.handler = handler or Recorder(echo=True)
        kw.setdefault("backoff", fixed_backoff())
        self.client = ReconnectingTCPClient("127.0.0.1", port, self.handler, **kw)
        return self.client

    def connect(self, **kw):
        self.peer = Peer()
        c = self.make(self.peer.port, **kw)
        self.assertTrue(c.poll(0), "loopback connect should succeed at once")
        self.peer.accept()
        return c


class Echo(Base):
    def test_echo_like_the_tutorial(self):
        c = self.connect()
        self.peer.send(b"hello")
        poll_until(c, lambda: self.handler.data == b"hello")
        self.assertEqual(self.peer.recv_exactly(18), b"Client echo: hello")
        self.assertEqual(self.handler.events, [("connecting",), ("connect",), ("data", b"hello")])
        s = c.stats
        self.assertEqual((s["connects"], s["bytes_in"], s["bytes_out"], s["connect_failures"]), (1, 5, 18, 0))
        self.assertTrue(c.connected)

    def test_small_pieces_arrive_in_order(self):
        c = self.connect()
        for piece in (b"he", b"l", b"lo", b" wor", b"ld"):
            self.peer.send(piece)
            poll_until(c, lambda: self.handler.data.endswith(piece))
        self.assertEqual(self.handler.data, b"hello world")
        self.assertEqual(self.peer.recv_exactly(5 * 13 + 11), b"".join(
            b"Client echo: " + p for p in (b"he", b"l", b"lo", b" wor", b"ld")))

    def test_buffer_smaller_than_message(self):
        c = self.connect(rxbuf=4, handler=Recorder())
        self.peer.send(b"0123456789")
        poll_until(c, lambda: len(self.handler.data) == 10)
        self.assertEqual(self.handler.data, b"0123456789")
        self.assertEqual([len(e[1]) for e in self.handler.named("data")], [4, 4, 2])

    def test_zero_copy_hands_a_view_of_the_buffer(self):
        seen = []

        class Viewer:
            def on_data(self, client, data):
                seen.append((type(data) is memoryview, bytes(data)))

        c = self.connect(handler=Viewer(), copy=False)
        self.peer.send(b"abc")
        poll_until(c, lambda: seen)
        self.assertEqual(seen, [(True, b"abc")])

    def test_empty_send_writes_nothing(self):
        c = self.connect(handler=Recorder())
        c.send(b"")
        c.send(bytearray(8), 0)
        c.send(b"ok")
        self.assertEqual(self.peer.recv_exactly(2), b"ok")
        self.assertTrue(c.connected)
        self.assertEqual(c.stats["bytes_out"], 2)

    def test_send_when_disconnected_raises_enotconn(self):
        c = self.make(closed_port())
        f = raises(OSError, c.send, b"x")
        self.assertIsInstance(f, Failure)
        self.assertEqual((f.errno, f.kind, f.phase), (107, "closed", "send"))

    def test_large_send_goes_out_whole(self):
        c = self.connect(handler=Recorder())
        # Small socket buffers on both sides: the client must wait for room again and
        # again, and resume each time where it stopped. The peer drains while it waits.
        c._sock.setsockopt(socket.SOL_SOCKET, SO_SNDBUF, 4096)
        self.peer.conn.setsockopt(socket.SOL_SOCKET, SO_RCVBUF, 4096)
        self.peer.conn.setblocking(False)
        blob = bytes(range(256)) * 512  # 128 KiB
        got = []
        waits = [0]
        original = c._wait

        def drain_then_wait(timeout_ms):
            waits[0] += 1
            for _ in range(64):
                try:
                    chunk = self.peer.conn.recv(4096)
                except OSError:  # EAGAIN: drained for now
                    break
                if not chunk:
                    break
                got.append(chunk)
            return original(min(timeout_ms, 10))

        c._wait = drain_then_wait
        c.send(blob)
        self.peer.conn.setblocking(True)
        self.peer.conn.settimeout(2)
        rest = len(blob) - sum(len(x) for x in got)
        got.append(self.peer.recv_exactly(rest))
        joined = b"".join(got)
        # (unittest 0.4 formats its message even on success: keep 128 KiB out of it)
        self.assertTrue(joined == blob, "got %d bytes, first difference matters" % len(joined))
        self.assertEqual(c.stats["bytes_out"], len(blob))
        self.assertTrue(waits[0] > 1, "the send should have waited for buffer room")

    def test_nothing_is_allocated_between_the_read_and_the_handler(self):
        # Not even a call frame freed again at once: MicroPython allocates a frame on the
        # heap for any function needing more than 11 words (see session.py); the read
        # and the handler call are made from the same one, so nothing comes between.
        micropython_only("micropython.mem_total() counts every allocation")
        probe = AllocationProbe()
        c = self.connect(handler=probe)
        probe.readinto = c._readinto
        c._readinto = probe.read
        for i in range(5):
            self.peer.send(b"x" * 100)
            poll_until(c, lambda: len(probe.gaps) > i)
        self.assertEqual(probe.gaps, [0] * 5)


    def test_the_zero_copy_echo_keeps_nothing_per_message(self):
        # The goal of issue #5: with gc off, a zero-copy echo leaves the heap exactly
        # as it found it, over many messages (frames freed on return do not count).
        micropython_only("gc.mem_alloc() measures the MicroPython heap")
        import gc

        echo = ZeroCopyEcho()
        c = self.connect(handler=echo)
        self.peer.send(b"warm-up")  # the first message makes what is made once
        poll_until(c, lambda: echo.calls == 1)
        self.peer.recv_exactly(7)
        data = b"0123456789abcdef" * 4
        self.peer.conn.setblocking(False)
        gc.collect()
        gc.disable()
        try:
            before = gc.mem_alloc()
            for _ in range(50):
                self.peer.conn.send(data)
                c.poll(1000)
            kept = gc.mem_alloc() - before
        finally:
            gc.enable()
        self.peer.conn.setblocking(True)
        self.peer.conn.settimeout(2)
        self.assertTrue(self.peer.recv_exactly(50 * len(data)) == data * 50, "the echo differs")
        self.assertEqual(kept, 0)
        self.assertTrue(echo.calls > 1, "no message reached the handler")


class ZeroCopyEcho:
    def __init__(self):
        self.calls = 0

    def on_data_into(self, client, buf, n):
        self.calls += 1
        client.send(buf, n)


class AllocationProbe:
    """Bytes allocated between a read and the handler call it leads to. A method, not a
    closure: calling a closure may allocate by itself."""

    def __init__(self):
        self.readinto = None
        self.after_read = 0
        self.gaps = []

    def read(self, buf):
        n = self.readinto(buf)
        self.after_read = mem_total()
        return n

    def on_data_into(self, client, buf, n):
        self.gaps.append(mem_total() - self.after_read)


class Failures(Base):
    def test_send_times_out_when_the_peer_reads_nothing(self):
        c = self.connect(handler=Recorder(), send_timeout_ms=200)
        c._sock.setsockopt(socket.SOL_SOCKET, SO_SNDBUF, 4096)
        self.peer.conn.setsockopt(socket.SOL_SOCKET, SO_RCVBUF, 4096)
        f = raises(Failure, c.send, bytes(512 * 1024))  # far more than both small buffers hold
        self.assertEqual((f.kind, f.phase, f.errno), ("timeout", "send", 110))
        self.assertFalse(c.connected)
        self.assertTrue(0 < c.stats["bytes_out"] < 512 * 1024)  # what the kernel took
        self.assertIs(c.stats["last_failure"], f)

    def test_heartbeat_handler_may_stop_the_client(self):
        class StopOnBeat:
            def on_heartbeat(self, client):
                client.stop()

        c = self.connect(handler=StopOnBeat(), heartbeat_ms=30)
        poll_until(c, lambda: c.stopped, steps=50, step_ms=20)
        self.assertFalse(c.connected)
        self.assertFalse(c.poll(10))

    def test_refused_then_backoff_sequence(self):
        clock = FakeClock()
        c = self.make(closed_port(), clock=clock)
        for _ in range(6):
            c.poll(100000)
        failed = self.handler.named("failed")
        self.assertEqual([e[1] for e in failed], ["refused"] * 6)
        self.assertEqual([e[2] for e in failed], [100, 200, 400, 800, 1600, 1600])
        # the waits between attempts are exactly the delays handed out
        self.assertEqual(clock.sleeps, [100, 200, 400, 800, 1600])
        self.assertEqual(c.stats["connect_failures"], 6)
        self.assertEqual(c.stats["last_failure"].kind, "refused")
        self.assertEqual(c.stats["last_failure"].errno, 111)
        self.assertIn("nothing listens on 127.0.0.1:", c.stats["last_failure"].hint)

    def test_poll_never_waits_longer_than_asked(self):
        clock = FakeClock()
        c = self.make(closed_port(), clock=clock)
        c.poll(0)  # attempt 1 fails; next in 100 ms
        self.assertFalse(c.poll(0))
        self.assertFalse(c.poll(30))
        self.assertFalse(c.poll(30))
        self.assertEqual(clock.sleeps, [0, 30, 30])
        self.assertEqual(len(self.handler.named("connecting")), 1)
        c.poll(1000)  # sleeps the remaining 40 ms, then attempts
        self.assertEqual(clock.sleeps[-1], 40)
        self.assertEqual(len(self.handler.named("connecting")), 2)

    def test_max_attempts_raises_the_last_failure(self):
        c = self.make(closed_port(), clock=FakeClock(), max_attempts=3)
        f = raises(Failure, c.run)
        self.assertEqual((f.kind, f.phase), ("refused", "connect"))
        self.assertEqual(c.stats["connect_failures"], 3)
        self.assertEqual([e[2] for e in self.handler.named("failed")], [100, 200, None])
        # a later run() starts again with a fresh count
        f = raises(Failure, c.run)
        self.assertEqual(c.stats["connect_failures"], 6)

    def test_dns_failure(self):
        # 'a..b' fails in the resolver itself: no query leaves this machine.
        self.handler = Recorder()
        self.client = c = ReconnectingTCPClient("a..b", 80, self.handler, clock=FakeClock(), max_attempts=1)
        f = raises(Failure, c.poll)
        self.assertEqual((f.kind, f.phase), ("dns", "dns"))
        self.assertIn("a..b", f.hint)

    def test_connect_timeout(self):
        # A listener whose backlog is full drops new SYNs: the connect hangs until the timeout.
        srv, port = listen(backlog=0)
        held = ReconnectingTCPClient("127.0.0.1", port, Recorder())
        try:
            self.assertTrue(held.poll(0))
            c = self.make(port, connect_timeout_ms=200, max_attempts=1)
            start = time.ticks_ms()
            f = raises(Failure, c.poll)
            self.assertEqual((f.kind, f.phase), ("timeout", "connect"))
            if sys.implementation.name == "micropython":  # CPython's TimeoutError has no errno
                self.assertEqual(f.errno, 110)
            self.assertTrue(time.ticks_diff(time.ticks_ms(), start) < 5000)
        finally:
            held.stop()
            srv.close()

    def test_peer_reset(self):
        c = self.connect()
        self.peer.reset()
        poll_until(c, lambda: not c.connected)
        self.assertEqual(self.handler.events[-1], ("disconnect", "reset"))
        f = self.handler.last_disconnect
        self.assertEqual((f.errno, f.phase), (104, "recv"))
        self.assertEqual(c.stats["disconnects"], 1)

    def test_clean_close_reconnects(self):
        c = self.connect()
        self.peer.close_conn()
        poll_until(c, lambda: not c.connected)
        self.assertEqual(self.handler.events[-1], ("disconnect", None))
        self.assertIsNone(c.stats["last_failure"])
        poll_until(c, lambda: c.connected)  # after one backoff step
        self.peer.accept()
        self.peer.send(b"again")
        poll_until(c, lambda: self.handler.data == b"again")
        self.assertEqual(self.peer.recv_exactly(18), b"Client echo: again")
        self.assertEqual(c.stats["connects"], 2)

    def test_silent_peer_hits_idle_timeout(self):
        c = self.connect(idle_timeout_ms=150)
        start = time.ticks_ms()
        poll_until(c, lambda: not c.connected, steps=100, step_ms=50)
        waited = time.ticks_diff(time.ticks_ms(), start)
        f = self.handler.last_disconnect
        self.assertEqual((f.kind, f.phase, f.errno), ("timeout", "recv", 110))
        self.assertIn("idle", f.hint)
        self.assertTrue(waited < 5000, waited)

    def test_data_keeps_an_idle_connection_alive(self):
        c = self.connect(idle_timeout_ms=300)
        for _ in range(4):
            c.poll(100)
            self.peer.send(b".")
        c.poll(50)
        self.assertTrue(c.connected)
        self.assertEqual(self.handler.data, b"....")

    def test_send_to_a_closed_peer_fails_and_drops(self):
        c = self.connect(handler=Recorder())
        self.peer.close_conn()
        c.send(b"first")  # accepted by the kernel; the peer answers with a RST
        time.sleep_ms(50)
        f = raises(Failure, c.send, b"second")
        self.assertIn(f.kind, ("closed", "reset"))
        self.assertEqual(f.phase, "send")
        self.assertFalse(c.connected)
        self.assertEqual(self.handler.named("disconnect")[-1][1], f.kind)

    def test_send_failure_inside_a_handler_is_not_a_handler_bug(self):
        class TwoSends:
            def on_data(self, client, data):
                client.send(b"a")
                time.sleep_ms(50)
                client.send(b"b")  # the peer is gone by now: raises, the client handles it

        c = self.connect(handler=TwoSends())
        self.peer.send(b"hi")
        self.peer.close_conn()
        time.sleep_ms(20)
        for _ in range(50):
            c.poll(20)  # must not raise
            if not c.connected:
                break
        self.assertFalse(c.connected)
        self.assertIn(c.stats["last_failure"].kind, ("closed", "reset"))

    def test_a_failure_the_handler_raises_itself_is_its_own(self):
        # Only the Failure send() raised (and already handled) ends at the client; one a
        # handler makes itself - a protocol check, say - propagates like any exception.
        class Strict:
            def on_data(self, client, data):
                raise Failure("protocol", "recv", None, "test")

        c = self.connect(handler=Strict())
        before = open_fds()
        self.peer.send(b"bad")
        f = raises(Failure, poll_until, c, lambda: False)
        self.assertEqual(f.kind, "protocol")
        self.assertFalse(c.connected)
        self.assertEqual(open_fds(), before - 1)


class BackoffRules(Base):
    def test_flapping_server_gets_growing_delays(self):
        clock = FakeClock()
        c = self.connect(clock=clock)
        delays = []
        for _ in range(6):
            self.peer.close_conn()  # accept, then drop at once, no data
            poll_until(c, lambda: not c.connected)
            delays.append(time.ticks_diff(c._next_at, clock.ticks_ms()))
            poll_until(c, lambda: c.connected, steps=5, step_ms=100000)
            self.peer.accept()
        self.assertEqual(delays, [100, 200, 400, 800, 1600, 1600])

    def test_data_resets_the_backoff(self):
        clock = FakeClock()
        c = self.connect(clock=clock, handler=Recorder())
        for _ in range(3):
            self.peer.close_conn()
            poll_until(c, lambda: not c.connected)
            poll_until(c, lambda: c.connected, steps=5, step_ms=100000)
            self.peer.accept()
        self.assertEqual(c.backoff.attempt, 3)
        clock.advance(100)  # the connection has outlived one backoff floor (initial_ms)
        self.peer.send(b"x")
        poll_until(c, lambda: self.handler.data == b"x")
        self.assertEqual(c.backoff.attempt, 0)
        self.peer.close_conn()
        poll_until(c, lambda: not c.connected)
        self.assertEqual(self.handler.named("disconnect")[-1], ("disconnect", None))
        self.assertEqual(c.backoff.attempt, 1)  # the delay after it was the initial one

    def test_a_banner_then_close_server_gets_growing_delays(self):
        # Accepts, says "busy" and closes at once: data came, but the connection did not
        # outlive one backoff floor, so it is not healthy and the delays keep growing.
        clock = FakeClock()
        c = self.connect(clock=clock, handler=Recorder())
        for _ in range(4):
            self.peer.send(b"busy\n")
            self.peer.close_conn()
            poll_until(c, lambda: not c.connected)
            poll_until(c, lambda: c.connected, steps=5, step_ms=100000)
            self.peer.accept()
        self.assertEqual(c.backoff.attempt, 4)
        self.assertEqual([d for d in clock.sleeps if d > 10], [100, 200, 400, 800])

    def test_stable_connection_resets_the_backoff(self):
        clock = FakeClock()
        c = self.connect(clock=clock, backoff=fixed_backoff(stable_ms=5000))
        c.backoff.next_ms()
        c.backoff.next_ms()
        clock.advance(4999)
        c.poll(0)
        self.assertEqual(c.backoff.attempt, 2)
        clock.advance(1)
        c.poll(0)
        self.assertEqual(c.backoff.attempt, 0)


class Handlers(Base):
    def test_stop_from_a_handler_ends_run(self):
        class StopOnData(Recorder):
            def on_data(self, client, data):
                Recorder.on_data(self, client, data)
                client.stop()

        self.peer = Peer()
        c = self.make(self.peer.port, handler=StopOnData())
        c.poll(0)
        self.peer.accept()
        self.peer.send(b"bye")
        c.run()  # returns because the handler stopped it
        self.assertFalse(c.connected)
        self.assertEqual(self.handler.events[-2:], [("data", b"bye"), ("disconnect", None)])
        self.assertFalse(c.poll(0))  # stopped: poll does nothing
        self.assertEqual(self.peer.conn.recv(10), b"")  # the peer sees the close

    def test_handler_exception_closes_then_propagates(self):
        class Buggy(Recorder):
            bug = True

            def on_data(self, client, data):
                if self.bug:
                    raise ValueError("bug in handler")
                Recorder.on_data(self, client, data)

        c = self.connect(handler=Buggy(echo=True))
        before = open_fds()
        self.peer.send(b"boom")
        e = raises(ValueError, poll_until, c, lambda: False)
        self.assertEqual(str(e), "bug in handler")
        self.assertFalse(c.connected)
        self.assertEqual(open_fds(), before - 1)
        self.assertEqual(self.peer.conn.recv(10), b"")  # the peer sees the close
        # a later run() starts clean: it connects again and serves
        self.handler.bug = False
        self.peer.close_conn()
        poll_until(c, lambda: c.connected, steps=50, step_ms=50)
        self.peer.accept()
        self.peer.send(b"ok")
        poll_until(c, lambda: self.handler.data == b"ok")
        self.assertEqual(self.peer.recv_exactly(15), b"Client echo: ok")

    def test_exception_in_on_connect_leaks_nothing(self):
        class BadConnect:
            def on_connect(self, client):
                raise RuntimeError("no")

        self.peer = Peer()
        c = self.make(self.peer.port, handler=BadConnect())
        raises(RuntimeError, c.poll, 0)
        self.assertFalse(c.connected)
        self.assertEqual(c.stats["disconnects"], 1)

    def test_handler_with_no_methods_is_fine(self):
        c = self.connect(handler=object())
        self.peer.send(b"ignored")
        poll_until(c, lambda: c.stats["bytes_in"] == 7)
        self.assertTrue(c.connected)

    def test_keyboard_interrupt_in_a_handler_closes_the_socket(self):
        class CtrlC:
            def on_data(self, client, data):
                raise KeyboardInterrupt

        c = self.connect(handler=CtrlC())
        self.peer.send(b"x")
        raises(KeyboardInterrupt, poll_until, c, lambda: False)
        self.assertFalse(c.connected)


class Sockets(Base):
    def test_no_socket_leaks_over_many_cycles(self):
        clock = FakeClock()
        c = self.connect(clock=clock)
        self.peer.close_conn()
        poll_until(c, lambda: not c.connected)
        after_one = open_fds()
        for i in range(40):
            poll_until(c, lambda: c.connected, steps=5, step_ms=100000)
            self.peer.accept()
            if i % 3 == 0:
                self.peer.reset()
            elif i % 3 == 1:
                self.peer.close_conn()
            else:
                self.peer.send(b"x")
                poll_until(c, lambda: c.stats["bytes_in"] > 0)
                self.peer.close_conn()
            poll_until(c, lambda: not c.connected)
        self.assertEqual(open_fds(), after_one)
        # refusals too (the listener closed: one descriptor fewer on the peer side)
        self.peer.listener.close()
        self.peer.listener = None
        for _ in range(10):
            c.poll(100000)
        self.assertEqual(open_fds(), after_one - 1)
        self.assertEqual(c.stats["connects"], 41)
        self.assertEqual(c.stats["connect_failures"], 10)


class Link(Base):
    def test_waits_for_the_cable_without_spending_attempts(self):
        class Nic:
            up = False

            def isconnected(self):
                return self.up

        nic = Nic()
        clock = FakeClock()
        self.peer = Peer()
        c = self.make(self.peer.port, nic=nic, clock=clock)
        for _ in range(20):
            c.poll(1000)
        self.assertEqual(self.handler.events, [("failed", "no_link", None)])
        self.assertEqual(c.stats["last_failure"].kind, "no_link")
        self.assertEqual(c.stats["connect_failures"], 0)
        self.assertEqual(c.backoff.attempt, 0)
        self.assertEqual(clock.sleeps, [250] * 20)  # cheap link checks, bounded by poll()
        nic.up = True
        self.assertTrue(c.poll(0))  # at once, no backoff wait
        self.peer.accept()
        self.assertEqual(self.handler.events[-2:], [("connecting",), ("connect",)])


class Arguments(Base):
    def test_bad_arguments_raise_before_any_socket(self):
        h = Recorder()

        class NotCallable:
            on_data = 5

        class BadBeat:
            on_heartbeat = "ping"

        cases = (
            (TypeError, "host", (None, 80, h), {}),
            (TypeError, "host", (b"127.0.0.1", 80, h), {}),
            (ValueError, "host", ("", 80, h), {}),
            (TypeError, "port", ("h", "80", h), {}),
            (TypeError, "port", ("h", True, h), {}),
            (ValueError, "port", ("h", 0, h), {}),
            (ValueError, "port", ("h", 65536, h), {}),
            (TypeError, "handler", ("h", 80, None), {}),
            (TypeError, "handler.on_data", ("h", 80, NotCallable()), {}),
            (ValueError, "connect_timeout_ms", ("h", 80, h), {"connect_timeout_ms": -1}),
            (TypeError, "connect_timeout_ms", ("h", 80, h), {"connect_timeout_ms": 1.5}),
            (ValueError, "idle_timeout_ms", ("h", 80, h), {"idle_timeout_ms": 0}),
            (ValueError, "send_timeout_ms", ("h", 80, h), {"send_timeout_ms": -5}),
            (ValueError, "max_attempts", ("h", 80, h), {"max_attempts": 0}),
            (TypeError, "backoff", ("h", 80, h), {"backoff": 500}),
            (TypeError, "nic", ("h", 80, h), {"nic": object()}),
            (ValueError, "rxbuf", ("h", 80, h), {"rxbuf": 0}),
            (TypeError, "rxbuf", ("h", 80, h), {"rxbuf": b"abc"}),
            (ValueError, "heartbeat_ms", ("h", 80, h), {"heartbeat_ms": 0}),
            (TypeError, "outbox", ("h", 80, h), {"outbox": []}),
            (TypeError, "tls", ("h", 80, h), {"tls": "on"}),
            (TypeError, "handler.on_heartbeat", ("h", 80, BadBeat()), {}),
        )
        before = open_fds()
        for exc, name, args, kwargs in cases:
            e = raises(exc, ReconnectingTCPClient, *args, **kwargs)
            self.assertIn(name, str(e))
        self.assertEqual(open_fds(), before)

    def test_the_checks_are_not_kept_in_memory(self):
        # They run once per object: wiznet_net._checks is loaded for the constructor and
        # dropped after it, whether the arguments passed or not.
        import wiznet_net

        ReconnectingTCPClient("127.0.0.1", 80, Recorder(), backoff=Backoff())
        raises(ValueError, ReconnectingTCPClient, "127.0.0.1", 0, Recorder())
        raises(ValueError, Backoff, initial_ms=0)
        self.assertFalse("wiznet_net._checks" in sys.modules)
        self.assertFalse(hasattr(wiznet_net, "_checks"))

    def test_rand_injection_makes_delays_reproducible(self):
        runs = []
        for _ in range(2):
            clock = FakeClock()
            c = ReconnectingTCPClient("127.0.0.1", closed_port(), Recorder(), clock=clock, backoff=Backoff(rand=lcg(99)))
            for _ in range(5):
                c.poll(100000)
            runs.append(clock.sleeps)
        self.assertEqual(runs[0], runs[1])
        self.assertEqual(len(runs[0]), 4)
