# How long to wait before the next connection attempt. A fixed 2 s retry hammers a dead
# server forever and makes a fleet of devices reconnect in lockstep after an outage;
# exponential growth with a cap spreads the load, jitter breaks the lockstep.
from ._compat import call_cold, default_rand


class Backoff:
    """Exponential backoff with a cap and jitter.

    The n-th delay (n = 0, 1, ...) is drawn from ``[initial_ms, ceiling_n]`` where
    ``ceiling_n = min(max_ms, initial_ms * factor**n)``; ``jitter`` (0.0-1.0) is the
    fraction of that range that is random: 1.0 ("full jitter", the default) draws
    uniformly from the whole range, 0.0 always waits the ceiling. Delays never fall
    below ``initial_ms``, so even an unlucky draw is no tight loop.

    ``stable_ms``: a connection that stays up this long (or delivers data and lasts at
    least ``initial_ms``) counts as healthy and the client calls :meth:`reset`; one that
    drops sooner does not, so a server that accepts and drops at once (a banner first or
    not) is retried with growing delays.

    ``rand``: a function returning a float in [0, 1); inject one to make tests
    deterministic.
    """

    def __init__(self, initial_ms=500, factor=2, max_ms=30000, jitter=1.0, stable_ms=10000, rand=None):
        # A given rand is asked once there and checked; its answer is the first draw.
        self._first = call_cold("_checks", "backoff_args", initial_ms, factor, max_ms, jitter, stable_ms, rand)
        self.initial_ms = initial_ms
        self.factor = factor
        self.max_ms = max_ms
        self.jitter = jitter
        self.stable_ms = stable_ms
        self._rand = rand or default_rand
        self.reset()

    def reset(self):
        """Start again from ``initial_ms`` (after a healthy connection)."""
        self.attempt = 0  # delays handed out since the last reset
        self._ceiling = self._grown = self.initial_ms

    @property
    def ceiling_ms(self):
        """The upper bound of the next delay."""
        return self._ceiling

    def next_ms(self):
        """The delay before the next attempt, in ms; each call moves one step on."""
        ceiling = self._ceiling
        r = self._first
        if r is None:
            r = self._rand()
            if not 0 <= r <= 1:  # an injected rand gone wrong: never a negative delay
                r = 0 if r < 0 else 1
        else:
            self._first = None
        delay = ceiling - int(self.jitter * r * (ceiling - self.initial_ms))
        self.attempt += 1
        # The ceiling is initial_ms * factor**n, kept unrounded: grown from the int it
        # hands out, 10 ms * 1.05 would round back to 10 ms for ever. Capped before it
        # can outgrow max_ms (an int factor keeps it an int).
        grown = self._grown * self.factor
        if grown < self.max_ms:
            self._grown = grown
            self._ceiling = int(grown)
        else:
            self._grown = self._ceiling = self.max_ms
        return delay

    def __repr__(self):
        return "Backoff(initial_ms=%d, factor=%r, max_ms=%d, jitter=%r, stable_ms=%d)" % (
            self.initial_ms,
            self.factor,
            self.max_ms,
            self.jitter,
            self.stable_ms,
        )
