"""The asynchronous check of marking codes: a code sent with the boxes is IN_PROGRESS, then OK
or INVALID; READY_TO_SHIP waits for every code to pass; the connector waits for the check
when it packs and refuses the codes that fail it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from marketbridge.channels.errors import RequestRejected
from marketbridge.channels.roles import Fulfilment, OrderConfirmer, OrderSource, PackBox, PackLine, require
from tests.support.marketplaces import Market, offer, start_market
from tests.yandex_market.sandbox_order import Order

WAREHOUSE = "8701"
GOOD = ["010460043993125621Ab1\u001d91EE06\u001d92xyz=", "010460043993125621Ab2"]
READY = {"order": {"status": "PROCESSING", "substatus": "READY_TO_SHIP"}}


@pytest.fixture
def market() -> Iterator[Market]:
    for running in start_market("yandex-market"):
        running.seed(
            [offer("M-1", 951, [WAREHOUSE], requires_marking=True), offer("P-1", 952, [WAREHOUSE])],
            (WAREHOUSE,),
        )
        running.control.put("/timing", json={"scale": 0.2}).raise_for_status()  # a 2-second check
        yield running


def boxes(order: Order, codes: list[str]) -> dict[str, Any]:
    marked = {"id": order.item["M-1"], "fullCount": len(codes), "instances": [{"cis": c} for c in codes]}
    return {"boxes": [{"items": [marked, {"id": order.item["P-1"], "fullCount": 1}]}]}


def checks(order: Order) -> list[tuple[str, str, str | None]]:
    reply = order.post("identifiers/status")
    assert reply.status_code == 200, reply.text
    return [
        (c["value"], c["status"], c.get("substatus"))
        for i in reply.json()["result"]["items"]
        for c in i["cis"]
    ]


def settled(order: Order) -> list[tuple[str, str, str | None]]:
    """The checks once none is IN_PROGRESS (polled, generous deadline)."""
    deadline = time.monotonic() + 30
    found = checks(order)
    while any(status == "IN_PROGRESS" for _, status, _ in found):
        assert time.monotonic() < deadline, found
        time.sleep(0.2)
        found = checks(order)
    return found


def test_codes_are_checked_later_and_ready_to_ship_waits_for_them(market: Market) -> None:
    order = Order(market, [("M-1", 2), ("P-1", 1)], WAREHOUSE)
    refused = order.put("status", READY)
    assert refused.status_code == 400 and "not sent" in refused.json()["errors"][0]["message"]
    assert "instances" not in order.read()["items"][0]
    assert order.put("boxes", boxes(order, GOOD)).status_code == 200
    assert checks(order) == [(c, "IN_PROGRESS", None) for c in GOOD]
    early = order.put("status", READY)
    assert early.status_code == 400 and "being checked" in early.json()["errors"][0]["message"]
    assert settled(order) == [(c, "OK", None) for c in GOOD]
    item = next(i for i in order.read()["items"] if i["offerId"] == "M-1")
    assert item["instances"] == [{"cis": c.split("\u001d")[0], "cisFull": c} for c in GOOD]
    assert order.put("boxes", boxes(order, GOOD)).status_code == 200
    assert [s for _, s, _ in checks(order)] == ["OK", "OK"], "a code sent again keeps its check"
    assert order.put("status", READY).status_code == 200


@pytest.mark.parametrize(
    ("code", "substatus"),
    [
        ("046004399312562Ab1", "CIS_GTIN_NOT_FOUND"),
        ("0104600439931256", "CIS_SERIAL_NUMBER_NOT_FOUND"),
        ("010460043993125621Ab ц", "INVALID_SYMBOLS_FOUND"),
    ],
)
def test_a_malformed_code_fails_the_check_and_blocks_shipping(
    market: Market, code: str, substatus: str
) -> None:
    order = Order(market, [("M-1", 2), ("P-1", 1)], WAREHOUSE)
    assert order.put("boxes", boxes(order, [GOOD[0], code])).status_code == 200
    assert settled(order) == [(GOOD[0], "OK", None), (code, "INVALID", substatus)]
    refused = order.put("status", READY)
    assert refused.status_code == 400 and "did not pass" in refused.json()["errors"][0]["message"]
    assert (order.read()["status"], order.read()["substatus"]) == ("PROCESSING", "STARTED")
    assert order.put("boxes", boxes(order, GOOD)).status_code == 200  # the code replaced
    assert settled(order) == [(c, "OK", None) for c in GOOD]
    assert order.put("status", READY).status_code == 200


async def test_the_connector_packs_once_the_codes_pass(market: Market) -> None:
    order = Order(market, [("M-1", 2), ("P-1", 1)], WAREHOUSE)
    channel = market.channel()
    source, fulfil = require(channel, OrderSource), require(channel, Fulfilment)
    try:
        remote = await source.get_order(order.id)
        await require(channel, OrderConfirmer).confirm(remote)
        assert order.read()["substatus"] == "STARTED", "READY_TO_SHIP waits for the codes"
        lines = (PackLine("M-1", 2, tuple(GOOD)), PackLine("P-1", 1))
        await fulfil.pack(remote, [PackBox(1, lines)])
        assert order.read()["substatus"] == "READY_TO_SHIP"
        assert [s for _, s, _ in checks(order)] == ["OK", "OK"]
        other = Order(market, [("M-1", 1), ("P-1", 1)], WAREHOUSE)
        bad = (PackLine("M-1", 1, ("no code",)), PackLine("P-1", 1))
        with pytest.raises(RequestRejected, match="INVALID"):
            await fulfil.pack(await source.get_order(other.id), [PackBox(1, bad)])
        assert other.read()["substatus"] == "STARTED"
    finally:
        await channel.aclose()
