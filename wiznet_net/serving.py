# Everything a TCP server decides without waiting: the socket budget (serve a new
# connection or turn it away), each connection's idle timer, the link watch, what a
# failure was, what the handler hears and when, the counters. The blocking server
# (server.py) and the asyncio one (aioserver.py) are this plus their own waits, as the
# two clients are session.py plus theirs.
#
# The budget: every rp2 WIZnet firmware runs TCP on lwIP, whose connections come from a
# pool of MEMP_NUM_TCP_PCB = 5 (lwIP's default: ports/rp2/lwip_inc/lwipopts.h and
# extmod/lwip-include/lwipopts_common.h do not set it); listening sockets come from a
# pool of their own (MEMP_NUM_TCP_PCB_LISTEN). So by default 4 clients are served and one
# slot stays free for an outgoing connection (a ReconnectingTCPClient, sync_time() is
# UDP). A connection past max_clients is accepted and closed at once, and counted.
import select
import socket

from ._common import _BYTES, LINK_POLL_MS, _since, call, push, send_size
from ._compat import MICROPYTHON, call_cold, clock as _clock, const, stream_reader, stream_writer
from .failure import ACCEPT, CLOSED, HANDLER, LINK, NO_LINK, RECV, RESET, SEND, TIMEOUT, UNKNOWN, Failure, classify, errno_of

_EAGAIN = const(11)
_ENOTCONN = const(107)
_ETIMEDOUT = const(110)
_LONG_AGO = const(1 << 29)  # "no bound" (see _common._since; a _const is not importable)
_ACCEPTS = const(4)  # connections taken off the listener per wake-up: a storm waits its turn
# After accept() failed for want of memory or descriptors, the listener is not watched for
# this long: the connection waiting there would wake every poll() at once, for ever.
ACCEPT_PAUSE_MS = const(100)


def _peer(addr):
    """(address, port) from what accept() returned: lwIP (a board) and CPython give that
    tuple, the unix port a raw sockaddr."""
    if isinstance(addr, tuple):
        return addr[0], addr[1]
    port = addr[2] << 8 | addr[3]
    if addr[0] == 10 and len(addr) >= 24:  # AF_INET6 (Linux)
        return ":".join("%x" % (addr[i] << 8 | addr[i + 1]) for i in range(8, 24, 2)), port
    return "%d.%d.%d.%d" % (addr[4], addr[5], addr[6], addr[7]), port


def poller():
    """A ``select.poll()``. MicroPython's ``ipoll()`` names the objects registered; CPython's
    ``poll()`` answers with descriptors, so there (the coverage run) a stand-in does as
    MicroPython's does. Here, not in _compat: only a server's program pays for it."""
    if MICROPYTHON:
        return select.poll()
    return _HostPoll(select)


if not MICROPYTHON:

    class _HostPoll:
        def __init__(self, select):
            self._poll = select.poll()
            self._objs = {}  # descriptor -> object
            self._fds = {}  # id(object) -> descriptor (a closed socket forgets its own)

        def register(self, obj, events=1):
            fd = obj.fileno()
            self._objs[fd] = obj
            self._fds[id(obj)] = fd
            self._poll.register(fd, events)

        def unregister(self, obj):
            fd = self._fds.pop(id(obj))
            del self._objs[fd]
            self._poll.unregister(fd)

        def ipoll(self, timeout=-1):
            return [(self._objs[fd], ev) for fd, ev in self._poll.poll(timeout)]


