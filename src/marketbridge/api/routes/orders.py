"""Orders: list with filters and cursor, detail, and the FBS actions (confirm, pack, labels, ship, cancel).

Packing into several boxes splits the order into several shipments where the marketplace
labels boxes apart. A refused action (wrong status, boxes that do not match) is a 409 with
the reason's code; a marketplace failure is a 502.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from marketbridge import model
from marketbridge.api.deps import HubDep, Reader, Writer
from marketbridge.api.fields import IdPath, IdQuery
from marketbridge.api.labels import label_file
from marketbridge.api.pagination import Cursor, Limit, Page, decode_cursor, next_cursor
from marketbridge.api.problems import FieldError, Problem
from marketbridge.api.scoped import channel_of, owned
from marketbridge.store.tables import Box, Order, OrderLine
from marketbridge.sync import fulfilment
from marketbridge.wiring import Hub

router = APIRouter(prefix="/orders", tags=["orders"])


class OrderLineOut(BaseModel):
    offer_id: int | None
    offer_code: str = Field(description="the seller's article as the marketplace knows it")
    external_offer_id: str
    quantity: int
    price: model.Money
    name: str | None
    requires_marking: bool
    required_meta: list[str] = Field(
        description="what packing must give per unit of this line: `sgtin` (marking codes), "
        "`uin`, `imei`, `gtin` (one per unit each), `expiration` (an expiry date)"
    )


class BoxOut(BaseModel):
    number: int
    lines: list[dict[str, Any]]
    shipment_external_id: str | None


class OrderOut(BaseModel):
    id: int
    connection_id: int
    external_id: str
    status: model.OrderStatus
    raw_status: str
    group_id: str | None
    warehouse_external_id: str | None
    currency: str
    total: Decimal
    buyer_city: str | None
    cancel_reason: str | None
    placed_at: datetime
    ship_by: datetime | None
    updated_at: datetime
    handover_id: str | None
    lines: list[OrderLineOut]
    boxes: list[BoxOut]


class PackIn(BaseModel):
    boxes: list[model.Box] = Field(min_length=1, max_length=1000)


class PackOut(BaseModel):
    shipment_ids: list[str]
    order: OrderOut


class ShipOut(BaseModel):
    handover_id: str
    order: OrderOut


class CancelIn(BaseModel):
    reason: str = Field(min_length=1, max_length=500)


async def order_outs(hub: Hub, rows: list[Order]) -> list[OrderOut]:
    ids = [r.id for r in rows]
    lines: dict[int, list[OrderLineOut]] = defaultdict(list)
    boxes: dict[int, list[BoxOut]] = defaultdict(list)
    if ids:
        async with hub.db.session() as s:
            for line in (
                await s.execute(select(OrderLine).where(OrderLine.order_id.in_(ids)).order_by(OrderLine.id))
            ).scalars():
                lines[line.order_id].append(
                    OrderLineOut(
                        offer_id=line.offer_id,
                        offer_code=line.offer_code,
                        external_offer_id=line.external_offer_id,
                        quantity=line.quantity,
                        price=line.price,
                        name=line.name,
                        requires_marking=line.requires_marking,
                        required_meta=model.required_kinds(line.required_meta, line.requires_marking),
                    )
                )
            for box in (
                await s.execute(select(Box).where(Box.order_id.in_(ids)).order_by(Box.order_id, Box.number))
            ).scalars():
                boxes[box.order_id].append(
                    BoxOut(
                        number=box.number,
                        lines=list(box.lines),
                        shipment_external_id=box.shipment_external_id,
                    )
                )
    return [
        OrderOut(
            id=r.id,
            connection_id=r.connection_id,
            external_id=r.external_id,
            status=model.OrderStatus(r.status),
            raw_status=r.raw_status,
            group_id=r.group_id,
            warehouse_external_id=r.warehouse_external_id,
            currency=r.currency,
            total=r.total,
            buyer_city=r.buyer_city,
            cancel_reason=r.cancel_reason,
            placed_at=r.placed_at,
            ship_by=r.ship_by,
            updated_at=r.updated_at,
            handover_id=r.handover_id,
            lines=lines[r.id],
            boxes=boxes[r.id],
        )
        for r in rows
    ]


async def _one(hub: Hub, order_id: int, account_id: int) -> OrderOut:
    async with hub.db.session() as s:
        row = await owned(s, Order, order_id, account_id, "order")
    return (await order_outs(hub, [row]))[0]


@router.get("", summary="List orders (filters: channel connection, status, placement dates)")
async def list_orders(
    hub: HubDep,
    who: Reader,
    limit: Limit = 100,
    cursor: Cursor = None,
    connection_id: IdQuery = None,
    status: model.OrderStatus | None = None,
    placed_from: Annotated[datetime | None, Query(description="placed at or after (ISO 8601)")] = None,
    placed_to: Annotated[datetime | None, Query(description="placed before (ISO 8601)")] = None,
) -> Page[OrderOut]:
    query = select(Order).where(Order.account_id == who.account_id, Order.id > decode_cursor(cursor))
    if connection_id is not None:
        query = query.where(Order.connection_id == connection_id)
    if status is not None:
        query = query.where(Order.status == status.value)
    if placed_from is not None:
        query = query.where(Order.placed_at >= _aware(placed_from))
    if placed_to is not None:
        query = query.where(Order.placed_at < _aware(placed_to))
    async with hub.db.session() as s:
        rows = list((await s.execute(query.order_by(Order.id).limit(limit))).scalars())
    return Page(items=await order_outs(hub, rows), next_cursor=next_cursor([r.id for r in rows], limit))


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@router.get("/{order_id}", summary="Read an order with its lines and boxes")
async def read_order(order_id: IdPath, hub: HubDep, who: Reader) -> OrderOut:
    return await _one(hub, order_id, who.account_id)


@router.post("/{order_id}/confirm", summary="Confirm the order (accept it for assembly)")
async def confirm(order_id: IdPath, hub: HubDep, who: Writer) -> OrderOut:
    await _one(hub, order_id, who.account_id)
    await fulfilment.confirm(hub, who.account_id, order_id)
    return await _one(hub, order_id, who.account_id)


@router.post(
    "/{order_id}/pack",
    summary="Pack into boxes; several boxes split the order into several shipments",
)
async def pack(order_id: IdPath, body: PackIn, hub: HubDep, who: Writer) -> PackOut:
    await _one(hub, order_id, who.account_id)
    shipment_ids = await fulfilment.pack(hub, who.account_id, order_id, body.boxes)
    return PackOut(shipment_ids=shipment_ids, order=await _one(hub, order_id, who.account_id))


@router.get(
    "/{order_id}/labels",
    summary="Every label of the order: one PDF, or the marketplace's PNG / ZPL / SVG files",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}},
)
async def labels(
    order_id: IdPath,
    hub: HubDep,
    who: Reader,
    fmt: Annotated[
        model.LabelFormat,
        Query(alias="format", description="pdf (default), png, zpl or svg: what the marketplace offers"),
    ] = model.LabelFormat.PDF,
) -> Response:
    order = await _one(hub, order_id, who.account_id)
    conn, channel = await channel_of(hub, order.connection_id, who.account_id)
    offered = sorted(f.value for f in getattr(channel, "label_formats", frozenset()))
    if fmt.value not in offered:
        raise Problem(
            422,
            "label_format_not_offered",
            f"{conn.kind} gives labels as {', '.join(offered) or 'nothing'}, not {fmt.value}",
            errors=[FieldError(field="query.format", message=f"one of {', '.join(offered)}")],
        )
    return label_file(order_id, fmt, await fulfilment.order_labels(hub, who.account_id, order_id, fmt))


@router.post("/{order_id}/ship", summary="Hand the parcels over to the marketplace's carrier")
async def ship(order_id: IdPath, hub: HubDep, who: Writer) -> ShipOut:
    await _one(hub, order_id, who.account_id)
    handover = await fulfilment.ship(hub, who.account_id, order_id)
    return ShipOut(handover_id=handover, order=await _one(hub, order_id, who.account_id))


@router.post("/{order_id}/cancel", summary="Cancel the order on the marketplace")
async def cancel(order_id: IdPath, body: CancelIn, hub: HubDep, who: Writer) -> OrderOut:
    await _one(hub, order_id, who.account_id)
    await fulfilment.cancel(hub, who.account_id, order_id, body.reason)
    return await _one(hub, order_id, who.account_id)
