"""The orders board in a real browser: an order placed by a buyer on the sandbox is imported by the
hub, packed into two boxes from the order page, its labels printed (one PDF, a page per box),
shipped from the board, and its card moves from column to column."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, expect
from pypdf import PdfReader
from sqlalchemy import select

from marketbridge.channels import registry as channel_registry
from marketbridge.demo.shopping import buy, orderable
from marketbridge.demo.world import World, wait_for
from marketbridge.model import OrderStatus
from marketbridge.store.tables import Connection, Order, OrderLine
from marketbridge.sync.dispatch import JobKind
from tests.web.conftest import log_in, one_new_order


async def _multi_box_kind(world: World) -> str:
    for kind, market in sorted(world.markets.items()):
        async with world.hub.db.session() as s:
            conn = await s.get(Connection, market.connection_id)
        assert conn is not None
        if getattr(world.hub.channels.get(conn), "multi_box", False):
            return kind
    raise AssertionError("no registered marketplace packs one order into several boxes")


async def _imported(world: World, kind: str, external_ids: list[str]) -> Order:
    conn_id = world.markets[kind].connection_id

    async def found() -> bool:
        async with world.hub.db.session() as s:
            rows = await s.execute(
                select(Order.id).where(Order.connection_id == conn_id, Order.external_id.in_(external_ids))
            )
            return rows.first() is not None

    await world.hub.dispatcher.kick(conn_id, JobKind.ORDERS)
    await wait_for(found, timeout=30)
    async with world.hub.db.session() as s:
        order = (
            await s.execute(
                select(Order).where(Order.connection_id == conn_id, Order.external_id.in_(external_ids))
            )
        ).scalar_one()
        lines = list((await s.execute(select(OrderLine).where(OrderLine.order_id == order.id))).scalars())
    assert sum(line.quantity for line in lines) == 2, "the order holds the two units the buyer took"
    return order


@pytest.mark.parametrize("context", [True, False], ids=["javascript", "no-javascript"], indirect=True)
async def test_pack_into_two_boxes_print_labels_ship(
    world: World, context: BrowserContext, shots: Path
) -> None:
    kind = await _multi_box_kind(world)
    a, b = orderable(world, 2)
    order = await _imported(world, kind, await buy(world, kind, [(a, 1), (b, 1)]))
    assert order.status == OrderStatus.NEW.value

    page = await context.new_page()
    await log_in(page, world.api_key)
    card = page.locator(f'section[data-status="new"] article[data-order="{order.external_id}"]')
    await expect(card).to_be_visible()
    await page.screenshot(path=shots / "orders-board.png")

    await card.get_by_role("link", name="Pack").click()
    await page.wait_for_url(f"**/dashboard/orders/{order.id}#pack")
    await expect(page.get_by_test_id("order-status")).to_have_text("New")
    await page.fill("input[name=boxes]", "2")
    await page.get_by_role("button", name="Change").click()
    await page.wait_for_url(f"**/dashboard/orders/{order.id}?boxes=2")
    quantities = page.locator("table.pack input[type=number]")
    assert await quantities.count() == 4  # two lines × two boxes
    # one unit of each line in its own box, whatever the page proposed
    first, second = (await page.locator("table.pack tbody tr").all())[:2]
    await first.locator("input[type=number]").nth(0).fill("1")
    await first.locator("input[type=number]").nth(1).fill("0")
    await second.locator("input[type=number]").nth(0).fill("0")
    await second.locator("input[type=number]").nth(1).fill("1")
    await page.screenshot(path=shots / "order-pack.png", full_page=True)
    await page.locator("#pack").get_by_role("button", name="Pack").click()

    await expect(page.locator(".notice.ok")).to_contain_text("Packed into 2 box(es)")
    await expect(page.get_by_test_id("order-status")).to_have_text("Packed")
    await expect(page.locator("ol.boxes li")).to_have_count(2)
    await page.screenshot(path=shots / "order-packed.png", full_page=True)

    href = await page.get_by_test_id("labels").get_attribute("href")
    assert href is not None
    labels = await context.request.get(href)
    assert labels.status == 200, await labels.text()
    assert labels.headers["content-type"] == "application/pdf"
    pdf = await labels.body()
    assert len(PdfReader(io.BytesIO(pdf)).pages) >= 2, "a label page per box"
    # a link per other format the marketplace offers (ZPL for label printers), none for the rest
    offered = {f.value for f in channel_registry.get(kind).channel_class.label_formats} - {"pdf"}
    for fmt in ("png", "zpl", "svg"):
        link = page.get_by_test_id(f"labels-{fmt}")
        await expect(link).to_have_count(1 if fmt in offered else 0)

    await page.get_by_role("link", name="Orders").first.click()
    packed_card = page.locator(f'section[data-status="packed"] article[data-order="{order.external_id}"]')
    await expect(packed_card).to_be_visible()
    await packed_card.get_by_role("button", name="Ship").click()
    await expect(page.locator(".notice.ok")).to_contain_text("Handed over")
    shipped_card = page.locator(f'section[data-status="shipped"] article[data-order="{order.external_id}"]')
    await expect(shipped_card).to_be_visible()
    await expect(packed_card).to_have_count(0)
    await page.screenshot(path=shots / "orders-board-shipped.png")

    # the hand-over's document (act / supply QR code) is kept: a button on the order's page prints it
    await page.goto(f"/dashboard/orders/{order.id}")
    printed = page.get_by_test_id("handover-document")
    await expect(printed).to_have_text(re.compile("Print (act|supply QR)"))
    href = await printed.get_attribute("href")
    assert href is not None
    document = await context.request.get(href)
    assert document.status == 200 and document.headers["content-type"] == "application/pdf"
    assert len(PdfReader(io.BytesIO(await document.body())).pages) >= 1

    async with world.hub.db.session() as s:
        row = await s.get(Order, order.id)
    assert row is not None and row.status == OrderStatus.SHIPPED.value and row.handover_id


async def test_refused_action_is_a_message_not_an_error_page(world: World, context: BrowserContext) -> None:
    order = await one_new_order(world, skip=3)
    page = await context.new_page()
    await log_in(page, world.api_key)
    # labels of an order that is not packed yet: refused with the reason, shown on the order's page
    answer = await page.goto(f"/dashboard/orders/{order.id}/labels.pdf")
    assert answer is not None and answer.status == 200
    assert page.url.endswith(f"/dashboard/orders/{order.id}")
    await expect(page.locator(".notice.error")).to_contain_text("labels exist once it is packed")
    # a box that holds more than was ordered: the hub refuses the packing and says why
    await page.locator("table.pack input[type=number]").first.fill("1")
    await page.locator("table.pack input[type=number]").first.evaluate("e => e.max = 99")
    await page.locator("table.pack input[type=number]").first.fill("5")
    await page.locator("#pack").get_by_role("button", name="Pack").click()
    await expect(page.locator(".notice.error")).to_be_visible()
    await expect(page.get_by_test_id("order-status")).to_have_text("New")
    # the marketplace answering nonsense: the packing fails with its reason, the order stays new
    market = next(m for m in world.markets.values() if m.connection_id == order.connection_id)
    broken = await market.control.put("/faults", json={"malformed_rate": 1.0})
    assert broken.status_code == 200, broken.text
    try:
        await page.goto(f"/dashboard/orders/{order.id}")
        await page.locator("#pack").get_by_role("button", name="Pack").click()
        await expect(page.locator(".notice.error")).to_contain_text("The marketplace did not accept it")
        await expect(page.get_by_test_id("order-status")).to_have_text("New")
        await page.goto("/dashboard/connections")
        section = page.locator(f'section.connection[data-connection="{order.connection_id}"]')
        await section.get_by_role("button", name="Check now").click()
        await expect(page.locator(".notice.error")).to_be_visible()
        await expect(section.get_by_test_id("health")).to_have_text("Error")
    finally:
        await market.control.put("/faults", json={})
    # a page of another account's or a missing order is a clear 404 page
    missing = await page.goto("/dashboard/orders/999999")
    assert missing is not None and missing.status == 404
    await expect(page.locator("h1")).to_have_text("Not found")
