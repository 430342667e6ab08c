# Months unattended (issue #11): what a peer, a user or a clock does to a device left
# alone - a busy main loop, a week without polling, a pulled cable, bad arguments, a
# fragmented heap, Ctrl-C - against the blocking client on real loopback sockets.
import socket
import time

from support import (
    FRAGMENTED_HEAP,
    TICKS_MASK,
    FakeClock,
    FaultPeer,
    Peer,
    Quiet,
    Recorder,
    SocketTestCase,
    closed_port,
    micropython_only,
    open_fds,
    poll_until,
    raises,
    run_fresh,
)
from wiznet_net import Backoff, Failure, ReconnectingTCPClient
from wiznet_net.outbox import Outbox

SO_SNDBUF = 7  # Linux numbers; MicroPython's socket module does not name them
# ticks_diff() sees no further than half the port's ticks period: 2**29 ms (6.2 days) on a
# board, far more on the 64-bit unix port, so the tests advance by the port's own half.
HALF_PERIOD = (TICKS_MASK + 1) // 2


class Nic:
    """A network interface whose link the test pulls and restores."""

    def __init__(self):
        self.up = True
        self.interrupt_after = None  # raise KeyboardInterrupt on that many more checks

    def isconnected(self):
        if self.interrupt_after is not None:
            self.interrupt_after -= 1
            if self.interrupt_after < 0:
                self.interrupt_after = None
                raise KeyboardInterrupt
        return self.up


class StepClock(FakeClock):
    """Fake time that also moves `step` ms each time it is read: long operations (a send
    that waits for room again and again) take fake time as they go."""

    def __init__(self, step):
        super().__init__(record=False)
        self.step = step

    def ticks_ms(self):
        self.now += self.step
        return self.now & TICKS_MASK


class Base(SocketTestCase):
    def make(self, port, handler=None, **kw):
        self.handler = handler or Recorder()
        kw.setdefault("backoff", Backoff(initial_ms=100, max_ms=1600, jitter=0))
        self.client = ReconnectingTCPClient("127.0.0.1", port, self.handler, **kw)
        return self.client

    def connect(self, **kw):
        self.peer = Peer()
        c = self.make(self.peer.port, **kw)
        self.assertTrue(c.poll(0))
        self.peer.accept()
        return c


class BusyMainLoop(Base):
    def test_data_waiting_in_the_socket_counts_as_life(self):
        # The peer sends a line every 200 ms; the program does 1.5 s of other work once.
        # The lines are waiting in the socket: read them, do not declare the peer idle.
        clock = FakeClock(record=False)
        c = self.connect(idle_timeout_ms=1000, clock=clock)
        for i in range(7):
            self.peer.send(b"line %d\n" % i)
        clock.advance(1500)
        time.sleep_ms(20)  # loopback delivery
        poll_until(c, lambda: self.handler.data.count(b"\n") == 7)
        self.assertTrue(c.connected)
        self.assertEqual(self.handler.named("disconnect"), [])

    def test_a_send_that_waited_longer_than_the_idle_timeout_is_no_silence(self):
        # The peer reads what we send but says nothing; one big send takes longer than the
        # idle timeout because it waits for room: the peer made room, so it is alive.
        self.peer = FaultPeer()  # reads everything, sends nothing
        clock = StepClock(100)
        c = self.make(self.peer.port, idle_timeout_ms=1000, send_timeout_ms=100000, clock=clock)
        poll_until(c, lambda: c.connected)
        c._sock.setsockopt(socket.SOL_SOCKET, SO_SNDBUF, 4096)
        start = clock.now
        c.send(bytes(256) * 4096)  # 1 MiB
        self.assertTrue(clock.now - start > 1000, "the send should have outlasted the idle timeout")
        c.poll(0)
        self.assertTrue(c.connected)
        self.assertEqual(self.handler.named("disconnect"), [])


