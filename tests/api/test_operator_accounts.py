"""Disabling a tenant: the operator API and its token, the disabled account's keys (403, distinct
code), its push receivers refused, its connections not synced — and nothing deleted on the way."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import func, select

from marketbridge.app import create_app
from marketbridge.demo.catalog import build_catalog
from marketbridge.demo.world import open_world
from marketbridge.runtime.settings import Settings
from marketbridge.store import accounts
from marketbridge.store.db import Database
from marketbridge.store.tables import ApiKey, Connection, SyncRun
from marketbridge.sync.dispatch import JobKind
from marketbridge.sync.jobs import run_job
from tests.api.conftest import ApiEnv, Tenant, make_hub
from tests.support.servers import serve_app

TOKEN = "op-" + "x" * 40


@pytest.fixture
def operated(db: Database, tenants: tuple[Tenant, Tenant], fernet_key: bytes) -> Iterator[ApiEnv]:
    hub = make_hub(db, fernet_key, Settings(operator_token=TOKEN))
    with serve_app(create_app(hub)) as server:
        yield ApiEnv(hub, server, *tenants)


def _operator(env: ApiEnv, token: str = TOKEN) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=env.url + "/operator/v1", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


async def test_the_operator_api_needs_its_token(operated: ApiEnv) -> None:
    async with _operator(operated, "wrong-" + "y" * 40) as wrong:
        refused = await wrong.get("/accounts")
    assert refused.status_code == 401 and refused.json()["code"] == "invalid_operator_token"
    async with httpx.AsyncClient(base_url=operated.url, headers=operated.a.headers()) as seller:
        as_seller = await seller.get("/operator/v1/accounts")
        assert as_seller.status_code == 401  # a seller's key is no operator token
        nothing = await seller.get("/operator/v1/accounts", headers={"Authorization": ""})
        assert nothing.status_code == 401


async def test_without_a_token_setting_the_operator_api_does_not_exist(api: ApiEnv) -> None:
    async with _operator(api) as op:
        answer = await op.get("/accounts")
    assert answer.status_code == 404


async def test_a_disabled_account_keys_get_403_and_enabling_restores_them(
    operated: ApiEnv, db: Database
) -> None:
    a, b = operated.a, operated.b
    async with _operator(operated) as op, operated.client(a) as client_a, operated.client(b) as client_b:
        listed = (await op.get("/accounts")).json()
        assert [(x["id"], x["status"], x["active_keys"]) for x in listed] == [
            (a.account_id, "active", 2),
            (b.account_id, "active", 2),
        ]
        assert (await client_a.get("/account")).status_code == 200
        off = await op.post(f"/accounts/{a.account_id}/disable")
        assert off.status_code == 200 and off.json()["status"] == "disabled"
        for attempt in (
            await client_a.get("/account"),
            await client_a.post("/catalog/products/bulk", json={"items": []}),
        ):
            assert attempt.status_code == 403, attempt.text
            assert attempt.json()["code"] == "account_disabled"
        async with operated.client(a, read_only=True) as reader:
            assert (await reader.get("/account")).json()["code"] == "account_disabled"
        assert (await client_b.get("/account")).status_code == 200  # the other tenant is untouched
        assert (await op.get(f"/accounts/{a.account_id}")).json()["status"] == "disabled"
        assert (await op.post("/accounts/999999/disable")).status_code == 404
        on = await op.post(f"/accounts/{a.account_id}/enable")
        assert on.status_code == 200 and on.json()["disabled_at"] is None
        assert (await client_a.get("/account")).status_code == 200
    async with db.session() as s:  # the server's hub has its own pool, in its own loop
        keys = (await s.execute(select(func.count()).select_from(ApiKey))).scalar_one()
    assert keys == 4  # nothing was deleted or revoked


async def test_a_disabled_account_is_not_synced_and_its_pushes_are_refused(db: Database) -> None:
    catalog = build_catalog(products=10, seed=5, bundles=0)
    async with open_world(catalog, db, start_worker=False, import_catalog=False) as world:
        async with world.hub.db.session() as s:
            assert await accounts.set_disabled(s, world.account_id, True)
            conns = list((await s.execute(select(Connection))).scalars())
            runs_before = (await s.execute(select(func.count()).select_from(SyncRun))).scalar_one()
        for conn in conns:
            for kind in JobKind:
                assert await run_job(world.hub, conn.id, kind, trigger="manual")
            assert world.hub_url
            async with httpx.AsyncClient(timeout=30) as client:
                push = await client.post(
                    f"{world.hub_url}/push/{conn.kind}/{conn.id}/{conn.push_secret}", content=b"{}"
                )
            assert push.status_code == 403 and push.json()["code"] == "account_disabled"
        async with world.hub.db.session() as s:
            runs_while_disabled = (await s.execute(select(func.count()).select_from(SyncRun))).scalar_one()
            assert await accounts.set_disabled(s, world.account_id, False)
        assert runs_while_disabled == runs_before
        await world.run(conns[0].id, JobKind.ORDERS)
        async with world.hub.db.session() as s:
            runs_after = (await s.execute(select(func.count()).select_from(SyncRun))).scalar_one()
        assert runs_after == runs_before + 1
