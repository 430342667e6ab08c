# What a client (session.py) and a server's connection (serving.py) share on the path
# every message takes - the read handed to the handler, the write that never waits, a
# send cut short, a handler call - and the little they need: the wrap-safe age of a
# timestamp, the size a send() means, the counters' mask. A module of its own, so that a
# server-only program does not load the client's Session (about 5 KB of RAM on a board).
#
# The functions take the client or the connection as `self` (a Session, or a
# serving.Connection that carries the same attributes) and the two bind them as methods.
from ._compat import call_cold, const, ticks_diff
from .failure import CLOSED, NO_MEMORY, RECV, SEND, Failure, classify, errno_of

_EAGAIN = const(11)

LINK_POLL_MS = const(250)  # how often a missing link is looked at again
# ticks_ms() wraps (every 2**30 ms on a board, 12.4 days): a time seen as in the past by
# more than half that is taken as "long ago", whatever the wrap made of it.
_LONG_AGO = const(1 << 29)
# stats["bytes_in"] / ["bytes_out"] wrap at 2**30, as ticks do: past a board's small-int
# range every addition would allocate a long int, once per message, for ever after.
COUNT_MASK = const(0x3FFFFFFF)


def _since(now, then):
    """ms from ``then`` to ``now``; ``then`` lies in the past, so a negative difference
    means the clock wrapped past it (not polled for more than half the ticks period)."""
    d = ticks_diff(now, then)
    return d if d >= 0 else _LONG_AGO


# What send() takes without a second look: len() counts their bytes. (A memoryview of an
# array of wider items would count items too; telling would cost an allocation per send.)
_BYTES = (bytes, bytearray, memoryview)


def send_size(data, n):
    """How many bytes of ``data`` a send(data, n) means; a TypeError or ValueError
    naming the argument before any byte moves (_checks.send_args says which)."""
    if isinstance(data, _BYTES):
        size = len(data)
        if n is None:
            return size
        if isinstance(n, int) and 0 <= n <= size:
            return n
    return call_cold("_checks", "send_args", data, n)


# MicroPython puts a call's frame on the heap (allocated, then freed on return) when it
# needs more than 11 words: arguments, locals, value stack and 3 per try block; "except
# ... as e" takes two blocks, so such a function always lands there. The read must tell
# EAGAIN from a reset and send() must classify a failed write, so each takes one such
# frame; everything a message passes through between them is written out in drain(),
# with no call of the library's own.


def drain(self, reads):
    """Read into the buffer and hand each read to the handler: up to ``reads`` reads
    while they fill the buffer, so a burst needs no wait per buffer. Returns what the
    handler returned last (a coroutine, for the asyncio transports: they read once)."""
    buf = self._buf
    into = self._on_data_into  # loaded once per wake-up, not once per read
    on_data = self._on_data
    stats = self.stats
    result = None
    copying = False
    while reads:
        reads -= 1
        try:
            n = self._readinto(buf)
        except OSError as e:
            if errno_of(e) != _EAGAIN:
                self._drop(classify(e, RECV, self._where))
            return None
        if not n:  # None: woken, but nothing to read after all; 0: the peer closed
            if n == 0:
                self._drop(None)
            return None
        if self._idle_ms is not None:
            self._heard_at = self._clock.ticks_ms()
        stats["bytes_in"] = (stats["bytes_in"] + n) & COUNT_MASK
        if not self._healthy:  # (a client's: a server's connections are born healthy)
            # Data marks the connection healthy once it has outlived one backoff floor:
            # a server that accepts, sends a banner and closes gets growing delays.
            self._got_data = True
            if _since(self._clock.ticks_ms(), self._up_at) >= self.backoff.initial_ms:
                self._mark_healthy()
        try:
            if into is not None:  # zero-copy: the buffer itself
                result = into(self, buf, n)
            elif on_data is not None:
                # A copy, or with copy=False a view. The view of the first n bytes
                # is kept for the next read: messages repeat their sizes.
                data = self._part
                if len(data) != n:
                    data = self._part = self._view[:n]
                if self._copy:
                    copying = True  # a MemoryError now is ours, not the handler's
                    data = bytes(data)
                    copying = False
                result = on_data(self, data)
        except BaseException as e:
            if copying and isinstance(e, MemoryError):
                # No room for the copy (a fragmented heap): not the handler's bug.
                # A retryable failure, like any MemoryError in the stack. (A Ctrl-C
                # landing there is not one: it goes on as from the handler.)
                self._drop(Failure(NO_MEMORY, RECV, None, self._where, e))
                return None
            self._handler_raised(e)
        if n < len(buf) or self._sock is None:
            break
    return result


def push(self, data, sent, total):
    """Write as much of data[sent:total] as the socket takes now, without waiting;
    returns the new count sent. A failure drops the connection and is raised."""
    if sent >= total:  # nothing to write: the chip stack refuses empty sends (errno 14)
        return sent
    try:
        k = self._write(data, sent, total - sent)
    except OSError as e:
        if errno_of(e) != _EAGAIN:
            raise self._raise(self._drop(classify(e, SEND, self._where)))
        return sent
    if not k:  # the socket is full
        return sent
    self.stats["bytes_out"] = (self.stats["bytes_out"] + k) & COUNT_MASK
    if self._tx_timed:  # a client's heartbeat, a server connection's idle timer
        self._last_tx = self._clock.ticks_ms()
    return sent + k


def cut_short(self):
    """A send stopped part-way by Ctrl-C or a cancelled task: the peer holds part of a
    message, and whatever went next on this connection would be read as its rest. So
    the connection ends here. Nothing a handler raises meanwhile replaces the
    interrupt, which the caller re-raises. (Its hint: _hints.py, closed in send without
    an errno.)"""
    try:
        self._drop(Failure(CLOSED, SEND, None, self._where))
    except Exception:
        pass


def call(self, fn, *args):
    """``fn(self, *args)`` - a handler method - if there is one; what it raises goes to
    ``self._handler_raised``."""
    if fn is None:
        return None
    try:
        return fn(self, *args)
    except BaseException as e:
        self._handler_raised(e)
