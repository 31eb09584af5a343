"""The connector keeps within Ozon's rate limits: with the sandbox enforcing them, nothing is refused.

The connector waits on its limiter (45 requests/s overall, 78/min for /v2/products/stocks) rather
than hitting the sandbox's 50/s and 80/min; the sandbox counts every rejection it makes.
"""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal

from marketbridge.channels.roles import PricePush, StockPush
from tests.ozon.conftest import Sandbox, make_channel

OFFERS = 600
WAREHOUSES = 4


async def test_a_large_stock_and_price_export_gets_no_429(limited_sandbox: Sandbox) -> None:
    seeded = limited_sandbox.seed(
        [{"name": f"Склад {i}"} for i in range(WAREHOUSES)],
        [{"offer_code": f"BULK-{i:04d}", "name": f"Товар {i}", "price": "500"} for i in range(OFFERS)],
    )
    channel = make_channel(limited_sandbox.url)
    try:
        offers = [o async for page in channel.iter_offers() for o in page]
        assert len(offers) == OFFERS
        pushes = [
            StockPush(o.external_id, o.offer_code, w["id"], 7) for o in offers for w in seeded["warehouses"]
        ]
        started = time.monotonic()
        results = await channel.push_stocks(pushes)
        took = time.monotonic() - started
        assert len(results) == OFFERS * WAREHOUSES and all(r.ok for r in results), results[:3]
        # 24 requests of 100: 20 go at once, the rest at the sustained 78/min
        assert took > 2.5
        prices = await channel.push_prices(
            [PricePush(o.external_id, o.offer_code, Decimal(1000 + i)) for i, o in enumerate(offers)]
        )
        assert all(r.ok for r in prices)
        await asyncio.gather(*(channel.check() for _ in range(120)))
    finally:
        await channel.aclose()
    limits = limited_sandbox.control.get("/_sandbox/limits").json()
    assert limits == {"enabled": True, "rejected": {}}
    stocks = limited_sandbox.control.get("/_sandbox/stocks").json()["items"]
    assert len(stocks) == OFFERS * WAREHOUSES and {s["quantity"] for s in stocks} == {7}
    calls = [e["path"] for e in limited_sandbox.journal()]
    assert calls.count("/v2/products/stocks") == OFFERS * WAREHOUSES // 100
    assert calls.count("/v1/product/import/prices") == 1
