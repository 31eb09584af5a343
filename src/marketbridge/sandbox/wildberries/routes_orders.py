"""FBS assembly tasks, supplies and stickers of the sandbox.

Life of a task: `new` (waiting) → added to a supply: `confirm` → supply delivered:
`complete`; the seller may cancel a `new` or `confirm` task (`cancel`), which also takes it
out of its supply. A supply holds tasks of one warehouse and one cargo type. Stickers exist
only for tasks in `confirm` or `complete`; a supply's QR code only after delivery.
"""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from marketbridge.channels.wildberries import endpoints as ep
from marketbridge.sandbox.common.documents import Symbology, png_label, svg_label, zpl_label
from marketbridge.sandbox.wildberries.endpoints import OrderId, SupplyId, route
from marketbridge.sandbox.wildberries.errors import WbError
from marketbridge.sandbox.wildberries.shop import Shop, int_list, json_body, query_int
from marketbridge.sandbox.wildberries.state import Order, ShopState, Supply, now_utc

MAX_PAGE = 1000
MAX_WINDOW = timedelta(days=30)
STICKER_TYPES = ("svg", "zplv", "zplh", "png")
STICKER_SIZES = {(58, 40): (580, 400), (40, 30): (400, 300)}
_META_NOT_FILLED = (
    'Перевод в статус "в доставке" невозможен. Введите УИНы для всех сборочных заданий, где это необходимо.'
)
_FAILED_ADD = "Не удалось закрепить сборочное задание за поставкой. Убедитесь, что сборочное задание и поставка удовлетворяют всем необходимым требованиям."


def _order(state: ShopState, raw: str) -> Order:
    if not raw.isdigit():
        raise WbError(400, "IncorrectParameter", "Передан некорректный параметр")
    order = state.orders.get(int(raw))
    if order is None:
        raise WbError(404, "NotFound", "Не найдено")
    return order


def _supply(state: ShopState, supply_id: str) -> Supply:
    supply = state.supplies.get(supply_id)
    if supply is None:
        raise WbError(404, "NotFound", "Не найдено")
    return supply


def render(
    lines: list[str], kind: str, size: tuple[int, int], code: str, symbology: Symbology = "code128"
) -> str:
    """A sticker (Code 128 of `code`) or QR code file in WB's format, base64 as the API returns it."""
    if kind == "png":
        data = png_label(lines, size, code, symbology)
    elif kind == "svg":
        data = svg_label(lines, size, code, symbology)
    else:
        data = zpl_label(lines, kind == "zplv", code, symbology)
    return base64.b64encode(data).decode()


def _sticker_params(request: Request) -> tuple[str, tuple[int, int]]:
    kind = request.query_params.get("type", "")
    if kind not in STICKER_TYPES:
        raise WbError(400, "IncorrectParameter", "Передан некорректный параметр")
    width = query_int(request, "width", default=58)
    height = query_int(request, "height", default=40)
    size = STICKER_SIZES.get((width, height))
    if size is None:
        raise WbError(400, "IncorrectParameter", "Передан некорректный параметр")
    return kind, size


def remove_from_supply(state: ShopState, order: Order) -> None:
    if order.supply_id and order.supply_id in state.supplies:
        supply = state.supplies[order.supply_id]
        if order.id in supply.order_ids:
            supply.order_ids.remove(order.id)
    order.supply_id = None


def add_to_supply(state: ShopState, supply: Supply, order: Order) -> bool:
    """Put a task into a supply; False when WB would refuse (FailedToAddSupplyOrder)."""
    if supply.done:
        return False
    if order.supply_id == supply.id:
        return True
    if order.supplier_status not in ("new", "confirm") or order.wb_status != "waiting":
        return False
    if supply.cargo_type is not None and supply.cargo_type != order.cargo_type:
        return False
    if supply.warehouse_id is not None and supply.warehouse_id != order.warehouse_id:
        return False
    remove_from_supply(state, order)
    supply.cargo_type = order.cargo_type
    supply.warehouse_id = order.warehouse_id
    supply.order_ids.append(order.id)
    order.supply_id = supply.id
    order.supplier_status = "confirm"
    order.updated_at = now_utc()
    return True


