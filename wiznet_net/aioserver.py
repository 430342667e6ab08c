# The TCP server as asyncio tasks, beside the blocking one: the same handler methods
# (plain functions or coroutines), budget, timeouts, stats and failures - everything but
# the waits comes from serving.py. One task listens and runs the timers (idle drops, the
# link watch); each connection has a task of its own that reads and awaits its handler,
# so a slow coroutine handler holds up only its own connection. Its own module, shipped
# by package-aio.json only: a blocking program never loads asyncio for it.
import asyncio

from ._aiowait import _awaitable, _ready, send_whole, wait_ms
from ._common import drain, send_size
from ._compat import const
from .failure import CLOSED, SEND, Failure
from .serving import Connection, Serving

_ENOTCONN = const(107)
_STEP_MS = const(1000)  # the longest wait before the timers are looked at again


class AsyncConnection(Connection):
    """A :class:`~wiznet_net.serving.Connection` of an :class:`AsyncTCPServer`: the same,
    but ``send()`` must be awaited."""

    def __init__(self, server, sock, peer, buf):
        super().__init__(server, sock, peer, buf)
        self._send_lock = asyncio.Lock()  # each send()'s bytes go out contiguous
        self._room = None  # what a send waiting for room parks on, made when first needed
        self._task = None
        self._running = False  # the task has started (a task cancelled before it ran
        # would never reach its finally, and its slot would stay taken)
        self._first = None  # on_connect's coroutine: the task awaits it before reading

    async def send(self, data, n=None):
        """Send every byte of ``data`` (or its first ``n``), waiting for room without
        blocking other tasks; failures as for the blocking server. Sends from several
        tasks go out one after the other, each whole."""
        total = send_size(data, n)
        s = self._sock
        if s is None:
            raise Failure(CLOSED, SEND, _ENOTCONN, self._where)
        await send_whole(self, s, data, total, self.server.send_timeout_ms)


