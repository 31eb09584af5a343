"""SQLite writers of one process take turns in the order they asked, and never wait forever."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import select, text

from marketbridge.store import db as db_module
from marketbridge.store.db import Database
from marketbridge.store.tables import Lease
from marketbridge.store.types import utcnow
from tests.support.databases import sqlite_database


async def _write(db: Database, name: str, hold: float = 0.0) -> None:
    async with db.session() as s:
        s.add(Lease(name=name, owner="test", expires_at=utcnow()))
        await s.flush()  # the write lock is SQLite's from here until the commit
        await asyncio.sleep(hold)


async def test_writers_are_served_in_the_order_they_asked(tmp_path: Path) -> None:
    """A writer holds the lock for a second while others ask, one after another. SQLite's busy
    handler lets a writer that has waited long sleep 100 ms at a time, while one that asked just
    now retries within milliseconds and takes the lock first; the turns go in the order asked."""
    db = await sqlite_database(tmp_path)
    committed: list[str] = []

    async def writer(name: str, after: float, hold: float = 0.0) -> None:
        await asyncio.sleep(after)
        await _write(db, name, hold)
        committed.append(name)

    try:
        asking = [("early", 0.05), ("middle", 0.5), ("later", 0.8), ("last", 0.95)]
        await asyncio.gather(writer("holder", 0, hold=1.0), *(writer(name, at) for name, at in asking))
        assert committed == ["holder"] + [name for name, _ in asking]
    finally:
        await db.dispose()


async def test_a_writer_that_waits_on_another_writer_is_not_stuck(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A task that holds its turn (before its first statement) and waits for a task that writes:
    that task gives up waiting for a turn after WRITE_TURN_TIMEOUT and writes through SQLite's
    own lock, which is free."""
    monkeypatch.setattr(db_module, "WRITE_TURN_TIMEOUT", 0.2)
    db = await sqlite_database(tmp_path)
    try:
        async with db.session() as s:
            await asyncio.wait_for(asyncio.create_task(_write(db, "inner")), timeout=10)
            s.add(Lease(name="outer", owner="test", expires_at=utcnow()))
        async with db.reading() as s:
            names = set((await s.execute(select(Lease.name))).scalars())
        assert names == {"inner", "outer"}
    finally:
        await db.dispose()


async def test_a_writer_that_opens_another_session_keeps_its_turn(tmp_path: Path) -> None:
    """A second write session in the task that holds the turn does not wait for the turn (it
    would wait for itself)."""
    db = await sqlite_database(tmp_path)
    try:
        async with db.session():
            async with asyncio.timeout(5):
                await _write(db, "nested")
        async with db.reading() as s:
            assert (await s.execute(select(Lease.name))).scalars().all() == ["nested"]
    finally:
        await db.dispose()


async def test_a_writer_cancelled_mid_statement_leaves_the_lock_free(tmp_path: Path) -> None:
    """A task cancelled while a statement runs in its transaction, with a cursor of the same
    transaction not read to its end: the pool closes that connection as broken. Without a
    rollback first, SQLite kept it as a zombie holding the write lock until the garbage collector
    freed the cursor, and every other writer failed with "database is locked"."""
    db = await sqlite_database(tmp_path)
    reading = asyncio.Event()

    async def cut_short() -> None:
        async with db.session() as s:
            s.add(Lease(name="never", owner="test", expires_at=utcnow()))
            await s.flush()
            rows = await s.stream(select(Lease.name))
            await rows.fetchmany(1)  # the cursor stays open
            reading.set()
            count = "with recursive c(i) as (select 1 union all select i + 1 from c limit 3000000) "
            await s.execute(text(count + "select count(*) from c"))

    def another_writer() -> str:
        other = sqlite3.connect(db.engine.url.database or "", timeout=2, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            return "ok"
        except sqlite3.OperationalError as exc:
            return str(exc)
        finally:
            other.close()

    try:
        task = asyncio.create_task(cut_short())
        await reading.wait()
        await asyncio.sleep(0.05)  # the long statement is running in the connection's thread
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await asyncio.to_thread(another_writer) == "ok"
        async with db.reading() as s:
            assert (await s.execute(select(Lease.name))).scalars().all() == []
    finally:
        await db.dispose()