def _task_reads(api: APIRouter, state: ShopState) -> None:
    """Assembly task lists, statuses and metadata."""

    @route(api, ep.ORDERS_NEW)
    def new_orders() -> dict[str, Any]:
        rows = [
            {
                **o.as_json(with_supply=False),
                "salePrice": o.sale_price,
                "finalPrice": o.price // 100,
                "requiredMeta": list(o.required_meta),
                "optionalMeta": list(o.optional_meta),
            }
            for o in list(state.orders.values())
            if o.supplier_status == "new" and o.wb_status == "waiting"
        ]
        return {"orders": rows}

    @route(api, ep.ORDERS)
    def orders(request: Request) -> dict[str, Any]:
        limit = query_int(request, "limit", low=1, high=MAX_PAGE)
        after = query_int(request, "next", low=0)
        now = now_utc()
        date_to = query_int(request, "dateTo", default=int(now.timestamp()), low=0)
        date_from = query_int(request, "dateFrom", default=date_to - int(MAX_WINDOW.total_seconds()), low=0)
        if date_from > date_to or date_to - date_from > MAX_WINDOW.total_seconds():
            raise WbError(400, "IncorrectParameter", "Передан некорректный параметр")
        picked = sorted(
            (
                o
                for o in list(state.orders.values())
                if o.id > after and date_from <= int(o.created_at.timestamp()) <= date_to
            ),
            key=lambda o: o.id,
        )[:limit]
        return {"next": picked[-1].id if picked else after, "orders": [o.as_json() for o in picked]}

    @route(api, ep.ORDERS_STATUS)
    async def statuses(request: Request) -> dict[str, Any]:
        ids = int_list(await json_body(request), "orders", high=MAX_PAGE)
        rows = [
            {
                "id": i,
                "supplierStatus": state.orders[i].supplier_status,
                "wbStatus": state.orders[i].wb_status,
            }
            for i in ids
            if i in state.orders
        ]
        return {"orders": rows}

    @route(api, ep.ORDERS_META)
    async def orders_meta(request: Request) -> dict[str, Any]:
        ids = int_list(await json_body(request), "orders", high=MAX_PAGE)
        return {"orders": [{"id": i, "meta": state.orders[i].meta_json()} for i in ids if i in state.orders]}


def _task_changes(api: APIRouter, state: ShopState) -> None:
    """Cancelling a task and its stickers (metadata: routes_meta)."""

    @route(api, ep.ORDER_CANCEL)
    def cancel(order_id: OrderId) -> Response:
        order = _order(state, order_id)
        if order.supplier_status not in ("new", "confirm") or order.wb_status != "waiting":
            raise WbError(409, "StatusMismatch", "Несоответствие статусов, проверьте их правильность")
        remove_from_supply(state, order)
        order.supplier_status, order.wb_status = "cancel", "canceled"
        order.updated_at = now_utc()
        return Response(status_code=204)

    @route(api, ep.STICKERS)
    async def stickers(request: Request) -> dict[str, Any]:
        kind, size = _sticker_params(request)
        ids = int_list(await json_body(request), "orders", high=100)
        out: list[dict[str, Any]] = []
        for order_id in ids:
            order = state.orders.get(order_id)
            if order is None or order.supplier_status not in ("confirm", "complete"):
                continue
            sticker = 100_000_000 + order.id % 900_000_000
            part_a, part_b = str(sticker)[:-4], str(sticker)[-4:]
            barcode = "!" + base64.urlsafe_b64encode(sticker.to_bytes(6, "big")).decode()  # as '!uKEtQZVx'
            lines = [f"{part_a} {part_b}", f"task {order.id}", order.article]
            out.append(
                {
                    "orderId": order.id,
                    "partA": part_a,
                    "partB": part_b,
                    "barcode": barcode,
                    "file": render(lines, kind, size, barcode),
                }
            )
        return {"stickers": out}


