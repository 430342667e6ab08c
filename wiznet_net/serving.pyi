from typing import Any, Final

from .ethernet import _NIC
from .failure import Failure

ACCEPT_PAUSE_MS: Final[int]

def poller() -> Any: ...

class Connection:
    """One client of a server, handed to every handler method."""

    server: Any
    socket: Any
    peer: tuple[str, int]
    state: Any
    connected: bool
    stopped: bool
    stats: dict[str, Any]  # the server's counters, shared by all its connections
    def __init__(self, server: Any, sock: Any, peer: tuple[str, int], buf: bytearray) -> None: ...
    def send(self, data: bytes | bytearray | memoryview, n: int | None = None) -> Any: ...
    def close(self) -> None: ...
    def disconnect(self, failure: Failure | None = None) -> Failure | None: ...

class Serving:
    """What both servers share (TCPServer, AsyncTCPServer)."""

    port: int
    handler: Any
    bind: str
    max_clients: int
    idle_timeout_ms: int | None
    send_timeout_ms: int
    nic: _NIC | None
    backlog: int
    rxbuf: int
    clients: int
    stopped: bool
    stats: dict[str, Any]
    def __init__(
        self,
        port: int,
        handler: Any,
        bind: str = "0.0.0.0",
        max_clients: int = 4,
        idle_timeout_ms: int | None = 30000,
        send_timeout_ms: int = 2000,
        nic: _NIC | None = None,
        backlog: int = 2,
        rxbuf: int = 1024,
        clock: Any = None,
    ) -> None: ...
    def start(self) -> None: ...
    def stop(self) -> None: ...
