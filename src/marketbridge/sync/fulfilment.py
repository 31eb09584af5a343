"""The FBS flow the seller drives: confirm → pack into boxes → labels → hand over → shipped; cancel.

Each action checks the order's status against the machine first, calls the marketplace,
and records the result in one transaction. Labels are fetched with patient, bounded
retries (marketplaces prepare them some time after packing) and merged into one PDF.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import delete, select

from marketbridge.channels.errors import TransientError
from marketbridge.channels.roles import (
    Fulfilment,
    OrderConfirmer,
    PackBox,
    PackLine,
    RemoteOrder,
    RemoteOrderLine,
    has_role,
    require,
)
from marketbridge.model import MARKING, Box, BoxLine, LabelFormat, OrderStatus, can_transition
from marketbridge.model import Order as CanonicalOrder
from marketbridge.model import OrderLine as CanonicalLine
from marketbridge.runtime.pdf import merge_pdfs
from marketbridge.store.tables import Box as BoxRow
from marketbridge.store.tables import Connection, HandoverDocument, Label, Link, Offer, Order, OrderLine
from marketbridge.store.types import utcnow
from marketbridge.store.upsert import insert_for
from marketbridge.sync import ledger
from marketbridge.sync.errors import ActionRefused, NotFound
from marketbridge.sync.orders import move_order

if TYPE_CHECKING:
    from marketbridge.sync.services import Services

#: Label fetching: attempts and the pause between them (seconds), growing.
LABEL_ATTEMPTS = 12  # with the growing pauses: about a minute, as labels may take
LABEL_FIRST_PAUSE = 0.5
LABEL_MAX_PAUSE = 8.0


async def _load(hub: Services, account_id: int, order_id: int) -> tuple[Order, Connection, list[OrderLine]]:
    async with hub.db.session() as s:
        order = await s.get(Order, order_id)
        if order is None or order.account_id != account_id:
            raise NotFound(f"order {order_id}")
        conn = await s.get(Connection, order.connection_id)
        assert conn is not None
        lines = list((await s.execute(select(OrderLine).where(OrderLine.order_id == order.id))).scalars())
    return order, conn, lines


def _require(order: Order, target: OrderStatus) -> None:
    current = OrderStatus(order.status)
    if not can_transition(current, target):
        raise ActionRefused(
            "wrong_status", f"order {order.id} is {current.value}: it cannot become {target.value}"
        )


async def _move(
    hub: Services, account_id: int, order_id: int, target: OrderStatus, reason: str | None = None
) -> None:
    async with hub.db.session() as s:
        order = await s.get(Order, order_id)
        assert order is not None
        if OrderStatus(order.status) == target or not can_transition(OrderStatus(order.status), target):
            return
        touched_offers = await move_order(s, account_id, order.connection_id, order, target, reason=reason)
        if touched_offers:
            await ledger.stock_changed(s, account_id, touched_offers)


async def confirm(hub: Services, account_id: int, order_id: int) -> None:
    order, conn, lines = await _load(hub, account_id, order_id)
    _require(order, OrderStatus.CONFIRMED)
    channel = hub.channels.get(conn)
    if has_role(channel, OrderConfirmer):
        await require(channel, OrderConfirmer).confirm(_remote(order, lines))
    await _move(hub, account_id, order_id, OrderStatus.CONFIRMED)


async def _sku_map(hub: Services, lines: Sequence[OrderLine]) -> dict[int, str]:
    ids = [line.offer_id for line in lines if line.offer_id is not None]
    async with hub.db.session() as s:
        return {
            oid: sku for oid, sku in await s.execute(select(Offer.id, Offer.sku).where(Offer.id.in_(ids)))
        }


def _remote(order: Order, lines: Sequence[OrderLine]) -> RemoteOrder:
    return RemoteOrder(
        external_id=order.external_id,
        status=OrderStatus(order.status),
        raw_status=order.raw_status,
        created_at=order.placed_at,
        warehouse_id=order.warehouse_external_id,
        group_id=order.group_id,
        lines=[
            RemoteOrderLine(
                external_offer_id=line.external_offer_id,
                offer_code=line.offer_code,
                quantity=line.quantity,
                price=line.price,
                name=line.name,
                requires_marking=line.requires_marking,
                required_meta=tuple(line.required_meta or ()),
            )
            for line in lines
        ],
    )


def _wanted(kind: str, line: BoxLine) -> str:
    if kind == MARKING:
        return f"{line.quantity} marking code(s) needed, {len(line.marking_codes)} given"
    return "an expiry date needed" if kind == "expiration" else f"{line.quantity} {kind} needed"


def require_data(order: CanonicalOrder, boxes: list[Box]) -> None:
    """409 when box lines lack data the marketplace requires for their units, naming each line
    and what it misses: `marking_codes_missing` when only marking codes are missing, else
    `required_meta_missing`."""
    required = {line.offer_sku: line.required() for line in order.lines}
    gaps = [
        (
            f"body.boxes[{i}].lines[{j}]",
            b.number,
            bl,
            [k for k in required.get(bl.offer_sku, []) if k not in bl.given()],
        )
        for i, b in enumerate(boxes)
        for j, bl in enumerate(b.lines)
    ]
    gaps = [gap for gap in gaps if gap[3]]
    if not gaps:
        return
    only_marking = all(kinds == [MARKING] for *_, kinds in gaps)
    texts = [
        (f"box {n}, {bl.offer_sku}: " + "; ".join(_wanted(k, bl) for k in kinds)) for _, n, bl, kinds in gaps
    ]
    items = [
        {"field": where, "sku": bl.offer_sku, "message": "missing: " + ", ".join(kinds)}
        for where, _, bl, kinds in gaps
    ]
    code = "marking_codes_missing" if only_marking else "required_meta_missing"
    raise ActionRefused(code, "; ".join(texts), items)


async def pack(hub: Services, account_id: int, order_id: int, boxes: list[Box]) -> list[str]:
    """Pack the order into boxes; returns the marketplace's shipment ids (one per box where it labels boxes)."""
    order, conn, lines = await _load(hub, account_id, order_id)
    _require(order, OrderStatus.PACKED)
    skus = await _sku_map(hub, lines)
    # Lines are named by the hub SKU; the seller's article on the marketplace is accepted too.
    canonical = CanonicalOrder(
        external_id=order.external_id,
        created_at=order.placed_at,
        lines=[
            CanonicalLine(
                offer_sku=skus.get(line.offer_id or -1, line.offer_code),
                quantity=line.quantity,
                price=line.price,
                requires_marking=line.requires_marking,
                required_meta=list(line.required_meta or ()),
            )
            for line in lines
        ],
    )
    aliases = {line.offer_code: skus.get(line.offer_id or -1, line.offer_code) for line in lines}
    boxes = [
        Box(
            number=b.number,
            lines=[
                bl.model_copy(update={"offer_sku": aliases.get(bl.offer_sku, bl.offer_sku)}) for bl in b.lines
            ],
        )
        for b in boxes
    ]
    numbers = [b.number for b in boxes]
    if len(set(numbers)) != len(numbers):
        repeated = sorted({n for n in numbers if numbers.count(n) > 1})
        twice = [
            {"field": "body.boxes", "message": f"box {n}: the number is given more than once"}
            for n in repeated
        ]
        raise ActionRefused("box_numbers_repeated", "box numbers must be distinct", twice)
    differences = canonical.packing_differences(boxes)
    if differences:
        message = f"the boxes do not hold the order: {len(differences)} difference(s)"
        raise ActionRefused(
            "boxes_do_not_match", message, [{"field": "body.boxes", "message": d} for d in differences]
        )
    require_data(canonical, boxes)
    channel = require(hub.channels.get(conn), Fulfilment)
    if len(boxes) > 1 and not channel.multi_box:
        raise ActionRefused("multi_box_unsupported", f"{conn.kind} takes one box per order")
    external_by_sku = {
        skus.get(line.offer_id or -1, line.offer_code): line.external_offer_id for line in lines
    }
    pack_boxes = [
        PackBox(
            number=b.number,
            lines=tuple(
                PackLine(external_by_sku[bl.offer_sku], bl.quantity, tuple(bl.marking_codes), bl.meta)
                for bl in b.lines
            ),
        )
        for b in boxes
    ]
    result = await channel.pack(_remote(order, lines), pack_boxes)
    async with hub.db.session() as s:
        await s.execute(delete(BoxRow).where(BoxRow.order_id == order.id))
        for b in boxes:
            s.add(
                BoxRow(
                    order_id=order.id,
                    number=b.number,
                    lines=[bl.model_dump() for bl in b.lines],
                    shipment_external_id=result.box_shipments.get(b.number)
                    or (result.shipment_ids[0] if result.shipment_ids else None),
                )
            )
        for shipment_id in result.shipment_ids:
            if shipment_id != order.external_id:
                stmt = insert_for(s, Link).values(
                    account_id=account_id,
                    connection_id=conn.id,
                    entity_kind="shipment",
                    entity_id=order.id,
                    external_id=shipment_id,
                    extra={},
                )
                await s.execute(
                    stmt.on_conflict_do_nothing(
                        index_elements=["connection_id", "entity_kind", "external_id"]
                    )
                )
    await _move(hub, account_id, order_id, OrderStatus.PACKED)
    return list(result.shipment_ids)


