# The asyncio client against the same faults as the blocking one: refused, reset, clean
# close, silent peer, flapping, stop from a handler, handler exceptions, sockets after
# many cycles - plus: other tasks keep running during an outage and a connect attempt,
# and cancelling the task leaves no socket open.
import time
import unittest

from support import Peer, Recorder, SocketTestCase, closed_port, listen, micropython_only, open_fds, raises
from wiznet_net import Backoff, Failure

try:
    import asyncio

    from wiznet_net.aio import AsyncReconnectingTCPClient
except ImportError:  # pragma: no cover
    asyncio = None


async def until(cond, steps=300, step_ms=10):
    for _ in range(steps):
        if cond():
            return
        await asyncio.sleep_ms(step_ms)
    if not cond():
        raise AssertionError("condition not reached after %d steps" % steps)


class AsyncEcho(Recorder):
    """A Recorder whose on_data is a coroutine that awaits the send."""

    async def on_data(self, client, data):
        self.data += bytes(data)
        self.events.append(("data", bytes(data)))
        await client.send(b"Client echo: " + data)


def fast_backoff(**kw):
    kw.setdefault("initial_ms", 20)
    kw.setdefault("max_ms", 160)
    return Backoff(jitter=0, **kw)


class Base(SocketTestCase):
    def setUp(self):
        micropython_only("the asyncio client parks tasks on MicroPython's I/O queue")
        asyncio.new_event_loop()
        super().setUp()

    def make(self, port, handler=None, **kw):
        self.handler = handler or AsyncEcho()
        kw.setdefault("backoff", fast_backoff())
        self.client = AsyncReconnectingTCPClient("127.0.0.1", port, self.handler, **kw)
        return self.client

    def run_async(self, coro):
        asyncio.run(coro)

    async def start(self, c):
        """Run c.run() as a task; return it once c is connected and the peer accepted."""
        task = asyncio.create_task(c.run())
        await until(lambda: c.connected)
        self.peer.accept()
        return task


class Echo(Base):
    def test_echo_with_a_coroutine_handler(self):
        self.peer = Peer()
        c = self.make(self.peer.port)

        async def scenario():
            task = await self.start(c)
            self.peer.send(b"hello")
            await until(lambda: self.handler.data == b"hello")
            self.assertEqual(self.peer.recv_exactly(18), b"Client echo: hello")
            c.stop()
            await task

        self.run_async(scenario())
        self.assertEqual(self.handler.events[:3], [("connecting",), ("connect",), ("data", b"hello")])
        self.assertEqual(self.handler.events[-1], ("disconnect", None))
        self.assertEqual((c.stats["bytes_in"], c.stats["bytes_out"]), (5, 18))

    def test_plain_function_handler_and_zero_copy(self):
        got = []

        class Into:
            def on_data_into(self, client, buf, n):
                got.append(bytes(buf[:n]))
                client.stop()

        self.peer = Peer()
        c = self.make(self.peer.port, Into())

        async def scenario():
            task = await self.start(c)
            self.peer.send(b"abc")
            await task

        self.run_async(scenario())
        self.assertEqual(got, [b"abc"])

    def test_send_when_disconnected_raises_enotconn(self):
        c = self.make(closed_port())

        async def scenario():
            f = None
            try:
                await c.send(b"x")
            except Failure as e:
                f = e
            return f

        f = asyncio.run(scenario())
        self.assertEqual((f.errno, f.kind), (107, "closed"))

    def test_tls_is_refused_clearly(self):
        e = raises(ValueError, AsyncReconnectingTCPClient, "127.0.0.1", 1, Recorder(), tls=True)
        self.assertIn("tls", str(e))


