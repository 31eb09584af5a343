"""Credentials are checked when written (whitespace stripped, control characters refused), and no
error text a seller, a log or a webhook sees ever holds a credential value."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from marketbridge.channels.errors import ChannelError
from marketbridge.store.crypto import SecretBox
from marketbridge.store.db import Database
from marketbridge.store.tables import Connection, Event, SyncRun
from marketbridge.sync.dispatch import JobKind
from marketbridge.sync.jobs import run_job
from tests.api.conftest import ApiEnv, make_hub
from tests.support.servers import ThreadedServer

Marketplace = tuple[str, ThreadedServer, dict[str, str]]


async def test_a_pasted_trailing_newline_is_stripped_and_the_check_passes(
    api: ApiEnv, db: Database, fernet_key: bytes, marketplace: Marketplace
) -> None:
    kind, sandbox, credentials = marketplace
    pasted = {k: f"  {v}\n" for k, v in credentials.items()}
    async with api.client(api.a) as client:
        made = await client.post(
            "/connections", json={"kind": kind, "name": "m", "credentials": pasted, "base_url": sandbox.url}
        )
        assert made.status_code == 201, made.text
        checked = (await client.post(f"/connections/{made.json()['id']}/check")).json()
    assert checked["ok"] is True, checked
    async with db.session() as s:  # the server's hub belongs to the server's event loop
        row = await s.get(Connection, made.json()["id"])
        assert row is not None
        assert SecretBox([fernet_key]).decrypt_json(row.credentials) == credentials


@pytest.mark.parametrize("inside", ["\n", "\t", "\x1b", "\u200b", "\u202e"])
async def test_a_control_character_inside_a_credential_is_refused(
    api: ApiEnv, marketplace: Marketplace, inside: str
) -> None:
    kind, sandbox, credentials = marketplace
    field = sorted(credentials)[0]
    bad = {**credentials, field: "abcd" + inside + "efgh-secret"}
    async with api.client(api.a) as client:
        made = await client.post(
            "/connections", json={"kind": kind, "name": "m", "credentials": bad, "base_url": sandbox.url}
        )
        assert made.status_code == 422, made.text
        assert "efgh-secret" not in made.text
        assert any(
            e["field"].startswith("body.credentials") and field in e["message"] for e in made.json()["errors"]
        ), made.text
        assert (await client.get("/connections")).json()["items"] == []


async def test_no_error_text_holds_a_credential(
    api: ApiEnv, db: Database, fernet_key: bytes, marketplace: Marketplace, capsys: pytest.CaptureFixture[str]
) -> None:
    """A connection saved before credentials were checked (a key with a newline in it): its
    failures are stored, logged and sent as events without the key."""
    kind, sandbox, credentials = marketplace
    leaky = {k: v + "\n" for k, v in credentials.items()}
    hub = make_hub(db, fernet_key)
    async with hub.db.session() as s:
        row = Connection(
            account_id=api.a.account_id,
            kind=kind,
            name="legacy",
            credentials=hub.box.encrypt_json(leaky),
            base_urls={alias: sandbox.url for alias in _aliases(kind)},
            settings={},
            push_secret="p" * 32,
        )
        s.add(row)
        await s.flush()
        conn_id = row.id
    async with api.client(api.a) as client:
        checked = (await client.post(f"/connections/{conn_id}/check")).json()
        detail = (await client.get(f"/connections/{conn_id}")).text
        refused = await client.post(f"/connections/{conn_id}/categories/refresh")  # answered at once
        assert refused.status_code >= 400
    assert checked["ok"] is False and checked["error"]
    with pytest.raises(ChannelError) as raised:
        await run_job(hub, conn_id, JobKind.ORDERS, "test")
    assert any(v.strip() in str(raised.value) for v in leaky.values())  # the raw cause holds it
    async with hub.db.session() as s:
        run = (await s.execute(select(SyncRun).where(SyncRun.connection_id == conn_id))).scalar_one()
        events = [e.data for e in (await s.execute(select(Event))).scalars()]
    await hub.aclose()
    assert run.status == "failed" and run.error
    assert any(e.get("run_id") == run.id for e in events)
    logs = capsys.readouterr().err
    texts = [checked["error"], detail, refused.text, run.error, repr(run.errors), repr(events), logs]
    for value in credentials.values():
        for text in texts:
            assert value not in text
    assert "***" in checked["error"] and "***" in run.error


def _aliases(kind: str) -> tuple[str, ...]:
    from marketbridge.channels import registry

    return registry.get(kind).host_aliases
