"""Unit tests of the connector's own mapping: statuses, orders, refusals that name their items."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import pytest

from marketbridge.channels.errors import AuthError, BadResponse, RequestRejected
from marketbridge.channels.roles import ConnectionConfig, StockPush
from marketbridge.channels.yandex_market import YandexMarketChannel
from marketbridge.channels.yandex_market.orders import cancellation_answer, order_status, remote_order
from marketbridge.channels.yandex_market.returns import remote_return, return_status
from marketbridge.channels.yandex_market.writes import isolate
from marketbridge.model import OrderStatus, ReturnStatus
from marketbridge.runtime.ratelimit import MemoryLimiter


@pytest.mark.parametrize(
    ("status", "substatus", "expected"),
    [
        ("PROCESSING", "STARTED", OrderStatus.NEW),
        ("PROCESSING", "PACKAGING", OrderStatus.CONFIRMED),
        ("PROCESSING", "READY_TO_SHIP", OrderStatus.PACKED),
        ("PROCESSING", "SHIPPED", OrderStatus.SHIPPED),
        ("PROCESSING", "SOMETHING_NEW", OrderStatus.NEW),
        ("DELIVERY", "DELIVERY_SERVICE_RECEIVED", OrderStatus.SHIPPED),
        ("PICKUP", "PICKUP_SERVICE_RECEIVED", OrderStatus.SHIPPED),
        ("DELIVERED", "DELIVERY_SERVICE_DELIVERED", OrderStatus.DELIVERED),
        ("CANCELLED", "SHOP_FAILED", OrderStatus.CANCELLED),
        ("CANCELLED", "USER_CHANGED_MIND", OrderStatus.CANCELLED),
        ("RETURNED", "USER_RECEIVED", OrderStatus.RETURNED),
        ("UNKNOWN", "UNKNOWN", OrderStatus.NEW),
    ],
)
def test_status_and_substatus_map_onto_the_hub_status(
    status: str, substatus: str, expected: OrderStatus
) -> None:
    assert order_status(status, substatus) == expected


def _raw(**changes: object) -> dict[str, object]:
    raw: dict[str, object] = {
        "orderId": 51000001,
        "campaignId": 21000002,
        "status": "CANCELLED",
        "substatus": "SHOP_FAILED",
        "creationDate": "2026-12-01T10:00:00Z",
        "updateDate": "2026-12-01T11:00:00Z",
        "paymentType": "PREPAID",
        "paymentMethod": "YANDEX",
        "fake": False,
        "items": [{"id": 1, "offerId": "SKU-1", "offerName": "A", "count": 2,
                   "prices": {"payment": {"value": 300.0, "currencyId": "RUR"}}}],
        "delivery": {"type": "DELIVERY", "serviceName": "x", "deliveryServiceId": 1, "warehouseId": "61001",
                     "deliveryPartnerType": "YANDEX_MARKET", "dates": {"fromDate": "2026-12-04"},
                     "shipment": {"id": None, "shipmentDate": "2026-12-02"}},
    }  # fmt: skip
    raw.update(changes)
    return raw


def test_an_order_keeps_its_pair_its_reason_and_unit_prices() -> None:
    order = remote_order(_raw())
    assert (order.external_id, order.raw_status, order.status) == (
        "51000001",
        "CANCELLED/SHOP_FAILED",
        OrderStatus.CANCELLED,
    )
    assert order.cancel_reason == "SHOP_FAILED"
    assert order.warehouse_id == "61001"
    assert order.ship_by is not None and order.ship_by.date().isoformat() == "2026-12-02"
    assert [(line.offer_code, line.quantity, line.price) for line in order.lines] == [
        ("SKU-1", 2, Decimal("150"))
    ]


@pytest.mark.parametrize("broken", [{"items": "nope"}, {"orderId": "x1"}, {"creationDate": "yesterday"}])
def test_a_broken_order_is_bad_response(broken: dict[str, object]) -> None:
    with pytest.raises(BadResponse):
        remote_order(_raw(**broken))


def _push(code: str) -> StockPush:
    return StockPush(f"ext-{code}", code, "61001", 1)


async def test_isolate_fails_the_items_a_refusal_names_and_sends_the_rest() -> None:
    sent: list[list[str]] = []

    async def send(items: Sequence[StockPush]) -> None:
        sent.append([i.offer_code for i in items])
        if any(i.offer_code == "SKU-1" for i in items):
            raise RequestRejected(
                "HTTP 400 OFFER_NOT_FOUND: Offer SKU-1 not found", status=400, code="OFFER_NOT_FOUND"
            )

    results = await isolate([_push("SKU-1"), _push("SKU-10"), _push("SKU-2")], send)
    assert [(r.key, r.ok) for r in results] == [
        ("ext-SKU-1", False),
        ("ext-SKU-10", True),
        ("ext-SKU-2", True),
    ]
    assert sent == [["SKU-1", "SKU-10", "SKU-2"], ["SKU-10", "SKU-2"]], "SKU-10 is not SKU-1"
    assert results[0].code == "OFFER_NOT_FOUND"


async def test_isolate_halves_a_batch_whose_refusal_names_nothing() -> None:
    async def send(items: Sequence[StockPush]) -> None:
        if any(i.offer_code == "BAD" for i in items):
            raise RequestRejected("HTTP 400 BAD_REQUEST: something in the batch", status=400)

    pushes = [_push(c) for c in ("A", "B", "BAD", "C", "D")]
    results = await isolate(pushes, send)
    assert [r.ok for r in results] == [True, True, False, True, True]


async def test_isolate_lets_other_errors_through() -> None:
    async def send(items: Sequence[StockPush]) -> None:
        raise RequestRejected("HTTP 409", status=409)

    with pytest.raises(RequestRejected):
        await isolate([_push("A")], send)


async def test_a_business_id_that_is_not_a_number_is_a_clear_auth_error() -> None:
    config = ConnectionConfig("c1", {"default": "http://127.0.0.1:9"}, {"api_key": "k", "business_id": "abc"})
    channel = YandexMarketChannel(config, MemoryLimiter())
    try:
        with pytest.raises(AuthError, match="business_id"):
            await channel.check()
        assert channel.handle_push({}, b'{"notificationType": "PING"}').status == 200
    finally:
        await channel.aclose()


@pytest.mark.parametrize(
    ("raw", "answer"),
    [
        ({"status": "DELIVERY", "cancelRequested": True}, {"accepted": True}),
        ({"status": "PICKUP", "cancelRequested": True}, {"accepted": True}),
        ({"status": "DELIVERED", "cancelRequested": True}, {"accepted": False, "reason": "ORDER_DELIVERED"}),
        ({"status": "CANCELLED", "cancelRequested": True}, None),
        ({"status": "DELIVERY", "cancelRequested": False}, None),
        ({"status": "DELIVERY"}, None),
    ],
)
def test_a_cancellation_request_is_granted_until_the_order_is_delivered(
    raw: dict[str, object], answer: dict[str, object] | None
) -> None:
    assert cancellation_answer(raw) == answer


@pytest.mark.parametrize(
    ("shipment", "refund", "expected"),
    [
        (None, "STARTED_BY_USER", ReturnStatus.OPENED),
        ("CREATED", "REJECTED", ReturnStatus.CLOSED),
        ("IN_TRANSIT", "REFUND_IN_PROGRESS", ReturnStatus.IN_TRANSIT),
        ("READY_FOR_PICKUP", "REFUNDED", ReturnStatus.IN_TRANSIT),
        ("PICKED", "REFUNDED", ReturnStatus.RECEIVED),
        ("UTILIZED", "REFUNDED", ReturnStatus.CLOSED),
        ("SOMETHING_NEW", None, ReturnStatus.OPENED),
    ],
)
def test_a_return_status_comes_from_where_its_parcel_is(
    shipment: str | None, refund: str | None, expected: ReturnStatus
) -> None:
    assert return_status({"shipmentStatus": shipment, "refundStatus": refund}) == expected


def test_a_return_without_items_or_ids_is_bad_response() -> None:
    good = {"id": 5, "orderId": 7, "creationDate": "2026-12-01T10:00:00Z", "returnType": "RETURN",
            "items": [{"shopSku": "A", "count": 2, "decisions": [{"reasonType": "DOES_NOT_FIT"}]}]}  # fmt: skip
    mapped = remote_return(good)
    assert (mapped.external_id, mapped.order_external_id, mapped.reason) == ("5", "7", "DOES_NOT_FIT")
    assert [(line.external_offer_id, line.quantity) for line in mapped.lines] == [("A", 2)]
    for broken in ({**good, "id": None}, {**good, "items": "none"}, {**good, "items": [{"count": 1}]}):
        with pytest.raises(BadResponse):
            remote_return(broken)
