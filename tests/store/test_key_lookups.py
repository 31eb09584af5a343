"""Requests that miss the key memory at the same time share one database look-up, and a
revocation is not bypassed by joining a look-up begun before it."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import event

from marketbridge.store import accounts
from marketbridge.store.db import Database


def _count_key_queries(db: Database) -> list[str]:
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "api_keys" in statement:
            seen.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", note)
    return seen


async def test_concurrent_misses_share_one_look_up(db: Database) -> None:
    async with db.session() as s:
        account, key = await accounts.create_account(s, "busy client")
    accounts._verified.forget_all()  # as when the remembered entry expires
    queries = _count_key_queries(db)
    found = await asyncio.gather(*(accounts.verify(db, key) for _ in range(20)))
    assert {p.account_id if p else None for p in found} == {account.id}
    assert len(queries) == 1
    assert await accounts.verify(db, key) == found[0] and len(queries) == 1  # remembered now


async def test_a_wrong_key_is_looked_up_again_each_time(db: Database) -> None:
    queries = _count_key_queries(db)
    assert await accounts.verify(db, "mb_not-a-key") is None
    assert await accounts.verify(db, "mb_not-a-key") is None
    assert len(queries) == 2  # only valid keys are remembered
