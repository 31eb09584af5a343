"""order-ingest: time from a buyer's order on a marketplace to the seller seeing it.

Two figures per marketplace: until the order is readable in the seller API (GET
/api/v1/orders), and until its `order.created` webhook reached a subscriber on loopback.
Marketplaces that push orders are measured on the push path; the others by polling at the
interval their quota allows (the connection sets no `schedule.orders`; the interval is part
of the target: ≤ interval + 1 s).
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
from fastapi import FastAPI, Request

from marketbridge.benchmarks.common import bench_world, machine, one_size_catalog, percentiles, seller_api
from marketbridge.demo.shopping import buy, orderable
from marketbridge.demo.world import wait_for
from marketbridge.runtime.serving import serve_in_loop
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
            watcher = asyncio.create_task(_watch_api(api, readable))
            skus = orderable(world, orders, min_stock=1)
            for n in range(orders):
                for kind in world.markets:
                    started = time.monotonic()
                    for external in await buy(world, kind, [(skus[n % len(skus)], 1)]):
                        placed[external] = (kind, started)
                await asyncio.sleep(1 / per_second)
            await wait_for(lambda: _all(readable, placed), timeout=120, every=0.1)
            watcher.cancel()
            await wait_for(lambda: _all(arrived, placed), timeout=120, every=0.1)
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
            "missing": sum(1 for e in mine if e not in readable),
        }
    return {
        "benchmark": "order-ingest",
        "orders_per_marketplace": orders,
        "poll_interval_seconds": {
            kind: schedule_for(kind, settings)[JobKind.ORDERS] for kind in sorted(per_kind)
        },
        "results": per_kind,
        "target": "p99 <= 0.5 s where the marketplace pushes; <= poll interval + 1 s otherwise",
        "machine": machine(),
    }


async def _all(seen: dict[str, float], placed: dict[str, tuple[str, float]]) -> bool:
    return all(e in seen for e in placed)


async def _watch_api(api: httpx.AsyncClient, readable: dict[str, float]) -> None:
    """Read the newest orders from the seller API every 50 ms, noting when each first appears."""
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 500}
        if cursor:
            params["cursor"] = cursor
        page = (await api.get("/orders", params=params)).json()
        now = time.monotonic()
        for item in page["items"]:
            readable.setdefault(str(item["external_id"]), now)
        # keep reading from the last full page on: the list is ordered by id, newest last
        if page.get("next_cursor"):
            cursor = page["next_cursor"]
            continue
        await asyncio.sleep(0.05)
