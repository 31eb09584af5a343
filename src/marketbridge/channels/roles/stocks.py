"""Stock sink and stock source: available quantities per marketplace warehouse, pushed and read."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from marketbridge.channels.roles.common import ItemResult


@dataclass(frozen=True)
class StockPush:
    """One unit's available quantity in one marketplace warehouse.

    `barcode` is optional: the unit's first barcode as seen at import, for marketplaces
    that key stock by barcode (filled from the link; None where it was never seen).
    """

    external_id: str
    offer_code: str
    warehouse_id: str
    quantity: int
    barcode: str | None = None


class StockSink(Protocol):
    """Takes stock values. `stock_items_per_second` is the most values its limits let
    through per second (0: unknown); the scheduler and the benchmarks read it."""

    stock_items_per_second: float

    async def push_stocks(self, items: Sequence[StockPush]) -> list[ItemResult]: ...

    async def until_stock_call(self) -> None:
        """Return once a stock call could go out without waiting on the rate limit (reserving
        nothing). The pusher reads its batch after this, so changes made during the wait go
        in that call instead of the next one."""
        ...


@dataclass(frozen=True)
class RemoteStock:
    """The quantity a marketplace shows for sale of one unit in one of its warehouses."""

    external_id: str
    warehouse_id: str
    quantity: int


class StockSource(Protocol):
    """Reads the stock the marketplace shows (the stock import): for the given units in the
    given marketplace warehouses, pages of what is for sale there now (reserved units left out).
    A unit the marketplace holds no stock for in a warehouse may be missing from the pages."""

    def iter_stocks(
        self, external_ids: Sequence[str], warehouse_ids: Sequence[str]
    ) -> AsyncIterator[list[RemoteStock]]: ...
