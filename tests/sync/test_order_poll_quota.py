"""Without a `schedule.orders` setting, each connection polls orders as often as its quota allows.

The hub's fixed default is one poll a minute; here several scheduled polls of every
marketplace's connection are seen within far less than that, and an order placed on the
marketplace reaches the hub by polling alone. Polling that often over an overlapping window
sees the same orders again and again: an order seen unchanged is not applied (read or
written) again.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event, select

from marketbridge.channels import registry
from marketbridge.demo.catalog import build_catalog
from marketbridge.demo.shopping import buy, orderable
from marketbridge.demo.world import open_world, wait_for
from marketbridge.store.db import Database
from marketbridge.store.tables import Order, SyncRun
from marketbridge.sync.dispatch import JobKind
from marketbridge.sync.scheduler import DEFAULT_SCHEDULE
from tests.support.runs import latest_run

KINDS = sorted(registry.load_all())
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


@pytest.mark.parametrize("kind", KINDS)
async def test_a_poll_that_sees_only_unchanged_orders_writes_none(kind: str, db: Database) -> None:
    catalog = build_catalog(products=6, seed=4, bundles=0)
    no_polling = {"schedule": {"orders": 0, "returns": 0, "catalog": 0, "reconcile": 0, "moderation": 0}}
    async with open_world(
        catalog, db, kinds=[kind], connection_settings=no_polling, serve_api=False, start_worker=False
    ) as world:
        market = world.markets[kind]
        (await market.control.put("/push", json={"url": None})).raise_for_status()
        await world.run(market.connection_id, JobKind.STOCKS)
        placed = await buy(world, kind, [(orderable(world, 1)[0], 1)])
        await world.run(market.connection_id, JobKind.ORDERS)
        async with world.hub.db.session() as s:
            found = await s.execute(select(Order.id).where(Order.external_id.in_(placed)))
            assert len(found.all()) == len(placed)
        statements: list[str] = []

        def seen(conn: object, cursor: object, statement: str, *args: object) -> None:
            statements.append(statement)

        engine = world.hub.db.engine.sync_engine
        event.listen(engine, "before_cursor_execute", seen)
        try:
            await world.run(market.connection_id, JobKind.ORDERS)
        finally:
            event.remove(engine, "before_cursor_execute", seen)
        run = await latest_run(world.hub.db, market.connection_id, JobKind.ORDERS.value)
        assert run.status == "ok" and run.counts.get("seen", 0) >= len(placed), run.counts
        touching = [q for q in statements if re.search(r"\b(orders|order_lines)\b", q)]
        assert touching == [], touching
