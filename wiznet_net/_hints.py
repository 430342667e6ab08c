# The sentence Failure.hint gives for each kind of failure. Read only when a program asks
# for a hint, and dropped again after it (_compat.call_cold): the texts stay in flash,
# not in the RAM of a device that runs for months without failing.
from .failure import (
    CLOSED,
    DNS,
    NO_LINK,
    NO_MEMORY,
    PROTOCOL,
    RECV,
    REFUSED,
    RESET,
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
    NO_MEMORY: "the stack ran out of buffers or sockets - close unused sockets (W5500: 8, W5100S: 4)",
    UNKNOWN: "unexpected error with %s - see the errno",
    TLS_ERROR: "TLS handshake with %s failed - check the certificate, server_hostname and the clock",
    PROTOCOL: "%s broke the message framing",
}
_IDLE = "%s sent nothing within the idle timeout - peer gone or connection half-open"


def hint(kind, phase, where):
    text = _IDLE if kind == TIMEOUT and phase == RECV else _HINTS.get(kind) or _HINTS[UNKNOWN]
    return text % (where or "the peer") if "%s" in text else text
