"""Recording a connection's credential check, and what a passing check sets going again.

A check that passes clears the connection's error state: its error is removed, the runs
that failed before it no longer make the connection show as failing (the dashboard's health
looks only at runs after the last passing check), and a new run of every job kind whose last
run failed is asked for at once (those failures were most likely the credentials').
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from marketbridge.store.tables import Connection, SyncRun
from marketbridge.store.types import utcnow
from marketbridge.sync.dispatch import JobKind
from marketbridge.sync.kicks import kick_after_commit
from marketbridge.sync.services import Services


async def record_check(hub: Services, connection_id: int, error: str | None) -> tuple[datetime, list[str]]:
    """Store the check's outcome; after a pass, ask for new runs of the failed kinds.
    Returns when it was recorded and the job kinds asked for again."""
    now = utcnow()
    retried: list[str] = []
    async with hub.db.session() as s:
        row = await s.get(Connection, connection_id)
        if row is None:
            return now, retried
        row.last_check_at = now
        row.last_check_error = error
        if error is None and row.enabled:
            newest = (
                select(SyncRun.kind, func.max(SyncRun.id).label("id"))
                .where(SyncRun.connection_id == connection_id)
                .group_by(SyncRun.kind)
                .subquery()
            )
            failed = await s.execute(
                select(SyncRun.kind).join(newest, newest.c.id == SyncRun.id).where(SyncRun.status == "failed")
            )
            for (kind,) in failed:
                if kind in JobKind.__members__.values():
                    kick_after_commit(s, connection_id, JobKind(kind))
                    retried.append(kind)
    return now, sorted(retried)


def failing(row: Connection, started_at: datetime, status: str) -> bool:
    """Whether a run counts against the connection's health: failed, and not older than the
    last passing credential check."""
    if status != "failed":
        return False
    passed = row.last_check_at if row.last_check_error is None else None
    return passed is None or started_at >= passed
