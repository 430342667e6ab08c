from typing import Callable

class Backoff:
    """Exponential backoff with a cap and jitter: the n-th delay is drawn from
    ``[initial_ms, min(max_ms, initial_ms * factor**n)]``."""

    initial_ms: int
    factor: float
    max_ms: int
    jitter: float
    stable_ms: int
    attempt: int
    def __init__(
        self,
        initial_ms: int = 500,
        factor: float = 2,
        max_ms: int = 30000,
        jitter: float = 1.0,
        stable_ms: int = 10000,
        rand: Callable[[], float] | None = None,
    ) -> None: ...
    def reset(self) -> None: ...
    @property
    def ceiling_ms(self) -> int: ...
    def next_ms(self) -> int: ...
