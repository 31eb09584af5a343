"""scale: N connections of many sellers on one hub of PostgreSQL, Redis and worker processes.

The world is `scale_world`: one sandbox process per marketplace with its real rate limits,
serving one seller per connection; accounts of one connection per marketplace, one in ten
with a big catalog. Once every catalog is imported and exported, the workers are watched idle
for `idle_seconds`; then for `seconds` a steady stream runs: stock changes through the seller
API (`changes_per_second`, random accounts and offers, an offer not changed again within 35 s
as one marketplace takes a value per offer at most every 30 s) and buyers' orders placed on
the sandboxes (`orders_per_second`, random connections, on each catalog's first offer, which
no stock change touches). A watcher per change and connection reads the seller's stock back
every POLL_SECONDS until the value (or a later one) is there; one that never comes within
LOST_AFTER_SECONDS is a lost change. Orders are timed until their `order.created` webhook
reaches a receiver on loopback.

`--size N` runs N connections; without it SIZES run in sequence, each on a world of its own.
Needs MB_BENCH_POSTGRES_URL (a server database the benchmark may connect to; it makes a
database of its own beside it) and MB_BENCH_REDIS_URL (a Redis database it may empty).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import time
from typing import Any

import asyncpg
import httpx
from fastapi import FastAPI, Request

from marketbridge.benchmarks.common import (
    cpu_seconds,
    machine,
    peak_rss_mb,
    peak_rss_of,
    percentiles,
    stock_kinds,
)
from marketbridge.benchmarks.scale_world import KEEP_ALIVE, ScaleWorld, Seat, Shop, plan, scale_world
from marketbridge.demo.world import wait_for
from marketbridge.runtime.serving import serve_in_loop

SIZES = (10, 100, 1000)
POSTGRES_ENV = "MB_BENCH_POSTGRES_URL"
REDIS_ENV = "MB_BENCH_REDIS_URL"
POLL_SECONDS = 0.1
LOST_AFTER_SECONDS = 120.0
#: An offer is not changed again sooner than this (one marketplace takes a value every 30 s).
SAME_OFFER_AGAIN_SECONDS = 35.0
TARGET = "0 × 429, 0 lost changes, slowest connection's p99 ≤ 3 × the median connection's p99"


async def _watch(control: httpx.AsyncClient, seat: Seat, sku: str, qty: int, started: float) -> float | None:
    """Seconds until the seller's stock of `sku` shows `qty` or a later value; None if it never does."""
    while True:
        try:
            reply = await control.get(f"{seat.control}/stocks", params={"offer_code": sku})
            items = reply.json()["items"]
        except httpx.TransportError:  # the read-back failed, not the change: read again
            items = []
        if any(str(i["warehouse_id"]) == seat.warehouse and int(i["quantity"]) >= qty for i in items):
            return time.monotonic() - started
        if time.monotonic() - started > LOST_AFTER_SECONDS:
            return None
        await asyncio.sleep(POLL_SECONDS)


