"""Unit tests of the Wildberries mapping and client: ids, statuses, prices, errors, 429 handling."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
import respx

from marketbridge.channels.errors import BadResponse, RateLimited
from marketbridge.channels.roles import ConnectionConfig, StockPush
from marketbridge.channels.wildberries import WildberriesChannel
from marketbridge.channels.wildberries.client import parse_error
from marketbridge.channels.wildberries.endpoints import LIMITS, SENDING_LIMITS
from marketbridge.channels.wildberries.mapping import (
    card_offers,
    claim_return,
    order_status,
    task_order,
    unit_code,
    wb_price,
)
from marketbridge.model import OrderStatus, ReturnStatus
from marketbridge.runtime.ratelimit import MemoryLimiter

CARD: dict[str, Any] = {
    "nmID": 555,
    "vendorCode": "SHIRT",
    "title": "Рубашка",
    "subjectID": 192,
    "brand": "B",
    "characteristics": [{"id": 14177449, "name": "Цвет", "value": ["белый"]}],
    "sizes": [
        {"chrtID": 11, "techSize": "S", "skus": ["111"]},
        {"chrtID": 12, "techSize": "M", "skus": ["112", "113"]},
    ],
}


def test_unit_codes() -> None:
    assert unit_code("MUG", "0", 1) == "MUG"
    assert unit_code("SHIRT", "M", 2) == "SHIRT-M"


def test_card_sizes_become_variants_or_products() -> None:
    variants = card_offers(CARD, sizes_as_products=False)
    assert [(o.external_id, o.offer_code, o.product_external_id) for o in variants] == [
        ("11", "SHIRT-S", "555"),
        ("12", "SHIRT-M", "555"),
    ]
    assert variants[1].barcodes == ["112", "113"] and variants[0].color == "белый"
    products = card_offers(CARD, sizes_as_products=True)
    assert [o.product_external_id for o in products] == ["11", "12"]


def test_malformed_card_raises_bad_response() -> None:
    with pytest.raises(BadResponse):
        card_offers({"nmID": "x", "vendorCode": "A", "sizes": [{}]}, False)
    with pytest.raises(BadResponse):
        card_offers({"sizes": []}, False)


@pytest.mark.parametrize(
    ("supplier", "wb", "expected"),
    [
        ("new", "waiting", OrderStatus.NEW),
        ("confirm", "waiting", OrderStatus.PACKED),
        ("complete", "waiting", OrderStatus.SHIPPED),
        ("complete", "sorted", OrderStatus.SHIPPED),
        ("complete", "sold", OrderStatus.DELIVERED),
        ("cancel", "canceled", OrderStatus.CANCELLED),
        ("new", "canceled_by_client", OrderStatus.CANCELLED),
        ("new", "declined_by_client", OrderStatus.CANCELLED),
        ("complete", "canceled", OrderStatus.CANCELLED),
    ],
)
def test_status_pairs(supplier: str, wb: str, expected: OrderStatus) -> None:
    assert order_status(supplier, wb) == expected


def test_task_to_order() -> None:
    raw = {
        "id": 77,
        "orderUid": "u1",
        "rid": "r1",
        "chrtId": 12,
        "article": "SHIRT",
        "skus": ["112"],
        "warehouseId": 901,
        "createdAt": "2026-01-02T03:04:05Z",
        "convertedPrice": 123450,
        "offices": ["Москва"],
    }
    order = task_order(raw, ("confirm", "waiting"), {"12": "SHIRT-M"})
    assert order.external_id == "77" and order.group_id == "u1"
    assert order.status == OrderStatus.PACKED and order.raw_status == "confirm/waiting"
    assert order.lines[0].external_offer_id == "12" and order.lines[0].offer_code == "SHIRT-M"
    assert order.lines[0].price == Decimal("1234.50") and order.lines[0].barcode == "112"
    assert order.created_at.tzinfo is not None
    with pytest.raises(BadResponse):
        task_order({**raw, "createdAt": "yesterday"}, None, {})


def test_price_and_discount() -> None:
    assert wb_price(Decimal("1500"), Decimal("2000")) == (2000, 25)
    assert wb_price(Decimal("999"), None) == (999, 0)
    assert wb_price(Decimal("10"), Decimal("1000")) == (1000, 99)


def test_claims() -> None:
    claim = {
        "id": "c1",
        "nm_id": 555,
        "srid": "r1",
        "dt": "2026-01-05T10:00:00.123",
        "status": 0,
        "price": 990,
    }
    ret = claim_return(claim, False, {"r1": ("77", "12")}, {"12": "SHIRT-M"})
    assert ret.order_external_id == "77" and ret.lines[0].offer_code == "SHIRT-M"
    assert ret.status == ReturnStatus.OPENED
    assert claim_return({**claim, "status": 1}, False, {}, {}).status == ReturnStatus.CLOSED
    assert (
        claim_return({**claim, "status": 2, "status_ex": 10}, False, {}, {}).status == ReturnStatus.IN_TRANSIT
    )


def test_error_shapes() -> None:
    assert parse_error({"code": "NotFound", "message": "Не найдено"}) == ("NotFound", "Не найдено")
    assert parse_error({"data": None, "error": True, "errorText": "Invalid price value"}) == (
        None,
        "Invalid price value",
    )
    gateway = {"title": "unauthorized", "detail": "token scope not allowed", "status": 401}
    assert parse_error(gateway) == ("unauthorized", "token scope not allowed")
    assert parse_error([{"code": "NotFound", "message": "Not found", "data": []}]) == (
        "NotFound",
        "Not found",
    )
    assert parse_error("oops") == (None, None)


def test_sending_limits_keep_under_wb() -> None:
    for group, limit in LIMITS.items():
        assert SENDING_LIMITS[group].interval > limit.interval
        assert SENDING_LIMITS[group].burst <= limit.burst


def _channel() -> WildberriesChannel:
    config = ConnectionConfig(
        "c1", {"marketplace": "https://mp.test", "content": "https://ct.test"}, {"token": "t"}
    )
    return WildberriesChannel(config, MemoryLimiter())


@respx.mock
async def test_429_waits_for_x_ratelimit_retry_and_calls_go_to_their_host() -> None:
    route = respx.get("https://mp.test/api/v3/warehouses").mock(
        side_effect=[
            httpx.Response(429, json={"title": "too many requests"}, headers={"X-Ratelimit-Retry": "0"}),
            httpx.Response(200, json=[{"id": 1, "name": "A"}]),
        ]
    )
    channel = _channel()
    try:
        warehouses = await channel.list_warehouses()
    finally:
        await channel.aclose()
    assert route.call_count == 2 and warehouses[0].external_id == "1"
    assert route.calls[0].request.headers["Authorization"] == "t"


@respx.mock
async def test_429_everywhere_ends_in_rate_limited() -> None:
    respx.get("https://mp.test/api/v3/warehouses").mock(
        return_value=httpx.Response(
            429, json={"title": "too many requests"}, headers={"X-Ratelimit-Retry": "0"}
        )
    )
    channel = _channel()
    try:
        with pytest.raises(RateLimited):
            await channel.check()
    finally:
        await channel.aclose()


@respx.mock
async def test_stock_409_without_item_names_fails_the_batch_as_retryable() -> None:
    route = respx.put("https://mp.test/api/v3/stocks/9").mock(
        return_value=httpx.Response(
            409, json=[{"code": "StoreIsProcessing", "message": "The store is processing"}]
        )
    )
    channel = _channel()
    try:
        results = await channel.push_stocks([StockPush("11", "A", "9", 1), StockPush("12", "B", "9", 2)])
    finally:
        await channel.aclose()
    assert route.call_count == 1
    assert [(r.ok, r.code, r.retryable) for r in results] == [(False, "StoreIsProcessing", True)] * 2
    assert json.loads(route.calls[0].request.content) == {
        "stocks": [{"chrtId": 11, "amount": 1}, {"chrtId": 12, "amount": 2}]
    }


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"orders": "nope"},
        {"orders": [1, 2]},
        {"orders": [{"id": "x", "chrtId": 1, "createdAt": "2026-01-01T00:00:00Z"}]},
        {"orders": [{"id": 1, "chrtId": 1, "createdAt": "not a time"}]},
        [],
    ],
)
@respx.mock
async def test_malformed_task_lists_raise_bad_response(body: Any) -> None:
    respx.get("https://mp.test/api/v3/orders/new").mock(return_value=httpx.Response(200, json=body))
    respx.post("https://mp.test/api/v3/orders/status").mock(
        return_value=httpx.Response(200, json={"orders": []})
    )
    respx.post("https://ct.test/content/v2/get/cards/list").mock(
        return_value=httpx.Response(200, json={"cards": [], "cursor": {"total": 0}})
    )
    channel = _channel()
    now = datetime.now(UTC)
    try:
        with pytest.raises(BadResponse):
            async for _ in channel.iter_orders(now - timedelta(hours=1), now):
                pass
    finally:
        await channel.aclose()


@pytest.mark.parametrize(
    "body", [{}, {"cards": {"a": 1}}, {"cards": [{"nmID": 1}]}, {"cards": [], "cursor": 5}]
)
@respx.mock
async def test_malformed_cards_raise_bad_response(body: Any) -> None:
    respx.post("https://ct.test/content/v2/get/cards/list").mock(return_value=httpx.Response(200, json=body))
    channel = _channel()
    try:
        with pytest.raises(BadResponse):
            async for _ in channel.iter_offers():
                pass
    finally:
        await channel.aclose()


def test_bad_settings_are_refused_clearly() -> None:
    config = ConnectionConfig("c1", {}, {"token": "t"}, {"price_poll_interval": "soon"})
    with pytest.raises(ValueError, match="price_poll_interval"):
        WildberriesChannel(config, MemoryLimiter())


def test_host_aliases() -> None:
    one = WildberriesChannel(
        ConnectionConfig("c", {"default": "http://127.0.0.1:9"}, {"token": "t"}), MemoryLimiter()
    )
    assert one.api.http.url("/x", "returns") == "http://127.0.0.1:9/x"
    real = WildberriesChannel(ConnectionConfig("c", {"content": ""}, {"token": "t"}), MemoryLimiter())
    assert real.api.http.url("/x", "content") == "https://content-api.wildberries.ru/x"
    assert real.api.http.url("/x", "prices") == "https://discounts-prices-api.wildberries.ru/x"