class Connection:
    """One client of a :class:`~wiznet_net.TCPServer`, handed to every handler method.

    ``send(data, n=None)`` (as a client's: every byte, or the first ``n``; waits up to the
    server's ``send_timeout_ms`` for room, then drops this connection and raises),
    ``close()`` (ends it: ``on_disconnect(conn, None)``), ``disconnect(failure)`` (ends it
    with a failure, as a protocol check does), ``peer`` (address, port), ``state`` (None
    until the handler sets it: what it keeps per connection), ``connected``, ``stopped``
    (True once the server's side closed it: ``close()`` or the server's ``stop()``),
    ``socket`` (None once closed), ``server``. The framers of :mod:`wiznet_net.framing`
    work on it as on a client.
    """

    # What _common.py's drain() and push() read on a client, a connection carries too:
    # they serve both. A server's connections have no backoff and always copy for on_data.
    _healthy = True
    _copy = True

    def __init__(self, server, sock, peer, buf):
        self.server = server
        self._sock = self.socket = sock
        self.peer = peer
        self.state = None
        self.connected = True
        self.stopped = False
        self._where = "%s:%d" % peer
        self._readinto = stream_reader(sock)
        self._write = stream_writer(sock)
        # The receive buffer (the server's, or this connection's own with asyncio), a view
        # of it, and the view of its first n bytes for the last n seen (see drain()).
        self._buf = buf
        self._view = self._part = memoryview(buf)
        self._on_data = server._on_data
        self._on_data_into = server._on_data_into
        self.stats = server.stats  # the server's: its counters count every connection
        self._clock = clock = server._clock
        self._idle_ms = server.idle_timeout_ms
        self._tx_timed = self._idle_ms is not None  # a send is life too (see _timers)
        self._heard_at = self._last_tx = clock.ticks_ms()  # last read, last write
        self._slot = -1
        # Handlers call conn.send() for every message: found among the instance's own
        # attributes, not after a miss there (see the note in client.py).
        self.send = self.send

    def send(self, data, n=None):
        """Send every byte of ``data`` (or its first ``n``). On a closed connection a
        :class:`~wiznet_net.Failure` with errno ENOTCONN is raised; if the connection fails
        or the peer takes nothing for ``send_timeout_ms``, it is dropped
        (``on_disconnect``) and the failure raised. TypeError / ValueError for a ``str`` or
        a bad ``n``, before any byte moves."""
        if n is None and isinstance(data, _BYTES):  # the common case, checked inline
            n = len(data)
        else:
            n = send_size(data, n)
        if self._sock is None:
            raise Failure(CLOSED, SEND, _ENOTCONN, self._where)
        sent = push(self, data, 0, n)
        if sent < n:
            self.server._send_rest(self, data, sent, n)

    def close(self):
        """Close this connection from the server's side: ``on_disconnect(conn, None)``."""
        if self.connected:
            self.stopped = True
            self.server._drop(self, None)

    def disconnect(self, failure=None):
        """End this connection with ``failure`` (a :class:`~wiznet_net.Failure`, e.g. from a
        protocol check), reported to ``on_disconnect`` and kept in ``stats["last_failure"]``."""
        return self.server._drop(self, failure)

    # -- what drain(), push() and call() ask of a client --------------------------------

    def _drop(self, failure):
        return self.server._drop(self, failure)

    def _handler_raised(self, e):
        self.server._handler_raised(self, e)

    def _raise(self, failure):
        # Marked as the server's own: reaching _handler_raised from any connection's
        # handler, it is no bug (the clients mark theirs in Session._own).
        failure._own = True
        return failure


