"""A return moved through its documented statuses by the control API: the Partner API shows
each move, the connector maps it, refusals change nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from marketbridge.channels.roles import ReturnsSource, require
from marketbridge.model import ReturnStatus
from tests.support.marketplaces import Market, offer, start_market, window

WAREHOUSE = "8801"
MOVE = "/_sandbox/yandex-market/returns/{}/move"


@pytest.fixture
def market() -> Iterator[Market]:
    for running in start_market("yandex-market"):
        running.seed([offer("RT-1", 961, [WAREHOUSE])], (WAREHOUSE,))
        yield running


def opened(market: Market) -> tuple[str, str]:
    """A delivered order and the return opened for it."""
    (order_id,) = market.place([("RT-1", 1)], WAREHOUSE)
    market.move(order_id, "delivered")
    return order_id, market.open_return(order_id, "too small")


def move(market: Market, return_id: str, **statuses: str) -> httpx.Response:
    return market.control.post(MOVE.format(return_id).removeprefix("/_sandbox"), json=statuses)


def read(market: Market, order_id: str, return_id: str) -> dict[str, Any]:
    business = market.credentials["business_id"]
    headers = {"Api-Key": market.credentials["api_key"]}
    found = httpx.post(f"{market.url}/v1/businesses/{business}/orders", headers=headers,
                       json={"orderIds": [int(order_id)]}).json()["orders"][0]  # fmt: skip
    url = f"{market.url}/v2/campaigns/{found['campaignId']}/orders/{order_id}/returns/{return_id}"
    answer: dict[str, Any] = httpx.get(url, headers=headers).json()["result"]
    return answer


async def hub_status(market: Market, return_id: str) -> ReturnStatus:
    channel = require(market.channel(), ReturnsSource)
    try:
        found = [r async for page in channel.iter_returns(window()[0]) for r in page]
    finally:
        await channel.aclose()  # type: ignore[attr-defined]
    return next(r.status for r in found if r.external_id == return_id)


async def test_a_return_moves_along_and_the_connector_follows(market: Market) -> None:
    order_id, return_id = opened(market)
    assert await hub_status(market, return_id) == ReturnStatus.OPENED
    steps = [
        ({"shipment_status": "RECEIVED"}, ("STARTED_BY_USER", "RECEIVED"), ReturnStatus.IN_TRANSIT),
        ({"refund_status": "REFUND_IN_PROGRESS", "shipment_status": "IN_TRANSIT"},
         ("REFUND_IN_PROGRESS", "IN_TRANSIT"), ReturnStatus.IN_TRANSIT),
        ({"shipment_status": "READY_FOR_PICKUP"}, ("REFUND_IN_PROGRESS", "READY_FOR_PICKUP"), ReturnStatus.IN_TRANSIT),
        ({"shipment_status": "PICKED", "refund_status": "REFUNDED"}, ("REFUNDED", "PICKED"), ReturnStatus.RECEIVED),
    ]  # fmt: skip
    for change, (refund, shipment), status in steps:
        reply = move(market, return_id, **change)
        assert reply.status_code == 200, reply.text
        assert reply.json() == {"id": int(return_id), "refundStatus": refund, "shipmentStatus": shipment}
        shown = read(market, order_id, return_id)
        assert (shown["refundStatus"], shown["shipmentStatus"]) == (refund, shipment)
        assert await hub_status(market, return_id) == status


@pytest.mark.parametrize(
    ("first", "then", "code"),
    [
        (None, {}, 409),  # nothing named
        (None, {"shipment_status": "CREATED"}, 409),  # where it is already
        (None, {"shipment_status": "FLYING"}, 409),  # not in the description
        (None, {"refund_status": "UNKNOWN"}, 409),  # Market's "ask support", not a move
        ({"shipment_status": "LOST"}, {"shipment_status": "IN_TRANSIT"}, 409),  # a final status
        ({"refund_status": "REJECTED"}, {"refund_status": "REFUNDED"}, 409),
    ],
)
def test_refused_moves_change_nothing(
    market: Market, first: dict[str, str] | None, then: dict[str, str], code: int
) -> None:
    order_id, return_id = opened(market)
    if first:
        assert move(market, return_id, **first).status_code == 200
    before = read(market, order_id, return_id)
    assert move(market, return_id, **then).status_code == code
    assert read(market, order_id, return_id) == before


def test_an_unknown_return_is_not_found(market: Market) -> None:
    assert move(market, "1", shipment_status="RECEIVED").status_code == 404
