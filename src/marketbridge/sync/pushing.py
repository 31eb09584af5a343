"""Pushing pending stock and price changes to one connection, in the largest batches allowed.

Rows are read from the ledger, sent, and then removed only if no newer value arrived in the
meantime (compare-and-delete on the row's version). Per-item errors are recorded on the
row: retryable ones come back with backoff, the others wait until the value changes again,
so nothing is retried forever.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, delete, select, update
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
from marketbridge.store.events import emit
from marketbridge.store.tables import Connection, PendingChange, PushedValue
from marketbridge.store.types import utcnow
from marketbridge.store.upsert import chunks, insert_for
from marketbridge.sync.dispatch import ChangeKind
from marketbridge.sync.ledger import PENDING_TABLE, marketplace_value
from marketbridge.sync.runs import RunRecorder

#: Rows read per round; the channel splits them into its own batches.
ROUND_SIZE = 2000
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


async def _due(db: Database, connection_id: int, kind: ChangeKind, now: datetime) -> list[PendingChange]:
    async with db.reading() as s:
        rows = await s.execute(
            select(PendingChange)
            .where(
                PendingChange.connection_id == connection_id,
                PendingChange.kind == kind,
                PendingChange.next_attempt_at <= now,
            )
            .order_by(PendingChange.id)
            .limit(ROUND_SIZE)
        )
        return list(rows.scalars())


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

    Each round first waits until the marketplace's limit lets its call go at once, and only
    then reads the ledger: a change made while the round waited goes out in it."""
    while True:
        if kind == ChangeKind.STOCK:
            await require(channel, StockSink).until_stock_call()
        else:
            await require(channel, PriceSink).until_price_call()
        rows = await _due(db, conn.id, kind, utcnow())
        if not rows:
            return
        try:
            if kind == ChangeKind.STOCK:
                results = await require(channel, StockSink).push_stocks(
                    [_stock_item(r.payload) for r in rows]
                )
            else:
                results = await require(channel, PriceSink).push_prices(
                    [_price_item(r.payload) for r in rows]
                )
        except ChannelError as exc:
            await _record_failure(db, rows, exc)
            raise
        if len(results) != len(rows):
            mismatch = BadResponse(f"{conn.kind}: {len(results)} results for {len(rows)} items")
            await _record_failure(db, rows, mismatch)
            raise mismatch
        await _settle(db, conn, kind, rows, results, recorder)
        await recorder.heartbeat()


def _retry_later(row: PendingChange, message: str, retryable: bool, now: datetime) -> dict[str, Any]:
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
SENT = delete(PENDING_TABLE).where(
    PENDING_TABLE.c.id == bindparam("row_id"), PENDING_TABLE.c.version == bindparam("row_version")
)


async def _lock_in_key_order(s: AsyncSession, rows: Sequence[PendingChange]) -> None:
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


async def _record_failure(db: Database, rows: Sequence[PendingChange], exc: ChannelError) -> None:
    now = utcnow()
    async with db.session() as s:
        await _lock_in_key_order(s, rows)
        await s.execute(RETRY_LATER, [_retry_later(r, str(exc), exc.retryable, now) for r in rows])


async def _settle(
    db: Database,
    conn: Connection,
    kind: ChangeKind,
    rows: Sequence[PendingChange],
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
            stmt = insert_for(s, PushedValue)
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
        for row, res in failed:
            message = redact(res.message or res.code or "refused")
            recorder.item_error(row.key, message, res.code, sku=row.payload.get("offer_code") or None)
            retries.append(_retry_later(row, f"{res.code or ''} {message}".strip(), res.retryable, now))
            if kind == ChangeKind.PRICE and not res.retryable:
                await emit(
                    s,
                    conn.account_id,
                    EventType.PRICE_REJECTED,
                    {
                        "connection_id": conn.id,
                        "offer_id": row.payload.get("offer_id"),
                        "offer_code": row.payload.get("offer_code"),
                        "code": res.code,
                        "message": message,
                    },
                )
        if retries:
            await s.execute(RETRY_LATER, retries)
        zero = [r for r in done if kind == ChangeKind.STOCK and int(r.payload.get("quantity", 1)) == 0]
        for row in zero:
            await emit(
                s,
                conn.account_id,
                EventType.STOCK_ZERO,
                {
                    "connection_id": conn.id,
                    "offer_id": row.payload.get("offer_id"),
                    "warehouse_id": row.payload.get("warehouse_id"),
                },
            )
    recorder.count("pushed", len(done))
    recorder.count("refused", len(failed))
    if paced:
        recorder.count("paced", len(paced))


async def _paced_until(
    s: AsyncSession,
    connection_id: int,
    kind: ChangeKind,
    paced: Sequence[tuple[PendingChange, float]],
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
