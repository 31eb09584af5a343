"""A key found valid is remembered briefly; revoking or disabling still stops it at once in this
process, and a change made elsewhere (another process, straight in the database) within seconds."""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import update

from marketbridge.store.db import Database
from marketbridge.store.tables import Account, ApiKey
from marketbridge.store.types import utcnow
from tests.api.conftest import ApiEnv

DEADLINE = 30.0


async def _status_becomes(api: ApiEnv, key: str, status: int) -> bool:
    """Whether `GET /account` with `key` answers `status` before DEADLINE (polled)."""
    deadline = time.monotonic() + DEADLINE
    async with api.client(api.a) as client:
        while time.monotonic() < deadline:
            answer = await client.get("/account", headers={"Authorization": f"Bearer {key}"})
            if answer.status_code == status:
                return True
            await asyncio.sleep(0.1)
    return False


async def test_a_revoked_key_stops_at_the_next_request(api: ApiEnv) -> None:
    async with api.client(api.a) as client:
        made = await client.post("/account/keys", json={"scope": "read", "name": "erp"})
        key, key_id = made.json()["key"], made.json()["id"]
        erp = {"Authorization": f"Bearer {key}"}
        assert (await client.get("/account", headers=erp)).status_code == 200  # now remembered
        assert (await client.delete(f"/account/keys/{key_id}")).status_code == 204
        refused = await client.get("/account", headers=erp)
    assert refused.status_code == 401
    assert refused.json()["code"] == "invalid_api_key"


async def test_a_key_revoked_by_another_process_stops_within_seconds(api: ApiEnv, db: Database) -> None:
    async with api.client(api.a) as client:
        assert (await client.get("/account")).status_code == 200  # now remembered
    async with db.session() as s:  # as another process would: the serving process is not told
        await s.execute(
            update(ApiKey).where(ApiKey.account_id == api.a.account_id).values(revoked_at=utcnow())
        )
    assert await _status_becomes(api, api.a.key, 401)


async def test_an_account_disabled_by_another_process_stops_within_seconds(api: ApiEnv, db: Database) -> None:
    async with api.client(api.a) as client:
        assert (await client.get("/account")).status_code == 200
    async with db.session() as s:
        await s.execute(update(Account).where(Account.id == api.a.account_id).values(disabled_at=utcnow()))
    assert await _status_becomes(api, api.a.key, 403)
    async with api.client(api.b) as other:
        assert (await other.get("/account")).status_code == 200  # the other tenant is untouched
