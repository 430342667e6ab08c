# The blocking TCPServer against real clients on 127.0.0.1: many at once, a storm past
# the budget, peers that hold a slot (silent, dripping, not reading, half-open), handlers
# that raise or stop the server, Ctrl-C, framers on several connections - every socket
# counted at the end of each test (serverkit.ServerCase). Timers run on a FakeClock that
# starts just before the ticks wrap, so every timer crosses it.
import socket
import sys
import time

from serverkit import RESET, Log, ServerCase, flaky, reset, take, wall_ms
from support import FRAGMENTED_HEAP, FakeClock, micropython_only, open_fds, raises, run_fresh
from wiznet_net import Failure, TCPServer
from wiznet_net.framing import LengthPrefixed, Lines
from wiznet_net.serving import Connection


class Base(ServerCase):
    def setUp(self):
        super().setUp()
        self.clock = FakeClock(record=False)

    def make(self, handler=None, **options):
        self.handler = handler if handler is not None else Log()
        options.setdefault("clock", self.clock)
        self.server = TCPServer(self.listen_on(), self.handler, bind="127.0.0.1", **options)
        return self.server

    def pump(self, cond, steps=200, step_ms=10):
        """poll() the server until cond() holds, at most `steps` times."""
        for _ in range(steps):
            if cond():
                return
            self.server.poll(step_ms)
        if not cond():
            raise AssertionError("condition not reached after %d polls; stats %r" % (steps, self.server.stats))

    def served(self, n=1):
        """n clients connected and served (on_connect called)."""
        before = self.server.stats["connects"]
        socks = []
        for _ in range(n):
            socks.append(self.clients.dial())
            self.pump(lambda: self.server.stats["connects"] > before + len(socks) - 1)
        return socks if n > 1 else socks[0]

    def read(self, s, n, steps=200):
        """n bytes from client s, polling the server meanwhile."""
        got = b""
        for _ in range(steps):
            part = take(s)
            if part is RESET or part == b"":
                break
            if part:
                got += part
            if len(got) >= n:
                break
            self.server.poll(10)
        return got

    def closed(self, s, steps=200):
        """Whether the server closed client s (EOF or reset), polling it meanwhile."""
        for _ in range(steps):
            part = take(s)
            if part is RESET or part == b"":
                return True
            self.server.poll(10)
        return False


class Serving(Base):
    def test_many_clients_at_once_each_gets_its_own_echo(self):
        self.make()
        socks = self.served(4)
        for i, s in enumerate(socks):
            s.send(b"client %d" % i)
        for i, s in enumerate(socks):
            self.assertEqual(self.read(s, 8), b"client %d" % i)
        self.assertEqual(sorted(c.state for c in self.handler.conns), [b"client %d" % i for i in range(4)])
        for c in self.handler.conns:
            self.assertEqual(c.peer[0], "127.0.0.1")
            self.assertTrue(0 < c.peer[1] < 65536)
        self.assertEqual(self.server.clients, 4)
        self.assertEqual((self.server.stats["bytes_in"], self.server.stats["bytes_out"]), (32, 32))

    def test_a_clean_close_by_the_peer(self):
        self.make()
        s = self.served()
        s.close()
        self.pump(lambda: self.server.clients == 0)
        self.assertEqual(self.handler.events[-1], ("disconnect", None))
        self.assertEqual(self.server.stats["disconnects"], 1)

    def test_zero_copy_into_the_servers_buffer(self):
        got = []

        class Into:
            def on_data_into(self, conn, buf, n):
                got.append((len(buf), bytes(buf[:n])))
                conn.send(buf, n)

        self.make(Into(), rxbuf=64)
        s = self.served()
        s.send(b"x" * 100)
        self.assertEqual(self.read(s, 100), b"x" * 100)
        self.assertEqual(got[0], (64, b"x" * 64))

    def test_the_zero_copy_echo_keeps_nothing_per_message(self):
        # With gc off, serving messages leaves the heap as it found it (call frames freed
        # on return do not count), with two connections open.
        micropython_only("gc.mem_alloc() measures the MicroPython heap")
        import gc

        class Into:
            def on_data_into(self, conn, buf, n):
                conn.send(buf, n)

        self.make(Into(), idle_timeout_ms=30000)
        a, b = self.served(2)
        for s in (a, b):
            s.send(b"warm-up")
            self.assertEqual(self.read(s, 7), b"warm-up")
        data = b"0123456789abcdef" * 4
        gc.collect()
        gc.disable()
        try:
            before = gc.mem_alloc()
            for _ in range(25):
                a.send(data)
                b.send(data)
                self.server.poll(1000)
                self.server.poll(0)
            kept = gc.mem_alloc() - before
        finally:
            gc.enable()
        self.assertEqual(len(self.read(a, 25 * len(data))), 25 * len(data))
        self.assertEqual(len(self.read(b, 25 * len(data))), 25 * len(data))
        self.assertEqual(kept, 0)

    def test_conn_state_and_send_of_an_empty_buffer(self):
        class Stateful:
            def on_connect(self, conn):
                self.first = conn.state
                conn.state = 0
                conn.send(b"")  # writes nothing, closes nothing

            def on_data(self, conn, data):
                conn.state += len(data)

        handler = Stateful()
        self.make(handler)
        s = self.served()
        self.assertIsNone(handler.first)
        s.send(b"abc")
        self.pump(lambda: self.server.stats["bytes_in"] == 3)
        s.send(b"de")
        self.pump(lambda: self.server.stats["bytes_in"] == 5)
        self.assertEqual(self.server._slots[0].state, 5)
        self.assertEqual(self.server.clients, 1)

    def test_poll_never_waits_longer_than_asked(self):
        self.make(clock=None, idle_timeout_ms=60000)
        self.served(2)
        self.assertTrue(wall_ms(self.server.poll, 0) < 50)
        self.assertTrue(wall_ms(self.server.poll, 100) < 300)


