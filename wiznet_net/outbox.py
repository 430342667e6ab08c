# Data sent while the connection is down. Without an outbox, send() raises ENOTCONN and
# the caller decides. With one, messages wait (bounded in bytes of RAM) and go out right
# after the next on_connect; what does not fit is dropped by the chosen policy and
# counted in the client's stats["dropped"] / stats["dropped_bytes"] - never silently.
#
# The queue is one bytearray allocated at construction, used as a ring of messages, each
# preceded by its length in 2 bytes (big-endian). So the RAM it holds is `size` bytes
# whatever is queued - no object per message, no heap fragmentation over an outage - and
# a message costs its length plus 2 bytes of that size.
from ._compat import call_cold, const
from .failure import CLOSED, SEND, Failure

DROP_OLDEST = "drop-oldest"
DROP_NEWEST = "drop-newest"
RAISE = "raise"
_ENOBUFS = const(105)
_HEADER = const(2)  # bytes of length before each message in the ring
_MAX_SIZE = const(65535)  # so that any message that fits has a length that fits 2 bytes


class Outbox:
    """A bounded queue of messages for :class:`~wiznet_net.ReconnectingTCPClient`.

    ``size``: the bytes of RAM it holds, allocated once (3 to 65535). Each message takes
    its length plus 2 bytes (its length prefix) of it, so at most ``size - 2`` bytes
    fit in one message. ``policy`` when a message does not fit: ``"drop-oldest"`` (make
    room by dropping the oldest messages; keeps the freshest data, e.g. sensor readings),
    ``"drop-newest"`` (keep what is queued, drop the new message), or ``"raise"`` (refuse
    it with a :class:`~wiznet_net.Failure`, errno ENOBUFS, nothing queued).
    A message larger than ``size - 2`` never fits and is dropped (or refused).
    An empty message is not queued (there is nothing to send). Messages are copied when
    queued: the caller may reuse its buffer at once.
    ``len(outbox)`` is the number of messages queued, ``queued_bytes`` their bytes.
    """

    def __init__(self, size=2048, policy=DROP_OLDEST):
        call_cold("_checks", "check_int", "size", size, _HEADER + 1)
        if size > _MAX_SIZE:
            raise ValueError("size: expected at most %d (bytes of RAM, headers included), got %d" % (_MAX_SIZE, size))
        if policy not in (DROP_OLDEST, DROP_NEWEST, RAISE):
            raise ValueError("policy: expected 'drop-oldest', 'drop-newest' or 'raise', got %r" % (policy,))
        self.size = size
        self.policy = policy
        self._ring = bytearray(size)
        self._head = 0  # where the oldest message's header starts
        self._used = 0  # bytes of the ring in use, headers included
        self._count = 0
        self.queued_bytes = 0

    def __len__(self):
        return self._count

    def put(self, data):
        """Queue ``data`` (bytes, bytearray or memoryview); returns ``(messages dropped,
        bytes dropped)``."""
        if isinstance(data, str):  # its len() counts characters, not the UTF-8 bytes sent
            raise TypeError("data: expected bytes, bytearray or memoryview, got str (encode it)")
        n = len(data)
        if not n:
            return 0, 0
        need = n + _HEADER
        size = self.size
        if self._used + need <= size:
            dropped = nbytes = 0
        elif self.policy == RAISE:
            if need > size:
                hint = "not connected, and %d bytes never fit the outbox (%d bytes, 2 per message)" % (n, size)
            else:
                hint = "not connected and the outbox is full (%d bytes)" % size
            raise Failure(CLOSED, SEND, _ENOBUFS, hint=hint)
        elif self.policy == DROP_NEWEST or need > size:
            return 1, n
        else:
            dropped = nbytes = 0
            while self._used + need > size:
                nbytes += self._skip()
                dropped += 1
        ring = self._ring
        at = (self._head + self._used) % size
        ring[at] = n >> 8
        ring[(at + 1) % size] = n & 0xFF
        at = (at + _HEADER) % size
        first = size - at  # room before the end of the ring
        if n <= first:
            ring[at : at + n] = data
        else:  # wraps: the rest goes to the start
            view = memoryview(data)
            ring[at:size] = view[:first]
            ring[: n - first] = view[first:]
        self._used += need
        self._count += 1
        self.queued_bytes += n
        return dropped, nbytes

    def pop(self):
        """The oldest message (``bytes``), removed from the queue. IndexError if empty."""
        if not self._count:
            raise IndexError("pop from an empty outbox")
        size = self.size
        at, n = self._take()
        view = memoryview(self._ring)
        first = size - at
        if n <= first:
            return bytes(view[at : at + n])
        return bytes(view[at:size]) + bytes(view[: n - first])

    def _take(self):
        # Remove the oldest message; return where it lies in the ring (start, length): it
        # continues at 0 past the end. The clients send it from there, with no copy.
        at = (self._head + _HEADER) % self.size
        return at, self._skip()

    def _skip(self):
        # Remove the oldest message without reading it; return its length.
        ring = self._ring
        size = self.size
        head = self._head
        n = ring[head] << 8 | ring[(head + 1) % size]
        self._used -= _HEADER + n
        self._count -= 1
        # Empty: the next messages start at 0, so fewer of them wrap.
        self._head = (head + _HEADER + n) % size if self._count else 0
        self.queued_bytes -= n
        return n
