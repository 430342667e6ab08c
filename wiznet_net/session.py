# Everything a reconnecting client decides without doing I/O: when to try again, when a
# connection counts as healthy or idle, what a failure was, what the handler hears, what
# happens to data sent while disconnected. The blocking client (client.py) and the
# asyncio client (aio.py) are this plus their own sockets and waits.
import socket

from ._common import LINK_POLL_MS, _since, call, cut_short, drain, push
from ._compat import call_cold, clock as _clock, const, ticks_add, ticks_diff
from .backoff import Backoff
from .failure import CLOSED, LINK, NO_LINK, RECV, SEND, TIMEOUT, Failure

_ENOTCONN = const(107)
_ETIMEDOUT = const(110)
# On chip-stack firmware (WIZNET5K without lwIP) the driver's poll never reports a peer's
# close or reset (network_wiznet5k.c wiznet5k_socket_ioctl: readable only with data
# waiting), so a connection with neither idle timeout nor heartbeat gets this idle timeout.
CHIP_STACK_IDLE_MS = const(60000)
_LONG_AGO = const(1 << 29)  # "no bound" for _timers (see _common._since)


class Session:
    """The part of a reconnecting TCP client that is the same for every transport.
    See :class:`~wiznet_net.ReconnectingTCPClient` for the arguments."""

    def __init__(
        self,
        host,
        port,
        handler,
        backoff=None,
        connect_timeout_ms=5000,
        idle_timeout_ms=None,
        nic=None,
        max_attempts=None,
        send_timeout_ms=None,
        rxbuf=1024,
        copy=True,
        heartbeat_ms=None,
        outbox=None,
        tls=None,
        server_hostname=None,
        clock=None,
    ):
        if send_timeout_ms is None:
            send_timeout_ms = connect_timeout_ms or 5000
        hooks = call_cold(
            "_checks",
            "client_args",
            host,
            port,
            handler,
            backoff,
            (
                ("connect_timeout_ms", connect_timeout_ms),
                ("idle_timeout_ms", idle_timeout_ms),
                ("send_timeout_ms", send_timeout_ms),
                ("heartbeat_ms", heartbeat_ms),
            ),
            max_attempts,
            nic,
            rxbuf,
            outbox,
            tls,
        )
        (  # in the order of _checks.HOOKS
            self._on_connecting,
            self._on_connect,
            self._on_data,
            self._on_data_into,
            self._on_disconnect,
            self._on_connect_failed,
            self._on_heartbeat,
        ) = hooks
        self.host = host
        self.port = port
        self.handler = handler
        self.backoff = backoff or Backoff()
        self.connect_timeout_ms = connect_timeout_ms
        self.idle_timeout_ms = idle_timeout_ms
        self._idle_ms = idle_timeout_ms  # in force on this connection (see CHIP_STACK_IDLE_MS)
        self.heartbeat_ms = heartbeat_ms
        self._tx_timed = heartbeat_ms is not None  # push() notes each send (the heartbeat's clock)
        self.send_timeout_ms = send_timeout_ms
        self.max_attempts = max_attempts
        self.nic = nic
        self.outbox = outbox
        self.tls = tls
        self.server_hostname = server_hostname or host
        self._where = "%s:%d" % (host, port)
        # Allocated once for the life of the client: the receive buffer, a view of it, and
        # the view of its first n bytes for the last n seen (messages repeat their sizes).
        self._buf = bytearray(rxbuf) if isinstance(rxbuf, int) else rxbuf
        self._view = memoryview(self._buf)
        self._part = self._view
        self._copy = copy
        self._clock = clock or _clock
        # Plain attributes, not properties: a class with a property makes MicroPython look
        # through the classes on every attribute store, the message path's included.
        self._sock = self.socket = None
        self.connected = False
        self.stopped = False
        self._link_down = False
        self._failures = 0  # consecutive failed attempts, for max_attempts
        self._next_at = self._clock.ticks_ms()
        self._delay = 0  # the wait scheduled at _next_at: a longer wait left means a wrap
        # _heard_at: the last sign of life from the peer (data, or a send it made room for)
        self._up_at = self._heard_at = self._last_tx = self._link_at = 0
        self._healthy = False  # backoff already reset for this connection
        self._got_data = False  # data arrived on this connection (see _timers)
        self._timed = True  # some timer runs while connected (see _timers)
        self._own = None  # a Failure this client raised from send(): not a handler bug
        self.stats = {
            "connects": 0,
            "connect_failures": 0,
            "disconnects": 0,
            "bytes_in": 0,
            "bytes_out": 0,
            "last_failure": None,
            "dropped": 0,  # messages the outbox could not keep
            "dropped_bytes": 0,
        }

    def start(self):
        """Undo :meth:`stop`: the client works again (``run()`` calls this)."""
        self.stopped = False

    def stop(self):
        """Close the connection (``on_disconnect(client, None)``) and stop."""
        self.stopped = True
        if self._sock is not None:
            self._close()
            self._call(self._on_disconnect, None)

    def disconnect(self, failure=None):
        """Drop the current connection now and reconnect after the backoff delay.
        ``failure`` (a :class:`Failure`, e.g. from a protocol check) is reported to
        ``on_disconnect`` and kept in ``stats["last_failure"]``."""
        return self._drop(failure)

    # -- decisions before an attempt -----------------------------------------------

    def _link_wait(self):
        """0 when the link is up (or not watched), else how long to wait before looking
        again. Reports a missing link once; its return costs no backoff step. With
        max_attempts, each attempt due meanwhile counts as failed."""
        nic = self.nic
        if nic is None or nic.isconnected():
            if self._link_down:
                self._link_down = False
                self._next_at = self._clock.ticks_ms()
                self._delay = 0
            return 0
        if self.max_attempts and self._due_in() <= 0:
            # Told how often to try, a client must not wait for the cable forever: an
            # attempt due while the link is down fails for that (raised once used up).
            # The link coming back is still tried at once (above).
            self._link_down = True
            self._attempt_failed(Failure(NO_LINK, LINK, None, self._where))
        elif not self._link_down:
            self._link_down = True
            failure = Failure(NO_LINK, LINK, None, self._where)
            self.stats["last_failure"] = failure
            self._call(self._on_connect_failed, failure, None)
        return LINK_POLL_MS

    def _resolve(self):
        """The first getaddrinfo() entry for host:port. Resolved on every attempt: a
        DHCP-assigned server may have moved."""
        ai = socket.getaddrinfo(self.host, self.port, 0, socket.SOCK_STREAM)
        if not ai:
            raise OSError("no address for " + self.host)
        return ai[0]

    def _due_in(self):
        left = ticks_diff(self._next_at, self._clock.ticks_ms())
        # More left than was scheduled: the clock wrapped past _next_at while nobody
        # polled (a week stopped): the attempt is overdue, not six days away.
        return 0 if left > self._delay else left

    def _attempt_failed(self, failure):
        stats = self.stats
        stats["connect_failures"] += 1
        stats["last_failure"] = failure
        self._failures += 1
        if not failure.retryable or (self.max_attempts and self._failures >= self.max_attempts):
            self.stopped = True
            self._failures = 0
            self._call(self._on_connect_failed, failure, None)
            raise failure
        delay = self._schedule()
        self._call(self._on_connect_failed, failure, delay)

    def _schedule(self):
        delay = self._delay = self.backoff.next_ms()
        self._next_at = ticks_add(self._clock.ticks_ms(), delay)
        return delay

    def _connected(self, sock):
        now = self._clock.ticks_ms()
        self._sock = self.socket = sock
        self.connected = True
        self._failures = 0
        self._up_at = self._heard_at = self._last_tx = self._link_at = now
        self._healthy = False
        self._got_data = False
        self._timed = True
        self._own = None
        self.stats["connects"] += 1
        self._call(self._on_connect)

    # -- decisions while connected -----------------------------------------------------

    def _timers(self, timeout_ms):
        """Run what is due (healthy mark, link watch, idle drop, heartbeat) and return how
        long the transport may wait for data: at most ``timeout_ms`` (negative: no bound
        of its own), or -1 if the connection ended."""
        now = self._clock.ticks_ms()
        if timeout_ms < 0:
            timeout_ms = _LONG_AGO
        if not self._healthy:
            age = _since(now, self._up_at)
            if age >= self.backoff.stable_ms or self._got_data and age >= self.backoff.initial_ms:
                self._mark_healthy()
        nic = self.nic
        if nic is not None:  # a pulled cable ends the connection within LINK_POLL_MS
            left = LINK_POLL_MS - _since(now, self._link_at)
            if left <= 0:
                self._link_at = now
                if not nic.isconnected():
                    self._drop(Failure(NO_LINK, LINK, None, self._where), False)
                    return -1
                left = LINK_POLL_MS
            if left < timeout_ms:
                timeout_ms = left
        idle = self._idle_ms
        if idle is not None:
            left = idle - _since(now, self._heard_at)
            if left <= 0:
                if self._data_waiting():  # unread data is life: read it before judging
                    return 0
                self._drop(Failure(TIMEOUT, RECV, _ETIMEDOUT, self._where))
                return -1
            if left < timeout_ms:
                timeout_ms = left
        beat = self.heartbeat_ms
        if beat is not None and self._on_heartbeat is not None:
            left = beat - _since(now, self._last_tx)
            if left <= 0:
                self._last_tx = now  # once per quiet period, even if the handler sends nothing
                self._call(self._on_heartbeat)
                if self._sock is None:
                    return -1
                left = beat
            if left < timeout_ms:
                timeout_ms = left
        return timeout_ms if timeout_ms > 0 else 0

    # -- the path every message takes: _common.py (shared with the servers' connections)

    _drain = drain
    _push = push

    def _mark_healthy(self):
        self._healthy = True
        # Once healthy, only the link watch, idle timeout and heartbeat need the clock.
        self._timed = self.nic is not None or self._idle_ms is not None or self.heartbeat_ms is not None
        self.backoff.reset()

    def _heard(self):
        # A send that waited for room and then made progress: the peer acknowledged
        # data, so it is alive, even if it sent nothing (the idle timeout's question).
        self._heard_at = self._clock.ticks_ms()

    def _data_waiting(self):
        """Whether the socket has something to read now (the transport answers)."""
        return False

    # -- sending while disconnected ------------------------------------------------------

    def _not_connected(self, data, n):
        """send() without a connection: queue data[:n] in the outbox if there is one,
        else raise. Raised to the caller, also inside a handler: no connection existed,
        so it is not a connection failure the client already handled."""
        outbox = self.outbox
        if outbox is None:
            raise Failure(CLOSED, SEND, _ENOTCONN, self._where)
        if n != len(data):
            data = memoryview(data)[:n]  # the outbox copies it: no slice copy first
        try:
            dropped, nbytes = outbox.put(data)
        except Failure:  # policy "raise": the message was refused, and counted
            self.stats["dropped"] += 1
            self.stats["dropped_bytes"] += len(data)
            raise
        self.stats["dropped"] += dropped
        self.stats["dropped_bytes"] += nbytes

    def _queued(self):
        """Take the oldest message out of the outbox; return it as one or two views of
        the outbox's ring (the second when it wraps, else None). Sent from there, not
        copied: right after an outage the heap may have no room for a copy. Nothing
        overwrites that part of the ring meanwhile: messages are queued only while
        disconnected, and a send that fails writes nothing after the drop."""
        outbox = self.outbox
        ring = memoryview(outbox._ring)
        at, n = outbox._take()  # at most once: a message cut by a failure is not resent
        end = at + n
        if end <= len(ring):
            return ring[at:end], None
        return ring[at:], ring[: end - len(ring)]

    def _flush_failed(self, n):
        # A queued message of n bytes cut by a failure while the outbox drains: not resent
        # (at most once), and counted like any other drop.
        self._own = None
        self.stats["dropped"] += 1
        self.stats["dropped_bytes"] += n

    def _raise(self, failure):
        self._own = failure
        return failure

    _cut_short = cut_short

    # -- ending a connection --------------------------------------------------------------

    def _drop(self, failure, backoff=True):
        """End the connection (if still open), schedule the next attempt, tell the
        handler. Returns ``failure``. Without ``backoff`` (the link went) the next attempt
        waits for the link instead, spending no backoff step."""
        if self._sock is not None:
            self._close()
            if failure is not None:
                self.stats["last_failure"] = failure
            if backoff:
                self._schedule()
            else:
                self._link_down = True  # reported here, not again by _link_wait()
                self._next_at = self._clock.ticks_ms()
                self._delay = 0
            self._call(self._on_disconnect, failure)
        return failure

    _call = call

    def _handler_raised(self, e):
        if e is self._own:  # our own send() failure, already handled: not a bug
            self._own = None
            return
        if self._sock is not None:  # close first, so a bug never leaks a socket
            self._close()
            self._schedule()
        raise e

    def _close(self):
        s = self._sock
        self._sock = self.socket = None
        self.connected = False
        self.stats["disconnects"] += 1
        try:
            s.close()
        except OSError:
            pass