async def _shipments(hub: Services, order: Order) -> list[str]:
    async with hub.db.session() as s:
        ids = [
            r[0]
            for r in await s.execute(
                select(BoxRow.shipment_external_id).where(BoxRow.order_id == order.id).order_by(BoxRow.number)
            )
            if r[0]
        ]
    return list(dict.fromkeys(ids)) or [order.external_id]


async def fetch_labels(
    channel: Fulfilment, shipment_ids: Sequence[str], fmt: LabelFormat
) -> list[tuple[str, bytes]]:
    pause = LABEL_FIRST_PAUSE
    for attempt in range(1, LABEL_ATTEMPTS + 1):
        try:
            labels = await channel.labels(shipment_ids, fmt)
            return [(label.shipment_id, label.content) for label in labels]
        except TransientError:
            if attempt == LABEL_ATTEMPTS:
                raise
            await asyncio.sleep(pause)
            pause = min(pause * 2, LABEL_MAX_PAUSE)
    raise AssertionError("unreachable")


async def order_labels(
    hub: Services, account_id: int, order_id: int, fmt: LabelFormat
) -> list[tuple[str, bytes]]:
    """Every label of the order in `fmt` (one of the channel's `label_formats`), as the
    marketplace makes them: (shipment id, file) per box/shipment; kept in the labels table."""
    order, conn, _ = await _load(hub, account_id, order_id)
    if OrderStatus(order.status) not in (OrderStatus.PACKED, OrderStatus.SHIPPED):
        raise ActionRefused(
            "not_packed", f"order {order.id} is {order.status}: labels exist once it is packed"
        )
    channel = require(hub.channels.get(conn), Fulfilment)
    if fmt not in channel.label_formats:
        offered = ", ".join(sorted(f.value for f in channel.label_formats))
        raise ActionRefused(
            "label_format_not_offered", f"{conn.kind} gives labels as {offered}, not {fmt.value}"
        )
    fetched = await fetch_labels(channel, await _shipments(hub, order), fmt)
    async with hub.db.session() as s:
        await s.execute(delete(Label).where(Label.order_id == order.id, Label.format == fmt.value))
        for shipment_id, content in fetched:
            s.add(
                Label(order_id=order.id, shipment_external_id=shipment_id, format=fmt.value, content=content)
            )
    return fetched


