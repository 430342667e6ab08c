# What a network error means. A raw errno is ambiguous: 104 while connecting means
# "nothing listens there" on lwIP, 104 once connected means "the peer reset us", and the
# WIZnet chip-stack driver reuses small numbers (4, 5, 7, 13) for its own SOCKERR_* codes.
# classify() reads the code together with the phase it happened in.
from ._compat import HOST, call_cold

# Phases
DNS = "dns"
CONNECT = "connect"
RECV = "recv"
SEND = "send"
LINK = "link"  # bringing the interface up, or waiting for the cable
TLS = "tls"  # the TLS handshake after connecting
NTP = "ntp"  # asking a time server (ntp.sync_time)
ACCEPT = "accept"  # a server taking a connection off its listening socket
HANDLER = "handler"  # a server's handler raised: the bug ended its connection
_PHASES = (DNS, CONNECT, TLS, RECV, SEND, LINK, NTP, ACCEPT)  # what classify() is told

# Kinds
REFUSED = "refused"
RESET = "reset"
TIMEOUT = "timeout"
UNREACHABLE = "unreachable"
NO_LINK = "no_link"
CLOSED = "closed"
NO_MEMORY = "no_memory"
UNKNOWN = "unknown"
TLS_ERROR = "tls"  # certificate or handshake refused: waiting will not heal it
PROTOCOL = "protocol"  # the peer broke the framing (framing.py)

# errno numbers as bare-metal ports (Linux numbering), the unix port and lwIP use them;
# the errno module lacks some of these, so they are spelled out here.
_REFUSED_CONNECT = (104, 111, 4)  # lwIP answers a RST to SYN with 104; chip stack: 4
# 103 while connecting: lwIP gave up on its SYN retries; 13: chip-stack SOCKERR_TIMEOUT
_TIMEOUT_CONNECT = (110, 13, 103, 115)
_RESET_ONLINE = (104, 7)  # 7: chip-stack SOCKERR_SOCKSTATUS (the peer closed or reset)
# 103 once connected: lwIP's retransmission timer gave up (tcp_slowtmr -> ERR_ABRT ->
# ECONNABORTED in modlwip.c): the peer went silent or the link is gone, nobody reset us.
_TIMEOUT_ONLINE = (110, 13, 11, 103)
_UNREACHABLE = (113, 101, 118)  # EHOSTUNREACH, ENETUNREACH, EHOSTDOWN
_CLOSED = (32, 9, 107)  # EPIPE, EBADF, ENOTCONN
# 5 once connected: chip-stack SOCKERR_SOCKMODE - the driver's DHCP or DNS reopened our
# chip socket in UDP mode (network_wiznet5k.c: DHCP_init(1, ...), DNS_init(2, ...))
_TAKEN = 5
# ENOMEM: lwIP out of TCP slots or buffers; ENOBUFS; EMFILE: the chip-stack driver has no
# free hardware socket (network_wiznet5k.c wiznet5k_socket_socket)
_NO_MEMORY = (12, 105, 24)
# mbedTLS codes (negative) that mean the TLS handshake was cut, not refused: the server
# closed (CONN_EOF -0x7280, PEER_CLOSE_NOTIFY -0x7880) or went quiet (TIMEOUT -0x6800).
# Any other mbedTLS code is a refusal (certificate, hostname, protocol): final.
_TLS_CUT = (-0x7280, -0x7880)
_TLS_TIMEOUT = (-0x6800,)

