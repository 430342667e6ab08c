from typing import Any, Callable

def sync_time(
    host: str = "pool.ntp.org",
    port: int = 123,
    timeout_ms: int = 5000,
    tries: int = 3,
    set_rtc: Callable[[tuple[int, int, int, int, int, int, int, int]], Any] | None = None,
    clock: Any = None,
) -> int: ...
