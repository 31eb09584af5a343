"""Any registered marketplace under test: its sandbox on loopback, driven through /_sandbox/, and its channel.

Nothing here names a marketplace. The marketplaces are the kinds present in both the
channel registry and the sandbox registry; a role's tests take `kinds_with(Role)`, read
off each spec's `channel_class`. A `Market` is one running sandbox with its credentials:
it builds channels bound to it (good or wrong credentials) and wraps the common control
API (seed, buyer orders, status moves, returns, faults, limits, push URL, journal).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from marketbridge.channels import registry as channel_registry
from marketbridge.channels.roles import CatalogSource, Channel, ConnectionConfig, has_role
from marketbridge.channels.spec import ChannelSpec
from marketbridge.runtime.ratelimit import MemoryLimiter
from marketbridge.sandbox import registry as sandbox_registry
from marketbridge.sandbox.common.sellers import SellerRouter
from marketbridge.sandbox.registry import SandboxSpec
from tests.support.servers import ThreadedServer


def registered_kinds() -> list[str]:
    """Every marketplace with both a channel and a sandbox, sorted."""
    return sorted(set(channel_registry.load_all()) & set(sandbox_registry.load_all()))


def kinds_with(*roles: type) -> list[str]:
    """The registered marketplaces whose channel class plays every one of `roles`."""
    specs = channel_registry.load_all()
    return [k for k in registered_kinds() if all(has_role(specs[k].channel_class, r) for r in roles)]


def kinds_with_fault(item: str, *roles: type) -> list[str]:
    """The registered marketplaces whose sandbox has `item` on its fault menu (`SandboxSpec.faults`)
    and whose channel plays every one of `roles`."""
    sandboxes = sandbox_registry.load_all()
    return [k for k in kinds_with(*roles) if item in sandboxes[k].faults]


def wrong(value: str) -> str:
    """A credential of the same shape as `value` that is not it (digits stay digits, letters letters)."""
    tail = []
    for ch in value[-6:]:
        if ch.isdigit():
            tail.append(str((int(ch) + 1) % 10))
        elif ch.isalpha():
            base = "a" if ch.islower() else "A"
            tail.append(chr((ord(ch) - ord(base) + 1) % 26 + ord(base)))
        else:
            tail.append(ch)
    return value[:-6] + "".join(tail)


async def wait_until(check: Callable[[], Awaitable[bool]], timeout: float = 15.0, what: str = "") -> None:
    """Poll `check` until it holds; AssertionError naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not met within {timeout} s: {what or check}")
        await asyncio.sleep(0.05)


def window() -> tuple[datetime, datetime]:
    """A polling window around now, wide enough for everything a test just made."""
    now = datetime.now(UTC)
    return now - timedelta(hours=1), now + timedelta(minutes=5)


@dataclass
class Market:
    """One marketplace's sandbox, running, with its credentials and the common control API."""

    kind: str
    channel_spec: ChannelSpec
    sandbox_spec: SandboxSpec
    server: ThreadedServer
    credentials: dict[str, str]
    control: httpx.Client = field(init=False)
    cache: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.control = httpx.Client(base_url=self.server.url + "/_sandbox", timeout=30)

    @property
    def url(self) -> str:
        return self.server.url

    def channel(self, credentials: dict[str, str] | None = None, **settings: Any) -> Channel:
        """A channel bound to this sandbox (every host alias points at it)."""
        config = ConnectionConfig(
            connection_id=f"contract-{self.kind}",
            base_urls=dict.fromkeys(self.channel_spec.host_aliases, self.url),
            credentials=credentials if credentials is not None else dict(self.credentials),
            settings=settings,
        )
        return self.channel_spec.create(config, MemoryLimiter())

    def wrong_credentials(self) -> dict[str, str]:
        """The credentials with every secret field altered (ids kept, so only the key is wrong)."""
        altered = {name: wrong(value) for name, value in self.credentials.items() if not value.isdigit()}
        return {**self.credentials, **altered}

    # -- the control API -------------------------------------------------------------------

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        reply = self.control.request(method, path, **kwargs)
        assert reply.status_code < 300, f"{method} /_sandbox{path}: {reply.status_code} {reply.text}"
        return reply.json()

    def seed(self, offers: list[dict[str, Any]], warehouses: tuple[str, ...] = ()) -> None:
        """Seed offers and warehouses (ids of our choosing, digits as every marketplace takes)."""
        body = {"warehouses": [{"id": w, "name": f"Warehouse {w}"} for w in warehouses], "offers": offers}
        self.call("POST", "/seed", json=body)

    def place(self, lines: list[tuple[str, int]], warehouse_id: str | None = None) -> list[str]:
        """A buyer's purchase; the marketplace ids of the order(s) it made."""
        body: dict[str, Any] = {"lines": [{"offer_code": c, "quantity": q} for c, q in lines]}
        if warehouse_id is not None:
            body["warehouse_id"] = warehouse_id
        return [str(i) for i in self.call("POST", "/orders", json=body)["ids"]]

    def move(self, order_id: str, status: str) -> None:
        self.call("POST", f"/orders/{order_id}/move", json={"status": status})

    def open_return(self, order_id: str, reason: str = "does not fit") -> str:
        return str(self.call("POST", "/returns", json={"order_id": order_id, "reason": reason})["id"])

    async def many(self, method: str, calls: list[tuple[str, dict[str, Any]]], width: int = 16) -> list[Any]:
        """Many control calls (path, JSON body), `width` at a time: for seeding big listings fast."""
        out: list[Any] = []
        async with httpx.AsyncClient(base_url=self.server.url + "/_sandbox", timeout=30) as client:

            async def one(path: str, body: dict[str, Any]) -> Any:
                reply = await client.request(method, path, json=body)
                assert reply.status_code < 300, f"{method} /_sandbox{path}: {reply.status_code} {reply.text}"
                return reply.json()

            for start in range(0, len(calls), width):
                chunk = calls[start : start + width]
                out += await asyncio.gather(*(one(path, body) for path, body in chunk))
        return out

    def items(self, what: str) -> list[dict[str, Any]]:
        """GET /_sandbox/{stocks,prices,cards,orders} items."""
        items: list[dict[str, Any]] = self.call("GET", f"/{what}")["items"]
        return items

    async def unit_ids(self) -> dict[str, str]:
        """Offer code -> the unit's external id (what stock and price calls key on).

        Read from the channel's catalog where it is a CatalogSource, else from the stocks
        the sandbox holds.
        """
        channel = self.channel()
        try:
            if has_role(channel, CatalogSource):
                return {o.offer_code: o.external_id async for page in channel.iter_offers() for o in page}  # type: ignore[attr-defined]
        finally:
            await channel.aclose()
        return {i["offer_code"]: str(i["external_id"]) for i in self.items("stocks")}

    def journal_since(self, mark: float) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = self.call("GET", "/journal", params={"limit": 5000})["items"]
        return [e for e in entries if e.get("at", 0) >= mark]

    def fault_counters(self) -> dict[str, int]:
        counters: dict[str, int] = self.call("GET", "/faults")["counters"]
        return counters

    @contextlib.contextmanager
    def faults(self, **config: Any) -> Iterator[None]:
        """Inject faults (FaultConfig fields) for the block; switched off afterwards."""
        self.call("PUT", "/faults", json={"seed": 7, **config})
        try:
            yield
        finally:
            self.call("PUT", "/faults", json={})

    @contextlib.contextmanager
    def limits(self) -> Iterator[None]:
        """The marketplace's rate limits enforced for the block."""
        self.call("PUT", "/limits", json={"enabled": True})
        try:
            yield
        finally:
            self.call("PUT", "/limits", json={"enabled": False})

    def rejected_by_limits(self) -> dict[str, int]:
        rejected: dict[str, int] = self.call("GET", "/limits")["rejected"]
        return rejected


