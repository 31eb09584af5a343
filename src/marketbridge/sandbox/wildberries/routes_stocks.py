"""Seller warehouses, WB offices and stocks per seller warehouse.

`PUT /api/v3/stocks/{warehouseId}` takes up to 1000 items keyed by `chrtId` (or the old
`sku` barcode). It is all or nothing, as on WB: 204 when every item is good, otherwise 409
with a list of errors, each naming its items in `data`, and nothing is changed.
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from marketbridge.channels.wildberries import endpoints as ep
from marketbridge.sandbox.wildberries.endpoints import WarehouseId, route
from marketbridge.sandbox.wildberries.errors import WbError
from marketbridge.sandbox.wildberries.shop import Shop, json_body
from marketbridge.sandbox.wildberries.state import ShopState

MAX_ITEMS = 1000
MAX_AMOUNT = 100_000


def _warehouse(state: ShopState, raw: str) -> int:
    if not raw.isdigit() or int(raw) not in state.warehouses:
        raise WbError(404, "NotFound", "")
    return int(raw)


def _resolve(state: ShopState, item: dict[str, Any]) -> int | None:
    chrt = item.get("chrtId")
    if isinstance(chrt, int) and not isinstance(chrt, bool):
        return chrt if chrt in state.by_chrt else None
    sku = item.get("sku")
    if isinstance(sku, str):
        return state.by_sku.get(sku)
    return None


def _item_ref(state: ShopState, item: dict[str, Any], chrt: int | None) -> dict[str, Any]:
    """How a 409 names an item: its barcode and amount (the spec's fields, no chrtId)."""
    sku = item.get("sku")
    if not isinstance(sku, str):
        found = state.size_of(chrt) if chrt else None
        sku = found[1].skus[0] if found and found[1].skus else ""
    return {"sku": sku, "amount": item.get("amount")}


def _items(body: Any, key: str = "stocks") -> list[dict[str, Any]]:
    rows = body.get(key) if isinstance(body, dict) else None
    if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
        raise WbError(400, "IncorrectRequestBody", "Incorrect required body")
    if len(rows) > MAX_ITEMS:
        raise WbError(400, "IncorrectRequest", "Переданы некорректные данные")
    return rows


def _warehouse_routes(api: APIRouter, state: ShopState) -> None:
    """Seller warehouses, WB offices and the stock update."""

    @route(api, ep.WAREHOUSES)
    def warehouses() -> list[dict[str, Any]]:
        return [w.as_json() for w in state.warehouses.values()]

    @route(api, ep.OFFICES)
    def offices() -> list[dict[str, Any]]:
        return state.offices

    @route(api, ep.STOCKS_PUT)
    async def put_stocks(warehouse_id: WarehouseId, request: Request) -> Response:
        warehouse = _warehouse(state, warehouse_id)
        rows = _items(await json_body(request))
        not_found: list[dict[str, Any]] = []
        too_many: list[dict[str, Any]] = []
        updates: dict[int, int] = {}
        for row in rows:
            amount = row.get("amount")
            if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
                raise WbError(400, "IncorrectRequestBody", "Incorrect required body")
            chrt = _resolve(state, row)
            if chrt is None:
                not_found.append(_item_ref(state, row, None))
            elif amount > MAX_AMOUNT:
                too_many.append(_item_ref(state, row, chrt))
            else:
                updates[chrt] = amount
        errors: list[dict[str, Any]] = []
        if not_found:
            errors.append({"code": "NotFound", "message": "Not found", "data": not_found})
        if too_many:
            errors.append({"code": "UploadDataLimit", "message": "Upload limit exceeded.", "data": too_many})
        if errors:
            return JSONResponse(errors, status_code=409)
        accepted = time.monotonic()
        for chrt, amount in updates.items():
            state.stocks[(warehouse, chrt)] = amount
            state.stock_set_at[(warehouse, chrt)] = accepted
        return Response(status_code=204)


def _stock_routes(api: APIRouter, state: ShopState) -> None:
    """Reading and deleting stocks."""

    @route(api, ep.STOCKS_GET)
    async def get_stocks(warehouse_id: WarehouseId, request: Request) -> dict[str, Any]:
        warehouse = _warehouse(state, warehouse_id)
        body = await json_body(request)
        if not isinstance(body, dict):
            raise WbError(400, "IncorrectRequestBody", "Incorrect required body")
        chrts = body.get("chrtIds") or []
        skus = body.get("skus") or []
        if not isinstance(chrts, list) or not isinstance(skus, list) or not (chrts or skus):
            raise WbError(400, "IncorrectRequestBody", "Incorrect required body")
        if len(chrts) > MAX_ITEMS or len(skus) > MAX_ITEMS:
            raise WbError(400, "IncorrectRequest", "Переданы некорректные данные")
        out: list[dict[str, Any]] = []
        for chrt in chrts:
            found = state.size_of(chrt) if isinstance(chrt, int) else None
            if found:
                sku = found[1].skus[0] if found[1].skus else ""
                out.append({"chrtId": chrt, "sku": sku, "amount": state.stocks.get((warehouse, chrt), 0)})
        for sku in skus:
            chrt = state.by_sku.get(sku) if isinstance(sku, str) else None
            if chrt is not None:
                out.append({"chrtId": chrt, "sku": sku, "amount": state.stocks.get((warehouse, chrt), 0)})
        return {"stocks": out}

    @route(api, ep.STOCKS_DELETE)
    async def delete_stocks(warehouse_id: WarehouseId, request: Request) -> Response:
        warehouse = _warehouse(state, warehouse_id)
        body = await json_body(request)
        chrts = body.get("chrtIds") or [] if isinstance(body, dict) else []
        skus = body.get("skus") or [] if isinstance(body, dict) else []
        if not isinstance(chrts, list) or not isinstance(skus, list) or not (chrts or skus):
            raise WbError(400, "IncorrectRequestBody", "Incorrect required body")
        ids = [c for c in chrts if isinstance(c, int)] + [
            state.by_sku[s] for s in skus if isinstance(s, str) and s in state.by_sku
        ]
        for chrt in ids:
            state.stocks.pop((warehouse, chrt), None)
        return Response(status_code=204)


def router(shop: Shop) -> APIRouter:
    api = APIRouter()
    for add_routes in (_warehouse_routes, _stock_routes):
        add_routes(api, shop.state)
    return api
