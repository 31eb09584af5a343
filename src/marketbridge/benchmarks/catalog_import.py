"""catalog-import: import and match a big catalog from a marketplace sandbox; wall time and peak RSS.

The sandbox runs in its own process and the import runs in its own process too
(`marketbridge sync run --kind catalog` against the benchmark's hub database), so the peak
RSS reported is the import's alone — not the sandbox's, and not the benchmark's own copy of
the catalog it seeded. The import streams page by page: memory must stay flat however large
the catalog (target ≤ 300 MB).

A marketplace whose own limits bound how fast its catalog can be read (its channel's
`catalog_offers_per_second`; 100 list calls a minute of 100 cards each is about 167
offers/s) is imported at the size those limits allow in `budget` seconds, and the result
says so: at that rate a million cards take 100 minutes to read however fast the hub is.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
import time
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import func, select

from marketbridge.benchmarks.common import bench_world, hub_env, machine, one_size_catalog, peak_rss_of
from marketbridge.channels import registry as channel_registry
from marketbridge.channels.roles import CatalogSource, has_role
from marketbridge.runtime.settings import Settings
from marketbridge.store.crypto import SecretBox
from marketbridge.store.db import Database
from marketbridge.store.tables import Link
from marketbridge.wiring import Hub


def _import_in_child(database_url: str, key: str, connection_id: int) -> tuple[float, float]:
    """Run the catalog job in a child process; its wall seconds and its own peak RSS in MB.

    The peak is read from the child's VmHWM while it runs (a high-water mark, so reading it
    every half second loses nothing but the last moments): the rusage of a waited child
    would also count the pages it shared with this process between fork and exec.
    """
    env = hub_env(database_url, key)
    command = [sys.executable, "-m", "marketbridge.cli", "sync", "run"]
    command += ["--connection", str(connection_id), "--kind", "catalog"]
    with tempfile.TemporaryFile() as errors:
        started = time.monotonic()
        child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=errors)
        peak = 0.0
        while child.poll() is None:
            peak = max(peak, peak_rss_of(child.pid) or 0.0)
            time.sleep(0.5)
        seconds = time.monotonic() - started
        if child.returncode != 0:
            errors.seek(0)
            raise RuntimeError(f"the catalog import failed: {errors.read().decode(errors='replace')[-2000:]}")
    return seconds, peak


async def run(offers: int = 1_000_000, kind: str | None = None, budget: float = 600.0) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for name in [kind] if kind else sorted(channel_registry.load_all()):
        connector = channel_registry.get(name).channel_class
        ceiling = connector.catalog_offers_per_second if has_role(connector, CatalogSource) else 0.0
        size = min(offers, int(ceiling * budget) // 1000 * 1000) if ceiling else offers
        results[name] = await _import(name, size)
        results[name]["ceiling_offers_per_second"] = round(ceiling, 1) if ceiling else None
    return {
        "benchmark": "catalog-import",
        "offers": offers,
        "results": results,
        "target": "peak RSS <= 300 MB",
        "machine": machine(),
    }


async def _import(kind: str, offers: int) -> dict[str, Any]:
    catalog = one_size_catalog(offers)
    key = Fernet.generate_key()

    def hub(db: Database) -> Hub:
        return Hub(settings=Settings(allow_loopback_targets=True), db=db, box=SecretBox([key]))

    async with bench_world(
        catalog,
        kinds=[kind],
        limits=False,
        start_worker=False,
        import_catalog=False,
        serve_api=False,
        hub_factory=hub,
    ) as world:
        market = world.markets[kind]
        seconds, rss = await asyncio.to_thread(
            _import_in_child, world.hub.db.url, key.decode(), market.connection_id
        )
        async with world.hub.db.session() as s:
            linked = (
                await s.execute(select(func.count()).where(Link.connection_id == market.connection_id))
            ).scalar_one()
        if linked != offers:  # an import that links less than the catalog measured nothing
            raise RuntimeError(f"{kind}: the import linked {linked} of {offers} offers")
    return {
        "offers": offers,
        "seconds": round(seconds, 1),
        "offers_per_second": round(offers / seconds, 1),
        "linked": int(linked),
        "peak_rss_mb": round(rss, 1),
    }
