# TCP delivers a byte stream, not messages: one recv() may hold half a line or three.
# These framers sit between the client and your handler, cut the stream into messages
# within a fixed buffer, and treat a peer that breaks the framing (a line that never
# ends, a length prefix that lies) as a failure: the connection is dropped with kind
# "protocol" and re-made, never a MemoryError or an unbounded buffer.
#
# Both clients: with the blocking one every handler method is a plain function. With the
# asyncio one a handler method may be a coroutine; the framer returns it for the client
# to await. From on_data_into that is one coroutine that awaits the message's coroutine,
# then cuts the next message out of the same read - the asyncio client reads again only
# once it has finished - so messages are handled one at a time, in order, and a read of
# a hundred short lines never holds a hundred of them at once.
#
# Sending: one framed message is one client.send() of one buffer, so an outbox queues,
# drops and flushes it whole, and two sends can never interleave inside it.
#
# Servers: a framer works as a server's handler too - "client" is then the connection
# (serving.Connection), and each connection's message under way is kept apart.
from ._compat import call_cold
from .failure import NO_MEMORY, PROTOCOL, RECV, Failure

_FORWARDED = ("on_connecting", "on_connect_failed", "on_heartbeat")


def _length(name, data):
    # A str would go out as its UTF-8 bytes while len() counts characters.
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError("%s: expected bytes, bytearray or memoryview, got %s" % (name, type(data).__name__))
    return len(data)


class _Stream:
    """What a framer keeps for one connection: the part of a message received so far."""

    def __init__(self, size):
        self.buf = bytearray(size)
        self.view = memoryview(self.buf)
        self.n = 0  # bytes of the message under way
        self.size = 0  # LengthPrefixed: the payload length its header announced
        self.pending = None  # a handler's coroutine, to finish before the next message


class _Framer:
    # One framer may serve many connections at once (a server's handler): each gets a
    # _Stream of its own at on_connect, handed back at on_disconnect and kept for the
    # next one - so a client reconnecting, or a server's connections coming and going,
    # allocate nothing after the first of them, and two streams never mix.
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
        self._max_size = max_size
        self._streams = {}  # connection -> its _Stream
        self._spare = [_Stream(max_size)]  # made now, as before: a client needs no other
        self.messages = 0  # delivered
        self.cut = 0  # connections that ended in the middle of a message

    def _attach(self, client):
        spare = self._spare
        s = spare.pop() if spare else _Stream(self._max_size)
        s.n = s.size = 0
        s.pending = None
        self._streams[client] = s
        return s

    def on_connect(self, client):
        s = self._streams.get(client)
        if s is None:
            self._attach(client)
        else:  # (no on_disconnect came between: start afresh all the same)
            s.n = s.size = 0
            s.pending = None
        if self._on_connect is not None:
            return self._on_connect(client)  # a coroutine is the asyncio client's to await

    def on_disconnect(self, client, failure):
        s = self._streams.pop(client, None)
        if s is not None:
            if s.n and not client.stopped:  # the peer closed or failed mid-message
                self.cut += 1
                if failure is None:  # a clean close is not clean here
                    failure = Failure(
                        PROTOCOL, RECV, None, hint="the connection ended inside a message; its %d bytes are lost" % s.n
                    )
            s.n = 0
            s.pending = None
            self._spare.append(s)
        if self._on_disconnect is not None:
            return self._on_disconnect(client, failure)

    def on_data_into(self, client, data, n):
        s = self._streams.get(client)
        if s is None:  # (driven without on_connect)
            s = self._attach(client)
        i = self._cut(s, client, data, 0, n)
        if s.pending is None:
            return None
        return self._in_order(s, client, data, i, n)

    async def _in_order(self, s, client, data, i, n):
        # The asyncio client reads into data again only once this has returned.
        sock = client.socket
        while s.pending is not None:
            coro = s.pending
            s.pending = None
            await coro
            # The handler stopped or dropped the connection: s may serve another by now.
            if client.socket is not sock or self._streams.get(client) is not s:
                return
            i = self._cut(s, client, data, i, n)

    def _emit(self, s, client, message):
        """Hand one message to the handler. False: stop cutting this read here (the
        handler stopped or dropped the connection, or returned a coroutine)."""
        self.messages += 1
        result = self._on_message(client, message)
        if result is not None and hasattr(result, "send"):
            s.pending = result
            return False
        return client.connected

    def _violation(self, s, client, hint):
        s.n = 0
        client.disconnect(Failure(PROTOCOL, RECV, None, hint=hint))

    def _no_room(self, s, client):
        # No room on the heap for a message's copy (a fragmented heap): the framer's
        # MemoryError, not a bug of the handler's - a retryable failure and a reconnect,
        # as for the client's own copy (session.py _drain). The message is lost.
        s.n = 0
        client.disconnect(Failure(NO_MEMORY, RECV))


