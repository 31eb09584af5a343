"""Chaos soak: faults everywhere, workers killed at random, and still nothing lost, nothing twice.

The sandboxes answer 5 % of calls with 5xx, 5 % slowly with a gateway timeout, 2 % with 429
and 2 % with broken bodies; pushes are duplicated and reordered; a webhook subscriber fails
one delivery in ten; and two worker processes are SIGKILLed and restarted at random moments
while buyers place orders on every marketplace and cancel some of them. When the chaos stops
and the hub settles: every order exists exactly once with the marketplace's status, the
reservations match the open orders, every sandbox holds the stock the hub computes, and every
event reached the subscriber at least once (deduplicated by its id).

MB_SOAK_ORDERS sets the number of orders (`make soak` runs 10,000; CI a bounded number);
MB_SOAK_SQLITE_ORDERS, when set, the number for the SQLite case: SQLite is the single-machine
default, and `make soak` runs its multi-process case at 1,000 orders.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
from collections import Counter
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import func, select

from marketbridge.demo.catalog import build_catalog
from marketbridge.demo.world import World, open_world, wait_for
from marketbridge.model import EventType
from marketbridge.runtime.serving import serve_in_loop
from marketbridge.store.db import Database
from marketbridge.store.tables import Event, Order, OrderLine, Reservation
from marketbridge.sync.dispatch import JobKind
from marketbridge.sync.webhook_delivery import verify
from tests.conftest import redis_url
from tests.support.workers import WorkerProcess, worker_env
from tests.sync.conftest import flush_redis, redis_hub

pytestmark = [
    pytest.mark.reliability,
]

EVENT_TYPES = [t.value for t in EventType]
ORDERS = int(os.environ.get("MB_SOAK_ORDERS", "40"))
SQLITE_ORDERS = int(os.environ.get("MB_SOAK_SQLITE_ORDERS", str(ORDERS)))
BUYERS = 4  # buyers placing orders at the same time
CHAOS = {
    "error_rate": 0.05,
    "timeout_rate": 0.05,
    "timeout_seconds": 1.0,
    "rate_limit_rate": 0.02,
    "malformed_rate": 0.02,
    "seed": 7,
}


class Subscriber:
    def __init__(self, secret: str, fail_rate: float = 0.1) -> None:
        self.secret = secret
        self.fail_rate = fail_rate
        self.delivered: Counter[str] = Counter()
        self.bad_signatures = 0
        self.rng = random.Random(3)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/hook")
        async def hook(request: Request) -> JSONResponse:
            body = await request.body()
            if self.rng.random() < self.fail_rate:
                return JSONResponse({"ok": False}, status_code=503)
            h = request.headers
            if not verify(self.secret, h.get("webhook-timestamp", ""), body, h.get("webhook-signature", "")):
                self.bad_signatures += 1
                return JSONResponse({"ok": False}, status_code=400)
            self.delivered[h["webhook-id"]] += 1
            return JSONResponse({"ok": True})

        return app


async def _killer(
    env: dict[str, str], logs: Path, workers: list[WorkerProcess], stop: asyncio.Event, killed: asyncio.Event
) -> int:
    rng, kills = random.Random(11), 0
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), rng.uniform(2.0, 5.0))
        if stop.is_set():
            break
        victim = rng.randrange(len(workers))
        workers[victim].kill()
        kills += 1
        killed.set()
        workers[victim] = WorkerProcess(env, logs / f"worker-{victim}-{kills}.log").start()
    return kills


async def test_chaos_soak(db: Database, tmp_path: Path) -> None:
    url = redis_url()
    if not url:
        pytest.skip("MB_TEST_REDIS_URL is not set: the soak needs Redis (scripts/test-services.sh)")
    await flush_redis(url)
    key = Fernet.generate_key()
    orders = SQLITE_ORDERS if db.url.startswith("sqlite") else ORDERS
    catalog = build_catalog(products=max(orders // 20, 20), seed=13, bundles=2)
    for levels in catalog.stock.values():
        for wh in levels:
            levels[wh] = orders * 2  # buyers never run out
    secret = "soak-webhook-secret-0123456789"
    subscriber = Subscriber(secret)
    async with (
        serve_in_loop(subscriber.app()) as hook_url,
        open_world(catalog, db, start_worker=False, hub_factory=lambda d: redis_hub(d, url, key)) as world,
    ):
        env = worker_env(db.url, key.decode(), url, lease_ttl=2.0)
        workers = [WorkerProcess(env, tmp_path / f"worker-{n}.log").start() for n in range(2)]
        stop, killed = asyncio.Event(), asyncio.Event()
        killer = asyncio.create_task(_killer(env, tmp_path, workers, stop, killed))
        try:
            await _play(world, hook_url, secret, orders)
            # the chaos lasts until a worker died at least once, however fast the buyers were
            await asyncio.wait_for(killed.wait(), timeout=30)
            stop.set()
            kills = await killer
        finally:
            stop.set()
            with contextlib.suppress(Exception):
                await killer
            for worker in workers:
                worker.stop()
        survivor = WorkerProcess(env, tmp_path / "survivor.log").start()
        try:
            await _settled(world, subscriber)
        finally:
            survivor.stop()
    assert kills >= 1
    print(json.dumps({"worker_kills": kills}))
    assert subscriber.bad_signatures == 0


async def _play(world: World, hook_url: str, secret: str, orders: int) -> None:
    async with httpx.AsyncClient(
        base_url=f"{world.hub_url}/api/v1", headers={"Authorization": f"Bearer {world.api_key}"}, timeout=30
    ) as api:
        answer = await api.post(
            "/webhooks", json={"url": f"{hook_url}/hook", "secret": secret, "event_types": EVENT_TYPES}
        )
        assert answer.status_code == 201, answer.text
    await wait_for(world.stocks_settled, timeout=120, every=0.5)
    for market in world.markets.values():
        (await market.control.put("/faults", json=CHAOS)).raise_for_status()
        push = (await market.control.get("/push")).json()
        if push["url"]:
            body = {"url": push["url"], "duplicate_rate": 0.2, "reorder_rate": 0.2}
            (await market.control.put("/push", json=body)).raise_for_status()
    kinds = sorted(world.markets)
    skus = [o.sku for o in world.catalog.offers if not o.requires_marking]
    warehouses = {kind: (await world.warehouse_ids(kind))[0] for kind in kinds}
    expected: dict[tuple[int, str], str] = {}
    world.expected_orders = expected  # type: ignore[attr-defined]

    async def buyer(number: int) -> None:
        rng = random.Random(5 + number)
        for n in range(number, orders, BUYERS):
            market = world.markets[kinds[n % len(kinds)]]
            placed = await market.control.post(
                "/orders",
                json={
                    "lines": [{"offer_code": rng.choice(skus), "quantity": 1}],
                    "warehouse_id": warehouses[market.kind],
                },
            )
            placed.raise_for_status()
            for external in placed.json()["ids"]:
                status = "new"
                if rng.random() < 0.3:
                    moved = await market.control.post(
                        f"/orders/{external}/move", json={"status": "cancelled"}
                    )
                    moved.raise_for_status()
                    status = "cancelled"
                expected[(market.connection_id, str(external))] = status
            await asyncio.sleep(0.05)

    await asyncio.gather(*(buyer(number) for number in range(BUYERS)))
    for market in world.markets.values():
        (await market.control.put("/faults", json={})).raise_for_status()


async def _settled(world: World, subscriber: Subscriber) -> None:
    settle = 180 + len(world.expected_orders) / 20  # type: ignore[attr-defined]  # seconds per part
    expected: dict[tuple[int, str], str] = world.expected_orders  # type: ignore[attr-defined]

    async def orders_right() -> bool:
        async with world.hub.db.session() as s:
            rows = (await s.execute(select(Order.connection_id, Order.external_id, Order.status))).all()
        return {(c, e): st for c, e, st in rows} == expected

    try:
        await wait_for(orders_right, timeout=settle, every=1.0)
    except TimeoutError:
        async with world.hub.db.session() as s:
            rows = (await s.execute(select(Order.connection_id, Order.external_id, Order.status))).all()
        got = {(c, e): st for c, e, st in rows}
        missing = sorted(k for k in expected if k not in got)
        wrong = sorted((k, got[k], v) for k, v in expected.items() if k in got and got[k] != v)
        extra = sorted(k for k in got if k not in expected)
        raise AssertionError(
            f"missing {missing[:10]} ({len(missing)}), wrong {wrong[:10]} ({len(wrong)}), extra {extra[:10]}"
        ) from None
    async with world.hub.db.session() as s:
        rows = (await s.execute(select(Order.connection_id, Order.external_id))).all()
        assert len(rows) == len(set(rows)) == len(expected)  # exactly once each
        open_units = (
            await s.execute(
                select(func.coalesce(func.sum(OrderLine.quantity), 0))
                .join(Order, Order.id == OrderLine.order_id)
                .where(Order.status != "cancelled")
            )
        ).scalar_one()
        held = (
            await s.execute(
                select(func.coalesce(func.sum(Reservation.quantity), 0)).where(
                    Reservation.released_at.is_(None), Reservation.consumed_at.is_(None)
                )
            )
        ).scalar_one()
    assert held == open_units
    # A buyer's order and its cancellation also move the marketplace's own stock, out of the hub's
    # sight; the periodic reconcile (every 15 minutes by default) repairs that: run it now.
    for market in world.markets.values():
        await world.hub.dispatcher.kick(market.connection_id, JobKind.RECONCILE)
    await wait_for(world.stocks_settled, timeout=settle + 120, every=1.0)

    async def webhooks_out() -> bool:
        async with world.hub.db.session() as s:
            ids = {r[0] for r in (await s.execute(select(Event.id))).all()}
        return ids <= set(subscriber.delivered)

    await wait_for(webhooks_out, timeout=settle + 60, every=1.0)
    print(json.dumps({"orders": len(expected), "events": len(subscriber.delivered)}))
