"""Orders and fulfilment at the connector, along each marketplace's own path.

Polling sees a new order and a status change between two polls; the new-order feed (where
there is one) lists only what waits for the seller; then the FBS path:
confirm where the channel is an OrderConfirmer, pack (several boxes where `multi_box`,
marking codes on the lines that need them), labels as a valid document, hand-over, ship;
a seller's cancellation and a buyer's return.
"""

from __future__ import annotations

import asyncio
import io
import time

import pytest
from pypdf import PdfReader

from marketbridge.channels.errors import TransientError
from marketbridge.channels.roles import (
    Fulfilment,
    NewOrderFeed,
    OrderConfirmer,
    OrderSource,
    PackBox,
    PackLine,
    RemoteOrder,
    ReturnsSource,
    has_role,
    require,
)
from marketbridge.model import Label, LabelFormat, OrderStatus
from tests.support.marketplaces import Market, Shop, kinds_with, shop, window


def pdf_pages(content: bytes) -> int:
    assert content.startswith(b"%PDF"), content[:20]
    return len(PdfReader(io.BytesIO(content)).pages)


def marking_code(barcode: str, serial: int) -> str:
    """A GS1 DataMatrix-style marking code: (01) GTIN, (21) serial."""
    return f"01{barcode.zfill(14)}21sandbox{serial:06d}"


def boxes_for(order: RemoteOrder, multi_box: bool, s: Shop) -> list[PackBox]:
    """One box per unit where the marketplace takes several boxes, else one box."""
    barcode_of = {s.external_ids[c]: s.barcodes[c] for c in s.external_ids if c in s.barcodes}
    lines = []
    serial = 0
    for line in order.lines:
        codes: tuple[str, ...] = ()
        if line.requires_marking:
            codes = tuple(
                marking_code(barcode_of.get(line.external_offer_id, "4600000000000"), serial + n)
                for n in range(line.quantity)
            )
            serial += line.quantity
        lines.append(PackLine(line.external_offer_id, line.quantity, codes))
    if multi_box and len(lines) > 1:
        return [PackBox(n + 1, (line,)) for n, line in enumerate(lines)]
    return [PackBox(1, tuple(lines))]


async def ready_labels(channel: Fulfilment, shipments: list[str], fmt: LabelFormat) -> list[Label]:
    """Labels once the marketplace has them (TransientError means not yet)."""
    deadline = time.monotonic() + 20
    while True:
        try:
            return await channel.labels(shipments, fmt)
        except TransientError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)


async def polled(channel: OrderSource) -> dict[str, RemoteOrder]:
    since, until = window()
    return {o.external_id: o async for page in channel.iter_orders(since, until) for o in page}


@pytest.mark.parametrize("market", kinds_with(OrderSource), indirect=True)
async def test_polling_sees_a_new_order_and_a_change_between_polls(market: Market) -> None:
    s = await shop(market)
    placed = market.place([(s.plain[0], 1)], s.warehouses[0])
    channel = require(market.channel(), OrderSource)
    try:
        first = await polled(channel)
        assert all(first[i].status == OrderStatus.NEW for i in placed)
        assert all(first[i].raw_status for i in placed)
        for order_id in placed:
            market.move(order_id, "cancelled")
        second = await polled(channel)
        single = await channel.get_order(placed[0])
    finally:
        await channel.aclose()  # type: ignore[attr-defined]
    assert all(second[i].status == OrderStatus.CANCELLED for i in placed)
    assert single.status == OrderStatus.CANCELLED and single.raw_status != first[placed[0]].raw_status


@pytest.mark.parametrize("market", kinds_with(NewOrderFeed, OrderSource, Fulfilment), indirect=True)
async def test_the_new_order_feed_lists_what_waits_for_the_seller(market: Market) -> None:
    s = await shop(market)
    kept, cancelled, packed = (market.place([(s.plain[n], 1)], s.warehouses[0]) for n in (3, 4, 5))
    channel = market.channel()
    feed = require(channel, NewOrderFeed)
    try:
        listed = {o.external_id: o for o in await feed.new_orders()}
        assert {*kept, *cancelled, *packed} <= set(listed)
        assert all(listed[i].status == OrderStatus.NEW and listed[i].raw_status for i in kept)
        full = await polled(require(channel, OrderSource))
        # the feed and the full poll describe a new order alike, so meeting it twice changes nothing
        assert all(repr(listed[i]) == repr(full[i]) for i in kept)
        for order_id in cancelled:
            market.move(order_id, "cancelled")
        fulfil = require(channel, Fulfilment)
        for order_id in packed:
            order = listed[order_id]
            if has_role(channel, OrderConfirmer):
                await require(channel, OrderConfirmer).confirm(order)
            await fulfil.pack(order, boxes_for(order, fulfil.multi_box, s))
        after = {o.external_id for o in await feed.new_orders()}
    finally:
        await channel.aclose()  # type: ignore[attr-defined]
    assert set(kept) <= after
    assert not after & {*cancelled, *packed}, "cancelled or taken by the seller: no longer new"


