from typing import Any

from .ethernet import _NIC
from .serving import Connection, Serving

class AsyncConnection(Connection):
    """A connection of an AsyncTCPServer: ``await conn.send(data)``."""

    async def send(self, data: bytes | bytearray | memoryview, n: int | None = None) -> None: ...

class AsyncTCPServer(Serving):
    """TCPServer as asyncio tasks (MicroPython's asyncio): ``await server.run()``; handler
    methods may be coroutines."""

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
    async def run(self) -> None: ...
    def stop(self) -> None: ...