async def labels_pdf(hub: Services, account_id: int, order_id: int) -> bytes:
    """One PDF with every label of the order (a page per box/shipment as the marketplace makes them)."""
    fetched = await order_labels(hub, account_id, order_id, LabelFormat.PDF)
    return merge_pdfs([content for _, content in fetched])


async def ship(hub: Services, account_id: int, order_id: int) -> str:
    """Hand the order's parcels over to the marketplace's carrier (act / supply); it becomes shipped."""
    order, conn, _ = await _load(hub, account_id, order_id)
    _require(order, OrderStatus.SHIPPED)
    if OrderStatus(order.status) != OrderStatus.PACKED:
        raise ActionRefused("not_packed", f"order {order.id} is {order.status}: pack it first")
    channel = require(hub.channels.get(conn), Fulfilment)
    result = await channel.hand_over(await _shipments(hub, order))
    async with hub.db.session() as s:
        row = await s.get(Order, order.id)
        assert row is not None
        row.handover_id = result.external_id
        if result.document:  # the courier or the pickup point wants it printed: keep it
            fmt = (result.document_format or LabelFormat.PDF).value
            values = {"kind": channel.hand_over_by.value, "format": fmt, "content": result.document}
            stmt = insert_for(s, HandoverDocument).values(
                account_id=account_id, connection_id=conn.id, handover_id=result.external_id, **values
            )
            await s.execute(
                stmt.on_conflict_do_update(
                    index_elements=["connection_id", "handover_id"], set_={**values, "created_at": utcnow()}
                )
            )
    await _move(hub, account_id, order_id, OrderStatus.SHIPPED)
    return result.external_id


async def cancel(hub: Services, account_id: int, order_id: int, reason: str) -> None:
    order, conn, _ = await _load(hub, account_id, order_id)
    _require(order, OrderStatus.CANCELLED)
    if OrderStatus(order.status) in (OrderStatus.SHIPPED, OrderStatus.DELIVERED):
        # the seller cancels up to hand-over; a cancellation after it comes from the marketplace
        raise ActionRefused("wrong_status", f"order {order.id} is shipped: it cannot be cancelled any more")
    channel = require(hub.channels.get(conn), Fulfilment)
    await channel.cancel(order.external_id, reason)
    await _move(hub, account_id, order_id, OrderStatus.CANCELLED, reason=reason)


async def handover_document(hub: Services, account_id: int, order_id: int) -> HandoverDocument | None:
    """The document kept from the order's hand-over (act / waybill, supply QR code), if any."""
    async with hub.db.session() as s:
        order = await s.get(Order, order_id)
        if order is None or order.account_id != account_id or not order.handover_id:
            return None
        query = select(HandoverDocument).where(
            HandoverDocument.connection_id == order.connection_id,
            HandoverDocument.handover_id == order.handover_id,
        )
        found: HandoverDocument | None = (await s.execute(query)).scalar_one_or_none()
        return found
