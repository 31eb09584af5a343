"""Smaller holes: typed and bounded connection settings, huge cursors, wrong keys counted and
logged, read-only keys seeing no push secret or webhook credentials, push-secret rotation, and
codes with invisible or bidirectional-control characters."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from tests.api.conftest import ApiEnv
from tests.security.conftest import resolver_of
from tests.support.servers import ThreadedServer

Marketplace = tuple[str, ThreadedServer, dict[str, str]]


def _nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(depth):
        value = {"a": value}
    return value


async def _connect(client: httpx.AsyncClient, marketplace: Marketplace, **extra: Any) -> httpx.Response:
    kind, sandbox, credentials = marketplace
    body = {"kind": kind, "name": "main", "credentials": credentials, "base_url": sandbox.url, **extra}
    return await client.post("/connections", json=body)


@pytest.mark.parametrize(
    "settings",
    [
        {"schedule": _nested(500)},
        {"deep": _nested(500)},
        {"unknown_setting": 1},
        {"schedule": {"orders": "soon"}},
        {"schedule": {"orders": -5}},
        {"schedule": {"nope": 5}},
        {"match_by": ["shoe_size"]},
        {"create_missing": {"x": 1}},
        {"schedule": {"orders": 1}, "padding": "x" * 20_000},
    ],
)
async def test_bad_settings_are_refused_before_anything_is_stored(
    api: ApiEnv, marketplace: Marketplace, settings: dict[str, Any]
) -> None:
    async with api.client(api.a) as client:
        made = await _connect(client, marketplace, settings=settings)
        assert made.status_code == 422, made.text
        assert made.json()["code"] in ("invalid_settings", "validation_failed"), made.text
        listed = await client.get("/connections")
        assert listed.status_code == 200 and listed.json()["items"] == []
        good = await _connect(
            client, marketplace, settings={"schedule": {"orders": 30}, "create_missing": False}
        )
        assert good.status_code == 201, good.text
        patched = await client.patch(f"/connections/{good.json()['id']}", json={"settings": settings})
        assert patched.status_code == 422, patched.text
        read = await client.get(f"/connections/{good.json()['id']}")
        assert read.json()["settings"] == {"schedule": {"orders": 30}, "create_missing": False}


async def test_a_huge_cursor_is_a_clear_4xx(api: ApiEnv) -> None:
    past_every_id = base64.urlsafe_b64encode(json.dumps({"after": 10**30}).encode()).decode().rstrip("=")
    async with api.client(api.a) as client:
        for path in ("/connections", "/account/keys", "/events", "/webhooks", "/catalog/offers"):
            answer = await client.get(path, params={"cursor": past_every_id})
            assert answer.status_code == 400 and answer.json()["code"] == "invalid_cursor", (
                path,
                answer.text,
            )
            longer = await client.get(path, params={"cursor": "A" * 20_000})
            assert 400 <= longer.status_code < 500, (path, longer.status_code)


async def test_wrong_api_keys_are_logged_and_slowed_down(
    api: ApiEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    async with httpx.AsyncClient(base_url=api.url + "/api/v1") as guesser:
        statuses = [
            (await guesser.get("/account", headers={"Authorization": f"Bearer mb_guess{i:04d}"})).status_code
            for i in range(21)
        ]
        assert statuses[:20] == [401] * 20 and statuses[20] == 429
        right = await guesser.get("/account", headers={"Authorization": f"Bearer {api.a.key}"})
        assert right.status_code == 429 and int(right.headers["retry-after"]) >= 1
        assert right.json()["code"] == "too_many_failed_attempts"
    logs = capsys.readouterr().err
    assert logs.count('"api_key_refused"') == 20 and "mb_guess0001" not in logs


async def test_read_only_keys_see_no_push_secret_and_no_credentials_in_webhook_urls(
    api: ApiEnv, marketplace: Marketplace
) -> None:
    hook = "https://user:hunter22@hooks.example.com/services/T0/B0/token123?sig=abc"
    async with api.client(api.a) as writer, api.client(api.a, read_only=True) as reader:
        conn = (await _connect(writer, marketplace)).json()
        assert conn["push_url"]
        secret = conn["push_url"].rsplit("/", 1)[1]
        for answer in (await reader.get(f"/connections/{conn['id']}"), await reader.get("/connections")):
            assert answer.status_code == 200 and secret not in answer.text
        assert (await reader.get(f"/connections/{conn['id']}")).json()["push_url"] is None
        assert (await writer.get(f"/connections/{conn['id']}")).json()["push_url"] == conn["push_url"]
        # The name resolves (through the test resolver) to a public address; the subscription is
        # disabled, so nothing is ever sent there.
        resolver_of(api).names["hooks.example.com"] = ["93.184.216.34"]
        body = {"url": hook, "event_types": ["order.created"], "enabled": False}
        sub = (await writer.post("/webhooks", json=body)).json()
        for answer in (await reader.get(f"/webhooks/{sub['id']}"), await reader.get("/webhooks")):
            assert answer.status_code == 200
            assert (
                "hunter22" not in answer.text and "token123" not in answer.text and "sig=" not in answer.text
            )
        assert (await reader.get(f"/webhooks/{sub['id']}")).json()["url"] == "https://hooks.example.com/***"
        assert (await writer.get(f"/webhooks/{sub['id']}")).json()["url"] == hook


async def test_the_push_secret_can_be_rotated(api: ApiEnv, marketplace: Marketplace) -> None:
    async with api.client(api.a) as writer, api.client(api.a, read_only=True) as reader:
        conn = (await _connect(writer, marketplace)).json()
        assert (await reader.post(f"/connections/{conn['id']}/push-secret")).status_code == 403
        rotated = await writer.post(f"/connections/{conn['id']}/push-secret")
        assert rotated.status_code == 200, rotated.text
        assert rotated.json()["push_url"] != conn["push_url"]
        assert (await writer.get(f"/connections/{conn['id']}")).json()["push_url"] == rotated.json()[
            "push_url"
        ]
    async with httpx.AsyncClient(base_url=api.url) as marketplace_side:
        old = await marketplace_side.post(conn["push_url"], content=b"{}")
        new = await marketplace_side.post(rotated.json()["push_url"], content=b"{}")
    assert old.status_code == 404 and new.status_code != 404


@pytest.mark.parametrize(
    "hidden", ["\u200b", "\u202e", "\u2066", "\ufeff", "\u00ad", "\x07", "\ufe0f", "\u3164"]
)
async def test_codes_refuse_invisible_and_bidi_characters(client_a: httpx.AsyncClient, hidden: str) -> None:
    for sku in (f"SKU{hidden}1", f"SK{hidden}U-1"):
        answer = await client_a.post("/catalog/offers/bulk", json={"items": [{"sku": sku}]})
        assert answer.status_code == 422, (repr(sku), answer.text)
    made = await client_a.post("/catalog/offers/bulk", json={"items": [{"sku": "SKU-1"}]})
    assert made.status_code == 200 and made.json()["created"] == 1
    listed = (await client_a.get("/catalog/offers")).json()["items"]
    assert [o["sku"] for o in listed] == ["SKU-1"]
