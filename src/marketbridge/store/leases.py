"""Leases in the database: one holder per name, taken over only after it expired.

Used so that each (connection, kind) runs in at most one worker at a time, on any number
of machines, with nothing but the database shared. A worker's heartbeat is a lease row too:
named `heartbeat:<worker id>`, its `expires_at` holds the time of the last beat (`/healthz`
reports the age of the newest one).

A job run takes and releases its lease, so these are among the most frequent statements: they
go to the table itself (Core), not through the ORM's bulk statements, which would cost more in
Python than the statement costs the database.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from marketbridge.store.db import Database
from marketbridge.store.tables import Lease
from marketbridge.store.types import utcnow
from marketbridge.store.upsert import insert_for

LEASES = cast(Table, Lease.__table__)


async def acquire(db: Database, name: str, owner: str, ttl: float) -> bool:
    """Take the lease `name` for `ttl` seconds, or renew it when `owner` holds it already.

    One statement: the row is inserted, or taken over where its holder is `owner` or its time
    ran out; a row held by another owner is left alone and nothing is counted.
    """
    now = utcnow()
    expires = now + timedelta(seconds=ttl)
    async with db.session() as s:
        stmt = insert_for(s, LEASES).values(name=name, owner=owner, expires_at=expires)
        taken = await s.execute(
            stmt.on_conflict_do_update(
                index_elements=["name"],
                set_={"owner": owner, "expires_at": expires},
                where=(LEASES.c.owner == owner) | (LEASES.c.expires_at < now),
            )
        )
        return bool(taken.rowcount)  # type: ignore[attr-defined]


async def renew(db: Database, name: str, owner: str, ttl: float) -> bool:
    """Extend the lease `name` while `owner` holds it; never takes or re-creates it (a renewal
    that comes after the release changes nothing)."""
    async with db.session() as s:
        renewed = await s.execute(
            update(LEASES)
            .where(LEASES.c.name == name, LEASES.c.owner == owner)
            .values(expires_at=utcnow() + timedelta(seconds=ttl))
        )
        return bool(renewed.rowcount)  # type: ignore[attr-defined]


async def release(db: Database, name: str, owner: str) -> None:
    async with db.session() as s:
        await drop(s, name, owner)


async def drop(s: AsyncSession, name: str, owner: str) -> None:
    """Release the lease `name` of `owner` in the caller's transaction (e.g. with the run's end)."""
    await s.execute(delete(LEASES).where(LEASES.c.name == name, LEASES.c.owner == owner))


HEARTBEAT = "heartbeat:"
#: A heartbeat older than this is dropped by the next beat of any worker.
HEARTBEAT_KEPT = timedelta(days=1)


async def beat(db: Database, worker_id: str) -> None:
    """Record that the worker `worker_id` is alive now."""
    now = utcnow()
    name = f"{HEARTBEAT}{worker_id}"[:200]
    async with db.session() as s:
        await s.execute(
            delete(Lease).where(Lease.name.startswith(HEARTBEAT), Lease.expires_at < now - HEARTBEAT_KEPT)
        )
        beaten = await s.execute(update(Lease).where(Lease.name == name).values(expires_at=now))
        if not beaten.rowcount:  # type: ignore[attr-defined]
            s.add(Lease(name=name, owner=worker_id[:100], expires_at=now))


async def last_beat(db: Database) -> datetime | None:
    """When the newest worker heartbeat was recorded; None when no worker ever beat."""
    async with db.reading() as s:
        query = select(func.max(Lease.expires_at)).where(Lease.name.startswith(HEARTBEAT))
        found: datetime | None = (await s.execute(query)).scalar_one_or_none()
        return found