class Serving:
    """The part of a TCP server that is the same for every transport. See
    :class:`~wiznet_net.TCPServer` for the arguments."""

    _Connection = Connection  # what a transport hands its handler

    def __init__(
        self,
        port,
        handler,
        bind="0.0.0.0",
        max_clients=4,
        idle_timeout_ms=30000,
        send_timeout_ms=2000,
        nic=None,
        backlog=2,
        rxbuf=1024,
        clock=None,
    ):
        hooks = call_cold(
            "_checks",
            "server_args",
            port,
            handler,
            bind,
            max_clients,
            idle_timeout_ms,
            send_timeout_ms,
            nic,
            backlog,
            rxbuf,
        )
        self._on_connect, self._on_data, self._on_data_into, self._on_disconnect = hooks
        self.port = port
        self.handler = handler
        self.bind = bind
        self.max_clients = max_clients
        self.idle_timeout_ms = idle_timeout_ms
        self.send_timeout_ms = send_timeout_ms
        self.nic = nic
        self.backlog = backlog
        self.rxbuf = rxbuf
        self._clock = clock or _clock
        # One entry per connection the budget allows, allocated once: a connection takes
        # the first free one (and, with asyncio, that slot's own receive buffer).
        self._slots = [None] * max_clients
        self.clients = 0  # slots in use
        self.stopped = False
        self._listener = None
        self._paused = False  # the listener rests after a failed accept (ACCEPT_PAUSE_MS)
        self._paused_at = 0
        self._link_down = False
        self._link_at = self._clock.ticks_ms()
        self._check = None  # a poller for one socket at a time, made when first needed
        self.stats = {
            "connects": 0,  # connections served (on_connect called)
            "rejected": 0,  # past max_clients: accepted and closed at once
            "accept_failures": 0,  # accept() itself failed (no memory, a reset in the backlog)
            "disconnects": 0,
            "bytes_in": 0,
            "bytes_out": 0,
            "last_failure": None,
        }

    # -- the listening socket ----------------------------------------------------------

    def _listen(self):
        s = socket.socket()
        try:
            try:
                s.setblocking(False)
            except OSError as e:
                # modsocket.c: no NIC is bound before bind() - a WIZNET5K without lwIP
                if errno_of(e) == _ENOTCONN:
                    raise RuntimeError(call_cold("_checks", "chip_stack_server", type(self).__name__))
                raise
            try:  # a restarted program must not wait for its old connections' TIME_WAIT
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            except (OSError, AttributeError):
                pass
            s.bind(socket.getaddrinfo(self.bind, self.port)[0][-1])
            s.listen(self.backlog)
            self._watch(s)
        except BaseException:
            s.close()
            raise
        self._listener = s
        self._paused = False

    def _unlisten(self):
        s = self._listener
        if s is not None:
            self._listener = None
            self._unwatch(s)
            s.close()

    def start(self):
        """Undo :meth:`stop`: listen again (``run()`` calls this)."""
        self.stopped = False
        if self._listener is None:
            self._listen()

    def stop(self):
        """Close every connection (``on_disconnect(conn, None)`` for each) and the
        listening socket; callable from a handler. :meth:`start` or ``run()`` listen again."""
        self.stopped = True
        first = None
        try:
            self._unlisten()
            # One connection after the other, each told at once (its on_disconnect may
            # still send to those not yet closed); an exception in one on_disconnect
            # leaves none of the others open, and is raised once all are closed.
            for c in self._slots:
                if c is not None and c.connected:
                    c.stopped = True
                    self._shut(c, None)
                    try:
                        self._notify(c, None)
                    except BaseException as e:
                        if first is None:
                            first = e
        finally:  # an interrupt in the middle: the rest closed all the same, untold
            for c in self._slots:
                if c is not None and (c.connected or c._sock is not None):
                    c.stopped = True
                    self._shut(c, None)
        if first is not None:
            raise first

    def _stop_quietly(self):
        # Ctrl-C or a handler's exception leaving run(): nothing may stay open, and what
        # propagates is that exception, not one an on_disconnect raises meanwhile.
        try:
            self.stop()
        except Exception:
            pass

    # -- decisions over time --------------------------------------------------------------

    def _timers(self, timeout_ms):
        """Run what is due - the link watch, idle drops, the end of the listener's rest -
        and return how long the transport may wait: at most ``timeout_ms``; with a negative
        ``timeout_ms`` as long as no timer needs it (-1: no bound at all)."""
        now = self._clock.ticks_ms()
        # (beyond _LONG_AGO a board's poller could not take the number: 6 days will do)
        wait = timeout_ms if 0 <= timeout_ms < _LONG_AGO else _LONG_AGO
        nic = self.nic
        if nic is not None:  # a pulled cable ends every connection within LINK_POLL_MS
            left = LINK_POLL_MS - _since(now, self._link_at)
            if left <= 0:
                self._link_at = now
                self._link(nic.isconnected())
                left = LINK_POLL_MS
            if left < wait:
                wait = left
        if self._paused:
            left = ACCEPT_PAUSE_MS - _since(now, self._paused_at)
            if left <= 0:
                self._paused = False
                if self._listener is not None:
                    self._watch(self._listener)
            elif left < wait:
                wait = left
        idle = self.idle_timeout_ms
        if idle is not None and self.clients:
            for c in self._slots:  # a fixed list: closing one while here changes no index
                if c is None or not c.connected or self.stopped:
                    continue
                quiet = _since(now, c._heard_at)  # traffic either way is life
                sent = _since(now, c._last_tx)
                left = idle - (sent if sent < quiet else quiet)
                if left <= 0:
                    if self._data_waiting(c):  # unread data is life: it is read next
                        c._heard_at = now
                        left = idle
                    else:
                        self._drop(c, Failure(TIMEOUT, RECV, _ETIMEDOUT, c._where))
                        continue
                if left < wait:
                    wait = left
        if self.stopped:
            return 0
        if wait == _LONG_AGO and timeout_ms < 0:
            return -1
        return wait

    def _link(self, up):
        if up:
            self._link_down = False
            return
        if self._link_down:  # reported once
            return
        self._link_down = True
        self.stats["last_failure"] = Failure(NO_LINK, LINK)
        # Peers that cannot hear us any more: their slots would stay taken until the idle
        # timeout, while they reconnect once the cable is back. Reported once, so every
        # one is dropped now: an exception in one on_disconnect is raised after the rest
        # (as in stop()), else they would stay for ever.
        first = None
        for c in self._slots:
            if c is not None and c.connected and not self.stopped:
                try:
                    self._drop(c, Failure(NO_LINK, LINK, None, c._where))
                except BaseException as e:
                    if first is None:
                        first = e
        if first is not None:
            raise first

    def _data_waiting(self, conn):
        check = self._check
        if check is None:
            check = self._check = poller()
        s = conn._sock
        check.register(s, select.POLLIN)
        ready = False
        for _ in check.ipoll(0):  # readable, or hung up: either way the read decides
            ready = True
        check.unregister(s)
        return ready

    # -- accepting ------------------------------------------------------------------------

    def _accept_ready(self):
        """Take up to _ACCEPTS connections off the listener (it said it has some)."""
        listener = self._listener
        for _ in range(_ACCEPTS):
            # (paused: a connection could not be set up for want of memory - the listener
            # rests now, not after turning away the rest of this wake-up's connections)
            if self.stopped or self._paused or listener is not self._listener:
                return
            try:
                s, addr = listener.accept()
            except OSError as e:
                if errno_of(e) == _EAGAIN or not self._accept_failed(e):
                    return
                continue
            except MemoryError as e:  # no room for the socket object on the heap
                self._accept_failed(e)
                return
            self._take(s, addr)

    def _accept_failed(self, e):
        """Count a failed accept(); whether to go on accepting now."""
        self.stats["accept_failures"] += 1
        try:
            failure = classify(e, ACCEPT, "%s:%d" % (self.bind, self.port))
        except MemoryError:  # no room even to say what failed: rest all the same
            failure = None
        self.stats["last_failure"] = failure
        if failure is not None and failure.kind == RESET:  # a peer gave up in the backlog
            return True
        self._paused = True
        self._paused_at = self._clock.ticks_ms()
        if self._listener is not None:
            self._unwatch(self._listener)
        return False

    def _take(self, s, addr):
        if self.clients >= self.max_clients:
            # Past the budget: the peer sees its connection close at once, and the slot
            # its stack took is free again (closing leaves it in TIME_WAIT, which lwIP
            # reuses first when it runs out: tcp_alloc() -> tcp_kill_timewait()).
            s.close()
            self.stats["rejected"] += 1
            return
        slot = self._slots.index(None)
        conn = None
        try:
            s.setblocking(False)
            conn = self._Connection(self, s, _peer(addr), self._buffer(slot))
            conn._slot = slot  # taken before the poller knows it: stop() finds what it watches
            self._slots[slot] = conn
            self.clients += 1
            self._adopt(conn)  # inside the try: a MemoryError here must not leave s open
        except BaseException as e:
            s.close()
            if conn is not None and self._slots[slot] is conn:
                conn.connected = False
                conn._sock = conn.socket = None
                self._slots[slot] = None
                self.clients -= 1
            if not isinstance(e, Exception):  # Ctrl-C: nothing left open, on it goes
                raise
            self._accept_failed(e)
            return
        self.stats["connects"] += 1
        self._call(self._on_connect, conn)

    # -- ending a connection ----------------------------------------------------------------

    def _drop(self, conn, failure):
        """End ``conn`` (if still open): close its socket, count, tell the handler.
        Returns ``failure``."""
        if conn.connected:
            self._shut(conn, failure)
            self._notify(conn, failure)
        return failure

    def _shut(self, conn, failure):
        # The socket closed and counted; no handler code runs here. The socket is closed
        # first: a Ctrl-C landing in here leaves nothing open, and whatever it cut short
        # stop() completes (connected is what tells an open connection).
        s = conn._sock
        if s is not None:
            self._close(conn, s)
            conn._sock = conn.socket = None
        if conn.connected:
            conn.connected = False
            self.stats["disconnects"] += 1
            if failure is not None:
                self.stats["last_failure"] = failure
        self._free(conn)

    def _free(self, conn):
        slot = conn._slot
        if slot >= 0 and self._slots[slot] is conn:  # (after a restart it may be another's)
            self._slots[slot] = None
            self.clients -= 1

    def _notify(self, conn, failure):
        self._call(self._on_disconnect, conn, failure)

    # -- handlers -----------------------------------------------------------------------------

    def _call(self, fn, conn, *args):
        return call(conn, fn, *args)

    def _handler_raised(self, conn, e):
        """A handler raised ``e`` on ``conn``: close that connection (its on_disconnect
        hears a failure of phase "handler" whose cause is ``e``), then raise ``e`` - bugs
        stay visible, no socket leaks, the other connections and the listener go on. A
        failure one of the server's own send()s raised after dropping its connection is
        not a bug: it ends here."""
        if getattr(e, "_own", False):
            return
        if conn.connected:
            failure = Failure(UNKNOWN, HANDLER, None, conn._where, e)
            self._shut(conn, failure)
            try:
                self._notify(conn, failure)
            except Exception:  # what propagates is the first exception
                pass
        raise e
