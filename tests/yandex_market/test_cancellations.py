"""A buyer's cancellation: granted by Market at once while the order is processed; a request the
seller answers (PUT .../cancellation/accept) once the order is in delivery, which the connector
grants until the order is delivered and refuses (ORDER_DELIVERED) after; one left unanswered
for 48 hours is granted by Market.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from marketbridge.channels.roles import OrderSource, require
from marketbridge.model import OrderStatus
from tests.support.marketplaces import Market, offer, start_market, wait_until, window

WAREHOUSE = "8501"


@pytest.fixture
def market() -> Iterator[Market]:
    for running in start_market("yandex-market"):
        running.seed([offer("C-1", 801, [WAREHOUSE])], (WAREHOUSE,))
        yield running


def answers(market: Market, mark: float) -> list[dict[str, Any]]:
    """The bodies of the cancellation answers the sandbox got since `mark`."""
    return [
        e["body"]
        for e in market.journal_since(mark)
        if e["method"] == "PUT" and str(e["path"]).endswith("/cancellation/accept")
    ]


def business_order(market: Market, order_id: str) -> dict[str, Any]:
    business = market.credentials["business_id"]
    reply = httpx.post(
        f"{market.url}/v1/businesses/{business}/orders",
        headers={"Api-Key": market.credentials["api_key"]},
        json={"orderIds": [int(order_id)]},
    )
    found: dict[str, Any] = reply.json()["orders"][0]
    return found


async def read(market: Market, order_id: str) -> Any:
    channel = market.channel()
    try:
        return await require(channel, OrderSource).get_order(order_id)
    finally:
        await channel.aclose()


async def test_a_request_on_a_processing_order_cancels_it_at_once(market: Market) -> None:
    (order_id,) = market.place([("C-1", 1)], WAREHOUSE)
    mark = time.time()
    market.move(order_id, "cancellation-requested")
    raw = business_order(market, order_id)
    assert (raw["status"], raw["substatus"], raw["cancelRequested"]) == (
        "CANCELLED",
        "USER_CHANGED_MIND",
        False,
    )
    order = await read(market, order_id)
    assert order.status == OrderStatus.CANCELLED and order.cancel_reason == "USER_CHANGED_MIND"
    assert answers(market, mark) == [], "nothing was left to answer"


async def test_a_request_in_delivery_is_granted_by_the_connector(market: Market) -> None:
    (order_id,) = market.place([("C-1", 1)], WAREHOUSE)
    market.move(order_id, "shipped")
    market.move(order_id, "cancellation-requested")
    assert business_order(market, order_id)["cancelRequested"] is True
    mark = time.time()
    order = await read(market, order_id)
    assert order.status == OrderStatus.CANCELLED
    assert order.raw_status == "CANCELLED/USER_CHANGED_MIND"
    assert answers(market, mark) == [{"accepted": True}]
    again = await read(market, order_id)
    assert again.status == OrderStatus.CANCELLED
    assert len(answers(market, mark)) == 1, "a settled request is not answered twice"


async def test_a_request_on_a_delivered_order_is_refused_in_the_listing(market: Market) -> None:
    (order_id,) = market.place([("C-1", 1)], WAREHOUSE)
    market.move(order_id, "shipped")
    market.move(order_id, "cancellation-requested")
    market.move(order_id, "delivered")
    mark = time.time()
    channel = market.channel()
    since, until = window()
    try:
        listed = [o async for page in channel.iter_orders(since, until) for o in page]  # type: ignore[attr-defined]
    finally:
        await channel.aclose()
    mine = [o for o in listed if o.external_id == order_id]
    assert [o.status for o in mine] == [OrderStatus.DELIVERED]
    assert answers(market, mark) == [{"accepted": False, "reason": "ORDER_DELIVERED"}]
    assert business_order(market, order_id)["cancelRequested"] is False


async def test_an_unanswered_request_is_granted_after_48_hours(market: Market) -> None:
    market.call("PUT", "/timing", json={"scale": 0.00001})  # 48 hours: under two seconds
    (order_id,) = market.place([("C-1", 1)], WAREHOUSE)
    market.move(order_id, "shipped")
    market.move(order_id, "cancellation-requested")

    async def granted() -> bool:
        return business_order(market, order_id)["status"] == "CANCELLED"

    await wait_until(granted, what="the request granted by Market")
    assert business_order(market, order_id)["cancelRequested"] is False


def test_answers_the_description_refuses(market: Market) -> None:
    (order_id,) = market.place([("C-1", 1)], WAREHOUSE)
    campaign = business_order(market, order_id)["campaignId"]
    url = f"{market.url}/v2/campaigns/{campaign}/orders/{order_id}/cancellation/accept"
    headers = {"Api-Key": market.credentials["api_key"]}

    def put(body: Any) -> httpx.Response:
        return httpx.put(url, headers=headers, json=body)

    assert put({"accepted": True}).status_code == 400  # no request on the order
    market.move(order_id, "shipped")
    market.move(order_id, "cancellation-requested")
    for wrong in ({}, {"accepted": "yes"}, {"accepted": False}, {"accepted": False, "reason": "BORED"}):
        refused = put(wrong)
        assert refused.status_code == 400, wrong
        assert refused.json()["status"] == "ERROR"
    assert business_order(market, order_id)["cancelRequested"] is True, "a refused answer changes nothing"
    assert put({"accepted": False, "reason": "ORDER_IN_DELIVERY"}).status_code == 200
    raw = business_order(market, order_id)
    assert (raw["status"], raw["cancelRequested"]) == ("DELIVERY", False)
    market.move(order_id, "delivered")
    with pytest.raises(AssertionError, match="cannot ask to cancel"):
        market.move(order_id, "cancellation-requested")  # delivered: a return is the way back
