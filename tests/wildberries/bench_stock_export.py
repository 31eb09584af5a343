"""How long a 6,000-size stock export to the Wildberries sandbox takes under WB's real limits.

The test (test_limits.py) asserts counts only (zero 429, the bad items isolated); the time
is measured here, outside the suite: `python -m tests.wildberries.bench_stock_export`. It
lives with the Wildberries tests because bench/ names no marketplace (test_architecture).
"""

from __future__ import annotations

import asyncio
import json
import time

import httpx

from marketbridge.channels.roles import ConnectionConfig, StockPush
from marketbridge.channels.wildberries import HOST_ALIASES, WildberriesChannel
from marketbridge.runtime.ratelimit import MemoryLimiter
from marketbridge.runtime.serving import ThreadedServer
from marketbridge.sandbox.wildberries import create_app, make_credentials

SIZES = 3000


async def _export(url: str, token: str, units: dict[str, str]) -> tuple[float, int]:
    config = ConnectionConfig(
        connection_id="wb-bench",
        base_urls=dict.fromkeys(HOST_ALIASES, url),
        credentials={"token": token},
        settings={},
    )
    channel = WildberriesChannel(config, MemoryLimiter())
    items = [
        StockPush(chrt, code, wh, n % 50)
        for n, (code, chrt) in enumerate(units.items())
        for wh in ("901", "902")
    ]
    items += [StockPush("999999999", "GHOST", "901", 77)]
    started = time.monotonic()
    try:
        results = await channel.push_stocks(items)
    finally:
        await channel.aclose()
    return time.monotonic() - started, sum(1 for r in results if not r.ok)


def main() -> None:
    credentials = make_credentials()
    server = ThreadedServer(create_app(credentials=credentials, limits=True))
    server.start()
    try:
        offers = [
            {"offer_code": f"SKU-{n:05d}", "name": f"Товар {n}", "barcodes": [f"47{n:011d}"], "price": "100"}
            for n in range(SIZES)
        ]
        seed = {"warehouses": [{"id": "901", "name": "A"}, {"id": "902", "name": "B"}], "offers": offers}
        units = httpx.post(f"{server.url}/_sandbox/seed", json=seed, timeout=60).json()["offers"]
        seconds, refused = asyncio.run(_export(server.url, credentials["token"], units))
        rejected = httpx.get(f"{server.url}/_sandbox/limits").json()["rejected"]
    finally:
        server.stop()
    print(
        json.dumps(
            {"sizes": SIZES * 2 + 1, "seconds": round(seconds, 2), "refused": refused, "429": rejected}
        )
    )


if __name__ == "__main__":
    main()
