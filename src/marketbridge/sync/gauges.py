"""The backlog gauges of /metrics: pending changes and their age per connection, the webhook
backlog. Read from the database by each worker's scheduler, so every worker reports the same
database-wide figures (take their maximum across workers)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from marketbridge.runtime.metrics import (
    PENDING_AGE,
    PENDING_CHANGES,
    WEBHOOK_BACKLOG,
    WEBHOOK_BACKLOG_AGE,
)
from marketbridge.store.db import Database
from marketbridge.store.tables import PendingChange, WebhookDelivery
from marketbridge.store.types import utcnow
from marketbridge.sync.dispatch import ChangeKind

#: Seconds between two readings; the queries group whole tables, so not on every tick.
GAUGE_SECONDS = 5.0


def _age(now: datetime, since: datetime | None) -> float:
    if since is None:
        return 0.0
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return max(0.0, (now - since).total_seconds())


async def refresh_gauges(db: Database) -> int:
    """Read the backlog into the gauges; returns the number of pending changes."""
    now = utcnow()
    async with db.reading() as s:
        pending = (
            await s.execute(
                select(
                    PendingChange.connection_id,
                    PendingChange.kind,
                    func.count(),
                    func.min(PendingChange.created_at),
                ).group_by(PendingChange.connection_id, PendingChange.kind)
            )
        ).all()
        backlog, oldest = (
            await s.execute(
                select(func.count(), func.min(WebhookDelivery.created_at)).where(
                    WebhookDelivery.status == "pending"
                )
            )
        ).one()
    totals = dict.fromkeys((k.value for k in ChangeKind), 0)
    PENDING_AGE.clear()  # connections with nothing waiting drop out instead of keeping an old age
    for connection_id, kind, count, first in pending:
        totals[kind] = totals.get(kind, 0) + int(count)
        PENDING_AGE.labels(str(connection_id), kind).set(_age(now, first))
    for kind, count in totals.items():
        PENDING_CHANGES.labels(kind).set(count)
    WEBHOOK_BACKLOG.set(int(backlog))
    WEBHOOK_BACKLOG_AGE.set(_age(now, oldest))
    return sum(totals.values())