class WeekWithoutPolling(Base):
    def test_an_overdue_attempt_is_made_at_once_after_more_than_half_the_ticks_period(self):
        clock = FakeClock()
        c = self.make(closed_port(), clock=clock)
        c.poll(0)  # refused: the next attempt is due in 100 ms
        self.assertEqual(c.stats["connect_failures"], 1)
        clock.advance(HALF_PERIOD + 1000)  # nobody polled for more than half the period
        del clock.sleeps[:]
        c.poll(0)
        self.assertEqual(clock.sleeps, [])  # no wait: overdue
        self.assertEqual(c.stats["connect_failures"], 2)

    def test_a_stopped_client_started_a_week_later_tries_at_once(self):
        clock = FakeClock()
        c = self.make(closed_port(), clock=clock)
        c.poll(0)
        c.stop()
        clock.advance(HALF_PERIOD + 1000)  # a week on a board (half its period: 6.2 days)
        c.start()
        del clock.sleeps[:]
        c.poll(0)
        self.assertEqual(clock.sleeps, [])
        self.assertEqual(c.stats["connect_failures"], 2)

    def test_the_idle_timeout_still_fires_after_a_long_pause(self):
        clock = FakeClock(record=False)
        c = self.connect(idle_timeout_ms=1000, clock=clock)
        clock.advance(HALF_PERIOD + 5)  # wraps ticks_diff() to a negative "elapsed"
        c.poll(0)
        self.assertFalse(c.connected)
        self.assertEqual(self.handler.named("disconnect"), [("disconnect", "timeout")])


class PulledCable(Base):
    def test_a_connected_client_notices_a_lost_link_whatever_its_idle_timeout(self):
        nic = Nic()
        clock = FakeClock(record=False)
        c = self.connect(nic=nic, clock=clock)  # idle_timeout_ms=None: a quiet server
        c.poll(0)
        nic.up = False
        clock.advance(249)
        c.poll(0)
        self.assertTrue(c.connected)  # looked at every 250 ms
        clock.advance(1)
        c.poll(0)
        self.assertFalse(c.connected)
        f = c.stats["last_failure"]
        self.assertEqual((f.kind, f.phase), ("no_link", "link"))
        self.assertEqual(self.handler.named("disconnect"), [("disconnect", "no_link")])
        # Waiting for the cable costs no backoff step and is reported once.
        for _ in range(5):
            c.poll(1000)
        self.assertEqual(c.backoff.attempt, 0)
        self.assertEqual(self.handler.named("failed"), [])
        nic.up = True
        self.assertTrue(c.poll(0))  # at once
        self.peer.accept()

    def test_max_attempts_holds_while_the_cable_is_out(self):
        # run() with max_attempts used to wait for the cable forever: a link that is
        # down counted no attempt. An attempt due then fails as no_link.
        nic = Nic()
        nic.up = False
        clock = FakeClock()
        c = self.make(closed_port(), nic=nic, max_attempts=2, clock=clock)
        f = None
        for _ in range(50):  # bounded: it raised after two attempts' time before
            try:
                c.poll(1000)
            except Failure as e:
                f = e
                break
        self.assertTrue(f is not None, "no Failure after 50 polls")
        self.assertEqual((f.kind, f.phase), ("no_link", "link"))
        self.assertTrue(c.stopped)
        self.assertEqual(self.handler.named("failed"), [("failed", "no_link", 100), ("failed", "no_link", None)])
        self.assertEqual(c.stats["connect_failures"], 2)

    def test_with_max_attempts_the_link_back_is_still_tried_at_once(self):
        nic = Nic()
        nic.up = False
        clock = FakeClock()
        self.peer = Peer()
        c = self.make(self.peer.port, nic=nic, max_attempts=3, clock=clock,
                      backoff=Backoff(initial_ms=10000, max_ms=10000, jitter=0))
        c.poll(0)  # the first attempt fails: no link; the next is due in 10 s
        nic.up = True
        self.assertTrue(c.poll(0))  # the cable is back: at once, not in 10 s
        self.peer.accept()

    def test_poll_with_a_long_timeout_still_looks_at_the_link(self):
        # poll(5000) on a quiet connection returns within 250 ms to look at the link.
        nic = Nic()
        c = self.connect(nic=nic)
        nic.up = False
        start = time.ticks_ms()
        for _ in range(3):
            if c.poll(5000):
                continue
            break
        self.assertFalse(c.connected)
        self.assertTrue(time.ticks_diff(time.ticks_ms(), start) < 1000)


