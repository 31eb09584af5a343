"""Returns: the campaign's list (`GET /v2/campaigns/{campaignId}/returns`) and one return.

The list pages by `page_token` (alias `pageToken`), at most 100 (a larger `limit` is cut
down), filtered by order ids (at most 50), refund statuses, shipment statuses, type and the
days of the last update (`fromDate`, `toDate`; the deprecated `from_date`, `to_date` too).
One return is read under its order (`GET .../orders/{orderId}/returns/{returnId}`); another
order's return is 404. The business id where a campaign id belongs answers an empty list.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request

from marketbridge.channels.yandex_market import endpoints as ep
from marketbridge.sandbox.yandex_market.errors import YmError, ok, page_limit, page_offset, paging
from marketbridge.sandbox.yandex_market.returns import Return, return_json
from marketbridge.sandbox.yandex_market.state import Market

MAX_ORDER_IDS = 50


def _day(request: Request, *names: str) -> date | None:
    raw = next((request.query_params[n] for n in names if n in request.query_params), None)
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise YmError(400, "BAD_REQUEST", f"{names[0]}: not a date (YYYY-MM-DD)") from exc


def _ids(request: Request) -> set[int]:
    raw = [v for item in request.query_params.getlist("orderIds") for v in item.split(",") if v]
    if not all(v.isdigit() for v in raw):
        raise YmError(400, "BAD_REQUEST", "orderIds: must be order ids")
    if len(raw) > MAX_ORDER_IDS:
        raise YmError(400, "BAD_REQUEST", f"orderIds: size must be between 0 and {MAX_ORDER_IDS}")
    return {int(v) for v in raw}


def _listed(market: Market, campaign: int, request: Request) -> list[Return]:
    ids = _ids(request)
    refund = set(request.query_params.getlist("statuses"))
    shipment = set(request.query_params.getlist("shipmentStatuses"))
    kind = request.query_params.get("type")
    if kind is not None and kind not in ("RETURN", "UNREDEEMED"):
        raise YmError(400, "BAD_REQUEST", f"type: not a return type: {kind!r}")
    since, until = _day(request, "fromDate", "from_date"), _day(request, "toDate", "to_date")
    return [
        r
        for r in sorted(market.returns.values(), key=lambda r: r.id)
        if r.campaign_id == campaign
        and (not ids or r.order_id in ids)
        and (not refund or r.refund_status in refund)
        and (not shipment or r.shipment_status in shipment)
        and kind in (None, "RETURN")
        and (since is None or r.updated.date() >= since)
        and (until is None or r.updated.date() <= until)
    ]


def router(market: Market) -> APIRouter:
    api = APIRouter()

    def campaign_of(campaign_id: str) -> int:
        if not campaign_id.isdigit() or market.campaign(int(campaign_id)) is None:
            raise YmError(404, "NOT_FOUND", f"Campaign {campaign_id} not found")
        return int(campaign_id)

    @api.get(ep.RETURNS.path)
    def returns(campaignId: str, request: Request) -> dict[str, Any]:
        if campaignId == str(market.business_id):
            return ok({"returns": []})  # the business id where a campaign id belongs
        rows = _listed(market, campaign_of(campaignId), request)
        limit = page_limit(request, 50, ep.PAGE_LIMITS["returns"])
        start = page_offset(request)
        page = rows[start : start + limit]
        return ok({"returns": [return_json(r) for r in page], "paging": paging(start, limit, len(rows))})

    @api.get(ep.RETURN.path)
    def one_return(campaignId: str, orderId: str, returnId: str) -> dict[str, Any]:
        campaign = campaign_of(campaignId)
        found = market.returns.get(int(returnId)) if returnId.isdigit() else None
        if found is None or found.campaign_id != campaign or str(found.order_id) != orderId:
            raise YmError(404, "NOT_FOUND", f"Return {returnId} of order {orderId} not found")
        return ok(return_json(found))

    return api
