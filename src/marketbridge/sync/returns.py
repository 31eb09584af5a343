"""Returns: import them from the marketplaces, let the seller confirm receipt, restock on request."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from marketbridge.channels.roles import Channel, ReturnsSource, require
from marketbridge.model import EventType, ReturnStatus
from marketbridge.store.db import Database
from marketbridge.store.events import emit
from marketbridge.store.tables import (
    Connection,
    Link,
    Order,
    Reservation,
    Return,
    WarehouseMapping,
)
from marketbridge.store.types import utcnow
from marketbridge.store.upsert import insert_for
from marketbridge.sync import ledger, reservations
from marketbridge.sync.cursors import poll_since, set_cursor
from marketbridge.sync.dispatch import JobKind
from marketbridge.sync.errors import ActionRefused, NotFound
from marketbridge.sync.matching import UnitInfo, resolve_units
from marketbridge.sync.runs import RunRecorder

if TYPE_CHECKING:
    from marketbridge.sync.services import Services

RETURNS_LOOKBACK = timedelta(days=30)
RETURNS_OVERLAP = timedelta(hours=1)


async def import_returns(db: Database, conn: Connection, channel: Channel, recorder: RunRecorder) -> None:
    now = utcnow()
    since = await poll_since(db, conn.id, JobKind.RETURNS, now, RETURNS_OVERLAP, RETURNS_LOOKBACK)
    async for page in require(channel, ReturnsSource).iter_returns(since):
        for remote in page:
            async with db.session() as s:
                order_id = None
                if remote.order_external_id:
                    order_id = (
                        await s.execute(
                            select(Order.id).where(
                                Order.connection_id == conn.id, Order.external_id == remote.order_external_id
                            )
                        )
                    ).scalar_one_or_none() or (
                        await s.execute(
                            select(Link.entity_id).where(
                                Link.connection_id == conn.id,
                                Link.entity_kind == "shipment",
                                Link.external_id == remote.order_external_id,
                            )
                        )
                    ).scalar_one_or_none()
                units = [
                    UnitInfo(external_id=line.external_offer_id, offer_code=line.offer_code, name=line.name)
                    for line in remote.lines
                ]
                offers = await resolve_units(
                    s, conn.account_id, conn.id, units, conn.settings, create_missing=False
                )
                lines = [
                    {
                        "offer_id": offers.get(line.external_offer_id),
                        "offer_code": line.offer_code,
                        "external_offer_id": line.external_offer_id,
                        "quantity": line.quantity,
                    }
                    for line in remote.lines
                ]
                stmt = insert_for(s, Return).values(
                    account_id=conn.account_id,
                    connection_id=conn.id,
                    external_id=remote.external_id,
                    order_id=order_id,
                    order_external_id=remote.order_external_id,
                    status=remote.status.value,
                    reason=remote.reason,
                    lines=lines,
                    opened_at=remote.created_at,
                )
                inserted = await s.execute(
                    stmt.on_conflict_do_nothing(index_elements=["connection_id", "external_id"])
                )
                if inserted.rowcount:  # type: ignore[attr-defined]
                    recorder.count("created")
                    await emit(
                        s,
                        conn.account_id,
                        EventType.RETURN_OPENED,
                        {
                            "connection_id": conn.id,
                            "external_id": remote.external_id,
                            "order_id": order_id,
                            "reason": remote.reason,
                        },
                    )
                recorder.count("seen")
    await set_cursor(db, conn.id, JobKind.RETURNS, now)


async def confirm_receipt(hub: Services, account_id: int, return_id: int, restock: bool) -> None:
    """The seller got the parcel back; with `restock` its units go back on hand and are pushed."""
    async with hub.db.session() as s:
        row = await s.get(Return, return_id)
        if row is None or row.account_id != account_id:
            raise NotFound(f"return {return_id}")
        if row.status in (
            ReturnStatus.RECEIVED.value,
            ReturnStatus.RESTOCKED.value,
            ReturnStatus.CLOSED.value,
        ):
            raise ActionRefused("already_received", f"return {return_id} is {row.status} already")
        row.status = ReturnStatus.RECEIVED.value
        row.received_at = utcnow()
        if restock:
            restocked: set[int] = set()
            for line in row.lines:
                offer_id = line.get("offer_id")
                if offer_id is None:
                    continue
                warehouse_id = await _restock_warehouse(s, row, int(offer_id))
                if warehouse_id is None:
                    raise ActionRefused(
                        "no_warehouse", "no hub warehouse is mapped for this connection to restock into"
                    )
                await reservations.restock(s, account_id, int(offer_id), warehouse_id, int(line["quantity"]))
                restocked.add(int(offer_id))
            row.status = ReturnStatus.RESTOCKED.value
            row.restocked = True
            await ledger.stock_changed(s, account_id, restocked)


async def _restock_warehouse(s: AsyncSession, row: Return, offer_id: int) -> int | None:
    if row.order_id is not None:
        found = (
            await s.execute(
                select(Reservation.warehouse_id).where(
                    Reservation.order_id == row.order_id, Reservation.offer_id == offer_id
                )
            )
        ).scalar_one_or_none()
        if found is not None:
            return int(found)
    mapped = (
        await s.execute(
            select(WarehouseMapping.warehouse_id)
            .where(WarehouseMapping.connection_id == row.connection_id)
            .order_by(WarehouseMapping.id)
        )
    ).first()
    return int(mapped[0]) if mapped else None
