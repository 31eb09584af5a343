"""Waiting inside one channel call for a marketplace's asynchronous step (a check, a document).

`attempts` yields attempt numbers with pauses growing from `first` to `most` seconds until
`patience` seconds have passed; the caller asks the marketplace once per attempt and stops
when the step is done, and raises TransientError when the attempts run out (the sync layer
or the user tries again later).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator


async def attempts(patience: float, first: float = 0.5, most: float = 5.0) -> AsyncIterator[int]:
    """Attempt numbers, with pauses growing from `first` to `most` seconds, for `patience` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + patience
    pause, attempt = first, 0
    while True:
        yield attempt
        attempt += 1
        left = deadline - loop.time()
        if left <= 0:
            return
        await asyncio.sleep(min(pause, left))
        pause = min(pause * 2, most)
