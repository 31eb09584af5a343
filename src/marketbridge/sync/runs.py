"""Sync runs as rows: status, heartbeat, counts and per-item errors, visible while they run.

Runs that went well are kept for KEEP_OK_RUNS (`prune_runs`): orders are polled every second
or so, and a row per poll kept for ever would grow without bound. A poll that went well and
found nothing new (it counted only orders seen before) is kept for KEEP_IDLE_POLLS: a feed
read twice a second would otherwise leave 172,800 rows a day per connection. Failed and
partial runs, runs asked for by hand, and the newest run of each job of a connection are kept.

A run's row is written when it starts, so that it shows as running, and updated at its end. A
run of one call (`at_start=False`, the new-order feed read twice a second) is written once,
at its end, with its start time: one write transaction less for the most frequent job. The
rows are written with statements on the table itself (Core), not through the ORM's unit of work:
a run is started and ended several times a second per connection.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, cast

import structlog
from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from marketbridge.model import EventType
from marketbridge.runtime.metrics import SYNC_RUNS
from marketbridge.runtime.redaction import redact
from marketbridge.store.db import Database
from marketbridge.store.events import emit
from marketbridge.store.tables import SyncRun
from marketbridge.store.types import utcnow

log = structlog.get_logger(__name__)

#: Per-item errors kept on the run row; the count goes on beyond it.
MAX_ERRORS_KEPT = 200
HEARTBEAT_SECONDS = 2.0
#: How long a run that went well stays listed.
KEEP_OK_RUNS = timedelta(days=1)
#: How long a poll that found nothing new stays listed.
KEEP_IDLE_POLLS = timedelta(minutes=10)
#: The polling jobs whose idle runs go sooner, and the only count such a run may have.
POLL_KINDS = ("orders", "new_orders")
IDLE_COUNTS = frozenset({"seen"})
#: Runs deleted per transaction when pruning.
PRUNE_BATCH = 5000
RUNS = cast(Table, SyncRun.__table__)


@dataclass
class RunRecorder:
    db: Database
    run_id: int | None
    account_id: int
    counts: dict[str, int] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)
    error_count: int = 0
    _last_beat: float = field(default_factory=time.monotonic)

    def count(self, name: str, n: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + n

    def item_error(self, key: str, message: str, code: str | None = None, sku: str | None = None) -> None:
        """One item's error: `key` is the marketplace's id of it, `sku` the seller's code where known."""
        self.error_count += 1
        self.count("errors")
        if len(self.errors) < MAX_ERRORS_KEPT:
            entry: dict[str, str | None] = {"key": key, "code": code, "message": redact(message)[:500]}
            if sku:
                entry["sku"] = sku
                entry["message"] = f"{sku}: {redact(message)}"[:500]
            self.errors.append(entry)

    async def heartbeat(self, force: bool = False) -> None:
        """Write counts and the heartbeat (at most every few seconds unless forced)."""
        if not force and time.monotonic() - self._last_beat < HEARTBEAT_SECONDS:
            return
        self._last_beat = time.monotonic()
        if self.run_id is None:  # a run recorded at its end only: nothing to show before it
            return
        async with self.db.session() as s:
            await s.execute(
                update(RUNS)
                .where(RUNS.c.id == self.run_id)
                .values(heartbeat_at=utcnow(), counts=dict(self.counts), errors=list(self.errors))
            )


@asynccontextmanager
async def recorded_run(
    db: Database,
    account_id: int,
    connection_id: int,
    kind: str,
    trigger: str = "schedule",
    also: Callable[[AsyncSession], Awaitable[object]] | None = None,
    at_start: bool = True,
) -> AsyncIterator[RunRecorder]:
    """Record the run: a row when it starts (unless `at_start` is False), its outcome when it
    ends; `also` writes what belongs to the end's transaction (the job's lease released),
    whether the run went well or not."""
    started_at = utcnow()
    row = {"account_id": account_id, "connection_id": connection_id, "kind": kind, "trigger": trigger}
    run_id: int | None = None
    if at_start:
        async with db.session() as s:
            run_id = await _insert_run(s, {**row, "status": "running", "started_at": started_at})
    recorder = RunRecorder(db=db, run_id=run_id, account_id=account_id)
    status, error = "ok", None
    try:
        yield recorder
    except Exception as exc:
        status, error = "failed", redact(f"{type(exc).__name__}: {exc}")
        log.warning("sync_run_failed", run_id=run_id, kind=kind, connection_id=connection_id, error=error)
        raise
    finally:
        if status == "ok" and recorder.error_count:
            status = "partial"
        ended = utcnow()
        outcome: dict[str, Any] = {
            "status": status,
            "finished_at": ended,
            "heartbeat_at": ended,
            "counts": dict(recorder.counts),
            "errors": list(recorder.errors),
            "error": error,
        }
        async with db.session() as s:
            if run_id is None:
                run_id = recorder.run_id = await _insert_run(s, {**row, "started_at": started_at, **outcome})
            else:
                await s.execute(update(RUNS).where(RUNS.c.id == run_id).values(**outcome))
            if status == "failed":
                await emit(
                    s,
                    account_id,
                    EventType.SYNC_FAILED,
                    {"run_id": run_id, "connection_id": connection_id, "kind": kind, "error": error},
                )
            if also is not None:
                await also(s)
        SYNC_RUNS.labels(kind, status).inc()


async def _insert_run(s: AsyncSession, values: dict[str, Any]) -> int:
    return int((await s.execute(insert(RUNS).values(**values).returning(RUNS.c.id))).scalar_one())


async def prune_runs(db: Database) -> int:
    """Delete runs that ended ok more than KEEP_OK_RUNS ago, and idle polls more than
    KEEP_IDLE_POLLS ago (not manual ones, not the newest of each job of a connection), a batch
    per transaction; returns how many were deleted."""
    now = utcnow()
    newest = select(func.max(SyncRun.id)).group_by(SyncRun.connection_id, SyncRun.kind)
    prunable = (SyncRun.status == "ok", SyncRun.trigger != "manual", SyncRun.id.not_in(newest))
    deleted = 0
    while True:
        async with db.session() as s:
            batch = select(SyncRun.id).where(*prunable, SyncRun.started_at < now - KEEP_OK_RUNS)
            ids = list((await s.execute(batch.limit(PRUNE_BATCH))).scalars())
            if ids:
                await s.execute(delete(SyncRun).where(SyncRun.id.in_(ids)))
        deleted += len(ids)
        if len(ids) < PRUNE_BATCH:
            break
    after_id = 0
    while True:  # idle polls: their counts decide, read a batch at a time
        async with db.session() as s:
            polls = (
                select(SyncRun.id, SyncRun.counts)
                .where(
                    *prunable,
                    SyncRun.kind.in_(POLL_KINDS),
                    SyncRun.started_at < now - KEEP_IDLE_POLLS,
                    SyncRun.id > after_id,
                )
                .order_by(SyncRun.id)
                .limit(PRUNE_BATCH)
            )
            rows = (await s.execute(polls)).all()
            idle = [run_id for run_id, counts in rows if set(counts or {}) <= IDLE_COUNTS]
            if idle:
                await s.execute(delete(SyncRun).where(SyncRun.id.in_(idle)))
        deleted += len(idle)
        if len(rows) < PRUNE_BATCH:
            return deleted
        after_id = rows[-1][0]
