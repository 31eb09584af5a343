"""What the Ozon sandbox answers as Ozon does, and how the connector reads it.

An unchanged card import is `skipped` (not a refusal); the stock sent to /v2/products/stocks
is the free stock, reserved units excluded; a return whose status changed long after it was
made is found by the status-change filter of /v1/returns/list.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from marketbridge.channels.ozon import OzonChannel
from marketbridge.channels.roles import CardDraft, CardResult, PricePush
from marketbridge.model import ListingStatus, ReturnStatus
from marketbridge.sandbox.ozon.shop_catalog import RULE_REFUSAL
from tests.ozon.conftest import Sandbox, holds_within

#: A card body the description accepts (a phone case), sent twice unchanged.
CARD = {
    "offer_code": "SAME-1",
    "name": "Чехол",
    "category_id": "17028922:93900",
    "barcodes": ["4600000000110"],
    "price": Decimal("700"),
    "brand": "Нет бренда",
    "attributes": {"9048": ["Case"], "8229": ["Чехол для смартфона"]},
}


def _card() -> CardDraft:
    return CardDraft(**CARD)  # type: ignore[arg-type]


async def _results(channel: OzonChannel, task: str) -> list[CardResult]:
    for _ in range(200):
        results = await channel.card_export_status(task)
        if results is not None:
            return results
        await asyncio.sleep(0.05)
    raise AssertionError(f"import task {task} never finished")


async def test_an_unchanged_card_is_skipped_not_rejected(sandbox: Sandbox, channel: OzonChannel) -> None:
    sandbox.seed([{"name": "Склад"}], [])
    first = await _results(channel, await channel.export_cards([_card()]))
    assert first[0].status != ListingStatus.REJECTED, first
    task = await channel.export_cards([_card()])
    info = sandbox.api("/v1/product/import/info", {"task_id": int(task)}).json()["result"]["items"]
    for _ in range(200):
        if info[0]["status"] != "pending":
            break
        await asyncio.sleep(0.05)
        info = sandbox.api("/v1/product/import/info", {"task_id": int(task)}).json()["result"]["items"]
    assert info[0]["status"] == "skipped" and info[0]["errors"] == []
    (again,) = await _results(channel, task)
    assert again.status != ListingStatus.REJECTED and again.errors == []
    assert again.external_id == first[0].external_id and again.external_id is not None


def test_the_stock_sent_is_the_free_stock(sandbox: Sandbox) -> None:
    seeded = sandbox.seed([{"name": "Склад"}], [{"offer_code": "S-1", "name": "Товар", "price": "100"}])
    warehouse = int(seeded["warehouses"][0]["id"])

    def send(stock: int) -> None:
        sent = sandbox.api(
            "/v2/products/stocks",
            {"stocks": [{"offer_id": "S-1", "stock": stock, "warehouse_id": warehouse}]},
        )
        assert sent.json()["result"][0]["updated"], sent.text

    def buy() -> int:
        return sandbox.control.post("/_sandbox/orders", json={"lines": [{"offer_code": "S-1"}]}).status_code

    send(5)
    assert buy() == 200  # one unit reserved
    send(4)  # the seller's free stock: 5 on hand, 1 of them reserved
    info = sandbox.api("/v4/product/info/stocks", {"filter": {"offer_id": ["S-1"]}, "limit": 10}).json()
    (fbs,) = [s for s in info["items"][0]["stocks"] if s["type"] == "fbs"]
    assert (fbs["present"], fbs["reserved"]) == (5, 1)
    (control,) = [
        s for s in sandbox.control.get("/_sandbox/stocks").json()["items"] if s["offer_code"] == "S-1"
    ]
    assert (control["quantity"], control["reserved"]) == (4, 1)
    assert [buy() for _ in range(4)] == [200] * 4  # every unit the seller said was free
    assert buy() != 200  # and no more


async def test_a_price_refused_by_rule_answers_200_with_the_refusal_per_item(
    sandbox: Sandbox, channel: OzonChannel
) -> None:
    sandbox.seed(
        [{"name": "Склад"}], [{"offer_code": f"P-{n}", "name": "Товар", "price": "100"} for n in (1, 2)]
    )
    assert sandbox.control.put("/_sandbox/faults", json={"refuse_prices": ["P-1"]}).status_code == 200
    prices = [
        {"offer_id": f"P-{n}", "price": "150", "old_price": "0", "currency_code": "RUB"} for n in (1, 2)
    ]
    answer = sandbox.api("/v1/product/import/prices", {"prices": prices})
    assert answer.status_code == 200
    refused, taken = answer.json()["result"]
    assert refused["updated"] is False and [e["code"] for e in refused["errors"]] == [RULE_REFUSAL["code"]]
    assert taken["updated"] is True and taken["errors"] == []
    held = {p["offer_code"]: p["price"] for p in sandbox.control.get("/_sandbox/prices").json()["items"]}
    assert Decimal(held["P-1"]) == 100 and Decimal(held["P-2"]) == 150
    ids = {o.offer_code: o.external_id async for page in channel.iter_offers() for o in page}
    pushed = await channel.push_prices([PricePush(ids[f"P-{n}"], f"P-{n}", Decimal("160")) for n in (1, 2)])
    assert [(r.ok, r.code, r.retryable) for r in pushed] == [
        (False, RULE_REFUSAL["code"], False),
        (True, None, False),
    ]


async def test_a_status_change_of_an_old_return_is_imported(sandbox: Sandbox, channel: OzonChannel) -> None:
    seeded = sandbox.seed([{"name": "Склад"}], [{"offer_code": "R-1", "name": "Товар", "price": "100"}])
    stock = {"offer_id": "R-1", "stock": 3, "warehouse_id": int(seeded["warehouses"][0]["id"])}
    assert sandbox.api("/v2/products/stocks", {"stocks": [stock]}).json()["result"][0]["updated"]
    number = str(
        sandbox.control.post("/_sandbox/orders", json={"lines": [{"offer_code": "R-1"}]}).json()["ids"][0]
    )
    sandbox.control.post(f"/_sandbox/orders/{number}/move", json={"status": "delivered"}).raise_for_status()
    return_id = sandbox.control.post("/_sandbox/returns", json={"order_id": number}).json()["id"]
    (made,) = sandbox.api("/v1/returns/list", {"filter": {}, "limit": 10}).json()["returns"]
    # the sync's cursor is past the return's making: only its status change is news
    since = datetime.fromisoformat(made["logistic"]["return_date"]) + timedelta(milliseconds=1)
    holds_within(lambda: datetime.now(UTC) > since, 1, "a moment after `since`")
    moved = sandbox.control.post(
        f"/_sandbox/ozon/returns/{return_id}/status", json={"sys_name": "ReceivedBySeller"}
    )
    assert moved.status_code == 200, moved.text
    found = [r for page in [p async for p in channel.iter_returns(since)] for r in page]
    assert [(r.external_id, r.status) for r in found] == [(str(return_id), ReturnStatus.RECEIVED)]
    window = {"time_from": since.isoformat(), "time_to": (since + timedelta(hours=1)).isoformat()}
    by_date = sandbox.api("/v1/returns/list", {"filter": {"logistic_return_date": window}, "limit": 10})
    assert by_date.json()["returns"] == []  # made before `since`: the return date filter misses it
    by_change = sandbox.api(
        "/v1/returns/list", {"filter": {"visual_status_change_moment": window}, "limit": 10}
    )
    (item,) = by_change.json()["returns"]
    assert item["visual"]["status"]["sys_name"] == "ReceivedBySeller"
    no_limit = sandbox.api("/v1/returns/list", {"filter": {}})
    assert no_limit.status_code == 400 and no_limit.json()["code"] == 3  # limit is required
