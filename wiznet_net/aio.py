# The reconnecting client as an asyncio task, beside the blocking one: the same handler
# methods (plain functions or coroutines), Backoff, classify() and stats - everything
# but the I/O comes from session.py. Its own module, so a blocking-only install never
# loads asyncio. Connect, read and write never block the event loop: a non-blocking
# connect is awaited through asyncio's I/O queue, as asyncio's own streams do it.
# Name resolution does block (MicroPython's getaddrinfo has no asynchronous form): use
# an IP address, and resolving costs nothing.
import asyncio
import select
import socket

from ._aiowait import _awaitable, _ready, _Room, send_rest, send_whole, wait_ms
from ._common import send_size
from ._compat import call_cold, const, stream_reader, stream_writer
from .failure import CONNECT, DNS, TIMEOUT, Failure, classify, errno_of
from .session import Session

_EAGAIN = const(11)
_EINPROGRESS = const(115)
_ETIMEDOUT = const(110)
_STEP_MS = const(1000)  # the longest wait before the timers are looked at again
_NO_TIMER = const(-2)


class AsyncReconnectingTCPClient(Session):
    """:class:`~wiznet_net.ReconnectingTCPClient` for asyncio: ``await client.run()`` (or
    ``asyncio.create_task(client.run())``), ``await client.send(data)``, ``client.stop()``.

    Same arguments, handler methods, ``stats``, ``Backoff`` and failures; each handler
    method may be a plain function or a coroutine. Cancelling the task that runs
    :meth:`run` closes the socket. ``tls`` is not supported here yet (its handshake would
    block the event loop): use the blocking client for TLS.
    """

    def __init__(self, host, port, handler, *args, **options):
        call_cold("_checks", "aio_args", asyncio, socket, options)  # TLS, asyncio, sockets
        super().__init__(host, port, handler, *args, **options)
        self._room = _Room()
        self._send_lock = asyncio.Lock()  # each send()'s bytes go out contiguous
        self._defer = []  # coroutines returned by handler methods called from plain code
        self._task = None
        self._check = select.poll()  # the outcome of a non-blocking connect
        self._readinto = self._write = None
        self._connecting = None  # the socket of the connect under way, for stop()

    # -- the task ---------------------------------------------------------------------

    async def run(self):
        """Connect and serve until :meth:`stop`. With ``max_attempts`` set, raises the
        last :class:`~wiznet_net.Failure` once that many attempts in a row failed."""
        self.start()
        self._task = asyncio.current_task()
        try:
            while not self.stopped:
                if self._sock is None:
                    await self._disconnected_step()
                else:
                    await self._connected_step()
                if self._defer:
                    await self._run_deferred()
        except asyncio.CancelledError:
            if not self.stopped:  # cancelled from outside: the caller wants it to end
                raise
            await self._run_deferred()  # stop() from another task: its on_disconnect
        finally:
            self._task = None
            if self._sock is not None:  # cancelled or failed: never leave a socket open
                self._close()

    def stop(self):
        """Close the connection (``on_disconnect(client, None)``) and end :meth:`run`;
        callable from a handler or from any other task."""
        task = self._task
        if task is not None:
            try:
                current = asyncio.current_task()
            except RuntimeError:  # no loop running (e.g. after Ctrl-C)
                current = None
            if task is not current:
                # First take the task off the poller, then close the socket under it.
                task.cancel()
        s = self._connecting
        if s is not None:
            # After Ctrl-C the task of run() never resumes, so the connect it was making
            # is closed here (closing twice, should it resume, does no harm).
            self._connecting = None
            s.close()
        Session.stop(self)

    # -- sending ----------------------------------------------------------------------

    async def send(self, data, n=None):
        """Send every byte of ``data`` (or its first ``n``), waiting for buffer room
        without blocking other tasks; failures as for the blocking client. Sends from
        several tasks go out one after the other, each whole."""
        total = send_size(data, n)
        s = self._sock
        if s is None:
            self._not_connected(data, total)
            return
        await send_whole(self, s, data, total, self.send_timeout_ms)

    # -- disconnected -----------------------------------------------------------------

    async def _disconnected_step(self):
        wait = self._link_wait() or self._due_in()
        if wait > 0:
            await asyncio.sleep_ms(wait)
            return
        await self._attempt()

    async def _attempt(self):
        self._call(self._on_connecting)
        await self._run_deferred()
        if self.stopped:  # the handler called stop(): no attempt, no socket
            return
        phase = DNS
        s = None
        try:
            ai = self._resolve()  # blocks for a name; an IP literal is parsed on the spot
            phase = CONNECT
            s = self._connecting = socket.socket(ai[0], socket.SOCK_STREAM)
            s.setblocking(False)
            try:
                s.connect(ai[-1])
            except OSError as e:
                if errno_of(e) not in (_EINPROGRESS, _EAGAIN):
                    raise
            await self._finish_connect(s)
            # Inside the try: each is an allocation, and a MemoryError must not leave
            # the socket open.
            self._write = stream_writer(s)
            self._readinto = stream_reader(s)
        except Exception as e:
            if s is not None:
                s.close()
            self._attempt_failed(classify(e, phase, self._where))
            return
        except BaseException:  # cancelled, Ctrl-C: still no leaked socket
            if s is not None:
                s.close()
            raise
        finally:
            self._connecting = None
        self._connected(s)
        await self._run_deferred()
        outbox = self.outbox
        if not outbox:
            return
        # Queued messages go first and whole: other tasks' sends wait for the lock.
        lock = self._send_lock
        await lock.acquire()
        try:
            while outbox and self._sock is s:
                first, rest = self._queued()  # (a cancel here ends run(), and closes s)
                try:
                    await send_rest(self, s, first, 0, len(first), self.send_timeout_ms)
                    if rest:
                        await send_rest(self, s, rest, 0, len(rest), self.send_timeout_ms)
                except Failure:
                    self._flush_failed(len(first) + (len(rest) if rest else 0))
        finally:
            lock.release()

    async def _finish_connect(self, s):
        timeout = self.connect_timeout_ms
        if timeout is None:
            await _ready(s, True)
        elif not await wait_ms(_ready(s, True), timeout):
            raise Failure(TIMEOUT, CONNECT, _ETIMEDOUT, self._where)
        # Writable: connected, or failed. A failed connect reports POLLERR/POLLHUP and
        # its error on the next read.
        poller = self._check
        poller.register(s, select.POLLOUT)
        try:
            events = 0
            for _, ev in poller.poll(0):
                events = ev
        finally:
            poller.unregister(s)
        if events & (select.POLLERR | select.POLLHUP):
            s.readinto(bytearray(1))  # raises the connect error (refused, unreachable)
            raise OSError(104)  # closed at once without an error: treat as a reset

    # -- connected --------------------------------------------------------------------

    async def _connected_step(self):
        wait = self._timers(_STEP_MS) if self._timed else _NO_TIMER
        if wait == -1:  # the timers ended the connection
            return
        s = self._sock
        if wait == _NO_TIMER:
            await _ready(s)  # no timer to watch: wait for data only (stop() cancels)
        elif wait:
            if not await wait_ms(_ready(s), wait):
                return
        else:  # data is waiting already (see _timers): read it, letting other tasks run first
            await asyncio.sleep_ms(0)
        if self._sock is not s:
            return
        # One read, and a coroutine handler is awaited before the next: the framers
        # (framing.py) still cut messages out of the receive buffer while theirs run.
        result = self._drain(1)
        if _awaitable(result):
            await self._await_handler(result)

    def _data_waiting(self):
        poller = self._check
        poller.register(self._sock, select.POLLIN)
        ready = False
        for _ in poller.ipoll(0):  # readable, or hung up: either way the read decides
            ready = True
        poller.unregister(self._sock)
        return ready

    # -- handlers ---------------------------------------------------------------------

    def _call(self, fn, *args):
        result = Session._call(self, fn, *args)
        if _awaitable(result):
            self._defer.append(result)
        return result

    async def _run_deferred(self):
        while self._defer:
            await self._await_handler(self._defer.pop(0))

    async def _await_handler(self, coro):
        try:
            await coro
        except BaseException as e:
            self._handler_raised(e)
