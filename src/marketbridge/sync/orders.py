"""Orders: import each exactly once, follow its status both ways, reserve and release stock.

`apply_remote_order` is the one place a marketplace's view of an order enters the hub,
whether it came from a push, a poll or a refresh after an action. It is idempotent: the
unique (connection, external id) constraint decides who inserts, and a status is only moved
along the allowed transitions, so duplicate or out-of-order messages cannot double an order
or move it backwards.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from marketbridge.channels.roles import Channel, NewOrderFeed, OrderSource, RemoteOrder, require
from marketbridge.model import EventType, OrderStatus, can_transition
from marketbridge.runtime.lru import LruDict
from marketbridge.store.db import Database
from marketbridge.store.events import emit
from marketbridge.store.tables import Connection, Link, Order, OrderLine
from marketbridge.store.types import utcnow
from marketbridge.sync import ledger, reservations
from marketbridge.sync.cursors import poll_since, set_cursor
from marketbridge.sync.dispatch import JobKind
from marketbridge.sync.matching import UnitInfo, resolve_units
from marketbridge.sync.runs import RunRecorder

#: How far each poll reaches back before the previous one ended, so that an order changing
#: status exactly between two polls is seen by the next one.
POLL_OVERLAP = timedelta(minutes=10)
#: How far the first poll of a new connection looks back.
FIRST_POLL_LOOKBACK = timedelta(days=7)
#: A fingerprint of each order polls applied, as the marketplace gave it: polling every second
#: over an overlapping window sees most orders many times, and one seen again unchanged is not
#: applied again (no read, no write). Per process; keyed by the connection's id and creation
#: moment (ids are reused by a new database, moments are not).
_POLLED: LruDict[tuple[int, datetime, str], int] = LruDict(100_000)


@dataclass
class Applied:
    order_id: int
    created: bool
    changed: bool
    touched_offers: set[int]


async def _order_for(session: AsyncSession, connection_id: int, external_id: str) -> Order | None:
    found = (
        await session.execute(
            select(Order).where(Order.connection_id == connection_id, Order.external_id == external_id)
        )
    ).scalar_one_or_none()
    if found is not None:
        return found
    # A shipment split off an order when it was packed (one posting per box) belongs to that order.
    parent = (
        await session.execute(
            select(Link.entity_id).where(
                Link.connection_id == connection_id,
                Link.entity_kind == "shipment",
                Link.external_id == external_id,
            )
        )
    ).scalar_one_or_none()
    return await session.get(Order, parent) if parent is not None else None


async def apply_remote_order(session: AsyncSession, conn: Connection, remote: RemoteOrder) -> Applied:
    existing = await _order_for(session, conn.id, remote.external_id)
    if existing is None:
        try:
            async with session.begin_nested():
                return await _insert(session, conn, remote)
        except IntegrityError:  # imported concurrently by someone else: treat as known
            existing = await _order_for(session, conn.id, remote.external_id)
            if existing is None:
                raise
    return await _update(session, conn, existing, remote)


async def _insert(session: AsyncSession, conn: Connection, remote: RemoteOrder) -> Applied:
    units = [
        UnitInfo(
            external_id=line.external_offer_id,
            offer_code=line.offer_code,
            barcodes=(line.barcode,) if line.barcode else (),
            name=line.name,
            requires_marking=line.requires_marking,
        )
        for line in remote.lines
    ]
    offers = await resolve_units(session, conn.account_id, conn.id, units, conn.settings, create_missing=True)
    order = Order(
        account_id=conn.account_id,
        connection_id=conn.id,
        external_id=remote.external_id,
        status=remote.status.value,
        raw_status=remote.raw_status,
        group_id=remote.group_id,
        warehouse_external_id=remote.warehouse_id,
        currency=remote.currency,
        total=sum((line.price * line.quantity for line in remote.lines), Decimal(0)),
        buyer_city=remote.buyer_city,
        cancel_reason=remote.cancel_reason,
        placed_at=remote.created_at,
        ship_by=remote.ship_by,
    )
    session.add(order)
    await session.flush()
    for line in remote.lines:
        session.add(
            OrderLine(
                order_id=order.id,
                offer_id=offers.get(line.external_offer_id),
                offer_code=line.offer_code,
                external_offer_id=line.external_offer_id,
                quantity=line.quantity,
                price=line.price,
                name=line.name,
                requires_marking=line.requires_marking,
                required_meta=list(line.required_meta),
            )
        )
    await session.flush()
    touched_offers: set[int] = set()
    if remote.status.holds_stock:
        wanted: dict[int, int] = {}
        for line in remote.lines:
            offer_id = offers.get(line.external_offer_id)
            if offer_id is not None:
                wanted[offer_id] = wanted.get(offer_id, 0) + line.quantity
        touched_offers = await reservations.reserve(
            session, conn.account_id, order.id, conn.id, remote.warehouse_id, sorted(wanted.items())
        )
    await emit(session, conn.account_id, EventType.ORDER_CREATED, _event_data(conn, order))
    return Applied(order.id, created=True, changed=True, touched_offers=touched_offers)


async def _update(session: AsyncSession, conn: Connection, order: Order, remote: RemoteOrder) -> Applied:
    current = OrderStatus(order.status)
    target = remote.status
    touched_offers: set[int] = set()
    changed = False
    if remote.external_id == order.external_id:
        order.raw_status = remote.raw_status
    if target != current and can_transition(current, target):
        touched_offers = await move_order(
            session, conn.account_id, conn.id, order, target, reason=remote.cancel_reason
        )
        changed = True
    return Applied(order.id, created=False, changed=changed, touched_offers=touched_offers)


async def move_order(
    session: AsyncSession,
    account_id: int,
    connection_id: int,
    order: Order,
    target: OrderStatus,
    reason: str | None = None,
) -> set[int]:
    """Move an order along the machine, with its stock effects and events; returns offers touched."""
    previous = OrderStatus(order.status)
    order.status = target.value
    order.updated_at = utcnow()
    touched_offers: set[int] = set()
    if target == OrderStatus.CANCELLED:
        order.cancel_reason = reason or order.cancel_reason
        touched_offers = await reservations.release(session, order.id)
    elif previous.holds_stock and not target.holds_stock:
        touched_offers = await reservations.consume(session, order.id)
    data = {**_event_data_ids(connection_id, order), "from": previous.value, "to": target.value}
    await emit(session, account_id, EventType.ORDER_STATUS_CHANGED, data)
    if target == OrderStatus.CANCELLED:
        await emit(session, account_id, EventType.ORDER_CANCELLED, {**data, "reason": order.cancel_reason})
    return touched_offers


def _event_data_ids(connection_id: int, order: Order) -> dict[str, object]:
    return {"order_id": order.id, "external_id": order.external_id, "connection_id": connection_id}


def _event_data(conn: Connection, order: Order) -> dict[str, object]:
    return {
        **_event_data_ids(conn.id, order),
        "status": order.status,
        "total": str(order.total),
        "channel": conn.kind,
    }


async def apply_and_propagate(
    db: Database,
    conn: Connection,
    remote: RemoteOrder,
    also: Callable[[AsyncSession], Awaitable[object]] | None = None,
) -> Applied:
    """Apply one order in its own transaction and queue the stock it moved to every connection;
    `also` writes what belongs to the same transaction (e.g. the push that brought it, done)."""
    async with db.session() as s:
        applied = await apply_remote_order(s, conn, remote)
        if applied.touched_offers:
            await ledger.stock_changed(s, conn.account_id, applied.touched_offers)
        if also is not None:
            await also(s)
    return applied


async def poll_orders(db: Database, conn: Connection, channel: Channel, recorder: RunRecorder) -> None:
    """Poll every order created or changed since the last poll (minus the overlap), in all statuses."""
    until = utcnow()
    since = await poll_since(db, conn.id, JobKind.ORDERS, until, POLL_OVERLAP, FIRST_POLL_LOOKBACK)
    async for page in require(channel, OrderSource).iter_orders(since, until):
        await _apply_polled(db, conn, page, recorder)
        await recorder.heartbeat()
    await set_cursor(db, conn.id, JobKind.ORDERS, until)


async def read_new_orders(db: Database, conn: Connection, channel: Channel, recorder: RunRecorder) -> None:
    """Read the marketplace's new-order feed: the orders waiting for the seller right now."""
    await _apply_polled(db, conn, await require(channel, NewOrderFeed).new_orders(), recorder)


async def _apply_polled(
    db: Database, conn: Connection, page: list[RemoteOrder], recorder: RunRecorder
) -> None:
    """Apply each polled order not seen unchanged before, each in its own transaction."""
    for remote in page:
        key, fingerprint = (conn.id, conn.created_at, remote.external_id), hash(repr(remote))
        if _POLLED.get(key) == fingerprint:
            recorder.count("seen")
            continue
        try:
            applied = await apply_and_propagate(db, conn, remote)
        except (ValueError, IntegrityError) as exc:
            recorder.item_error(remote.external_id, str(exc))
            continue
        _POLLED[key] = fingerprint
        recorder.count("seen")
        if applied.created:
            recorder.count("created")
        elif applied.changed:
            recorder.count("updated")
