"""Prices and discounts API of the sandbox: upload tasks, their buffer and history, goods lists.

An upload is checked for format at once (the whole request fails with 400 on a bad value,
or when every good already has the price and discount asked; the same goods sent again while
their task waits in the buffer get 208 with that task's id); the goods are then applied
after PRICE_TASK_SECONDS (timing switch) in the buffer. A good whose new
discounted price is at least three times lower than its current one is refused in
processing (WB's price quarantine; not for size prices) and reported in the history.
A good the fault menu refuses (`price_refused`) is one WB has put in its sale for goods
with high inventory: the goods list shows `isBadTurnover`, and a price change of it is
refused in processing with WB's text for that rule.
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import JSONResponse

from marketbridge.channels.wildberries import endpoints as ep
from marketbridge.sandbox.common.faults import Faults
from marketbridge.sandbox.common.timing import Timing
from marketbridge.sandbox.wildberries.endpoints import route
from marketbridge.sandbox.wildberries.errors import WbError
from marketbridge.sandbox.wildberries.shop import PRICE_TASK_SECONDS, Shop, json_body, query_int
from marketbridge.sandbox.wildberries.state import (
    Card,
    PriceGood,
    PriceTask,
    ShopState,
    iso_seconds,
    now_utc,
    unit_code,
)

MAX_GOODS = 1000
MAX_DISCOUNT = 95
#: A new discounted price at least this many times lower than the old one goes to quarantine.
QUARANTINE_FACTOR = 3
#: WB's error text for it in the upload history (the spec's example of `errorText`).
QUARANTINE_ERROR = (
    "The new price is several times lower than the current price. Item has been moved to Price Quarantine"
)
#: WB's history text for a good in the sale for goods with high inventory (the spec's example).
BAD_TURNOVER_ERROR = "You can't change the item price. Item was added to the Sale due to high inventory"


def _ok(data: Any) -> dict[str, Any]:
    return {"data": data, "error": False, "errorText": ""}


def _final(price: int, discount: int) -> float:
    return price * (100 - discount) / 100


def bad_turnover(card: Card, faults: Faults) -> bool:
    """Whether the card is in WB's sale for goods with high inventory (set through the fault menu)."""
    codes = {card.vendor_code, *(unit_code(card, s) for s in card.sizes)}
    return any(faults.price_refused(code) for code in codes)


def _apply_good(state: ShopState, good: PriceGood, faults: Faults) -> None:
    card = state.cards.get(good.nm_id)
    if card is None:
        good.status, good.error = 3, "Item not found"
        return
    if bad_turnover(card, faults):
        good.status, good.error = 3, BAD_TURNOVER_ERROR
        return
    sizes = [s for s in card.sizes if good.size_id is None or s.chrt_id == good.size_id]
    if not sizes:
        good.status, good.error = 3, "Size not found"
        return
    if good.size_id is not None and not card.editable_size_price:
        good.status, good.error = 3, "Size prices can't be set for this item"
        return
    discount = card.discount if good.discount is None else good.discount
    for size in sizes:
        price = size.price if good.price is None else good.price
        quarantined = _final(price, discount) * QUARANTINE_FACTOR <= _final(size.price, card.discount)
        if size.price and good.size_id is None and quarantined:  # no quarantine for size prices
            good.status, good.error = 3, QUARANTINE_ERROR
            return
    for size in sizes:
        if good.price is not None:
            size.price = good.price
    card.discount = discount
    good.status = 2


def _already_set(state: ShopState, good: PriceGood) -> bool:
    """Whether a good (or size) already has exactly the price and discount asked."""
    card = state.cards[good.nm_id]
    if good.discount is not None and good.discount != card.discount:
        return False
    sizes = [s for s in card.sizes if good.size_id is None or s.chrt_id == good.size_id]
    return bool(sizes) and all(good.price is None or s.price == good.price for s in sizes)


def _signature(goods: list[PriceGood]) -> tuple[tuple[int, int | None, int | None, int | None], ...]:
    return tuple(sorted((g.nm_id, g.size_id, g.price, g.discount) for g in goods))


def process_price_tasks(state: ShopState, faults: Faults) -> None:
    moment = time.monotonic()
    for task in state.price_tasks.values():
        if task.processed or task.ready_at > moment:
            continue
        task.processed = True
        for good in task.goods:
            _apply_good(state, good, faults)
        failed = sum(1 for g in task.goods if g.status == 3)
        task.status = 3 if failed == 0 else (6 if failed == len(task.goods) else 5)


