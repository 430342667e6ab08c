# Data sent while the connection is down. Without an outbox, send() raises ENOTCONN and
# the caller decides. With one, messages wait (bounded in bytes) and go out right after
# the next on_connect; what does not fit is dropped by the chosen policy and counted in
# the client's stats["dropped"] / stats["dropped_bytes"] - never silently.
from ._compat import call_cold
from .failure import CLOSED, SEND, Failure

DROP_OLDEST = "drop-oldest"
DROP_NEWEST = "drop-newest"
RAISE = "raise"
_ENOBUFS = 105


class Outbox:
    """A bounded queue of messages for :class:`~wiznet_net.ReconnectingTCPClient`.

    ``size``: the most bytes held. ``policy`` when a message does not fit:
    ``"drop-oldest"`` (make room by dropping the oldest messages; keeps the freshest data,
    e.g. sensor readings), ``"drop-newest"`` (keep what is queued, drop the new message),
    or ``"raise"`` (refuse it with a :class:`~wiznet_net.Failure`, errno ENOBUFS).
    A message larger than ``size`` never fits and is dropped (or refused).
    Messages are copied when queued: the caller may reuse its buffer.
    """

    def __init__(self, size=2048, policy=DROP_OLDEST):
        call_cold("_checks", "check_int", "size", size, 1)
        if policy not in (DROP_OLDEST, DROP_NEWEST, RAISE):
            raise ValueError("policy: expected 'drop-oldest', 'drop-newest' or 'raise', got %r" % (policy,))
        self.size = size
        self.policy = policy
        self._queue = []
        self.queued_bytes = 0

    def __len__(self):
        return len(self._queue)

    def put(self, data):
        """Queue ``data``; returns ``(messages dropped, bytes dropped)``."""
        n = len(data)
        if self.queued_bytes + n <= self.size:
            self._queue.append(bytes(data))
            self.queued_bytes += n
            return 0, 0
        if self.policy == RAISE:
            raise Failure(CLOSED, SEND, _ENOBUFS, hint="not connected and the outbox is full (%d bytes)" % self.size)
        if self.policy == DROP_NEWEST or n > self.size:
            return 1, n
        dropped = nbytes = 0
        while self.queued_bytes + n > self.size:
            nbytes += len(self.pop())
            dropped += 1
        self._queue.append(bytes(data))
        self.queued_bytes += n
        return dropped, nbytes

    def pop(self):
        """The oldest message, removed from the queue."""
        data = self._queue.pop(0)
        self.queued_bytes -= len(data)
        return data