class BadArguments(Base):
    def test_send_refuses_before_any_byte_moves(self):
        c = self.connect()
        for args, exc in (((b"abc", 10), ValueError), ((b"xyz", -1), ValueError), (("h\xe9llo",), TypeError),
                          ((b"abc", 1.5), ValueError)):
            e = raises(exc, c.send, *args)
            self.assertIn("n" if exc is ValueError else "str", str(e))
        self.assertTrue(c.connected)
        c.send(b"ok")
        self.assertEqual(self.peer.recv_exactly(2), b"ok")  # nothing before it
        self.assertEqual(c.stats["bytes_out"], 2)

    def test_an_array_of_wider_items_is_refused_not_cut(self):
        # len() of an array('H') counts items, the socket counts bytes: send() used to
        # write 3 of its 6 bytes and say nothing (and the outbox refused it with a
        # confusing ValueError).
        from array import array

        c = self.connect()
        samples = array("H", [0x4142, 0x4344, 0x4546])
        for args in ((samples,), (samples, 2)):
            e = raises(TypeError, c.send, *args)
            self.assertIn("bytes(data)", str(e))
        c.send(array("B", b"ok"))  # one byte per item: sent as it is
        self.assertEqual(self.peer.recv_exactly(2), b"ok")
        self.assertEqual(c.stats["bytes_out"], 2)
        self.assertTrue(c.connected)

    def test_nothing_is_queued_either(self):
        box = Outbox(64)
        c = self.make(closed_port(), outbox=box)
        raises(ValueError, c.send, b"xyz", -1)
        raises(ValueError, c.send, b"abc", 10)
        raises(TypeError, c.send, "text")
        from array import array

        raises(TypeError, c.send, array("i", [1, 2]))
        self.assertEqual(len(box), 0)

    def test_backoff_and_client_durations_a_board_can_count(self):
        # time.ticks_add() raises OverflowError from 2**29 ms on a board: refuse up front.
        for kw in ({"initial_ms": 1 << 29}, {"max_ms": 1 << 29}, {"stable_ms": 1 << 29}):
            e = raises(ValueError, Backoff, **kw)
            self.assertIn(list(kw)[0], str(e))
        for name in ("connect_timeout_ms", "idle_timeout_ms", "send_timeout_ms", "heartbeat_ms"):
            e = raises(ValueError, ReconnectingTCPClient, "127.0.0.1", 80, Recorder(), **{name: 1 << 29})
            self.assertIn(name, str(e))
        for factor in (float("inf"), float("nan"), 1e9):
            e = raises(ValueError, Backoff, factor=factor)
            self.assertIn("factor", str(e))

    def test_an_injected_rand_is_checked_at_construction_and_used_from_its_first_value(self):
        e = raises(ValueError, Backoff, rand=lambda: 1.5)
        self.assertIn("rand", str(e))
        raises(ValueError, Backoff, rand=lambda: -0.1)
        values = [0.0, 1.0, 0.5, 7.0, -3.0]  # later values gone wrong are kept in range
        b = Backoff(initial_ms=100, factor=2, max_ms=100000, rand=lambda: values.pop(0))
        delays = [b.next_ms() for _ in range(5)]
        self.assertEqual(delays, [100, 100, 250, 100, 1600])
        self.assertTrue(all(d >= 100 for d in delays))


class PollForever(Base):
    def test_poll_minus_one_waits_for_data_and_delivers_it(self):
        import _thread

        c = self.connect()
        _thread.start_new_thread(lambda: (time.sleep_ms(200), self.peer.send(b"late")), ())
        start = time.ticks_ms()
        self.assertTrue(c.poll(-1))
        self.assertEqual(self.handler.data, b"late")
        self.assertTrue(time.ticks_diff(time.ticks_ms(), start) >= 150)

    def test_poll_minus_one_on_a_healthy_connection_without_timers_still_waits(self):
        # Healthy, and no link watch, idle timeout or heartbeat: no timer runs, and
        # poll(-1) used to return at once without reading - a busy loop that never
        # delivered the data waiting.
        import _thread

        c = self.connect(backoff=Backoff(initial_ms=100, stable_ms=0))
        c.poll(0)  # healthy from now on
        _thread.start_new_thread(lambda: (time.sleep_ms(200), self.peer.send(b"late")), ())
        start = time.ticks_ms()
        for _ in range(3):  # one poll(-1) is enough; three bound the test on failure
            c.poll(-1)
            if self.handler.data:
                break
        self.assertEqual(self.handler.data, b"late")
        self.assertTrue(time.ticks_diff(time.ticks_ms(), start) >= 150)

    def test_poll_minus_one_while_disconnected_sleeps_until_the_attempt_is_due(self):
        clock = FakeClock()
        c = self.make(closed_port(), clock=clock)
        c.poll(-1)
        c.poll(-1)
        self.assertEqual(clock.sleeps, [100])  # the backoff delay, never a negative sleep
        self.assertEqual(c.stats["connect_failures"], 2)