class Failures(Base):
    def test_refused_backoff_and_max_attempts(self):
        c = self.make(closed_port(), Recorder(), max_attempts=4)
        f = raises(Failure, self.run_async, c.run())
        self.assertEqual((f.kind, f.phase), ("refused", "connect"))
        self.assertEqual([e[2] for e in self.handler.named("failed")], [20, 40, 80, None])

    def test_peer_reset_then_reconnect(self):
        self.peer = Peer()
        c = self.make(self.peer.port)

        async def scenario():
            task = await self.start(c)
            self.peer.reset()
            await until(lambda: c.stats["disconnects"] == 1)
            await until(lambda: c.stats["connects"] == 2)
            self.peer.accept()
            c.stop()
            await task

        self.run_async(scenario())
        self.assertEqual(self.handler.named("disconnect")[0], ("disconnect", "reset"))

    def test_clean_close(self):
        self.peer = Peer()
        c = self.make(self.peer.port)

        async def scenario():
            task = await self.start(c)
            self.peer.close_conn()
            await until(lambda: c.stats["disconnects"] == 1)
            c.stop()
            await task

        self.run_async(scenario())
        self.assertEqual(self.handler.named("disconnect")[0], ("disconnect", None))

    def test_silent_peer_and_idle_timeout(self):
        self.peer = Peer()
        c = self.make(self.peer.port, idle_timeout_ms=150)

        async def scenario():
            task = await self.start(c)
            await until(lambda: c.stats["disconnects"] == 1)
            c.stop()
            await task

        self.run_async(scenario())
        f = self.handler.last_disconnect
        self.assertEqual((f.kind, f.phase), ("timeout", "recv"))

    def test_connect_timeout(self):
        srv, port = listen(backlog=0)
        import socket

        held = socket.socket()  # one queued connection fills the backlog: SYNs are dropped
        held.connect(socket.getaddrinfo("127.0.0.1", port)[0][-1])
        try:
            c = self.make(port, Recorder(), connect_timeout_ms=200, max_attempts=1)
            f = raises(Failure, self.run_async, c.run())
            self.assertEqual((f.kind, f.phase, f.errno), ("timeout", "connect", 110))
        finally:
            held.close()
            srv.close()

    def test_flapping_server_delays_grow(self):
        self.peer = Peer()
        c = self.make(self.peer.port, Recorder())
        delays = []

        async def scenario():
            task = asyncio.create_task(c.run())
            for i in range(5):
                await until(lambda: c.stats["connects"] == i + 1)
                self.peer.accept()
                self.peer.close_conn()
                await until(lambda: c.stats["disconnects"] == i + 1)
                delays.append(c.backoff.ceiling_ms)
            c.stop()
            await task

        self.run_async(scenario())
        self.assertEqual(delays, [40, 80, 160, 160, 160])  # never reset: no data, never stable


class Handlers(Base):
    def test_stop_from_a_handler(self):
        class StopOnData(Recorder):
            def on_data(self, client, data):
                Recorder.on_data(self, client, data)
                client.stop()

        self.peer = Peer()
        c = self.make(self.peer.port, StopOnData())

        async def scenario():
            task = await self.start(c)
            self.peer.send(b"bye")
            await task

        self.run_async(scenario())
        self.assertEqual(self.handler.events[-2:], [("data", b"bye"), ("disconnect", None)])
        self.assertFalse(c.connected)

    def test_handler_exception_closes_then_propagates(self):
        class Buggy(Recorder):
            async def on_data(self, client, data):
                raise ValueError("bug in handler")

        self.peer = Peer()
        c = self.make(self.peer.port, Buggy())

        async def scenario():
            task = await self.start(c)
            self.peer.send(b"boom")
            await task

        e = raises(ValueError, self.run_async, scenario())
        self.assertEqual(str(e), "bug in handler")
        self.assertFalse(c.connected)
        self.assertEqual(self.peer.conn.recv(10), b"")

    def test_no_socket_leaks_over_many_cycles(self):
        self.peer = Peer()
        c = self.make(self.peer.port, Recorder(), backoff=Backoff(initial_ms=1, max_ms=2, jitter=0))
        counts = []

        async def scenario():
            task = asyncio.create_task(c.run())
            for i in range(30):
                await until(lambda: c.stats["connects"] == i + 1)
                self.peer.accept()
                if i % 2:
                    self.peer.reset()
                else:
                    self.peer.close_conn()
                await until(lambda: c.stats["disconnects"] == i + 1)
                if i in (1, 29):
                    counts.append(open_fds())
            c.stop()
            await task

        self.run_async(scenario())
        self.assertEqual(counts[0], counts[1])


