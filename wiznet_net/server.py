# A TCP server on the board: the loop WIZnet's loopback example writes by hand (listen,
# accept, recv, echo) with the client's guarantees - a bounded poll(), a socket budget a
# connection storm cannot exceed, idle and send timeouts so that no peer holds a slot or
# the loop hostage, and no socket left open on any path. The decisions live in
# serving.py (shared with the asyncio server); this module is the blocking I/O: one
# poller for the listener and every connection.
import select

from ._common import cut_short, drain, push
from ._compat import call_cold, const, ticks_add, ticks_diff
from .failure import SEND, TIMEOUT, Failure
from .serving import Serving, poller

_ETIMEDOUT = const(110)
_RUN_STEP_MS = const(1000)  # run() wakes at least this often
_DRAIN = const(4)  # reads in a row from one connection while each fills the buffer


class TCPServer(Serving):
    """A TCP server that serves up to ``max_clients`` connections on ``port``.

    ``handler`` is one object for every connection; its methods receive the
    connection (a :class:`~wiznet_net.serving.Connection`), each optional:

    - ``on_connect(conn)``: a client connected (``conn.peer`` is its address and port).
    - ``on_data(conn, data)``: bytes arrived (``bytes``).
    - ``on_data_into(conn, buf, n)``: instead of ``on_data``: the first ``n`` bytes of the
      server's own receive buffer ``buf``, valid only during the call.
    - ``on_disconnect(conn, failure)``: that connection ended; ``failure`` is a
      :class:`~wiznet_net.Failure`, or None for a clean close by the peer, ``conn.close()``
      or :meth:`stop`. Every ``on_connect`` is followed by exactly one ``on_disconnect``.

    Options: ``bind`` (the address to listen on), ``max_clients`` (4: lwIP's 5 TCP slots
    less one for an outgoing connection; a connection past it is accepted and closed at
    once and counted in ``stats["rejected"]``), ``idle_timeout_ms`` (30000: drops a
    connection on which nothing was received or sent that long; None: off), ``send_timeout_ms`` (2000: how long
    a ``conn.send()`` waits for a peer that does not read, before that connection is
    dropped), ``nic`` (watch its link: a pulled cable ends every connection), ``backlog``
    (connections the stack holds until accepted), ``rxbuf`` (the receive buffer's size,
    one for every connection), ``clock`` (tests).

    An exception raised by a handler closes that connection (its ``on_disconnect`` gets a
    failure of phase ``"handler"`` whose ``cause`` is the exception) and propagates out of
    :meth:`poll`; the listener and the other connections go on. Out of :meth:`run` it
    propagates after everything was closed.

    ``stats``: ``connects``, ``rejected``, ``accept_failures``, ``disconnects``,
    ``bytes_in``, ``bytes_out``, ``last_failure``. ``clients``: connections open now.
    """

    def __init__(self, port, handler, *args, **options):
        super().__init__(port, handler, *args, **options)
        self._poller = poller()
        self._wait = self._poller.ipoll  # (allocates nothing)
        self._room = poller()  # a send waiting for room watches its socket alone here
        self._buf = bytearray(self.rxbuf)
        # What one poll() found ready, copied out of the poller before anything is done
        # about it: handlers close and accept sockets, and the poller must not change under
        # its own iteration. At most the listener and max_clients connections.
        self._ready = [None] * (self.max_clients + 1)
        self._listen()

    # -- the loop -----------------------------------------------------------------------

    def run(self):
        """Listen and serve until :meth:`stop` (which a handler may call). Whatever ends
        it - stop(), Ctrl-C, a handler's exception - no socket is left open: on an
        exception every connection is closed (``on_disconnect(conn, None)``) and the
        listener too, then the exception propagates."""
        self.start()
        poll = self.poll  # one lookup, not one per step
        try:
            while not self.stopped:
                poll(_RUN_STEP_MS)
        except BaseException:
            self._stop_quietly()
            raise

    def poll(self, timeout_ms=0):
        """Do one step of work - accept, read, time out - waiting at most ``timeout_ms``
        (negative or None: until there is something to do). A handler's ``send()`` may add
        up to ``send_timeout_ms`` on top. Returns the number of open connections."""
        if timeout_ms is None:  # also MicroPython's poll's "for ever"
            timeout_ms = -1
        if self.stopped:
            return 0
        wait = self._timers(timeout_ms)
        ready = self._ready
        k = 0
        for entry in self._wait(wait):
            if k < len(ready):
                ready[k] = entry[0]
                k += 1
        listener = self._listener
        listening = False
        for i in range(k):
            obj = ready[i]
            ready[i] = None
            if self.stopped or obj is None:  # (None: a handler polled from inside poll())
                continue
            if obj is listener:
                listening = True
                continue
            for c in self._slots:
                if c is not None and c.connected and c._sock is obj:
                    result = drain(c, _DRAIN)
                    if result is not None:
                        self._returned(c, self._on_data_into or self._on_data, result)
                    break
        if listening and not self.stopped:
            self._accept_ready()
        return self.clients

    # -- sending --------------------------------------------------------------------------

    def _send_rest(self, conn, data, sent, total):
        # The socket took part of it: wait for room, up to send_timeout_ms in all. The wait
        # watches this one socket: other connections' data does not wake it.
        s = conn._sock
        clock = self._clock
        deadline = ticks_add(clock.ticks_ms(), self.send_timeout_ms)
        room = self._room
        room.register(s, select.POLLOUT)
        try:
            while sent < total:
                left = ticks_diff(deadline, clock.ticks_ms())
                if left <= 0:
                    raise conn._raise(self._drop(conn, Failure(TIMEOUT, SEND, _ETIMEDOUT, conn._where)))
                for _ in room.ipoll(left):
                    break
                sent = push(conn, data, sent, total)  # (progress is life: push() notes it)
        except BaseException:  # a failure has dropped s already; Ctrl-C has not
            if sent and conn._sock is s:
                cut_short(conn)
            raise
        finally:
            try:
                room.unregister(s)
            except (OSError, KeyError, ValueError):
                pass

    # -- what the transport does for serving.py ---------------------------------------------

    def _buffer(self, slot):
        return self._buf  # one for all: handlers run one at a time, each read is theirs only

    def _watch(self, s):
        self._poller.register(s, select.POLLIN)

    def _unwatch(self, s):
        try:
            self._poller.unregister(s)
        except (OSError, KeyError, ValueError):
            pass

    def _adopt(self, conn):
        self._watch(conn._sock)

    def _close(self, conn, s):
        self._unwatch(s)
        try:
            s.close()
        except OSError:
            pass

    def _call(self, fn, conn, *args):
        result = Serving._call(self, fn, conn, *args)
        if result is not None:
            self._returned(conn, fn, result)
        return result

    def _returned(self, conn, fn, result):
        # A plain method returns None (or a value nobody reads). A coroutine would never
        # run here: an async def handler needs the asyncio server.
        if hasattr(result, "send"):
            result.close()  # never to run
            self._handler_raised(conn, TypeError(call_cold("_hints", "coroutine_handler", fn, True)))