class Failure(OSError):
    """A classified network failure. It is an ``OSError``, so code that catches
    ``OSError`` keeps working, and it can be raised as it is.

    ``kind``: ``"refused" | "reset" | "timeout" | "unreachable" | "dns" | "no_link" |
    "closed" | "no_memory" | "unknown"``, and ``"tls"`` (certificate or handshake
    refused) or ``"protocol"`` (the peer broke the framing).
    ``phase``: ``"dns" | "connect" | "tls" | "recv" | "send" | "link" | "ntp"``, and for
    a server ``"accept"`` or ``"handler"`` (the handler raised on that connection).
    ``errno``: the raw code, or None where the error had none.
    ``retryable``: whether trying again can help. ``hint``: one sentence to act on.
    ``cause``: the original exception, or None.
    """

    def __init__(self, kind, phase, errno=None, where=None, cause=None, hint=None):
        if errno is None:
            super().__init__(kind)
        else:
            super().__init__(errno, kind)
        self.kind = kind
        self.phase = phase
        self.errno = errno
        self.cause = cause
        # A programming error (TypeError, ...) or a refused certificate will not heal by
        # waiting; everything else on a network might.
        self.retryable = kind != TLS_ERROR and (cause is None or isinstance(cause, (OSError, MemoryError)))
        self._where = where
        self._hint = hint

    @property
    def hint(self):
        """One sentence to act on, made when first asked for (see _hints.py)."""
        if self._hint is None:
            try:
                self._hint = call_cold("_hints", "hint", self.kind, self.phase, self._where, self.errno)
            except (ImportError, MemoryError):  # not installed, or no RAM for it now
                return "see failure.kind and failure.errno"
        return self._hint

    def __str__(self):
        if self.errno is None:
            return "%s in %s" % (self.kind, self.phase)
        return "%s in %s [errno %s]" % (self.kind, self.phase, self.errno)

    def __repr__(self):
        return "Failure(%r, %r, errno=%r)" % (self.kind, self.phase, self.errno)


def errno_of(exc):
    """The integer code of an exception, or None (DNS errors on the unix port carry a
    string such as '[addrinfo error -2]'; DHCP timeouts carry only a message)."""
    code = getattr(exc, "errno", None)
    if code is None:
        args = getattr(exc, "args", ())
        code = args[0] if args else None
    return code if isinstance(code, int) and not isinstance(code, bool) else None


def classify(exc, phase=CONNECT, where=None):
    """Classify ``exc`` (an exception, usually an OSError) raised in ``phase``.

    ``where`` names the peer in the hint, e.g. ``"192.168.1.119:8082"``.
    Returns a :class:`Failure`; a Failure passed in is returned unchanged.
    """
    if isinstance(exc, Failure):
        return exc
    if phase not in _PHASES:
        raise ValueError("phase: expected one of %r, got %r" % (_PHASES, phase))
    code = errno_of(exc)
    return Failure(_kind(exc, phase, code), phase, code, where, exc)


def _kind(exc, phase, code):
    if isinstance(exc, MemoryError):  # the heap, whatever the phase: a lookup allocates too
        return NO_MEMORY
    if phase == DNS:
        return DNS
    if code in _NO_MEMORY:
        return NO_MEMORY
    if code == 100:  # ENETDOWN
        return NO_LINK
    if phase == ACCEPT and code == 103:
        # ECONNABORTED from accept() (the unix port): the peer reset the connection while
        # it waited in the backlog. (lwIP drops such a connection from its queue unseen.)
        return RESET
    if phase == CONNECT:
        if code in _REFUSED_CONNECT:
            # 104 means refused only on lwIP (its answer to a RST for the SYN); the unix
            # port says 111 for that, so 104 there is an accepted connection reset at once.
            return RESET if code == 104 and HOST else REFUSED
        if code in _TIMEOUT_CONNECT:
            return TIMEOUT
    else:
        if code in _RESET_ONLINE:
            return RESET
        if code in _TIMEOUT_ONLINE:
            return TIMEOUT
        if code == _TAKEN:
            return CLOSED
    if code in _UNREACHABLE:
        return UNREACHABLE
    if code in _CLOSED:
        return CLOSED
    if code is None and isinstance(exc, OSError):
        text = str(exc).lower()
        if "timeout" in text or "timed out" in text:  # DHCP's message; CPython's TimeoutError
            return TIMEOUT
    if phase == TLS:  # mbedTLS codes are negative; CPython's ssl errors are small numbers
        if code in _TLS_CUT:
            return RESET
        if code in _TLS_TIMEOUT:
            return TIMEOUT
        return TLS_ERROR
    return UNKNOWN
