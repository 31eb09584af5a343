"""Processing received marketplace pushes from the inbox, after they were acknowledged.

A push only says "this order changed"; the order's current state is fetched from the
marketplace and applied, so duplicated and out-of-order pushes end in the same state. The
stock it moved and the events it wrote kick the worker after commit (`sync/kicks.py`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import structlog
from sqlalchemy import select

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
    """Process up to `limit` new inbox items; returns how many were handled (done or failed)."""
    async with hub.db.session() as s:
        items = list(
            (
                await s.execute(
                    select(InboxItem).where(InboxItem.status == "new").order_by(InboxItem.id).limit(limit)
                )
            ).scalars()
        )
    handled = 0
    for item in items:
        error: str | None = None
        try:
            if item.kind in ORDER_KINDS and item.order_external_id:
                async with hub.db.session() as s:
                    conn = await s.get(Connection, item.connection_id)
                if conn is None:
                    error = "connection deleted"
                else:
                    remote = await require(hub.channels.get(conn), OrderSource).get_order(
                        item.order_external_id
                    )
                    await apply_and_propagate(hub.db, conn, remote)
        except (ChannelError, ValueError) as exc:
            error = redact(f"{type(exc).__name__}: {exc}")
        async with hub.db.session() as s:
            row = await s.get(InboxItem, item.id)
            if row is None:
                continue
            row.attempts += 1
            if error is None:
                row.status, row.processed_at, row.error = "done", utcnow(), None
                handled += 1
            else:
                row.error = error[:1000]
                log.warning("inbox_item_failed", item_id=item.id, attempts=row.attempts, error=error)
                if row.attempts >= MAX_ATTEMPTS:
                    row.status = "failed"
                    handled += 1
    return handled
