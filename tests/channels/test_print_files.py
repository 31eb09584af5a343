"""The hub's print files are real documents: every barcode scans, and to the right number on the right page.

For every marketplace whose channel plays Fulfilment: the merged label PDF the hub prints
(`sync.fulfilment.labels_pdf`) is decoded page by page with zxing-cpp, from the images
embedded in the pages. Page by page, the codes found must name the order's shipments in
order, one shipment per page. What a shipment's label encodes is the marketplace's: where
the channel offers ZPL, it is the value of the ZPL file's barcode command (what a label
printer would print for that shipment); otherwise the shipment's own id (a posting number).
The hand-over document (act, supply code), where the marketplace returns one, must carry
the hand-over's id(s), every page one of them.
"""

from __future__ import annotations

import io
import re

import pytest
import zxingcpp
from pypdf import PdfReader
from sqlalchemy import select

from marketbridge.channels.roles import Fulfilment, OrderConfirmer, OrderSource, has_role, require
from marketbridge.demo.shopping import buy, orderable
from marketbridge.demo.world import Market as WorldMarket
from marketbridge.demo.world import World
from marketbridge.model import LabelFormat, OrderStatus
from marketbridge.store.tables import Connection, Order
from marketbridge.sync import fulfilment
from marketbridge.sync.dispatch import JobKind
from tests.channels.test_cycle import _boxes_for
from tests.channels.test_fulfilment import boxes_for, ready_labels
from tests.support.marketplaces import Market, kinds_with, shop

#: A barcode command of ZPL II (^BC Code 128, ^BQ QR, ...) and the field data that follows it.
ZPL_CODE = re.compile(rb"\^B[A-Z][^\^]*(?:\^[A-Z]{2}[^\^]*)*?\^FD(?:[A-Z]{2},)?(?P<value>[^\^]*)\^FS")


def page_codes(pdf: bytes) -> list[list[str]]:
    """The text of every barcode on each page of `pdf`, decoded from the page's embedded images
    (which must be lossless: a JPEG-blurred bar may not scan)."""
    assert pdf.startswith(b"%PDF"), pdf[:20]
    pages: list[list[str]] = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        found: list[str] = []
        for image in page.images:
            assert not image.name.lower().endswith((".jpg", ".jpeg")), "a lossy (JPEG) image in a print file"
            found += [result.text for result in zxingcpp.read_barcodes(image.image)]
        pages.append(found)
    return pages


def zpl_value(zpl: bytes) -> str:
    match = ZPL_CODE.search(zpl)
    assert match, f"no barcode command in the ZPL label: {zpl[:200]!r}"
    return match.group("value").decode()


async def encoded(channel: Fulfilment, shipments: list[str]) -> dict[str, str]:
    """What the marketplace's label of each shipment encodes (see the module's docstring)."""
    if LabelFormat.ZPL not in channel.label_formats:
        return {s: s for s in shipments}
    out: dict[str, str] = {}
    for shipment in shipments:
        labels = await ready_labels(channel, [shipment], LabelFormat.ZPL)
        assert [label.shipment_id for label in labels] == [shipment]
        out[shipment] = zpl_value(labels[0].content)
    return out


def shipments_by_page(pages: list[list[str]], values: dict[str, str]) -> list[str]:
    """The shipment each page names: exactly one known value per page, else the test fails."""
    owner = {value: shipment for shipment, value in values.items()}
    named: list[str] = []
    for number, codes in enumerate(pages, start=1):
        mine = {owner[c] for c in codes if c in owner}
        assert codes, f"page {number}: no barcode could be decoded"
        assert len(mine) == 1, f"page {number}: codes {codes} name {sorted(mine)}, expected one of {values}"
        named.append(mine.pop())
    return named


def _runs(items: list[str]) -> list[str]:
    return [item for n, item in enumerate(items) if n == 0 or items[n - 1] != item]


async def test_every_label_page_scans_to_its_shipment(world: World) -> None:
    market: WorldMarket = next(iter(world.markets.values()))
    async with world.hub.db.session() as s:
        conn = await s.get(Connection, market.connection_id)
    channel = world.hub.channels.get(conn)
    if not has_role(channel, Fulfilment):
        pytest.skip("the channel plays no Fulfilment role")
    fulfil = require(channel, Fulfilment)
    a, b, c = orderable(world, 3)
    external = await buy(world, market.kind, [(a, 1), (b, 1), (c, 1)])
    await world.run(market.connection_id, JobKind.ORDERS)
    async with world.hub.db.session() as s:
        found = await s.execute(
            select(Order).where(Order.connection_id == market.connection_id, Order.external_id.in_(external))
        )
        orders = list(found.scalars())
    assert len(orders) == len(external)
    for order in orders:
        assert order.status == OrderStatus.NEW.value
        shipments = await fulfilment.pack(
            world.hub, world.account_id, order.id, await _boxes_for(world, order)
        )
        pdf = await fulfilment.labels_pdf(world.hub, world.account_id, order.id)
        values = await encoded(fulfil, shipments)
        assert len(set(values.values())) == len(values), f"two shipments share a code: {values}"
        named = shipments_by_page(page_codes(pdf), values)
        assert _runs(named) == shipments, f"pages name {named}, the order's shipments are {shipments}"


@pytest.mark.parametrize("market", kinds_with(OrderSource, Fulfilment), indirect=True)
async def test_the_hand_over_document_scans_to_its_id(market: Market) -> None:
    s = await shop(market)
    placed = market.place([(s.plain[5], 1), (s.plain[6], 1)], s.warehouses[0])
    channel = market.channel()
    fulfil = require(channel, Fulfilment)
    source = require(channel, OrderSource)
    shipments: list[str] = []
    try:
        for order_id in placed:
            order = await source.get_order(order_id)
            if has_role(channel, OrderConfirmer):
                await require(channel, OrderConfirmer).confirm(order)
                order = await source.get_order(order_id)
            packed = await fulfil.pack(order, boxes_for(order, fulfil.multi_box, s))
            shipments.extend(packed.shipment_ids)
        await ready_labels(fulfil, shipments, sorted(fulfil.label_formats)[0])
        handed = await fulfil.hand_over(shipments)
    finally:
        await channel.aclose()  # type: ignore[attr-defined]
    if handed.document is None or handed.document_format != LabelFormat.PDF:
        pytest.skip("the marketplace hands over no PDF document")
    ids = handed.external_id.split(",")
    pages = page_codes(handed.document)
    for number, codes in enumerate(pages, start=1):
        assert codes, f"page {number}: no barcode could be decoded"
        assert set(codes) <= set(ids), f"page {number}: codes {codes}, the hand-over is {ids}"
    assert {code for codes in pages for code in codes} == set(ids)
