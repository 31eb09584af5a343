"""FBS packing: the boxes (places) of an order with the marking codes of their items, and the labels.

`PUT .../orders/{orderId}/boxes` lays the order out in boxes: every box lists order items by
their id with a `fullCount` (or a `partialCount` when one unit spans boxes), the counts of an
item over all boxes must make its count, and `instances` (one per unit, with its `cis`) may
carry the marking codes (a unit of an item that requires them must have its `cis`); their
check runs asynchronously and `POST .../identifiers/status` reads it (marking.py). With
`allowRemove: true` the boxes may hold fewer whole units than ordered, and the order loses the
rest (item reduction, with its refusals: routes_items.py). What does not match the order is
refused with 400 and nothing is kept; an order out of PROCESSING/STARTED or READY_TO_SHIP cannot be laid out. A box's id is
the order id times 1,000 plus its number; its label encodes the box's fulfilment id
`{orderId}-{number}` as Code 128. `GET .../delivery/labels` gives every box's label in one
PDF (a page a box, in box order); `GET .../delivery/shipments/{shipmentId}/boxes/{boxId}/label`
gives one (the order's shipment id is the order id). Formats: A9_HORIZONTALLY, A9, A7
(the default), A4.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from marketbridge.channels.yandex_market import endpoints as ep
from marketbridge.sandbox.common.documents import pdf_pages
from marketbridge.sandbox.yandex_market.errors import YmError, items, json_object, ok
from marketbridge.sandbox.yandex_market.marking import CIS_CHECK_SECONDS, checked, sent_codes, status_json
from marketbridge.sandbox.yandex_market.orders import Box, Order
from marketbridge.sandbox.yandex_market.routes_items import reduce, reduction_error
from marketbridge.sandbox.yandex_market.routes_orders import find_order
from marketbridge.sandbox.yandex_market.routes_shipments import join_shipment
from marketbridge.sandbox.yandex_market.state import Market

#: Page sizes (mm) of the label formats the description lists.
PAGE_SIZES: dict[str, tuple[float, float]] = {
    "A9_HORIZONTALLY": (52, 37),
    "A9": (37, 52),
    "A7": (74, 105),
    "A4": (210, 297),
}
#: At most this many boxes an order (the description gives no figure: this sandbox's choice).
MAX_BOXES = 1000
PACKABLE = frozenset({("PROCESSING", "STARTED"), ("PROCESSING", "READY_TO_SHIP")})


def fulfilment_id(order: Order, number: int) -> str:
    return f"{order.id}-{number}"


def _units(entry: dict[str, Any], where: str) -> float:
    """How much of an item one box entry holds (a part of a unit counts as its share)."""
    full, part = entry.get("fullCount"), entry.get("partialCount")
    if (full is None) == (part is None):
        raise YmError(400, "BAD_REQUEST", f"{where}: exactly one of fullCount and partialCount")
    if full is not None:
        if not isinstance(full, int) or full < 1:
            raise YmError(400, "BAD_REQUEST", f"{where}.fullCount: a positive number")
        instances = entry.get("instances")
        if instances is not None and (not isinstance(instances, list) or len(instances) != full):
            raise YmError(400, "BAD_REQUEST", f"{where}.instances: one per unit ({full})")
        return float(full)
    if not isinstance(part, dict) or not all(isinstance(part.get(k), int) for k in ("current", "total")):
        raise YmError(400, "BAD_REQUEST", f"{where}.partialCount: current and total")
    if not 1 <= part["current"] <= part["total"] or part["total"] < 2:
        raise YmError(400, "BAD_REQUEST", f"{where}.partialCount: current 1..total, total at least 2")
    return 1 / part["total"]


def layout(order: Order, body: dict[str, Any]) -> tuple[list[Box], dict[int, int]]:
    """The boxes of a SetOrderBoxLayoutRequest, checked against the order, and each item's count
    they hold (fewer than ordered only with `allowRemove`); YmError otherwise."""
    counts = {item.id: item.count for item in order.items}
    marked = {item.id for item in order.items if item.requires_marking}
    laid: dict[int, float] = dict.fromkeys(counts, 0.0)
    boxes = []
    for n, box in enumerate(items(body, "boxes", most=MAX_BOXES), start=1):
        entries = box.get("items") if isinstance(box, dict) else None
        if not isinstance(entries, list) or not entries:
            raise YmError(400, "BAD_REQUEST", f"boxes[{n - 1}].items: at least one item")
        for m, entry in enumerate(entries):
            where = f"boxes[{n - 1}].items[{m}]"
            if not isinstance(entry, dict) or entry.get("id") not in counts:
                raise YmError(400, "BAD_REQUEST", f"{where}.id: not an item of order {order.id}")
            laid[entry["id"]] += _units(entry, where)
            if entry["id"] in marked and not all(
                isinstance(i, dict) and i.get("cis") for i in entry.get("instances") or [None]
            ):
                raise YmError(400, "BAD_REQUEST", f"{where}.instances: item {entry['id']} needs a cis a unit")
        boxes.append(Box(id=order.id * 1000 + n, items=[dict(e) for e in entries]))
    short = body.get("allowRemove") is True  # fewer whole units than ordered: the rest removed
    wrong = [
        str(i)
        for i, count in counts.items()
        if abs(laid[i] - count) > 1e-9 and not (short and laid[i] < count and laid[i] == int(laid[i]))
    ]
    if wrong:
        raise YmError(
            400, "BAD_REQUEST", f"items {', '.join(wrong)}: the boxes do not hold the ordered count"
        )
    kept = {i: int(laid[i]) for i in counts}
    refused = reduction_error(order, kept) if kept != counts else None
    if refused:
        raise YmError(400, "BAD_REQUEST", refused)
    return boxes, kept


def page_size(fmt: str | None) -> tuple[float, float]:
    """The page of a label format (A7 when none is given); 400 for a format not listed."""
    size = PAGE_SIZES.get(fmt or "A7")
    if size is None:
        raise YmError(400, "BAD_REQUEST", f"format: one of {', '.join(PAGE_SIZES)}")
    return size


def labels_pdf(boxes: list[tuple[Order, int]], fmt: str | None) -> bytes:
    """One label page per (order, box number), each with the Code 128 of its fulfilment id."""
    size = page_size(fmt)
    pages = [[f"Order {o.id}", f"Box {n} of {len(o.boxes)}", fulfilment_id(o, n)] for o, n in boxes]
    return pdf_pages(pages, size_mm=size, codes=[fulfilment_id(o, n) for o, n in boxes])


def _pdf(order: Order, boxes: list[tuple[int, Box]], fmt: str | None) -> Response:
    return Response(labels_pdf([(order, n) for n, _ in boxes], fmt), media_type="application/pdf")


def router(market: Market) -> APIRouter:
    api = APIRouter()

    def find(campaign_id: str, order_id: str) -> Order:
        return find_order(market, campaign_id, order_id)

    @api.put(ep.ORDER_BOXES.path)
    async def set_boxes(campaignId: str, orderId: str, request: Request) -> dict[str, Any]:
        body = await json_object(request)
        if campaignId == str(market.business_id):
            return ok({"boxes": []})
        order = find(campaignId, orderId)
        if (order.status, order.substatus) not in PACKABLE:
            raise YmError(400, "STATUS_NOT_ALLOWED", f"Order {order.id} is {order.status}/{order.substatus}")
        order.boxes, kept = layout(order, body)
        sent = sent_codes([entry for box in order.boxes for entry in box.items])
        order.codes = checked(order.codes, sent, market.timing.of(CIS_CHECK_SECONDS))
        reduce(order, kept)
        join_shipment(market, order)
        return ok({"boxes": [{"boxId": b.id, "items": b.items} for b in order.boxes]})

    @api.post(ep.ORDER_IDENTIFIERS_STATUS.path)
    def identifiers_status(campaignId: str, orderId: str) -> dict[str, Any]:
        return ok(status_json(find(campaignId, orderId).codes))

    @api.get(ep.ORDER_LABELS.path)
    def order_labels(campaignId: str, orderId: str, format: str | None = None) -> Response:
        order = find(campaignId, orderId)
        if not order.boxes:
            raise YmError(400, "BAD_REQUEST", f"Order {order.id} has no boxes yet")
        return _pdf(order, list(enumerate(order.boxes, start=1)), format)

    @api.get(ep.BOX_LABEL.path)
    def box_label(
        campaignId: str, orderId: str, shipmentId: str, boxId: str, format: str | None = None
    ) -> Response:
        order = find(campaignId, orderId)
        found = [(n, b) for n, b in enumerate(order.boxes, start=1) if str(b.id) == boxId]
        if shipmentId != str(order.id) or not found:
            raise YmError(404, "NOT_FOUND", f"Box {boxId} of shipment {shipmentId} not found")
        return _pdf(order, found, format)

    return api
