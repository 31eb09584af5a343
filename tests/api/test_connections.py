"""Connections, keys and the API's conventions: write-only credentials, check against a real sandbox,
scopes, problem+json, Idempotency-Key."""

from __future__ import annotations

from datetime import timedelta

import httpx

from marketbridge.store.db import Database
from marketbridge.store.tables import SyncRun
from marketbridge.store.types import utcnow
from tests.api.conftest import ApiEnv
from tests.support.servers import ThreadedServer

Marketplace = tuple[str, ThreadedServer, dict[str, str]]


async def test_connection_lifecycle_with_a_real_sandbox(api: ApiEnv, marketplace: Marketplace) -> None:
    kind, sandbox, credentials = marketplace
    async with api.client(api.a) as client:
        kinds = (await client.get("/channels")).json()
        assert kind in [k["kind"] for k in kinds]
        made = await client.post(
            "/connections",
            json={"kind": kind, "name": "main", "credentials": credentials, "base_url": sandbox.url},
        )
        assert made.status_code == 201, made.text
        conn = made.json()
        assert "credentials" not in conn and sorted(conn["credential_fields_set"]) == sorted(credentials)
        assert set(conn["base_urls"].values()) == {sandbox.url}
        assert all(v not in made.text for v in credentials.values())
        assert conn["push_url"].startswith(f"/push/{kind}/{conn['id']}/")

        checked = (await client.post(f"/connections/{conn['id']}/check")).json()
        assert checked["ok"] is True and checked["error"] is None
        assert (await client.get(f"/connections/{conn['id']}")).json()["last_check_at"] is not None

        wrong = {k: "wrong-" + v for k, v in credentials.items()}
        patched = await client.patch(f"/connections/{conn['id']}", json={"credentials": wrong})
        assert patched.status_code == 200 and "wrong-" not in patched.text
        failed = (await client.post(f"/connections/{conn['id']}/check")).json()
        assert failed["ok"] is False and failed["error"]
        assert (await client.get(f"/connections/{conn['id']}")).json()["last_check_error"] == failed["error"]

        again = await client.post(
            "/connections",
            json={"kind": kind, "name": "main", "credentials": credentials, "base_url": sandbox.url},
        )
        assert again.status_code == 409 and again.json()["code"] == "name_taken"
        listed = (await client.get("/connections")).json()
        assert [c["id"] for c in listed["items"]] == [conn["id"]] and listed["next_cursor"] is None
        sync = await client.post(f"/connections/{conn['id']}/sync", json={"kind": "orders"})
        assert sync.status_code == 202

        async with api.client(api.b) as other:
            assert (await other.get(f"/connections/{conn['id']}")).status_code == 404
            assert (await other.get("/connections")).json()["items"] == []

        assert (await client.delete(f"/connections/{conn['id']}")).status_code == 204
        assert (await client.get(f"/connections/{conn['id']}")).status_code == 404


async def test_incomplete_connections_are_refused_with_field_errors(
    api: ApiEnv, marketplace: Marketplace
) -> None:
    kind, _, _ = marketplace
    async with api.client(api.a) as client:
        unknown = await client.post("/connections", json={"kind": "nope", "name": "x", "credentials": {}})
        assert unknown.status_code == 422 and unknown.json()["code"] == "unknown_channel_kind"
        missing = await client.post("/connections", json={"kind": kind, "name": "x", "credentials": {}})
        assert missing.status_code == 422
        fields = {e["field"] for e in missing.json()["errors"]}
        assert any(f.startswith("body.credentials.") for f in fields)
        assert any(f.startswith("body.base_urls.") for f in fields)
        bad_url = await client.post(
            "/connections", json={"kind": kind, "name": "x", "credentials": {}, "base_url": "ftp://x"}
        )
        assert bad_url.status_code == 422 and bad_url.json()["errors"][0]["field"] == "body.base_url"


async def test_keys_scopes_and_errors(api: ApiEnv) -> None:
    async with httpx.AsyncClient(base_url=api.url) as anon:
        none = await anon.get("/api/v1/account")
        assert none.status_code == 401 and none.headers["content-type"] == "application/problem+json"
        assert none.json()["code"] == "unauthorized"
        bad = await anon.get("/api/v1/account", headers={"Authorization": "Bearer mb_nope"})
        assert bad.status_code == 401 and bad.json()["code"] == "invalid_api_key"
        lost = await anon.get("/api/v1/no/such/route")
        assert lost.status_code == 404 and lost.json()["code"] == "not_found"
    async with api.client(api.a, read_only=True) as reader:
        assert (await reader.get("/account")).json()["scope"] == "read"
        refused = await reader.post("/warehouses", json={"code": "W1", "name": "Main"})
        assert refused.status_code == 403 and refused.json()["code"] == "read_only_key"
    async with api.client(api.a) as client:
        made = (await client.post("/account/keys", json={"name": "erp", "scope": "read"})).json()
        assert made["key"].startswith("mb_") and made["scope"] == "read"
        keys = (await client.get("/account/keys")).json()["items"]
        assert made["id"] in [k["id"] for k in keys] and all("key" not in k for k in keys)
        async with httpx.AsyncClient(
            base_url=api.url + "/api/v1", headers={"Authorization": f"Bearer {made['key']}"}
        ) as new:
            assert (await new.get("/account")).status_code == 200
            assert (await client.delete(f"/account/keys/{made['id']}")).status_code == 204
            assert (await new.get("/account")).status_code == 401
        invalid = await client.get("/catalog/offers", params={"limit": 0})
        assert invalid.status_code == 422 and invalid.json()["errors"][0]["field"] == "query.limit"
    async with api.client(api.b) as other:
        assert (await other.delete(f"/account/keys/{made['id']}")).status_code == 404


