"""api-load: the seller API under 50 concurrent clients; requests/s and latency per route and database.

The hub runs as `marketbridge serve` does (one process, uvicorn, its worker inside) in a
process of its own; the clients run in CLIENT_PROCESSES further processes (CLIENTS keep-alive
HTTP/1.1 connections over loopback, written on bare asyncio streams on uvloop: a full HTTP
client library spent more CPU per request than the server, and on a 2-core machine the
clients share the cores with it). The server's CPU per request is also given net of what it
spends idle (the worker inside ticks), which otherwise weighs on cheap requests. An account gets a few
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
from sqlalchemy import text

from marketbridge.benchmarks.common import cpu_seconds, machine, percentiles, postgres_database, wait_up
from marketbridge.runtime.serving import free_port, run_loop
from marketbridge.store import accounts
from marketbridge.store.db import Database

CLIENTS = 50
CLIENT_PROCESSES = 2
WARMUP_SECONDS = 2.0
IDLE_SECONDS = 5.0
POSTGRES_ENV = "MB_BENCH_POSTGRES_URL"
CASES = {
    "liveness": "/livez",
    "healthz": "/healthz",
    "offers_page_100": "/api/v1/catalog/offers?limit=100",
}
TARGET = "offers page ≥ 500 req/s with p99 ≤ 0.15 s on SQLite and PostgreSQL; liveness ≥ 2,000 req/s"


async def _get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> int:
    """One request on a kept-alive connection; its status (the body is read and dropped)."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    length = None
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.lower() == b"content-length":
            length = int(value)
    if length is None:
        raise RuntimeError("an answer without Content-Length: this client reads only those")
    await reader.readexactly(length)
    return int(head[9:12])


async def _client(url: str, request: bytes, start: float, stop: float, out: list[float]) -> tuple[int, int]:
    """Requests on one keep-alive connection until `stop`; latencies of those begun after
    `start` go to `out`. The errors (not 200) and the requests sent in all."""
    host, _, port = url.removeprefix("http://").partition(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    errors = sent = 0
    try:
        while (began := time.monotonic()) < stop:
            status = await _get(reader, writer, request)
            sent += 1
            if status != 200:
                errors += 1
            elif began >= start:
                out.append(time.monotonic() - began)
    finally:
        writer.close()
    return errors, sent


#: A client process's answer: latencies measured, errors, requests sent in all (warm-up included).
Loaded = tuple[list[float], int, int]


async def _load(url: str, key: str, path: str, clients: int, seconds: float) -> Loaded:
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {url.removeprefix('http://')}\r\n"
        f"Authorization: Bearer {key}\r\nAccept: application/json\r\n\r\n"
    ).encode()
    start = time.monotonic() + WARMUP_SECONDS
    latencies: list[float] = []
    counts = await asyncio.gather(
        *(_client(url, request, start, start + seconds, latencies) for _ in range(clients))
    )
    return latencies, sum(e for e, _ in counts), sum(s for _, s in counts)


def _load_process(url: str, key: str, path: str, clients: int, seconds: float) -> Loaded:
    """One client process: `clients` keep-alive clients for WARMUP_SECONDS + `seconds`."""
    return run_loop(_load(url, key, path, clients, seconds))


def _measure(
    pool: ProcessPoolExecutor, url: str, key: str, path: str, seconds: float, server: int, idle: float | None
) -> dict[str, Any]:
    """One case; `idle` is the server's CPU seconds per second with no request (its worker's ticks)."""
    share = CLIENTS // CLIENT_PROCESSES
    cpu_before = cpu_seconds(server)
    began = time.monotonic()
    parts = [pool.submit(_load_process, url, key, path, share, seconds) for _ in range(CLIENT_PROCESSES)]
    latencies: list[float] = []
    errors = served = 0
    for part in parts:
        lat, err, sent = part.result()
        latencies += lat
        errors += err
        served += sent
    cpu_after = cpu_seconds(server)
    cpu_ms = net_ms = None
    if cpu_before is not None and cpu_after is not None and served:
        cpu_ms = round((cpu_after - cpu_before) * 1000 / served, 2)
        if idle is not None:
            background = idle * (time.monotonic() - began)
            net_ms = round(max(cpu_after - cpu_before - background, 0.0) * 1000 / served, 2)
    return {
        "path": path,
        "requests_per_second": round(len(latencies) / seconds, 1),
        "errors": errors,
        "latency_seconds": percentiles(latencies),
        "server_cpu_ms_per_request": cpu_ms,
        "server_cpu_ms_per_request_net_of_idle": net_ms,
        "server_idle_cpu_ms_per_second": None if idle is None else round(idle * 1000, 1),
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


async def _analyze(url: str) -> None:
    """On PostgreSQL, refresh the planner's statistics after the seeding, as autovacuum does
    within a minute or so of a bulk load: without them a page of offers is planned as if the
    table were empty (all the account's offers read and sorted)."""
    db = Database(url)
    try:
        if db.dialect == "postgresql":
            async with db.engine.connect() as conn:
                await conn.execute(text("ANALYZE"))
                await conn.commit()
    finally:
        await db.dispose()


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


async def _idle_cpu(pid: int, seconds: float = IDLE_SECONDS) -> float | None:
    """The server's CPU seconds per second while no request comes (the worker inside ticks)."""
    before, began = cpu_seconds(pid), time.monotonic()
    await asyncio.sleep(seconds)
    after = cpu_seconds(pid)
    if before is None or after is None:
        return None
    return (after - before) / (time.monotonic() - began)


async def _one_database(url: str, offers: int, seconds: float, pool: ProcessPoolExecutor) -> dict[str, Any]:
    key = await _prepare(url)
    port = free_port()
    server = _start_hub(url, port)
    base = f"http://127.0.0.1:{port}"
    try:
        await wait_up(base, server)
        await _seed(base, key, offers)
        await _analyze(url)
        idle = await _idle_cpu(server.pid)
        loop = asyncio.get_running_loop()
        cases: dict[str, Any] = {}
        for case, path in CASES.items():
            cases[case] = await loop.run_in_executor(
                None, _measure, pool, base, key, path, seconds, server.pid, idle
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
            f"one `marketbridge serve` process (uvicorn, worker inside); {CLIENTS} keep-alive "
            f"HTTP/1.1 clients (plain asyncio streams on uvloop) in {CLIENT_PROCESSES} other processes "
            f"on the same machine; {WARMUP_SECONDS:g} s warm-up not counted; latency from request sent "
            "to answer read; the server's CPU time per request from /proc, warm-up included, and the "
            f"same net of the server's CPU while idle (measured for {IDLE_SECONDS:g} s before the "
            "cases: the worker's ticks)"
        ),
        "results": results,
        "target": TARGET,
        "machine": machine(),
    }
