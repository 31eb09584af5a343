"""Batching: split items into the largest batches a method takes, one result per item.

`send_batches` isolates failures per batch: a ChannelError fails that batch's items (with
the error's code and whether it is worth retrying) and the next batch still goes out.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import TypeVar

from marketbridge.channels.errors import ChannelError
from marketbridge.channels.roles import ItemResult

T = TypeVar("T")


def batched(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """Consecutive slices of at most `size` items."""
    if size < 1:
        raise ValueError("a batch holds at least one item")
    for start in range(0, len(items), size):
        yield items[start : start + size]


def failed(keys: Sequence[str], error: ChannelError) -> list[ItemResult]:
    """The same failure for every key of a batch."""
    code = error.code or type(error).__name__
    return [
        ItemResult(key=k, ok=False, code=code, message=str(error), retryable=error.retryable) for k in keys
    ]


async def send_batches(
    items: Sequence[T],
    size: int,
    key: Callable[[T], str],
    send: Callable[[Sequence[T]], Awaitable[list[ItemResult]]],
) -> list[ItemResult]:
    """Send every batch; one ItemResult per item, in the order of `items`."""
    out: list[ItemResult] = []
    for batch in batched(items, size):
        try:
            results = await send(batch)
        except ChannelError as exc:
            results = failed([key(i) for i in batch], exc)
        out.extend(results)
    return out
