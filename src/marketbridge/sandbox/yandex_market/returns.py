"""Returns of the sandbox: a buyer's return of a delivered order, its JSON and its notifications.

A return (ReturnDTO, `returnType: RETURN`) is opened by the control API for a delivered order
and holds every item of the order with its count; the buyer's reason is the decision's
`reasonType` (DOES_NOT_FIT unless the text names another) and `comment` (the text). It
starts as refundStatus STARTED_BY_USER with shipmentStatus CREATED (it does not move on:
the control API has no return moves). Opening one notifies ORDER_RETURN_CREATED.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from marketbridge.sandbox.yandex_market.orders import Order

#: Words of a buyer's reason and the ReturnDecisionReasonType they stand for.
REASON_WORDS: dict[str, str] = {
    "broken": "BAD_QUALITY",
    "defect": "BAD_QUALITY",
    "wrong": "WRONG_ITEM",
    "damaged": "DAMAGE_DELIVERY",
}


@dataclass
class ReturnItem:
    id: int  # returnItemId
    offer_id: str
    market_sku: int | None
    count: int
    price: Decimal


@dataclass
class Return:
    id: int
    order_id: int
    campaign_id: int
    items: list[ReturnItem]
    comment: str
    refund_status: str = "STARTED_BY_USER"
    shipment_status: str = "CREATED"
    created: datetime = field(default_factory=lambda: datetime.now(UTC))
    updated: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def reason_type(self) -> str:
        text = self.comment.lower()
        return next((kind for word, kind in REASON_WORDS.items() if word in text), "DOES_NOT_FIT")


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def return_json(opened: Return) -> dict[str, Any]:
    """ReturnDTO."""
    total = sum((i.price * i.count for i in opened.items), Decimal(0))
    items = []
    for item in opened.items:
        decision = {
            "returnItemId": item.id,
            "count": item.count,
            "comment": opened.comment,
            "reasonType": opened.reason_type,
            "amount": {"value": float(item.price * item.count), "currencyId": "RUR"},
        }
        body: dict[str, Any] = {"shopSku": item.offer_id, "count": item.count, "decisions": [decision]}
        if item.market_sku is not None:
            body["marketSku"] = item.market_sku
        items.append(body)
    return {
        "id": opened.id,
        "orderId": opened.order_id,
        "creationDate": _iso(opened.created),
        "updateDate": _iso(opened.updated),
        "refundStatus": opened.refund_status,
        "shipmentStatus": opened.shipment_status,
        "shipmentRecipientType": "SHOP",
        "amount": {"value": float(total), "currencyId": "RUR"},
        "items": items,
        "returnType": "RETURN",
        "fastReturn": False,
    }


def created_notification(opened: Return) -> dict[str, Any]:
    """OrderReturnCreatedNotificationDTO."""
    return {
        "notificationType": "ORDER_RETURN_CREATED",
        "campaignId": opened.campaign_id,
        "orderId": opened.order_id,
        "returnId": opened.id,
        "returnType": "RETURN",
        "createdAt": _iso(opened.created),
        "items": [{"offerId": i.offer_id, "count": i.count} for i in opened.items],
    }


def returnable(order: Order) -> str | None:
    """Why a buyer cannot return the order (None: they can)."""
    if order.status != "DELIVERED":
        return f"order {order.id} is {order.status}: only a delivered order is returned"
    return None
