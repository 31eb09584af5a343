"""Fixtures for the Ozon tests: a sandbox on real uvicorn, the connector pointed at it, a push receiver."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response

from marketbridge.channels.ozon import OzonChannel
from marketbridge.channels.roles import ConnectionConfig, PushMessage
from marketbridge.runtime.ratelimit import MemoryLimiter
from marketbridge.sandbox.ozon import create_app
from tests.support.servers import ThreadedServer, serve_app

CLIENT_ID = "424242"
API_KEY = "0f3c4c2e-5b1e-4f57-9d5a-sandbox-key"
CREDENTIALS = {"client_id": CLIENT_ID, "api_key": API_KEY}
HEADERS = {"Client-Id": CLIENT_ID, "Api-Key": API_KEY}


@dataclass
class Sandbox:
    server: ThreadedServer
    app: FastAPI
    control: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.control = httpx.Client(base_url=self.url, timeout=30)

    @property
    def url(self) -> str:
        return self.server.url

    def api(self, path: str, body: Any = None, headers: dict[str, str] | None = None) -> httpx.Response:
        """A raw Seller API call, as any HTTP client would make it."""
        return self.control.post(
            path, json=body if body is not None else {}, headers=HEADERS if headers is None else headers
        )

    def seed(self, warehouses: list[dict[str, Any]], offers: list[dict[str, Any]]) -> dict[str, Any]:
        reply = self.control.post("/_sandbox/seed", json={"warehouses": warehouses, "offers": offers})
        reply.raise_for_status()
        data: dict[str, Any] = reply.json()
        return data

    def journal(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.control.get("/_sandbox/journal", params={"limit": 5000}).json()[
            "items"
        ]
        return items


def holds_within(check: Callable[[], bool], timeout: float, what: str) -> float:
    """Wait until `check()` holds (polling); the seconds it took. Fails the test after `timeout`."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(0.05)
    return time.monotonic() - started


#: The emulated delays of most tests: a hundredth of Ozon's real ones (45 s labels -> 0.45 s).
FAST_TIMING = 0.01


def _sandbox(limits: bool, demo_data: bool = False, timing: float | None = FAST_TIMING) -> Iterator[Sandbox]:
    app = create_app(credentials=dict(CREDENTIALS), demo_data=demo_data, limits=limits)
    with serve_app(app) as server:
        box = Sandbox(server, app)
        try:
            if timing is not None:
                box.control.put("/_sandbox/timing", json={"scale": timing}).raise_for_status()
            yield box
        finally:
            box.control.close()


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A sandbox with its rate limits off (tests that are not about limits), delays shortened."""
    yield from _sandbox(limits=False)


@pytest.fixture
def real_time_sandbox() -> Iterator[Sandbox]:
    """A sandbox with Ozon's real delays (the default timing): labels 45 s after packing, ..."""
    yield from _sandbox(limits=False, timing=None)


@pytest.fixture
def limited_sandbox() -> Iterator[Sandbox]:
    """A sandbox enforcing Ozon's rate limits."""
    yield from _sandbox(limits=True)


@pytest.fixture
def demo_sandbox() -> Iterator[Sandbox]:
    yield from _sandbox(limits=False, demo_data=True)


@pytest.fixture(scope="module")
def shared_sandbox() -> Iterator[Sandbox]:
    """One sandbox for a module's tests that change nothing in it (refused requests, reads)."""
    yield from _sandbox(limits=False)


@pytest.fixture(scope="module")
def shared_demo_sandbox() -> Iterator[Sandbox]:
    """The demo shop, shared by a module's read-only tests."""
    yield from _sandbox(limits=False, demo_data=True)


def make_channel(url: str, api_key: str = API_KEY) -> OzonChannel:
    config = ConnectionConfig(
        connection_id="test-ozon",
        base_urls={"default": url},
        credentials={"client_id": CLIENT_ID, "api_key": api_key},
    )
    return OzonChannel(config, MemoryLimiter())


async def _channel_to(sandbox: Sandbox) -> AsyncIterator[OzonChannel]:
    ch = make_channel(sandbox.url)
    try:
        yield ch
    finally:
        await ch.aclose()


@pytest.fixture
async def channel(sandbox: Sandbox) -> AsyncIterator[OzonChannel]:
    async for ch in _channel_to(sandbox):
        yield ch


@pytest.fixture
async def real_channel(real_time_sandbox: Sandbox) -> AsyncIterator[OzonChannel]:
    """The connector pointed at the sandbox with Ozon's real delays."""
    async for ch in _channel_to(real_time_sandbox):
        yield ch


@dataclass
class PushReceiver:
    """The seller's push endpoint: answers with the channel's handle_push and keeps what it stored."""

    server: ThreadedServer
    messages: list[PushMessage]
    bodies: list[dict[str, Any]]

    @property
    def url(self) -> str:
        return f"{self.server.url}/push/ozon"


@pytest.fixture
def push_receiver() -> Iterator[PushReceiver]:
    app = FastAPI()
    messages: list[PushMessage] = []
    bodies: list[dict[str, Any]] = []
    parser = make_channel("http://127.0.0.1:9")

    @app.post("/push/ozon")
    async def receive(request: Request) -> Response:
        raw = await request.body()
        reply = parser.handle_push(dict(request.headers), raw)
        if reply.message is not None:
            messages.append(reply.message)
            bodies.append(json.loads(raw))
        return Response(json.dumps(reply.body), status_code=reply.status, media_type="application/json")

    with serve_app(app) as server:
        yield PushReceiver(server, messages, bodies)
