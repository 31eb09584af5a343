"""A worker killed with SIGKILL in the middle of a stock export and of an order import loses nothing.

Two `marketbridge worker` processes share a database and Redis with the hub. Workers are
killed at several moments while the sandboxes answer slowly, then a fresh worker finishes
the work. Afterwards every sandbox holds the stock the hub computes, and every order placed
on a marketplace exists exactly once in the hub, with its reservation.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select

from marketbridge.demo.catalog import build_catalog
from marketbridge.demo.world import World, open_world, wait_for
from marketbridge.store.db import Database
from marketbridge.store.tables import Order, OrderLine, Reservation, SyncRun
from marketbridge.sync.dispatch import JobKind
from marketbridge.sync.stocks import set_on_hand
from tests.conftest import redis_url
from tests.support.workers import WorkerProcess, worker_env
from tests.sync.conftest import flush_redis, redis_hub


@pytest.fixture
async def crash_world(db: Database, tmp_path: Path) -> AsyncIterator[tuple[World, dict[str, str], Path]]:
    url = redis_url()
    if not url:
        pytest.skip("MB_TEST_REDIS_URL is not set: the crash tests need Redis (scripts/test-services.sh)")
    await flush_redis(url)
    key = Fernet.generate_key()
    catalog = build_catalog(products=120, seed=21, bundles=5)
    async with open_world(
        catalog, db, serve_api=False, start_worker=False, hub_factory=lambda d: redis_hub(d, url, key)
    ) as world:
        yield world, worker_env(db.url, key.decode(), url, lease_ttl=2.0), tmp_path


async def _slow_sandboxes(world: World, latency_ms: int) -> None:
    for market in world.markets.values():
        (await market.control.put("/faults", json={"latency_ms": latency_ms})).raise_for_status()


async def _kill_mid_run(world: World, env: dict[str, str], log: Path, kind: str, after: float) -> None:
    """Start a worker, wait until it is inside a run of `kind`, then SIGKILL it `after` seconds later."""
    before = await _interrupted_runs(world, kind)
    worker = WorkerProcess(env, log).start()
    try:

        async def running() -> bool:
            return await _interrupted_runs(world, kind) > before

        await wait_for(running, timeout=30, every=0.05)
        await asyncio.sleep(after)
    finally:
        worker.kill()


async def _kick_orders_until_running(world: World) -> None:
    while True:
        for market in world.markets.values():
            await world.hub.dispatcher.kick(market.connection_id, JobKind.ORDERS)
        await asyncio.sleep(0.3)


async def _interrupted_runs(world: World, kind: str) -> int:
    """Runs left 'running' by a killed worker: proof that a kill landed mid-run."""
    async with world.hub.db.session() as s:
        return int(
            (
                await s.execute(select(func.count()).where(SyncRun.kind == kind, SyncRun.status == "running"))
            ).scalar_one()
        )


async def _last_run_id(world: World) -> int:
    async with world.hub.db.session() as s:
        return int((await s.execute(select(func.coalesce(func.max(SyncRun.id), 0)))).scalar_one())


async def test_sigkill_during_stock_export_then_restart_settles(
    crash_world: tuple[World, dict[str, str], Path],
) -> None:
    world, env, logs = crash_world
    await _slow_sandboxes(world, 300)
    assert not await world.stocks_settled()  # the initial export is still pending
    await _kill_mid_run(world, env, logs / "killed-1.log", "stocks", 0.3)
    await _kill_mid_run(world, env, logs / "killed-2.log", "stocks", 0.5)
    # the seller changes stock while no worker is alive
    offers = list(world.ids.offers.values())[:20]
    async with world.hub.db.session() as s:
        await set_on_hand(s, world.account_id, {(o, world.ids.warehouses["WH1"]): 3 for o in offers})
    await _slow_sandboxes(world, 0)
    interrupted = await _interrupted_runs(world, "stocks")
    assert interrupted >= 2, interrupted  # each kill landed in the middle of a stock export
    survivor = WorkerProcess(env, logs / "survivor.log").start()
    try:
        await wait_for(world.stocks_settled, timeout=90, every=0.5)
    finally:
        survivor.stop()


async def test_sigkill_during_order_import_then_restart_imports_each_order_once(
    crash_world: tuple[World, dict[str, str], Path],
) -> None:
    world, env, logs = crash_world
    for market in world.markets.values():  # buyers can only order what the marketplace shows in stock
        await world.run(market.connection_id, JobKind.STOCKS)
    placed: dict[str, list[str]] = {}
    offers = [
        o.sku
        for o in world.catalog.offers
        if not o.requires_marking and world.catalog.stock[o.sku]["WH1"] >= 4
    ][:30]
    for kind, market in world.markets.items():
        whs = await world.warehouse_ids(kind)
        placed[kind] = []
        for n, sku in enumerate(offers):
            r = await market.control.post(
                "/orders",
                json={"lines": [{"offer_code": sku, "quantity": 1 + n % 2}], "warehouse_id": whs[0]},
            )
            r.raise_for_status()
            placed[kind] += [str(i) for i in r.json()["ids"]]
    await _slow_sandboxes(world, 300)
    for n, after in enumerate((0.2, 0.6)):
        kicker = asyncio.create_task(_kick_orders_until_running(world))
        await _kill_mid_run(world, env, logs / f"orders-{n}.log", "orders", after)
        kicker.cancel()
    await _slow_sandboxes(world, 0)
    last_run = await _last_run_id(world)
    survivor = WorkerProcess(env, logs / "orders-survivor.log").start()
    try:

        async def survivor_working() -> bool:  # it has started a run of its own: it is up
            return await _last_run_id(world) > last_run

        await wait_for(survivor_working, timeout=60, every=0.1)
        for market in world.markets.values():
            await world.hub.dispatcher.kick(market.connection_id, JobKind.ORDERS)

        async def all_imported() -> bool:
            async with world.hub.db.session() as s:
                count = (await s.execute(select(func.count()).select_from(Order))).scalar_one()
            return count == sum(len(ids) for ids in placed.values())

        await wait_for(all_imported, timeout=90, every=0.5)
        async with world.hub.db.session() as s:
            for kind, ids in placed.items():
                rows = (
                    await s.execute(
                        select(Order.external_id).where(
                            Order.connection_id == world.markets[kind].connection_id
                        )
                    )
                ).all()
                assert sorted(r[0] for r in rows) == sorted(ids)  # each exactly once
            ordered = (await s.execute(select(func.sum(OrderLine.quantity)))).scalar_one()
            reserved = (
                await s.execute(
                    select(func.sum(Reservation.quantity)).where(Reservation.released_at.is_(None))
                )
            ).scalar_one()
        assert reserved == ordered  # every order reserved once, none twice
        await wait_for(world.stocks_settled, timeout=90, every=0.5)
    finally:
        survivor.stop()
    assert await _interrupted_runs(world, "orders") >= 1  # a kill did land in the middle of an import
