# Months unattended (issue #11) for the asyncio client: a send under back-pressure beside
# the timed read wait, a send left waiting on a connection that ended, two tasks sending
# at once, a coroutine handler busy for longer than the idle timeout, bad arguments, a
# server that accepts and resets at once, a pulled cable.
import socket
import time

from support import FRAGMENTED_HEAP, FakeClock, FaultPeer, Peer, Recorder, closed_port, open_fds, raises, run_fresh
from test_aio import Base, until
from wiznet_net import Backoff, Failure

try:
    import asyncio
except ImportError:  # pragma: no cover
    asyncio = None

SO_SNDBUF = 7  # Linux numbers; MicroPython's socket module does not name them
SO_RCVBUF = 8


class SmallBuffers(Recorder):
    """Socket buffers of 16 KiB, as on a board: the sender meets back-pressure."""

    def on_connect(self, client):
        client.socket.setsockopt(socket.SOL_SOCKET, SO_SNDBUF, 16384)
        self.events.append(("connect",))


def pattern(n, offset=0):
    return bytes((offset + i) % 251 for i in range(n))


class Stream:
    """What the peer received, kept as a count and a check, not as the bytes (a 512 KiB
    buffer would not fit the unix port's heap beside the data sent). `check(chunk,
    offset)` says whether the chunk is what was sent at that offset."""

    def __init__(self, check):
        self.n = 0
        self.ok = True
        self.check = check

    def take(self, chunk):
        if not self.check(chunk, self.n):
            self.ok = False
        self.n += len(chunk)


