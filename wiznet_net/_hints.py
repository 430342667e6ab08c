# The sentence Failure.hint gives for each kind of failure. Read only when a program asks
# for a hint, and dropped again after it (_compat.call_cold): the texts stay in flash,
# not in the RAM of a device that runs for months without failing.
from .failure import (
    ACCEPT,
    CLOSED,
    DNS,
    HANDLER,
    NO_LINK,
    NO_MEMORY,
    NTP,
    PROTOCOL,
    RECV,
    REFUSED,
    RESET,
    SEND,
    TIMEOUT,
    TLS_ERROR,
    UNKNOWN,
    UNREACHABLE,
)

_HINTS = {
    REFUSED: "nothing listens on %s - is the server started and the port right?",
    RESET: "%s reset the connection (server restarted, crashed or a firewall cut it)",
    TIMEOUT: "no answer from %s in time - is the host up, the address right, no firewall dropping?",
    UNREACHABLE: "no route to %s - check the IP address, netmask and gateway",
    DNS: "could not resolve %s - check the name and the DNS server (DHCP or nic(dns=...))",
    NO_LINK: "the Ethernet link is down - check the cable and the switch port",
    CLOSED: "the connection to %s is closed - data sent now is not delivered",
    NO_MEMORY: "the network stack ran out of sockets or buffers (lwIP's TCP slots on every rp2 WIZnet firmware)"
    " - close sockets you no longer need, send less at once",
    UNKNOWN: "unexpected error with %s - see the errno",
    TLS_ERROR: "TLS handshake with %s failed - check the certificate, server_hostname and the clock",
    PROTOCOL: "%s broke the message framing",
}
_IDLE = "%s sent nothing within the idle timeout - peer gone or connection half-open"
# chip-stack firmware (WIZNET5K without lwIP) hands out the chip's own sockets: EMFILE
# (on a PC the same number means the process has no file descriptor left)
_NO_SOCKET = (
    "every hardware socket of the chip is in use (W5500: 8, W5100S: 4, on chip-stack firmware;"
    " on a PC: every file descriptor of the process) - close sockets you no longer need"
)
# chip stack, 4 in connect: ioLibrary connect() reads Sn_IR, then Sn_SR - a timeout between
# the two reads looks like the RST of a refusal
_REFUSED_CHIP = _HINTS[REFUSED] + " (on chip-stack firmware this code may also be no answer at all)"
# chip stack, 5 once connected: SOCKERR_SOCKMODE, the chip socket reopened by the driver
_TAKEN = (
    "the connection to %s was ended by the firmware: its DHCP (chip socket 1) or DNS lookup"
    " (chip socket 2) took this chip socket - use an IP address, and fewer sockets while DHCP runs"
)
# a server's send waited send_timeout_ms for room: the peer stopped reading
_SEND_TIMEOUT = "%s did not take the data within send_timeout_ms - it stopped reading, or it is gone"
_ACCEPT_RESET = "%s reset its connection before the server accepted it (a port scan, or a client that gave up)"
_HANDLER = (
    "the handler raised an exception on the connection with %s (failure.cause): a bug in the"
    " program - that connection was closed, the others go on"
)
# lwIP's tcp_slowtmr gave up retransmitting on an open connection (errno 103)
_ABORTED = "%s stopped answering and the stack gave up retransmitting - peer gone or the link is down"
# closed in send with no errno: only Session._cut_short() makes that failure
_CUT = "a send to %s was interrupted part-way (Ctrl-C or a cancelled task): the connection was closed"
_HEAP = "the MicroPython heap is full or too fragmented - allocate buffers once, at start-up"
_NO_TIME = "no time server answered from %s - UDP port 123 blocked, no route to it, or a wrong name"
_CLOCK = " - and the board's clock says %d: set it first (wiznet_net.sync_time())"


def unauthenticated(where):
    # printed once by a client given tls=True, when it first connects
    return (
        "wiznet_net: TLS to %s is encrypted but NOT authenticated (tls=True): anything between the "
        "board and the server can pose as the server. Pass an SSLContext with verify_mode = "
        "ssl.CERT_REQUIRED and the server's certificate." % where
    )


def coroutine_handler(fn, server=False):
    return "handler: %r returned a coroutine (async def): %s calls plain methods; use %s" % (
        (fn,) + (("TCPServer", "wiznet_net.aioserver.AsyncTCPServer") if server else
                 ("ReconnectingTCPClient", "wiznet_net.aio.AsyncReconnectingTCPClient"))
    )


def hint(kind, phase, where, errno=None):
    if kind == NO_MEMORY:
        text = _HEAP if errno is None else _NO_SOCKET if errno == 24 else _HINTS[NO_MEMORY]
    elif kind == TIMEOUT and errno == 103 and phase in (RECV, SEND):
        text = _ABORTED
    elif kind == REFUSED and errno == 4:
        text = _REFUSED_CHIP
    elif kind == CLOSED and errno == 5:
        text = _TAKEN
    elif kind == CLOSED and phase == SEND and errno is None:
        text = _CUT
    elif kind == TIMEOUT and phase == SEND:
        text = _SEND_TIMEOUT
    elif kind == RESET and phase == ACCEPT:
        text = _ACCEPT_RESET
    elif phase == HANDLER:
        text = _HANDLER
    elif kind == TIMEOUT and phase == RECV:
        text = _IDLE
    elif kind == TIMEOUT and phase == NTP:
        text = _NO_TIME
    else:
        text = _HINTS.get(kind) or _HINTS[UNKNOWN]
    text = text % (where or "the peer") if "%s" in text else text
    if kind == TLS_ERROR:
        # A certificate is valid from a date; a board boots at 2021-01-01.
        import time

        year = time.gmtime()[0]
        if year < 2025:
            text += _CLOCK % year
    return text
