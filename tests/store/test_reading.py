"""Read-only sessions: they see committed data, write nothing, and on SQLite they do not take
the write lock (a reader inside a long write transaction is not blocked)."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

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
