"""Request bodies: 413 from Content-Length before the body is read, the key checked before the
body, a size cap per route (bulk routes larger), a deadline for slow bodies, and nested items
counted against the bulk cap. Raw sockets on loopback show what is answered before a body is sent."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

from tests.api.conftest import ApiEnv
from tests.security.conftest import HubFactory

DEADLINE = 30.0  # generous: a server that waits for the body never answers at all


async def _raw(env: ApiEnv, head: str, body: bytes = b"") -> int:
    """Send `head` (and `body`, possibly partial) and return the answer's status code."""
    url = urlsplit(env.url)
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    try:
        writer.write(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), DEADLINE)
        return int(status_line.split()[1])
    finally:
        writer.close()


def _head(path: str, length: int, key: str | None = None) -> str:
    auth = f"Authorization: Bearer {key}\n" if key else ""
    return (
        f"POST {path} HTTP/1.1\nHost: hub\nContent-Type: application/json\n{auth}Content-Length: {length}\n"
    )


async def test_a_declared_length_over_the_cap_is_refused_before_the_body(hub_with: HubFactory) -> None:
    with hub_with() as env:
        huge = 100 * 1024 * 1024
        assert await _raw(env, _head("/api/v1/catalog/offers/bulk", huge, env.a.key)) == 413
        assert await _raw(env, _head("/api/v1/webhooks", 2 * 1024 * 1024, env.a.key)) == 413
        assert await _raw(env, _head("/push/any/1/secret", huge)) == 413
        assert await _raw(env, _head("/dashboard/login", huge)) == 413


async def test_the_key_is_checked_before_the_body_is_read(hub_with: HubFactory) -> None:
    with hub_with() as env:
        assert await _raw(env, _head("/api/v1/catalog/offers/bulk", 500_000)) == 401
        assert await _raw(env, _head("/api/v1/webhooks", 500_000, "mb_not_a_key")) == 401


async def test_a_slow_body_gets_408(hub_with: HubFactory) -> None:
    with hub_with(body_timeout=0.5) as env:
        assert await _raw(env, _head("/api/v1/webhooks", 100, env.a.key), b'{"url": "ht') == 408
        async with env.client(env.a) as client:  # a body sent in time is unaffected
            ok = await client.post("/warehouses", json={"code": "MAIN", "name": "Main"})
            assert ok.status_code == 201, ok.text


async def test_each_route_has_its_cap_also_without_a_length(hub_with: HubFactory) -> None:
    with hub_with(max_body_bytes=4096, max_bulk_body_bytes=1 << 20) as env:
        items = [{"offer_sku": f"SKU-{n:05d}", "warehouse": "MAIN", "on_hand": 1} for n in range(1500)]
        async with env.client(env.a) as client:
            bulk = await client.post("/stocks/bulk", json={"items": items})  # ~80 kB: a bulk route
            assert bulk.status_code == 422 and bulk.json()["code"] == "invalid_items", bulk.text
            small = await client.post("/warehouses", json={"code": "W" * 10, "name": "n" * 5000})
            assert small.status_code == 413 and small.json()["code"] == "payload_too_large"

            async def chunks() -> AsyncIterator[bytes]:
                yield b'{"url": "http://127.0.0.1/", "event_types": ["order.created"], "x": "'
                for _ in range(10):
                    yield b"y" * 1000
                yield b'"}'

            chunked = await client.post(
                "/webhooks", content=chunks(), headers={"Content-Type": "application/json"}
            )
            assert chunked.status_code == 413, chunked.text
            assert (await client.get("/webhooks")).json()["items"] == []


async def test_nested_offers_count_against_the_bulk_cap(hub_with: HubFactory) -> None:
    products = [
        {"sku": f"P{p}", "name": f"product {p}", "offers": [{"sku": f"P{p}-{o}"} for o in range(500)]}
        for p in range(101)
    ]
    with hub_with() as env:
        async with env.client(env.a, timeout=120) as client:
            refused = await client.post("/catalog/products/bulk", json={"items": products})
            assert refused.status_code == 422, refused.text[:300]
            assert refused.json()["code"] == "too_many_items"
            assert (await client.get("/catalog/offers", params={"limit": 1})).json()["items"] == []
