from typing import Final

DROP_OLDEST: Final = "drop-oldest"
DROP_NEWEST: Final = "drop-newest"
RAISE: Final = "raise"

class Outbox:
    """A bounded queue (``size`` bytes) for data sent while disconnected; ``policy``:
    ``"drop-oldest"``, ``"drop-newest"`` or ``"raise"``."""

    size: int
    policy: str
    queued_bytes: int
    def __init__(self, size: int = 2048, policy: str = "drop-oldest") -> None: ...
    def __len__(self) -> int: ...
    def put(self, data: bytes | bytearray | memoryview) -> tuple[int, int]:
        """Queue ``data``; returns ``(messages dropped, bytes dropped)``."""
    def pop(self) -> bytes: ...
