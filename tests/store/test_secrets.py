"""Credentials are encrypted at rest and never logged; API keys are stored hashed."""

from __future__ import annotations

import logging

import httpx
import pytest
import respx
import structlog
from cryptography.fernet import Fernet
from sqlalchemy import text

from marketbridge.channels.errors import AuthError
from marketbridge.channels.http import ApiClient
from marketbridge.runtime.logging import configure
from marketbridge.runtime.ratelimit import RateLimit
from marketbridge.store import accounts, connections
from marketbridge.store.crypto import SecretBox, hash_api_key
from marketbridge.store.db import Database
from marketbridge.sync.channel_pool import channel_config

SECRET = "super-secret-api-key-4242"


async def test_credentials_are_encrypted_at_rest(db: Database) -> None:
    box = SecretBox([Fernet.generate_key()])
    async with db.session() as s:
        account, _ = await accounts.create_account(s, "shop")
        row = await connections.create_connection(
            s,
            box,
            account_id=account.id,
            kind="demo",
            name="main",
            credentials={"api_key": SECRET, "client_id": "77"},
            base_urls={"default": "http://127.0.0.1:1"},
        )
        conn_id = row.id
    async with db.engine.connect() as conn:
        raw = (
            await conn.execute(text("SELECT credentials FROM connections WHERE id = :i"), {"i": conn_id})
        ).scalar_one()
        dump = " ".join(str(v) for v in (await conn.execute(text("SELECT * FROM connections"))).one())
    assert SECRET.encode() not in bytes(raw)
    assert SECRET not in dump
    async with db.session() as s:
        loaded = await connections.get_connection(s, account.id, conn_id)
        assert loaded is not None
        assert channel_config(loaded, box).credentials["api_key"] == SECRET
        # another account does not see it
        assert await connections.get_connection(s, account.id + 1000, conn_id) is None


def test_only_configured_keys_decrypt_and_rotation_keeps_old_values() -> None:
    old_key, new_key = Fernet.generate_key(), Fernet.generate_key()
    sealed = SecretBox([old_key]).encrypt_json({"token": SECRET})
    with pytest.raises(ValueError, match="cannot be decrypted"):
        SecretBox([new_key]).decrypt_json(sealed)
    assert SecretBox([new_key, old_key]).decrypt_json(sealed) == {"token": SECRET}
    with pytest.raises(ValueError, match="not a valid Fernet key"):
        SecretBox([b"short"])


async def test_api_keys_are_hashed_scoped_and_revocable(db: Database) -> None:
    async with db.session() as s:
        account, raw = await accounts.create_account(s, "shop")
        ro_raw, ro_key = await accounts.create_key(s, account.id, "read")
    async with db.engine.connect() as conn:
        stored = [r[0] for r in (await conn.execute(text("SELECT key_hash FROM api_keys"))).all()]
    assert raw not in stored and hash_api_key(raw) in stored
    async with db.session() as s:
        who = await accounts.authenticate(s, raw)
        assert who is not None and who.account_id == account.id and who.can_write
        ro = await accounts.authenticate(s, ro_raw)
        assert ro is not None and not ro.can_write
        assert await accounts.authenticate(s, raw + "x") is None
        assert await accounts.revoke_key(s, account.id, ro_key.id)
    async with db.session() as s:
        assert await accounts.authenticate(s, ro_raw) is None


def test_secrets_never_reach_the_logs(capsys: pytest.CaptureFixture[str]) -> None:
    configure("info", json=True)
    log = structlog.get_logger("test")
    log.info("connecting", api_key=SECRET, token=SECRET, credentials={"api_key": SECRET}, channel="demo")
    logging.getLogger("x").info("plain")
    err = capsys.readouterr().err
    assert "connecting" in err
    assert SECRET not in err


async def test_http_client_logs_no_credentials(capsys: pytest.CaptureFixture[str]) -> None:
    configure("debug", json=True)
    with respx.mock(assert_all_called=True) as mock:
        mock.post("http://127.0.0.1:9/v1/x").mock(
            side_effect=[
                httpx.Response(429, headers={"Retry-After": "0"}),
                httpx.Response(403, json={"message": "no"}),
            ]
        )
        client = ApiClient(
            channel="demo",
            hosts={"default": "http://127.0.0.1:9"},
            headers={"Api-Key": SECRET},
            key_prefix="t",
        )
        with pytest.raises(AuthError):
            await client.call("POST", "/v1/x", group="g", limit=RateLimit(100, 1, 10), json={"a": 1})
        await client.aclose()
    err = capsys.readouterr().err
    assert "rate_limited" in err
    assert SECRET not in err
