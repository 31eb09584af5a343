"""order-ingest: time from a buyer's order on a marketplace to the seller seeing it.

Two figures per marketplace, each from the moment the buyer's order is sent to the sandbox:
until the order is readable in the seller API, and until its `order.created` webhook reached
a subscriber on loopback. Both are stamped where the event lands, not by a watcher that polls
(which would add up to its interval to every figure and load the hub it measures): the
webhook when the subscriber receives it, readability when the transaction that wrote the
order committed (from then on GET /api/v1/orders returns it; every order is read back
through the API at the end, and one it does not return counts as missing).
Marketplaces that push orders are measured on the push path; the others by polling at the
interval their quota allows (the connection sets no `schedule.orders`).
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
from fastapi import FastAPI, Request
from sqlalchemy import event
from sqlalchemy.orm import Session

from marketbridge.benchmarks.common import bench_world, machine, one_size_catalog, percentiles, seller_api
from marketbridge.demo.shopping import orderable, place
from marketbridge.demo.world import wait_for
from marketbridge.runtime.serving import serve_in_loop
from marketbridge.store.db import Database, outermost_commit
from marketbridge.store.tables import Order
from marketbridge.sync.dispatch import JobKind
from marketbridge.sync.scheduler import schedule_for


async def run(orders: int = 40, per_second: float = 2.0) -> dict[str, Any]:
    catalog = one_size_catalog(max(orders * 2, 100))
    for levels in catalog.stock.values():
        levels["WH1"] = 500
    arrived: dict[str, float] = {}
    receiver = FastAPI()

    @receiver.post("/hook")
    async def hook(request: Request) -> dict[str, bool]:
        body = json.loads(await request.body())
        external = (body.get("data") or {}).get("external_id")
        if body.get("type") == "order.created" and external:
            arrived.setdefault(str(external), time.monotonic())
        return {"ok": True}

    settings: dict[str, object] = {"schedule": {"returns": 0, "moderation": 0, "catalog": 0, "reconcile": 0}}
    async with (
        serve_in_loop(receiver) as hook_url,
        bench_world(catalog, limits=False, connection_settings=settings) as world,
    ):
        await wait_for(world.stocks_settled, timeout=300, every=0.5)
        async with seller_api(world) as api:
            (
                await api.post(
                    "/webhooks", json={"url": f"{hook_url}/hook", "event_types": ["order.created"]}
                )
            ).raise_for_status()
            placed: dict[str, tuple[str, float]] = {}
            readable: dict[str, float] = {}
            _stamp_commits(world.hub.db, readable)
            skus = orderable(world, orders, min_stock=1)
            warehouses = {kind: (await world.warehouse_ids(kind))[0] for kind in world.markets}
            for n in range(orders):
                for kind in world.markets:
                    started = time.monotonic()
                    for external in await place(world, kind, [(skus[n % len(skus)], 1)], warehouses[kind]):
                        placed[external] = (kind, started)
                await asyncio.sleep(1 / per_second)
            await wait_for(lambda: _all(readable, placed), timeout=120, every=0.1)
            await wait_for(lambda: _all(arrived, placed), timeout=120, every=0.1)
            listed = await _listed(api)
    per_kind: dict[str, Any] = {}
    for kind in sorted({k for k, _ in placed.values()}):
        mine = {e: t for e, (k, t) in placed.items() if k == kind}
        per_kind[kind] = {
            "readable_in_api_seconds": percentiles(
                [readable[e] - t for e, t in mine.items() if e in readable]
            ),
            "webhook_delivered_seconds": percentiles(
                [arrived[e] - t for e, t in mine.items() if e in arrived]
            ),
            "missing": sum(1 for e in mine if e not in readable or e not in listed),
        }
    return {
        "benchmark": "order-ingest",
        "orders_per_marketplace": orders,
        "poll_interval_seconds": {
            kind: {
                job.value: seconds
                for job, seconds in schedule_for(kind, settings).items()
                if job in (JobKind.ORDERS, JobKind.NEW_ORDERS)
            }
            for kind in sorted(per_kind)
        },
        "results": per_kind,
        "target": "p99 <= 0.3 s where the marketplace pushes; <= 1.5 s where it is polled",
        "machine": machine(),
    }


async def _all(seen: dict[str, float], placed: dict[str, tuple[str, float]]) -> bool:
    return all(e in seen for e in placed)


def _stamp_commits(db: Database, committed: dict[str, float]) -> None:
    """Note when each new order's transaction commits: from then on the seller API returns it."""
    pending = "order_ingest_new_orders"

    @event.listens_for(db.session_class, "after_flush")
    def flushed(session: Session, _context: object) -> None:
        new = [o.external_id for o in session.new if isinstance(o, Order)]
        session.info.setdefault(pending, []).extend(new)

    @event.listens_for(db.session_class, "after_commit")
    def done(session: Session) -> None:
        if not outermost_commit(session):
            return
        now = time.monotonic()
        for external in session.info.pop(pending, ()):
            committed.setdefault(str(external), now)

    @event.listens_for(db.session_class, "after_rollback")
    def undone(session: Session) -> None:
        session.info.pop(pending, None)


async def _listed(api: httpx.AsyncClient) -> set[str]:
    """The external ids of every order the seller API lists."""
    seen: set[str] = set()
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 500, **({"cursor": cursor} if cursor else {})}
        page = (await api.get("/orders", params=params)).json()
        seen.update(str(item["external_id"]) for item in page["items"])
        cursor = page.get("next_cursor")
        if not cursor:
            return seen
