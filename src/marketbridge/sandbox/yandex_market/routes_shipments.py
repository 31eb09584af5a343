"""First-mile shipments: the day's packed orders of a campaign, handed over to Market at once.

An order joins the open shipment of its campaign and shipping day when its boxes are laid
out (a shipment is opened when there is none). `PUT .../first-mile/shipments` searches
them (a range of days, statuses, order ids; `page_token`, at most 30 a page), `GET
.../first-mile/shipments/{id}` reads one, `POST .../confirm` hands it over: every order in
it must be READY_TO_SHIP (400 otherwise), they become PROCESSING/SHIPPED and the shipment
OUTBOUND_CONFIRMED; a later order opens a new shipment. `GET .../act` is the transfer act,
a PDF whose Code 128 is the shipment id; `GET .../transportation-waybill` and
`GET .../discrepancy-act` are spreadsheets, where the shipment has them (shipment_documents.py).
A shipment is IMPORT unless its campaign is one Market collects from (the control API's
`shipment_type`), and the control API moves it on after the confirmation (control.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from marketbridge.channels.yandex_market import endpoints as ep
from marketbridge.sandbox.common.documents import pdf_pages
from marketbridge.sandbox.yandex_market.errors import (
    YmError,
    json_object,
    ok,
    page_limit,
    page_offset,
    paging,
)
from marketbridge.sandbox.yandex_market.orders import Order, Shipment
from marketbridge.sandbox.yandex_market.shipment_documents import (
    MEDIA_TYPE,
    actions,
    discrepancy_act,
    discrepancy_error,
    waybill,
    waybill_error,
)
from marketbridge.sandbox.yandex_market.state import Market

SHIPMENT_BASE = 900_000


def join_shipment(market: Market, order: Order) -> Shipment:
    """The open shipment of the order's campaign and day, which now holds the order."""
    day = (order.created + timedelta(days=1)).date()
    for shipment in market.shipments.values():
        if order.id in shipment.order_ids:
            return shipment
    for shipment in market.shipments.values():
        if (shipment.campaign_id, shipment.day, shipment.status) == (
            order.campaign_id,
            day,
            "OUTBOUND_CREATED",
        ):
            shipment.order_ids.append(order.id)
            return shipment
    shipment = Shipment(market.next_id(SHIPMENT_BASE), order.campaign_id, day, [order.id])
    if order.campaign_id in market.withdraw_campaigns:
        shipment.shipment_type = "WITHDRAW"
    market.shipments[shipment.id] = shipment
    return shipment


def _iso(day: date, at: time) -> str:
    return datetime.combine(day, at, UTC).isoformat(timespec="seconds")


def shipment_json(shipment: Shipment, full: bool) -> dict[str, Any]:
    """ShipmentInfoDTO (the search) or ShipmentDTO (one shipment)."""
    count = len(shipment.order_ids)
    body: dict[str, Any] = {
        "id": shipment.id,
        "planIntervalFrom": _iso(shipment.day, time(9)),
        "planIntervalTo": _iso(shipment.day, time(18)),
        "shipmentType": shipment.shipment_type,
        "orderIds": list(shipment.order_ids),
        "draftCount": 0,
        "plannedCount": count,
        "factCount": count - len(shipment.missing) if shipment.status != "OUTBOUND_CREATED" else 0,
        "signature": {"signed": shipment.status != "OUTBOUND_CREATED"},
    }
    if full:
        return {**body, "availableActions": actions(shipment)}
    return {
        **body,
        "status": shipment.status,
        "statusUpdateTime": shipment.updated.isoformat(timespec="seconds"),
    }


def _day(value: Any, name: str) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise YmError(400, "BAD_REQUEST", f"{name}: a date is required") from exc


def router(market: Market) -> APIRouter:
    api = APIRouter()

    def find(campaign_id: str, shipment_id: str) -> Shipment:
        shipment = market.shipments.get(int(shipment_id)) if shipment_id.isdigit() else None
        if shipment is None or str(shipment.campaign_id) != campaign_id:
            raise YmError(404, "NOT_FOUND", f"Shipment {shipment_id} not found")
        return shipment

    @api.put(ep.SHIPMENTS.path)
    async def search(campaignId: str, request: Request) -> dict[str, Any]:
        body = await json_object(request)
        first, last = _day(body.get("dateFrom"), "dateFrom"), _day(body.get("dateTo"), "dateTo")
        statuses, order_ids = body.get("statuses") or [], body.get("orderIds") or []
        found = [
            s
            for s in sorted(market.shipments.values(), key=lambda s: s.id)
            if str(s.campaign_id) == campaignId
            and first <= s.day <= last
            and (not statuses or s.status in statuses)
            and (not order_ids or set(order_ids) & set(s.order_ids))
        ]
        limit, start = page_limit(request, 30, 30), page_offset(request)
        page = found[start : start + limit]
        shown = [shipment_json(s, full=False) for s in page]
        return ok({"shipments": shown, "paging": paging(start, limit, len(found))})

    @api.get(ep.SHIPMENT.path)
    def one(campaignId: str, shipmentId: str) -> dict[str, Any]:
        return ok(shipment_json(find(campaignId, shipmentId), full=True))

    @api.post(ep.SHIPMENT_CONFIRM.path)
    async def confirm(campaignId: str, shipmentId: str, request: Request) -> dict[str, Any]:
        await json_object(request, required=False)
        shipment = find(campaignId, shipmentId)
        if shipment.status != "OUTBOUND_CREATED":
            raise YmError(400, "BAD_REQUEST", f"Shipment {shipment.id} is {shipment.status}")
        orders = [market.orders[i] for i in shipment.order_ids if i in market.orders]
        waiting = [str(o.id) for o in orders if (o.status, o.substatus) == ("PROCESSING", "STARTED")]
        if waiting:
            raise YmError(400, "BAD_REQUEST", f"Orders {', '.join(waiting)} are not ready to ship")
        for order in orders:
            if (order.status, order.substatus) == ("PROCESSING", "READY_TO_SHIP"):
                market.moved(order, "PROCESSING", "SHIPPED")
        shipment.status, shipment.updated = "OUTBOUND_CONFIRMED", datetime.now(UTC)
        return ok()

    @api.get(ep.SHIPMENT_ACT.path)
    def act(campaignId: str, shipmentId: str) -> Response:
        shipment = find(campaignId, shipmentId)
        lines = [f"Shipment {shipment.id}", f"{len(shipment.order_ids)} orders", shipment.day.isoformat()]
        pdf = pdf_pages([lines], size_mm=(210, 297), codes=[str(shipment.id)])
        return Response(pdf, media_type="application/pdf")

    def sheet(
        campaign_id: str,
        shipment_id: str,
        error: Callable[[Shipment], str | None],
        make: Callable[[Shipment], bytes],
    ) -> Response:
        shipment = find(campaign_id, shipment_id)
        refused = error(shipment)
        if refused:
            raise YmError(400, "BAD_REQUEST", refused)
        return Response(make(shipment), media_type=MEDIA_TYPE)

    @api.get(ep.SHIPMENT_WAYBILL.path)
    def transportation_waybill(campaignId: str, shipmentId: str) -> Response:
        return sheet(campaignId, shipmentId, waybill_error, waybill)

    @api.get(ep.SHIPMENT_DISCREPANCY_ACT.path)
    def discrepancies(campaignId: str, shipmentId: str) -> Response:
        return sheet(campaignId, shipmentId, discrepancy_error, discrepancy_act)

    return api