class Stream:
    """The steady stream of one run: stock changes and orders, and what came of them."""

    def __init__(self, world: ScaleWorld, seed: int) -> None:
        self.world = world
        self.rng = random.Random(seed)
        self.next_qty = 1000
        self.recent: dict[tuple[int, str], float] = {}
        self.watchers: list[tuple[Seat, asyncio.Task[float | None]]] = []
        self.apis: dict[int, httpx.AsyncClient] = {}
        self.changes = 0
        self.placed: dict[tuple[int, str], tuple[str, float]] = {}
        self.arrived: dict[tuple[int, str], float] = {}

    def api(self, shop: Shop) -> httpx.AsyncClient:
        if shop.number not in self.apis:
            headers = {"Authorization": f"Bearer {shop.api_key}"}
            self.apis[shop.number] = httpx.AsyncClient(
                base_url=f"{self.world.api_url}/api/v1", headers=headers, timeout=60, limits=KEEP_ALIVE
            )
        return self.apis[shop.number]

    def _pick(self) -> tuple[Shop, str] | None:
        now = time.monotonic()
        for _ in range(50):
            shop = self.rng.choice(self.world.shops)
            sku = self.rng.choice(shop.skus[1:])
            if now - self.recent.get((shop.number, sku), -1e9) >= SAME_OFFER_AGAIN_SECONDS:
                self.recent[(shop.number, sku)] = now
                return shop, sku
        return None

    async def change(self) -> None:
        picked = self._pick()
        if picked is None:
            return
        shop, sku = picked
        qty, self.next_qty = self.next_qty, self.next_qty + 1
        started = time.monotonic()
        body = {"items": [{"offer_sku": sku, "warehouse": "WH1", "on_hand": qty}]}
        (await self.api(shop).post("/stocks/bulk", json=body)).raise_for_status()
        self.changes += 1
        for seat in shop.seats:
            watch = _watch(self.world.controls[seat.kind], seat, sku, qty, started)
            self.watchers.append((seat, asyncio.create_task(watch)))

    async def order(self) -> None:
        seat = self.rng.choice(self.world.seats)
        shop = self.world.shops[seat.shop]
        started = time.monotonic()
        body = {"lines": [{"offer_code": shop.skus[0], "quantity": 1}]}
        answer = await self.world.controls[seat.kind].post(f"{seat.control}/orders", json=body)
        for external in answer.raise_for_status().json()["ids"]:
            self.placed[(seat.connection_id, str(external))] = (seat.kind, started)

    async def run(self, seconds: float, per_second: float, action: Any) -> None:
        """`action` every 1/per_second s for `seconds`, each started on time however long the last took."""
        pending: list[asyncio.Task[None]] = []
        started = time.monotonic()
        n = 0
        while time.monotonic() - started < seconds:
            pending.append(asyncio.create_task(action()))
            n += 1
            await asyncio.sleep(max(0.0, started + n / per_second - time.monotonic()))
        await asyncio.gather(*pending)

    async def aclose(self) -> None:
        for client in self.apis.values():
            await client.aclose()


async def _db_counters(database_url: str) -> dict[str, int]:
    """Transactions and rows written on the hub's database so far (pg_stat_database, all clients)."""
    conn = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        row = await conn.fetchrow(
            "SELECT xact_commit + xact_rollback AS transactions,"
            " tup_inserted + tup_updated + tup_deleted AS rows_written"
            " FROM pg_stat_database WHERE datname = current_database()"
        )
    finally:
        await conn.close()
    assert row is not None
    return {"transactions": int(row["transactions"]), "rows_written": int(row["rows_written"])}


def _worker_cpu(world: ScaleWorld) -> float:
    return sum(cpu_seconds(p.pid) or 0.0 for p in world.processes["worker"])


async def _settled(world: ScaleWorld) -> bool:
    """Whether every seller holds the start stock of its whole catalog."""
    for seat in world.seats:
        items = (await world.controls[seat.kind].get(f"{seat.control}/stocks")).json()["items"]
        shop = world.shops[seat.shop]
        if sum(1 for i in items if int(i["quantity"]) > 0) < len(shop.skus):
            return False
    return True


def _fairness(stream: Stream, latencies: dict[int, list[float]]) -> dict[str, Any]:
    """Per marketplace: each connection's p99, the slowest against the median (marketplaces differ
    in pacing, so connections are compared with their own marketplace's)."""
    seats = {s.connection_id: s for s in stream.world.seats}

    def offers_of(cid: int) -> int:
        return len(stream.world.shops[seats[cid].shop].skus)

    by_kind: dict[str, dict[int, float]] = {}
    for cid, values in latencies.items():
        by_kind.setdefault(seats[cid].kind, {})[cid] = percentiles(values)["p99"]
    out: dict[str, Any] = {}
    for kind, p99s in sorted(by_kind.items()):
        median = statistics.median(p99s.values())
        slowest = max(p99s, key=lambda c: p99s[c])
        by_size: dict[int, list[float]] = {}
        for cid in p99s:
            by_size.setdefault(offers_of(cid), []).extend(latencies[cid])
        out[kind] = {
            "connections_measured": len(p99s),
            "median_connection_p99_seconds": round(median, 4),
            "slowest_connection_p99_seconds": p99s[slowest],
            "slowest_connection_offers": offers_of(slowest),
            "slowest_connection_changes": len(latencies[slowest]),
            "slowest_over_median": round(p99s[slowest] / median, 2) if median else None,
            # with one or two changes a connection (many connections), a connection's p99 is its
            # slowest change: the changes of all connections of one catalog size, side by side,
            # show whether big catalogs hold small ones back
            "by_catalog_offers": {str(size): percentiles(values) for size, values in sorted(by_size.items())},
        }
    return out


