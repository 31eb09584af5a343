"""Orders of the sandbox: their status and sub-status, the moves the seller may make, and their JSON.

An FBS order starts as PROCESSING/STARTED. The seller moves it (updateOrderStatus(es)) to
PROCESSING/READY_TO_SHIP, then PROCESSING/SHIPPED, or cancels it from PROCESSING as
CANCELLED/SHOP_FAILED; any other move is refused with 400. The marketplace (the control API)
moves it on: handed to delivery (DELIVERY/DELIVERY_SERVICE_RECEIVED), delivered
(DELIVERED/DELIVERY_SERVICE_DELIVERED), cancelled by the buyer (CANCELLED/USER_CHANGED_MIND),
or to any status and sub-status of the description. It also plays a buyer asking to cancel
(`cancellation-requested`), as the description has it: an order still in PROCESSING is
cancelled at once (CANCELLED/USER_CHANGED_MIND, nothing to answer); one handed to delivery
(DELIVERY, PICKUP) gets `cancelRequested`, which the seller accepts (CANCELLED/USER_CHANGED_MIND)
or refuses with a reason (ORDER_DELIVERED, ORDER_IN_DELIVERY) within 48 hours, after which
the order is cancelled as if accepted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from marketbridge.sandbox.yandex_market.marking import CisCheck, instances_json, not_ready

#: (status, substatus) a seller's update may lead to, from each state.
SELLER_MOVES: dict[tuple[str, str], set[tuple[str, str]]] = {
    ("PROCESSING", "STARTED"): {("PROCESSING", "READY_TO_SHIP"), ("CANCELLED", "SHOP_FAILED")},
    ("PROCESSING", "READY_TO_SHIP"): {("PROCESSING", "SHIPPED"), ("CANCELLED", "SHOP_FAILED")},
}
#: The control API's move that plays a buyer asking to cancel, and where the buyer may.
CANCELLATION_REQUEST = "cancellation-requested"
CANCELLED_AT_ONCE = frozenset({"PROCESSING"})
CANCELLABLE_BY_REQUEST = frozenset({"DELIVERY", "PICKUP"})
BUYER_CANCELLED = ("CANCELLED", "USER_CHANGED_MIND")
#: Real seconds (through `Timing`) a request waits for the seller's answer before it is granted.
CANCELLATION_ANSWER_SECONDS = 48 * 3600.0
#: The control API's canonical moves.
CANONICAL_MOVES: dict[str, tuple[str, str]] = {
    "shipped": ("DELIVERY", "DELIVERY_SERVICE_RECEIVED"),
    "delivered": ("DELIVERED", "DELIVERY_SERVICE_DELIVERED"),
    "cancelled": BUYER_CANCELLED,
}
#: The VAT every sandbox item carries (OrderVatType).
VAT = "VAT_20"
FINAL_STATUSES = frozenset({"DELIVERED", "CANCELLED", "RETURNED", "PARTIALLY_RETURNED"})


@dataclass
class OrderItem:
    id: int
    offer_id: str
    name: str
    count: int
    price: Decimal
    requires_marking: bool = False  # each unit needs its marking code (cis) when boxed


@dataclass
class Box:
    """A box (place) of an order as the seller laid it out: its id and OrderBoxLayoutItemDTOs."""

    id: int
    items: list[dict[str, Any]]


@dataclass
class Shipment:
    """A first-mile shipment: the packed orders of one campaign and day, handed over at once."""

    id: int
    campaign_id: int
    day: date
    order_ids: list[int] = field(default_factory=list)
    status: str = "OUTBOUND_CREATED"
    shipment_type: str = "IMPORT"  # IMPORT: the seller brings it; WITHDRAW: Market collects it
    missing: list[int] = field(default_factory=list)  # orders not accepted (the discrepancy act)
    discrepancies: bool = False  # accepted with discrepancies (the act exists from then on)
    updated: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass
class Order:
    id: int
    campaign_id: int
    warehouse_id: int
    items: list[OrderItem]
    status: str = "PROCESSING"
    substatus: str = "STARTED"
    cancel_requested: bool = False  # the buyer asked to cancel; the seller accepts or refuses
    cancel_deadline: float = 0.0  # monotonic moment an unanswered request is granted
    boxes: list[Box] = field(default_factory=list)
    codes: dict[int, list[CisCheck]] = field(default_factory=dict)  # item id -> its marking codes
    created: datetime = field(default_factory=lambda: datetime.now(UTC))
    updated: datetime = field(default_factory=lambda: datetime.now(UTC))

    def move(self, status: str, substatus: str) -> None:
        self.status, self.substatus, self.updated = status, substatus, datetime.now(UTC)

    def seller_move_error(self, status: Any, substatus: Any) -> str | None:
        """Why the seller may not move the order to (status, substatus); None when it may."""
        if (status, substatus) not in SELLER_MOVES.get((self.status, self.substatus), set()):
            return (
                f"Order {self.id} with status {self.status} and substatus {self.substatus} "
                f"is not allowed for status {status} and substatus {substatus}"
            )
        if substatus == "READY_TO_SHIP":
            needed = {i.id: i.count for i in self.items if i.requires_marking}
            waiting = not_ready(self.codes, needed)
            return f"Order {self.id} cannot be READY_TO_SHIP: {waiting}" if waiting else None
        return None


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def _money(value: Decimal) -> dict[str, Any]:
    return {"value": float(value), "currencyId": "RUR"}


def _ship_date(order: Order) -> datetime:
    return order.created + timedelta(days=1)


def _state(order: Order) -> dict[str, Any]:
    """What BusinessOrderDTO and OrderDTO both say of an order: its state and how it is paid."""
    return {
        "status": order.status,
        "substatus": order.substatus,
        "paymentType": "PREPAID",
        "paymentMethod": "YANDEX",
        "fake": False,
    }


def _item(order: Order, item: OrderItem) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": item.id,
        "offerId": item.offer_id,
        "offerName": item.name,
        "count": item.count,
    }
    if item.requires_marking:
        body["requiredInstanceTypes"] = ["CIS"]
    if order.codes.get(item.id):
        body["instances"] = instances_json(order.codes[item.id])
    return body


def business_json(order: Order) -> dict[str, Any]:
    """BusinessOrderDTO (the business-level order list)."""
    total = sum((i.price * i.count for i in order.items), Decimal(0))
    return {
        "orderId": order.id,
        "campaignId": order.campaign_id,
        "programType": "FBS",
        **_state(order),
        "cancelRequested": order.cancel_requested,
        "creationDate": _iso(order.created),
        "updateDate": _iso(order.updated),
        "items": [
            {**_item(order, i), "prices": {"payment": _money(i.price), "vat": VAT}} for i in order.items
        ],
        "prices": {"payment": _money(total)},
        "delivery": {
            "type": "DELIVERY",
            "serviceName": "Доставка Маркета",
            "deliveryServiceId": 1006360,
            "warehouseId": str(order.warehouse_id),
            "deliveryPartnerType": "YANDEX_MARKET",
            "dispatchType": "BUYER",
            "dates": {"fromDate": (order.created + timedelta(days=3)).date().isoformat()},
            "shipment": {"id": order.id, "shipmentDate": _ship_date(order).date().isoformat()},
        },
    }


def order_json(order: Order) -> dict[str, Any]:
    """OrderDTO (the campaign-level order, and the answer to a status update)."""
    total = sum((i.price * i.count for i in order.items), Decimal(0))
    return {
        "id": order.id,
        **_state(order),
        "creationDate": order.created.strftime("%d-%m-%Y %H:%M:%S"),
        "updatedAt": order.updated.strftime("%d-%m-%Y %H:%M:%S"),
        "currency": "RUR",
        "itemsTotal": float(total),
        "deliveryTotal": 0.0,
        "buyerItemsTotalBeforeDiscount": float(total),
        "items": [
            {
                **_item(order, i),
                "price": float(i.price),
                "buyerPrice": float(i.price),
                "buyerPriceBeforeDiscount": float(i.price),
                "vat": VAT,
            }
            for i in order.items
        ],
        "delivery": {
            "type": "DELIVERY",
            "serviceName": "Доставка Маркета",
            "deliveryServiceId": 1006360,
            "deliveryPartnerType": "YANDEX_MARKET",
            "dates": {"fromDate": (order.created + timedelta(days=3)).strftime("%d-%m-%Y")},
        },
        "buyer": {"type": "PERSON"},
        "taxSystem": "OSN",
        "cancelRequested": order.cancel_requested,
    }
