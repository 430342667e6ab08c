# TCP delivers a byte stream, not messages: one recv() may hold half a line or three.
# These framers sit between the client and your handler, cut the stream into messages
# within a fixed buffer, and treat a peer that breaks the framing (a line that never
# ends, a length prefix that lies) as a failure: the connection is dropped with kind
# "protocol" and re-made, never a MemoryError or an unbounded buffer.
from ._compat import call_cold
from .failure import PROTOCOL, RECV, Failure

_FORWARDED = ("on_connecting", "on_connect_failed", "on_heartbeat")


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
        """Send ``line`` followed by the separator."""
        client.send(line)
        client.send(self.sep)

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
    bytes (1, 2 or 4). ``handler.on_message(client, payload)`` gets each payload. A length
    above ``max_frame`` drops the connection with a ``"protocol"`` failure before any of
    the payload is buffered."""

    def __init__(self, handler, max_frame=1024, header=2):
        call_cold("_checks", "check_int", "max_frame", max_frame, 1)
        if header not in (1, 2, 4):
            raise ValueError("header: expected 1, 2 or 4 (bytes), got %r" % (header,))
        super().__init__(handler, header + max_frame)
        self.max_frame = max_frame
        self.header = header

    def send(self, client, payload):
        """Send ``payload`` preceded by its length."""
        if len(payload) > self.max_frame:
            raise ValueError("payload: %d bytes, more than max_frame=%d" % (len(payload), self.max_frame))
        client.send(len(payload).to_bytes(self.header, "big"))
        client.send(payload)

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
