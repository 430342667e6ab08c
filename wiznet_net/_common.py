# What the clients (session.py) and the servers (serving.py) both need on their message
# paths: the wrap-safe age of a timestamp, the size a send() means, the counters' mask.
# A module of its own so that a server-only program does not load the client's Session
# (about 5 KB of RAM on a board) for these few lines.
from ._compat import call_cold, const, ticks_diff

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