class Budget(Base):
    def test_a_connection_past_max_clients_is_closed_at_once_and_counted(self):
        self.make(max_clients=2)
        a, b = self.served(2)
        c = self.clients.dial()
        self.pump(lambda: self.server.stats["rejected"] == 1)
        self.assertTrue(self.closed(c))
        a.send(b"still here")
        self.assertEqual(self.read(a, 10), b"still here")
        a.close()
        self.pump(lambda: self.server.clients == 1)
        d = self.served()  # the freed slot serves the next one
        d.send(b"d")
        self.assertEqual(self.read(d, 1), b"d")
        self.assertEqual(
            (self.server.stats["connects"], self.server.stats["rejected"], self.server.stats["disconnects"]), (3, 1, 1)
        )

    def test_a_burst_of_100_connects_against_max_clients_4(self):
        fds = open_fds()
        self.make(max_clients=4, backlog=128)
        for _ in range(100):
            self.clients.dial_nowait()
        stats = self.server.stats
        self.pump(lambda: stats["connects"] + stats["rejected"] + stats["accept_failures"] == 100, steps=500, step_ms=5)
        self.assertEqual((stats["connects"], stats["rejected"], stats["accept_failures"]), (4, 96, 0))
        self.assertEqual(open_fds(), fds + 1 + 100 + 4)  # the listener, the clients, 4 served
        # Every rejected client sees its connection end; the 4 served still echo.
        ended = [s for s in self.clients.socks if self.closed(s, steps=1)]
        self.assertEqual(len(ended), 96)
        for s in self.clients.socks:
            if s not in ended:
                s.setblocking(True)
                s.settimeout(2)
                s.send(b"ok")
                self.assertEqual(self.read(s, 2), b"ok")
        self.clients.close()
        self.pump(lambda: self.server.clients == 0)
        self.assertEqual(open_fds(), fds + 1)  # only the listener
        s = self.served()  # the listener still serves
        s.send(b"after")
        self.assertEqual(self.read(s, 5), b"after")
        self.assertEqual((stats["connects"], stats["rejected"], stats["disconnects"]), (5, 96, 4))

    def test_a_client_that_connects_and_closes_in_a_loop(self):
        self.make(max_clients=2)
        self.clients.dial()  # one stays
        for i in range(50):
            s = self.clients.dial()
            if i % 2:
                reset(s)
            else:
                s.close()
            self.clients.socks.remove(s)
            self.server.poll(0)
        self.pump(lambda: self.server.clients == 1 and self.server.stats["disconnects"] == 50, steps=300)
        stats = self.server.stats
        self.assertEqual(stats["connects"] + stats["rejected"] + stats["accept_failures"], 51)
        self.assertEqual(stats["connects"] - stats["disconnects"], 1)

    def test_a_failed_accept_is_counted_and_the_listener_rests_then_serves(self):
        self.make()
        listener = flaky(self.server)
        listener.failures = [MemoryError(), OSError(24)]
        self.clients.dial()
        self.server.poll(50)  # MemoryError: counted, the listener rests
        stats = self.server.stats
        self.assertEqual((stats["accept_failures"], stats["last_failure"].kind), (1, "no_memory"))
        calls = listener.calls
        self.server.poll(20)
        self.assertEqual(listener.calls, calls)  # resting: not even asked
        self.clock.advance(100)
        self.server.poll(50)  # EMFILE: the same
        self.assertEqual((stats["accept_failures"], stats["last_failure"].errno), (2, 24))
        self.clock.advance(100)
        self.pump(lambda: stats["connects"] == 1)  # then the connection waiting is served
        self.assertEqual(stats["last_failure"].phase, "accept")

    def test_no_memory_even_to_describe_a_failed_accept_still_rests_and_serves(self):
        # The heap so short that the Failure describing the MemoryError cannot be made
        # either: that second MemoryError escaped poll() and ended run().
        import wiznet_net.serving as serving

        self.make()
        listener = flaky(self.server)
        listener.failures = [MemoryError()]
        real = serving.classify

        def no_room(*args):
            raise MemoryError

        serving.classify = no_room
        try:
            self.clients.dial()
            self.server.poll(50)
        finally:
            serving.classify = real
        stats = self.server.stats
        self.assertEqual((stats["accept_failures"], stats["last_failure"]), (1, None))
        calls = listener.calls
        self.server.poll(20)
        self.assertEqual(listener.calls, calls)  # resting, as after any failed accept
        self.clock.advance(100)
        self.pump(lambda: stats["connects"] == 1)

    def test_no_memory_for_a_connection_rests_the_listener_before_the_next_accept(self):
        # The Connection object could not be made: that peer is turned away and counted,
        # and the listener rests as after a failed accept() - the peers behind it wait in
        # the backlog to be served, instead of being accepted into the same shortage.
        class Short(Connection):
            fail = 1

            def __init__(self, *args):
                if Short.fail:
                    Short.fail -= 1
                    raise MemoryError
                Connection.__init__(self, *args)

        class Server(TCPServer):
            _Connection = Short

        self.handler = Log()
        self.server = Server(self.listen_on(), self.handler, bind="127.0.0.1", backlog=4, clock=self.clock)
        first = self.clients.dial()
        others = [self.clients.dial(), self.clients.dial()]
        stats = self.server.stats
        self.pump(lambda: stats["accept_failures"] == 1)
        self.assertEqual((stats["connects"], stats["last_failure"].kind), (0, "no_memory"))
        self.assertTrue(self.closed(first, 1))
        self.assertEqual([take(s) for s in others], [None, None])  # waiting, not turned away
        self.clock.advance(100)
        self.pump(lambda: stats["connects"] == 2)
        for s in others:
            s.send(b"ok")
            self.assertEqual(self.read(s, 2), b"ok")
        self.assertEqual((stats["accept_failures"], stats["rejected"]), (1, 0))

    def test_a_peer_that_reset_in_the_backlog_is_skipped_at_once(self):
        self.make()
        listener = flaky(self.server)
        listener.failures = [OSError(103)]  # ECONNABORTED (unix port)
        self.clients.dial()
        self.pump(lambda: self.server.stats["connects"] == 1)
        f = self.server.stats["last_failure"]
        self.assertEqual((f.kind, f.phase), ("reset", "accept"))


