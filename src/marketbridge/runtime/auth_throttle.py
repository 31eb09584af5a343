"""Failed credential checks counted per client address, so a key cannot be guessed at speed.

An address that failed LIMIT times (a wrong API key, a wrong dashboard login) within WINDOW
seconds is refused until its oldest failure leaves the window; a correct key from it is
refused too meanwhile (otherwise guessing could go on). The counts live in the process, each
process counting its own (documented in docs/security.md); at most ADDRESSES addresses are
remembered, the least recently failing forgotten first.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

from marketbridge.runtime.lru import LruDict

LIMIT = 20
WINDOW = 60.0
ADDRESSES = 100_000


class FailureThrottle:
    def __init__(
        self, limit: int = LIMIT, window: float = WINDOW, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._failures: LruDict[str, deque[float]] = LruDict(ADDRESSES)

    def _recent(self, address: str) -> deque[float]:
        times = self._failures.get(address) or deque()
        now = self.clock()
        while times and now - times[0] >= self.window:
            times.popleft()
        return times

    def retry_after(self, address: str) -> int:
        """Whole seconds until the address may try again; 0 when it may now."""
        times = self._recent(address)
        if len(times) < self.limit:
            return 0
        return max(1, math.ceil(self.window - (self.clock() - times[0])))

    def failed(self, address: str) -> None:
        times = self._recent(address)
        times.append(self.clock())
        self._failures[address] = times
