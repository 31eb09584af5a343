"""Item reduction: removing items from an order, or fewer of them, before it is ready to ship.

`PUT .../orders/{orderId}/items` (updateOrderItems) gives the new count of each item (an item
left out, or with count 0, is removed); on FBS the description points to the boxes method
instead, where `allowRemove: true` lets the boxes hold fewer units than ordered: both end in
`reduce`. The description's refusals, each a 400 that changes nothing: the order is not in
PROCESSING/STARTED; a count above the ordered one; the only item of the order; an item that
makes 99 % of the order's value; every item removed (the order is cancelled instead, with
SHOP_FAILED); and, on updateOrderItems, a marked item whose remaining units do not each come
with their `cis`. Nothing is notified (the description names no notification for it).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from marketbridge.channels.yandex_market import endpoints as ep
from marketbridge.sandbox.yandex_market.errors import YmError, items, json_object
from marketbridge.sandbox.yandex_market.orders import Order
from marketbridge.sandbox.yandex_market.routes_orders import find_order
from marketbridge.sandbox.yandex_market.state import Market

#: An item worth this share of the order's value or more cannot be reduced.
DOMINANT_SHARE = Decimal("0.99")
REASONS = ("PARTNER_REQUESTED_REMOVE", "USER_REQUESTED_REMOVE")
MAX_ITEMS = 1000


def reduction_error(order: Order, counts: dict[int, int]) -> str | None:
    """Why the order's items cannot take the new counts (item id -> count); None when they can."""
    if (order.status, order.substatus) != ("PROCESSING", "STARTED"):
        return f"Order {order.id} is {order.status}/{order.substatus}: its items change only before READY_TO_SHIP"
    changed = [i for i in order.items if counts.get(i.id, 0) != i.count]
    grown = [str(i.id) for i in order.items if counts.get(i.id, 0) > i.count]
    if grown:
        return f"items {', '.join(grown)}: a count may only go down"
    if not changed:
        return None
    if len(order.items) == 1:
        return f"item {order.items[0].id} is the only item of order {order.id}: cancel the order instead"
    if all(counts.get(i.id, 0) == 0 for i in order.items):
        return f"every item of order {order.id} would be removed: cancel the order instead"
    total = sum((i.price * i.count for i in order.items), Decimal(0))
    dominant = [str(i.id) for i in changed if total and i.price * i.count >= total * DOMINANT_SHARE]
    if dominant:
        return f"items {', '.join(dominant)}: 99 % of the order's value, they cannot be reduced"
    return None


def reduce(order: Order, counts: dict[int, int]) -> None:
    """Applies counts `reduction_error` allowed: fewer units, removed items gone."""
    if all(counts.get(i.id, 0) == i.count for i in order.items):
        return
    for item in order.items:
        item.count = counts.get(item.id, 0)
    order.items = [i for i in order.items if i.count > 0]
    order.move(order.status, order.substatus)


def _counts(order: Order, body: dict[str, Any]) -> dict[int, int]:
    """New count per item of an UpdateOrderItemRequest, checked field by field."""
    known = {i.id: i for i in order.items}
    counts: dict[int, int] = {}
    for n, entry in enumerate(items(body, "items", most=MAX_ITEMS)):
        where = f"items[{n}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), int) or entry["id"] not in known:
            raise YmError(400, "BAD_REQUEST", f"{where}.id: not an item of order {order.id}")
        count = entry.get("count")
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise YmError(400, "BAD_REQUEST", f"{where}.count: a number, 0 or more")
        if entry["id"] in counts:
            raise YmError(400, "BAD_REQUEST", f"{where}.id: item {entry['id']} given twice")
        instances = entry.get("instances")
        if (
            known[entry["id"]].requires_marking
            and count
            and (
                not isinstance(instances, list)
                or len(instances) != count
                or not all(isinstance(i, dict) and i.get("cis") for i in instances)
            )
        ):
            raise YmError(400, "BAD_REQUEST", f"{where}.instances: item {entry['id']} needs a cis a unit")
        counts[entry["id"]] = count
    return counts


def router(market: Market) -> APIRouter:
    api = APIRouter()

    @api.put(ep.ORDER_ITEMS.path)
    async def update_items(campaignId: str, orderId: str, request: Request) -> Response:
        body = await json_object(request)
        if body.get("reason") is not None and body["reason"] not in REASONS:
            raise YmError(400, "BAD_REQUEST", f"reason: one of {', '.join(REASONS)}")
        if campaignId == str(market.business_id):
            return Response()  # the business id where a campaign id belongs: an empty success
        order = find_order(market, campaignId, orderId)
        counts = _counts(order, body)
        refused = reduction_error(order, counts)
        if refused:
            raise YmError(400, "BAD_REQUEST", refused)
        reduce(order, counts)
        return Response()  # no body: "no output is expected"

    return api