def _parse_goods(body: Any, by_size: bool) -> list[PriceGood]:
    rows = body.get("data") if isinstance(body, dict) else None
    if not isinstance(rows, list):
        raise WbError(400, "InvalidDataFormat", "Invalid data format")
    if not rows:
        raise WbError(400, "EmptyData", "Empty data")
    if len(rows) > MAX_GOODS:
        raise WbError(
            400, "UploadLimitExceeded", "Upload limit exceeded: You can upload a maximum of 1000 items"
        )
    goods: list[PriceGood] = []
    seen: set[tuple[int, int | None]] = set()
    for row in rows:
        if not isinstance(row, dict) or not isinstance(row.get("nmID"), int):
            raise WbError(400, "InvalidItemNo", "Invalid item No.")
        price, discount, size_id = row.get("price"), row.get("discount"), row.get("sizeID")
        if by_size and not isinstance(size_id, int):
            raise WbError(400, "InvalidDataFormat", "Invalid data format")
        if price is None and discount is None:
            raise WbError(400, "PriceAndDiscountNotSpecified", "Price and discount not specified")
        if price is not None:
            if isinstance(price, float) and not price.is_integer():
                raise WbError(400, "PriceShouldBeAWholeNumber", "Price should be a whole number")
            if not isinstance(price, int | float) or isinstance(price, bool) or price <= 0:
                raise WbError(400, "InvalidPriceValue", "Invalid price value")
            price = int(price)
        if discount is not None and (
            not isinstance(discount, int) or isinstance(discount, bool) or not 0 <= discount <= MAX_DISCOUNT
        ):
            raise WbError(400, "InvalidDiscountValue", "Invalid discount value")
        key = (row["nmID"], size_id if by_size else None)
        if key in seen:
            code = "DuplicateSizeIDs" if by_size else "DuplicateItemNos"
            raise WbError(400, code, "Duplicate size IDs" if by_size else "Duplicate item Nos.")
        seen.add(key)
        goods.append(PriceGood(row["nmID"], price, discount, size_id if by_size else None))
    return goods


def _history_good(state: ShopState, good: PriceGood) -> dict[str, Any]:
    card: Card | None = state.cards.get(good.nm_id)
    found = state.size_of(good.size_id) if good.size_id else None
    size = found[1] if found else None
    return {
        "nmID": good.nm_id,
        "vendorCode": card.vendor_code if card else "",
        "sizeID": good.size_id or (card.sizes[0].chrt_id if card and card.sizes else 0),
        "techSizeName": size.tech_size if size else "",
        "price": good.price or 0,
        "currencyIsoCode4217": "RUB",
        "discount": good.discount or 0,
        "clubDiscount": 0,
        "status": good.status,
        "errorText": good.error,
    }


def _upload_routes(api: APIRouter, state: ShopState, timing: Timing) -> None:
    """Price and discount upload tasks, per good and per size."""

    async def _upload(request: Request, by_size: bool) -> Any:
        body = await json_body(request)
        goods = _parse_goods(body, by_size)
        known = [g for g in goods if g.nm_id in state.cards]
        if not known:
            raise WbError(
                400,
                "AllItemNosAreSpecifiedIncorrectlyOrPricesAndDiscounts",
                "All item Nos. are specified incorrectly, or the specified prices and discounts are already set",
            )
        if len(known) == len(goods) and all(_already_set(state, g) for g in goods):
            code = (
                "TheSpecifiedPricesAreAlreadySet"
                if by_size
                else "TheSpecifiedPricesAndDiscountsAreAlreadySet"
            )
            raise WbError(400, code, "The specified prices and discounts are already set")
        kind = "size" if by_size else "goods"
        signature = _signature(goods)
        for waiting in state.price_tasks.values():
            if not waiting.processed and waiting.kind == kind and _signature(waiting.goods) == signature:
                return JSONResponse(
                    {"data": {"id": waiting.id, "alreadyExists": True}, "error": False,
                     "errorText": "This task already exists"},
                    status_code=208,
                )  # fmt: skip
        task_id = state.next_id(500_000_000)
        state.price_tasks[task_id] = PriceTask(
            id=task_id,
            uploaded_at=now_utc(),
            ready_at=time.monotonic() + timing.of(PRICE_TASK_SECONDS),
            goods=goods,
            kind=kind,
        )
        return _ok({"id": task_id, "alreadyExists": False})

    @route(api, ep.PRICE_TASK)
    async def upload_goods(request: Request) -> Any:
        return await _upload(request, by_size=False)

    @route(api, ep.PRICE_TASK_SIZE)
    async def upload_sizes(request: Request) -> Any:
        return await _upload(request, by_size=True)


