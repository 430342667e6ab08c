# The tutorial's connect / recv / echo / retry loop as a state machine that never blocks
# longer than asked and never leaks a socket. The decisions live in session.py (shared
# with the asyncio client); this module is the blocking I/O: one socket, one poller.
# Transport and protocol are apart, as in Twisted: the handler only sees its callbacks.
import select
import socket

from ._common import _BYTES, send_size
from ._compat import call_cold, const, stream_reader, stream_writer, ticks_add, ticks_diff
from .failure import CONNECT, DNS, SEND, TIMEOUT, TLS, Failure, classify
from .session import CHIP_STACK_IDLE_MS, Session

_ETIMEDOUT = const(110)
_RUN_STEP_MS = const(1000)  # run() wakes at least this often to check its timers
_DRAIN = const(4)  # reads in a row while each one fills the buffer


# The message path calls these as plain functions: `self._push` would first miss in the
# instance's attribute table, and MicroPython grows that table only when it is full, so
# with a client's four dozen attributes a miss probes nearly every slot.
_drain = Session._drain
_push = Session._push


def wrap_tls(ctx, sock, server_hostname):
    """Wrap a connected socket in TLS. ``ctx`` is an SSLContext, or True for an
    encrypted but *unauthenticated* connection (no certificate check)."""
    if ctx is True:
        import ssl

        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        try:
            ctx.check_hostname = False  # CPython insists before CERT_NONE
        except AttributeError:
            pass
        ctx.verify_mode = ssl.CERT_NONE
    return ctx.wrap_socket(sock, server_hostname=server_hostname)


