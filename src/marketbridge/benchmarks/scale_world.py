"""The world of the `scale` benchmark: many sellers on one hub made of separate processes.

One sandbox process per marketplace with its real rate limits, serving one seller per
connection (added through `/_sandbox/sellers`, so each has its own catalog, stocks, orders and
rate-limit buckets); a fresh PostgreSQL database and Redis; one API process
(`marketbridge serve --no-worker`) and `workers` worker processes (`marketbridge worker`).
N connections belong to accounts of one connection per marketplace each (the last account may
have fewer), and each account has a catalog of its own: one account in BIG_EVERY has
`big_offers` offers, the others `small_offers`. The catalogs are imported and the warehouses
mapped before the API and the workers start, so they begin with every connection linked.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import redis.asyncio as redis
from cryptography.fernet import Fernet
from sqlalchemy import select

from marketbridge.benchmarks.common import hub_env, one_size_catalog, postgres_database, wait_up
from marketbridge.channels import registry as channel_registry
from marketbridge.channels.roles import PushHandler, has_role
from marketbridge.demo.catalog import DemoCatalog, seed_offers
from marketbridge.demo.seed import seed_hub
from marketbridge.demo.world import SandboxProcess, connect, map_warehouses
from marketbridge.runtime.logging import configure
from marketbridge.runtime.serving import free_port
from marketbridge.runtime.settings import Settings
from marketbridge.sandbox import registry as sandbox_registry
from marketbridge.store import accounts
from marketbridge.store.tables import Connection
from marketbridge.sync.dispatch import JobKind
from marketbridge.sync.jobs import run_job
from marketbridge.wiring import Hub

#: One account in this many has the big catalog.
BIG_EVERY = 10
#: Stock every offer starts with in the hub (so buyers' orders always find some).
START_STOCK = 500
#: Jobs the benchmark does not measure are switched off; orders poll at the quota's pace.
SCHEDULE = {"schedule": {"returns": 0, "moderation": 0, "catalog": 0, "reconcile": 0}}
#: No connection is kept open between requests: on a loaded machine a client's idle clock runs
#: late, and a request could go out on a connection the server is just closing (a ReadError).
KEEP_ALIVE = httpx.Limits(max_keepalive_connections=0)
#: How many connections are set up (sellers seeded, catalogs imported) at once.
SETUP_WIDTH = 8


@dataclass
class Seat:
    """One connection: an account's seller on one marketplace's sandbox."""

    shop: int
    kind: str
    seller: int
    credentials: dict[str, str]
    connection_id: int = 0
    warehouse: str = ""

    @property
    def control(self) -> str:
        """The seller's own control API, relative to the sandbox's /_sandbox/."""
        return f"/sellers/{self.seller}"


@dataclass
class Shop:
    """One account with its catalog and its connections."""

    number: int
    catalog: DemoCatalog
    account_id: int = 0
    api_key: str = ""
    seats: list[Seat] = field(default_factory=list)

    @property
    def skus(self) -> list[str]:
        return [o.sku for o in self.catalog.offers]


@dataclass
class ScaleWorld:
    api_url: str
    database_url: str
    shops: list[Shop]
    controls: dict[str, httpx.AsyncClient]
    processes: dict[str, list[subprocess.Popen[bytes]]]
    sandbox_pids: dict[str, int]

    @property
    def seats(self) -> list[Seat]:
        return [seat for shop in self.shops for seat in shop.seats]


def plan(connections: int, kinds: Sequence[str], big_offers: int, small_offers: int) -> list[Shop]:
    """Accounts of one connection per marketplace each until `connections` are placed."""
    catalogs: dict[int, DemoCatalog] = {}
    shops: list[Shop] = []
    for n in range(connections):
        if n % len(kinds) == 0:
            number = len(shops)
            offers = big_offers if number % BIG_EVERY == 0 else small_offers
            if offers not in catalogs:
                catalog = one_size_catalog(offers)
                for levels in catalog.stock.values():
                    levels["WH1"] = START_STOCK
                catalogs[offers] = catalog
            shops.append(Shop(number=number, catalog=catalogs[offers]))
        shops[-1].seats.append(
            Seat(shop=len(shops) - 1, kind=kinds[n % len(kinds)], seller=0, credentials={})
        )
    return shops


def hub_process(args: list[str], database_url: str, redis_url: str, key: str) -> subprocess.Popen[bytes]:
    """`marketbridge ARGS` with the world's database, Redis and secret key, sandboxes on loopback allowed."""
    command = [sys.executable, "-m", "marketbridge.cli", *args]
    env = hub_env(database_url, key, redis_url)
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def _gather(width: int, jobs: Sequence[Any]) -> None:
    """Await the coroutines `jobs`, `width` at a time."""
    gate = asyncio.Semaphore(width)

    async def one(job: Any) -> None:
        async with gate:
            await job

    await asyncio.gather(*(one(j) for j in jobs))