class Hostage(Base):
    def test_a_silent_client_loses_its_slot_to_the_idle_timeout(self):
        self.make(max_clients=2, idle_timeout_ms=1000)
        silent, talker = self.served(2)
        for _ in range(3):
            self.clock.advance(600)
            talker.send(b"hi")
            self.assertEqual(self.read(talker, 2), b"hi")
        self.assertTrue(self.closed(silent))
        self.assertEqual(self.handler.named("disconnect"), [("disconnect", ("timeout", "recv"))])
        self.assertIn("idle timeout", self.handler.last_failure.hint)
        third = self.served()  # its slot serves another
        third.send(b"3")
        self.assertEqual(self.read(third, 1), b"3")

    def test_a_half_open_client_loses_its_slot_too(self):
        # A peer gone without a FIN or RST (cable pulled, PC crashed) is, from here, a
        # connection that says nothing: the idle timeout ends it (the board suite drops
        # a real peer's packets for the same test).
        self.make(idle_timeout_ms=5000)
        s = self.served()
        s.send(b"last words")
        self.assertEqual(self.read(s, 10), b"last words")
        self.clock.advance(4999)
        self.server.poll(0)
        self.assertEqual(self.server.clients, 1)
        self.clock.advance(1)
        self.server.poll(0)
        self.assertEqual(self.server.clients, 0)

    def test_a_client_dripping_one_byte_a_minute_loses_its_slot(self):
        self.make(handler=Log(echo=False))  # the default idle timeout: 30 s
        dripper = self.served()
        for _ in range(2):
            dripper.send(b"x")
            self.pump(lambda: self.server.stats["bytes_in"] >= 1)
            self.clock.advance(60000)
            self.server.poll(0)
        self.assertEqual(self.server.clients, 0)
        self.assertEqual(self.handler.named("disconnect"), [("disconnect", ("timeout", "recv"))])

    def test_a_faster_dripper_is_bounded_by_the_framers_message_size(self):
        # One byte every 20 s keeps ahead of the idle timeout; the line it never ends is
        # cut at max_line bytes - a slot is held for max_line drips at most.
        got = []

        class App:
            def on_message(self, conn, line):
                got.append(line)

        self.make(Lines(App(), max_line=8))
        dripper = self.served()
        for i in range(20):
            dripper.send(b"y")
            self.pump(lambda: self.server.stats["bytes_in"] == i + 1 or self.server.clients == 0)
            if self.server.clients == 0:
                break
            self.clock.advance(20000)
        self.assertEqual((i, got), (8, []))
        f = self.server.stats["last_failure"]
        self.assertEqual((f.kind, f.phase), ("protocol", "recv"))

    def test_a_client_that_only_reads_a_stream_keeps_its_connection(self):
        # Traffic either way is life: the server streams, the client only reads.
        self.make(handler=Log(echo=False), idle_timeout_ms=1000)
        s = self.served()
        conn = self.handler.conns[0]
        for i in range(5):
            self.clock.advance(600)
            conn.send(b"tick %d;" % i)
            self.server.poll(0)
        self.assertEqual(self.server.clients, 1)
        self.assertEqual(self.read(s, 35), b"".join(b"tick %d;" % i for i in range(5)))
        self.clock.advance(1000)  # then silence both ways: dropped
        self.server.poll(0)
        self.assertEqual(self.server.clients, 0)

    def test_data_waiting_unread_counts_as_life(self):
        # The main loop was busy longer than the idle timeout while the peer talked: the
        # data waiting is read, the connection kept.
        self.make(handler=Log(echo=False), idle_timeout_ms=1000)
        s = self.served()
        s.send(b"during the busy spell")
        time.sleep_ms(20)
        self.clock.advance(1500)
        self.server.poll(0)
        self.assertEqual(self.server.clients, 1)
        self.assertEqual(self.handler.named("data"), [("data", b"during the busy spell")])

    def test_a_client_that_does_not_read_loses_its_slot_and_nothing_else_stalls(self):
        # The server's send waits send_timeout_ms for room, then drops that connection;
        # the failure it raises is the server's own (no bug of the handler's): poll()
        # goes on and the other client is served. Real time: the wait is a real one.
        class Flood(Log):
            def on_data(self, conn, data):
                Log.on_data(self, conn, data)
                if data == b"flood":
                    chunk = bytes(16384)
                    for _ in range(1000):  # 16 MB: more than any socket buffer takes
                        conn.send(chunk)

        self.make(Flood(echo=False), clock=None, send_timeout_ms=300)
        sleeper, other = self.served(2)
        sleeper.send(b"flood")
        took = wall_ms(self.pump, lambda: self.server.stats["disconnects"] == 1)
        self.assertTrue(300 <= took < 2000, took)
        f = self.handler.last_failure
        self.assertEqual((f.kind, f.phase, f.errno), ("timeout", "send", 110))
        self.assertIn("stopped reading", f.hint)
        other.send(b"still served")
        self.pump(lambda: self.server.stats["bytes_in"] == 5 + 12)
        self.assertEqual(self.server.clients, 1)

    def test_a_reset_arriving_during_the_servers_send(self):
        class Big(Log):
            def on_data(self, conn, data):
                Log.on_data(self, conn, data)
                for _ in range(1000):
                    conn.send(bytes(16384))  # raises once the RST is in; not a bug

        self.make(Big(echo=False), clock=None, send_timeout_ms=2000)
        victim, other = self.served(2)
        victim.send(b"go")
        # the send fills the buffers and waits for room; the RST comes meanwhile
        reset_at = [False]
        real = self.server._room.ipoll

        def ipoll_then_reset(timeout):
            if not reset_at[0]:
                reset_at[0] = True
                reset(victim)
                self.clients.socks.remove(victim)
            return real(timeout)

        self.server._room = _Wrapped(self.server._room, ipoll_then_reset)
        self.pump(lambda: self.server.stats["disconnects"] == 1)
        self.assertIn(self.handler.last_failure.kind, ("reset", "closed"))
        other.send(b"x")
        self.pump(lambda: self.server.stats["bytes_in"] == 3)