class SendWithoutConnection(Base):
    def test_enotconn_inside_a_handler_is_visible(self):
        # No connection existed: not a failure the client already handled, so it is not
        # swallowed, and the rest of the handler does not silently vanish.
        class Reporter(Recorder):
            def on_connect_failed(self, client, failure, retry_in_ms):
                client.send(b"status: offline")

        c = self.make(closed_port(), handler=Reporter())
        f = raises(Failure, c.poll, 0)
        self.assertEqual((f.kind, f.errno), ("closed", 107))


class InterruptingClock(FakeClock):
    """Ctrl-C lands on the n-th read of the clock: inside poll(), outside any handler."""

    def __init__(self, n):
        super().__init__(record=False)
        self.n = n

    def ticks_ms(self):
        self.n -= 1
        if self.n == 0:
            raise KeyboardInterrupt
        self.now += 10
        return self.now & TICKS_MASK


class CtrlC(Base):
    def test_ctrl_c_in_run_while_connected_closes_the_socket(self):
        self.peer = Peer()
        c = self.make(self.peer.port, clock=InterruptingClock(20))
        raises(KeyboardInterrupt, c.run)
        self.assertEqual(c.stats["connects"], 1)
        self.assertFalse(c.connected)
        self.assertTrue(c.stopped)
        self.assertEqual(self.handler.named("disconnect"), [("disconnect", None)])


class InterruptedSend(Base):
    def test_ctrl_c_inside_a_send_cut_part_way_drops_the_connection(self):
        # Part of the message is in the socket when Ctrl-C lands while send() waits for
        # room. Kept open, the connection would carry the next send() as the rest of the
        # cut message: the peer would read garbage. Dropped, the peer sees the cut.
        clock = InterruptingClock(1 << 30)
        c = self.connect(clock=clock)
        c.socket.setsockopt(socket.SOL_SOCKET, SO_SNDBUF, 4096)
        clock.n = 2  # the second read of the clock: inside send()'s wait for room
        raises(KeyboardInterrupt, c.send, bytes(1 << 20))
        sent = c.stats["bytes_out"]
        self.assertTrue(0 < sent < 1 << 20, sent)
        self.assertFalse(c.connected)
        self.assertEqual(self.handler.named("disconnect"), [("disconnect", "closed")])
        self.assertIn("interrupted part-way", c.stats["last_failure"].hint)
        got = 0
        for _ in range(1000):  # the peer reads what was sent, then the end of the stream
            chunk = self.peer.conn.recv(65536)
            if not chunk:
                break
            got += len(chunk)
        self.assertEqual(got, sent)


    def test_ctrl_c_between_the_two_parts_of_a_queued_message_drops_the_connection(self):
        # A queued message that wraps round the end of the outbox's ring goes out in two
        # writes; Ctrl-C after the first leaves the peer with part of it.
        clock = InterruptingClock(1 << 30)
        box = Outbox(64)

        class Stall(Recorder):
            def on_connect(self, client):
                write = client._write
                calls = []

                def third_finds_no_room(buf, off, n):
                    calls.append(n)
                    return None if len(calls) == 3 else write(buf, off, n)

                client._write = third_finds_no_room
                clock.n = 2  # the second read of the clock: waiting for room

        self.peer = Peer()
        c = self.make(self.peer.port, handler=Stall(), outbox=box, clock=clock)
        for message in (b"a" * 20, b"b" * 20, b"c" * 30):  # the third drops the first, wraps
            c.send(message)
        raises(KeyboardInterrupt, c.poll, 0)
        self.assertFalse(c.connected)
        self.assertEqual(self.handler.named("disconnect"), [("disconnect", "closed")])
        self.peer.accept()
        self.assertEqual(self.peer.recv_exactly(100), b"b" * 20 + b"c" * 18)  # then the end


    def test_ctrl_c_while_waiting_for_room_before_any_byte_leaves_a_working_connection(self):
        # Nothing of the message went, so the connection stays - but the poller was left
        # watching for room instead of data: every poll() woke at once, and "data
        # waiting" was always true, so the idle timeout never fired again.
        clock = FakeClock(record=False)
        c = self.connect(idle_timeout_ms=1000, clock=clock)
        write, wait = c._write, c._wait
        c._write = lambda buf, off, n: None  # the socket is full

        def interrupted(ms):
            c._wait = wait
            raise KeyboardInterrupt

        c._wait = interrupted
        raises(KeyboardInterrupt, c.send, b"x")
        c._write = write
        self.assertTrue(c.connected)
        self.assertFalse(c._data_waiting())
        clock.advance(1001)
        c.poll(0)
        self.assertEqual(self.handler.named("disconnect"), [("disconnect", "timeout")])


