"""Runs that went well are deleted after a day, polls that found nothing new after ten minutes;
what a person may need to look at is kept.

Failed and partial runs, runs asked for by hand, and the newest run of each job of a
connection (the scheduler reads when a job last ran from it) stay however old they are.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from marketbridge.store.db import Database
from marketbridge.store.tables import SyncRun
from marketbridge.store.types import utcnow
from marketbridge.sync import runs
from marketbridge.sync.runs import KEEP_IDLE_POLLS, KEEP_OK_RUNS, prune_runs
from tests.support.runs import shop_with_connection


async def test_old_runs_that_went_well_are_pruned_the_rest_kept(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = utcnow() - KEEP_OK_RUNS - timedelta(hours=1)
    recent = utcnow() - timedelta(minutes=5)
    async with db.session() as s:
        account, conn = await shop_with_connection(s)
        rows = {
            name: SyncRun(
                account_id=account.id,
                connection_id=conn.id,
                kind=kind,
                trigger=trigger,
                status=status,
                started_at=started,
            )
            for name, kind, trigger, status, started in [
                ("old ok poll", "orders", "schedule", "ok", old),
                ("old ok kick", "orders", "kick", "ok", old),
                ("old failed", "orders", "schedule", "failed", old),
                ("old partial", "orders", "schedule", "partial", old),
                ("old manual", "orders", "manual", "ok", old),
                ("recent ok", "orders", "schedule", "ok", recent),
                ("newest of its job", "catalog", "schedule", "ok", old),
            ]
        }
        s.add_all(rows.values())
        await s.flush()
        ids = {name: row.id for name, row in rows.items()}
    monkeypatch.setattr(runs, "PRUNE_BATCH", 1)  # several batches
    assert await prune_runs(db) == 2
    async with db.session() as s:
        kept = set((await s.execute(select(SyncRun.id))).scalars())
    assert {name for name, run_id in ids.items() if run_id in kept} == set(ids) - {
        "old ok poll",
        "old ok kick",
    }
    assert await prune_runs(db) == 0


async def test_polls_that_found_nothing_new_go_after_minutes(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    older = utcnow() - KEEP_IDLE_POLLS - timedelta(minutes=1)
    recent = utcnow() - KEEP_IDLE_POLLS + timedelta(minutes=1)
    async with db.session() as s:
        account, conn = await shop_with_connection(s)
        rows = {
            name: SyncRun(
                account_id=account.id,
                connection_id=conn.id,
                kind=kind,
                trigger="schedule",
                status="ok",
                started_at=started,
                counts=counts,
            )
            for name, kind, started, counts in [
                ("empty feed read", "new_orders", older, {}),
                ("poll of known orders", "orders", older, {"seen": 40}),
                ("poll that created one", "orders", older, {"seen": 41, "created": 1}),
                ("feed read with an error", "new_orders", older, {"seen": 1, "errors": 1}),
                ("recent empty feed read", "new_orders", recent, {}),
                ("idle catalog run", "catalog", older, {}),
                ("newest orders run", "orders", older, {}),
                ("newest feed read", "new_orders", older, {}),
            ]
        }
        s.add_all(rows.values())
        await s.flush()
        ids = {name: row.id for name, row in rows.items()}
    monkeypatch.setattr(runs, "PRUNE_BATCH", 2)  # several batches
    assert await prune_runs(db) == 2
    async with db.session() as s:
        kept = set((await s.execute(select(SyncRun.id))).scalars())
    assert {name for name, run_id in ids.items() if run_id not in kept} == {
        "empty feed read",
        "poll of known orders",
    }
