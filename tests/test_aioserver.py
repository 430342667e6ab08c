# The asyncio server against the same list as the blocking one (test_server.py): many
# clients, a storm past the budget, silent / dripping / non-reading / half-open peers,
# handlers that raise or stop it, Ctrl-C, framers on several connections - plus: a slow
# coroutine handler holds up only its own connection, and cancelling the task that runs
# the server closes every socket. The clients are plain sockets of this same thread,
# read without blocking the event loop; descriptors are counted in each test.
import socket

from serverkit import RESET, Log, ServerCase, flaky, reset, take
from support import FakeClock, micropython_only, open_fds, raises
from wiznet_net import Failure
from wiznet_net.framing import LengthPrefixed, Lines

try:
    import asyncio

    from wiznet_net.aioserver import AsyncConnection, AsyncTCPServer
except ImportError:  # pragma: no cover
    asyncio = None


async def until(cond, steps=300, step_ms=10):
    for _ in range(steps):
        if cond():
            return
        await asyncio.sleep_ms(step_ms)
    if not cond():
        raise AssertionError("condition not reached after %d steps" % steps)


async def read(s, n, steps=300):
    got = b""
    for _ in range(steps):
        part = take(s)
        if part is RESET or part == b"":
            break
        if part:
            got += part
            if len(got) >= n:
                break
        await asyncio.sleep_ms(10)
    return got


async def closed(s, steps=300):
    for _ in range(steps):
        part = take(s)
        if part is RESET or part == b"":
            return True
        await asyncio.sleep_ms(10)
    return False


class AsyncLog(Log):
    """Log with coroutine handlers: on_data awaits its send."""

    async def on_data(self, conn, data):
        conn.state += data
        self.events.append(("data", bytes(data)))
        if self.echo:
            await conn.send(data)


class Base(ServerCase):
    def setUp(self):
        micropython_only("the asyncio server parks tasks on MicroPython's I/O queue")
        asyncio.new_event_loop()
        super().setUp()

    def make(self, handler=None, **options):
        self.handler = handler if handler is not None else AsyncLog()
        self.server = AsyncTCPServer(self.listen_on(), self.handler, bind="127.0.0.1", **options)
        return self.server

    def run_async(self, scenario, *args):
        """Run scenario(*args) beside the server's task; stop the server after it."""

        async def main():
            task = asyncio.create_task(self.server.run())
            try:
                await scenario(*args)
            finally:
                self.server.stop()
                await task

        asyncio.run(main())

    async def served(self, n=1):
        before = self.server.stats["connects"]
        socks = []
        for _ in range(n):
            socks.append(self.clients.dial())
            await until(lambda: self.server.stats["connects"] > before + len(socks) - 1)
        return socks if n > 1 else socks[0]


class Serving(Base):
    def test_many_clients_at_once_each_gets_its_own_echo(self):
        self.make()

        async def scenario():
            socks = await self.served(4)
            for i, s in enumerate(socks):
                s.send(b"client %d" % i)
            for i, s in enumerate(socks):
                self.assertEqual(await read(s, 8), b"client %d" % i)
            self.assertEqual(self.server.clients, 4)

        self.run_async(scenario)
        self.assertEqual(self.handler.named("disconnect"), [("disconnect", None)] * 4)
        self.assertEqual(self.server.stats["bytes_out"], 32)

    def test_a_slow_coroutine_handler_holds_up_only_its_own_connection(self):
        class Slow(AsyncLog):
            async def on_data(self, conn, data):
                if data == b"slow":
                    await asyncio.sleep_ms(500)
                await AsyncLog.on_data(self, conn, data)

        self.make(Slow())

        async def scenario():
            slow, quick = await self.served(2)
            slow.send(b"slow")
            await asyncio.sleep_ms(20)
            t = asyncio.ticks()
            quick.send(b"quick")
            self.assertEqual(await read(quick, 5), b"quick")
            self.assertTrue(asyncio.ticks_diff(asyncio.ticks(), t) < 300)
            self.assertEqual(await read(slow, 4), b"slow")

        self.run_async(scenario)

    def test_sends_from_two_tasks_to_one_connection_go_out_whole(self):
        self.make(AsyncLog(echo=False), send_timeout_ms=5000)
        size = 65536
        blob_a = b"a" * size
        blob_b = b"b" * size

        async def scenario():
            s = await self.served()
            conn = self.handler.conns[0]
            # small socket buffers: each send must wait for room, several times
            conn.socket.setsockopt(socket.SOL_SOCKET, 7, 4096)  # SO_SNDBUF (Linux)
            s.setsockopt(socket.SOL_SOCKET, 8, 4096)  # SO_RCVBUF
            t1 = asyncio.create_task(conn.send(blob_a))
            t2 = asyncio.create_task(conn.send(blob_b))
            got = changes = 0
            last = None
            for _ in range(3000):
                part = take(s)
                if part:
                    got += len(part)
                    if last is not None and part[0] != last:
                        changes += 1
                    changes += part.count(b"ab") + part.count(b"ba")
                    last = part[-1]
                if got >= 2 * size:
                    break
                await asyncio.sleep_ms(2)
            await t1
            await t2
            self.assertEqual((got, changes), (2 * size, 1))  # one run of each: never interleaved

        self.run_async(scenario)


