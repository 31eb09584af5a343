"""Rate limits: the sandbox answers WB's 429 with its headers; the connector stays under the limits
(counting a 409 answer as 10 requests, as WB does)."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import httpx

from marketbridge.channels.roles import PricePush, StockPush
from marketbridge.channels.wildberries.endpoints import LIMITS
from marketbridge.sandbox.wildberries.endpoints import LIMIT_GROUPS
from tests.wildberries.harness import Sandbox, make_channel, start_sandbox


def test_connector_and_sandbox_declare_the_same_limits() -> None:
    for group, limit in LIMITS.items():
        spec = LIMIT_GROUPS[group]
        assert (limit.count, limit.per_seconds, limit.burst) == (spec.count, spec.per_seconds, spec.burst)


def test_sandbox_answers_429_with_the_gateway_body_and_headers(demo_sandbox: Sandbox) -> None:
    with httpx.Client(base_url=demo_sandbox.url, headers={"Authorization": demo_sandbox.token}) as client:
        answers = [client.get("/api/v3/orders/new") for _ in range(LIMIT_GROUPS["marketplace"].burst + 5)]
    ok = [a for a in answers if a.status_code == 200]
    refused = [a for a in answers if a.status_code == 429]
    assert len(ok) >= LIMIT_GROUPS["marketplace"].burst and refused
    first = refused[0]
    assert first.json()["title"] == "too many requests" and first.json()["status"] == 429
    assert int(first.headers["X-Ratelimit-Retry"]) >= 1
    assert first.headers["X-Ratelimit-Remaining"] == "0"
    assert first.headers["X-Ratelimit-Limit"] == "20"
    assert int(first.headers["X-Ratelimit-Reset"]) >= 1
    assert ok[0].headers["X-Ratelimit-Limit"] == "20"
    assert demo_sandbox.control("GET", "/limits")["rejected"]["marketplace"] >= 1


async def test_stock_export_of_thousands_of_offers_gets_no_429() -> None:
    for sandbox in start_sandbox(demo=False, limits=True):
        offers = [
            {"offer_code": f"SKU-{n:05d}", "name": f"Товар {n}", "barcodes": [f"47{n:011d}"], "price": "100"}
            for n in range(3000)
        ]
        units = sandbox.control(
            "POST",
            "/seed",
            json={"warehouses": [{"id": "901", "name": "A"}, {"id": "902", "name": "B"}], "offers": offers},
        )["offers"]
        channel = make_channel(sandbox)
        items = [
            StockPush(chrt, code, warehouse, n % 50)
            for n, (code, chrt) in enumerate(units.items())
            for warehouse in ("901", "902")
        ]
        # One unknown size per warehouse: its batch is refused with 409 (10 requests' worth) and
        # resent; WB names it by amount only, which no other item has (amounts are 0..49).
        items = [
            StockPush("999999999", "GHOST", "901", 77),
            *items,
            StockPush("999999998", "GHOST2", "902", 78),
        ]
        try:
            results = await channel.push_stocks(items)
            # Many calls of one group at once: the limiter spreads them under WB's figures.
            await asyncio.gather(*(channel.list_warehouses() for _ in range(30)))
        finally:
            await channel.aclose()
        assert len(results) == 6002
        assert [r.ok for r in results].count(False) == 2 and not results[0].ok and not results[-1].ok
        assert sandbox.control("GET", "/limits")["rejected"] == {}  # zero 429 (time: bench_stock_export.py)
        puts = [e for e in sandbox.journal() if e["method"] == "PUT"]
        # 3001 items per warehouse make four batches each; the first of 901 is sent again without
        # its bad item, the last of 902 held only the bad one.
        assert len(puts) == 9
        stored = sandbox.control("GET", "/stocks")["items"]
        assert len(stored) == 6000


async def test_price_task_followed_under_the_prices_limit(demo_sandbox: Sandbox) -> None:
    channel = make_channel(demo_sandbox)
    try:
        offers = [o async for page in channel.iter_offers() for o in page]
        shirt = [o for o in offers if o.product_code == "TSHIRT-03"]
        items = [PricePush(o.external_id, o.offer_code, Decimal("1500"), Decimal("2000")) for o in shirt]
        results = await channel.push_prices(items)
    finally:
        await channel.aclose()
    assert len(items) == 4 and all(r.ok for r in results)
    assert demo_sandbox.control("GET", "/limits")["rejected"] == {}
    polls = [e for e in demo_sandbox.journal() if e["path"] == "/api/v2/history/tasks"]
    assert polls and polls[-1]["status"] == 200
