"""The demo world: every registered marketplace's sandbox, a hub, the demo shop connected to all.

Used by `marketbridge demo`, the end-to-end tests and the benchmarks. Everything runs on
loopback: sandboxes in their own threads, the hub's API and worker in the caller's loop.
Nothing here names a marketplace: the sandboxes and channels come from their registries.
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from cryptography.fernet import Fernet
from sqlalchemy import select

from marketbridge.channels import registry as channel_registry
from marketbridge.channels.roles import Fulfilment, OrderSource, PushHandler, has_role
from marketbridge.demo.catalog import DemoCatalog, seed_offers
from marketbridge.demo.seed import HubIds, seed_hub
from marketbridge.runtime.serving import ThreadedServer, free_port, serve_in_loop
from marketbridge.runtime.settings import Settings
from marketbridge.sandbox import registry as sandbox_registry
from marketbridge.store import accounts
from marketbridge.store.connections import create_connection
from marketbridge.store.crypto import SecretBox
from marketbridge.store.db import Database
from marketbridge.store.tables import Connection, PriceMapping, WarehouseMapping
from marketbridge.sync import ledger
from marketbridge.sync.dispatch import JobKind
from marketbridge.sync.jobs import run_job
from marketbridge.wiring import Hub


class SandboxProcess:
    """A sandbox in its own process (`marketbridge sandbox KIND`), so it shares nothing with the hub."""

    def __init__(self, kind: str, credentials: dict[str, str], limits: bool) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [sys.executable, "-m", "marketbridge.cli", "sandbox", kind, "--port", str(self.port)]
        if not limits:
            args.append("--no-limits")
        for name, value in credentials.items():
            args += [f"--{name.replace('_', '-')}", value]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def start(self, timeout: float = 120.0) -> SandboxProcess:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"sandbox process exited with {self.proc.returncode}")
            try:
                if httpx.get(self.url + "/_sandbox/limits", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"sandbox on port {self.port} did not start")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@dataclass
class Market:
    kind: str
    server: ThreadedServer | SandboxProcess
    credentials: dict[str, str]
    connection_id: int = 0
    control: httpx.AsyncClient = field(init=False)

    def __post_init__(self) -> None:
        self.control = httpx.AsyncClient(base_url=self.server.url + "/_sandbox", timeout=30)

    @property
    def url(self) -> str:
        return self.server.url


#: Offers per control-API seed call, so a big catalog is not one huge request.
SEED_CHUNK = 20_000
#: Seconds between a world's periodic jobs per connection (its `schedule` setting): orders polled
#: (and new-order feeds read) every 5 s, moderation looked at every 2 s, returns every 10 s; no
#: catalog or reconcile runs.
WORLD_SCHEDULE: dict[str, float] = {
    "orders": 5,
    "new_orders": 5,
    "returns": 10,
    "catalog": 0,
    "reconcile": 0,
    "moderation": 2,
}


@dataclass
class World:
    hub: Hub
    account_id: int
    api_key: str
    catalog: DemoCatalog
    ids: HubIds
    markets: dict[str, Market]
    hub_url: str | None = None

    async def run(self, connection_id: int, kind: JobKind) -> None:
        """Run one job now, waiting for a run already in progress to end first."""
        for _ in range(600):
            if await run_job(self.hub, connection_id, kind, trigger="manual"):
                return
            await asyncio.sleep(0.1)
        raise TimeoutError(f"job {kind.value} on connection {connection_id} stayed busy")

    async def sandbox_stocks(self, kind: str) -> dict[tuple[str, str], int]:
        """(offer code, marketplace warehouse id) -> quantity the seller last set on the sandbox."""
        items = (await self.markets[kind].control.get("/stocks")).json()["items"]
        return {(i["offer_code"], str(i["warehouse_id"])): int(i["quantity"]) for i in items}

    async def expected_stocks(self, kind: str) -> dict[tuple[str, str], int]:
        """What the hub says the marketplace should show: (offer code, warehouse id) -> quantity."""
        async with self.hub.db.session() as s:
            targets = await ledger.stock_targets(
                s, self.account_id, list(self.ids.offers.values()), self.markets[kind].connection_id
            )
        return {(p["offer_code"], str(p["warehouse_id"])): int(p["quantity"]) for _, _, p in targets}

    async def stocks_settled(self) -> bool:
        """Whether every sandbox holds exactly the stock the hub computes for it."""
        for kind in self.markets:
            expected = await self.expected_stocks(kind)
            got = await self.sandbox_stocks(kind)
            if any(got.get(k) != v for k, v in expected.items()):
                return False
        return True

    async def warehouse_ids(self, kind: str) -> list[str]:
        async with self.hub.db.session() as s:
            rows = await s.execute(
                select(WarehouseMapping.external_warehouse_id)
                .where(WarehouseMapping.connection_id == self.markets[kind].connection_id)
                .order_by(WarehouseMapping.warehouse_id)
            )
            return [r[0] for r in rows]


async def wait_for(check: Callable[[], Awaitable[bool]], timeout: float = 30.0, every: float = 0.1) -> float:
    """Poll `check` until it is true; returns the seconds it took, raises TimeoutError after `timeout`."""
    started = time.monotonic()
    while True:
        if await check():
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"condition not met within {timeout} s")
        await asyncio.sleep(every)


async def connect(
    hub: Hub, account_id: int, kind: str, url: str, credentials: dict[str, str], settings: dict[str, Any]
) -> int:
    """A connection of the account to the sandbox at `url` (every host alias); its id."""
    spec = channel_registry.get(kind)
    async with hub.db.session() as s:
        row = await create_connection(
            s,
            hub.box,
            account_id=account_id,
            kind=kind,
            name=kind,
            credentials=credentials,
            base_urls={alias: url for alias in spec.host_aliases},
            settings=settings,
        )
        return row.id


async def map_warehouses(hub: Hub, account_id: int, ids: HubIds, connection_id: int) -> None:
    """The account's warehouses onto the marketplace's, in order, and the base and old prices."""
    async with hub.db.session() as s:
        conn = await s.get(Connection, connection_id)
        assert conn is not None
    remote = sorted(await hub.channels.get(conn).list_warehouses(), key=lambda w: w.external_id)
    hub_whs = sorted(ids.warehouses.items())
    async with hub.db.session() as s:
        for (_, wh_id), ext in zip(hub_whs, remote, strict=False):
            s.add(
                WarehouseMapping(
                    account_id=account_id,
                    connection_id=connection_id,
                    warehouse_id=wh_id,
                    external_warehouse_id=ext.external_id,
                )
            )
        s.add(
            PriceMapping(
                account_id=account_id,
                connection_id=connection_id,
                price_type_id=ids.price_types["base"],
                target="price",
            )
        )
        s.add(
            PriceMapping(
                account_id=account_id,
                connection_id=connection_id,
                price_type_id=ids.price_types["old"],
                target="old_price",
            )
        )


def kinds_playing(*roles: type) -> list[str]:
    """The registered marketplaces (channel and sandbox) whose channel plays every one of `roles`."""
    channels = channel_registry.load_all()
    return sorted(
        kind
        for kind in set(sandbox_registry.load_all()) & set(channels)
        if all(has_role(channels[kind].channel_class, role) for role in roles)
    )


def cycle_kinds() -> list[str]:
    """The registered marketplaces that play the order cycle (orders and fulfilment): the
    ones a world connects unless told which. A marketplace whose connector does not play it
    all yet is left out rather than failing every buyer's stage."""
    return kinds_playing(OrderSource, Fulfilment)