class Budget(Base):
    def test_a_burst_of_100_connects_against_max_clients_4(self):
        fds = open_fds()
        self.make(max_clients=4, backlog=128)

        async def scenario():
            for _ in range(100):
                self.clients.dial_nowait()
            stats = self.server.stats
            await until(lambda: stats["connects"] + stats["rejected"] + stats["accept_failures"] == 100)
            self.assertEqual((stats["connects"], stats["rejected"], stats["accept_failures"]), (4, 96, 0))
            self.assertEqual(open_fds(), fds + 1 + 100 + 4)
            self.clients.close()
            await until(lambda: self.server.clients == 0)
            self.assertEqual(open_fds(), fds + 1)
            s = await self.served()
            s.send(b"after")
            self.assertEqual(await read(s, 5), b"after")

        self.run_async(scenario)

    def test_a_failed_accept_is_counted_and_the_listener_rests_then_serves(self):
        self.make()
        listener = flaky(self.server)
        listener.failures = [MemoryError()]

        async def scenario():
            self.clients.dial()
            await until(lambda: self.server.stats["connects"] == 1)
            self.assertEqual(self.server.stats["accept_failures"], 1)

        self.run_async(scenario)


    def test_no_memory_for_a_connection_rests_the_listener_before_the_next_accept(self):
        class Short(AsyncConnection):
            fail = 1

            def __init__(self, *args):
                if Short.fail:
                    Short.fail -= 1
                    raise MemoryError
                AsyncConnection.__init__(self, *args)

        class Server(AsyncTCPServer):
            _Connection = Short

        clock = FakeClock(record=False)  # the rest ends when the test says so
        self.handler = AsyncLog()
        self.server = Server(self.listen_on(), self.handler, bind="127.0.0.1", backlog=4, clock=clock)
        stats = self.server.stats

        async def scenario():
            first = self.clients.dial()
            others = [self.clients.dial(), self.clients.dial()]
            await until(lambda: stats["accept_failures"] == 1)
            self.assertTrue(await closed(first, 5))
            await asyncio.sleep_ms(50)
            self.assertEqual(stats["connects"], 0)
            self.assertEqual([take(s) for s in others], [None, None])  # waiting in the backlog
            clock.advance(100)
            await until(lambda: stats["connects"] == 2)
            for s in others:
                s.send(b"ok")
                self.assertEqual(await read(s, 2), b"ok")
            self.assertEqual((stats["accept_failures"], stats["rejected"]), (1, 0))

        self.run_async(scenario)


class Hostage(Base):
    def test_silent_and_dripping_clients_lose_their_slots_while_others_are_served(self):
        self.make(max_clients=3, idle_timeout_ms=300)

        async def scenario():
            silent, dripper, talker = await self.served(3)
            for i in range(8):  # the talker every 100 ms, the dripper every 400 ms
                if i % 4 == 0:
                    dripper.send(b".")
                talker.send(b"t")
                self.assertEqual(await read(talker, 1), b"t")
                await asyncio.sleep_ms(90)
            self.assertTrue(await closed(silent) and await closed(dripper))
            self.assertEqual(self.server.clients, 1)
            late = await self.served()  # a freed slot serves the next
            late.send(b"late")
            self.assertEqual(await read(late, 4), b"late")

        self.run_async(scenario)
        self.assertEqual(self.handler.named("disconnect")[:2], [("disconnect", ("timeout", "recv"))] * 2)

    def test_a_client_that_does_not_read_loses_its_slot_and_nothing_else_stalls(self):
        chunk = bytes(16384)

        class Flood(AsyncLog):
            async def on_data(self, conn, data):
                if data == b"flood":
                    for _ in range(1000):
                        await conn.send(chunk)
                else:
                    await AsyncLog.on_data(self, conn, data)

        self.make(Flood(), send_timeout_ms=300)

        async def scenario():
            sleeper, other = await self.served(2)
            sleeper.send(b"flood")
            for i in range(5):  # served meanwhile: the flood waits in its own task
                other.send(b"%d" % i)
                self.assertEqual(await read(other, 1), b"%d" % i)
            await until(lambda: self.server.stats["disconnects"] == 1)
            f = self.handler.last_failure
            self.assertEqual((f.kind, f.phase), ("timeout", "send"))
            other.send(b"x")
            self.assertEqual(await read(other, 1), b"x")

        self.run_async(scenario)

    def test_idle_timers_across_the_ticks_wrap(self):
        clock = FakeClock(record=False)  # 500 ms before the wrap
        self.make(idle_timeout_ms=1000, clock=clock)

        async def scenario():
            s = await self.served()
            clock.advance(900)
            s.send(b"a")
            self.assertEqual(await read(s, 1), b"a")
            clock.advance(999)
            await asyncio.sleep_ms(50)
            self.assertEqual(self.server.clients, 1)
            clock.advance(2)
            self.assertTrue(await closed(s, steps=300))  # within the listening task's step

        self.run_async(scenario)


