# The tutorial's connect/recv/echo/retry loop as a state machine that never blocks
# longer than asked, never leaks a socket, and says why each connection failed.
# Transport (this class) and protocol (the handler) are apart, as in Twisted: the
# handler only sees on_connect / on_data / on_disconnect / on_connect_failed.
import select
import socket

from ._compat import clock as _clock, const, ticks_add, ticks_diff
from .backoff import Backoff, check_int
from .failure import CLOSED, CONNECT, DNS, LINK, NO_LINK, RECV, SEND, TIMEOUT, Failure, classify

_ENOTCONN = const(107)
_ETIMEDOUT = const(110)
_RUN_STEP_MS = const(1000)  # run() wakes at least this often to check timers
_LINK_POLL_MS = const(250)  # how often a missing link is looked at again
_READY = select.POLLIN | select.POLLHUP | select.POLLERR

_HANDLER_METHODS = ("on_connecting", "on_connect", "on_data", "on_disconnect", "on_connect_failed")


class ReconnectingTCPClient:
    """A TCP client that stays connected to ``host:port``.

    ``handler`` is any object; each of these methods is optional:

    - ``on_connecting(client)``: an attempt starts now.
    - ``on_connect(client)``: connected.
    - ``on_data(client, data)``: bytes arrived (a ``memoryview`` into the receive buffer,
      valid only during the call, when ``copy=False``).
    - ``on_disconnect(client, failure)``: a connection ended; ``failure`` is a
      :class:`~wiznet_net.failure.Failure`, or None for a clean close by the peer or stop().
    - ``on_connect_failed(client, failure, retry_in_ms)``: an attempt failed; the next one
      follows in ``retry_in_ms`` (None when none is scheduled: no link, or attempts used up).

    An exception raised by a handler closes the socket and propagates out of
    :meth:`poll` / :meth:`run`; the next attempt waits one backoff step.
    """

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
        clock=None,
    ):
        if not isinstance(host, str):
            raise TypeError("host: expected a str (IP address or name), got %r" % (host,))
        if not host:
            raise ValueError("host: expected an IP address or name, got an empty string")
        if not isinstance(port, int) or isinstance(port, bool):
            raise TypeError("port: expected an int, got %r" % (port,))
        if not 0 < port < 65536:
            raise ValueError("port: expected 1-65535, got %d" % port)
        if handler is None:
            raise TypeError("handler: expected an object with on_data() and friends, got None")
        hooks = []
        for name in _HANDLER_METHODS:
            fn = getattr(handler, name, None)
            if fn is not None and not callable(fn):
                raise TypeError("handler.%s: expected a method, got %r" % (name, fn))
            hooks.append(fn)
        if backoff is None:
            backoff = Backoff()
        elif not isinstance(backoff, Backoff):
            raise TypeError("backoff: expected a Backoff, got %r" % (backoff,))
        if connect_timeout_ms is not None:
            check_int("connect_timeout_ms", connect_timeout_ms, 1)
        if idle_timeout_ms is not None:
            check_int("idle_timeout_ms", idle_timeout_ms, 1)
        if send_timeout_ms is None:
            send_timeout_ms = connect_timeout_ms or 5000
        check_int("send_timeout_ms", send_timeout_ms, 1)
        if max_attempts is not None:
            check_int("max_attempts", max_attempts, 1)
        if nic is not None and not callable(getattr(nic, "isconnected", None)):
            raise TypeError("nic: expected a network interface with isconnected(), got %r" % (nic,))
        if isinstance(rxbuf, int) and not isinstance(rxbuf, bool):
            check_int("rxbuf", rxbuf, 1)
            rxbuf = bytearray(rxbuf)
        elif not isinstance(rxbuf, bytearray) or not rxbuf:
            raise TypeError("rxbuf: expected a size in bytes or a non-empty bytearray, got %r" % (rxbuf,))

        self.host = host
        self.port = port
        self.handler = handler
        self.backoff = backoff
        self.connect_timeout_ms = connect_timeout_ms
        self.idle_timeout_ms = idle_timeout_ms
        self.send_timeout_ms = send_timeout_ms
        self.max_attempts = max_attempts
        self.nic = nic
        self._where = "%s:%d" % (host, port)
        (self._on_connecting, self._on_connect, self._on_data, self._on_disconnect, self._on_connect_failed) = hooks
        # Allocated once: the receive buffer, a view of it, and one poller for every connection.
        self._buf = rxbuf
        self._view = memoryview(rxbuf)
        self._copy = copy
        self._clock = clock or _clock
        self._poller = select.poll()
        self._wait = getattr(self._poller, "ipoll", self._poller.poll)  # ipoll: no allocation
        self._sock = None
        self._nonblocking = True
        self._stopped = False
        self._link_down = False
        self._failures = 0  # consecutive failed attempts, for max_attempts
        self._next_at = self._clock.ticks_ms()
        self._up_at = 0
        self._last_rx = 0
        self._healthy = False  # backoff already reset for this connection
        self._own = None  # a Failure this client raised from send(): not a handler bug
        self.stats = {
            "connects": 0,
            "connect_failures": 0,
            "disconnects": 0,
            "bytes_in": 0,
            "bytes_out": 0,
            "last_failure": None,
        }

    @property
    def connected(self):
        return self._sock is not None

    @property
    def stopped(self):
        """True after :meth:`stop` (so ``on_disconnect`` can tell a stop from a close)."""
        return self._stopped

    # -- the loop -------------------------------------------------------------------

    def run(self):
        """Connect and serve until :meth:`stop` (which a handler may call).

        With ``max_attempts`` set, raises the last :class:`Failure` once that many
        attempts in a row have failed. A later ``run()`` starts again.
        """
        self.start()
        while not self._stopped:
            self.poll(_RUN_STEP_MS)

    def start(self):
        """Undo :meth:`stop` (run() calls it): poll() works again."""
        self._stopped = False

    def poll(self, timeout_ms=0):
        """Do one step of work, waiting at most ``timeout_ms`` (a connect attempt may take
        up to ``connect_timeout_ms`` on top). Returns whether the client is connected."""
        if self._stopped:
            return False
        if self._sock is not None:
            self._serve(timeout_ms)
        elif self._link_ready(timeout_ms):
            wait = ticks_diff(self._next_at, self._clock.ticks_ms())
            if wait > 0:
                self._clock.sleep_ms(min(wait, timeout_ms))
                if wait > timeout_ms:
                    return False
            self._attempt()
        return self._sock is not None

    def stop(self):
        """Close the connection (``on_disconnect(client, None)``) and end :meth:`run`."""
        self._stopped = True
        if self._sock is not None:
            self._close()
            self._call(self._on_disconnect, None)

    # -- sending --------------------------------------------------------------------

    def send(self, data):
        """Send every byte of ``data``. Raises a :class:`Failure` (an OSError) if the
        client is not connected (``errno`` ENOTCONN) or the connection fails meanwhile;
        in the second case the connection is dropped and a reconnect scheduled."""
        s = self._sock
        if s is None:
            raise self._raise(Failure(CLOSED, SEND, _ENOTCONN, self._where))
        total = len(data)
        if not self._nonblocking:
            self._send_blocking(s, data)
            return
        view = None
        sent = 0
        deadline = 0
        while sent < total:
            try:
                # The first write goes out without a memoryview: no allocation.
                n = s.write(data if view is None else view[sent:])
            except OSError as e:
                raise self._raise(self._drop(classify(e, SEND, self._where)))
            if n:
                sent += n
                self.stats["bytes_out"] += n
            if sent < total:
                if view is None:
                    view = memoryview(data)
                    deadline = ticks_add(self._clock.ticks_ms(), self.send_timeout_ms)
                self._wait_writable(s, deadline)

    def _send_blocking(self, s, data):
        try:
            s.write(data)
        except OSError as e:
            raise self._raise(self._drop(classify(e, SEND, self._where)))
        self.stats["bytes_out"] += len(data)

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

    def _raise(self, failure):
        self._own = failure
        return failure

    # -- connecting -----------------------------------------------------------------

    def _link_ready(self, timeout_ms):
        nic = self.nic
        if nic is None or nic.isconnected():
            if self._link_down:  # the cable is back: try at once, no backoff step spent
                self._link_down = False
                self._next_at = self._clock.ticks_ms()
            return True
        if not self._link_down:
            self._link_down = True
            failure = Failure(NO_LINK, LINK, None, self._where)
            self.stats["last_failure"] = failure
            self._call(self._on_connect_failed, failure, None)
        self._clock.sleep_ms(min(timeout_ms, _LINK_POLL_MS))
        return False

    def _attempt(self):
        self._call(self._on_connecting)
        phase = DNS
        s = None
        try:
            # Resolved on every attempt: a DHCP-assigned server may have moved.
            ai = socket.getaddrinfo(self.host, self.port, 0, socket.SOCK_STREAM)
            if not ai:
                raise OSError("no address for " + self.host)
            ai = ai[0]
            phase = CONNECT
            s = socket.socket(ai[0], socket.SOCK_STREAM)
            self._open(s, ai[-1])
        except Exception as e:
            if s is not None:
                s.close()
            self._attempt_failed(classify(e, phase, self._where))
            return
        except BaseException:  # KeyboardInterrupt and friends: still no leaked socket
            if s is not None:
                s.close()
            raise
        now = self._clock.ticks_ms()
        self._sock = s
        self._poller.register(s, select.POLLIN)
        self._failures = 0
        self._up_at = self._last_rx = now
        self._healthy = False
        self.stats["connects"] += 1
        self._call(self._on_connect)

    def _open(self, s, addr):
        timeout = self.connect_timeout_ms
        if timeout is not None:
            try:
                s.settimeout(timeout / 1000)
            except OSError:  # WIZnet chip-stack driver: no timeouts, the chip has its own
                pass
        s.connect(addr)
        try:
            s.setblocking(False)
            self._nonblocking = True
        except OSError:  # chip-stack driver: reads wait on poll(), then recv()
            self._nonblocking = False

    def _attempt_failed(self, failure):
        stats = self.stats
        stats["connect_failures"] += 1
        stats["last_failure"] = failure
        self._failures += 1
        if not failure.retryable or (self.max_attempts and self._failures >= self.max_attempts):
            self._stopped = True
            self._failures = 0
            self._call(self._on_connect_failed, failure, None)
            raise failure
        delay = self._schedule()
        self._call(self._on_connect_failed, failure, delay)

    def _schedule(self):
        delay = self.backoff.next_ms()
        self._next_at = ticks_add(self._clock.ticks_ms(), delay)
        return delay

    # -- connected ------------------------------------------------------------------

    def _serve(self, timeout_ms):
        now = self._clock.ticks_ms()
        if not self._healthy and ticks_diff(now, self._up_at) >= self.backoff.stable_ms:
            self._mark_healthy()
        idle = self.idle_timeout_ms
        if idle is not None:
            left = idle - ticks_diff(now, self._last_rx)
            if left <= 0:
                self._drop(Failure(TIMEOUT, RECV, _ETIMEDOUT, self._where))
                return
            if left < timeout_ms:
                timeout_ms = left
        for _ in self._wait(timeout_ms if timeout_ms > 0 else 0):
            self._read()
            break

    def _read(self):
        s = self._sock
        try:
            if self._nonblocking:
                n = s.readinto(self._buf)
                data = None
            else:
                data = s.recv(len(self._buf))
                n = len(data)
        except OSError as e:
            self._drop(classify(e, RECV, self._where))
            return
        if n is None:  # woken, but nothing to read after all
            return
        if n == 0:  # the peer closed cleanly
            self._drop(None)
            return
        self._last_rx = self._clock.ticks_ms()
        self.stats["bytes_in"] += n
        if not self._healthy:
            self._mark_healthy()
        on_data = self._on_data
        if on_data is None:
            return
        if data is None:
            data = bytes(self._view[:n]) if self._copy else self._view[:n]
        try:
            on_data(self, data)
        except BaseException as e:
            self._handler_raised(e)

    def _mark_healthy(self):
        self._healthy = True
        self.backoff.reset()

    # -- closing --------------------------------------------------------------------

    def _close(self):
        s = self._sock
        self._sock = None
        self.stats["disconnects"] += 1
        try:
            self._poller.unregister(s)
        except (OSError, KeyError, ValueError):
            pass
        try:
            s.close()
        except OSError:
            pass

    def _drop(self, failure):
        """End the connection (if still open), schedule the next attempt, tell the
        handler. Returns ``failure``."""
        if self._sock is not None:
            self._close()
            if failure is not None:
                self.stats["last_failure"] = failure
            self._schedule()
            self._call(self._on_disconnect, failure)
        return failure

    def _call(self, fn, *args):
        if fn is None:
            return
        try:
            fn(self, *args)
        except BaseException as e:
            self._handler_raised(e)

    def _handler_raised(self, e):
        if e is self._own:  # our own send() failure, already handled: not a bug
            self._own = None
            return
        if self._sock is not None:  # close first, so a bug never leaks a socket
            self._close()
            self._schedule()
        raise e
