"""Price sink and price source: the hub's price types to the marketplace's, and back."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from marketbridge.channels.roles.common import ItemResult


@dataclass(frozen=True)
class PricePush:
    external_id: str
    offer_code: str
    price: Decimal
    old_price: Decimal | None = None
    min_price: Decimal | None = None
    currency: str = "RUB"


@dataclass
class RemotePrice:
    external_id: str
    offer_code: str
    price: Decimal
    old_price: Decimal | None = None
    min_price: Decimal | None = None
    currency: str = "RUB"


class PriceSink(Protocol):
    """Takes prices (the price to pay, the crossed-out one, the lowest allowed)."""

    async def push_prices(self, items: Sequence[PricePush]) -> list[ItemResult]: ...

    async def until_price_call(self) -> None:
        """Return once a price call could go out without waiting on the rate limit (reserving
        nothing); see StockSink.until_stock_call."""
        ...


class PriceSource(Protocol):
    """Reads the prices the marketplace holds (the price import)."""

    def iter_prices(self) -> AsyncIterator[list[RemotePrice]]: ...
