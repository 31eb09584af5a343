"""The notifications the sandbox sends to the seller's URL, in the documented format.

Market POSTs them to `<the seller's URL>/notification`: ORDER_CREATED when a buyer orders,
ORDER_STATUS_UPDATED on every change of status or sub-status, ORDER_CANCELLED when an order
is cancelled, ORDER_CANCELLATION_REQUEST when a buyer asks to cancel. The seller answers 200 `{"version", "name", "time"}`; anything else is tried
again (the common push sender's pauses). Duplicates and late deliveries are switched on
with `PUT /_sandbox/push` (`duplicate_rate`, `reorder_rate`), as the real Market may send
the same event more than once and in another order.
"""

from __future__ import annotations

from typing import Any

from marketbridge.sandbox.yandex_market.orders import Order

#: Where Market sends notifications under the seller's URL.
SUFFIX = "/notification"


def _stamp(order: Order) -> str:
    return order.updated.isoformat(timespec="seconds").replace("+00:00", "Z")


def _items(order: Order) -> list[dict[str, Any]]:
    return [{"offerId": i.offer_id, "count": i.count} for i in order.items]


def order_created(order: Order) -> dict[str, Any]:
    """OrderCreatedNotificationDTO."""
    return {
        "notificationType": "ORDER_CREATED",
        "campaignId": order.campaign_id,
        "orderId": order.id,
        "createdAt": order.created.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "items": _items(order),
    }


def status_changed(order: Order) -> list[dict[str, Any]]:
    """ORDER_STATUS_UPDATED (OrderStatusUpdatedNotificationDTO), and ORDER_CANCELLED as well when
    the order was cancelled."""
    out: list[dict[str, Any]] = [
        {
            "notificationType": "ORDER_STATUS_UPDATED",
            "campaignId": order.campaign_id,
            "orderId": order.id,
            "status": order.status,
            "substatus": order.substatus,
            "updatedAt": _stamp(order),
        }
    ]
    if order.status == "CANCELLED":
        out.append(
            {
                "notificationType": "ORDER_CANCELLED",
                "campaignId": order.campaign_id,
                "orderId": order.id,
                "cancelledAt": _stamp(order),
                "items": _items(order),
            }
        )
    return out


def cancellation_requested(order: Order) -> dict[str, Any]:
    """OrderCancellationRequestNotificationDTO."""
    return {
        "notificationType": "ORDER_CANCELLATION_REQUEST",
        "campaignId": order.campaign_id,
        "orderId": order.id,
        "requestedAt": _stamp(order),
    }
