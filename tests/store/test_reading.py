"""Read-only sessions: they see committed data, write nothing, and on SQLite they do not take
the write lock (a reader inside a long write transaction is not blocked)."""

from __future__ import annotations

import asyncio

from sqlalchemy import bindparam, literal, select

from marketbridge.store import accounts
from marketbridge.store.db import Database
from marketbridge.store.tables import Account


async def test_a_reader_sees_committed_rows_and_writes_nothing(db: Database) -> None:
    async with db.session() as s:
        account, _ = await accounts.create_account(s, "reader")
    async with db.reading() as s:
        found = await s.get(Account, account.id)
        assert found is not None and found.name == "reader"
        found.name = "changed by a reader"
    async with db.reading() as s:
        again = await s.get(Account, account.id)
        assert again is not None and again.name == "reader"


async def test_a_reader_is_not_blocked_by_an_open_write(db: Database) -> None:
    async with db.session() as s:
        await accounts.create_account(s, "first")
    writing = asyncio.Event()
    release = asyncio.Event()

    async def long_write() -> None:
        async with db.session() as s:
            await accounts.create_account(s, "second")
            writing.set()
            await release.wait()

    writer = asyncio.create_task(long_write())
    await writing.wait()
    try:
        async with db.reading() as s:  # would wait for the writer if it took the write lock
            names = set((await s.execute(select(Account.name))).scalars())
        assert "first" in names and "second" not in names
    finally:
        release.set()
        await writer


async def test_hot_reads_give_the_drivers_values_on_every_kind_of_database(db: Database) -> None:
    """`read_rows` on a SQLite file (its read thread), on PostgreSQL (asyncpg itself) and on
    SQLite in memory (the async driver): the same rows, the statement's own literals bound."""
    async with db.session() as s:
        first, _ = await accounts.create_account(s, "first")
        second, _ = await accounts.create_account(s, "second")
    statement = (
        select(Account.id, Account.name, literal("tag"))
        .where(Account.id >= bindparam("low"))
        .order_by(Account.id)
    )
    assert [tuple(r) for r in await db.read_rows(statement, {"low": first.id})] == [
        (first.id, "first", "tag"),
        (second.id, "second", "tag"),
    ]
    memory = Database("sqlite+aiosqlite://")
    try:
        await memory.upgrade()
        async with memory.session() as s:
            alone, _ = await accounts.create_account(s, "alone")
        assert [tuple(r) for r in await memory.read_rows(statement, {"low": 0})] == [
            (alone.id, "alone", "tag")
        ]
    finally:
        await memory.dispose()