async def test_idempotency_key_replays_and_refuses_reuse(api: ApiEnv) -> None:
    async with api.client(api.a) as client:
        headers = {"Idempotency-Key": "wh-1"}
        first = await client.post("/warehouses", json={"code": "W1", "name": "Main"}, headers=headers)
        second = await client.post("/warehouses", json={"code": "W1", "name": "Main"}, headers=headers)
        assert first.status_code == second.status_code == 201
        assert first.json() == second.json()
        assert second.headers.get("idempotent-replayed") == "true"
        reused = await client.post("/warehouses", json={"code": "W2", "name": "Other"}, headers=headers)
        assert reused.status_code == 409 and reused.json()["code"] == "idempotency_key_reused"
        listed = (await client.get("/warehouses")).json()["items"]
        assert [w["code"] for w in listed] == ["W1"]
        plain = await client.post("/warehouses", json={"code": "W1", "name": "Main"})
        assert plain.status_code == 409 and plain.json()["code"] == "code_taken"
    async with api.client(api.b) as other:  # keys are per account
        own = await other.post(
            "/warehouses", json={"code": "W9", "name": "B"}, headers={"Idempotency-Key": "wh-1"}
        )
        assert own.status_code == 201 and own.json()["code"] == "W9"


async def test_checks_clear_errors_and_mappings_name_real_warehouses(
    api: ApiEnv, marketplace: Marketplace, db: Database
) -> None:
    kind, sandbox, credentials = marketplace
    async with httpx.AsyncClient(base_url=sandbox.url) as control:
        seeded = await control.post(
            "/_sandbox/seed", json={"warehouses": [{"id": "7001", "name": "Main"}], "offers": []}
        )
        assert seeded.status_code == 200, seeded.text
    wrong = {k: "wrong-" + v for k, v in credentials.items()}
    body = {"kind": kind, "base_url": sandbox.url}
    async with api.client(api.a) as client:
        made = await client.post(
            "/connections", json={**body, "name": "a", "credentials": wrong, "check": True}
        )
        assert made.status_code == 201, made.text
        conn = made.json()
        assert conn["credentials_checked"] is True and conn["last_check_error"]
        unchecked = await client.post("/connections", json={**body, "name": "b", "credentials": credentials})
        assert unchecked.json()["credentials_checked"] is False

        async with db.session() as s:  # a run that failed while the credentials were wrong
            s.add(
                SyncRun(
                    account_id=api.a.account_id,
                    connection_id=conn["id"],
                    kind="orders",
                    status="failed",
                    started_at=utcnow() - timedelta(minutes=1),
                    error="auth_failed",
                )
            )
        await client.patch(
            f"/connections/{conn['id']}", json={"credentials": credentials, "base_url": sandbox.url}
        )
        checked = (await client.post(f"/connections/{conn['id']}/check")).json()
        assert checked["ok"] is True and checked["retried"] == ["orders"]
        assert (await client.get(f"/connections/{conn['id']}")).json()["last_check_error"] is None

        assert (await client.post("/warehouses", json={"code": "W1", "name": "W1"})).status_code == 201
        remote = [
            w["external_id"]
            for w in (await client.get(f"/connections/{conn['id']}/remote-warehouses")).json()
        ]
        assert remote
        path = f"/connections/{conn['id']}/warehouse-mappings"
        bad = await client.put(
            path,
            json={
                "items": [
                    {"warehouse": "W1", "external_warehouse_id": remote[0]},
                    {"warehouse": "W1", "external_warehouse_id": "404404404"},
                ]
            },
        )
        assert bad.status_code == 422 and bad.json()["code"] == "unknown_marketplace_warehouse", bad.text
        assert [e["index"] for e in bad.json()["errors"]] == [1]
        assert (await client.get(path)).json()["items"] == []
        good = await client.put(
            path, json={"items": [{"warehouse": "W1", "external_warehouse_id": remote[0]}]}
        )
        assert good.status_code == 200, good.text