async def _seller(control: httpx.AsyncClient, seat: Seat, shop: Shop) -> None:
    """A seller of its own on the sandbox, seeded with the account's catalog (stock 0)."""
    added = (await control.post("/sellers", json={})).raise_for_status().json()
    seat.seller, seat.credentials = int(added["seller"]), added["credentials"]
    (await control.put(f"{seat.control}/timing", json={"scale": 0.01})).raise_for_status()
    body = {
        "warehouses": [{"name": w.name} for w in shop.catalog.warehouses],
        "offers": seed_offers(shop.catalog),
    }
    (await control.post(f"{seat.control}/seed", json=body)).raise_for_status()


async def _account(hub: Hub, shop: Shop, urls: dict[str, str]) -> None:
    """The account, its catalog and stock in the hub, its connections with warehouses mapped, imported."""
    async with hub.db.session() as s:
        account, shop.api_key = await accounts.create_account(s, f"scale shop {shop.number}")
        shop.account_id = account.id
    async with hub.db.session() as s:
        ids = await seed_hub(s, shop.account_id, shop.catalog)
    for seat in shop.seats:
        seat.connection_id = await connect(
            hub, shop.account_id, seat.kind, urls[seat.kind], seat.credentials, SCHEDULE
        )
        await map_warehouses(hub, shop.account_id, ids, seat.connection_id)
        for _ in range(600):  # a run already in progress (none should be) ends first
            if await run_job(hub, seat.connection_id, JobKind.CATALOG, trigger="manual"):
                break
            await asyncio.sleep(0.1)
        async with hub.db.session() as s:
            conn = await s.get(Connection, seat.connection_id)
            assert conn is not None
        seat.warehouse = (await hub.channels.get(conn).list_warehouses())[0].external_id


async def _push_urls(world: ScaleWorld, hub: Hub) -> None:
    """Point every seller of a marketplace that pushes at its connection's push URL on the API."""
    for seat in world.seats:
        if not has_role(channel_registry.get(seat.kind).channel_class, PushHandler):
            continue
        async with hub.db.session() as s:
            secret = (
                await s.execute(select(Connection.push_secret).where(Connection.id == seat.connection_id))
            ).scalar_one()
        url = f"{world.api_url}/push/{seat.kind}/{seat.connection_id}/{secret}"
        (await world.controls[seat.kind].put(f"{seat.control}/push", json={"url": url})).raise_for_status()


@asynccontextmanager
async def scale_world(
    shops: list[Shop], postgres_url: str, redis_url: str, workers: int
) -> AsyncIterator[ScaleWorld]:
    configure("warning", json=True)
    kinds = sorted({seat.kind for shop in shops for seat in shop.seats})
    key = Fernet.generate_key().decode()
    flush = redis.from_url(redis_url)
    await flush.flushdb()  # rate-limit buckets and kicks of an earlier run name the same connection ids
    await flush.aclose()
    async with AsyncExitStack() as stack:
        database_url = await stack.enter_async_context(postgres_database(postgres_url, "mb_bench_scale"))
        controls: dict[str, httpx.AsyncClient] = {}
        urls: dict[str, str] = {}
        sandbox_pids: dict[str, int] = {}
        starting = [
            SandboxProcess(kind, sandbox_registry.get(kind).make_credentials(), True) for kind in kinds
        ]
        for server in starting:
            stack.callback(server.stop)
        await asyncio.gather(*(asyncio.to_thread(server.start) for server in starting))
        for kind, server in zip(kinds, starting, strict=True):
            urls[kind], sandbox_pids[kind] = server.url, server.proc.pid
            controls[kind] = httpx.AsyncClient(
                base_url=server.url + "/_sandbox", timeout=120, limits=KEEP_ALIVE
            )
            stack.push_async_callback(controls[kind].aclose)
            controls[kind] = httpx.AsyncClient(
                base_url=server.url + "/_sandbox", timeout=120, limits=KEEP_ALIVE
            )
            stack.push_async_callback(controls[kind].aclose)
        await _gather(SETUP_WIDTH, [_seller(controls[t.kind], t, shop) for shop in shops for t in shop.seats])
        settings = Settings(
            database_url=database_url, redis_url=redis_url, secret_key=key, allow_loopback_targets=True
        )
        hub = Hub.from_settings(settings)
        stack.push_async_callback(hub.aclose)
        await hub.db.upgrade()
        await _gather(SETUP_WIDTH, [_account(hub, shop, urls) for shop in shops])
        port = free_port()
        processes: dict[str, list[subprocess.Popen[bytes]]] = {"api": [], "worker": []}
        api = hub_process(["serve", "--no-worker", "--port", str(port)], database_url, redis_url, key)
        processes["api"].append(api)
        for _ in range(workers):
            processes["worker"].append(hub_process(["worker"], database_url, redis_url, key))
        stack.callback(_stop, [p for group in processes.values() for p in group])
        world = ScaleWorld(f"http://127.0.0.1:{port}", database_url, shops, controls, processes, sandbox_pids)
        await wait_up(world.api_url, api)
        await _push_urls(world, hub)
        yield world


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for p in processes:
        p.terminate()
    for p in processes:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
