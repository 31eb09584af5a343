"""Sync cursors: how far each polling job of a connection has read, in one place.

A cursor is the moment the last complete poll of a kind (`orders`, `returns`: the job that
polls) started reading up to. The next poll reaches back a little before it (an overlap),
so a record that changed while the previous poll ran is seen again rather than missed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from marketbridge.store.db import Database
from marketbridge.store.tables import SyncCursor
from marketbridge.store.upsert import insert_for
from marketbridge.sync.dispatch import JobKind


async def poll_since(
    db: Database, connection_id: int, kind: JobKind, now: datetime, overlap: timedelta, first: timedelta
) -> datetime:
    """Where the next poll starts: the cursor minus `overlap`, or `now - first` for the first poll."""
    async with db.session() as s:
        cursor = (
            await s.execute(
                select(SyncCursor.value).where(
                    SyncCursor.connection_id == connection_id, SyncCursor.kind == kind.value
                )
            )
        ).scalar_one_or_none()
    return cursor - overlap if cursor else now - first


async def set_cursor(db: Database, connection_id: int, kind: JobKind, value: datetime) -> None:
    """Record that the poll of `kind` read everything up to `value`."""
    async with db.session() as s:
        stmt = insert_for(s, SyncCursor).values(connection_id=connection_id, kind=kind.value, value=value)
        await s.execute(
            stmt.on_conflict_do_update(index_elements=["connection_id", "kind"], set_={"value": value})
        )
