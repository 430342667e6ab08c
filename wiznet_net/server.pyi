from typing import Any

from .ethernet import _NIC
from .serving import Serving

class TCPServer(Serving):
    """A TCP server that serves up to ``max_clients`` connections on ``port``; ``handler``
    is one object for every connection, each method optional: ``on_connect(conn)``,
    ``on_data(conn, data)``, ``on_data_into(conn, buf, n)``,
    ``on_disconnect(conn, failure)``."""

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
    def run(self) -> None: ...
    def poll(self, timeout_ms: int | None = 0) -> int: ...
