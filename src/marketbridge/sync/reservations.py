"""Stock reservations of orders: reserve on import, release on cancel, consume on shipping.

Quantities move with single UPDATE statements (reserved = reserved + n), so concurrent
imports never lose an update. Every change returns the offer ids it touched, for the ledger.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from marketbridge.store.tables import Reservation, StockLevel, WarehouseMapping
from marketbridge.store.types import utcnow
from marketbridge.store.upsert import insert_for


async def _hub_warehouses(
    session: AsyncSession, connection_id: int, external_warehouse: str | None
) -> list[int]:
    query = select(WarehouseMapping.warehouse_id).where(WarehouseMapping.connection_id == connection_id)
    if external_warehouse:
        mapped = [
            r[0]
            for r in await session.execute(
                query.where(WarehouseMapping.external_warehouse_id == external_warehouse)
            )
        ]
        if mapped:
            return mapped
    return [r[0] for r in await session.execute(query.order_by(WarehouseMapping.id))]


async def _pick_warehouse(
    session: AsyncSession, account_id: int, offer_id: int, candidates: list[int]
) -> int | None:
    """The candidate hub warehouse with the most available units of the offer."""
    query = select(StockLevel.warehouse_id, func.coalesce(StockLevel.on_hand, 0) - StockLevel.reserved).where(
        StockLevel.offer_id == offer_id
    )
    if candidates:
        query = query.where(StockLevel.warehouse_id.in_(candidates))
    else:
        query = query.where(StockLevel.account_id == account_id)
    levels = {wh: avail for wh, avail in await session.execute(query)}
    if levels:
        return max(levels, key=lambda wh: (levels[wh], -wh))
    return candidates[0] if candidates else None


async def reserve(
    session: AsyncSession,
    account_id: int,
    order_id: int,
    connection_id: int,
    external_warehouse: str | None,
    lines: Iterable[tuple[int, int]],
) -> set[int]:
    """Reserve (offer id, quantity) lines for an order; returns the offers whose availability changed."""
    candidates = await _hub_warehouses(session, connection_id, external_warehouse)
    touched: set[int] = set()
    for offer_id, quantity in lines:
        warehouse_id = await _pick_warehouse(session, account_id, offer_id, candidates)
        if warehouse_id is None:
            continue
        stmt = insert_for(session, Reservation).values(
            account_id=account_id,
            order_id=order_id,
            offer_id=offer_id,
            warehouse_id=warehouse_id,
            quantity=quantity,
        )
        inserted = await session.execute(
            stmt.on_conflict_do_nothing(index_elements=["order_id", "offer_id", "warehouse_id"])
        )
        if not inserted.rowcount:  # type: ignore[attr-defined]
            continue
        level = insert_for(session, StockLevel).values(
            account_id=account_id,
            offer_id=offer_id,
            warehouse_id=warehouse_id,
            on_hand=None,  # a stock the seller never set stays unknown: nothing is pushed for it
            reserved=quantity,
        )
        await session.execute(
            level.on_conflict_do_update(
                index_elements=["offer_id", "warehouse_id"],
                set_={"reserved": StockLevel.reserved + quantity, "updated_at": utcnow()},
            )
        )
        touched.add(offer_id)
    return touched


async def _open(session: AsyncSession, order_id: int) -> list[Reservation]:
    rows = await session.execute(
        select(Reservation).where(
            Reservation.order_id == order_id,
            Reservation.released_at.is_(None),
            Reservation.consumed_at.is_(None),
        )
    )
    return list(rows.scalars())


async def release(session: AsyncSession, order_id: int) -> set[int]:
    """Give the reserved units back (order cancelled)."""
    touched: set[int] = set()
    for res in await _open(session, order_id):
        res.released_at = utcnow()
        await session.execute(
            update(StockLevel)
            .where(StockLevel.offer_id == res.offer_id, StockLevel.warehouse_id == res.warehouse_id)
            .values(reserved=StockLevel.reserved - res.quantity, updated_at=utcnow())
        )
        touched.add(res.offer_id)
    return touched


async def consume(session: AsyncSession, order_id: int) -> set[int]:
    """The goods left the warehouse: take them off on hand and off the reservation."""
    touched: set[int] = set()
    for res in await _open(session, order_id):
        res.consumed_at = utcnow()
        await session.execute(
            update(StockLevel)
            .where(StockLevel.offer_id == res.offer_id, StockLevel.warehouse_id == res.warehouse_id)
            .values(
                reserved=StockLevel.reserved - res.quantity,
                on_hand=StockLevel.on_hand - res.quantity,
                updated_at=utcnow(),
            )
        )
        touched.add(res.offer_id)
    return touched


async def restock(
    session: AsyncSession, account_id: int, offer_id: int, warehouse_id: int, quantity: int
) -> None:
    level = insert_for(session, StockLevel).values(
        account_id=account_id, offer_id=offer_id, warehouse_id=warehouse_id, on_hand=quantity, reserved=0
    )
    await session.execute(
        level.on_conflict_do_update(
            index_elements=["offer_id", "warehouse_id"],
            set_={"on_hand": StockLevel.on_hand + quantity, "updated_at": utcnow()},
        )
    )
