from typing import Any

from .failure import Failure

class _Framer:
    handler: Any
    messages: int
    cut: int
    def on_connect(self, client: Any) -> None: ...
    def on_disconnect(self, client: Any, failure: Failure | None) -> None: ...

class Lines(_Framer):
    """Newline-delimited messages: ``handler.on_message(client, line)`` per line."""

    max_line: int
    sep: bytes
    def __init__(self, handler: Any, max_line: int = 256, sep: bytes = b"\n") -> None: ...
    def send(self, client: Any, line: bytes | bytearray | memoryview) -> None: ...
    def on_data_into(self, client: Any, data: bytearray | memoryview, n: int) -> None: ...

class LengthPrefixed(_Framer):
    """Length-prefixed messages: ``handler.on_message(client, payload)`` per frame."""

    max_frame: int
    header: int
    def __init__(self, handler: Any, max_frame: int = 1024, header: int = 2) -> None: ...
    def send(self, client: Any, payload: bytes | bytearray | memoryview) -> None: ...
    def on_data_into(self, client: Any, data: bytearray | memoryview, n: int) -> None: ...
