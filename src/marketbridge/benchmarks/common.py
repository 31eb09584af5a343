"""What the benchmarks share: the machine description, percentiles, peak memory and CPU of a
process, a quiet world, a throw-away PostgreSQL database, waiting for a server to answer."""

from __future__ import annotations

import asyncio
import os
import platform
import resource
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from marketbridge.channels.roles import CatalogSource, StockSink
from marketbridge.demo.catalog import DemoCatalog, build_catalog
from marketbridge.demo.world import World, kinds_playing, open_world
from marketbridge.runtime.logging import configure
from marketbridge.runtime.serving import settle_garbage_collection
from marketbridge.store.db import Database


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        "cpus": os.cpu_count(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
    }


def percentiles(values: Sequence[float]) -> dict[str, float]:
    if not values:
        return {"count": 0}
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 4)

    return {
        "count": len(ordered),
        "p50": at(0.50),
        "p95": at(0.95),
        "p99": at(0.99),
        "max": round(ordered[-1], 4),
        "mean": round(statistics.fmean(ordered), 4),
    }


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def seller_api(world: World) -> httpx.AsyncClient:
    """A client of the world's seller API (/api/v1), with the account's key."""
    return httpx.AsyncClient(
        base_url=f"{world.hub_url}/api/v1", headers={"Authorization": f"Bearer {world.api_key}"}, timeout=30
    )


async def rejected_429(world: World) -> dict[str, int]:
    """How many calls each marketplace sandbox refused for its rate limits so far."""
    return {
        kind: sum((await m.control.get("/limits")).json()["rejected"].values())
        for kind, m in world.markets.items()
    }


def one_size_catalog(offers: int, seed: int = 5, warehouses: int = 1) -> DemoCatalog:
    """`offers` products of one offer each, named like their product (so the unit count is exact), no bundles."""
    catalog = build_catalog(products=offers, seed=seed, bundles=0, warehouses=warehouses)
    stock, prices = {}, {}
    for product in catalog.products:
        first = product.offers[0]
        stock[product.sku] = catalog.stock[first.sku]
        prices[product.sku] = catalog.prices[first.sku]
        product.offers = [first.model_copy(update={"sku": product.sku, "size": None, "name": product.name})]
    catalog.stock, catalog.prices = stock, prices
    return catalog


def stock_kinds() -> list[str]:
    """The marketplaces the stock benchmarks measure: every one that imports a catalog and takes stock."""
    return kinds_playing(CatalogSource, StockSink)


@asynccontextmanager
async def bench_world(catalog: DemoCatalog, **kwargs: Any) -> AsyncIterator[World]:
    """A world with sandboxes in their own processes and a hub on a throw-away SQLite file."""
    configure("warning", json=True)
    with tempfile.TemporaryDirectory(prefix="mb-bench-") as tmp:
        db = Database(f"sqlite+aiosqlite:///{Path(tmp) / 'hub.db'}")
        kwargs.setdefault("sandbox_processes", True)
        async with open_world(catalog, db, **kwargs) as world:
            settle_garbage_collection()  # the hub in this process, as `serve` and `worker` run it
            yield world


def hub_env(database_url: str, secret_key: str, redis_url: str | None = None) -> dict[str, str]:
    """The environment of a `marketbridge` child process: this one's without its MB_ settings, plus
    the world's database, secret key (and Redis), quiet logs, and sandboxes on loopback allowed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MB_")}
    env.update(
        MB_DATABASE_URL=database_url,
        MB_SECRET_KEY=secret_key,
        MB_LOG_LEVEL="warning",
        MB_ALLOW_LOOPBACK_TARGETS="true",
    )
    if redis_url:
        env["MB_REDIS_URL"] = redis_url
    return env


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far (Linux); None where /proc is not there."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_of(pid: int) -> float | None:
    """Peak resident memory of another process so far in MB (VmHWM, Linux); None when unknown."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


@asynccontextmanager
async def postgres_database(server_url: str, prefix: str = "mb_bench") -> AsyncIterator[str]:
    """A fresh database on the server of `server_url`, dropped afterwards."""
    base = server_url.rpartition("/")[0]
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(server_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"{base}/{name}"
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def wait_up(base: str, server: subprocess.Popen[bytes], timeout: float = 120.0) -> None:
    """Wait until the hub at `base` answers /healthz; RuntimeError if it exits or stays silent."""
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=base, timeout=5) as probe:
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise RuntimeError(f"the hub exited with status {server.returncode}")
            try:
                if (await probe.get("/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError("the hub did not start in time")