class _Wrapped:
    def __init__(self, real, ipoll):
        self.real = real
        self.ipoll = ipoll

    def register(self, *args):
        self.real.register(*args)

    def unregister(self, *args):
        self.real.unregister(*args)


class Handlers(Base):
    def test_a_handler_that_raises_closes_its_connection_only(self):
        class Buggy(Log):
            def on_data(self, conn, data):
                Log.on_data(self, conn, data)
                if data == b"boom":
                    raise ValueError("handler bug")

        self.make(Buggy())
        bad, good = self.served(2)
        bad.send(b"boom")
        e = raises(ValueError, self.pump, lambda: False)
        self.assertEqual(str(e), "handler bug")
        self.assertTrue(self.closed(bad))
        f = self.handler.last_failure
        self.assertEqual((f.kind, f.phase, f.retryable), ("unknown", "handler", False))
        self.assertTrue(f.cause is e)
        self.assertIn("bug", f.hint)
        good.send(b"fine")
        self.assertEqual(self.read(good, 4), b"fine")
        self.assertEqual(self.server.stats["connects"] - self.server.stats["disconnects"], 1)
        late = self.served()  # the listener survived
        late.send(b"late")
        self.assertEqual(self.read(late, 4), b"late")

    def test_on_connect_raising(self):
        class BadConnect(Log):
            def on_connect(self, conn):
                Log.on_connect(self, conn)
                raise RuntimeError("no")

        self.make(BadConnect())
        s = self.clients.dial()
        raises(RuntimeError, self.pump, lambda: False)
        self.assertTrue(self.closed(s))
        self.assertEqual([e[0] for e in self.handler.events], ["connect", "disconnect"])  # matched

    def test_on_disconnect_raising_leaves_nothing_open(self):
        class BadBye(Log):
            def on_disconnect(self, conn, failure):
                Log.on_disconnect(self, conn, failure)
                raise KeyError("bye")

        self.make(BadBye())
        s = self.served()
        s.close()
        raises(KeyError, self.pump, lambda: False)
        self.assertEqual(self.server.clients, 0)

    def test_a_coroutine_handler_is_refused(self):
        class Async:
            async def on_data(self, conn, data):
                pass

        self.make(Async())
        s = self.served()
        s.send(b"x")
        e = raises(TypeError, self.pump, lambda: False)
        self.assertIn("AsyncTCPServer", str(e))

    def test_stop_from_a_handler_closes_everything(self):
        class Stopper(Log):
            def on_data(self, conn, data):
                Log.on_data(self, conn, data)
                conn.server.stop()

        self.make(Stopper(echo=False))
        a, b = self.served(2)
        a.send(b"stop")
        self.pump(lambda: self.server.stopped)
        self.assertEqual(self.server.poll(0), 0)
        self.assertTrue(self.closed(a) and self.closed(b))
        self.assertEqual(self.handler.named("disconnect"), [("disconnect", None)] * 2)
        self.assertTrue(all(c.stopped for c in self.handler.conns) and not self.handler.conns)
        raises(OSError, self.clients.dial)  # the listener is closed: refused

    def test_stop_from_on_connect_and_run_again(self):
        class StopAtOnce(Log):
            def on_connect(self, conn):
                Log.on_connect(self, conn)
                conn.server.stop()

        self.make(StopAtOnce())
        s = self.clients.dial()
        self.server.run()  # returns: stopped by the handler
        self.assertTrue(self.closed(s))
        self.assertEqual([e[0] for e in self.handler.events], ["connect", "disconnect"])
        self.server.start()  # listens again
        s = self.clients.dial()
        self.server.run()
        self.assertEqual(self.server.stats["connects"], 2)

    def test_on_disconnect_may_still_send_to_the_others_during_stop(self):
        class Goodbye(Log):
            def on_disconnect(self, conn, failure):
                Log.on_disconnect(self, conn, failure)
                for other in self.conns:
                    other.send(b"bye ")

        self.make(Goodbye(echo=False))
        a, b = self.served(2)
        self.server.stop()
        got = take(a), take(b)
        self.assertEqual(sorted(got), [b"", b"bye "])

    def test_ctrl_c_in_run_closes_every_socket(self):
        class CtrlC(Log):
            def on_data(self, conn, data):
                raise KeyboardInterrupt

        self.make(CtrlC())
        a = self.clients.dial()
        b = self.clients.dial()
        a.send(b"^C")
        raises(KeyboardInterrupt, self.server.run)
        self.assertTrue(self.server.stopped)
        self.assertEqual(self.server.clients, 0)
        self.assertTrue(self.closed(a, 1) and self.closed(b, 1))
        raises(OSError, self.clients.dial)

    def test_sending_to_a_connection_that_ended(self):
        # on_disconnect came, then a handler sends to it anyway: ENOTCONN, raised - a
        # bug of the handler's (it keeps connections past on_disconnect).
        class Relay(Log):
            def on_data(self, conn, data):
                for c in self.gone:
                    c.send(data)

        handler = Relay(echo=False)
        handler.gone = []
        self.make(handler)
        a, b = self.served(2)
        handler.gone.append([c for c in handler.conns if c.peer != handler.conns[0].peer][0])
        gone = handler.gone[0]
        gone.close()
        self.assertFalse(gone.connected)
        e = raises(Failure, gone.send, b"x")
        self.assertEqual((e.errno, e.kind), (107, "closed"))
        (a if not self.closed(a, 1) else b).send(b"relay")
        e = raises(Failure, self.pump, lambda: False)
        self.assertEqual(e.errno, 107)

    def test_a_failed_send_to_another_connection_is_no_bug_of_the_sender(self):
        chunk = bytes(16384)

        class Relay(Log):
            def on_data(self, conn, data):
                for c in list(self.conns):
                    if c is not conn:
                        for _ in range(1000):  # 16 MB: more than the buffers take
                            c.send(chunk)
                conn.send(b"relayed")

        self.make(Relay(echo=False), clock=None, send_timeout_ms=200)
        sender, sink = self.served(2)  # sink never reads
        sender.send(b"go")
        self.pump(lambda: self.server.stats["disconnects"] == 1)
        self.assertEqual(self.handler.last_failure.kind, "timeout")
        # The failure reached the sender's handler and ended it there, as the server's own
        # business: the sender's connection goes on.
        self.assertEqual(self.server.clients, 1)
        sender.send(b"again")
        self.assertEqual(self.read(sender, 7), b"relayed")


