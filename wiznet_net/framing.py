# TCP delivers a byte stream, not messages: one recv() may hold half a line or three.
# These framers sit between the client and your handler, cut the stream into messages
# within a fixed buffer, and treat a peer that breaks the framing (a line that never
# ends, a length prefix that lies) as a failure: the connection is dropped with kind
# "protocol" and re-made, never a MemoryError or an unbounded buffer.
#
# Sending: one framed message is one client.send() of one buffer, so an outbox queues,
# drops and flushes it whole, and two sends can never interleave inside it.
from ._compat import call_cold
from .failure import PROTOCOL, RECV, Failure

_FORWARDED = ("on_connecting", "on_connect_failed", "on_heartbeat")


def _length(name, data):
    # A str would go out as its UTF-8 bytes while len() counts characters.
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError("%s: expected bytes, bytearray or memoryview, got %s" % (name, type(data).__name__))
    return len(data)


class _Framer:
    def __init__(self, handler, max_size):
        on_message = getattr(handler, "on_message", None)
        if not callable(on_message):
            raise TypeError("handler: expected an object with on_message(client, message), got %r" % (handler,))
        self.handler = handler
        self._on_message = on_message
        self._on_connect = getattr(handler, "on_connect", None)
        self._on_disconnect = getattr(handler, "on_disconnect", None)
        for name in _FORWARDED:  # what the framer does not need passes straight through
            fn = getattr(handler, name, None)
            if fn is not None:
                setattr(self, name, fn)
        self._buf = bytearray(max_size)
        self._n = 0
        self.messages = 0  # delivered
        self.cut = 0  # connections that ended in the middle of a message

    def on_connect(self, client):
        self._n = 0
        if self._on_connect is not None:
            self._on_connect(client)

    def on_disconnect(self, client, failure):
        if self._n and failure is None:
            self.cut += 1
            failure = Failure(
                PROTOCOL, RECV, None, hint="the connection ended inside a message; its %d bytes are lost" % self._n
            )
        self._n = 0
        if self._on_disconnect is not None:
            self._on_disconnect(client, failure)

    def _violation(self, client, hint):
        self._n = 0
        client.disconnect(Failure(PROTOCOL, RECV, None, hint=hint))

    def _deliver(self, client, start, end):
        self.messages += 1
        self._on_message(client, bytes(memoryview(self._buf)[start:end]))

    def _keep_from(self, start):
        # Move an unfinished message to the front of the buffer.
        rest = self._n - start
        if rest and start:
            self._buf[:rest] = self._buf[start : self._n]
        self._n = rest


class Lines(_Framer):
    """Newline-delimited messages: ``handler.on_message(client, line)`` gets each line
    without its separator (and without a trailing ``\\r``). A line longer than
    ``max_line`` bytes drops the connection with a ``"protocol"`` failure."""

    def __init__(self, handler, max_line=256, sep=b"\n"):
        call_cold("_checks", "check_int", "max_line", max_line, 1)
        if not isinstance(sep, bytes) or len(sep) != 1:
            raise ValueError("sep: expected one byte such as b'\\n', got %r" % (sep,))
        super().__init__(handler, max_line + 1)
        self.max_line = max_line
        self.sep = sep

    def send(self, client, line):
        """Send ``line`` followed by the separator, as one ``client.send()``, and return
        what that returns (with the asyncio client: await it). ``line`` is copied first,
        so the caller may reuse its buffer at once. A line that contains the separator
        is refused with ValueError (the peer would read two lines), nothing sent."""
        n = _length("line", line)
        out = bytearray(n + 1)  # its own buffer: an awaited send may still be using another
        out[:n] = line
        at = out.find(self.sep, 0, n)
        if at >= 0:
            raise ValueError("line: contains the separator %r at %d; the peer would read two lines" % (self.sep, at))
        out[n] = self.sep[0]
        return client.send(out)

    def on_data_into(self, client, data, n):
        buf = self._buf
        sep = self.sep[0]
        taken = 0
        while taken < n:
            k = min(n - taken, len(buf) - self._n)
            buf[self._n : self._n + k] = data[taken : taken + k]
            scan = self._n
            self._n += k
            taken += k
            start = 0
            for i in range(scan, self._n):
                if buf[i] == sep:
                    end = i - 1 if i > start and buf[i - 1] == 13 else i
                    self._deliver(client, start, end)
                    if not client.connected:  # the handler stopped or dropped it
                        self._n = 0
                        return
                    start = i + 1
            self._keep_from(start)
            if self._n > self.max_line:
                self._violation(client, "a line longer than %d bytes - wrong protocol or a runaway peer" % self.max_line)
                return


class LengthPrefixed(_Framer):
    """Messages preceded by their length as a big-endian unsigned integer of ``header``
    bytes (1, 2 or 4; ``max_frame`` must fit in it). ``handler.on_message(client,
    payload)`` gets each payload. A length above ``max_frame`` drops the connection with
    a ``"protocol"`` failure before any of the payload is buffered."""

    def __init__(self, handler, max_frame=1024, header=2):
        call_cold("_checks", "check_int", "max_frame", max_frame, 1)
        if header not in (1, 2, 4):
            raise ValueError("header: expected 1, 2 or 4 (bytes), got %r" % (header,))
        if max_frame >> (8 * header):
            raise ValueError("max_frame: %d does not fit a %d-byte header (at most %d)" % (
                max_frame, header, (1 << (8 * header)) - 1))
        super().__init__(handler, header + max_frame)
        self.max_frame = max_frame
        self.header = header

    def send(self, client, payload):
        """Send ``payload`` preceded by its length, as one ``client.send()``, and return
        what that returns (with the asyncio client: await it). ``payload`` is copied
        first, so the caller may reuse its buffer at once. ValueError, nothing sent, if
        it is longer than ``max_frame``."""
        n = _length("payload", payload)
        if n > self.max_frame:
            raise ValueError("payload: %d bytes, more than max_frame=%d" % (n, self.max_frame))
        h = self.header
        out = bytearray(h + n)  # its own buffer: an awaited send may still be using another
        k = n
        for i in range(h - 1, -1, -1):
            out[i] = k & 0xFF
            k >>= 8
        out[h:] = payload
        return client.send(out)

    def on_data_into(self, client, data, n):
        buf = self._buf
        h = self.header
        taken = 0
        while taken < n:
            need = h if self._n < h else h + int.from_bytes(buf[:h], "big")
            k = min(n - taken, need - self._n)
            buf[self._n : self._n + k] = data[taken : taken + k]
            self._n += k
            taken += k
            if self._n == h:
                size = int.from_bytes(buf[:h], "big")
                if size > self.max_frame:
                    self._violation(
                        client, "a frame of %d bytes announced, more than max_frame=%d" % (size, self.max_frame)
                    )
                    return
            if self._n >= h and self._n == h + int.from_bytes(buf[:h], "big"):
                self._n = 0
                self._deliver(client, h, h + (need - h))
                if not client.connected:
                    return
