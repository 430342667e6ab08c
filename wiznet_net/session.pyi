from typing import Any, Final

from .backoff import Backoff
from .ethernet import _NIC
from .failure import Failure
from .outbox import Outbox

CHIP_STACK_IDLE_MS: Final[int]

class Session:
    """What both clients share (ReconnectingTCPClient, AsyncReconnectingTCPClient)."""

    host: str
    port: int
    handler: Any
    backoff: Backoff
    connect_timeout_ms: int | None
    idle_timeout_ms: int | None
    heartbeat_ms: int | None
    send_timeout_ms: int
    max_attempts: int | None
    nic: _NIC | None
    outbox: Outbox | None
    tls: Any
    server_hostname: str
    socket: Any
    connected: bool
    stopped: bool
    stats: dict[str, Any]
    def __init__(
        self,
        host: str,
        port: int,
        handler: Any,
        backoff: Backoff | None = None,
        connect_timeout_ms: int | None = 5000,
        idle_timeout_ms: int | None = None,
        nic: _NIC | None = None,
        max_attempts: int | None = None,
        send_timeout_ms: int | None = None,
        rxbuf: int | bytearray = 1024,
        copy: bool = True,
        heartbeat_ms: int | None = None,
        outbox: Outbox | None = None,
        tls: Any = None,
        server_hostname: str | None = None,
        clock: Any = None,
    ) -> None: ...
    def start(self) -> None: ...
    def stop(self) -> None: ...
    def disconnect(self, failure: Failure | None = None) -> Failure | None: ...