class Adversary(Base):
    # What a hostile peer, a careless handler or an unlucky Ctrl-C does.
    def test_a_peer_reset_while_a_handler_relays_to_it(self):
        # Whichever the server sees first - the reset, or the other client's data whose
        # handler sends to the reset one - no exception escapes, the relay goes on.
        class Relay(Log):
            def on_data(self, conn, data):
                Log.on_data(self, conn, data)
                for c in list(self.conns):
                    if c is not conn:
                        c.send(data)

        for _ in range(5):
            self.make(Relay(echo=False))
            a, b = self.served(2)
            reset(b)
            self.clients.socks.remove(b)
            a.send(b"to b")
            self.pump(lambda: self.server.stats["disconnects"] == 1)
            self.assertIn(self.handler.last_failure.kind, ("reset", "closed"))
            self.assertEqual(self.server.clients, 1)
            self.clients.close()
            self.server.stop()

    def test_a_flooding_client_does_not_starve_the_others(self):
        class Quiet(Log):
            def on_data(self, conn, data):
                if conn.state is None or not conn.state.startswith(b"F"):
                    conn.send(data)
                conn.state = data[:1]

        self.make(Quiet(), clock=None)
        flooder, other = self.served(2)
        flooder.setblocking(False)
        chunk = b"F" * 65536
        for _ in range(20):
            try:
                flooder.send(chunk)
            except OSError:
                break
        other.send(b"ping")
        t = time.ticks_ms()
        self.assertEqual(self.read(other, 4), b"ping")
        self.assertTrue(time.ticks_diff(time.ticks_ms(), t) < 1000)

    def test_a_ctrl_c_inside_a_close_leaves_nothing_open(self):
        class Interrupted(TCPServer):
            armed = False

            def _close(self, conn, s):
                TCPServer._close(self, conn, s)
                if self.armed:
                    self.armed = False
                    raise KeyboardInterrupt  # after the socket closed, before the rest

        self.handler = Log()
        self.server = Interrupted(self.listen_on(), self.handler, bind="127.0.0.1", clock=self.clock)
        a, b = self.served(2)
        a.close()
        self.server.armed = True
        raises(KeyboardInterrupt, self.pump, lambda: False)
        self.server.stop()
        self.assertEqual(self.server.clients, 0)
        self.assertEqual(self.server.stats["disconnects"], 2)
        self.assertEqual(len(self.handler.named("disconnect")), 2)  # each told once
        self.assertTrue(self.closed(b, 1))

    def test_ctrl_c_inside_a_sends_wait_in_run_closes_every_socket(self):
        class Flood(Log):
            def on_data(self, conn, data):
                Log.on_data(self, conn, data)
                for _ in range(1000):  # 16 MB: the buffers fill, then the send waits
                    conn.send(bytes(16384))

        def ctrl_c(timeout):
            raise KeyboardInterrupt

        fds = open_fds()
        self.make(Flood(echo=False), clock=None, send_timeout_ms=5000)
        a = self.clients.dial()
        b = self.clients.dial()
        a.send(b"go")
        self.server._room = _Wrapped(self.server._room, ctrl_c)
        raises(KeyboardInterrupt, self.server.run)
        self.assertEqual((self.server.clients, len(self.handler.named("disconnect"))), (0, 2))
        self.assertTrue(self.closed(b, 1))  # (a has the flood to read first)
        self.assertEqual(open_fds(), fds + 2)  # the two clients' own: the server's all closed

    def test_poll_from_inside_a_handler(self):
        class Nested(Log):
            def on_data(self, conn, data):
                Log.on_data(self, conn, data)
                conn.server.poll(0)

        self.make(Nested())
        a, b = self.served(2)
        a.send(b"a")
        b.send(b"b")
        self.assertEqual(self.read(a, 1) + self.read(b, 1), b"ab")
        self.assertEqual(self.server.clients, 2)

    def test_send_with_bad_arguments_touches_nothing(self):
        self.make()
        s = self.served()
        conn = self.handler.conns[0]
        raises(ValueError, conn.send, b"abc", 10)
        raises(ValueError, conn.send, b"abc", -1)
        raises(TypeError, conn.send, "text")
        self.assertTrue(conn.connected)
        conn.send(b"abc", 2)
        self.assertEqual(self.read(s, 2), b"ab")
        conn.close()
        conn.close()  # twice: nothing more
        self.assertIsNone(conn.disconnect())
        self.assertEqual(self.handler.named("disconnect"), [("disconnect", None)])
        self.assertTrue(conn.stopped)

    def test_a_burst_with_the_default_backlog_leaves_nothing_half_done(self):
        # The kernel holds few connections for us: most of the burst waits in SYN
        # retries. What got through is served or turned away; nothing leaks.
        fds = open_fds()
        self.make(max_clients=2)
        for _ in range(20):
            self.clients.dial_nowait()
        stats = self.server.stats
        for _ in range(50):
            self.server.poll(10)
        self.assertEqual(stats["connects"], 2)
        self.assertTrue(stats["rejected"] >= 1, stats)
        self.clients.close()
        self.pump(lambda: self.server.clients == 0)
        self.assertEqual(open_fds(), fds + 1)


