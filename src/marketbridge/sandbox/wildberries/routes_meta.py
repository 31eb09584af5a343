"""Assembly-task metadata of the sandbox: marking codes, UIN, IMEI, GTIN, expiry date.

As on WB, metadata can be given only while the task is in a supply (`supplierStatus`
`confirm`, not cancelled): earlier or later the answer is 409 FailedToUpdateMeta, which
costs ten requests of the metadata limit. Marking codes also need `sgtin` among the task's
required or optional metadata. A task's `requiredMeta` comes from its card; a supply with a
task missing one of them cannot be delivered (routes_orders).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from marketbridge.channels.wildberries import endpoints as ep
from marketbridge.sandbox.wildberries.endpoints import OrderId, route
from marketbridge.sandbox.wildberries.errors import WbError
from marketbridge.sandbox.wildberries.shop import Shop, json_body
from marketbridge.sandbox.wildberries.state import Order, ShopState, now_utc

MAX_SGTINS = 100
SGTIN_LENGTH = (16, 135)
#: exact length of each single-value code
CODE_LENGTHS = {"uin": 16, "imei": 15, "gtin": 13}
#: an expiry date must be at least this far ahead
MIN_SHELF_LIFE = timedelta(days=30)
EXPIRATION_FORMAT = "%d.%m.%Y"
_FAILED = (
    "Failed to update assembly order metadata. "
    "Make sure the assembly order meets all the necessary requirements."
)


def _bad_body() -> WbError:
    return WbError(400, "IncorrectRequestBody", "Некорректное тело запроса")


def _task(state: ShopState, raw: str, *, not_found: int) -> Order:
    """The task, or WB's answer for an unknown one (404 where the method declares it, else 409)."""
    if not raw.isdigit():
        raise WbError(400, "IncorrectParameter", "Передан некорректный параметр")
    order = state.orders.get(int(raw))
    if order is None:
        if not_found == 404:
            raise WbError(404, "NotFound", "Не найдено")
        raise WbError(409, "FailedToUpdateMeta", _FAILED)
    return order


def _check_open(order: Order) -> None:
    if order.supplier_status != "confirm" or order.wb_status != "waiting":
        raise WbError(409, "FailedToUpdateMeta", _FAILED)


def _string(body: Any, key: str) -> str:
    value = body.get(key) if isinstance(body, dict) else None
    if not isinstance(value, str):
        raise _bad_body()
    return value


def parse_expiration(value: str, today: date) -> date:
    """WB's dd.mm.yyyy expiry date: 400 when malformed, LowExpirationDate when too soon."""
    try:
        moment = datetime.strptime(value, EXPIRATION_FORMAT).date()
    except ValueError as exc:
        raise _bad_body() from exc
    if moment < today + MIN_SHELF_LIFE:
        raise WbError(
            400, "LowExpirationDate", "Не удалось обновить срок годности. Указан срок меньше допустимого"
        )
    return moment


def router(shop: Shop) -> APIRouter:
    api = APIRouter()
    state = shop.state

    def _save(order: Order, kind: str, value: Any) -> Response:
        order.metas[kind] = value
        order.updated_at = now_utc()
        return Response(status_code=204)

    @route(api, ep.ORDER_SGTIN)
    async def set_sgtins(order_id: OrderId, request: Request) -> Response:
        order = _task(state, order_id, not_found=404)
        body = await json_body(request)
        codes = body.get("sgtins") if isinstance(body, dict) else None
        if (
            not isinstance(codes, list)
            or not 1 <= len(codes) <= MAX_SGTINS
            or not all(isinstance(c, str) and SGTIN_LENGTH[0] <= len(c) <= SGTIN_LENGTH[1] for c in codes)
        ):
            raise _bad_body()
        _check_open(order)
        if "sgtin" not in order.required_meta + order.optional_meta:
            raise WbError(409, "FailedToUpdateMeta", _FAILED)
        return _save(order, "sgtin", list(codes))

    def _code_route(endpoint: Any, kind: str) -> None:
        @route(api, endpoint)
        async def set_code(order_id: OrderId, request: Request) -> Response:
            order = _task(state, order_id, not_found=409)
            value = _string(await json_body(request), kind)
            if len(value) != CODE_LENGTHS[kind]:
                raise _bad_body()
            _check_open(order)
            return _save(order, kind, value)

    _code_route(ep.ORDER_UIN, "uin")
    _code_route(ep.ORDER_IMEI, "imei")
    _code_route(ep.ORDER_GTIN, "gtin")

    @route(api, ep.ORDER_EXPIRATION)
    async def set_expiration(order_id: OrderId, request: Request) -> Response:
        order = _task(state, order_id, not_found=404)
        value = _string(await json_body(request), "expiration")
        parse_expiration(value, now_utc().date())
        _check_open(order)
        return _save(order, "expiration", value)

    return api
