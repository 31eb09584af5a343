"""The Wildberries test harness: a real sandbox on loopback, a channel bound to it, a small shop."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from marketbridge.channels.roles import ConnectionConfig
from marketbridge.channels.wildberries import HOST_ALIASES, WildberriesChannel
from marketbridge.runtime.ratelimit import MemoryLimiter
from marketbridge.sandbox.wildberries import create_app, make_credentials
from tests.support.servers import ThreadedServer, serve_app


@dataclass
class Sandbox:
    server: ThreadedServer
    token: str

    @property
    def url(self) -> str:
        return self.server.url

    _client: httpx.Client | None = None

    @property
    def http(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(base_url=self.url, timeout=30)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def control(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(method, f"/_sandbox{path}", **kwargs)
        response.raise_for_status()
        return response.json()

    def api(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": token if token is not None else self.token}
        return self.http.request(method, path, headers=headers, **kwargs)

    def journal(self) -> list[dict[str, Any]]:
        return list(self.control("GET", "/journal", params={"limit": 5000})["items"])

    def mint(self, categories: list[str] | None = None, read_only: bool = False) -> str:
        body = {"categories": categories, "read_only": read_only}
        return str(self.control("POST", "/tokens", json=body)["token"])


#: Shortens WB's asynchronous steps (5 s price task, 10 s moderation) to 0.1 s and 0.2 s.
FAST_TIMING = 0.02


def start_sandbox(*, demo: bool, limits: bool, timing_scale: float = FAST_TIMING) -> Iterator[Sandbox]:
    """A sandbox on loopback; `timing_scale` 1 keeps WB's real delays."""
    credentials = make_credentials()
    app = create_app(credentials=credentials, demo_data=demo, limits=limits)
    with serve_app(app) as server:
        sandbox = Sandbox(server, credentials["token"])
        sandbox.control("PUT", "/timing", json={"scale": timing_scale})
        try:
            yield sandbox
        finally:
            sandbox.close()


def make_channel(sandbox: Sandbox, **settings: Any) -> WildberriesChannel:
    config = ConnectionConfig(
        connection_id="wb-test",
        base_urls=dict.fromkeys(HOST_ALIASES, sandbox.url),
        credentials={"token": sandbox.token},
        settings={"price_poll_interval": 0.1, "price_poll_timeout": 20, **settings},
    )
    return WildberriesChannel(config, MemoryLimiter())


WAREHOUSES = ("901", "902")


def seed_shop(sandbox: Sandbox, extra_offers: list[dict[str, Any]] | None = None) -> dict[str, str]:
    """Seeds the shop; returns seeded offer code -> chrtID."""
    offers: list[dict[str, Any]] = [
        {
            "offer_code": f"SHIRT-{size}",
            "product_code": "SHIRT",
            "name": "Рубашка льняная",
            "size": size,
            "category_id": "192",
            "barcodes": [f"46000000001{n}"],
            "price": "1500",
            "old_price": "2000",
            "stocks": {"901": 5},
        }
        for n, size in enumerate(("S", "M", "L"))
    ]
    offers.append(
        {
            "offer_code": "MUG",
            "name": "Кружка керамическая",
            "category_id": "192",
            "barcodes": ["4600000000200"],
            "price": "1000",
            "stocks": {"901": 7, "902": 2},
        }
    )
    offers.append({"offer_code": "CAP", "name": "Кепка", "barcodes": ["4600000000300"], "price": "700"})
    offers.extend(extra_offers or [])
    body = sandbox.control(
        "POST",
        "/seed",
        json={
            "warehouses": [{"id": "901", "name": "Москва"}, {"id": "902", "name": "Казань"}],
            "offers": offers,
        },
    )
    return dict(body["offers"])


def require_meta(sandbox: Sandbox, vendor_code: str, kinds: list[str]) -> None:
    """Make WB require these metadata kinds on the card's new assembly tasks."""
    cards = sandbox.control("GET", "/cards")["items"]
    nm_id = next(int(c["external_id"]) for c in cards if c["offer_code"] == vendor_code)
    sandbox.control("PUT", "/cards", json={"nm_id": nm_id, "required_meta": kinds})


def place(sandbox: Sandbox, offer_code: str, quantity: int = 1) -> list[str]:
    """A buyer's order; the ids of its assembly tasks."""
    body = sandbox.control(
        "POST", "/orders", json={"lines": [{"offer_code": offer_code, "quantity": quantity}]}
    )
    return [str(i) for i in body["ids"]]


def wait_for(check: Callable[[], bool], timeout: float = 30.0, what: str = "") -> float:
    """Poll `check` until it holds; the seconds it took. AssertionError after `timeout`."""
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"not met within {timeout} s: {what}")
        time.sleep(0.05)
    return time.monotonic() - start
