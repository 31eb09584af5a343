"""End to end: polling finds every posting created or changed in the window, page by page, and
the connector rides out the sandbox's injected faults."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from marketbridge.channels.ozon import OzonChannel
from marketbridge.channels.ozon import endpoints as api
from marketbridge.channels.roles import CardDraft, PushKind, StockPush
from marketbridge.model import ListingStatus, OrderStatus
from tests.ozon.conftest import PushReceiver, Sandbox
from tests.ozon.cycle import collect_orders, wait_for


def shop(sandbox: Sandbox, orders: int) -> list[str]:
    seeded = sandbox.seed(
        [{"name": "Склад"}], [{"offer_code": "P-1", "name": "Товар", "price": "100", "stocks": {}}]
    )
    warehouse = int(seeded["warehouses"][0]["id"])
    sandbox.api(
        "/v2/products/stocks", {"stocks": [{"offer_id": "P-1", "stock": 100, "warehouse_id": warehouse}]}
    )
    return [
        str(
            sandbox.control.post("/_sandbox/orders", json={"lines": [{"offer_code": "P-1"}]}).json()["ids"][0]
        )
        for _ in range(orders)
    ]


async def test_polling_pages_and_sees_changes_of_older_postings(
    sandbox: Sandbox, channel: OzonChannel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(api, "PAGE_SIZE", 2)
    old = shop(sandbox, 5)
    await asyncio.sleep(0.05)
    window_start = datetime.now(UTC)
    await asyncio.sleep(0.05)
    sandbox.control.post(f"/_sandbox/orders/{old[0]}/move", json={"status": "cancelled"}).raise_for_status()
    new = str(
        sandbox.control.post("/_sandbox/orders", json={"lines": [{"offer_code": "P-1"}]}).json()["ids"][0]
    )
    until = datetime.now(UTC) + timedelta(seconds=1)

    pages = [page async for page in channel.iter_orders(window_start, until)]
    found = {o.external_id: o for page in pages for o in page}
    assert set(found) == {old[0], new}, "created in the window, or changed in it; nothing else"
    assert found[old[0]].status == OrderStatus.CANCELLED and found[new].status == OrderStatus.NEW

    everything = await collect_orders(channel, window_start - timedelta(minutes=5), until)
    assert set(everything) == {*old, new}
    body_limits = [e["body"]["limit"] for e in sandbox.journal() if e["path"] == "/v4/posting/fbs/list"]
    assert set(body_limits) == {2} and len(body_limits) >= 4, (
        "six postings at two per page take several pages"
    )


async def test_duplicate_and_late_pushes_keep_one_key(sandbox: Sandbox, push_receiver: PushReceiver) -> None:
    numbers = shop(sandbox, 0)
    assert numbers == []
    sandbox.control.put(
        "/_sandbox/push", json={"url": push_receiver.url, "duplicate_rate": 1.0, "reorder_rate": 0.5}
    ).raise_for_status()
    placed = str(
        sandbox.control.post("/_sandbox/orders", json={"lines": [{"offer_code": "P-1"}]}).json()["ids"][0]
    )
    sandbox.control.post(f"/_sandbox/orders/{placed}/move", json={"status": "cancelled"}).raise_for_status()
    await wait_for(lambda: len(push_receiver.messages) >= 4)
    created = [m for m in push_receiver.messages if m.kind == PushKind.ORDER_CREATED]
    cancelled = [m for m in push_receiver.messages if m.kind == PushKind.ORDER_CANCELLED]
    assert len(created) == 2 and created[0].dedup_key == created[1].dedup_key
    assert len(cancelled) == 2 and cancelled[0].dedup_key == cancelled[1].dedup_key
    assert created[0].dedup_key != cancelled[0].dedup_key
    assert {m.order_external_id for m in push_receiver.messages} == {placed}


async def test_categories_attributes_and_dictionaries_are_cached(
    sandbox: Sandbox, channel: OzonChannel
) -> None:
    for _ in range(3):
        tree = await channel.categories()
        attributes = await channel.category_attributes("17028650:94700")
        brands = await channel.attribute_values("17028650:94700", "85")
    assert any(c.id == "17028650:94700" and c.leaf for c in tree)
    assert any(a.id == "4295" and a.required and a.dictionary for a in attributes)
    assert brands["Бренд 0001"] == 5_000_001 and len(brands) == 2500
    calls = [e["path"] for e in sandbox.journal()]
    assert calls.count("/v1/description-category/tree") == 1
    assert calls.count("/v1/description-category/attribute") == 1
    assert calls.count("/v1/description-category/attribute/values") == 2  # two pages, once


async def test_stock_waits_for_moderation_of_a_new_card(sandbox: Sandbox, channel: OzonChannel) -> None:
    warehouse = sandbox.seed([{"name": "Склад"}], [])["warehouses"][0]["id"]
    card = CardDraft(
        offer_code="NEW-1",
        name="Чехол",
        category_id="17028922:93900",
        barcodes=["4600000000103"],
        price=Decimal("700"),
        brand="Нет бренда",
        attributes={"9048": ["Case"], "8229": ["Чехол для смартфона"]},
    )
    task = await channel.export_cards([card])
    (listed,) = [
        c for c in sandbox.control.get("/_sandbox/cards").json()["items"] if c["offer_code"] == "NEW-1"
    ]
    assert listed["status"] == "moderating"
    push = StockPush(listed["external_id"], "NEW-1", warehouse, 4)
    (early,) = await channel.push_stocks([push])
    assert not early.ok and early.code == "product_is_not_created" and early.retryable
    results = None
    while results is None:
        await asyncio.sleep(0.1)
        results = await channel.card_export_status(task)
    assert results[0].status == ListingStatus.ACTIVE and results[0].external_id == listed["external_id"]
    (late,) = await channel.push_stocks([push])
    assert late.ok
