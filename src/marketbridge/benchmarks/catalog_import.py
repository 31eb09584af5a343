"""catalog-import: import and match a big catalog from a marketplace sandbox; wall time and peak RSS.

The sandbox runs in its own process, so the memory figure is the hub's alone. The import
streams page by page: memory must stay flat however large the catalog (target ≤ 300 MB).
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import func, select

from marketbridge.benchmarks.common import bench_world, machine, one_size_catalog, peak_rss_mb
from marketbridge.store.tables import Link
from marketbridge.sync.dispatch import JobKind


async def run(offers: int = 1_000_000, kind: str | None = None) -> dict[str, Any]:
    catalog = one_size_catalog(offers)
    kinds = [kind] if kind else None
    rss_before = peak_rss_mb()
    async with bench_world(
        catalog, kinds=kinds, limits=False, start_worker=False, import_catalog=False
    ) as world:
        results: dict[str, Any] = {}
        for name, market in world.markets.items():
            started = time.monotonic()
            await world.run(market.connection_id, JobKind.CATALOG)
            seconds = time.monotonic() - started
            async with world.hub.db.session() as s:
                linked = (
                    await s.execute(select(func.count()).where(Link.connection_id == market.connection_id))
                ).scalar_one()
            results[name] = {
                "seconds": round(seconds, 1),
                "offers_per_second": round(offers / seconds, 1),
                "linked": int(linked),
            }
        seeded_rss = peak_rss_mb()
    return {
        "benchmark": "catalog-import",
        "offers": offers,
        "results": results,
        "peak_rss_mb": seeded_rss,
        "peak_rss_before_mb": rss_before,
        "target": "peak RSS <= 300 MB",
        "machine": machine(),
    }
