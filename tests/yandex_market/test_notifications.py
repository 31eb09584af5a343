"""Notifications against the notification reference (specs/yandex-market/push-notifications).

The sandbox's notifications, caught on loopback as Market would send them to the seller's
URL (under `/notification`), must each match the DTO of its `notificationType` with no
undeclared field; the connector's replies must match the reply and error-reply schemas.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI, Request

from marketbridge.channels.yandex_market.push import handle_push
from tests.support.marketplaces import Market, offer, start_market, wait_until
from tests.support.openapi import OpenAPI, unknown_fields
from tests.support.servers import ThreadedServer

SPEC = OpenAPI(("yandex-market/push-notifications/notification.yaml",))
DTOS = {
    "PING": "PingNotificationDTO",
    "ORDER_CREATED": "OrderCreatedNotificationDTO",
    "ORDER_STATUS_UPDATED": "OrderStatusUpdatedNotificationDTO",
    "ORDER_CANCELLED": "OrderCancelledNotificationDTO",
    "ORDER_CANCELLATION_REQUEST": "OrderCancellationRequestNotificationDTO",
    "ORDER_RETURN_CREATED": "OrderReturnCreatedNotificationDTO",
    "ORDER_RETURN_STATUS_UPDATED": "OrderReturnStatusUpdatedNotificationDTO",
}


def schema(name: str) -> dict[str, Any]:
    found: dict[str, Any] = SPEC.schema({"$ref": f"#/components/schemas/{name}"})
    return found


@pytest.fixture
def caught() -> Iterator[tuple[str, list[tuple[str, dict[str, Any]]]]]:
    """A seller's receiver on loopback: every POST it gets (path, body), answered as the connector would."""
    received: list[tuple[str, dict[str, Any]]] = []
    app = FastAPI()

    @app.post("/hook/{method}")
    async def hook(method: str, request: Request) -> Any:
        raw = await request.body()
        received.append((f"/hook/{method}", json.loads(raw)))
        return handle_push(dict(request.headers), raw).body

    server = ThreadedServer(app).start()
    try:
        yield server.url + "/hook", received
    finally:
        server.stop()


@pytest.fixture
def market() -> Iterator[Market]:
    for running in start_market("yandex-market"):
        running.seed([offer("N-1", 501, ["8401"])], ("8401",))
        yield running


async def test_notifications_match_the_reference(market: Market, caught: tuple[str, list[Any]]) -> None:
    url, received = caught
    market.call("PUT", "/push", json={"url": url})
    (order_id,) = market.place([("N-1", 1)], "8401")
    market.move(order_id, "shipped")
    market.move(order_id, "cancellation-requested")
    market.move(order_id, "cancelled")
    (kept,) = market.place([("N-1", 1)], "8401")
    market.move(kept, "delivered")
    opened = market.open_return(kept, "too small")
    market.call("POST", f"/yandex-market/returns/{opened}/move", json={"shipment_status": "IN_TRANSIT"})

    async def all_sent() -> bool:
        return len(received) >= 10

    await wait_until(all_sent, what="the URL's PING and the orders' nine notifications")
    sent = sorted(body["notificationType"] for _, body in received)  # deliveries may overtake each other
    assert sent == [
        "ORDER_CANCELLATION_REQUEST", "ORDER_CANCELLED", "ORDER_CREATED", "ORDER_CREATED",
        "ORDER_RETURN_CREATED", "ORDER_RETURN_STATUS_UPDATED", "ORDER_STATUS_UPDATED", "ORDER_STATUS_UPDATED", "ORDER_STATUS_UPDATED",
        "PING",
    ]  # fmt: skip
    for path, body in received:
        assert path == "/hook/notification"
        dto = schema(DTOS[body["notificationType"]])
        assert not SPEC.errors_in(body, dto), SPEC.errors_in(body, dto)
        assert not unknown_fields(body, dto), unknown_fields(body, dto)
        assert body["notificationType"] == "PING" or str(body["orderId"]) in (order_id, kept)
    assert market.call("GET", "/push")["delivered"] >= 10


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b'{"notificationType": "PING", "time": "2026-12-01T10:00:00Z"}', 200),
        (
            b'{"notificationType": "ORDER_STATUS_UPDATED", "campaignId": 1, "orderId": 2, "status": "DELIVERY",'
            b' "substatus": "DELIVERY_SERVICE_RECEIVED", "updatedAt": "2026-12-01T10:00:00Z"}',
            200,
        ),
        (b'{"notificationType": "CHAT_CREATED", "chatId": 5}', 200),
        (b'{"notificationType": "ORDER_CREATED", "campaignId": 1}', 400),
        (b"not json", 400),
        (b"[]", 400),
    ],
)
def test_replies_match_the_reference(raw: bytes, status: int) -> None:
    reply = handle_push({}, raw)
    assert reply.status == status
    op = SPEC.operation("POST", "/notification")
    expected = SPEC.response_schema(op, status)
    assert expected is not None
    assert not SPEC.errors_in(reply.body, expected), SPEC.errors_in(reply.body, expected)
    assert (reply.message is not None) == (status == 200 and b"PING" not in raw)
