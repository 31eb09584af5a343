"""Without a `schedule.orders` setting, each connection polls orders as often as its quota allows.

The hub's fixed default is one poll a minute; here several scheduled polls of every
marketplace's connection are seen within far less than that, and an order placed on the
marketplace reaches the hub by polling alone. Polling that often over an overlapping window
sees the same orders again and again: an order seen unchanged is not applied (read or
written) again.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import event, select

from marketbridge.channels import registry
from marketbridge.demo.catalog import build_catalog
from marketbridge.demo.shopping import buy, orderable
from marketbridge.demo.world import World, open_world, wait_for
from marketbridge.store.db import Database
from marketbridge.store.tables import Order, SyncRun
from marketbridge.sync.dispatch import JobKind
from marketbridge.sync.scheduler import DEFAULT_SCHEDULE
from tests.support.runs import latest_run

KINDS = sorted(registry.load_all())
FEEDS = sorted(kind for kind, spec in registry.load_all().items() if spec.new_order_calls)
#: Every periodic job but orders switched off; orders keep no setting, so the quota decides.
QUOTA_ONLY = {"schedule": {"returns": 0, "catalog": 0, "reconcile": 0, "moderation": 0}}


@pytest.mark.parametrize("kind", KINDS)
async def test_orders_are_polled_at_the_quota_interval(kind: str, db: Database) -> None:
    catalog = build_catalog(products=6, seed=4, bundles=0)
    async with open_world(catalog, db, kinds=[kind], connection_settings=QUOTA_ONLY) as world:
        market = world.markets[kind]
        (await market.control.put("/push", json={"url": None})).raise_for_status()

        async def scheduled_polls() -> int:
            async with world.hub.db.session() as s:
                runs = await s.execute(
                    select(SyncRun.id).where(
                        SyncRun.connection_id == market.connection_id,
                        SyncRun.kind == JobKind.ORDERS.value,
                        SyncRun.trigger == "schedule",
                    )
                )
                return len(runs.all())

        # three polls: the default schedule would take two minutes for them
        await wait_for(lambda: _at_least(scheduled_polls, 3), timeout=DEFAULT_SCHEDULE[JobKind.ORDERS] / 2)
        placed = await buy(world, kind, [(orderable(world, 1)[0], 1)])

        async def arrived() -> bool:
            async with world.hub.db.session() as s:
                found = await s.execute(
                    select(Order.id).where(
                        Order.connection_id == market.connection_id, Order.external_id.in_(placed)
                    )
                )
                return len(found.all()) == len(placed)

        await wait_for(arrived, timeout=DEFAULT_SCHEDULE[JobKind.ORDERS] / 2)


async def _at_least(count: object, wanted: int) -> bool:
    assert callable(count)
    return int(await count()) >= wanted


#: No periodic job: the test runs each job itself.
NO_POLLING = {
    "schedule": {"orders": 0, "new_orders": 0, "returns": 0, "catalog": 0, "reconcile": 0, "moderation": 0}
}


@asynccontextmanager
async def _one_order_placed(kind: str, db: Database) -> AsyncIterator[tuple[World, int, list[str]]]:
    """A world of one marketplace that pushes nothing, with one order placed on it."""
    catalog = build_catalog(products=6, seed=4, bundles=0)
    async with open_world(
        catalog, db, kinds=[kind], connection_settings=NO_POLLING, serve_api=False, start_worker=False
    ) as world:
        market = world.markets[kind]
        (await market.control.put("/push", json={"url": None})).raise_for_status()
        await world.run(market.connection_id, JobKind.STOCKS)
        yield world, market.connection_id, await buy(world, kind, [(orderable(world, 1)[0], 1)])


async def _run_watched(world: World, connection_id: int, kind: JobKind) -> tuple[list[str], int]:
    """Run the job; the SQL statements it sent and the number of its commits."""
    statements: list[str] = []
    commits: list[int] = []

    def seen(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    def committed(conn: object) -> None:
        commits.append(1)

    engine = world.hub.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", seen)
    event.listen(engine, "commit", committed)
    try:
        await world.run(connection_id, kind)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
        event.remove(engine, "commit", committed)
    return statements, len(commits)


@pytest.mark.parametrize("kind", KINDS)
async def test_a_poll_that_sees_only_unchanged_orders_writes_none(kind: str, db: Database) -> None:
    async with _one_order_placed(kind, db) as (world, connection_id, placed):
        await world.run(connection_id, JobKind.ORDERS)
        async with world.hub.db.session() as s:
            found = await s.execute(select(Order.id).where(Order.external_id.in_(placed)))
            assert len(found.all()) == len(placed)
        statements, _ = await _run_watched(world, connection_id, JobKind.ORDERS)
        run = await latest_run(world.hub.db, connection_id, JobKind.ORDERS.value)
        assert run.status == "ok" and run.counts.get("seen", 0) >= len(placed), run.counts
        touching = [q for q in statements if re.search(r"\b(orders|order_lines)\b", q)]
        assert touching == [], touching


@pytest.mark.parametrize("kind", FEEDS)
async def test_an_idle_read_of_the_new_order_feed_commits_twice(kind: str, db: Database) -> None:
    """The feed is read twice a second: the lease taken, then its run row written once, at
    its end, with the lease released. Nothing else is written when no order is new."""
    async with _one_order_placed(kind, db) as (world, connection_id, placed):
        await world.run(connection_id, JobKind.NEW_ORDERS)
        first = await latest_run(world.hub.db, connection_id, JobKind.NEW_ORDERS.value)
        assert first.status == "ok" and first.counts.get("created") == len(placed), first.counts
        statements, commits = await _run_watched(world, connection_id, JobKind.NEW_ORDERS)
        run = await latest_run(world.hub.db, connection_id, JobKind.NEW_ORDERS.value)
        assert run.id != first.id and run.status == "ok" and run.counts == {"seen": len(placed)}, run.counts
        assert run.started_at <= run.finished_at
        run_writes = [q for q in statements if re.match(r"\s*(INSERT INTO|UPDATE) sync_runs\b", q, re.I)]
        assert len(run_writes) == 1 and run_writes[0].lstrip().upper().startswith("INSERT"), run_writes
        assert commits == 2, statements