def _supply_reads(api: APIRouter, state: ShopState) -> None:
    """Creating, reading and deleting supplies."""

    @route(api, ep.SUPPLY_CREATE, status_code=201)
    async def create_supply(request: Request) -> dict[str, Any]:
        body = await json_body(request)
        name = body.get("name") if isinstance(body, dict) else None
        if not isinstance(name, str) or not 1 <= len(name) <= 128:
            raise WbError(400, "IncorrectRequestBody", "Некорректное тело запроса")
        supply_id = f"WB-GI-{state.next_id(10_000_000)}"
        state.supplies[supply_id] = Supply(supply_id, name, now_utc())
        return {"id": supply_id}

    @route(api, ep.SUPPLIES)
    def supplies(request: Request) -> dict[str, Any]:
        limit = query_int(request, "limit", low=1, high=MAX_PAGE)
        after = query_int(request, "next", low=0)
        ordered = list(state.supplies.values())
        page = ordered[after : after + limit]
        return {"next": after + len(page), "supplies": [s.as_json() for s in page]}

    @route(api, ep.SUPPLY)
    def supply(supply_id: SupplyId) -> dict[str, Any]:
        return _supply(state, supply_id).as_json()

    @route(api, ep.SUPPLY_DELETE)
    def delete_supply(supply_id: SupplyId) -> Response:
        found = _supply(state, supply_id)
        if found.done or found.order_ids:
            raise WbError(409, "SupplyHasOrders", "Поставка содержит сборочные задания или уже передана")
        del state.supplies[supply_id]
        return Response(status_code=204)

    @route(api, ep.SUPPLY_ORDER_IDS)
    def order_ids(supply_id: SupplyId) -> dict[str, Any]:
        return {"orderIds": list(_supply(state, supply_id).order_ids)}

    @route(api, ep.SUPPLY_ORDERS)
    def supply_orders(supply_id: SupplyId) -> dict[str, Any]:
        found = _supply(state, supply_id)
        return {"orders": [state.orders[i].as_json() for i in found.order_ids if i in state.orders]}


def _supply_changes(api: APIRouter, state: ShopState) -> None:
    """Tasks into supplies, delivery and the supply QR code."""

    def _add(supply_id: str, order_ids: list[int]) -> Response:
        found = _supply(state, supply_id)
        tasks = [state.orders.get(i) for i in order_ids]
        if any(t is None for t in tasks):
            raise WbError(404, "NotFound", "Не найдено")
        for task in tasks:
            assert task is not None
            if not add_to_supply(state, found, task):
                raise WbError(409, "FailedToAddSupplyOrder", _FAILED_ADD)
        return Response(status_code=204)

    @route(api, ep.SUPPLY_ADD)
    async def add_orders(supply_id: SupplyId, request: Request) -> Response:
        ids = int_list(await json_body(request), "orders", high=100, code="IncorrectParameter")
        return _add(supply_id, ids)

    @route(api, ep.SUPPLY_ADD_ONE)
    def add_order(supply_id: SupplyId, order_id: OrderId) -> Response:
        return _add(supply_id, [_order(state, order_id).id])

    @route(api, ep.SUPPLY_DELIVER)
    def deliver(supply_id: SupplyId) -> Response:
        found = _supply(state, supply_id)
        if found.done:
            raise WbError(409, "SupplyNotOpen", "Поставка уже передана в доставку")
        if not found.order_ids:
            raise WbError(
                409,
                "SupplyHasZeroOrders",
                "Не удалось обработать поставку. Убедитесь, что за ней закреплён хотя бы одно сборочное задание.",
            )
        if any(state.orders[i].missing_meta() for i in found.order_ids if i in state.orders):
            raise WbError(409, "UinIsNotFilled", _META_NOT_FILLED)
        found.done = True
        found.closed_at = now_utc()
        for order_id in found.order_ids:
            order = state.orders[order_id]
            order.supplier_status = "complete"
            order.updated_at = now_utc()
        return Response(status_code=204)

    @route(api, ep.SUPPLY_BARCODE)
    def supply_barcode(supply_id: SupplyId, request: Request) -> Any:
        kind, size = _sticker_params(request)
        found = _supply(state, supply_id)
        if not found.done:
            return JSONResponse(
                {"code": "SupplyNotClosed", "message": "Поставка не передана в доставку"}, status_code=409
            )
        lines = [found.id, found.name, f"{len(found.order_ids)} tasks"]
        return {"barcode": found.id, "file": render(lines, kind, size, found.id, "qr")}


def router(shop: Shop) -> APIRouter:
    api = APIRouter()
    for add_routes in (_task_reads, _task_changes, _supply_reads, _supply_changes):
        add_routes(api, shop.state)
    return api