def _task_routes(api: APIRouter, state: ShopState, faults: Faults) -> None:
    """Upload tasks and their goods, processed (history) or waiting (buffer)."""

    def _task(request: Request, processed: bool) -> PriceTask:
        process_price_tasks(state, faults)
        upload_id = query_int(request, "uploadID", low=0)
        task = state.price_tasks.get(upload_id)
        if task is None or task.processed != processed:
            raise WbError(400, "InvalidRequestParameters", "Invalid request parameters")
        return task

    def _meta(task: PriceTask) -> dict[str, Any]:
        return {
            "uploadID": task.id,
            "status": task.status,
            "uploadDate": iso_seconds(task.uploaded_at),
            "activationDate": iso_seconds(task.uploaded_at),
            "overAllGoodsNumber": len(task.goods),
            "successGoodsNumber": sum(1 for g in task.goods if g.status == 2),
        }

    @route(api, ep.PRICE_HISTORY)
    def history_task(request: Request) -> Any:
        return _ok(_meta(_task(request, processed=True)))

    @route(api, ep.PRICE_BUFFER)
    def buffer_task(request: Request) -> Any:
        return _ok(_meta(_task(request, processed=False)))

    def _goods(request: Request, processed: bool) -> Any:
        limit = query_int(request, "limit", low=1, high=1000)
        offset = query_int(request, "offset", default=0, low=0)
        task = _task(request, processed)
        rows = [_history_good(state, g) for g in task.goods[offset : offset + limit]]
        key = "historyGoods" if processed else "bufferGoods"
        return {"data": {"uploadID": task.id, key: rows}}  # these two answers carry only `data`

    @route(api, ep.PRICE_HISTORY_GOODS)
    def history_goods(request: Request) -> Any:
        return _goods(request, processed=True)

    @route(api, ep.PRICE_BUFFER_GOODS)
    def buffer_goods(request: Request) -> Any:
        return _goods(request, processed=False)


def _good_json(card: Card, faults: Faults) -> dict[str, Any]:
    return {
        "nmID": card.nm_id,
        "vendorCode": card.vendor_code,
        "sizes": [
            {
                "sizeID": s.chrt_id,
                "price": s.price,
                "discountedPrice": _final(s.price, card.discount),
                "clubDiscountedPrice": _final(s.price, card.discount),
                "techSizeName": s.tech_size,
            }
            for s in card.sizes
        ],
        "currencyIsoCode4217": "RUB",
        "discount": card.discount,
        "clubDiscount": 0,
        "editableSizePrice": card.editable_size_price,
        "isBadTurnover": bad_turnover(card, faults),
    }


def _goods_routes(api: APIRouter, state: ShopState, faults: Faults) -> None:
    """Goods with their prices and sizes."""

    @route(api, ep.GOODS)
    def goods_filter(request: Request) -> Any:
        process_price_tasks(state, faults)
        limit = query_int(request, "limit", low=1, high=1000)
        offset = query_int(request, "offset", default=0, low=0)
        nm_filter = request.query_params.get("filterNmID")
        cards = sorted(state.cards.values(), key=lambda c: c.nm_id)
        if nm_filter:
            cards = [c for c in cards if str(c.nm_id) == nm_filter]
        return _ok({"listGoods": [_good_json(c, faults) for c in cards[offset : offset + limit]]})

    @route(api, ep.GOODS_SIZES)
    def goods_sizes(request: Request) -> Any:
        process_price_tasks(state, faults)
        nm_id = query_int(request, "nmID", low=1)
        limit = query_int(request, "limit", low=1, high=1000)
        offset = query_int(request, "offset", default=0, low=0)
        card = state.cards.get(nm_id)
        if card is None:
            return JSONResponse(_ok({"listGoods": []}))
        rows = [
            {
                "nmID": card.nm_id,
                "sizeID": s.chrt_id,
                "vendorCode": card.vendor_code,
                "price": s.price,
                "currencyIsoCode4217": "RUB",
                "discountedPrice": _final(s.price, card.discount),
                "clubDiscountedPrice": _final(s.price, card.discount),
                "discount": card.discount,
                "clubDiscount": 0,
                "techSizeName": s.tech_size,
                "editableSizePrice": card.editable_size_price,
            }
            for s in card.sizes[offset : offset + limit]
        ]
        return _ok({"listGoods": rows})


def router(shop: Shop) -> APIRouter:
    api = APIRouter()
    _upload_routes(api, shop.state, shop.timing)
    for add_routes in (_task_routes, _goods_routes):
        add_routes(api, shop.state, shop.faults)
    return api
