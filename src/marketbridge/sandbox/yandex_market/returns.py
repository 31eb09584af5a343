"""Returns of the sandbox: a buyer's return of a delivered order, its JSON and its notifications.

A return (ReturnDTO, `returnType: RETURN`) is opened by the control API for a delivered order
and holds every item of the order with its count; the buyer's reason is the decision's
`reasonType` (DOES_NOT_FIT unless the text names another) and `comment` (the text). It
starts as refundStatus STARTED_BY_USER with shipmentStatus CREATED. Opening one notifies
ORDER_RETURN_CREATED. The control API moves it on (`move`): its refund and its parcel to any
status the description lists (RefundStatusType, ReturnShipmentStatusType; UNKNOWN is Market's
"ask support", not a move), except out of a final one, each move notifying
ORDER_RETURN_STATUS_UPDATED with both statuses.
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


#: RefundStatusType and ReturnShipmentStatusType values a return can be moved to.
REFUND_STATUSES = frozenset(
    {
        "STARTED_BY_USER", "REFUND_IN_PROGRESS", "REFUNDED", "FAILED", "WAITING_FOR_DECISION",
        "DECISION_MADE", "REFUNDED_WITH_BONUSES", "REFUNDED_BY_SHOP", "CANCELLED", "REJECTED",
        "COMPLETE_WITHOUT_REFUND", "PREMODERATION_DISPUTE", "PREMODERATION_DECISION_WAITING",
        "PREMODERATION_DECISION_MADE", "PREMODERATION_SELECT_DELIVERY",
    }
)  # fmt: skip
SHIPMENT_STATUSES = frozenset(
    {
        "CREATED", "RECEIVED", "IN_TRANSIT", "READY_FOR_PICKUP", "PICKED", "LOST", "EXPIRED",
        "CANCELLED", "FULFILMENT_RECEIVED", "PREPARED_FOR_UTILIZATION", "NOT_IN_DEMAND",
        "UTILIZED", "READY_FOR_EXPROPRIATION", "RECEIVED_FOR_EXPROPRIATION",
    }
)  # fmt: skip
#: Statuses a return's refund or parcel does not leave (this sandbox's reading of the list).
REFUND_FINAL = frozenset(
    {
        "REFUNDED",
        "REFUNDED_WITH_BONUSES",
        "REFUNDED_BY_SHOP",
        "COMPLETE_WITHOUT_REFUND",
        "CANCELLED",
        "REJECTED",
    }
)
SHIPMENT_FINAL = frozenset(
    {"PICKED", "LOST", "EXPIRED", "CANCELLED", "UTILIZED", "RECEIVED_FOR_EXPROPRIATION"}
)


def move_error(opened: Return, refund: str | None, shipment: str | None) -> str | None:
    """Why the return cannot move to (refund, shipment) — None keeps a part as it is; None: it can."""
    if refund is None and shipment is None:
        return "name a refund_status or a shipment_status"
    for value, listed, now, final, what in (
        (refund, REFUND_STATUSES, opened.refund_status, REFUND_FINAL, "refund"),
        (shipment, SHIPMENT_STATUSES, opened.shipment_status, SHIPMENT_FINAL, "shipment"),
    ):
        if value is None or value == now:
            continue
        if value not in listed:
            return f"{what} status {value!r} is not one of the description's"
        if now in final:
            return f"return {opened.id}: the {what} is {now}, it moves no further"
    if (refund or opened.refund_status, shipment or opened.shipment_status) == (
        opened.refund_status,
        opened.shipment_status,
    ):
        return f"return {opened.id} is {opened.refund_status}/{opened.shipment_status} already"
    return None


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


def _about(opened: Return, kind: str) -> dict[str, Any]:
    """What every return notification says: its type, the campaign, the order and the return."""
    return {
        "notificationType": kind,
        "campaignId": opened.campaign_id,
        "orderId": opened.order_id,
        "returnId": opened.id,
    }


def created_notification(opened: Return) -> dict[str, Any]:
    """OrderReturnCreatedNotificationDTO."""
    return {
        **_about(opened, "ORDER_RETURN_CREATED"),
        "returnType": "RETURN",
        "createdAt": _iso(opened.created),
        "items": [{"offerId": i.offer_id, "count": i.count} for i in opened.items],
    }


def status_notification(opened: Return) -> dict[str, Any]:
    """OrderReturnStatusUpdatedNotificationDTO."""
    return {
        **_about(opened, "ORDER_RETURN_STATUS_UPDATED"),
        "statuses": {"refundStatus": opened.refund_status, "shipmentStatus": opened.shipment_status},
        "updatedAt": _iso(opened.updated),
    }


def returnable(order: Order) -> str | None:
    """Why a buyer cannot return the order (None: they can)."""
    if order.status != "DELIVERED":
        return f"order {order.id} is {order.status}: only a delivered order is returned"
    return None
