"""The hub process: health and metrics over real HTTP, and refusal to start on an unmigrated database."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import event

from marketbridge.api.app import create_api_app
from marketbridge.app import create_app
from marketbridge.runtime.queue import KickQueue, make_broker
from marketbridge.runtime.serving import free_port
from marketbridge.runtime.settings import Settings
from marketbridge.store import accounts, leases
from marketbridge.store.crypto import SecretBox
from marketbridge.store.db import Database
from marketbridge.wiring import Hub
from tests.conftest import redis_url
from tests.support.servers import serve_app


async def test_livez_makes_no_database_round_trip(db: Database) -> None:
    hub = Hub(settings=Settings(), db=db, box=SecretBox([Fernet.generate_key()]))
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(statement)

    engine = db.engine.sync_engine
    with serve_app(create_app(hub)) as server:
        async with httpx.AsyncClient(base_url=server.url) as client:
            await client.get("/healthz")  # start-up and the first health check are done
            event.listen(engine, "before_cursor_execute", seen)
            try:
                live = await client.get("/livez")
            finally:
                event.remove(engine, "before_cursor_execute", seen)
            metrics = await client.get("/metrics")
    assert statements == []
    assert live.status_code == 200
    assert live.json() == {"status": "ok"}
    assert 'mb_http_requests_total{method="GET",route="/livez",status="200"}' in metrics.text


async def test_healthz_and_metrics(db: Database) -> None:
    hub = Hub(settings=Settings(), db=db, box=SecretBox([Fernet.generate_key()]))
    with serve_app(create_app(hub)) as server:
        async with httpx.AsyncClient(base_url=server.url) as client:
            health = await client.get("/healthz")
            metrics = await client.get("/metrics")
    assert health.status_code == 200
    assert health.json()["status"] == "ok"
    assert health.json()["database"]["dialect"] == db.dialect
    assert metrics.status_code == 200
    assert 'mb_http_requests_total{method="GET",route="/healthz",status="200"}' in metrics.text


def _cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MB_")}
    env["MB_SECRET_KEY"] = Fernet.generate_key().decode()
    return subprocess.run(
        [sys.executable, "-m", "marketbridge.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_serve_refuses_an_unmigrated_database_then_upgrade_fixes_it(tmp_path: Path) -> None:
    refused = _cli(["serve", "--port", "1"], tmp_path)
    assert refused.returncode == 2
    assert "marketbridge db upgrade" in refused.stderr
    upgraded = _cli(["db", "upgrade"], tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "revision" in upgraded.stdout
    created = _cli(["account", "create", "shop"], tmp_path)
    assert created.returncode == 0, created.stderr
    assert "mb_" in created.stdout
    again = _cli(["account", "create", "shop"], tmp_path)
    assert again.returncode == 1 and "exists already" in again.stderr


def test_help_lists_every_command(tmp_path: Path) -> None:
    out = _cli(["--help"], tmp_path)
    assert out.returncode == 0
    for command in ("serve", "db", "account", "sandbox"):
        assert command in out.stdout


def _redis_hub(db: Database, redis_url: str) -> Hub:
    """A hub whose kick queue and health check use `redis_url` (rate limits in memory)."""
    return Hub(
        settings=Settings(redis_url=redis_url),
        db=Database(db.url),
        box=SecretBox([Fernet.generate_key()]),
        queue=KickQueue(make_broker(redis_url)),
    )


async def _wait_for_redis(url: str, up: bool) -> None:
    """Poll until a PING to `url` answers (up) or fails (down)."""
    from redis.asyncio import Redis

    async def answers() -> bool:
        client = Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        try:
            return bool(await client.ping())
        except Exception:
            return False
        finally:
            await client.aclose()

    for _ in range(200):
        if await answers() == up:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"Redis at {url} did not come {'up' if up else 'down'}")


async def test_stock_written_after_redis_stopped_answers_success(db: Database, tmp_path: Path) -> None:
    """A Redis the hub was using is stopped: writes still succeed, the failed kick is only logged."""
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    args = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    server = await asyncio.create_subprocess_exec(*args, "--dir", str(tmp_path), stdout=subprocess.DEVNULL)
    try:
        await _wait_for_redis(url, up=True)
        hub = _redis_hub(db, url)
        async with db.session() as s:
            _, key = await accounts.create_account(s, "shop")
        with serve_app(create_app(hub)) as app_server:
            headers = {"Authorization": f"Bearer {key}"}
            async with httpx.AsyncClient(base_url=app_server.url, headers=headers, timeout=30) as client:
                await client.post("/api/v1/catalog/offers/bulk", json={"items": [{"sku": "A"}]})
                await client.post("/api/v1/warehouses", json={"code": "W1", "name": "W1"})
                item = {"offer_sku": "A", "warehouse": "W1", "on_hand": 3}
                first = await client.post("/api/v1/stocks/bulk", json={"items": [item]})
                assert first.status_code == 200, first.text
                assert (await client.get("/healthz")).json()["redis"]["ok"] is True
                server.terminate()
                await asyncio.wait_for(server.wait(), 30)
                await _wait_for_redis(url, up=False)
                second = await client.post("/api/v1/stocks/bulk", json={"items": [{**item, "on_hand": 9}]})
                stocks = (await client.get("/api/v1/stocks")).json()["items"]
                health = await client.get("/healthz")
    finally:
        if server.returncode is None:
            server.kill()
            await asyncio.wait_for(server.wait(), 30)
    assert second.status_code == 200, second.text
    assert [s["on_hand"] for s in stocks] == [9]
    assert health.status_code == 200 and health.json()["status"] == "degraded"


async def test_stock_written_while_redis_is_down_answers_success(db: Database) -> None:
    closed = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there: the queue is down
    hub = _redis_hub(db, closed)
    async with db.session() as s:
        _, key = await accounts.create_account(s, "shop")
    with serve_app(create_app(hub)) as server:
        headers = {"Authorization": f"Bearer {key}"}
        async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=30) as client:
            await client.post("/api/v1/catalog/offers/bulk", json={"items": [{"sku": "A"}]})
            await client.post("/api/v1/warehouses", json={"code": "W1", "name": "W1"})
            written = await client.post(
                "/api/v1/stocks/bulk", json={"items": [{"offer_sku": "A", "warehouse": "W1", "on_hand": 7}]}
            )
            stocks = (await client.get("/api/v1/stocks")).json()["items"]
            health = await client.get("/healthz")
            ready = await client.get("/readyz")
    assert written.status_code == 200, written.text
    assert [s["on_hand"] for s in stocks] == [7]
    assert health.status_code == 200
    assert health.json()["database"]["ok"] is True
    assert health.json()["redis"]["ok"] is False
    assert health.json()["status"] == "degraded"
    assert ready.status_code == 200  # the database serves: requests are answered


async def test_healthz_reports_redis_and_the_worker_heartbeat(db: Database) -> None:
    url = redis_url()
    if not url:
        pytest.skip("MB_TEST_REDIS_URL is not set: the Redis case needs scripts/test-services.sh")
    hub = _redis_hub(db, url)
    with serve_app(create_app(hub)) as server:
        async with httpx.AsyncClient(base_url=server.url) as client:
            before = (await client.get("/healthz")).json()
            await leases.beat(db, "worker-test")
            after = (await client.get("/healthz")).json()
    assert before["redis"]["ok"] is True
    assert before["status"] == "ok"
    assert after["worker"]["heartbeat_age_seconds"] is not None
    assert 0 <= after["worker"]["heartbeat_age_seconds"] < 300


async def test_readyz_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    hub = Hub(settings=Settings(), db=db, box=SecretBox([Fernet.generate_key()]))
    app = create_api_app(hub)  # no lifespan check: the process serves, the balancer must not send
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub") as client:
        ready = await client.get("/readyz")
        health = await client.get("/healthz")
    await db.dispose()
    assert ready.status_code == 503
    assert ready.json()["ready"] is False
    assert "db upgrade" in ready.json()["database"]["error"]
    assert health.status_code == 200  # alive: the database answers, only the schema is behind
    assert health.json()["database"]["migrated"] is False
