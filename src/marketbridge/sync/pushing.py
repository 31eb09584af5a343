"""Pushing pending stock and price changes to one connection, in the largest batches allowed.

Rows are read from the ledger, sent, and then removed only if no newer value arrived in the
meantime (compare-and-delete on the row's version). Per-item errors are recorded on the
row: retryable ones come back with backoff, the others wait until the value changes again,
so nothing is retried forever.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Row, Table, bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from marketbridge.channels.errors import BadResponse, ChannelError
from marketbridge.channels.roles import (
    Channel,
    ItemResult,
    PricePush,
    PriceSink,
    StockPush,
    StockSink,
    require,
)
from marketbridge.model import EventType
from marketbridge.runtime.redaction import redact
from marketbridge.store.db import Database
from marketbridge.store.events import emit_all
from marketbridge.store.tables import Connection, PendingChange, PushedValue
from marketbridge.store.types import utcnow
from marketbridge.store.upsert import chunks, insert_for
from marketbridge.sync.dispatch import ChangeKind
from marketbridge.sync.ledger import PENDING_TABLE, marketplace_value
from marketbridge.sync.runs import RunRecorder

#: Rows read per round; the channel splits them into its own batches.
ROUND_SIZE = 2000
#: A wait for a free call at least this long (seconds) may have let changes in: the round
#: reads them before it sends.
WAITED = 0.005
#: When a value the marketplace refused for good is tried again without a change.
PARKED = timedelta(days=3650)


#: Longest pause before a value the marketplace refused for a passing reason is sent again.
MAX_BACKOFF_SECONDS = 60


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(2 ** min(attempts, 6), MAX_BACKOFF_SECONDS))


def _stock_item(payload: dict[str, Any]) -> StockPush:
    return StockPush(
        external_id=str(payload["external_id"]),
        offer_code=str(payload.get("offer_code") or ""),
        warehouse_id=str(payload["warehouse_id"]),
        quantity=int(payload["quantity"]),
        barcode=payload.get("barcode"),
    )


def _price_item(payload: dict[str, Any]) -> PricePush:
    def dec(name: str) -> Decimal | None:
        value = payload.get(name)
        return Decimal(str(value)) if value is not None else None

    price = dec("price")
    assert price is not None
    return PricePush(
        external_id=str(payload["external_id"]),
        offer_code=str(payload.get("offer_code") or ""),
        price=price,
        old_price=dec("old_price"),
        min_price=dec("min_price"),
    )


#: A ledger row as a round reads it (id, key, version, attempts, payload): a plain row, no mapped object.
Due = Row[int, str, int, int, dict[str, Any]]
#: What a round needs of each ledger row.
DUE_COLUMNS = (
    PENDING_TABLE.c.id,
    PENDING_TABLE.c.key,
    PENDING_TABLE.c.version,
    PENDING_TABLE.c.attempts,
    PENDING_TABLE.c.payload,
)


async def _due(
    db: Database, connection_id: int, kind: ChangeKind, now: datetime, after: int, limit: int | None = None
) -> Sequence[Due]:
    """The next round: due rows with an id above `after`, in id order (a round's worth, or `limit`)."""
    async with db.reading_connection() as c:
        rows = await c.execute(
            select(*DUE_COLUMNS)
            .where(
                PENDING_TABLE.c.connection_id == connection_id,
                PENDING_TABLE.c.kind == kind,
                PENDING_TABLE.c.next_attempt_at <= now,
                PENDING_TABLE.c.id > after,
            )
            .order_by(PENDING_TABLE.c.id)
            .limit(ROUND_SIZE if limit is None else limit)
        )
        return rows.all()


async def has_due(db: Database, connection_id: int, kind: ChangeKind) -> bool:
    return await db.exists(
        select(PendingChange.id).where(
            PendingChange.connection_id == connection_id,
            PendingChange.kind == kind,
            PendingChange.next_attempt_at <= utcnow(),
        )
    )


async def push_pending(
    db: Database, conn: Connection, channel: Channel, kind: ChangeKind, recorder: RunRecorder
) -> None:
    """Send every due pending change of `kind` for the connection, round after round.

    The rounds overlap: while one round's calls are out, the next round is read and the one
    before is settled. Rounds follow the rows' ids; once a pass found nothing more, it starts
    again from the lowest id (after the last settle) for values that changed meanwhile, and
    ends when such a pass finds nothing due. A pass starts by waiting until the marketplace's
    limit lets a call go at once, and only then reads the ledger: a change made while it waited
    goes out in that call, not one interval later. A round read ahead waits for its call the
    same way before it is sent, and takes in what arrived during that wait."""
    send, until_call = _sender(channel, kind)

    async def first_round() -> Sequence[Due]:
        await until_call()
        return await _due(db, conn.id, kind, utcnow(), 0)

    async def topped_up(rows: Sequence[Due]) -> Sequence[Due]:
        if len(rows) >= ROUND_SIZE:
            return rows
        started = time.monotonic()
        await until_call()
        if time.monotonic() - started < WAITED:
            return rows
        more = await _due(db, conn.id, kind, utcnow(), rows[-1].id, ROUND_SIZE - len(rows))
        return [*rows, *more]

    after = 0
    reading: asyncio.Task[Sequence[Due]] = asyncio.create_task(first_round())
    settling: asyncio.Task[None] | None = None
    try:
        while True:
            rows = await reading
            if not rows:
                if settling is not None:
                    await settling
                    settling = None
                if after == 0:
                    return
                after = 0
                reading = asyncio.create_task(first_round())
                continue
            if after:  # read ahead (a pass's first round waited for its call before reading)
                rows = await topped_up(rows)
            after = rows[-1].id
            reading = asyncio.create_task(_due(db, conn.id, kind, utcnow(), after))
            try:
                results = await send(rows)
                if len(results) != len(rows):
                    raise BadResponse(f"{conn.kind}: {len(results)} results for {len(rows)} items")
            except ChannelError as exc:
                if settling is not None:
                    await settling
                    settling = None
                await _record_failure(db, rows, exc)
                raise
            if settling is not None:
                await settling  # one writer at a time, in round order
            settling = asyncio.create_task(_settle(db, conn, kind, rows, results, recorder))
    finally:  # on an error: the read ahead and a settle under way end before the error goes up
        for task in (reading, settling):
            if task is not None:
                await _ended(task)


async def _ended(task: asyncio.Task[Any]) -> None:
    """Wait for a task to end; its own error, if any, is dropped (the caller's goes up)."""
    await asyncio.wait([task])
    if not task.cancelled():
        task.exception()


def _sender(
    channel: Channel, kind: ChangeKind
) -> tuple[Callable[[Sequence[Due]], Awaitable[list[ItemResult]]], Callable[[], Awaitable[None]]]:
    """The channel's push for `kind`, taking a round's rows, and its wait for a free call."""
    if kind == ChangeKind.STOCK:
        stocks = require(channel, StockSink)

        async def push_stocks(rows: Sequence[Due]) -> list[ItemResult]:
            return await stocks.push_stocks([_stock_item(r.payload) for r in rows])

        return push_stocks, stocks.until_stock_call
    prices = require(channel, PriceSink)

    async def push_prices(rows: Sequence[Due]) -> list[ItemResult]:
        return await prices.push_prices([_price_item(r.payload) for r in rows])

    return push_prices, prices.until_price_call


def _retry_later(row: Due, message: str, retryable: bool, now: datetime) -> dict[str, Any]:
    """Parameters for RETRY_LATER: one more attempt counted, the error kept, the next try set."""
    return {
        "row_id": row.id,
        "row_version": row.version,
        "error": message[:1000],
        "next_at": now + (backoff(row.attempts + 1) if retryable else PARKED),
    }


#: Compare-and-set on the row version: a value changed meanwhile is left for the next round.
RETRY_LATER = (
    update(PENDING_TABLE)
    .where(PENDING_TABLE.c.id == bindparam("row_id"), PENDING_TABLE.c.version == bindparam("row_version"))
    .values(
        attempts=PENDING_TABLE.c.attempts + 1,
        last_error=bindparam("error"),
        next_attempt_at=bindparam("next_at"),
    )
)
#: A value held back by the marketplace's pacing: only its next try moves (no attempt, no error).
PACED = (
    update(PENDING_TABLE)
    .where(PENDING_TABLE.c.id == bindparam("row_id"), PENDING_TABLE.c.version == bindparam("row_version"))
    .values(next_attempt_at=bindparam("next_at"))
)
#: The values the marketplaces hold, as a Core table: a settle's upsert needs no ORM.
PUSHED_TABLE = cast(Table, PushedValue.__table__)
SENT = delete(PENDING_TABLE).where(
    PENDING_TABLE.c.id == bindparam("row_id"), PENDING_TABLE.c.version == bindparam("row_version")
)


async def _lock_in_key_order(s: AsyncSession, rows: Sequence[Due]) -> None:
    """Lock a round's ledger rows (one connection, one kind) in key order, the order in which the
    ledger's upserts take them (ledger.queue), so that a settle and a concurrent upsert of the
    same keys never wait for each other in a cycle (a deadlock on PostgreSQL). SQLite has one
    writer at a time and no row locks: nothing to do there."""
    if s.bind is None or s.bind.dialect.name != "postgresql":
        return
    ids = [r.id for r in sorted(rows, key=lambda r: r.key)]  # code point order: collation "C"
    for part in chunks(ids):
        await s.execute(
            select(PendingChange.id)
            .where(PendingChange.id.in_(part))
            .order_by(PendingChange.key.collate("C"))
            .with_for_update()
        )


async def _record_failure(db: Database, rows: Sequence[Due], exc: ChannelError) -> None:
    now = utcnow()
    async with db.session() as s:
        await _lock_in_key_order(s, rows)
        await s.execute(RETRY_LATER, [_retry_later(r, str(exc), exc.retryable, now) for r in rows])


async def _settle(
    db: Database,
    conn: Connection,
    kind: ChangeKind,
    rows: Sequence[Due],
    results: Sequence[ItemResult],
    recorder: RunRecorder,
) -> None:
    now = utcnow()
    done = [r for r, res in zip(rows, results, strict=True) if res.ok]
    paced = [(r, res.wait) for r, res in zip(rows, results, strict=True) if not res.ok and res.wait]
    failed = [(r, res) for r, res in zip(rows, results, strict=True) if not res.ok and not res.wait]
    async with db.session() as s:
        await _lock_in_key_order(s, rows)
        if paced:
            await s.execute(PACED, await _paced_until(s, conn.id, kind, paced, now))
        if done:
            await s.execute(SENT, [{"row_id": r.id, "row_version": r.version} for r in done])
            stmt = insert_for(s, PUSHED_TABLE)
            stmt = stmt.on_conflict_do_update(
                index_elements=["connection_id", "kind", "key"],
                set_={"value": stmt.excluded.value, "pushed_at": stmt.excluded.pushed_at},
            )
            values = [
                {
                    "connection_id": conn.id,
                    "kind": kind,
                    "key": r.key,
                    "value": marketplace_value(r.payload),
                    "pushed_at": now,
                }
                for r in done
            ]
            await s.execute(stmt, values)
        retries: list[dict[str, Any]] = []
        rejected: list[dict[str, Any]] = []
        for row, res in failed:
            message = redact(res.message or res.code or "refused")
            recorder.item_error(row.key, message, res.code, sku=row.payload.get("offer_code") or None)
            retries.append(_retry_later(row, f"{res.code or ''} {message}".strip(), res.retryable, now))
            if kind == ChangeKind.PRICE and not res.retryable:
                rejected.append(
                    {
                        "connection_id": conn.id,
                        "offer_id": row.payload.get("offer_id"),
                        "offer_code": row.payload.get("offer_code"),
                        "code": res.code,
                        "message": message,
                    }
                )
        if retries:
            await s.execute(RETRY_LATER, retries)
        await emit_all(s, conn.account_id, EventType.PRICE_REJECTED, rejected)
        if kind == ChangeKind.STOCK:
            zero = [
                {
                    "connection_id": conn.id,
                    "offer_id": r.payload.get("offer_id"),
                    "warehouse_id": r.payload.get("warehouse_id"),
                }
                for r in done
                if int(r.payload.get("quantity", 1)) == 0
            ]
            await emit_all(s, conn.account_id, EventType.STOCK_ZERO, zero)
    recorder.count("pushed", len(done))
    recorder.count("refused", len(failed))
    if paced:
        recorder.count("paced", len(paced))
    await recorder.heartbeat()


async def _paced_until(
    s: AsyncSession,
    connection_id: int,
    kind: ChangeKind,
    paced: Sequence[tuple[Due, float]],
    now: datetime,
) -> list[dict[str, Any]]:
    """PACED parameters: each row waits `wait` seconds after its last accepted value (or from now)."""
    pushed = dict(
        (
            await s.execute(
                select(PushedValue.key, PushedValue.pushed_at).where(
                    PushedValue.connection_id == connection_id,
                    PushedValue.kind == kind,
                    PushedValue.key.in_([r.key for r, _ in paced]),
                )
            )
        ).all()
    )
    return [
        {
            "row_id": row.id,
            "row_version": row.version,
            "next_at": max(now, pushed.get(row.key, now) + timedelta(seconds=wait)),
        }
        for row, wait in paced
    ]


__all__ = ["PARKED", "has_due", "push_pending"]
