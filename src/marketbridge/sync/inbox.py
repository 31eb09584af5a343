"""Processing received marketplace pushes from the inbox, after they were acknowledged.

A push only says "this order changed"; the order's current state is fetched from the
marketplace and applied, so duplicated and out-of-order pushes end in the same state. The
stock it moved and the events it wrote kick the worker after commit (`sync/kicks.py`).
"""

from __future__ import annotations

import asyncio
import functools
from collections import defaultdict
from typing import TYPE_CHECKING

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from marketbridge.channels.errors import ChannelError
from marketbridge.channels.roles import OrderSource, PushKind, require
from marketbridge.runtime.redaction import redact
from marketbridge.store.tables import Connection, InboxItem
from marketbridge.store.types import utcnow
from marketbridge.sync.orders import apply_and_propagate

if TYPE_CHECKING:
    from marketbridge.sync.services import Services

log = structlog.get_logger(__name__)

MAX_ATTEMPTS = 10
ORDER_KINDS = frozenset({PushKind.ORDER_CREATED, PushKind.ORDER_STATUS, PushKind.ORDER_CANCELLED})


async def process_inbox(hub: Services, limit: int = 200) -> int:
    """Process up to `limit` new inbox items; returns how many were handled (done or failed).

    The connections' items are processed side by side (each connection's in arrival order), so
    one marketplace's slow answer does not hold up another's orders. An order's push is marked
    done in the transaction that applies the order: one write per push that went well; the
    items and their connections are read in one read-only transaction."""
    async with hub.db.reading() as s:
        items = list(
            (
                await s.execute(
                    select(InboxItem).where(InboxItem.status == "new").order_by(InboxItem.id).limit(limit)
                )
            ).scalars()
        )
        if not items:
            return 0
        by_connection: dict[int, list[InboxItem]] = defaultdict(list)
        for item in items:
            by_connection[item.connection_id].append(item)
        found = await s.execute(select(Connection).where(Connection.id.in_(list(by_connection))))
        connections = {c.id: c for c in found.scalars()}
    counts = await asyncio.gather(
        *(_process_connection(hub, connections.get(cid), group) for cid, group in by_connection.items())
    )
    return sum(counts)


async def _process_connection(hub: Services, conn: Connection | None, items: list[InboxItem]) -> int:
    handled = 0
    for item in items:
        error: str | None = None
        try:
            if conn is None:
                error = "connection deleted"
            elif item.kind in ORDER_KINDS and item.order_external_id:
                remote = await require(hub.channels.get(conn), OrderSource).get_order(item.order_external_id)
                await apply_and_propagate(
                    hub.db, conn, remote, also=functools.partial(_settle, item_id=item.id, error=None)
                )
                handled += 1
                continue
        except (ChannelError, ValueError) as exc:
            error = redact(f"{type(exc).__name__}: {exc}")
        async with hub.db.session() as s:
            handled += await _settle(s, item.id, error)
    return handled


async def _settle(s: AsyncSession, item_id: int, error: str | None) -> int:
    """Record one attempt at an item: done, or its error (failed for good after MAX_ATTEMPTS);
    returns 1 when the item is handled."""
    row = await s.get(InboxItem, item_id)
    if row is None:
        return 0
    row.attempts += 1
    if error is None:
        row.status, row.processed_at, row.error = "done", utcnow(), None
        return 1
    row.error = error[:1000]
    log.warning("inbox_item_failed", item_id=item_id, attempts=row.attempts, error=error)
    if row.attempts >= MAX_ATTEMPTS:
        row.status = "failed"
        return 1
    return 0