async def _one_size(
    postgres_url: str,
    redis_url: str,
    connections: int,
    seconds: float,
    changes_per_second: float,
    orders_per_second: float,
    workers: int,
    big_offers: int,
    small_offers: int,
    idle_seconds: float,
    settle_seconds: float,
) -> dict[str, Any]:
    shops = plan(connections, stock_kinds(), big_offers, small_offers)
    arrived: dict[tuple[int, str], float] = {}
    receiver = FastAPI()

    @receiver.post("/hook")
    async def hook(request: Request) -> dict[str, bool]:
        body = json.loads(await request.body())
        data = body.get("data") or {}
        if body.get("type") == "order.created" and data.get("external_id"):
            arrived.setdefault((int(data["connection_id"]), str(data["external_id"])), time.monotonic())
        return {"ok": True}

    setup_started = time.monotonic()
    async with (
        serve_in_loop(receiver) as hook_url,
        scale_world(shops, postgres_url, redis_url, workers) as world,
    ):
        stream = Stream(world, seed=connections)
        stream.arrived = arrived
        for shop in shops:
            hooked = {"url": f"{hook_url}/hook", "event_types": ["order.created"]}
            (await stream.api(shop).post("/webhooks", json=hooked)).raise_for_status()
        await wait_for(lambda: _settled(world), timeout=3600, every=2.0)
        setup = time.monotonic() - setup_started
        await asyncio.sleep(settle_seconds)
        idle_cpu = _worker_cpu(world)
        await asyncio.sleep(idle_seconds)
        idle_rate = (_worker_cpu(world) - idle_cpu) / idle_seconds
        cpu_before, db_before = _worker_cpu(world), await _db_counters(world.database_url)
        started = time.monotonic()
        await asyncio.gather(
            stream.run(seconds, changes_per_second, stream.change),
            stream.run(seconds, orders_per_second, stream.order),
        )
        results = await asyncio.gather(*(task for _, task in stream.watchers))
        for _ in range(int(LOST_AFTER_SECONDS * 2)):  # an order without its webhook by then is lost
            if all(k in arrived for k in stream.placed):
                break
            await asyncio.sleep(0.5)
        elapsed = time.monotonic() - started
        cpu = _worker_cpu(world) - cpu_before
        await asyncio.sleep(1.0)  # the statistics collector takes up to a second
        db_after = await _db_counters(world.database_url)
        rejected = 0
        for seat in world.seats:
            limits = (await world.controls[seat.kind].get(f"{seat.control}/limits")).json()
            rejected += sum(limits["rejected"].values())
        rss = {
            "api": peak_rss_of(world.processes["api"][0].pid),
            "worker": max(peak_rss_of(p.pid) or 0.0 for p in world.processes["worker"]),
            **{f"sandbox {kind}": peak_rss_of(pid) for kind, pid in world.sandbox_pids.items()},
        }
        await stream.aclose()
    per_kind: dict[str, list[float]] = {}
    per_connection: dict[int, list[float]] = {}
    lost = 0
    for (seat, _), result in zip(stream.watchers, results, strict=True):
        if result is None:
            lost += 1
            continue
        per_kind.setdefault(seat.kind, []).append(result)
        per_connection.setdefault(seat.connection_id, []).append(result)
    changes = max(stream.changes, 1)
    webhook = [arrived[k] - t for k, (_, t) in stream.placed.items() if k in arrived]
    return {
        "connections": connections,
        "accounts": len(shops),
        "offers": {
            "big": big_offers,
            "small": small_offers,
            "big_accounts": sum(1 for s in shops if len(s.skus) == big_offers),
        },
        "workers": workers,
        "setup_seconds": round(setup, 1),
        "stream_seconds": round(elapsed, 1),
        "stock_changes": stream.changes,
        "stock_changes_per_marketplace_call": len(stream.watchers),
        "orders": len(stream.placed),
        "stock_latency_seconds": {kind: percentiles(v) for kind, v in sorted(per_kind.items())},
        "order_to_webhook_seconds": percentiles(webhook),
        "orders_without_webhook": sum(1 for k in stream.placed if k not in arrived),
        "rejected_429": rejected,
        "lost_changes": lost,
        "fairness": _fairness(stream, per_connection),
        "worker_cpu_seconds_idle_per_second": round(idle_rate, 4),
        "worker_cpu_seconds_per_stock_change": round(cpu / changes, 4),
        "worker_cpu_seconds_per_stock_change_above_idle": round((cpu - idle_rate * elapsed) / changes, 4),
        "database_transactions_per_stock_change": round(
            (db_after["transactions"] - db_before["transactions"]) / changes, 1
        ),
        "database_rows_written_per_stock_change": round(
            (db_after["rows_written"] - db_before["rows_written"]) / changes, 1
        ),
        "peak_rss_mb": {**rss, "benchmark process": peak_rss_mb()},
    }


