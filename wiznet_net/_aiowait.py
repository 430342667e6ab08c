# Waiting on MicroPython's asyncio I/O queue, for the asyncio client (aio.py) and the
# asyncio server (aioserver.py), and the send both make with it: a module of its own, so
# that neither loads the other.
# Shipped by package-aio.json only, with them.
import asyncio
import io
import select

from ._common import cut_short, push
from ._compat import const, ticks_add, ticks_diff
from .failure import CLOSED, SEND, TIMEOUT, Failure

_STREAM_POLL = const(3)  # MP_STREAM_POLL
_STREAM_GET_FILENO = const(10)  # MP_STREAM_GET_FILENO
_ENOTCONN = const(107)
_ETIMEDOUT = const(110)


def _ready(sock, write=False):
    # Park the running task until sock is readable (or writable) - the way asyncio's own
    # Stream waits: the task is woken by the event loop's poller, and a cancel removes it.
    queue = asyncio.core._io_queue
    yield queue.queue_write(sock) if write else queue.queue_read(sock)


class _Room(io.IOBase):
    """What a send() waiting for buffer room parks on, instead of the socket itself.

    asyncio's I/O queue keeps one entry per stream for both directions and drops the whole
    entry when one of its waiting tasks is cancelled (IOQueue.remove, extmod/asyncio/
    core.py). The read wait is timed (wait_ms() cancels it), so a writer parked on the
    same socket would be dropped with it and never woken again. This object has an entry
    of its own and answers for the socket's room to write."""

    def __init__(self):
        self._poller = select.poll()
        self._sock = None
        self._fd = -1

    def watch(self, sock):
        self._sock = sock
        self._poller.register(sock, select.POLLOUT)
        fileno = getattr(sock, "fileno", None)  # the unix port's sockets have one
        self._fd = fileno() if fileno is not None else -1

    def done(self):
        try:
            self._poller.unregister(self._sock)
        except (OSError, KeyError, ValueError):
            pass
        self._sock = None
        self._fd = -1

    def ioctl(self, request, arg):
        if request == _STREAM_GET_FILENO:
            return self._fd  # the unix port's poll then watches the descriptor itself
        if request == _STREAM_POLL:  # a board's poll asks here: writable, hung up, closed
            for _, ev in self._poller.ipoll(0):
                return ev
            return 0
        return -1  # MP_STREAM_ERROR


class _Alarm:
    # Cancels `task` after ms unless cancelled first; `rang` tells its cancel apart.
    def __init__(self, task):
        self.task = task
        self.rang = False

    async def ring(self, ms):
        await asyncio.sleep_ms(ms)
        self.rang = True
        self.task.cancel()


async def wait_ms(aw, ms):
    """Await ``aw`` (a wait in the I/O queue) for at most ``ms``: True when it completed,
    False when the time ran out; a cancel from elsewhere (stop()) is raised.

    Not ``asyncio.wait_for_ms()``: when the task waiting in it is cancelled, its runner
    task stays behind and cancels that task once more the next time it sleeps
    (extmod/asyncio/funcs.py, ``_run``) - after ``await client.run()`` has returned to
    the caller, in the caller's own code. Here nothing outlives the wait. (A cancel from
    outside in the very pass the alarm rings is taken for the alarm: the callers check
    ``stopped`` after every wait.)"""
    alarm = _Alarm(asyncio.current_task())
    ringer = asyncio.create_task(alarm.ring(ms))
    try:
        await aw
        return True
    except asyncio.CancelledError:
        if alarm.rang:
            return False
        raise
    finally:
        ringer.cancel()  # (one that has rung: nothing)


async def send_whole(conn, s, data, total, timeout_ms):
    """The asyncio send() of a client (aio.py) or a server's connection (aioserver.py),
    after its checks: data[:total] on ``s``, each send's bytes contiguous even when
    several tasks send at once (``conn._send_lock``)."""
    lock = conn._send_lock
    sent = 0
    if not lock.locked():  # nobody is half-way through a message: write at once
        sent = push(conn, data, 0, total)
        if sent == total:
            return
    await lock.acquire()
    try:
        await send_rest(conn, s, data, sent, total, timeout_ms)
    finally:
        lock.release()


async def send_rest(conn, s, data, sent, total, timeout_ms):
    """Write data[sent:total] on ``s``, waiting for room up to ``timeout_ms`` in all,
    parked on ``conn._room`` (made when first needed; see _Room). Every failure ends only
    the connection the send belongs to (``s``), never a newer one."""
    clock = conn._clock
    deadline = ticks_add(clock.ticks_ms(), timeout_ms)
    room = conn._room
    if room is None:
        room = conn._room = _Room()
    room.watch(s)
    waited = False
    try:
        while True:
            if conn._sock is not s:  # that connection ended while we waited
                raise conn._raise(Failure(CLOSED, SEND, _ENOTCONN, conn._where))
            was = sent
            sent = push(conn, data, sent, total)
            if waited and sent > was:
                conn._heard_at = clock.ticks_ms()  # the peer made room: alive, whatever the idle timer says
            if sent == total:
                return
            left = ticks_diff(deadline, clock.ticks_ms())
            if left <= 0:
                raise conn._raise(conn._drop(Failure(TIMEOUT, SEND, _ETIMEDOUT, conn._where)))
            await wait_ms(_ready(room, True), left)  # (the deadline is checked above)
            waited = True
    except BaseException:  # a failure has dropped s already; a cancel has not
        if sent and conn._sock is s:
            cut_short(conn)
        raise
    finally:
        room.done()


def _awaitable(result):
    return result is not None and hasattr(result, "send")
