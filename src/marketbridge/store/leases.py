"""Leases in the database: one holder per name, taken over only after it expired.

Used so that each (connection, kind) runs in at most one worker at a time, on any number
of machines, with nothing but the database shared.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError

from marketbridge.store.db import Database
from marketbridge.store.tables import Lease
from marketbridge.store.types import utcnow


async def acquire(db: Database, name: str, owner: str, ttl: float) -> bool:
    """Take the lease `name` for `ttl` seconds, or renew it when `owner` holds it already."""
    now = utcnow()
    expires = now + timedelta(seconds=ttl)
    async with db.session() as s:
        taken = await s.execute(
            update(Lease)
            .where(Lease.name == name, (Lease.owner == owner) | (Lease.expires_at < now))
            .values(owner=owner, expires_at=expires)
        )
        if taken.rowcount:  # type: ignore[attr-defined]
            return True
    try:
        async with db.session() as s:
            s.add(Lease(name=name, owner=owner, expires_at=expires))
        return True
    except IntegrityError:
        return False


async def release(db: Database, name: str, owner: str) -> None:
    async with db.session() as s:
        await s.execute(delete(Lease).where(Lease.name == name, Lease.owner == owner))
