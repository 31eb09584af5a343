"""Credentials never leave the hub: not in any API response, not in any log line, over a whole cycle."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest

from marketbridge.demo.catalog import build_catalog
from marketbridge.demo.shopping import buy, orderable
from marketbridge.demo.world import open_world, wait_for
from marketbridge.runtime.logging import configure
from marketbridge.store.db import Database
from marketbridge.sync.dispatch import JobKind

pytestmark = pytest.mark.reliability


async def test_credentials_appear_in_no_response_and_no_log(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    configure("debug", json=True)
    logging.getLogger().setLevel(logging.DEBUG)
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}")
    async with open_world(build_catalog(products=8, seed=6, bundles=1), db) as world:
        secrets = {v for m in world.markets.values() for v in m.credentials.values() if len(v) >= 6}
        bodies: list[str] = []
        async with httpx.AsyncClient(
            base_url=f"{world.hub_url}/api/v1",
            headers={"Authorization": f"Bearer {world.api_key}"},
            timeout=30,
        ) as api:
            listed = await api.get("/connections")
            assert listed.status_code == 200
            bodies.append(listed.text)
            for item in listed.json()["items"]:
                bodies.append((await api.get(f"/connections/{item['id']}")).text)
                bodies.append((await api.post(f"/connections/{item['id']}/check")).text)
            for kind, market in world.markets.items():
                await buy(world, kind, [(orderable(world, 1)[0], 1)])
                await world.hub.dispatcher.kick(market.connection_id, JobKind.ORDERS)

            async def imported() -> bool:
                return len((await api.get("/orders")).json()["items"]) >= len(world.markets)

            await wait_for(imported, timeout=30)
            for path in ("/orders", "/sync-runs", "/events"):
                answer = await api.get(path)
                assert answer.status_code == 200, (path, answer.text)
                bodies.append(answer.text)
    captured = capfd.readouterr()
    logs = captured.out + captured.err
    assert "push_received" in logs or "scheduler_started" in logs  # the logs were captured at all
    for secret in secrets:
        assert all(secret not in body for body in bodies), "a credential is in an API response"
        assert secret not in logs, "a credential is in the logs"
