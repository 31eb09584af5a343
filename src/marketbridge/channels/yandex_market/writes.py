"""Stock and price pushes: the newest stock method (v3, per partner warehouse) and business prices.

Both methods refuse a whole call for one bad item (400, an error per offer it does not
know), so the connector isolates such items: the offers the errors name fail and the rest
is sent again; when the errors name none, the batch is halved until the bad item stands
alone. Stock goes 2,000 items a call, paced by the method's 50 calls a minute; prices go
500 a call, counted per item against 10,000 a minute.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from marketbridge.channels.batching import send_batches
from marketbridge.channels.errors import RequestRejected
from marketbridge.channels.roles import ItemResult, PricePush, StockPush
from marketbridge.channels.yandex_market import endpoints as ep
from marketbridge.channels.yandex_market.base import YmBase

T = TypeVar("T", StockPush, PricePush)


def _named(message: str, codes: set[str]) -> set[str]:
    """The offer codes of `codes` a refusal's message names (as whole words)."""
    return {c for c in codes if re.search(rf"(?<![\w-]){re.escape(c)}(?![\w-])", message)}


async def isolate(items: Sequence[T], send: Callable[[Sequence[T]], Awaitable[None]]) -> list[ItemResult]:
    """Send `items` in one call; on a refusal, fail the items it names (or halve) and send the rest."""
    if not items:
        return []
    try:
        await send(items)
    except RequestRejected as exc:
        if exc.status != 400:
            raise
        named = _named(str(exc), {i.offer_code for i in items})
        if len(items) == 1 or named:
            bad = [i for i in items if i.offer_code in named] or list(items)
            rest = [i for i in items if i not in bad]
            failed = {
                i.external_id: ItemResult(i.external_id, False, exc.code or "rejected", str(exc)) for i in bad
            }
            done = {r.key: r for r in await isolate(rest, send)}
            return [failed.get(i.external_id) or done[i.external_id] for i in items]
        middle: int = len(items) // 2
        return [*await isolate(items[:middle], send), *await isolate(items[middle:], send)]
    return [ItemResult(i.external_id, True) for i in items]


class YmWrites(YmBase):
    """StockSink and PriceSink."""

    async def _send_stocks(self, items: Sequence[StockPush]) -> None:
        body = {
            "skuItems": [
                {"sku": i.offer_code, "partnerWarehouseId": int(i.warehouse_id), "count": max(0, i.quantity)}
                for i in items
            ]
        }
        await self.api.call(ep.STOCKS_V3_UPDATE, path={"businessId": self.business_id}, body=body)

    async def until_stock_call(self) -> None:
        await self.api.http.until_free(ep.STOCKS_V3_UPDATE)

    async def until_price_call(self) -> None:
        await self.api.http.until_free(ep.BUSINESS_PRICES_UPDATE)

    async def push_stocks(self, items: Sequence[StockPush]) -> list[ItemResult]:
        good = [i for i in items if i.warehouse_id.isdigit()]
        local = {
            i.external_id: ItemResult(
                i.external_id, False, "bad_warehouse", f"not a warehouse id: {i.warehouse_id!r}"
            )
            for i in items
            if not i.warehouse_id.isdigit()
        }

        async def batch(chunk: Sequence[StockPush]) -> list[ItemResult]:
            return await isolate(chunk, self._send_stocks)

        sent = {r.key: r for r in await send_batches(good, ep.MAX_ITEMS["stocks_v3_update"], _key, batch)}
        return [local.get(i.external_id) or sent[i.external_id] for i in items]

    async def _send_prices(self, items: Sequence[PricePush]) -> None:
        offers = []
        for i in items:
            price: dict[str, object] = {"value": float(i.price), "currencyId": "RUR"}
            if i.old_price is not None and i.old_price > i.price:
                price["discountBase"] = float(i.old_price)
            offers.append({"offerId": i.offer_code, "price": price})
        await self.api.call(
            ep.BUSINESS_PRICES_UPDATE,
            path={"businessId": self.business_id},
            body={"offers": offers},
            cost=len(items),
        )

    async def push_prices(self, items: Sequence[PricePush]) -> list[ItemResult]:
        async def batch(chunk: Sequence[PricePush]) -> list[ItemResult]:
            return await isolate(chunk, self._send_prices)

        return await send_batches(items, ep.MAX_ITEMS["business_prices_update"], _key, batch)


def _key(item: StockPush | PricePush) -> str:
    return item.external_id
