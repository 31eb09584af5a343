"""The outbox of events told to the seller: written in the same transaction as the change.

`emit` (one event) and `emit_all` (many of one type in one statement) also note on the
session that the outbox grew (`OUTBOX_WRITTEN`), so the after-commit hook
(`sync/kicks.py`) wakes the worker to deliver the webhooks at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from marketbridge.model import EventType
from marketbridge.store.tables import Event
from marketbridge.store.types import utcnow

#: `session.info` key: this transaction wrote outbox events.
OUTBOX_WRITTEN = "outbox_written"


async def emit(session: AsyncSession, account_id: int, type_: EventType, data: dict[str, Any]) -> Event:
    """Record an event; the webhook deliverer fans it out to the subscriptions later."""
    event = Event(**_row(account_id, type_, data, utcnow()))
    session.add(event)
    await session.flush()
    session.info[OUTBOX_WRITTEN] = True
    return event


async def emit_all(
    session: AsyncSession, account_id: int, type_: EventType, datas: Sequence[dict[str, Any]]
) -> None:
    """Record one event per item of `datas`, in that order, in one statement (none for none)."""
    if not datas:
        return
    now = utcnow()
    await session.execute(insert(Event), [_row(account_id, type_, d, now) for d in datas])
    session.info[OUTBOX_WRITTEN] = True


def _row(account_id: int, type_: EventType, data: dict[str, Any], now: datetime) -> dict[str, Any]:
    """An event's columns: a new id, the account, the type's value, when and what."""
    return {
        "id": str(uuid.uuid4()),
        "account_id": account_id,
        "type": type_.value,
        "occurred_at": now,
        "data": data,
    }