@pytest.mark.parametrize("market", kinds_with(OrderSource, Fulfilment), indirect=True)
async def test_fulfilment_path_confirm_pack_label_hand_over_ship(market: Market) -> None:
    s = await shop(market)
    placed = market.place([(s.plain[1], 1), (s.plain[2], 1), (s.marked, 1)], s.warehouses[0])
    channel = market.channel()
    fulfil = require(channel, Fulfilment)
    source = require(channel, OrderSource)
    shipments: list[str] = []
    boxes_made = 0
    try:
        for order_id in placed:
            order = await source.get_order(order_id)
            assert order.status == OrderStatus.NEW
            assert any(line.requires_marking for line in order.lines) == any(
                line.offer_code == s.marked for line in order.lines
            )
            if has_role(channel, OrderConfirmer):
                await require(channel, OrderConfirmer).confirm(order)
                order = await source.get_order(order_id)
            boxes = boxes_for(order, fulfil.multi_box, s)
            boxes_made += len(boxes)
            packed = await fulfil.pack(order, boxes)
            assert packed.shipment_ids
            if fulfil.multi_box and len(boxes) > 1:
                assert len(set(packed.box_shipments.values()) or packed.shipment_ids) == len(boxes)
            shipments.extend(packed.shipment_ids)
        fmt = LabelFormat.PDF if LabelFormat.PDF in fulfil.label_formats else sorted(fulfil.label_formats)[0]
        labels = [label for sid in shipments for label in await ready_labels(fulfil, [sid], fmt)]
        assert {label.shipment_id for label in labels} == set(shipments)
        if fmt == LabelFormat.PDF:
            assert sum(pdf_pages(label.content) for label in labels) >= boxes_made
        else:
            assert all(label.content for label in labels)
        handed = await fulfil.hand_over(shipments)
        assert handed.external_id
        if handed.document is not None and handed.document_format == LabelFormat.PDF:
            assert pdf_pages(handed.document) >= 1
        known = {str(o["id"]) for o in market.items("orders")}
        moved = [i for i in {*placed, *shipments} if i in known]
        assert set(placed) <= set(moved)
        for order_id in moved:
            market.move(order_id, "shipped")
        for order_id in moved:
            assert (await source.get_order(order_id)).status == OrderStatus.SHIPPED, order_id
    finally:
        await channel.aclose()


@pytest.mark.parametrize("market", kinds_with(OrderSource, Fulfilment), indirect=True)
async def test_seller_cancellation(market: Market) -> None:
    s = await shop(market)
    (order_id, *_) = market.place([(s.plain[3], 1)], s.warehouses[1])
    channel = market.channel()
    try:
        await require(channel, Fulfilment).cancel(order_id, "out of stock")
        order = await require(channel, OrderSource).get_order(order_id)
    finally:
        await channel.aclose()
    assert order.status == OrderStatus.CANCELLED
    remote = {str(o["id"]): o for o in market.items("orders")}
    assert "cancel" in str(remote[order_id]["status"]).lower()


@pytest.mark.parametrize("market", kinds_with(ReturnsSource), indirect=True)
async def test_a_buyer_return_is_listed(market: Market) -> None:
    s = await shop(market)
    (order_id, *_) = market.place([(s.plain[4], 1)], s.warehouses[0])
    market.move(order_id, "delivered")
    since, _ = window()
    market.open_return(order_id, "wrong size")
    channel = require(market.channel(), ReturnsSource)
    try:
        found = [r async for page in channel.iter_returns(since) for r in page]
    finally:
        await channel.aclose()  # type: ignore[attr-defined]
    mine = [r for r in found if r.order_external_id == order_id]
    assert len(mine) == 1, found
    assert mine[0].reason == "wrong size"
    assert [line.external_offer_id for line in mine[0].lines] == [s.external_ids[s.plain[4]]]
