"""Price export to Wildberries: upload tasks, followed to completion, errors per item.

WB prices are per good (nmID: price before discount + discount %), with per-size prices
through a separate task where the good allows it (`editableSizePrice`). An upload is a task
that waits in a buffer and is then processed; goods refused in processing are listed in the
task's history. The hub's (price, old_price) become price = old_price and discount =
round((1 - price/old_price) * 100) (see mapping.wb_price).

Values WB would refuse for the whole request (a discount out of 0..95, a price below 1) are
caught here and reported on their own items, so one bad item never fails the batch.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from marketbridge.channels.batching import batched
from marketbridge.channels.errors import BadResponse, ChannelError, RequestRejected, TransientError
from marketbridge.channels.paging import Page, offset_page, paginate
from marketbridge.channels.roles import ItemResult, PricePush
from marketbridge.channels.wildberries.client import WbApi
from marketbridge.channels.wildberries.mapping import MAX_DISCOUNT, dicts, guarded, wb_price

BATCH = 1000
#: 400 codes meaning "nothing to change": the prices are already what we asked.
ALREADY_SET = ("TheSpecifiedPricesAndDiscountsAreAlreadySet", "TheSpecifiedPricesAreAlreadySet")


@dataclass(frozen=True)
class GoodInfo:
    nm_id: int
    editable_size_price: bool


@dataclass
class _Row:
    item: PricePush
    nm_id: int
    price: int
    discount: int


async def goods_pages(api: WbApi) -> AsyncIterator[list[dict[str, Any]]]:
    """Every good of the prices API (with its sizes), a page at a time."""

    async def fetch(offset: Hashable) -> Page[dict[str, Any]]:
        assert isinstance(offset, int)
        body = await api.goods(limit=BATCH, offset=offset)
        return offset_page(dicts(body, "data", "listGoods"), offset, BATCH)

    async for goods in paginate(fetch, 0, what="wildberries goods"):
        yield goods


async def goods_index(api: WbApi) -> dict[str, GoodInfo]:
    """chrtID (WB's sizeID) -> the good it belongs to, from the prices API."""
    index: dict[str, GoodInfo] = {}
    async for goods in goods_pages(api):
        for good in goods:
            info = guarded("good", lambda g: GoodInfo(int(g["nmID"]), bool(g.get("editableSizePrice"))), good)
            for size in good.get("sizes") or []:
                index[str(size.get("sizeID"))] = info
    return index


async def _status(api: WbApi, upload_id: int) -> int | None:
    """The status of a processed task, None while it is still in the buffer."""
    try:
        body = await api.price_history(upload_id)
    except RequestRejected:
        return None  # not processed yet: the task is still in the buffer
    data = body.get("data") if isinstance(body, dict) else None
    if isinstance(data, dict) and data.get("status") is not None:
        return guarded("price task", lambda: int(data["status"]))
    return None


async def _processed(api: WbApi, upload_id: int, *, interval: float, timeout: float) -> int:
    """Wait for a task to leave the buffer; returns its status. Raises TransientError when it
    is still in the buffer after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    status = await _status(api, upload_id)
    while status is None:
        if time.monotonic() > deadline:
            raise TransientError(f"wildberries: price task {upload_id} still processing", code="pending")
        await asyncio.sleep(interval)
        status = await _status(api, upload_id)
    return status


async def follow_task(
    api: WbApi, upload_id: int, *, interval: float, timeout: float
) -> dict[tuple[int, int | None], str]:
    """Wait for a task to be processed; returns (nmID, sizeID) -> error text of refused goods.

    A refusal of a whole good is keyed (nmID, None). Raises TransientError when the task is
    still in the buffer after `timeout` seconds.
    """
    status = await _processed(api, upload_id, interval=interval, timeout=timeout)
    if status == 3:
        return {}
    if status == 4:
        raise ChannelError(f"wildberries: price task {upload_id} was cancelled", code="TaskCancelled")

    async def fetch(offset: Hashable) -> Page[dict[str, Any]]:
        assert isinstance(offset, int)
        page = await api.price_history_goods(upload_id, limit=BATCH, offset=offset)
        return offset_page(dicts(page, "data", "historyGoods"), offset, BATCH)

    refused: dict[tuple[int, int | None], str] = {}
    async for goods in paginate(fetch, 0, what=f"wildberries price task {upload_id}"):
        for good in goods:
            if good.get("status") == 3 or good.get("errorText"):
                size_id = good.get("sizeID")
                text = str(good.get("errorText") or "refused")
                refused[(int(good["nmID"]), None)] = text
                if size_id:
                    refused[(int(good["nmID"]), int(size_id))] = text
    return refused


def _upload_id(body: Any) -> int:
    if isinstance(body, dict) and isinstance(body.get("data"), dict):
        return guarded("price upload", lambda: int(body["data"]["id"]))
    raise BadResponse("wildberries: price upload answered without a task id")


class PricePusher:
    def __init__(self, api: WbApi, *, poll_interval: float = 1.0, poll_timeout: float = 120.0) -> None:
        self.api = api
        self.poll_interval = poll_interval
        self.poll_timeout = poll_timeout
        self.index: dict[str, GoodInfo] = {}

    async def push(self, items: Sequence[PricePush]) -> list[ItemResult]:
        results: dict[int, ItemResult] = {}
        if any(i.external_id not in self.index for i in items):
            try:
                self.index = await goods_index(self.api)
            except ChannelError as exc:  # e.g. a token without the prices category
                return [ItemResult(i.external_id, False, exc.code, str(exc), exc.retryable) for i in items]
        rows: list[tuple[int, _Row]] = []
        for n, item in enumerate(items):
            error = self._check(item)
            if error:
                results[n] = ItemResult(item.external_id, False, error[0], error[1])
                continue
            price, discount = wb_price(item.price, item.old_price)
            rows.append((n, _Row(item, self.index[item.external_id].nm_id, price, discount)))
        goods_rows, size_rows, refused_local = self._plan(rows)
        for n, code, message in refused_local:
            results[n] = ItemResult(items[n].external_id, False, code, message)
        await self._send(goods_rows, sizes=False, results=results, items=items)
        await self._send(size_rows, sizes=True, results=results, items=items)
        return [results.get(n) or ItemResult(item.external_id, True) for n, item in enumerate(items)]

    def _check(self, item: PricePush) -> tuple[str, str] | None:
        if item.external_id not in self.index:
            return "NotFound", f"size {item.external_id} is not on Wildberries"
        if item.price < 1:
            return "InvalidPriceValue", "price must be at least 1"
        _, discount = wb_price(item.price, item.old_price)
        if not 0 <= discount <= MAX_DISCOUNT:
            return "InvalidDiscountValue", f"discount {discount}% is out of 0..{MAX_DISCOUNT}"
        return None

    def _plan(
        self, rows: list[tuple[int, _Row]]
    ) -> tuple[
        list[tuple[list[int], dict[str, Any]]],
        list[tuple[list[int], dict[str, Any]]],
        list[tuple[int, str, str]],
    ]:
        """Goods rows and size rows (each with the input positions it covers), and refusals."""
        by_good: dict[int, list[tuple[int, _Row]]] = defaultdict(list)
        for n, row in rows:
            by_good[row.nm_id].append((n, row))
        goods_rows: list[tuple[list[int], dict[str, Any]]] = []
        size_rows: list[tuple[list[int], dict[str, Any]]] = []
        refused: list[tuple[int, str, str]] = []
        for nm_id, group in by_good.items():
            positions = [n for n, _ in group]
            prices = {r.price for _, r in group}
            discounts = {r.discount for _, r in group}
            first = group[0][1]
            if len(prices) == 1 and len(discounts) == 1:
                goods_rows.append(
                    (positions, {"nmID": nm_id, "price": first.price, "discount": first.discount})
                )
            elif len(discounts) == 1 and self.index[first.item.external_id].editable_size_price:
                goods_rows.append((positions, {"nmID": nm_id, "discount": first.discount}))
                for n, row in group:
                    size_rows.append(
                        ([n], {"nmID": nm_id, "sizeID": int(row.item.external_id), "price": row.price})
                    )
            else:
                for n in positions:
                    refused.append(
                        (n, "SizePricesNotEditable", "sizes of this good must share one price and discount")
                    )
        return goods_rows, size_rows, refused

    async def _send(
        self,
        planned: list[tuple[list[int], dict[str, Any]]],
        *,
        sizes: bool,
        results: dict[int, ItemResult],
        items: Sequence[PricePush],
    ) -> None:
        for chunk in batched(planned, BATCH):
            try:
                body = await self.api.price_task([row for _, row in chunk], sizes=sizes)
                refused = await follow_task(
                    self.api, _upload_id(body), interval=self.poll_interval, timeout=self.poll_timeout
                )
            except ChannelError as exc:
                if exc.code in ALREADY_SET or "already set" in str(exc):
                    continue
                for positions, _ in chunk:
                    for n in positions:
                        results.setdefault(
                            n, ItemResult(items[n].external_id, False, exc.code, str(exc), exc.retryable)
                        )
                continue
            for positions, row in chunk:
                key = (row["nmID"], row.get("sizeID"))
                text = refused.get(key) or refused.get((row["nmID"], None))
                if text:
                    for n in positions:
                        results[n] = ItemResult(items[n].external_id, False, "PriceRefused", text)