class InterruptedRead(Base):
    def test_ctrl_c_during_the_copy_for_on_data_is_not_a_full_heap(self):
        # Whatever interrupted the copy made for on_data was taken for a MemoryError: a
        # Ctrl-C there became a no_memory failure and a reconnect, and did not stop.
        import wiznet_net._common as session  # where the read path lives

        c = self.connect()
        self.peer.send(b"hello")
        time.sleep_ms(20)

        def interrupted(data):
            raise KeyboardInterrupt

        session.bytes = interrupted  # found before the builtin by the read path
        try:
            raises(KeyboardInterrupt, c.poll, 100)
        finally:
            del session.bytes
        self.assertFalse(c.connected)
        self.assertEqual(c.stats["last_failure"], None)


class TlsWithoutAuthentication(Base):
    def test_a_context_that_verifies_nothing_is_refused(self):
        micropython_only("MicroPython's SSLContext defaults to CERT_NONE; CPython's to CERT_REQUIRED")
        import ssl

        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verify_mode CERT_NONE on MicroPython
        e = raises(ValueError, ReconnectingTCPClient, "127.0.0.1", 443, Recorder(), tls=ctx)
        self.assertIn("CERT_REQUIRED", str(e))
        ctx.verify_mode = ssl.CERT_REQUIRED
        ReconnectingTCPClient("127.0.0.1", 443, Recorder(), tls=ctx)


class FragmentedHeap(Base):
    def test_no_room_for_the_copy_is_a_retryable_failure_not_a_handler_bug(self):
        # A heap with 512-byte holes only: the 1 KiB copy for on_data cannot be made.
        micropython_only("-X heapsize and a fresh interpreter")
        code = FRAGMENTED_HEAP + """
from wiznet_net import Backoff, ReconnectingTCPClient
seen = []
class H:
    def on_data(self, client, data):
        seen.append(len(data))
    def on_disconnect(self, client, failure):
        seen.append(failure)
c = ReconnectingTCPClient("127.0.0.1", port, H(), rxbuf=1024, backoff=Backoff(jitter=0))
deliver_without_room(c, bytes(1000), seen)
srv.close()
"""
        status, out = run_fresh(code, "fragmented")
        self.assertEqual(status, 0, out)
        self.assertIn("escaped: none connected False seen ['no_memory'] kind no_memory retryable True", out)

    def test_the_outbox_drains_without_a_copy_after_an_outage(self):
        # Right after an outage the heap may have no room for a copy of a queued message:
        # the flush used to pop() a 2000-byte copy, so the MemoryError escaped poll(),
        # the message was gone (not sent, not counted) and the rest stayed queued behind
        # newer sends. The flush sends from the outbox's own ring now.
        micropython_only("-X heapsize and a fresh interpreter")
        code = FRAGMENTED_HEAP + """
from wiznet_net import Backoff, ReconnectingTCPClient
from wiznet_net.outbox import Outbox
box = Outbox(4096)
c = ReconnectingTCPClient("127.0.0.1", port, object(), outbox=box, backoff=Backoff(jitter=0))
for message in QUEUED:
    c.send(message)
result = poll_without_room(c)
print(result, "connected", c.connected, drained(c, box))
srv.close()
"""
        status, out = run_fresh(code, "fragmented_outbox")
        self.assertEqual(status, 0, out)
        self.assertIn("escaped: none connected True queued 0 dropped 1 peer got True", out)


