"""api-load: the seller API under 50 concurrent clients; requests/s and latency per route and database.

The hub runs as `marketbridge serve` does (one process, uvicorn, its worker inside) in a
process of its own; the clients run in CLIENT_PROCESSES further processes (httpx over
loopback, keep-alive, CLIENTS in all), so the load generator's CPU is not charged to the
server's event loop (on a 2-core machine they still share the cores). An account gets a few
thousand offers through the bulk API, then each case is hammered for a fixed time after a
short warm-up:

- `GET /livez` (liveness), `GET /healthz` (the detailed health check, with database round trips);
- `GET /api/v1/catalog/offers?limit=100` with a valid key.

The database is a throw-away SQLite file, and also PostgreSQL when MB_BENCH_POSTGRES_URL names
a server database the benchmark may connect to (it creates a database of its own beside it and
drops it at the end).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet

from marketbridge.benchmarks.common import cpu_seconds, machine, percentiles, postgres_database, wait_up
from marketbridge.runtime.serving import free_port
from marketbridge.store import accounts
from marketbridge.store.db import Database

CLIENTS = 50
CLIENT_PROCESSES = 2
WARMUP_SECONDS = 2.0
POSTGRES_ENV = "MB_BENCH_POSTGRES_URL"
CASES = {
    "liveness": "/livez",
    "healthz": "/healthz",
    "offers_page_100": "/api/v1/catalog/offers?limit=100",
}
TARGET = "offers page ≥ 500 req/s with p99 ≤ 0.15 s on SQLite and PostgreSQL; liveness ≥ 2,000 req/s"


async def _client(
    api: httpx.AsyncClient, path: str, start: float, stop: float, out: list[float]
) -> tuple[int, int]:
    """Requests until `stop`; latencies of those begun after `start` go to `out`.
    The errors (not 200) and the requests sent in all."""
    errors = sent = 0
    while (began := time.monotonic()) < stop:
        answer = await api.get(path)
        sent += 1
        if answer.status_code != 200:
            errors += 1
        elif began >= start:
            out.append(time.monotonic() - began)
    return errors, sent


#: A client process's answer: latencies measured, errors, requests sent in all (warm-up included).
Loaded = tuple[list[float], int, int]


async def _load(url: str, key: str, path: str, clients: int, seconds: float) -> Loaded:
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=60) as api:
        start = time.monotonic() + WARMUP_SECONDS
        latencies: list[float] = []
        counts = await asyncio.gather(
            *(_client(api, path, start, start + seconds, latencies) for _ in range(clients))
        )
    return latencies, sum(e for e, _ in counts), sum(s for _, s in counts)


def _load_process(url: str, key: str, path: str, clients: int, seconds: float) -> Loaded:
    """One client process: `clients` keep-alive clients for WARMUP_SECONDS + `seconds`."""
    return asyncio.run(_load(url, key, path, clients, seconds))


def _measure(
    pool: ProcessPoolExecutor, url: str, key: str, path: str, seconds: float, server: int
) -> dict[str, Any]:
    share = CLIENTS // CLIENT_PROCESSES
    cpu_before = cpu_seconds(server)
    parts = [pool.submit(_load_process, url, key, path, share, seconds) for _ in range(CLIENT_PROCESSES)]
    latencies: list[float] = []
    errors = served = 0
    for part in parts:
        lat, err, sent = part.result()
        latencies += lat
        errors += err
        served += sent
    cpu_after = cpu_seconds(server)
    cpu_ms = None
    if cpu_before is not None and cpu_after is not None and served:
        cpu_ms = round((cpu_after - cpu_before) * 1000 / served, 2)
    return {
        "path": path,
        "requests_per_second": round(len(latencies) / seconds, 1),
        "errors": errors,
        "latency_seconds": percentiles(latencies),
        "server_cpu_ms_per_request": cpu_ms,
    }


async def _prepare(url: str) -> str:
    """Migrate the database and make an account; its API key."""
    db = Database(url)
    try:
        await db.upgrade()
        async with db.session() as s:
            _, key = await accounts.create_account(s, "load shop")
    finally:
        await db.dispose()
    return key


async def _seed(base: str, key: str, offers: int) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=f"{base}/api/v1", headers=headers, timeout=600) as api:
        for start in range(0, offers, 10_000):
            items = [
                {"sku": f"LOAD-{n:07d}", "name": f"Load offer {n}", "barcodes": [f"3{n:012d}"]}
                for n in range(start, min(offers, start + 10_000))
            ]
            (await api.post("/catalog/offers/bulk", json={"items": items})).raise_for_status()


def _start_hub(url: str, port: int) -> subprocess.Popen[bytes]:
    """`marketbridge serve` on `url` and `port`, as a seller would start it (worker inside, no Redis)."""
    env = {
        **os.environ,
        "MB_DATABASE_URL": url,
        "MB_SECRET_KEY": Fernet.generate_key().decode(),
        "MB_LOG_LEVEL": "warning",
    }
    env.pop("MB_REDIS_URL", None)  # the embedded default: no Redis
    command = [sys.executable, "-m", "marketbridge.cli", "serve", "--port", str(port)]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)


async def _one_database(url: str, offers: int, seconds: float, pool: ProcessPoolExecutor) -> dict[str, Any]:
    key = await _prepare(url)
    port = free_port()
    server = _start_hub(url, port)
    base = f"http://127.0.0.1:{port}"
    try:
        await wait_up(base, server)
        await _seed(base, key, offers)
        loop = asyncio.get_running_loop()
        cases = {}
        for case, path in CASES.items():
            cases[case] = await loop.run_in_executor(
                None, _measure, pool, base, key, path, seconds, server.pid
            )
    finally:
        server.terminate()
        server.wait(timeout=30)
    return cases


async def run(offers: int = 3000, seconds: float = 10.0) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with ProcessPoolExecutor(CLIENT_PROCESSES) as pool:
        with tempfile.TemporaryDirectory(prefix="mb-bench-") as tmp:
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'hub.db'}"
            results["sqlite"] = await _one_database(url, offers, seconds, pool)
        server_url = os.environ.get(POSTGRES_ENV)
        if server_url:
            async with postgres_database(server_url, "mb_bench_api_load") as pg_url:
                results["postgresql"] = await _one_database(pg_url, offers, seconds, pool)
        else:
            results["postgresql"] = {"not_run": f"set {POSTGRES_ENV} to a PostgreSQL server database URL"}
    return {
        "benchmark": "api-load",
        "offers": offers,
        "clients": CLIENTS,
        "seconds_per_case": seconds,
        "measured": (
            f"one `marketbridge serve` process (uvicorn, worker inside); {CLIENTS} httpx keep-alive "
            f"clients in {CLIENT_PROCESSES} other processes on the same machine; {WARMUP_SECONDS:g} s "
            "warm-up not counted; latency from request sent to answer read; the server's CPU time "
            "per request from /proc, warm-up included"
        ),
        "results": results,
        "target": TARGET,
        "machine": machine(),
    }
