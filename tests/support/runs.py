"""Reading a connection's sync runs in tests."""

from __future__ import annotations

from sqlalchemy import select

from marketbridge.store.db import Database
from marketbridge.store.tables import SyncRun


async def latest_run(db: Database, connection_id: int, kind: str) -> SyncRun:
    """The newest run of `kind` on the connection (the test fails if there is none)."""
    async with db.session() as s:
        return (
            await s.execute(
                select(SyncRun)
                .where(SyncRun.connection_id == connection_id, SyncRun.kind == kind)
                .order_by(SyncRun.id.desc())
                .limit(1)
            )
        ).scalar_one()