class Handlers(Base):
    def test_a_handler_that_raises_ends_run_with_everything_closed(self):
        class Buggy(AsyncLog):
            async def on_data(self, conn, data):
                await AsyncLog.on_data(self, conn, data)
                if data == b"boom":
                    raise ValueError("handler bug")

        self.make(Buggy())

        async def scenario():
            task = asyncio.create_task(self.server.run())
            bad, good = await self.served(2)
            bad.send(b"boom")
            e = None
            try:
                await task
            except ValueError as exc:
                e = exc
            self.assertEqual(str(e), "handler bug")
            self.assertTrue(await closed(bad, 5) and await closed(good, 5))
            f = [e for e in self.handler.events if e[0] == "disconnect"]
            self.assertEqual(f[0], ("disconnect", ("unknown", "handler")))

        asyncio.run(scenario())
        self.assertEqual(self.server.clients, 0)
        raises(OSError, self.clients.dial)  # the listener too

    def test_stop_from_a_handler(self):
        class Stopper(AsyncLog):
            async def on_data(self, conn, data):
                conn.server.stop()

        self.make(Stopper())

        async def scenario():
            task = asyncio.create_task(self.server.run())
            a, b = await self.served(2)
            a.send(b"stop")
            await task  # ends
            self.assertTrue(await closed(a, 5) and await closed(b, 5))

        asyncio.run(scenario())
        self.assertEqual(self.handler.named("disconnect"), [("disconnect", None)] * 2)

    def test_stop_from_on_connect(self):
        class StopAtOnce(Log):
            def on_connect(self, conn):
                Log.on_connect(self, conn)
                conn.server.stop()

        self.make(StopAtOnce())

        async def scenario():
            task = asyncio.create_task(self.server.run())
            self.clients.dial()
            await task

        asyncio.run(scenario())
        self.assertEqual([e[0] for e in self.handler.events], ["connect", "disconnect"])

    def test_stop_and_start_from_a_handler_serves_on(self):
        # As with the blocking server: stop() closes everything, start() listens again,
        # and run() goes on serving - it does not end with a CancelledError.
        class Restart(AsyncLog):
            async def on_data(self, conn, data):
                if data == b"restart":
                    conn.server.stop()
                    conn.server.start()
                else:
                    await AsyncLog.on_data(self, conn, data)

        self.make(Restart())

        async def scenario():
            task = asyncio.create_task(self.server.run())
            a, b = await self.served(2)
            a.send(b"restart")
            self.assertTrue(await closed(a) and await closed(b))
            c = await self.served()
            c.send(b"after")
            self.assertEqual(await read(c, 5), b"after")
            self.assertFalse(self.server.stopped)
            task.cancel()  # and a cancel from outside still ends it, everything closed
            try:
                await task
            except asyncio.CancelledError:
                pass
            self.assertTrue(await closed(c, 5))

        asyncio.run(scenario())
        self.assertEqual(self.handler.named("disconnect"), [("disconnect", None)] * 3)
        self.assertEqual(self.server.clients, 0)
        raises(OSError, self.clients.dial)  # the listener too

    def test_await_run_in_the_callers_task_then_go_on_after_stop(self):
        # The documented `await server.run()`: stop() from a handler ends it, and the
        # caller goes on - no stray cancel lands in its next wait.
        class Stopper(AsyncLog):
            async def on_data(self, conn, data):
                conn.server.stop()

        self.make(Stopper())
        after = []

        async def poke():
            a = await self.served()
            a.send(b"stop")

        async def main():
            asyncio.create_task(poke())
            await self.server.run()
            try:
                await asyncio.sleep_ms(50)
                after.append("slept")
            except asyncio.CancelledError:
                after.append("cancelled")

        asyncio.run(main())
        self.assertEqual((after, self.server.clients), (["slept"], 0))
        raises(OSError, self.clients.dial)

    def test_cancelling_the_task_closes_every_socket(self):
        self.make()

        async def scenario():
            task = asyncio.create_task(self.server.run())
            a, b = await self.served(2)
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
            self.assertTrue(await closed(a, 5) and await closed(b, 5))

        asyncio.run(scenario())
        self.assertEqual(self.server.clients, 0)

    def test_ctrl_c_then_stop_closes_every_socket(self):
        class CtrlC(AsyncLog):
            async def on_data(self, conn, data):
                raise KeyboardInterrupt

        self.make(CtrlC())

        async def scenario():
            asyncio.create_task(self.server.run())
            a, b = await self.served(2)
            a.send(b"^C")
            await asyncio.sleep_ms(1000)

        raises(KeyboardInterrupt, asyncio.run, scenario())
        self.server.stop()  # what the example does after the KeyboardInterrupt
        self.assertEqual(self.server.clients, 0)
        raises(OSError, self.clients.dial)

    def test_on_connects_coroutine_never_runs_after_its_on_disconnect(self):
        ran = []

        class CloseAtOnce(Log):
            def on_connect(self, conn):
                Log.on_connect(self, conn)
                conn.close()
                return self.later()

            async def later(self):
                ran.append("on_connect's coroutine")

        self.make(CloseAtOnce())

        async def scenario():
            s = self.clients.dial()
            self.assertTrue(await closed(s))
            await asyncio.sleep_ms(20)

        self.run_async(scenario)
        self.assertEqual((ran, self.server.clients), ([], 0))

    def test_a_coroutine_on_disconnect_runs(self):
        seen = []

        class Bye(AsyncLog):
            async def on_disconnect(self, conn, failure):
                await asyncio.sleep_ms(1)
                seen.append(failure)

        self.make(Bye())

        async def scenario():
            s = await self.served()
            s.close()
            await until(lambda: seen)

        self.run_async(scenario)
        self.assertEqual(seen, [None])

    def test_a_reset_arriving_during_a_send(self):
        chunk = bytes(16384)

        class Big(AsyncLog):
            async def on_data(self, conn, data):
                for _ in range(1000):
                    await conn.send(chunk)

        self.make(Big(), send_timeout_ms=5000)

        async def scenario():
            victim, other = await self.served(2)
            victim.send(b"go")
            await asyncio.sleep_ms(50)  # the send is waiting for room by now
            reset(victim)
            self.clients.socks.remove(victim)
            await until(lambda: self.server.stats["disconnects"] == 1)
            self.assertIn(self.handler.last_failure.kind, ("reset", "closed"))
            other.send(b"x")
            await until(lambda: self.server.stats["bytes_in"] == 3)

        self.run_async(scenario)

    def test_sending_to_a_connection_that_ended_raises_enotconn(self):
        self.make()

        async def scenario():
            await self.served()
            conn = self.handler.conns[0]
            conn.close()
            e = None
            try:
                await conn.send(b"x")
            except Failure as exc:
                e = exc
            self.assertEqual((e.errno, e.kind), (107, "closed"))

        self.run_async(scenario)


