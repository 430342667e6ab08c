from typing import Any

from .backoff import Backoff
from .ethernet import _NIC
from .outbox import Outbox
from .session import Session

class AsyncReconnectingTCPClient(Session):
    """ReconnectingTCPClient as an asyncio task (MicroPython's asyncio): ``await
    client.run()``, ``await client.send(data)``; handler methods may be coroutines."""

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
        tls: None = None,
        server_hostname: str | None = None,
        clock: Any = None,
    ) -> None: ...
    async def run(self) -> None: ...
    def stop(self) -> None: ...
    async def send(self, data: bytes | bytearray | memoryview, n: int | None = None) -> None: ...