class Framing(Base):
    # Lines / LengthPrefixed with the asyncio client: coroutine handler methods run, in
    # order, one message at a time; `await framer.send(...)` sends one whole message.
    def test_coroutine_handlers_through_lines(self):
        from wiznet_net.framing import Lines

        events = []

        class App:
            async def on_connect(self, client):
                events.append("connect")
                await lines.send(client, b"hello")

            async def on_message(self, client, line):
                await asyncio.sleep_ms(5)  # the next line waits for this one
                events.append(line)
                await lines.send(client, b"echo " + line)

            async def on_disconnect(self, client, failure):
                await asyncio.sleep_ms(0)
                events.append(("disconnect", failure))

        lines = Lines(App())
        self.peer = Peer()
        c = self.make(self.peer.port, lines)

        async def scenario():
            task = await self.start(c)
            await until(lambda: c.stats["bytes_out"] == 6)
            self.assertEqual(self.peer.recv_exactly(6), b"hello\n")
            self.peer.send(b"a\nb\r\nc")  # one read, three lines: the last one cut
            await asyncio.sleep_ms(20)
            self.peer.send(b"\n")
            await until(lambda: c.stats["bytes_out"] == 6 + 21)
            self.assertEqual(self.peer.recv_exactly(21), b"echo a\necho b\necho c\n")
            c.stop()
            await asyncio.wait_for_ms(task, 2000)

        self.run_async(scenario())
        self.assertEqual(events, ["connect", b"a", b"b", b"c", ("disconnect", None)])
        self.assertEqual(lines.messages, 3)

    def test_a_coroutine_handler_that_stops_the_client_gets_no_more_messages(self):
        from wiznet_net.framing import Lines

        got = []

        class App:
            async def on_message(self, client, line):
                await asyncio.sleep_ms(0)
                got.append(line)
                if line == b"b":
                    client.stop()

            def on_disconnect(self, client, failure):
                got.append(failure)

        lines = Lines(App())
        self.peer = Peer()
        c = self.make(self.peer.port, lines)

        async def scenario():
            task = await self.start(c)
            self.peer.send(b"a\nb\nc\nd")  # the last line unfinished: a stop is no cut
            await asyncio.wait_for_ms(task, 2000)

        self.run_async(scenario())
        self.assertEqual((got, lines.messages, lines.cut, c.connected), ([b"a", b"b", None], 2, 0, False))

    def test_frames_before_a_lying_header_are_handled_first(self):
        from wiznet_net.framing import LengthPrefixed

        events = []

        class App:
            async def on_message(self, client, payload):
                await asyncio.sleep_ms(1)
                events.append(payload)

            def on_disconnect(self, client, failure):
                events.append(failure and failure.kind)

        framer = LengthPrefixed(App(), max_frame=100)
        self.peer = Peer()
        c = self.make(self.peer.port, framer)

        async def scenario():
            task = await self.start(c)
            self.peer.send(b"\x00\x01a\x00\x02bc\xff\xff")
            await until(lambda: len(events) == 3)
            c.stop()
            await asyncio.wait_for_ms(task, 2000)

        self.run_async(scenario())
        self.assertEqual(events, [b"a", b"bc", "protocol"])
        self.assertEqual((framer.messages, c.stats["last_failure"].kind), (2, "protocol"))

    def test_sends_are_awaited_and_never_share_a_buffer(self):
        from wiznet_net.framing import LengthPrefixed, Lines

        class App:
            def on_message(self, client, message):
                pass

        lines = Lines(App())
        frames = LengthPrefixed(App(), header=1, max_frame=200)
        self.peer = Peer()
        c = self.make(self.peer.port, lines)

        async def scenario():
            task = await self.start(c)
            one = lines.send(c, b"one")  # two sends made before either runs
            two = lines.send(c, b"two")
            buf = bytearray(b"abc")
            three = frames.send(c, buf)
            buf[:] = b"XYZ"  # reused at once: what was sent was copied
            await two
            await one
            await three
            self.assertEqual(self.peer.recv_exactly(12), b"two\none\n\x03abc")
            c.stop()
            await asyncio.wait_for_ms(task, 2000)

        self.run_async(scenario())


