from typing import Any

from .backoff import Backoff
from .ethernet import _NIC
from .outbox import Outbox
from .session import Session

def wrap_tls(ctx: Any, sock: Any, server_hostname: str | None) -> Any: ...

class ReconnectingTCPClient(Session):
    """A TCP client that stays connected to ``host:port``. ``handler`` is any object;
    each of these methods is optional: ``on_connecting(client)``, ``on_connect(client)``,
    ``on_data(client, data)``, ``on_data_into(client, buf, n)``,
    ``on_disconnect(client, failure)``, ``on_connect_failed(client, failure, retry_in_ms)``,
    ``on_heartbeat(client)``."""

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
    def run(self) -> None:
        """Connect and serve until stop()."""
    def poll(self, timeout_ms: int | None = 0) -> bool:
        """One step, waiting at most ``timeout_ms`` (negative or None: until there is
        something to do); returns whether connected."""
    def send(self, data: bytes | bytearray | memoryview, n: int | None = None) -> None:
        """Send every byte of ``data`` (or its first ``n``)."""
