"""WB's asynchronous steps take their real time by default and the timing switch shortens them.

The sandbox used to apply price tasks and moderate uploads after a fixed 0.3 s; now a price
task waits PRICE_TASK_SECONDS in the buffer and an upload CARD_MODERATION_SECONDS, scaled
by `PUT /_sandbox/timing`. One test here runs the connector through both at the real
default; the rest of the suite runs them shortened (harness.FAST_TIMING).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from decimal import Decimal

import pytest

from marketbridge.channels.roles import CardDraft, PricePush
from marketbridge.model import ListingStatus
from marketbridge.sandbox.wildberries.routes_prices import BAD_TURNOVER_ERROR
from marketbridge.sandbox.wildberries.shop import CARD_MODERATION_SECONDS, PRICE_TASK_SECONDS
from tests.wildberries.harness import Sandbox, make_channel, seed_shop, start_sandbox, wait_for


@pytest.fixture
def real_sandbox() -> Iterator[Sandbox]:
    """A sandbox left at its default timing: WB's real delays."""
    yield from start_sandbox(demo=False, limits=False, timing_scale=1.0)


def _nm_id(sandbox: Sandbox, vendor_code: str) -> int:
    cards = sandbox.control("GET", "/cards")["items"]
    return next(int(c["external_id"]) for c in cards if c["offer_code"] == vendor_code)


@pytest.mark.real_timing
async def test_price_task_and_moderation_at_real_timing(real_sandbox: Sandbox) -> None:
    sandbox = real_sandbox
    assert sandbox.http.get("/_sandbox/timing").json() == {"scale": 1.0}
    units = seed_shop(sandbox)
    task = sandbox.api(
        "POST", "/api/v2/upload/task", json={"data": [{"nmID": _nm_id(sandbox, "MUG"), "price": 1200}]}
    ).json()["data"]["id"]
    waited = wait_for(
        lambda: sandbox.api("GET", "/api/v2/buffer/tasks", params={"uploadID": task}).status_code != 200,
        timeout=PRICE_TASK_SECONDS * 3,
        what="the price task leaves the buffer",
    )
    assert waited >= PRICE_TASK_SECONDS * 0.8, "a price task stays in the buffer for WB's time"
    channel = make_channel(sandbox, price_poll_interval=0.5, price_poll_timeout=PRICE_TASK_SECONDS * 4)
    try:
        results = await channel.push_prices([PricePush(units["CAP"], "CAP", Decimal("650"))])
        assert [r.ok for r in results] == [True]
        prices = {p["external_id"]: p for p in sandbox.control("GET", "/prices")["items"]}
        assert prices[units["CAP"]]["old_price"] == "650"
        upload = await channel.export_cards(
            [CardDraft("LATE", "Новая", "192", ["4600000005555"], Decimal("990"))]
        )
        assert await channel.card_export_status(upload) is None, "still in moderation"
        started = asyncio.get_running_loop().time()
        results_cards = None
        while results_cards is None:
            assert asyncio.get_running_loop().time() - started < CARD_MODERATION_SECONDS * 3
            await asyncio.sleep(0.5)
            results_cards = await channel.card_export_status(upload)
        assert asyncio.get_running_loop().time() - started >= CARD_MODERATION_SECONDS * 0.7
        assert [r.status for r in results_cards] == [ListingStatus.ACTIVE]
    finally:
        await channel.aclose()


@pytest.mark.parametrize(("price", "refused"), [(301, False), (300, True)])
def test_price_quarantine_starts_at_three_times_lower(sandbox: Sandbox, price: int, refused: bool) -> None:
    seed_shop(sandbox, [{"offer_code": "BOX", "name": "Коробка", "price": "900"}])
    nm_id = _nm_id(sandbox, "BOX")
    task = sandbox.api("POST", "/api/v2/upload/task", json={"data": [{"nmID": nm_id, "price": price}]}).json()
    upload_id = task["data"]["id"]
    wait_for(
        lambda: sandbox.api("GET", "/api/v2/history/tasks", params={"uploadID": upload_id}).status_code == 200
    )
    goods = sandbox.api(
        "GET", "/api/v2/history/goods/task", params={"uploadID": upload_id, "limit": 10}
    ).json()["data"]["historyGoods"]
    assert [bool(g["errorText"]) for g in goods] == [refused]


def test_a_good_in_the_high_inventory_sale_refuses_a_new_price(sandbox: Sandbox) -> None:
    seed_shop(sandbox, [{"offer_code": "JAR", "name": "Банка", "price": "900"}])
    nm_id = _nm_id(sandbox, "JAR")
    put = sandbox.http.put("/_sandbox/faults", json={"refuse_prices": ["JAR"]})
    assert put.status_code == 200 and put.json()["menu"] == ["price_refused"]
    listed = sandbox.api("GET", "/api/v2/list/goods/filter", params={"limit": 10, "filterNmID": nm_id})
    assert listed.json()["data"]["listGoods"][0]["isBadTurnover"] is True
    accepted = sandbox.api("POST", "/api/v2/upload/task", json={"data": [{"nmID": nm_id, "price": 1000}]})
    assert accepted.status_code == 200, "the upload itself is accepted; the refusal comes in processing"
    upload_id = accepted.json()["data"]["id"]
    wait_for(
        lambda: sandbox.api("GET", "/api/v2/history/tasks", params={"uploadID": upload_id}).status_code == 200
    )
    task = sandbox.api("GET", "/api/v2/history/tasks", params={"uploadID": upload_id}).json()["data"]
    assert task["status"] == 6 and task["successGoodsNumber"] == 0
    goods = sandbox.api(
        "GET", "/api/v2/history/goods/task", params={"uploadID": upload_id, "limit": 10}
    ).json()["data"]["historyGoods"]
    assert [(g["status"], g["errorText"]) for g in goods] == [(3, BAD_TURNOVER_ERROR)]
    held = {p["offer_code"]: p["price"] for p in sandbox.control("GET", "/prices")["items"]}
    assert float(held["JAR"]) == 900