class Cooperation(Base):
    def test_other_tasks_keep_running_during_outage_and_connect(self):
        # A connect that hangs (full backlog) and refusals: neither may stall the loop.
        srv, port = listen(backlog=0)
        import socket

        held = socket.socket()
        held.connect(socket.getaddrinfo("127.0.0.1", port)[0][-1])
        gaps = []
        c = self.make(port, Recorder(), connect_timeout_ms=400)

        async def ticker():
            last = time.ticks_ms()
            for _ in range(60):  # 60 x 20 ms
                await asyncio.sleep_ms(20)
                now = time.ticks_ms()
                gaps.append(time.ticks_diff(now, last))
                last = now

        async def scenario():
            task = asyncio.create_task(c.run())
            await ticker()
            c.stop()
            await task

        try:
            self.run_async(scenario())
        finally:
            held.close()
            srv.close()
        print("    figures ticker during outage: period=20 ms, max gap=%d ms, timeouts=%d" % (
            max(gaps), len([e for e in self.handler.named("failed") if e[1] == "timeout"])))
        self.assertTrue(len(self.handler.named("failed")) >= 1)
        # a blocking connect would show a 400 ms gap; bounded jitter is what remains
        self.assertTrue(max(gaps) < 200, "the event loop stalled for %d ms" % max(gaps))

    def test_cancelling_the_task_closes_the_socket(self):
        self.peer = Peer()
        c = self.make(self.peer.port)

        async def scenario():
            task = await self.start(c)
            fds_connected = open_fds()
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
            return fds_connected

        connected = asyncio.run(scenario())
        self.assertFalse(c.connected)
        self.assertEqual(open_fds(), connected - 1)  # the client's socket, and only it
        self.assertEqual(self.peer.conn.recv(10), b"")

    def _await_run_then_sleep(self, c, stop_when):
        """`await c.run()` in the caller's own task, stop() from another once
        stop_when() holds; what the caller's next two sleeps then meet."""
        after = []

        async def stopper():
            try:
                await until(stop_when)
                if self.peer is not None and self.peer.conn is None:
                    self.peer.accept()
                await asyncio.sleep_ms(30)  # inside the client's timed wait
            finally:
                c.stop()  # whatever happened: run() ends

        async def main():
            asyncio.create_task(stopper())
            await c.run()
            for _ in range(2):
                try:
                    await asyncio.sleep_ms(100)
                    after.append("slept")
                except asyncio.CancelledError:
                    after.append("cancelled")

        asyncio.run(main())
        return after

    def test_await_run_then_go_on_after_stop_while_connected(self):
        # asyncio.wait_for_ms() leaves its runner task behind when the waiting task is
        # cancelled, and the runner cancels that task again at its next sleep: after
        # `await client.run()` returned, in the caller's code.
        self.peer = Peer()
        c = self.make(self.peer.port, heartbeat_ms=1000)  # a timed read wait
        self.assertEqual(self._await_run_then_sleep(c, lambda: c.connected), ["slept", "slept"])
        self.assertFalse(c.connected)

    def test_await_run_then_go_on_after_stop_during_a_connect(self):
        srv, port = listen(backlog=0)
        import socket

        held = socket.socket()
        held.connect(socket.getaddrinfo("127.0.0.1", port)[0][-1])
        self.peer = None
        c = self.make(port, Recorder(), connect_timeout_ms=5000)  # the connect hangs
        try:
            after = self._await_run_then_sleep(c, lambda: ("connecting",) in self.handler.events)
        finally:
            held.close()
            srv.close()
        self.assertEqual(after, ["slept", "slept"])

    def test_cancelling_during_a_connect_attempt(self):
        srv, port = listen(backlog=0)
        import socket

        held = socket.socket()
        held.connect(socket.getaddrinfo("127.0.0.1", port)[0][-1])
        before = open_fds()
        c = self.make(port, Recorder(), connect_timeout_ms=5000)

        async def scenario():
            task = asyncio.create_task(c.run())
            await asyncio.sleep_ms(100)  # inside the hanging connect
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass

        try:
            self.run_async(scenario())
            self.assertEqual(open_fds(), before)
        finally:
            held.close()
            srv.close()


class Loading(unittest.TestCase):
    # What a program loads decides the RAM it keeps: measured in a fresh interpreter.
    def modules_after(self, statement):
        from support import run_fresh

        code = "import sys\n%s\nprint(sorted(m for m in sys.modules if m.startswith('wiznet_net')))\n" % statement
        status, text = run_fresh(code, "loaded")
        self.assertEqual(status, 0, text)
        return text

    def test_the_asyncio_client_alone_leaves_the_blocking_one_unloaded(self):
        loaded = self.modules_after("import wiznet_net.aio")
        self.assertTrue("'wiznet_net.aio'" in loaded, loaded)
        self.assertFalse("wiznet_net.client" in loaded, loaded)

    def test_the_package_loads_a_name_s_module_when_it_is_used(self):
        self.assertEqual(self.modules_after("import wiznet_net"), "['wiznet_net', 'wiznet_net._compat']")
        loaded = self.modules_after("from wiznet_net import ReconnectingTCPClient, classify")
        self.assertTrue("'wiznet_net.client'" in loaded and "'wiznet_net.failure'" in loaded, loaded)
        self.assertFalse("_checks" in loaded or "_hints" in loaded or "ethernet" in loaded, loaded)