class Arguments(Base):
    def test_bad_arguments_raise_before_any_socket(self):
        fds = open_fds()
        h = Log()
        for exc, kwargs, name in (
            (TypeError, {"port": "80"}, "port"),
            (ValueError, {"port": 0}, "port"),
            (ValueError, {"port": 70000}, "port"),
            (TypeError, {"handler": None}, "handler"),
            (ValueError, {"bind": "localhost"}, "bind"),
            (TypeError, {"bind": None}, "bind"),
            (ValueError, {"max_clients": 0}, "max_clients"),
            (TypeError, {"max_clients": 2.5}, "max_clients"),
            (ValueError, {"idle_timeout_ms": 0}, "idle_timeout_ms"),
            (ValueError, {"idle_timeout_ms": 1 << 29}, "idle_timeout_ms"),
            (TypeError, {"send_timeout_ms": None}, "send_timeout_ms"),
            (TypeError, {"nic": object()}, "nic"),
            (ValueError, {"backlog": 0}, "backlog"),
            (TypeError, {"rxbuf": bytearray(10)}, "rxbuf"),
        ):
            args = {"port": 8080, "handler": h}
            args.update(kwargs)
            e = raises(exc, TCPServer, **args)
            self.assertIn(name, str(e))
        class NotCallable:
            on_data = 5

        self.assertIn("on_data", str(raises(TypeError, TCPServer, 8080, NotCallable())))
        self.assertEqual(open_fds(), fds)

    def test_a_port_in_use(self):
        self.make()
        e = raises(OSError, TCPServer, self.port, Log(), bind="127.0.0.1")
        self.assertEqual(e.args[0], 98)  # EADDRINUSE, and no socket left behind