def start_market(kind: str, *, limits: bool = False) -> Iterator[Market]:
    """Serve `kind`'s sandbox on loopback (no demo data) for the caller's block."""
    sandbox_spec = sandbox_registry.get(kind)
    channel_spec = channel_registry.get(kind)
    credentials = sandbox_spec.make_credentials()
    app = sandbox_spec.create_app(credentials=credentials, demo_data=False, limits=limits, push_url=None)
    server = ThreadedServer(app).start()
    market = Market(kind, channel_spec, sandbox_spec, server, credentials)
    try:
        market.control.put("/timing", json={"scale": 0.01}).raise_for_status()  # emulated delays shortened
        yield market
    finally:
        market.control.close()
        server.stop()


def offer(code: str, n: int, warehouses: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    """A seed offer with a unique barcode and, when given, stock in each warehouse."""
    body: dict[str, Any] = {
        "offer_code": code,
        "name": f"Contract item {code}",
        "barcodes": [f"46{n:011d}"],
        "price": "1000",
        **extra,
    }
    if warehouses:
        body["stocks"] = dict.fromkeys(warehouses, 10_000)
    return body


@dataclass
class Shop:
    """A small seeded shop: two warehouses, plain offers in stock, one offer that needs marking."""

    warehouses: tuple[str, ...]
    plain: list[str]
    marked: str
    barcodes: dict[str, str]
    external_ids: dict[str, str]


WAREHOUSES = ("7001", "7002")


async def shop(market: Market) -> Shop:
    """The market's shop, seeded on first use and shared by the tests of a module."""
    if "shop" not in market.cache:
        plain = [f"PLAIN-{n}" for n in range(1, 9)]
        offers = [offer(code, n, list(WAREHOUSES)) for n, code in enumerate(plain, start=1)]
        offers.append(offer("MARKED-1", 99, list(WAREHOUSES), requires_marking=True))
        market.seed(offers, WAREHOUSES)
        market.cache["shop"] = Shop(
            warehouses=WAREHOUSES,
            plain=plain,
            marked="MARKED-1",
            barcodes={o["offer_code"]: o["barcodes"][0] for o in offers},
            external_ids=await market.unit_ids(),
        )
    found: Shop = market.cache["shop"]
    return found


def start_sellers(kind: str) -> Iterator[tuple[Market, Market]]:
    """`kind`'s sandbox serving two sellers in one process (`SellerRouter`): the one it was
    started with and one added through POST /_sandbox/sellers, each with its own control API."""
    sandbox_spec = sandbox_registry.get(kind)
    channel_spec = channel_registry.get(kind)
    credentials = sandbox_spec.make_credentials()
    router = SellerRouter(
        sandbox_spec.create_app, sandbox_spec.make_credentials, credentials, demo_data=False, limits=False
    )
    server = ThreadedServer(router).start()
    first = Market(kind, channel_spec, sandbox_spec, server, credentials)
    added = first.call("POST", "/sellers", json={})
    second = Market(kind, channel_spec, sandbox_spec, server, added["credentials"])
    second.control = httpx.Client(base_url=f"{server.url}/_sandbox/sellers/{added['seller']}", timeout=30)
    try:
        yield first, second
    finally:
        first.control.close()
        second.control.close()
        server.stop()