async def slow_reader(conn, total, per_step, step_ms, stream):
    """Read about per_step bytes every step_ms (the peer's pace), until total arrived."""
    conn.setblocking(False)
    for _ in range(total // per_step * 4 + 400):  # bounded: four times what is needed
        if stream.n >= total:
            return
        try:
            chunk = conn.recv(per_step)
        except OSError:
            chunk = None
        if chunk:
            stream.take(chunk)
        await asyncio.sleep_ms(step_ms)


class BackPressure(Base):
    def test_a_send_waits_through_the_timed_read_waits_and_completes(self):
        # The read wait times out every second (the connection is not healthy yet), and
        # asyncio used to drop the parked writer with it: the send never woke and failed
        # at send_timeout_ms. 512 KiB at about 400 kB/s: two read timeouts on the way.
        self.peer = Peer()
        self.peer.listener.setsockopt(socket.SOL_SOCKET, SO_RCVBUF, 16384)
        c = self.make(self.peer.port, SmallBuffers(), send_timeout_ms=10000)
        data = pattern(512 * 1024)
        got = Stream(lambda chunk, offset: chunk == pattern(len(chunk), offset))

        async def scenario():
            task = await self.start(c)
            reader = asyncio.create_task(slow_reader(self.peer.conn, len(data), 4096, 10, got))
            start = time.ticks_ms()
            await c.send(data)
            took = time.ticks_diff(time.ticks_ms(), start)
            await asyncio.wait_for_ms(reader, 5000)
            c.stop()
            await asyncio.wait_for_ms(task, 2000)
            return took

        took = asyncio.run(scenario())
        self.assertTrue(got.n == len(data) and got.ok, "the peer got %d of %d bytes, or not in order" % (got.n, len(data)))
        self.assertTrue(took > 1000, "the send should have outlasted a read wait (took %d ms)" % took)
        self.assertEqual(c.stats["disconnects"], 1)  # only the stop()

    def test_a_send_left_waiting_on_an_old_connection_never_drops_the_new_one(self):
        self.peer = Peer()
        self.peer.listener.setsockopt(socket.SOL_SOCKET, SO_RCVBUF, 16384)
        c = self.make(self.peer.port, SmallBuffers(), send_timeout_ms=1500)
        blob = bytes(1024 * 1024)
        outcome = []

        async def sender():
            try:
                await c.send(blob)  # the peer never reads it
            except Failure as f:
                outcome.append(f)

        async def scenario():
            task = await self.start(c)
            s = asyncio.create_task(sender())
            await asyncio.sleep_ms(1200)  # a read wait timed out meanwhile
            self.peer.reset()  # the first connection ends
            await until(lambda: c.stats["connects"] == 2, steps=300)
            self.peer.accept()
            await asyncio.wait_for_ms(s, 3000)
            await asyncio.sleep_ms(1000)  # past the old send's deadline
            connected = c.connected
            c.stop()
            await asyncio.wait_for_ms(task, 2000)
            return connected

        self.assertTrue(asyncio.run(scenario()))
        # the send failed with its own connection (reset, or closed once it was gone)
        self.assertEqual(len(outcome), 1)
        self.assertTrue(outcome[0].kind in ("reset", "closed"), outcome)
        self.assertEqual(c.stats["connects"], 2)
        self.assertEqual(c.stats["disconnects"], 2)  # the reset and the stop(), nothing else

    def test_two_tasks_sending_at_once_each_arrive_contiguous(self):
        self.peer = Peer()
        self.peer.listener.setsockopt(socket.SOL_SOCKET, SO_RCVBUF, 16384)
        c = self.make(self.peer.port, SmallBuffers(), send_timeout_ms=10000)
        a, b = b"A" * 200000, b"B" * 200000
        # Each message is one repeated byte: contiguous means the byte changes once, at
        # the boundary between them.
        changes = []

        def check(chunk, offset):
            for i in range(len(chunk)):
                if chunk[i] != (changes[-1][1] if changes else None):
                    changes.append((offset + i, chunk[i]))
            return True

        got = Stream(check)

        async def scenario():
            task = await self.start(c)
            reader = asyncio.create_task(slow_reader(self.peer.conn, len(a) + len(b), 8192, 5, got))
            await asyncio.gather(c.send(a), c.send(b))
            await asyncio.wait_for_ms(reader, 5000)
            c.stop()
            await asyncio.wait_for_ms(task, 2000)

        asyncio.run(scenario())
        self.assertEqual(got.n, len(a) + len(b))
        self.assertEqual(len(changes), 2, "the two messages were interleaved: %r" % changes[:6])
        self.assertEqual(changes[1][0], 200000)


class CancelledSend(Base):
    def test_a_send_cancelled_part_way_drops_the_connection(self):
        # asyncio.wait_for() around a send that waits for room cancels it with part of
        # the message in the socket. The next send used to follow those bytes on the
        # same connection, read by the peer as the rest of the cut message.
        self.peer = Peer()
        self.peer.listener.setsockopt(socket.SOL_SOCKET, SO_RCVBUF, 16384)
        c = self.make(self.peer.port, SmallBuffers())

        async def scenario():
            task = await self.start(c)
            try:
                await asyncio.wait_for_ms(c.send(bytes(1 << 20)), 300)  # the peer reads nothing
            except asyncio.TimeoutError:
                pass
            connected = c.connected
            sent = c.stats["bytes_out"]
            got = 0
            for _ in range(1000):  # the old connection: what was sent, then its end
                chunk = self.peer.conn.recv(65536)
                if not chunk:
                    break
                got += len(chunk)
            await until(lambda: c.stats["connects"] == 2)
            self.peer.accept()
            await c.send(b"HELLO")
            fresh = self.peer.recv_exactly(5)
            c.stop()
            await asyncio.wait_for_ms(task, 2000)
            return connected, sent, got, fresh

        connected, sent, got, fresh = asyncio.run(scenario())
        self.assertFalse(connected)
        self.assertTrue(0 < sent < 1 << 20, sent)
        self.assertEqual(got, sent)
        self.assertEqual(fresh, b"HELLO")
        self.assertEqual(self.handler.named("disconnect")[0], ("disconnect", "closed"))


class BusyHandler(Base):
    def test_a_coroutine_handler_busy_longer_than_the_idle_timeout(self):
        # The peer keeps sending while a handler awaits 1.5 s: the lines waiting in the
        # socket are life, and are read - not a "timeout in recv".
        clock = FakeClock(record=False)
        lines = []

        class Slow(Recorder):
            async def on_data(self, client, data):
                lines.append(bytes(data))
                if len(lines) == 1:
                    for i in range(7):
                        peer.send(b"line %d\n" % i)
                    clock.advance(1500)
                    await asyncio.sleep_ms(50)

        self.peer = peer = Peer()
        c = self.make(self.peer.port, Slow(), idle_timeout_ms=1000, clock=clock)

        async def scenario():
            task = await self.start(c)
            self.peer.send(b"first\n")
            await until(lambda: b"".join(lines).count(b"\n") == 8)
            connected = c.connected
            c.stop()
            await asyncio.wait_for_ms(task, 2000)
            return connected

        self.assertTrue(asyncio.run(scenario()))
        self.assertEqual(self.handler.named("disconnect"), [("disconnect", None)])


class BadArguments(Base):
    def test_send_refuses_before_any_byte_moves(self):
        self.peer = Peer()
        c = self.make(self.peer.port, Recorder())
        errors = []

        async def scenario():
            task = await self.start(c)
            from array import array

            for args in ((b"abc", 10), (b"xyz", -1), ("h\xe9llo",), (array("H", [1, 2]),)):
                try:
                    await c.send(*args)
                except (TypeError, ValueError) as e:
                    errors.append(type(e).__name__)
            await c.send(b"ok")
            got = self.peer.recv_exactly(2)
            connected = c.connected
            c.stop()
            await asyncio.wait_for_ms(task, 2000)
            return got, connected

        self.assertEqual(asyncio.run(scenario()), (b"ok", True))
        self.assertEqual(errors, ["ValueError", "ValueError", "TypeError", "TypeError"])
        self.assertEqual(c.stats["bytes_out"], 2)


class AcceptThenReset(Base):
    def test_a_server_that_accepts_and_resets_is_never_called_refused(self):
        self.peer = FaultPeer()
        self.peer.cmd("mode reset")
        c = self.make(self.peer.port, Recorder(), backoff=Backoff(initial_ms=5, max_ms=5, jitter=0))

        async def scenario():
            task = asyncio.create_task(c.run())
            await until(lambda: self.peer.stats()["accepts"] >= 30, steps=500)
            c.stop()
            await asyncio.wait_for_ms(task, 2000)

        asyncio.run(scenario())
        kinds = [e[1] for e in self.handler.events if e[0] in ("failed", "disconnect") and e[1]]
        self.assertTrue(len(kinds) >= 20, kinds)
        self.assertFalse("refused" in kinds, kinds)


class PulledCable(Base):
    def test_the_asyncio_client_watches_the_link_while_connected(self):
        class Nic:
            up = True

            def isconnected(self):
                return self.up

        nic = Nic()
        self.peer = Peer()
        c = self.make(self.peer.port, Recorder(), nic=nic)

        async def scenario():
            task = await self.start(c)
            c.backoff.reset()
            nic.up = False
            start = time.ticks_ms()
            await until(lambda: not c.connected, steps=100)
            took = time.ticks_diff(time.ticks_ms(), start)
            await asyncio.sleep_ms(600)
            attempts = c.backoff.attempt
            nic.up = True
            await until(lambda: c.connected, steps=100)
            self.peer.accept()
            c.stop()
            await asyncio.wait_for_ms(task, 2000)
            return took, attempts

        took, attempts = asyncio.run(scenario())
        self.assertTrue(took < 1000, took)
        self.assertEqual(attempts, 0)
        self.assertEqual(self.handler.named("disconnect")[0], ("disconnect", "no_link"))


class FragmentedHeap(Base):
    def test_the_outbox_drains_without_a_copy_after_an_outage(self):
        # The flush used to pop() a copy of each message: with no room for it the
        # MemoryError ended run() and the message was lost. It goes from the ring now.
        code = FRAGMENTED_HEAP + """
import asyncio
from wiznet_net import Backoff
from wiznet_net.aio import AsyncReconnectingTCPClient
from wiznet_net.outbox import Outbox
box = Outbox(4096)
c = AsyncReconnectingTCPClient("127.0.0.1", port, object(), outbox=box, backoff=Backoff(jitter=0))
async def main():
    for message in QUEUED:
        await c.send(message)
    keep = fragment()
    task = asyncio.create_task(c.run())
    for _ in range(100):
        await asyncio.sleep_ms(10)
        if not box or task.done():
            break
    keep = None
    result = "ended: %r" % task.data if task.done() else "running"
    c.stop()
    return result
result = asyncio.run(main())
gc.collect()
print(result, drained(c, box))
srv.close()
"""
        status, out = run_fresh(code, "fragmented_outbox_aio")
        self.assertEqual(status, 0, out)
        self.assertIn("running queued 0 dropped 1 peer got True", out)


class NoMemoryWhileConnecting(Base):
    def test_no_room_for_the_socket_methods_closes_it_and_retries(self):
        # The connected socket's read and write methods were taken after the attempt's
        # try: a MemoryError there ended run() with the socket left open.
        import wiznet_net.aio as aio

        real = aio.stream_writer
        calls = []

        def no_room_the_first_time(sock):
            calls.append(sock)
            if len(calls) == 1:
                raise MemoryError
            return real(sock)

        self.peer = Peer()
        c = self.make(self.peer.port, Recorder())

        async def scenario():
            task = asyncio.create_task(c.run())
            await until(lambda: c.connected)
            self.peer.accept()
            c.stop()
            await asyncio.wait_for_ms(task, 2000)

        aio.stream_writer = no_room_the_first_time
        try:
            asyncio.run(scenario())
        finally:
            aio.stream_writer = real
        self.assertEqual(len(calls), 2)
        self.assertEqual(self.handler.named("failed")[0][1], "no_memory")


class CtrlC(Base):
    def test_stop_after_ctrl_c_during_a_connect_closes_its_socket(self):
        # Ctrl-C leaves asyncio.run() from the event loop's wait: the task that runs
        # run() never resumes, so its own cleanup never runs. The documented answer,
        # client.stop() after the KeyboardInterrupt, closed nothing while a connect was
        # under way (a server down: most of the time): the socket stayed open.
        c = self.make(closed_port(), Recorder())

        async def never_connects(sock):
            await asyncio.sleep_ms(60000)

        c._finish_connect = never_connects

        async def main():
            asyncio.create_task(c.run())
            await asyncio.sleep_ms(50)
            raise KeyboardInterrupt  # as Ctrl-C would, outside the client's task

        raises(KeyboardInterrupt, asyncio.run, main())
        c.stop()
        self.assertEqual(open_fds(), self.fds)


class HandlerReentry(Base):
    def test_stop_inside_on_connecting_makes_no_attempt(self):
        class Stopper(Recorder):
            async def on_connecting(self, client):
                Recorder.on_connecting(self, client)
                client.stop()

        self.peer = Peer()
        c = self.make(self.peer.port, Stopper())
        asyncio.run(asyncio.wait_for_ms(c.run(), 2000))
        self.assertEqual(c.stats["connects"], 0)
        self.assertEqual(self.handler.events, [("connecting",)])


class CableOut(Base):
    def test_max_attempts_holds_while_the_cable_is_out(self):
        class Nic:
            def isconnected(self):
                return False

        c = self.make(closed_port(), Recorder(), nic=Nic(), max_attempts=2)
        f = raises(Failure, asyncio.run, asyncio.wait_for_ms(c.run(), 2000))
        self.assertEqual((f.kind, c.stats["connect_failures"]), ("no_link", 2))

