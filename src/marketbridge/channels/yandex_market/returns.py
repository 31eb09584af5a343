"""Returns: every campaign's returns (`GET /v2/campaigns/{campaignId}/returns`) since a moment.

Market lists returns per campaign (shop), filtered by the day of their last update
(`fromDate`), 100 a page by `page_token`; the moment itself is checked on each return's
`updateDate`. A return's canonical status comes from where its parcel is (`shipmentStatus`)
and, before it moves, from the refund (`refundStatus`): the table is on the channel's page.
Its lines are the items (`shopSku` is the unit's offer id); the reason is the buyer's comment,
else the reason type of the decision.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Hashable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from marketbridge.channels.paging import Page, paginate, token_page
from marketbridge.channels.roles import RemoteOrderLine, RemoteReturn
from marketbridge.channels.yandex_market import endpoints as ep
from marketbridge.channels.yandex_market.base import YmBase
from marketbridge.channels.yandex_market.client import KIND, field, int_of, next_token, rows
from marketbridge.channels.yandex_market.orders import moment_of
from marketbridge.model import ReturnStatus

#: ReturnShipmentStatusType -> the hub's return status (a status not listed: opened).
SHIPMENT_STATUS: dict[str, ReturnStatus] = {
    "CREATED": ReturnStatus.OPENED,
    **dict.fromkeys(("RECEIVED", "IN_TRANSIT", "READY_FOR_PICKUP"), ReturnStatus.IN_TRANSIT),
    **dict.fromkeys(("PICKED", "FULFILMENT_RECEIVED"), ReturnStatus.RECEIVED),
    **dict.fromkeys(
        (
            "LOST",
            "EXPIRED",
            "CANCELLED",
            "PREPARED_FOR_UTILIZATION",
            "NOT_IN_DEMAND",
            "UTILIZED",
            "READY_FOR_EXPROPRIATION",
            "RECEIVED_FOR_EXPROPRIATION",
        ),
        ReturnStatus.CLOSED,
    ),
}
#: RefundStatusType values that end a return whose parcel never moved.
REFUND_CLOSED = frozenset({"CANCELLED", "REJECTED", "COMPLETE_WITHOUT_REFUND", "FAILED"})


def return_status(raw: dict[str, Any]) -> ReturnStatus:
    shipment = str(raw.get("shipmentStatus") or "CREATED")
    if shipment == "CREATED" and raw.get("refundStatus") in REFUND_CLOSED:
        return ReturnStatus.CLOSED
    return SHIPMENT_STATUS.get(shipment, ReturnStatus.OPENED)


def _reason(items: list[dict[str, Any]]) -> str | None:
    decisions = [d for i in items for d in rows(i, "decisions")]
    comment = next((str(d["comment"]) for d in decisions if d.get("comment")), None)
    return comment or next((str(d["reasonType"]) for d in decisions if d.get("reasonType")), None)


def remote_return(raw: dict[str, Any]) -> RemoteReturn:
    """RemoteReturn of a ReturnDTO."""
    items = rows(raw, "items")
    lines = [
        RemoteOrderLine(
            external_offer_id=str(field(i, "shopSku")),
            offer_code=str(field(i, "shopSku")),
            quantity=int_of(field(i, "count"), "returned count"),
            price=Decimal(0),
        )
        for i in items
    ]
    return RemoteReturn(
        external_id=str(int_of(field(raw, "id"), "return id")),
        order_external_id=str(int_of(field(raw, "orderId"), "order id")),
        status=return_status(raw),
        created_at=moment_of(raw.get("creationDate") or raw.get("updateDate"), "creationDate"),
        lines=lines,
        reason=_reason(items),
    )


class YmReturns(YmBase):
    """ReturnsSource."""

    async def _campaign_ids(self) -> list[int]:
        """The campaigns (shops) of the connection's business."""
        business = self.business_id
        return [
            int_of(field(c, "id"), "campaign id")
            for c in await self.campaigns()
            if isinstance(c.get("business"), dict) and c["business"].get("id") == business
        ]

    async def iter_returns(self, since: datetime) -> AsyncIterator[list[RemoteReturn]]:
        # a day earlier than `since`: Market's days need not be UTC's; the moments are checked below
        first_day = (since.astimezone(UTC) - timedelta(days=1)).date().isoformat()
        for campaign in await self._campaign_ids():

            async def fetch(token: Hashable, campaign: int = campaign) -> Page[dict[str, Any]]:
                query: dict[str, Any] = {"limit": ep.PAGE_LIMITS["returns"], "fromDate": first_day}
                if token:
                    query["page_token"] = token
                answer = await self.api.call(ep.RETURNS, path={"campaignId": campaign}, query=query)
                return token_page(rows(answer, "result", "returns"), next_token(answer, "result"))

            async for page in paginate(fetch, "", what=f"{KIND} returns of campaign {campaign}"):
                yield [
                    remote_return(r)
                    for r in page
                    if not r.get("updateDate") or moment_of(r["updateDate"], "updateDate") >= since
                ]
