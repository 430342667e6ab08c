from typing import Final

DNS: Final = "dns"
CONNECT: Final = "connect"
RECV: Final = "recv"
SEND: Final = "send"
LINK: Final = "link"
TLS: Final = "tls"
NTP: Final = "ntp"
ACCEPT: Final = "accept"
HANDLER: Final = "handler"

REFUSED: Final = "refused"
RESET: Final = "reset"
TIMEOUT: Final = "timeout"
UNREACHABLE: Final = "unreachable"
NO_LINK: Final = "no_link"
CLOSED: Final = "closed"
NO_MEMORY: Final = "no_memory"
UNKNOWN: Final = "unknown"
TLS_ERROR: Final = "tls"
PROTOCOL: Final = "protocol"

class Failure(OSError):
    """A classified network failure; an OSError. ``kind``: refused, reset, timeout,
    unreachable, dns, no_link, closed, no_memory, tls, protocol or unknown. ``phase``:
    dns, connect, tls, recv, send, link, ntp; for a server also accept or
    handler."""

    kind: str
    phase: str
    errno: int | None
    cause: BaseException | None
    retryable: bool
    def __init__(
        self,
        kind: str,
        phase: str,
        errno: int | None = None,
        where: str | None = None,
        cause: BaseException | None = None,
        hint: str | None = None,
    ) -> None: ...
    @property
    def hint(self) -> str:
        """One sentence to act on."""

def errno_of(exc: BaseException) -> int | None: ...
def classify(exc: BaseException, phase: str = "connect", where: str | None = None) -> Failure:
    """What ``exc`` means where it happened (``phase``), as a :class:`Failure`."""
