"""A connection's base URLs: only the marketplace's own hosts (loopback with the development
setting), new URLs only with the credentials entered again, checked again before every use,
and a remote error body never repeated verbatim to the tenant."""

from __future__ import annotations

import json

from marketbridge.channels import registry
from tests.security.conftest import HubFactory, Recorder
from tests.support.servers import ThreadedServer, serve_app

Marketplace = tuple[str, ThreadedServer, dict[str, str]]


def _new(kind: str, credentials: dict[str, str], **urls: object) -> dict[str, object]:
    return {"kind": kind, "name": "main", "credentials": credentials, **urls}


async def test_production_connections_use_only_the_marketplace_hosts(
    hub_with: HubFactory, marketplace: Marketplace
) -> None:
    kind, sandbox, credentials = marketplace
    spec = registry.get(kind)
    own = spec.default_hosts
    some_alias, some_url = sorted(own.items())[0]
    with hub_with(allow_loopback_targets=False) as env:
        async with env.client(env.a) as client:
            for refused in (
                {"base_url": sandbox.url},
                {"base_url": "https://evil.example"},
                {"base_url": "http://2130706433:8080"},
                {"base_urls": {**own, some_alias: some_url.replace("https://", "http://")}},
                {"base_urls": {**own, some_alias: some_url + ":8443"}},
                {"base_urls": {**own, some_alias: some_url.replace("://", "://user@")}},
            ):
                made = await client.post("/connections", json=_new(kind, credentials, **refused))
                assert made.status_code == 422, (refused, made.text)
                assert made.json()["code"] == "base_url_not_allowed", refused
                assert made.json()["errors"][0]["field"].startswith("body.base_urls.")
            assert (await client.get("/connections")).json()["items"] == []

            made = await client.post("/connections", json=_new(kind, credentials, base_urls=own))
            assert made.status_code == 201, made.text
            moved = await client.patch(
                f"/connections/{made.json()['id']}",
                json={"base_url": sandbox.url, "credentials": credentials},
            )
            assert moved.status_code == 422 and moved.json()["code"] == "base_url_not_allowed"


async def test_new_base_urls_need_the_credentials_again(
    hub_with: HubFactory, marketplace: Marketplace
) -> None:
    kind, sandbox, credentials = marketplace
    attacker = Recorder()
    with serve_app(attacker.app()) as capture, hub_with(allow_loopback_targets=True) as env:
        async with env.client(env.a) as client:
            made = await client.post("/connections", json=_new(kind, credentials, base_url=sandbox.url))
            assert made.status_code == 201, made.text
            conn = made.json()["id"]

            moved = await client.patch(f"/connections/{conn}", json={"base_url": capture.url})
            assert moved.status_code == 422, moved.text
            assert moved.json()["code"] == "credentials_required"
            assert moved.json()["errors"][0]["field"] == "body.credentials"
            assert set((await client.get(f"/connections/{conn}")).json()["base_urls"].values()) == {
                sandbox.url
            }
            assert (await client.post(f"/connections/{conn}/check")).json()["ok"] is True
            assert attacker.seen == []

            theirs = {field: f"typed-again-{n}" for n, field in enumerate(credentials)}
            moved = await client.patch(
                f"/connections/{conn}", json={"base_url": capture.url, "credentials": theirs}
            )
            assert moved.status_code == 200, moved.text
            await client.post(f"/connections/{conn}/check")
        assert attacker.seen, "the check went to the new URL"
        sent = json.dumps([headers for _, _, headers in attacker.seen])
        assert all(value not in sent for value in credentials.values())  # the saved ones never left


async def test_a_stored_base_url_is_checked_again_before_use(
    hub_with: HubFactory, marketplace: Marketplace
) -> None:
    kind, _, credentials = marketplace
    elsewhere = Recorder()
    with serve_app(elsewhere.app()) as capture:
        with hub_with(allow_loopback_targets=True) as dev:  # written while loopback was allowed
            async with dev.client(dev.a) as client:
                made = await client.post("/connections", json=_new(kind, credentials, base_url=capture.url))
                assert made.status_code == 201, made.text
                conn = made.json()["id"]
        with hub_with(allow_loopback_targets=False) as production:
            async with production.client(production.a) as client:
                checked = (await client.post(f"/connections/{conn}/check")).json()
    assert checked["ok"] is False and checked["error"].startswith("base_url_not_allowed"), checked
    assert elsewhere.seen == []


async def test_remote_error_bodies_are_not_repeated_verbatim(
    hub_with: HubFactory, marketplace: Marketplace
) -> None:
    kind, _, credentials = marketplace
    noisy = {"code": "E" * 500, "message": "first line\nsecond\x1b[31m line\u202e " + "A" * 5000}
    remote = Recorder(status=400, body=json.dumps(noisy).encode())
    with serve_app(remote.app()) as server, hub_with(allow_loopback_targets=True) as env:
        async with env.client(env.a) as client:
            made = await client.post("/connections", json=_new(kind, credentials, base_url=server.url))
            assert made.status_code == 201, made.text
            conn = made.json()["id"]
            checked = (await client.post(f"/connections/{conn}/check")).json()
            error = checked["error"]
            assert checked["ok"] is False and error and remote.seen
            assert "first line second" in error  # a summary of what the marketplace said...
            assert len(error) < 500 and "A" * 300 not in error and "E" * 100 not in error  # ...a short one
            assert not any(c in error for c in "\n\x1b\u202e")

            remote.status, remote.media_type = 403, "text/html"
            remote.body = b"<html><body>internal admin page: SECRET-INTERNAL-TOKEN</body></html>"
            checked = (await client.post(f"/connections/{conn}/check")).json()
            assert checked["ok"] is False and "SECRET-INTERNAL-TOKEN" not in checked["error"]
            assert "SECRET" not in (await client.get(f"/connections/{conn}")).text