@asynccontextmanager
async def open_world(
    catalog: DemoCatalog,
    db: Database,
    *,
    kinds: list[str] | None = None,
    limits: bool = False,
    settings: Settings | None = None,
    connection_settings: dict[str, Any] | None = None,
    serve_api: bool = True,
    start_worker: bool = True,
    import_catalog: bool = True,
    hub_factory: Callable[[Database], Hub] | None = None,
    api_port: int | None = None,
    sandbox_processes: bool = False,
    timing_scale: float | None = 0.01,
) -> AsyncIterator[World]:
    """Start sandboxes, a hub on `db` (migrated), the demo shop, and connect them all."""
    specs = sandbox_registry.load_all()
    chosen = kinds or cycle_kinds()
    async with AsyncExitStack() as stack:
        markets: dict[str, Market] = {}
        for kind in chosen:
            spec = specs[kind]
            credentials = spec.make_credentials()
            server: ThreadedServer | SandboxProcess
            if sandbox_processes:
                server = await asyncio.to_thread(SandboxProcess(kind, credentials, limits).start)
            else:
                app = spec.create_app(credentials=credentials, demo_data=False, limits=limits, push_url=None)
                server = ThreadedServer(app).start()
            stack.callback(server.stop)
            market = Market(kind=kind, server=server, credentials=credentials)
            stack.push_async_callback(market.control.aclose)
            markets[kind] = market
            if timing_scale is not None:  # the sandboxes' emulated delays (None: the real ones)
                (await market.control.put("/timing", json={"scale": timing_scale})).raise_for_status()
            offers = seed_offers(catalog)
            warehouses = [{"name": w.name} for w in catalog.warehouses]
            for start in range(0, max(len(offers), 1), SEED_CHUNK):
                seeded = await market.control.post(
                    "/seed",
                    json={
                        "warehouses": warehouses if start == 0 else [],
                        "offers": offers[start : start + SEED_CHUNK],
                    },
                )
                seeded.raise_for_status()

        hub = (
            hub_factory(db)
            if hub_factory
            else Hub(
                settings=settings or Settings(allow_loopback_targets=True),
                db=db,
                box=SecretBox([Fernet.generate_key()]),
            )
        )
        stack.push_async_callback(hub.aclose)
        await db.upgrade()
        async with db.session() as s:
            account, api_key = await accounts.create_account(s, "demo shop")
            account_id = account.id
        async with db.session() as s:
            ids = await seed_hub(s, account_id, catalog)
        schedule = {"schedule": dict(WORLD_SCHEDULE)}
        for market in markets.values():
            market.connection_id = await connect(
                hub,
                account_id,
                market.kind,
                market.url,
                market.credentials,
                {**schedule, **(connection_settings or {})},
            )
            await map_warehouses(hub, account_id, ids, market.connection_id)

        world = World(
            hub=hub, account_id=account_id, api_key=api_key, catalog=catalog, ids=ids, markets=markets
        )
        if serve_api:
            from marketbridge.app import create_app

            world.hub_url = await stack.enter_async_context(serve_in_loop(create_app(hub), port=api_port))
            for market in markets.values():
                async with hub.db.session() as s:
                    conn = await s.get(Connection, market.connection_id)
                    assert conn is not None
                if has_role(hub.channels.get(conn), PushHandler):
                    push_url = f"{world.hub_url}/push/{market.kind}/{conn.id}/{conn.push_secret}"
                    (await market.control.put("/push", json={"url": push_url})).raise_for_status()
        if import_catalog:
            for market in markets.values():
                await world.run(market.connection_id, JobKind.CATALOG)
        if start_worker:
            await hub.start_worker()
        yield world
        with contextlib.suppress(Exception):
            await hub.stop_worker()