class ChipStack(Base):
    def test_is_refused_at_construction(self):
        # A WIZNET5K without lwIP: accept() blocks with no timeout and a silent client
        # holds the only listening chip socket unseen (docs/server.rst). setblocking()
        # before bind raises ENOTCONN there (modsocket.c): the server says so, closed.
        micropython_only("the fake chip-stack socket answers MicroPython's poll through ioctl")
        import wiznet_net.serving as serving_module
        from fake_chipstack import ChipStackSocket, FakeSocketModule

        real = serving_module.socket
        serving_module.socket = FakeSocketModule()
        ChipStackSocket.made = []
        try:
            e = raises(RuntimeError, TCPServer, 8080, Log())
        finally:
            serving_module.socket = real
        self.assertIn("lwIP", str(e))
        self.assertIn("accept()", str(e))
        self.assertTrue(all(s.closed_ for s in ChipStackSocket.made))


class Framers(Base):
    def test_lines_from_several_connections_never_mix(self):
        got = []

        class App:
            made = 0

            def on_message(self, conn, line):
                got.append((conn.state, line))

            def on_connect(self, conn):
                App.made += 1
                conn.state = App.made

        framer = Lines(App(), max_line=32)
        self.make(framer)
        a, b = self.served(2)
        for s, part in ((a, b"hel"), (b, b"wor"), (a, b"lo\n"), (b, b"ld\r\n"), (a, b"again\n")):
            s.send(part)
            self.server.poll(20)
        self.pump(lambda: len(got) == 3)
        by_conn = {}
        for state, line in got:
            by_conn.setdefault(state, []).append(line)
        self.assertEqual(sorted(by_conn.values()), [[b"hello", b"again"], [b"world"]])

    def test_length_prefixed_a_cut_on_one_does_not_touch_the_other(self):
        got = []

        class App:
            def on_message(self, conn, payload):
                got.append(payload)
                framer.send(conn, b"re:" + payload)

            def on_disconnect(self, conn, failure):
                got.append(failure)

        framer = LengthPrefixed(App(), max_frame=64)
        self.make(framer)
        a, b = self.served(2)
        a.send(b"\x00\x05he")
        b.send(b"\x00\x02o")
        self.server.poll(20)
        a.close()  # a dies inside its frame
        self.pump(lambda: self.server.clients == 1)
        b.send(b"k")
        self.assertEqual(self.read(b, 7), b"\x00\x05re:ok")
        f = got.pop(0)
        self.assertIn("4 bytes are lost", f.hint)
        self.assertEqual((got, framer.cut, framer.messages), ([b"ok"], 1, 1))

    def test_connections_coming_and_going_reuse_the_framers_streams(self):
        class App:
            def on_message(self, conn, line):
                pass

        framer = Lines(App())
        self.make(framer, max_clients=3)
        for _ in range(10):
            socks = self.served(3)
            for s in socks:
                s.send(b"half a li")
            self.server.poll(20)
            self.clients.close()
            self.pump(lambda: self.server.clients == 0)
        self.assertEqual(len(framer._spare), 3)  # three made, kept, reused
        self.assertEqual(framer._streams, {})
        self.assertEqual(framer.cut, 30)

    def test_a_framers_violation_drops_only_that_connection(self):
        class App:
            def on_message(self, conn, line):
                framer.send(conn, line)

        framer = Lines(App(), max_line=4)
        self.make(framer)
        a, b = self.served(2)
        a.send(b"too long\n")
        b.send(b"ok\n")
        self.assertTrue(self.closed(a))
        self.assertEqual(self.read(b, 3), b"ok\n")
        self.assertEqual(self.server.clients, 1)


