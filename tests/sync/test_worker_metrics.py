"""In the split set-up (`serve --no-worker` + `worker`), a worker serves the metrics of the work
it does on its own `--metrics-port`: sync runs, marketplace requests, quota use per connection,
and the backlog gauges."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from cryptography.fernet import Fernet

from marketbridge.demo.catalog import build_catalog
from marketbridge.demo.world import open_world, wait_for
from marketbridge.runtime.serving import free_port
from marketbridge.runtime.settings import Settings
from marketbridge.store.crypto import SecretBox
from marketbridge.store.db import Database
from marketbridge.wiring import Hub
from tests.support.workers import WorkerProcess, worker_env


def _value(text: str, name: str, **labels: str) -> float | None:
    """The value of the first sample of `name` whose labels include `labels`."""
    for line in text.splitlines():
        match = re.fullmatch(rf"{name}\{{(.*)\}} (\S+)", line)
        if match and all(f'{k}="{v}"' in match.group(1) for k, v in labels.items()):
            return float(match.group(2))
    return None


async def test_a_worker_process_serves_its_job_metrics(db: Database, tmp_path: Path) -> None:
    key = Fernet.generate_key()
    catalog = build_catalog(products=10, seed=3, bundles=0)

    def hub_factory(database: Database) -> Hub:
        return Hub(
            settings=Settings(lease_ttl=3.0, allow_loopback_targets=True), db=database, box=SecretBox([key])
        )

    async with open_world(catalog, db, serve_api=False, start_worker=False, hub_factory=hub_factory) as world:
        port = free_port()
        env = worker_env(db.url, key.decode(), None)
        worker = WorkerProcess(env, tmp_path / "worker.log", ("--metrics-port", str(port))).start()
        try:
            seen: dict[str, str] = {}

            async def worked() -> bool:
                try:
                    async with httpx.AsyncClient(timeout=5) as client:
                        seen["text"] = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
                except httpx.HTTPError:
                    return False
                text = seen["text"]
                return (
                    all(
                        (_value(text, "mb_sync_runs_total", kind="orders", status="ok") or 0) >= 1
                        and (_value(text, "mb_quota_spent_total", connection=str(m.connection_id)) or 0) >= 1
                        for m in world.markets.values()
                    )
                    and "mb_webhook_backlog " in text
                    and _value(text, "mb_pending_changes", kind="stock") is not None  # the gauges were read
                )

            await wait_for(worked, timeout=120, every=0.5)
            text = seen["text"]
            assert (_value(text, "mb_channel_requests_total") or 0) >= 1
            assert all(
                (_value(text, "mb_quota_limit_per_second", connection=str(m.connection_id)) or 0) > 0
                for m in world.markets.values()
            )
            assert _value(text, "mb_pending_changes", kind="stock") is not None
        finally:
            worker.stop()