MEASURED = (
    "stock latency: from the seller API's answer being asked for to the seller's read-back on the "
    f"sandbox showing the value (polled every {POLL_SECONDS} s); order to webhook: from the buyer's "
    "order on the sandbox to its order.created webhook reaching a receiver on loopback; fairness: "
    "each connection's p99 over the changes it had, the slowest against the median, and the changes "
    "of the connections of each catalog size together (by_catalog_offers); worker CPU: "
    "user + system seconds of the worker processes (/proc) over the stream and until every "
    "watcher ended, divided by the stock changes sent through the API (each goes to every "
    "connection of its account; the orders' work is included; 'above idle' takes off what the "
    "workers spent per second while idle before the stream); database: pg_stat_database "
    "transactions (commits and rollbacks) and rows written by every client of the hub's database "
    "(the API and the workers) over the same span, per stock change; peak RSS: VmHWM of each process"
)


async def run(
    connections: int | None = None,
    seconds: float = 60.0,
    changes_per_second: float = 4.0,
    orders_per_second: float = 1.0,
    workers: int = 1,
    big_offers: int = 1000,
    small_offers: int = 10,
    idle_seconds: float = 10.0,
    settle_seconds: float = 31.0,
    postgres_url: str | None = None,
    redis_url: str | None = None,
) -> dict[str, Any]:
    """One run per size; the database and Redis servers from the arguments or the environment."""
    urls = {
        POSTGRES_ENV: postgres_url or os.environ.get(POSTGRES_ENV),
        REDIS_ENV: redis_url or os.environ.get(REDIS_ENV),
    }
    missing = [name for name, url in urls.items() if not url]
    results: dict[str, Any] = {}
    if missing:
        results["not_run"] = f"set {' and '.join(missing)}"
    else:
        for n in [connections] if connections else SIZES:
            results[str(n)] = await _one_size(
                urls[POSTGRES_ENV] or "",
                urls[REDIS_ENV] or "",
                n,
                seconds,
                changes_per_second,
                orders_per_second,
                workers,
                big_offers,
                small_offers,
                idle_seconds,
                settle_seconds,
            )
    return {
        "benchmark": "scale",
        "stream_seconds": seconds,
        "changes_per_second": changes_per_second,
        "orders_per_second": orders_per_second,
        "measured": MEASURED,
        "results": results,
        "target": TARGET,
        "machine": machine(),
    }