class Link(Base):
    def test_a_pulled_cable_ends_every_connection_once(self):
        class Nic:
            up = True

            def isconnected(self):
                return self.up

        nic = Nic()
        self.make(nic=nic)
        a, b = self.served(2)
        nic.up = False
        self.clock.advance(250)
        self.server.poll(0)
        self.assertEqual(self.handler.named("disconnect"), [("disconnect", ("no_link", "link"))] * 2)
        self.clock.advance(250)
        self.server.poll(0)
        self.assertEqual(len(self.handler.named("disconnect")), 2)  # reported once
        nic.up = True
        self.clock.advance(250)
        c = self.served()  # listening all along
        c.send(b"back")
        self.assertEqual(self.read(c, 4), b"back")

    def test_a_pulled_cable_ends_every_connection_even_if_an_on_disconnect_raises(self):
        # The link failure is reported once: a handler's exception for the first
        # connection must not leave the others open for ever (no idle timeout here).
        class Nic:
            up = True

            def isconnected(self):
                return self.up

        class Raises(Log):
            def on_disconnect(self, conn, failure):
                Log.on_disconnect(self, conn, failure)
                raise ValueError("on_disconnect bug")

        nic = Nic()
        self.make(Raises(), nic=nic, idle_timeout_ms=None)
        a, b, c = self.served(3)
        nic.up = False
        self.clock.advance(250)
        self.assertEqual(str(raises(ValueError, self.server.poll, 0)), "on_disconnect bug")
        self.assertEqual(self.server.clients, 0)
        self.assertEqual(self.handler.named("disconnect"), [("disconnect", ("no_link", "link"))] * 3)
        self.assertTrue(self.closed(a, 1) and self.closed(b, 1) and self.closed(c, 1))


class Clock(Base):
    def test_idle_timers_across_the_ticks_wrap_and_a_long_pause(self):
        # The FakeClock starts 500 ms before the wrap; then a pause of more than half
        # the ticks period (a week on a board): the connection counts as long idle.
        self.make(idle_timeout_ms=1000)
        s = self.served()
        self.clock.advance(900)  # across the wrap
        s.send(b"a")
        self.assertEqual(self.read(s, 1), b"a")
        self.clock.advance(999)
        self.server.poll(0)
        self.assertEqual(self.server.clients, 1)
        self.clock.advance((sys.maxsize if sys.implementation.name != "micropython" else (1 << 29)) + 100)
        self.server.poll(0)
        self.assertEqual(self.server.clients, 0)


class Memory(Base):
    def test_no_room_for_a_messages_copy_is_a_failure_of_that_connection(self):
        micropython_only("-X heapsize and a fresh interpreter")
        code = FRAGMENTED_HEAP.replace("srv.listen(1)", "srv.close()") + """
from wiznet_net import TCPServer
seen = []
class H:
    def on_data(self, conn, data):
        seen.append(len(data))
    def on_disconnect(self, conn, failure):
        seen.append(failure and failure.kind)
server = TCPServer(31200, H(), bind="127.0.0.1", rxbuf=2048)
c = socket.socket()
c.connect(socket.getaddrinfo("127.0.0.1", 31200)[0][-1])
for _ in range(20):
    server.poll(10)
c.send(b"y" * 1500)
time.sleep_ms(50)
keep = fragment()
try:
    server.poll(100)
    result = "escaped: none"
except MemoryError:
    result = "escaped: MemoryError"
keep = None
gc.collect()
print(result, "clients", server.clients, "seen", seen)
c.close()
server.stop()
"""
        status, out = run_fresh(code, "fragmented_server")
        self.assertEqual(status, 0, out)
        self.assertIn("escaped: none clients 0 seen ['no_memory']", out)