class Lines(_Framer):
    """Newline-delimited messages: ``handler.on_message(client, line)`` gets each line
    without its separator (and without a trailing ``\\r``). A line longer than
    ``max_line`` bytes (the ``\\r`` of a CRLF not counted) drops the connection with a
    ``"protocol"`` failure.

    Works with both clients. With :class:`~wiznet_net.aio.AsyncReconnectingTCPClient`
    ``on_message``, ``on_connect`` and ``on_disconnect`` may be coroutines (awaited in
    order, one message at a time), and :meth:`send` must be awaited:
    ``await lines.send(client, b"hi")``.
    """

    def __init__(self, handler, max_line=256, sep=b"\n"):
        call_cold("_checks", "check_int", "max_line", max_line, 1)
        if not isinstance(sep, bytes) or len(sep) != 1:
            raise ValueError("sep: expected one byte such as b'\\n', got %r" % (sep,))
        super().__init__(handler, max_line + 1)  # room for a CR before the separator
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

    def _too_long(self, s, client):
        self._violation(s, client, "a line longer than %d bytes - wrong protocol or a runaway peer" % self.max_line)

    def _cut(self, s, client, data, i, n):
        # Hand on the lines of data[i:n]; return where it stopped (see _emit).
        buf = s.buf
        sep = self.sep
        limit = self.max_line
        view = memoryview(data)
        while i < n:
            held = s.n
            j = data.find(sep, i, n)
            if j < 0:  # the line goes on in the next read: keep what came of it
                end = held + n - i
                # max_line bytes may still be followed by the CR of a CRLF
                if end > limit and (end > limit + 1 or data[n - 1] != 13):
                    self._too_long(s, client)
                    break
                buf[held:end] = view[i:n]
                s.n = end
                break
            size = held + j - i
            if (data[j - 1] if j > i else buf[held - 1] if held else 0) == 13:
                size -= 1  # CRLF: the CR is not part of the line
            if size > limit:
                self._too_long(s, client)
                break
            try:  # (no "as e": one block on the frame, not two)
                if held:  # the line began in an earlier read
                    buf[held : held + j - i] = view[i:j]
                    message = bytes(s.view[:size])
                    s.n = 0
                else:
                    message = bytes(view[i : i + size])
            except MemoryError:
                self._no_room(s, client)
                break
            i = j + 1
            if not self._emit(s, client, message):
                break
        return i


class LengthPrefixed(_Framer):
    """Messages preceded by their length as a big-endian unsigned integer of ``header``
    bytes (1, 2 or 4; ``max_frame`` must fit in it). ``handler.on_message(client,
    payload)`` gets each payload. A length above ``max_frame`` drops the connection with
    a ``"protocol"`` failure before any of the payload is buffered.

    Works with both clients. With :class:`~wiznet_net.aio.AsyncReconnectingTCPClient`
    ``on_message``, ``on_connect`` and ``on_disconnect`` may be coroutines (awaited in
    order, one message at a time), and :meth:`send` must be awaited:
    ``await framer.send(client, payload)``.
    """

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

    def _cut(self, s, client, data, taken, n):
        # Hand on the frames of data[taken:n]; return where it stopped (see _emit).
        buf = s.buf
        h = self.header
        view = memoryview(data)
        while taken < n:
            held = s.n
            need = h + s.size if held >= h else h
            k = min(n - taken, need - held)
            buf[held : held + k] = view[taken : taken + k]
            held += k
            taken += k
            if held == h:  # the header is complete: the payload's length is known
                size = 0
                for i in range(h):
                    size = size << 8 | buf[i]
                if size > self.max_frame:
                    self._violation(
                        s, client, "a frame of %d bytes announced, more than max_frame=%d" % (size, self.max_frame)
                    )
                    break
                s.size = size
                need = h + size
            if held == need:
                s.n = 0
                try:  # (no "as e": one block on the frame, not two)
                    message = bytes(s.view[h:need])
                except MemoryError:
                    self._no_room(s, client)
                    break
                if not self._emit(s, client, message):
                    break
            else:
                s.n = held
        return taken
