"""Sync cursors: how far each polling job of a connection has read, in one place.

A cursor is the moment the last complete poll of a kind (`orders`, `returns`: the job that
polls) started reading up to. The next poll reaches back a little before it (an overlap),
so a record that changed while the previous poll ran is seen again rather than missed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, select

from marketbridge.store.db import Database
from marketbridge.store.tables import SyncCursor
from marketbridge.store.upsert import insert_for
from marketbridge.sync.dispatch import JobKind

#: Written by every poll: statements on the table itself, not the ORM's bulk ones (cheaper in Python).
CURSORS = cast(Table, SyncCursor.__table__)


async def poll_since(
    db: Database, connection_id: int, kind: JobKind, now: datetime, overlap: timedelta, first: timedelta
) -> datetime:
    """Where the next poll starts: the cursor minus `overlap`, or `now - first` for the first poll."""
    async with db.reading() as s:
        cursor = (
            await s.execute(
                select(CURSORS.c.value).where(
                    CURSORS.c.connection_id == connection_id, CURSORS.c.kind == kind.value
                )
            )
        ).scalar_one_or_none()
    return cursor - overlap if cursor else now - first


async def set_cursor(db: Database, connection_id: int, kind: JobKind, value: datetime) -> None:
    """Record that the poll of `kind` read everything up to `value`."""
    async with db.session() as s:
        stmt = insert_for(s, CURSORS).values(connection_id=connection_id, kind=kind.value, value=value)
        await s.execute(
            stmt.on_conflict_do_update(index_elements=["connection_id", "kind"], set_={"value": value})
        )