class ReconnectingTCPClient(Session):
    """A TCP client that stays connected to ``host:port``.

    ``handler`` is any object; each of these methods is optional:

    - ``on_connecting(client)``: an attempt starts now.
    - ``on_connect(client)``: connected.
    - ``on_data(client, data)``: bytes arrived (``bytes``; with ``copy=False`` a
      ``memoryview`` into the receive buffer, valid only during the call).
    - ``on_data_into(client, buf, n)``: instead of ``on_data``: the first ``n`` bytes of
      the client's own receive buffer ``buf``, valid only during the call. Keeps
      nothing per message.
    - ``on_disconnect(client, failure)``: a connection ended; ``failure`` is a
      :class:`~wiznet_net.Failure`, or None for a clean close by the peer or stop().
    - ``on_connect_failed(client, failure, retry_in_ms)``: an attempt failed; the next one
      follows in ``retry_in_ms`` (None when none is scheduled: no link, or attempts used up).
    - ``on_heartbeat(client)``: nothing was sent for ``heartbeat_ms``; send a keepalive
      your protocol understands.

    Options: ``backoff`` (a :class:`~wiznet_net.Backoff`), ``connect_timeout_ms`` (5000),
    ``idle_timeout_ms`` (None: off; drops a connection that received nothing that long),
    ``heartbeat_ms`` (None: off), ``send_timeout_ms`` (default: connect_timeout_ms),
    ``nic`` (watch its link), ``max_attempts`` (None: forever), ``rxbuf`` (receive buffer
    size, or a bytearray), ``copy`` (True), ``outbox`` (an :class:`~wiznet_net.outbox.Outbox`
    for data sent while disconnected; without one such a send raises ENOTCONN), ``tls``
    (True or an SSLContext) with ``server_hostname`` (default: host), ``clock`` (tests).

    An exception raised by a handler closes the socket and propagates out of
    :meth:`poll` / :meth:`run`; the next attempt waits one backoff step.

    Attributes to read: ``connected`` (bool); ``socket`` (the connected socket or None,
    for socket options the library does not set - reading from, writing to or closing
    it is the client's job); ``stopped`` (True after :meth:`stop`, so ``on_disconnect``
    can tell a stop from a close); ``stats`` (a dict: connects, connect_failures,
    disconnects, bytes_in, bytes_out, last_failure, dropped, dropped_bytes).
    """

    def __init__(self, host, port, handler, *args, **options):
        super().__init__(host, port, handler, *args, **options)
        call_cold("_checks", "host_name_args", "host", host, socket)  # names on the chip stack
        self._poller = select.poll()
        self._wait = getattr(self._poller, "ipoll", self._poller.poll)  # ipoll allocates nothing
        self._readinto = self._write = None
        self._nonblocking = True
        self._warned = False  # the tls=True warning, printed once
        # Handlers call client.send() for every message: found among the instance's own
        # attributes, not after a miss there (see the note above wrap_tls).
        self.send = self.send

    # -- the loop -------------------------------------------------------------------

    def run(self):
        """Connect and serve until :meth:`stop` (which a handler may call).

        With ``max_attempts`` set, raises the last :class:`~wiznet_net.Failure` once that
        many attempts in a row have failed; so does a failure that waiting cannot heal
        (a TLS certificate error). A later ``run()`` starts again.
        """
        self.start()
        poll = self.poll  # one lookup, not one per step (see the note above wrap_tls)
        try:
            while not self.stopped:
                poll(_RUN_STEP_MS)
        except BaseException:
            # Ctrl-C (or SystemExit) while connected: stop as stop() does, so no socket is
            # left open. (A handler's exception has closed the socket already.)
            if self._sock is not None:
                self.stopped = True
                self._close()
                try:
                    self._call(self._on_disconnect, None)
                except Exception:  # what propagates is the interrupt
                    pass
            raise

    def poll(self, timeout_ms=0):
        """Do one step of work, waiting at most ``timeout_ms`` (a connect attempt may take
        up to ``connect_timeout_ms`` on top; a negative ``timeout_ms`` waits until there
        is something to do). Returns whether the client is connected."""
        if timeout_ms is None:  # also MicroPython's poll's "for ever"
            timeout_ms = -1
        if self._sock is not None:  # the hot path first: connected, data flowing
            wait = timeout_ms  # negative: the poller waits for data, however long
            if self._timed:
                wait = self._timers(timeout_ms)
                if wait < 0:  # the timers ended the connection
                    return False
            for _ in self._wait(wait):
                result = _drain(self, _DRAIN if self._nonblocking else 1)
                if result is not None:
                    self._returned(self._on_data_into or self._on_data, result)
                break
            return self._sock is not None
        if self.stopped:
            return False
        wait = self._link_wait() or self._due_in()
        if wait > 0:
            if 0 <= timeout_ms < wait:
                self._clock.sleep_ms(timeout_ms)
                return False
            self._clock.sleep_ms(wait)
            if self.nic is not None and self._link_down:
                return False
        self._attempt()
        return self._sock is not None

    # -- sending --------------------------------------------------------------------

    def send(self, data, n=None):
        """Send every byte of ``data`` (or its first ``n`` bytes: then a reused buffer
        goes out without a slice, and nothing is allocated).

        Not connected: queued in the ``outbox`` if there is one, else a
        :class:`~wiznet_net.Failure` (an OSError) with errno ENOTCONN is raised. If the
        connection fails meanwhile, it is dropped, a reconnect scheduled and the failure
        raised. A str, an array of items wider than a byte, or an ``n`` outside
        0..len(data), raises TypeError or ValueError before any byte moves."""
        if n is None and isinstance(data, _BYTES):  # the common case, checked inline
            n = len(data)
        else:
            n = send_size(data, n)
        if self._sock is None:
            self._not_connected(data, n)
            return
        sent = _push(self, data, 0, n)
        if sent < n:
            self._send_rest(data, sent, n)

    def _send_rest(self, data, sent, total):
        # The socket took part of it: wait for room, up to send_timeout_ms in all.
        s = self._sock
        deadline = ticks_add(self._clock.ticks_ms(), self.send_timeout_ms)
        try:
            while sent < total:
                self._wait_writable(s, deadline)
                was = sent
                sent = _push(self, data, sent, total)
                if sent > was:
                    self._heard()  # the peer made room: alive, whatever the idle timeout says
        except BaseException:  # a failure has dropped s already; Ctrl-C has not
            if self._sock is s:
                if sent:
                    self._cut_short()
                else:  # the stream is whole: watch for data again, not for room
                    self._poller.modify(s, select.POLLIN)
            raise

    def _wait_writable(self, s, deadline):
        left = ticks_diff(deadline, self._clock.ticks_ms())
        if left > 0:
            self._poller.modify(s, select.POLLOUT)
            for _ in self._wait(left):
                break
            self._poller.modify(s, select.POLLIN)
            if ticks_diff(deadline, self._clock.ticks_ms()) > 0:
                return
        raise self._raise(self._drop(Failure(TIMEOUT, SEND, _ETIMEDOUT, self._where)))

    def _data_waiting(self):
        for _ in self._wait(0):  # readable, or hung up: either way the read decides
            return True
        return False

    def _flush_outbox(self):
        outbox = self.outbox
        s = self._sock
        while outbox and self._sock is s:
            first, rest = self._queued()
            n = len(first) + (len(rest) if rest else 0)
            out = self.stats["bytes_out"]
            try:
                self.send(first)
                if rest:
                    self.send(rest)
            except Failure:
                self._flush_failed(n)
            except BaseException:  # Ctrl-C between the two parts: the first went out
                if self._sock is s and self.stats["bytes_out"] != out:
                    self._cut_short()
                raise

    # -- connecting -----------------------------------------------------------------

    def _attempt(self):
        self._call(self._on_connecting)
        if self.stopped:  # the handler called stop(): no attempt, no socket
            return
        phase = DNS
        s = None
        try:
            ai = self._resolve()
            phase = CONNECT
            s = socket.socket(ai[0], socket.SOCK_STREAM)
            self._open(s, ai[-1])
            if self.tls:
                phase = TLS
                s = wrap_tls(self.tls, s, self.server_hostname)
                if self.tls is True and not self._warned:
                    self._warned = True
                    print(call_cold("_hints", "unauthenticated", self._where))
            self._nonblock(s)
            # Inside the try: the poller may grow its table here, and a MemoryError must
            # not leave the socket open.
            self._poller.register(s, select.POLLIN)
        except Exception as e:
            if s is not None:
                s.close()
            self._attempt_failed(classify(e, phase, self._where))
            return
        except BaseException:  # KeyboardInterrupt and friends: still no leaked socket
            if s is not None:
                s.close()
            raise
        self._connected(s)
        if self.outbox and self._sock is not None:
            self._flush_outbox()

    def _open(self, s, addr):
        timeout = self.connect_timeout_ms
        if timeout is not None:
            try:
                s.settimeout(timeout / 1000)
            except OSError:  # WIZnet chip-stack driver: no timeouts, the chip has its own
                pass
        s.connect(addr)

    def _nonblock(self, s):
        self._part = self._view  # (_recv_into may have left recv()'s bytes there)
        self._write = stream_writer(s)
        self._idle_ms = self.idle_timeout_ms
        try:
            s.setblocking(False)
        except OSError:
            # Chip-stack driver (settimeout is EINVAL): reads wait on poll(), then recv();
            # writes block until the chip takes them. Its poll never reports a close or a
            # reset, so without a heartbeat the idle timeout is what notices a dead peer.
            self._nonblocking = False
            self._readinto = self._recv_into
            if self._idle_ms is None and self.heartbeat_ms is None:
                self._idle_ms = CHIP_STACK_IDLE_MS
            return
        self._nonblocking = True
        self._readinto = stream_reader(s)

    # -- connected ------------------------------------------------------------------

    def _recv_into(self, buf):
        # Chip-stack driver: poll() said readable, recv() returns what is there (one read
        # per wake-up: another would block). The bytes it made go to on_data as they are.
        data = self._sock.recv(len(buf))
        n = len(data)
        if self._on_data_into is not None:
            self._view[:n] = data
        else:
            self._part = data  # _drain() hands it on without another copy
        return n

    # -- handlers -------------------------------------------------------------------

    def _call(self, fn, *args):
        result = Session._call(self, fn, *args)
        if result is not None:
            self._returned(fn, result)
        return result

    def _returned(self, fn, result):
        # A plain method returns None (or a value nobody reads). A coroutine would never
        # run here: an async def handler needs the asyncio client.
        if hasattr(result, "send"):
            self._handler_raised(TypeError(call_cold("_hints", "coroutine_handler", fn)))

    def _close(self):
        try:
            self._poller.unregister(self._sock)
        except (OSError, KeyError, ValueError):
            pass
        Session._close(self)
