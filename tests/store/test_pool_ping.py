"""PostgreSQL's pool pings a connection only after it sat idle: one the server dropped meanwhile
is replaced unseen; one in constant use is trusted, and a drop fails only the request in flight."""

from __future__ import annotations

import asyncio
import time

import asyncpg
import pytest
from sqlalchemy import literal_column, select, text
from sqlalchemy.exc import DBAPIError

from marketbridge.store import db as db_module
from marketbridge.store.db import Database
from tests.support.databases import _admin

#: Only PostgreSQL has a pool that pings (SQLite's file needs none).
pytestmark = pytest.mark.parametrize("db", ["postgres"], indirect=True)


async def _backend(db: Database) -> int:
    async with db.reading_connection() as conn:
        pid: int = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        return pid


async def _terminate(db: Database, pid: int) -> None:
    admin = await _admin(db.url)
    try:
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
        deadline = time.monotonic() + 30
        while await admin.fetchval("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid):
            assert time.monotonic() < deadline, "the backend did not end"
            await asyncio.sleep(0.05)
    finally:
        await admin.close()


async def test_an_idle_connection_the_server_dropped_is_replaced(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_module, "PING_AFTER_IDLE_SECONDS", 0.0)  # every check-out counts as idle
    first = await _backend(db)
    await _terminate(db, first)
    assert await _backend(db) != first  # pinged, found dead, replaced: the caller saw nothing


async def test_a_connection_in_use_is_not_pinged_and_a_drop_fails_one_request(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_module, "PING_AFTER_IDLE_SECONDS", 3600.0)  # never idle long enough
    first = await _backend(db)
    await _terminate(db, first)
    with pytest.raises(DBAPIError) as failed:
        await _backend(db)
    assert failed.value.connection_invalidated
    assert await _backend(db) != first  # the failure dropped the dead connection


async def test_a_hot_read_on_a_dropped_connection_fails_once_and_drops_it(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_module, "PING_AFTER_IDLE_SECONDS", 3600.0)  # never idle long enough
    statement = select(literal_column("pg_backend_pid()"))
    first = (await db.read_rows(statement, {}))[0][0]
    await _terminate(db, first)
    with pytest.raises(Exception) as failed:
        await db.read_rows(statement, {})
    # the client's error, not the server's: a dropped connection (asyncpg names it in one of a few
    # ways, depending on when the termination reaches it)
    assert not isinstance(failed.value, asyncpg.PostgresError), failed.value
    assert (await db.read_rows(statement, {}))[0][0] != first  # the dead connection left the pool
