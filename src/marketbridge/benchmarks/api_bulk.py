"""api-bulk: bulk upsert of offers and then their stocks through the seller API; items/s and peak RSS."""

from __future__ import annotations

import time
from typing import Any

import httpx

from marketbridge.benchmarks.common import bench_world, machine, one_size_catalog, peak_rss_mb

CHUNK = 10_000


async def run(offers: int = 100_000) -> dict[str, Any]:
    small = one_size_catalog(10)
    async with (
        bench_world(small, limits=False, start_worker=False) as world,
        httpx.AsyncClient(
            base_url=f"{world.hub_url}/api/v1",
            headers={"Authorization": f"Bearer {world.api_key}"},
            timeout=600,
        ) as api,
    ):
        items = [
            {"sku": f"BULK-{n:07d}", "name": f"Bulk offer {n}", "barcodes": [f"2{n:012d}"]}
            for n in range(offers)
        ]
        started = time.monotonic()
        for start in range(0, offers, CHUNK):
            answer = await api.post("/catalog/offers/bulk", json={"items": items[start : start + CHUNK]})
            answer.raise_for_status()
        offer_seconds = time.monotonic() - started
        stocks = [{"offer_sku": i["sku"], "warehouse": "WH1", "on_hand": n % 50} for n, i in enumerate(items)]
        started = time.monotonic()
        for start in range(0, offers, CHUNK):
            answer = await api.post("/stocks/bulk", json={"items": stocks[start : start + CHUNK]})
            answer.raise_for_status()
        stock_seconds = time.monotonic() - started
    return {
        "benchmark": "api-bulk",
        "offers": offers,
        "chunk": CHUNK,
        "offers_per_second": round(offers / offer_seconds, 1),
        "stocks_per_second": round(offers / stock_seconds, 1),
        "peak_rss_mb": peak_rss_mb(),
        "machine": machine(),
    }
