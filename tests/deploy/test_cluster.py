"""`scripts/cluster` end to end: PostgreSQL, Redis, one API process and two workers on loopback;
a stock change sent to the API reaches every marketplace sandbox through a worker."""

from __future__ import annotations

import contextlib
import os
import random
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet

from marketbridge.demo.catalog import build_catalog
from marketbridge.demo.world import open_world, wait_for
from marketbridge.runtime.queue import KickQueue, make_broker
from marketbridge.runtime.settings import Settings
from marketbridge.store.crypto import SecretBox
from marketbridge.store.db import Database
from marketbridge.wiring import Hub

ROOT = Path(__file__).resolve().parents[2]


def ports_below_the_ephemeral_range(count: int) -> int:
    """A port p with p .. p+count-1 all free, below the range the kernel hands out for bind(0) and
    outgoing connections (32768 and up here): the script gives worker 2 the port after worker
    1's, and a port from free_port() can be taken by another test process before a server
    binds it. Raises when none is found."""
    for start in random.sample(range(20000, 32000 - count), 200):
        with contextlib.ExitStack() as held:
            try:
                for port in range(start, start + count):
                    sock = held.enter_context(socket.socket())
                    sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return start
    raise RuntimeError(f"no {count} free ports in a row below 32000")


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[dict[str, str]]:
    """The started cluster's settings (its env file) plus the workers' metrics URLs."""
    first = ports_below_the_ephemeral_range(5)
    metrics = first + 3  # worker 1 on it, worker 2 on the next
    env = {k: v for k, v in os.environ.items() if not k.startswith("MB_")}
    env.update(
        MB_CLUSTER_DIR=str(tmp_path / "cluster"),
        MB_CLUSTER_BIN=str(Path(sys.executable).parent / "marketbridge"),
        MB_PG_PORT=str(first),
        MB_REDIS_PORT=str(first + 1),
        MB_CLUSTER_API_PORT=str(first + 2),
        MB_CLUSTER_METRICS_PORT=str(metrics),
        MB_ALLOW_LOOPBACK_TARGETS="true",  # the sandboxes run on loopback
        MB_LEASE_TTL="3",
    )
    script = str(ROOT / "scripts" / "cluster")
    started = subprocess.run([script, "start"], env=env, capture_output=True, text=True, timeout=300)
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        assert "cluster: API on http://127.0.0.1:" in started.stdout
        text = (tmp_path / "cluster" / "env").read_text()
        settings = dict(re.findall(r"^export (\w+)=(.*)$", text, flags=re.M))
        settings["metrics"] = " ".join(f"http://127.0.0.1:{metrics + n}/metrics" for n in (0, 1))
        yield settings
    finally:
        subprocess.run([script, "stop"], env=env, capture_output=True, text=True, timeout=120)


async def test_a_stock_change_through_the_cluster_api_reaches_the_sandboxes(cluster: dict[str, str]) -> None:
    redis_url = cluster["MB_REDIS_URL"]
    key = cluster["MB_SECRET_KEY"].encode()
    Fernet(key)  # the cluster's key is a usable Fernet key

    def hub_factory(database: Database) -> Hub:  # this test's hub only seeds; it runs no worker
        return Hub(
            settings=Settings(allow_loopback_targets=True, redis_url=redis_url),
            db=database,
            box=SecretBox([key]),
            queue=KickQueue(make_broker(redis_url)),
        )

    db = Database(Settings(database_url=cluster["MB_DATABASE_URL"]).resolved_database_url())
    catalog = build_catalog(products=10, seed=4, bundles=0)
    async with open_world(catalog, db, serve_api=False, start_worker=False, hub_factory=hub_factory) as world:
        sku = catalog.offers[0].sku
        async with httpx.AsyncClient(
            base_url=cluster["MB_CLUSTER_API_URL"] + "/api/v1",
            headers={"Authorization": f"Bearer {world.api_key}"},
            timeout=30,
        ) as api:
            items = [
                {"offer_sku": sku, "warehouse": "WH1", "on_hand": 23},
                {"offer_sku": sku, "warehouse": "WH2", "on_hand": 5},
            ]
            answer = await api.post("/stocks/bulk", json={"items": items})
            assert answer.status_code == 200, answer.text
        for kind in world.markets:
            whs = await world.warehouse_ids(kind)

            async def arrived(kind: str = kind, whs: list[str] = whs) -> bool:
                got = await world.sandbox_stocks(kind)
                return [got.get((sku, w)) for w in whs] == [23, 5]

            await wait_for(arrived, timeout=90, every=0.3)
        async with httpx.AsyncClient(timeout=10) as client:
            pages = [(await client.get(url)).text for url in cluster["metrics"].split()]
        assert any(
            re.search(r'^mb_sync_runs_total\{kind="stocks",status="ok"\} [1-9]', p, re.M) for p in pages
        )
