"""End to end over real HTTP: orders by polling, supplies, stickers, hand-over, cancel, returns."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from PIL import Image
from pypdf import PdfReader

from marketbridge.channels.errors import (
    AuthError,
    RequestRejected,
    TransientError,
)
from marketbridge.channels.roles import (
    PackBox,
    PackLine,
    PricePush,
    PushHandler,
    RemoteOrder,
    has_role,
)
from marketbridge.channels.wildberries import WildberriesChannel
from marketbridge.model import LabelFormat, OrderStatus, ReturnStatus
from tests.wildberries.harness import Sandbox, make_channel, seed_shop


def _window() -> tuple[datetime, datetime]:
    now = datetime.now(UTC)
    return now - timedelta(hours=2), now + timedelta(minutes=1)


async def _poll(channel: WildberriesChannel, since: datetime | None = None) -> dict[str, RemoteOrder]:
    start, end = _window()
    out: dict[str, RemoteOrder] = {}
    async for page in channel.iter_orders(since or start, end):
        assert isinstance(page, list)
        for order in page:
            assert order.external_id not in out, "a task is yielded once per poll"
            out[order.external_id] = order
    return out


def _buy(sandbox: Sandbox, *lines: tuple[str, int], warehouse: str = "901") -> list[str]:
    body = {"lines": [{"offer_code": c, "quantity": q} for c, q in lines], "warehouse_id": warehouse}
    return list(sandbox.control("POST", "/orders", json=body)["ids"])


def _box(order: RemoteOrder) -> list[PackBox]:
    return [PackBox(1, tuple(PackLine(line.external_offer_id, line.quantity) for line in order.lines))]


async def test_new_orders_by_polling(sandbox: Sandbox, channel: WildberriesChannel) -> None:
    units = seed_shop(sandbox)
    ids = _buy(sandbox, ("SHIRT-M", 1), ("MUG", 1))
    orders = await _poll(channel)
    assert set(ids) <= set(orders)
    shirt, mug = orders[ids[0]], orders[ids[1]]
    assert shirt.status == OrderStatus.NEW and shirt.raw_status == "new/waiting"
    assert shirt.group_id == mug.group_id and shirt.group_id, "tasks of one purchase share the orderUid"
    assert shirt.lines[0].external_offer_id == units["SHIRT-M"]
    assert shirt.lines[0].offer_code == "SHIRT-M"
    assert mug.lines[0].offer_code == "MUG"
    assert shirt.lines[0].barcode == "460000000011"
    assert shirt.warehouse_id == "901"
    assert shirt.lines[0].price > 0
    paths = [e["path"] for e in sandbox.journal()]
    assert "/api/v3/orders/new" in paths and "/api/v3/orders" in paths and "/api/v3/orders/status" in paths


async def test_polling_sees_status_changes_and_splits_long_windows(
    sandbox: Sandbox, channel: WildberriesChannel
) -> None:
    seed_shop(sandbox)
    ids = _buy(sandbox, ("MUG", 3))
    sandbox.control("POST", f"/orders/{ids[0]}/move", json={"status": "delivered"})
    sandbox.control("POST", f"/orders/{ids[1]}/move", json={"status": "canceled_by_client"})
    orders = await _poll(channel, since=datetime.now(UTC) - timedelta(days=45))
    assert orders[ids[0]].status == OrderStatus.DELIVERED and orders[ids[0]].raw_status == "complete/sold"
    assert orders[ids[1]].status == OrderStatus.CANCELLED
    assert orders[ids[2]].status == OrderStatus.NEW
    windows = [e["query"] for e in sandbox.journal() if e["path"] == "/api/v3/orders"]
    assert len(windows) == 2
    for query in windows:
        assert int(query["dateTo"]) - int(query["dateFrom"]) <= 30 * 24 * 3600
    refreshed = await channel.refresh_statuses(ids)
    assert refreshed[ids[0]] == (OrderStatus.DELIVERED, "complete/sold")
    fresh = make_channel(sandbox)
    try:
        one = await fresh.get_order(ids[2])
    finally:
        await fresh.aclose()
    assert one.status == OrderStatus.NEW and one.external_id == ids[2]


async def test_pack_labels_and_hand_over_through_a_supply(
    sandbox: Sandbox, channel: WildberriesChannel
) -> None:
    seed_shop(sandbox)
    ids = _buy(sandbox, ("SHIRT-S", 1), ("MUG", 1))
    orders = await _poll(channel)
    with pytest.raises(TransientError):
        await channel.labels(ids, LabelFormat.PDF)
    packed = [await channel.pack(orders[i], _box(orders[i])) for i in ids]
    assert [p.shipment_ids for p in packed] == [[ids[0]], [ids[1]]]
    journal = sandbox.journal()
    assert sum(1 for e in journal if e["method"] == "POST" and e["path"] == "/api/v3/supplies") == 1
    adds = [e for e in journal if e["path"].startswith("/api/marketplace/v3/supplies/")]
    assert len(adds) == 2 and adds[0]["path"] == adds[1]["path"], "the open supply is reused"
    assert {s for s, _ in (await channel.refresh_statuses(ids)).values()} == {OrderStatus.PACKED}

    pdf = await channel.labels(ids, LabelFormat.PDF)
    assert len(pdf) == 1 and pdf[0].content.startswith(b"%PDF")
    pages = PdfReader(io.BytesIO(pdf[0].content)).pages
    assert len(pages) == 2, "one page per sticker, merged"
    for page in pages:  # the sticker's real size, 58 x 40 mm, its image kept lossless
        box = page.mediabox
        assert (round(float(box.width) / 72 * 25.4), round(float(box.height) / 72 * 25.4)) == (58, 40)
        images = page["/Resources"]["/XObject"].values()
        assert {str(i.get_object()["/Filter"]) for i in images} == {"/FlateDecode"}
    zpl = await channel.labels(ids, LabelFormat.ZPL)
    assert len(zpl) == 2 and all(label.content.startswith(b"^XA") for label in zpl)
    png = await channel.labels(ids[:1], LabelFormat.PNG)
    assert Image.open(io.BytesIO(png[0].content)).size == (580, 400)

    result = await channel.hand_over(ids)
    assert result.external_id.startswith("WB-GI-")
    assert result.document is not None and result.document.startswith(b"%PDF")
    statuses = await channel.refresh_statuses(ids)
    assert {s for s, _ in statuses.values()} == {OrderStatus.SHIPPED}
    supply = sandbox.api("GET", f"/api/v3/supplies/{result.external_id}").json()
    assert supply["done"] is True

    later = _buy(sandbox, ("MUG", 1))
    more = await _poll(channel)
    await channel.pack(more[later[0]], _box(more[later[0]]))
    creates = [e for e in sandbox.journal() if e["method"] == "POST" and e["path"] == "/api/v3/supplies"]
    assert len(creates) == 2, "a delivered supply is not reused"


async def test_cancel_a_task(sandbox: Sandbox, channel: WildberriesChannel) -> None:
    seed_shop(sandbox)
    ids = _buy(sandbox, ("MUG", 1))
    await channel.cancel(ids[0], "out of stock")
    orders = await _poll(channel)
    assert orders[ids[0]].status == OrderStatus.CANCELLED
    assert orders[ids[0]].raw_status == "cancel/canceled"
    with pytest.raises(RequestRejected) as caught:
        await channel.cancel(ids[0], "again")
    assert caught.value.status == 409 and caught.value.code == "StatusMismatch"


async def test_a_return_claim(sandbox: Sandbox, channel: WildberriesChannel) -> None:
    units = seed_shop(sandbox)
    ids = _buy(sandbox, ("SHIRT-L", 1))
    sandbox.control("POST", f"/orders/{ids[0]}/move", json={"status": "delivered"})
    await _poll(channel)
    claim_id = sandbox.control("POST", "/returns", json={"order_id": ids[0], "reason": "не подошёл размер"})[
        "id"
    ]
    returns = []
    async for page in channel.iter_returns(datetime.now(UTC) - timedelta(days=1)):
        returns.extend(page)
    assert [r.external_id for r in returns] == [claim_id]
    claim = returns[0]
    assert claim.order_external_id == ids[0]
    assert claim.status == ReturnStatus.OPENED
    assert claim.lines[0].external_offer_id == units["SHIRT-L"]
    assert claim.reason == "не подошёл размер"
    fresh = make_channel(sandbox)  # knows no task yet: finds it by the claim's order time
    try:
        again = [r async for page in fresh.iter_returns(datetime.now(UTC) - timedelta(days=1)) for r in page]
    finally:
        await fresh.aclose()
    assert again[0].order_external_id == ids[0]
    assert again[0].lines[0].external_offer_id == units["SHIRT-L"]
    assert again[0].lines[0].offer_code == "SHIRT-L"


def test_no_push_for_orders(sandbox: Sandbox) -> None:
    channel = make_channel(sandbox)
    assert not has_role(channel, PushHandler)
    assert not hasattr(channel, "handle_push")


async def test_tokens_categories_and_read_only(sandbox: Sandbox) -> None:
    seed_shop(sandbox)
    ids = _buy(sandbox, ("MUG", 1))
    content_only = make_channel(sandbox)
    content_only.api.http.headers = {"Authorization": sandbox.mint(["content"])}
    with pytest.raises(AuthError) as caught:
        await content_only.check()
    assert caught.value.status == 401
    read_only = make_channel(sandbox)
    read_only.api.http.headers = {"Authorization": sandbox.mint(["marketplace"], read_only=True)}
    orders = await _poll(read_only)
    assert ids[0] in orders, "a read-only token reads"
    with pytest.raises(AuthError):
        await read_only.cancel(ids[0], "no")
    refused = await read_only.push_prices([PricePush("1", "X", Decimal("10"))])
    assert not refused[0].ok and refused[0].code == "unauthorized"
    body = sandbox.api("PATCH", f"/api/v3/orders/{ids[0]}/cancel", token=sandbox.mint(read_only=True)).json()
    assert body["status"] == 401 and body["detail"] == "read only token scope not allowed"
    assert sandbox.api("GET", "/api/v3/warehouses", token="not-a-token").status_code == 401


async def test_marking_codes_go_with_packing(sandbox: Sandbox, channel: WildberriesChannel) -> None:
    extra = [
        {
            "offer_code": "PERFUME",
            "name": "Духи",
            "price": "3000",
            "requires_marking": True,
            "stocks": {"901": 3},
        }
    ]
    seed_shop(sandbox, extra)
    ids = _buy(sandbox, ("PERFUME", 1), ("MUG", 1))
    orders = await _poll(channel)
    perfume, mug = orders[ids[0]], orders[ids[1]]
    assert perfume.lines[0].requires_marking and not mug.lines[0].requires_marking
    code = "010460043993125621JgXJ5.T"
    with pytest.raises(RequestRejected):
        await channel.pack(
            perfume, [PackBox(1, (PackLine(perfume.lines[0].external_offer_id, 1, ("short",)),))]
        )
    await channel.pack(perfume, [PackBox(1, (PackLine(perfume.lines[0].external_offer_id, 1, (code,)),))])
    stored = {o["id"]: o for o in sandbox.control("GET", "/orders")["items"]}
    assert stored[ids[0]]["sgtins"] == [code]
    assert stored[ids[0]]["status"] == "confirm/waiting"
    meta = sandbox.api("POST", "/api/marketplace/v3/orders/meta", json={"orders": [int(ids[0])]}).json()
    assert meta["orders"][0]["meta"]["sgtin"]["value"] == [code]


async def test_packing_at_once_fills_one_supply(sandbox: Sandbox, channel: WildberriesChannel) -> None:
    seed_shop(sandbox)
    ids = _buy(sandbox, ("MUG", 5))
    orders = await _poll(channel)
    await asyncio.gather(*(channel.pack(orders[i], _box(orders[i])) for i in ids))
    creates = [e for e in sandbox.journal() if e["method"] == "POST" and e["path"] == "/api/v3/supplies"]
    assert len(creates) == 1
    supplies = {o["supply_id"] for o in sandbox.control("GET", "/orders")["items"] if o["id"] in ids}
    assert len(supplies) == 1 and None not in supplies


async def test_orders_of_many_unknown_cards_take_one_catalog_pass(sandbox: Sandbox) -> None:
    extra = [
        {"offer_code": f"ITEM-{n}", "name": f"Товар {n}", "price": "100", "stocks": {"901": 1}}
        for n in range(12)
    ]
    seed_shop(sandbox, extra)
    ids = _buy(sandbox, *((f"ITEM-{n}", 1) for n in range(12)), ("SHIRT-M", 1))
    channel = make_channel(sandbox)
    try:
        orders = await _poll(channel)
        again = await _poll(channel)
    finally:
        await channel.aclose()
    assert orders[ids[-1]].lines[0].offer_code == "SHIRT-M"
    assert orders[ids[0]].lines[0].offer_code == "ITEM-0"
    assert again[ids[-1]].lines[0].offer_code == "SHIRT-M"
    searches = [e for e in sandbox.journal() if e["path"] == "/content/v2/get/cards/list"]
    assert len(searches) == 1 and "textSearch" not in searches[0]["body"]["settings"]["filter"]
