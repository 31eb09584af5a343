"""Leases: one holder at a time, renewed by its holder, taken over only once expired."""

from __future__ import annotations

from sqlalchemy import select

from marketbridge.store import leases
from marketbridge.store.db import Database
from marketbridge.store.tables import Lease


async def _holder(db: Database, name: str) -> str | None:
    async with db.reading() as s:
        owner: str | None = (await s.execute(select(Lease.owner).where(Lease.name == name))).scalar()
        return owner


async def test_one_holder_at_a_time(db: Database) -> None:
    assert await leases.acquire(db, "job:1:stocks", "a", ttl=60)
    assert not await leases.acquire(db, "job:1:stocks", "b", ttl=60)
    assert await _holder(db, "job:1:stocks") == "a"
    assert await leases.acquire(db, "job:1:stocks", "a", ttl=60), "the holder renews"
    assert await leases.acquire(db, "job:2:stocks", "b", ttl=60), "another name is free"
    await leases.release(db, "job:1:stocks", "b")  # not b's to release
    assert await _holder(db, "job:1:stocks") == "a"
    await leases.release(db, "job:1:stocks", "a")
    assert await leases.acquire(db, "job:1:stocks", "b", ttl=60)
    assert await _holder(db, "job:1:stocks") == "b"


async def test_an_expired_lease_is_taken_over(db: Database) -> None:
    assert await leases.acquire(db, "job:3:orders", "a", ttl=-1)  # ran out at once
    assert await leases.acquire(db, "job:3:orders", "b", ttl=60)
    assert await _holder(db, "job:3:orders") == "b"
    assert not await leases.acquire(db, "job:3:orders", "a", ttl=60)
