"""The notifications the sandbox sends to the seller's URL, in the documented format.

Market POSTs them to `<the seller's URL>/notification`: ORDER_CREATED when a buyer orders,
ORDER_STATUS_UPDATED on every change of status or sub-status, ORDER_CANCELLED when an order
is cancelled, ORDER_CANCELLATION_REQUEST when a buyer asks to cancel, and PING when the URL
is set, to check it. The seller answers 200 `{"version", "name", "time"}` within 10 seconds;
a 400 (the seller says the notification is wrong) is not repeated; anything else is, on the
documented schedule (`retry_pause`). Duplicates and late deliveries are switched on with
`PUT /_sandbox/push` (`duplicate_rate`, `reorder_rate`), as the real Market may send the same
event more than once and in another order.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from marketbridge.sandbox.yandex_market.orders import Order

#: Where Market sends notifications under the seller's URL.
SUFFIX = "/notification"
#: How long Market waits for the seller's answer (seconds).
ANSWER_SECONDS = 10.0
#: The answer Market takes as final though it is no success: the seller refused the notification.
FINAL_STATUSES = frozenset({400})
#: The documented repeats, as (attempts, real seconds before each): every minute for the first
#: hour, every 15 minutes for the rest of the first day, then every hour until 14 days have
#: passed (the store is then disconnected from notifications).
REPEATS = ((60, 60.0), (92, 900.0), (13 * 24, 3600.0))


def retry_pause(failed: int) -> float | None:
    """Real seconds before the attempt after the `failed`-th failed one; None: Market gives up."""
    for count, pause in REPEATS:
        if failed <= count:
            return pause
        failed -= count
    return None


def ping() -> dict[str, Any]:
    """PingNotificationDTO: the check of a newly set URL."""
    return {"notificationType": "PING", "time": datetime.now(UTC).isoformat().replace("+00:00", "Z")}


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
