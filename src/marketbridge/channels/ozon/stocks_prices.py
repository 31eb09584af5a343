"""Ozon stocks and prices: pushes in batches with per-item results, and the price listing.

Stocks go to /v2/products/stocks (100 pairs a call, which needs each SKU's product id) and
prices to /v1/product/import/prices (1000 a call); Ozon answers one result per item, matched
back to the sent items here. Prices are read by /v5/product/info/prices (cursor paging), stocks
by /v1/product/info/stocks-by-warehouse/fbs (500 SKUs a call; for sale = present - reserved).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Hashable, Mapping, Sequence
from typing import Any

from marketbridge.channels.batching import batched, send_batches
from marketbridge.channels.endpoints import Endpoint
from marketbridge.channels.errors import BadResponse
from marketbridge.channels.ozon import endpoints as api
from marketbridge.channels.ozon import mapping
from marketbridge.channels.ozon.base import OzonBase
from marketbridge.channels.paging import Page, paginate, token_page
from marketbridge.channels.roles import ItemResult, PricePush, RemotePrice, RemoteStock, StockPush

#: Per-item error codes worth trying again later.
RETRYABLE_CODES = frozenset({"TOO_MANY_REQUESTS", "PRICE_IS_NOT_SENT", "product_is_not_created"})
#: The stock answer for a pair updated less than STOCK_PAIR_SECONDS ago.
PACED_CODE = "TOO_MANY_REQUESTS"


def _item_results(
    keys: Sequence[str], sent: Sequence[Mapping[str, Any]], answer: Mapping[str, Any], match: Sequence[str]
) -> list[ItemResult]:
    """One ItemResult per sent item, matched to `result[]` by the fields in `match`."""
    result = answer.get("result")
    if not isinstance(result, list):
        raise BadResponse("ozon: a batch answer without result[]")
    by_key: dict[tuple[str, ...], list[Mapping[str, Any]]] = {}
    for entry in result:
        if isinstance(entry, Mapping):
            by_key.setdefault(tuple(str(entry.get(f) or "") for f in match), []).append(entry)
    out = []
    for key, item in zip(keys, sent, strict=True):
        found = by_key.get(tuple(str(item.get(f) or "") for f in match))
        if not found:
            out.append(
                ItemResult(key=key, ok=False, code="no_result", message="Ozon did not report this item")
            )
            continue
        entry = found.pop(0)
        errors = [e for e in entry.get("errors") or [] if isinstance(e, Mapping)]
        if entry.get("updated") and not errors:
            out.append(ItemResult(key=key, ok=True))
            continue
        code = str(errors[0].get("code") or "not_updated") if errors else "not_updated"
        message = "; ".join(str(e.get("message") or e.get("code")) for e in errors) or "not updated"
        out.append(
            ItemResult(key=key, ok=False, code=code, message=message, retryable=code in RETRYABLE_CODES)
        )
    return out


class OzonStocksPrices(OzonBase):
    """StockSink, StockSource, PriceSink and PriceSource."""

    async def until_stock_call(self) -> None:
        await self.api.http.until_free(api.STOCKS)

    async def until_price_call(self) -> None:
        await self.api.http.until_free(api.PRICES)

    async def iter_stocks(
        self, external_ids: Sequence[str], warehouse_ids: Sequence[str]
    ) -> AsyncIterator[list[RemoteStock]]:
        wanted = set(warehouse_ids)
        skus = sorted({s for s in external_ids if s.isdigit()})
        for chunk in batched(skus, api.MAX_STOCK_READ_SKUS):
            answer = await self.api.call(api.STOCKS_BY_WAREHOUSE, {"sku": list(chunk)})
            page = []
            for row in mapping.items(answer.get("result"), "stocks by warehouse"):
                warehouse = str(row.get("warehouse_id") or "")
                if warehouse not in wanted:
                    continue
                on_sale = mapping.count(row, "present", "a stock row") - mapping.count(
                    row, "reserved", "a stock row"
                )
                page.append(RemoteStock(mapping.text(row, "sku", "a stock row"), warehouse, max(on_sale, 0)))
            if page:
                yield page

    async def iter_prices(self) -> AsyncIterator[list[RemotePrice]]:
        async def fetch(cursor: Hashable) -> Page[Mapping[str, Any]]:
            answer = await self.api.call(
                api.PRICE_INFO, {"filter": {"visibility": "ALL"}, "cursor": cursor, "limit": api.PAGE_SIZE}
            )
            page = mapping.items(answer.get("items"), "price items")
            return token_page(page, str(answer.get("cursor") or ""), has_next=len(page) >= api.PAGE_SIZE)

        async for page in paginate(fetch, "", what="ozon prices"):
            ids = [int(mapping.text(p, "product_id", "a price item")) for p in page]
            skus = {str(i.get("id")): str(i.get("sku")) for i in await self._infos(ids) if i.get("sku")}
            prices = [
                mapping.price(p, skus[str(p.get("product_id"))])
                for p in page
                if str(p.get("product_id")) in skus
            ]
            if prices:
                yield prices

    async def _push_batches(
        self,
        endpoint: Endpoint,
        field: str,
        size: int,
        entries: Sequence[tuple[str, dict[str, Any] | None]],
        match: tuple[str, ...],
    ) -> list[ItemResult]:
        """Send (key, item) pairs in batches of `size`; an item of None is refused locally."""

        async def send(batch: Sequence[tuple[str, dict[str, Any]]]) -> list[ItemResult]:
            items = [item for _, item in batch]
            answer = await self.api.call(endpoint, {field: items})
            return _item_results([k for k, _ in batch], items, answer, match)

        valid = [(k, item) for k, item in entries if item is not None]
        sent = iter(await send_batches(valid, size, lambda entry: entry[0], send))
        return [
            next(sent)
            if item is not None
            else ItemResult(key=key, ok=False, code="invalid", message="not a valid Ozon item")
            for key, item in entries
        ]

    async def _products_by_sku(self, skus: Sequence[str]) -> dict[str, int]:
        """sku -> product_id (Ozon's stock method wants both article and product id); cached for good."""
        wanted = sorted({s for s in skus if s.isdigit() and s not in self._product_of})
        for chunk in batched(wanted, api.MAX_INFO_IDS):
            answer = await self.api.call(api.PRODUCT_INFO, {"sku": list(chunk)})
            for info in mapping.items(answer.get("items"), "product info items"):
                sku, pid = info.get("sku"), info.get("id")
                if isinstance(pid, int) and not isinstance(pid, bool) and sku:
                    self._product_of[str(sku)] = pid
        return {s: self._product_of[s] for s in skus if s in self._product_of}

    async def push_stocks(self, items: Sequence[StockPush]) -> list[ItemResult]:
        products = await self._products_by_sku([s.external_id for s in items])
        entries: list[tuple[str, dict[str, Any] | None]] = []
        unknown: set[str] = set()
        for s in items:
            product_id = products.get(s.external_id)
            if product_id is None:
                unknown.add(s.external_id)
            ok = product_id is not None and s.warehouse_id.isdigit() and bool(s.offer_code)
            entries.append(
                (
                    s.external_id,
                    {
                        "offer_id": s.offer_code,
                        "product_id": product_id,
                        "quant_size": 1,
                        "warehouse_id": int(s.warehouse_id),
                        "stock": max(0, s.quantity),
                    }
                    if ok
                    else None,
                )
            )
        results = await self._push_batches(
            api.STOCKS, "stocks", api.MAX_STOCK_BATCH, entries, ("offer_id", "warehouse_id")
        )
        for r in results:
            if r.key in unknown:
                r.code, r.message = "offer_id_not_found", f"Ozon has no product with SKU {r.key}"
            elif r.code == PACED_CODE:  # one value per pair in 30 s: wait, not a refusal
                r.wait = api.STOCK_PAIR_SECONDS
        return results

    async def push_prices(self, items: Sequence[PricePush]) -> list[ItemResult]:
        entries: list[tuple[str, dict[str, Any] | None]] = [
            (
                p.external_id,
                {
                    "offer_id": p.offer_code,
                    "price": format(p.price, "f"),
                    "old_price": format(p.old_price, "f") if p.old_price else "0",
                    "min_price": format(p.min_price, "f") if p.min_price else "0",
                    "currency_code": p.currency,
                }
                if p.offer_code
                else None,
            )
            for p in items
        ]
        return await self._push_batches(api.PRICES, "prices", api.MAX_PRICE_BATCH, entries, ("offer_id",))