class Framers(Base):
    def test_coroutine_framers_on_several_connections(self):
        got = []

        class App:
            async def on_message(self, conn, line):
                await asyncio.sleep_ms(5)
                got.append((conn.peer[1], line))
                await framer.send(conn, b"re:" + line)

        framer = Lines(App(), max_line=32)
        self.make(framer)

        async def scenario():
            a, b = await self.served(2)
            for s, part in ((a, b"one\ntw"), (b, b"uno\ndo"), (a, b"o\n"), (b, b"s\n")):
                s.send(part)
                await asyncio.sleep_ms(10)
            self.assertEqual(await read(a, 14), b"re:one\nre:two\n")
            self.assertEqual(await read(b, 14), b"re:uno\nre:dos\n")

        self.run_async(scenario)
        ports = {}
        for port, line in got:
            ports.setdefault(port, []).append(line)
        self.assertEqual(sorted(ports.values()), [[b"one", b"two"], [b"uno", b"dos"]])

    def test_length_prefixed_with_a_cut_on_one(self):
        got = []

        class App:
            def on_message(self, conn, payload):
                got.append(payload)

        framer = LengthPrefixed(App())
        self.make(framer)

        async def scenario():
            a, b = await self.served(2)
            a.send(b"\x00\x04ab")
            b.send(b"\x00\x02o")
            await asyncio.sleep_ms(20)
            a.close()
            await until(lambda: self.server.clients == 1)
            b.send(b"k")
            await until(lambda: got)

        self.run_async(scenario)
        self.assertEqual((got, framer.cut), ([b"ok"], 1))


class Arguments(Base):
    def test_bad_arguments_and_no_socket(self):
        fds = open_fds()
        self.assertIn("max_clients", str(raises(ValueError, AsyncTCPServer, 8080, Log(), max_clients=0)))
        self.assertIn("send_timeout_ms", str(raises(TypeError, AsyncTCPServer, 8080, Log(), send_timeout_ms=None)))
        self.assertEqual(open_fds(), fds)
