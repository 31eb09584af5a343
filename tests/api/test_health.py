"""The hub process: health and metrics over real HTTP, and refusal to start on an unmigrated database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
from cryptography.fernet import Fernet

from marketbridge.app import create_app
from marketbridge.runtime.settings import Settings
from marketbridge.store.crypto import SecretBox
from marketbridge.store.db import Database
from marketbridge.wiring import Hub
from tests.support.servers import serve_app


async def test_healthz_and_metrics(db: Database) -> None:
    hub = Hub(settings=Settings(), db=db, box=SecretBox([Fernet.generate_key()]))
    with serve_app(create_app(hub)) as server:
        async with httpx.AsyncClient(base_url=server.url) as client:
            health = await client.get("/healthz")
            metrics = await client.get("/metrics")
    assert health.status_code == 200
    assert health.json()["status"] == "ok"
    assert health.json()["database"] == db.dialect
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
