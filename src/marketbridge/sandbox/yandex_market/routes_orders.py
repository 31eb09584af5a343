"""Orders: the business-level list (the campaign-level one is deprecated), one order, status updates.

`POST /v1/businesses/{businessId}/orders` pages by `page_token` and at most 50 (a larger
limit is cut down), filtered by ids, campaigns, statuses, sub-statuses and dates (creation
dates as days, update moments as date-times). `GET /v2/campaigns/{c}/orders/{id}` (deprecated)
reads one order of a campaign. The seller moves orders one at a time (`PUT .../status`,
400 for a move the order does not allow) or up to 30 at once (`status-update`, a verdict
per order). A buyer's cancellation request (an order in delivery) is answered with
`PUT .../cancellation/accept`; one left unanswered for 48 hours is granted when the orders are
next read.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request

from marketbridge.channels.yandex_market import endpoints as ep
from marketbridge.sandbox.yandex_market.errors import (
    YmError,
    items,
    json_object,
    ok,
    page_limit,
    page_offset,
    paging,
)
from marketbridge.sandbox.yandex_market.orders import BUYER_CANCELLED, Order, business_json, order_json
from marketbridge.sandbox.yandex_market.state import Market

MAX_ORDER_IDS = 50
MAX_STATUS_UPDATES = 30
#: OrderCancellationReasonType: why a seller refuses a buyer's cancellation.
REFUSALS = ("ORDER_DELIVERED", "ORDER_IN_DELIVERY")


def _moment(value: Any, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise YmError(400, "BAD_REQUEST", f"dates.{name}: not a date-time") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _day(value: Any, name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise YmError(400, "BAD_REQUEST", f"dates.{name}: not a date") from exc


def _matches(order: Order, body: dict[str, Any]) -> bool:
    given = body.get("dates")
    dates: dict[str, Any] = given if isinstance(given, dict) else {}
    checks = (
        not body.get("orderIds") or order.id in body["orderIds"],
        not body.get("campaignIds") or order.campaign_id in body["campaignIds"],
        not body.get("statuses") or order.status in body["statuses"],
        not body.get("substatuses") or order.substatus in body["substatuses"],
        body.get("waitingForCancellationApprove") is None
        or order.cancel_requested == bool(body["waitingForCancellationApprove"]),
    )
    if not all(checks):
        return False
    updated_from, updated_to = (
        _moment(dates.get("updateDateFrom"), "updateDateFrom"),
        _moment(dates.get("updateDateTo"), "updateDateTo"),
    )
    created_from, created_to = (
        _day(dates.get("creationDateFrom"), "creationDateFrom"),
        _day(dates.get("creationDateTo"), "creationDateTo"),
    )
    return (
        (updated_from is None or order.updated >= updated_from)
        and (updated_to is None or order.updated <= updated_to)
        and (created_from is None or order.created.date() >= created_from)
        and (created_to is None or order.created.date() <= created_to)
    )


def find_order(market: Market, campaign_id: str, order_id: str) -> Order:
    """The order of a campaign-scoped path; 404 when the campaign has no such order."""
    order = market.orders.get(int(order_id)) if order_id.isdigit() else None
    if order is None or str(order.campaign_id) != campaign_id:
        raise YmError(404, "NOT_FOUND", f"Order {order_id} not found")
    return order


def router(market: Market) -> APIRouter:
    api = APIRouter()

    moved = market.moved

    def find(campaign_id: str, order_id: str) -> Order:
        market.grant_unanswered()
        return find_order(market, campaign_id, order_id)

    @api.post(ep.BUSINESS_ORDERS.path)
    async def business_orders(request: Request) -> dict[str, Any]:
        body = await json_object(request, required=False)
        for name in ("orderIds", "campaignIds"):
            if body.get(name) is not None:
                items(body, name, most=MAX_ORDER_IDS)
        market.grant_unanswered()
        rows = sorted((o for o in market.orders.values() if _matches(o, body)), key=lambda o: o.id)
        limit, start = page_limit(request, 50, ep.PAGE_LIMITS["business_orders"]), page_offset(request)
        page = rows[start : start + limit]
        return {"orders": [business_json(o) for o in page], "paging": paging(start, limit, len(rows))}

    @api.get(ep.CAMPAIGN_ORDER.path)
    def campaign_order(campaignId: str, orderId: str) -> dict[str, Any]:
        if campaignId == str(market.business_id):
            return {}  # the business id where a campaign id belongs: an empty success
        return {"order": order_json(find(campaignId, orderId))}

    @api.put(ep.ORDER_STATUS.path)
    async def order_status(campaignId: str, orderId: str, request: Request) -> dict[str, Any]:
        body = await json_object(request)
        change = body.get("order")
        if not isinstance(change, dict) or not isinstance(change.get("status"), str):
            raise YmError(400, "BAD_REQUEST", "order.status: must not be empty")
        if campaignId == str(market.business_id):
            return {}
        order = find(campaignId, orderId)
        refused = order.seller_move_error(change["status"], change.get("substatus"))
        if refused:
            raise YmError(400, "STATUS_NOT_ALLOWED", refused)
        moved(order, change["status"], str(change.get("substatus")))
        return {"order": order_json(order)}

    @api.post(ep.ORDER_STATUSES.path)
    async def order_statuses(campaignId: str, request: Request) -> dict[str, Any]:
        body = await json_object(request)
        changes = items(body, "orders", most=MAX_STATUS_UPDATES)
        if campaignId == str(market.business_id):
            return ok({"orders": []})
        verdicts = []
        for n, change in enumerate(changes):
            if not isinstance(change, dict) or not isinstance(change.get("id"), int):
                raise YmError(400, "BAD_REQUEST", f"orders[{n}].id: must be an order id")
            order = market.orders.get(change["id"])
            if order is None or order.campaign_id != int(campaignId):
                verdicts.append(
                    {"id": change["id"], "updateStatus": "ERROR", "errorDetails": "Order not found"}
                )
                continue
            refused = order.seller_move_error(change.get("status"), change.get("substatus"))
            if refused is None:
                moved(order, str(change["status"]), str(change.get("substatus")))
            verdict: dict[str, Any] = {"id": order.id, "status": order.status, "substatus": order.substatus}
            verdict["updateStatus"] = "ERROR" if refused else "OK"
            if refused:
                verdict["errorDetails"] = refused
            verdicts.append(verdict)
        return ok({"orders": verdicts})

    @api.put(ep.CANCELLATION_ACCEPT.path)
    async def answer_cancellation(campaignId: str, orderId: str, request: Request) -> dict[str, Any]:
        body = await json_object(request)
        if not isinstance(body.get("accepted"), bool):
            raise YmError(400, "BAD_REQUEST", "accepted: must be true or false")
        if campaignId == str(market.business_id):
            return ok()
        order = find(campaignId, orderId)
        if not order.cancel_requested:
            raise YmError(400, "BAD_REQUEST", f"Order {order.id} has no cancellation request")
        if not body["accepted"] and body.get("reason") not in REFUSALS:
            raise YmError(400, "BAD_REQUEST", "reason: ORDER_DELIVERED or ORDER_IN_DELIVERY when refusing")
        if body.get("reason") is not None and body["reason"] not in REFUSALS:
            raise YmError(400, "BAD_REQUEST", f"reason: not a reason: {body['reason']!r}")
        order.cancel_requested = False
        if body["accepted"]:
            moved(order, *BUYER_CANCELLED)
        return ok()

    return api