class NoRoomToRegister:
    """The client's poller, with no memory for the first socket registered (the poller
    grows its table on a register)."""

    def __init__(self, poller):
        self.poller = poller
        self.failures = 1

    def register(self, sock, events):
        if self.failures:
            self.failures -= 1
            raise MemoryError
        self.poller.register(sock, events)

    def __getattr__(self, name):
        return getattr(self.poller, name)


class NoMemoryWhileConnecting(Base):
    def test_no_room_to_watch_the_new_socket_closes_it_and_retries(self):
        # The socket was registered with the poller after the attempt's try: the
        # MemoryError escaped poll() and the connected socket was never closed.
        self.peer = Peer()
        c = self.make(self.peer.port, clock=FakeClock())
        c._poller = NoRoomToRegister(c._poller)
        fds = self.fds
        self.assertFalse(c.poll(0))
        self.assertEqual(c.stats["last_failure"].kind, "no_memory")
        self.assertEqual(self.handler.named("failed"), [("failed", "no_memory", 100)])
        self.peer.accept()
        self.peer.close_conn()
        self.assertEqual(open_fds(), fds + 1)  # the listener alone
        self.assertTrue(c.poll(1000))  # the next attempt, after the backoff delay
        self.peer.accept()


class AsyncHandlerOnTheBlockingClient(Base):
    # The blocking client cannot run `async def` methods: their coroutines would be thrown
    # away while the messages count as delivered. Refused loudly, the socket closed first.
    def test_a_coroutine_on_data(self):
        class Async(Recorder):
            async def on_data(self, client, data):
                self.data += data

        c = self.connect(handler=Async())
        self.peer.send(b"hello")
        time.sleep_ms(20)
        e = raises(TypeError, poll_until, c, lambda: False, 5)
        self.assertIn("AsyncReconnectingTCPClient", str(e))
        self.assertFalse(c.connected)
        self.assertEqual(self.handler.data, b"")

    def test_a_coroutine_on_connect(self):
        class AsyncConnect(Recorder):
            async def on_connect(self, client):
                self.events.append(("connect",))

        self.peer = Peer()
        c = self.make(self.peer.port, handler=AsyncConnect())
        e = raises(TypeError, c.poll, 0)
        self.assertIn("AsyncReconnectingTCPClient", str(e))
        self.assertFalse(c.connected)


class HandlerReentry(Base):
    def test_stop_inside_on_connecting_makes_no_attempt(self):
        # stop() from on_connecting used to be ignored by the attempt under way: run()
        # returned with a connected socket left open, on_connect called after the stop.
        class Stopper(Recorder):
            def on_connecting(self, client):
                Recorder.on_connecting(self, client)
                client.stop()

        self.peer = Peer()
        c = self.make(self.peer.port, handler=Stopper())
        c.run()
        self.assertFalse(c.connected)
        self.assertEqual(c.socket, None)
        self.assertEqual(c.stats["connects"], 0)
        self.assertEqual(self.handler.events, [("connecting",)])



class LongRunningCounters(Base):
    def test_byte_counters_wrap_at_2_to_the_30_instead_of_growing_into_long_ints(self):
        # On a board an int past 2**30 is a long: every addition would allocate, once per
        # message, after the first GiB (about 30 hours at 10 kB/s). They wrap, as ticks do.
        c = self.connect(handler=Recorder(echo=True))
        c.stats["bytes_in"] = (1 << 30) - 3
        c.stats["bytes_out"] = (1 << 30) - 1
        self.peer.send(b"hello")
        poll_until(c, lambda: self.handler.data == b"hello")
        self.assertEqual(c.stats["bytes_in"], 2)
        self.assertEqual(c.stats["bytes_out"], 17)  # "Client echo: hello" is 18 bytes
        self.assertEqual(self.peer.recv_exactly(18), b"Client echo: hello")


class PollNone(Base):
    def test_poll_none_is_for_ever_as_in_micropython_s_poll(self):
        import _thread

        c = self.connect()
        _thread.start_new_thread(lambda: (time.sleep_ms(100), self.peer.send(b"late")), ())
        self.assertTrue(c.poll(None))
        self.assertEqual(self.handler.data, b"late")
        c.stop()
        clock = FakeClock()
        c = self.make(closed_port(), clock=clock)
        c.poll(None)
        c.poll(None)
        self.assertEqual(clock.sleeps, [100])