class AsyncTCPServer(Serving):
    """:class:`~wiznet_net.TCPServer` for asyncio: ``await server.run()`` (or
    ``asyncio.create_task(server.run())``), ``await conn.send(data)``, ``server.stop()``.

    Same arguments, handler methods, budget, ``stats`` and failures; each handler method
    may be a plain function or a coroutine. Each connection is served by a task of its
    own with a receive buffer of its own (``rxbuf`` bytes, ``max_clients`` of them,
    allocated once). An exception raised by a handler closes that connection and ends
    :meth:`run` with it, everything closed. Cancelling the task that runs :meth:`run`
    closes every socket; after Ctrl-C call :meth:`stop`. Needs lwIP sockets (every rp2
    WIZnet firmware) and MicroPython's asyncio.
    """

    _Connection = AsyncConnection

    def __init__(self, port, handler, *args, **options):
        super().__init__(port, handler, *args, **options)
        if not hasattr(asyncio, "wait_for_ms"):
            raise RuntimeError(
                "AsyncTCPServer needs MicroPython's asyncio, not this Python's: run it on MicroPython, or use TCPServer"
            )
        self._bufs = [bytearray(self.rxbuf) for _ in range(self.max_clients)]
        self._task = None
        self._error = None  # a handler's exception in a connection's task, for run() to raise
        self._woken = False  # stop() cancelled run()'s wait (to end it, or to listen anew)
        self._listen()

    # -- the tasks ----------------------------------------------------------------------

    async def run(self):
        """Listen and serve until :meth:`stop`. A handler's exception ends it (raised
        here) after every socket was closed."""
        self.start()
        self._task = asyncio.current_task()
        self._error = None
        self._woken = False
        try:
            while not self.stopped:
                try:
                    wait = self._timers(_STEP_MS)
                    if self.stopped:
                        break
                    if self._paused or self._listener is None:  # resting after a failed accept
                        await asyncio.sleep_ms(wait)
                        continue
                    if await wait_ms(_ready(self._listener), wait):  # or the timers' due time
                        self._accept_ready()
                except asyncio.CancelledError:
                    # stop() (to end run(), or with start() after it, to serve on) or a
                    # cancel from outside; one delivery may stand for both
                    woken = self._woken
                    self._woken = False
                    if self._error is not None or not woken:
                        raise
        except asyncio.CancelledError:
            if self._error is None and not self.stopped:  # cancelled from outside
                raise
        finally:
            self._task = None
            if not self.stopped:  # cancelled, or a handler's exception: nothing stays open
                self._stop_quietly()
        error = self._error
        if error is not None:
            self._error = None
            raise error

    async def _serve(self, conn):
        conn._running = True
        try:
            first = conn._first
            if first is not None:
                conn._first = None
                if not conn.connected:  # closed before this task ran: on_connect's
                    first.close()  # coroutine must not run after its on_disconnect
                else:
                    await self._await(conn, first)
            while conn._sock is not None:  # closing it (a drop, stop()) ends the task
                s = conn._sock
                await _ready(s)  # no timer here: the listening task times connections out
                if conn._sock is not s:
                    break
                # One read, and a coroutine handler is awaited before the next: the
                # framers still cut messages out of this buffer while theirs run.
                result = drain(conn, 1)
                if _awaitable(result):
                    await self._await(conn, result)
        except asyncio.CancelledError:  # dropped (idle, stop) while it waited
            pass
        except Exception as e:  # a handler's: run() raises it (Ctrl-C goes straight out)
            self._failed(e)
        finally:
            conn._task = None
            if conn.connected:  # (never expected: a task ends with its socket)
                self._shut(conn, None)
            Serving._free(self, conn)  # now the slot and its buffer are free

    async def _await(self, conn, coro):
        try:
            await coro
        except BaseException as e:
            self._handler_raised(conn, e)

    async def _finish(self, conn, coro):
        # an on_disconnect coroutine, in a task of its own
        try:
            await coro
        except asyncio.CancelledError:
            pass
        except Exception as e:
            self._failed(e)

    def _failed(self, e):
        if self._error is None:
            self._error = e
        self._cancel(self._task)

    def _cancel(self, task):
        """Cancel task unless it is the one running; whether it was cancelled."""
        if task is None:
            return False
        try:
            current = asyncio.current_task()
        except RuntimeError:  # no loop running (e.g. stop() after Ctrl-C)
            current = None
        if task is current:
            return False
        task.cancel()
        return True

    def stop(self):
        """Close every connection and the listener and end :meth:`run` (unless
        :meth:`start` follows: then run() serves on); callable from a handler, from any
        other task, or after Ctrl-C."""
        if self._cancel(self._task):
            self._woken = True
        try:
            Serving.stop(self)
        finally:
            # Every socket is closed: the slots are free now, not when the cancelled tasks
            # next run - after Ctrl-C the event loop may never run them again.
            for c in self._slots:
                if c is not None:
                    Serving._free(self, c)

    # -- what the transport does for serving.py ---------------------------------------------

    def _buffer(self, slot):
        return self._bufs[slot]  # a coroutine handler may hold its buffer across awaits

    def _watch(self, s):
        pass  # the listening task waits on it through asyncio's I/O queue

    def _unwatch(self, s):
        pass

    def _adopt(self, conn):
        conn._task = asyncio.create_task(self._serve(conn))

    def _close(self, conn, s):
        if conn._running:
            self._cancel(conn._task)  # first off asyncio's poller, then closed under it
        try:
            s.close()
        except OSError:
            pass

    def _free(self, conn):
        if conn._task is None:  # the task is over (or never made): free the slot now
            Serving._free(self, conn)
        # else the task frees it when it ends: its handler may still hold the buffer

    def _call(self, fn, conn, *args):
        result = Serving._call(self, fn, conn, *args)
        if _awaitable(result):
            if fn is self._on_connect:
                conn._first = result  # the connection's task awaits it before it reads
            else:
                try:
                    asyncio.current_task()
                except RuntimeError:  # no loop (stop() after Ctrl-C): it cannot run
                    result.close()
                    return None
                asyncio.create_task(self._finish(conn, result))
        return None
