"""A lost secret key: the hub refuses to start instead of generating a new key over data it
cannot read, and one unreadable webhook secret fails its own delivery, not everybody's."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from marketbridge.model import EventType
from marketbridge.runtime.settings import Settings
from marketbridge.store import accounts, connections
from marketbridge.store.crypto import SecretBox
from marketbridge.store.db import Database
from marketbridge.store.events import emit
from marketbridge.store.keycheck import SecretKeyError, read_report
from marketbridge.store.tables import WebhookDelivery, WebhookSubscription
from marketbridge.sync.webhook_delivery import UNREADABLE_SECRET, RetryPolicy, deliver_due
from marketbridge.wiring import Hub
from tests.api.subscriber import Subscriber
from tests.support.servers import free_port, serve_app

FAST = RetryPolicy(first_delay=0.05, max_delay=0.2, claim_seconds=0.5, timeout=5)


def _cli(var_dir: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """`marketbridge ARGS` in its own process, with only the given MB_ settings."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MB_")}
    clean.update(MB_VAR_DIR=str(var_dir), **env)
    command = [sys.executable, "-m", "marketbridge.cli", *args]
    return subprocess.run(command, env=clean, cwd=var_dir, capture_output=True, text=True, timeout=120)


async def _seal_something(db: Database, box: SecretBox) -> int:
    async with db.session() as s:
        account, _ = await accounts.create_account(s, "shop")
        await connections.create_connection(
            s,
            box,
            account_id=account.id,
            kind="demo",
            name="main",
            credentials={"api_key": "the-api-key-1234"},
            base_urls={"default": "http://127.0.0.1:1"},
        )
        return account.id


async def test_a_hub_refuses_to_start_when_its_key_reads_none_of_the_stored_secrets(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}")
    await db.upgrade()
    await _seal_something(db, SecretBox([Fernet.generate_key()]))
    other = Hub(settings=Settings(var_dir=tmp_path), db=db, box=SecretBox([Fernet.generate_key()]))
    with pytest.raises(SecretKeyError, match="decrypts none of them"):
        await other.check_ready()
    await other.aclose()


def test_serve_refuses_to_start_when_the_key_file_is_gone_and_generates_no_new_key(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path, secret_key=None, database_url=None)
    key_file = tmp_path / "secret.key"

    async def prepare() -> None:
        db = Database(settings.resolved_database_url())
        await db.upgrade()
        await _seal_something(db, SecretBox(settings.fernet_keys()))
        await db.dispose()

    asyncio.run(prepare())
    assert key_file.exists()
    key_file.unlink()  # the key is lost
    done = _cli(tmp_path, {"MB_PORT": str(free_port())}, "serve", "--no-worker")
    assert done.returncode == 2, done.stderr
    assert "decrypts none of them" in done.stderr and "Refusing to start" in done.stderr
    assert not key_file.exists()  # no new key silently put in the lost one's place


async def test_an_unreadable_webhook_secret_fails_only_its_own_delivery(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}")
    await db.upgrade()
    key = Fernet.generate_key()
    hub = Hub(settings=Settings(var_dir=tmp_path), db=db, box=SecretBox([key]))
    stranger = SecretBox([Fernet.generate_key()])
    subscriber = Subscriber()
    with serve_app(subscriber.app()) as sink:
        async with db.session() as s:
            account, _ = await accounts.create_account(s, "shop")
            for sealed in (
                stranger.encrypt_text("whsec_lost-key-0000"),
                hub.box.encrypt_text("whsec_fine-0000"),
            ):
                s.add(
                    WebhookSubscription(
                        account_id=account.id,
                        url=sink.url + "/hook",
                        event_types=[EventType.ORDER_CREATED.value],
                        secret=sealed,
                        enabled=True,
                    )
                )
            await emit(s, account.id, EventType.ORDER_CREATED, {"order_id": 1})
        await hub.check_ready()  # one readable secret: the hub starts
        for _ in range(200):
            await deliver_due(hub, policy=FAST)
            if subscriber.successes:
                break
            await asyncio.sleep(0.02)
        assert len(subscriber.successes) == 1
        async with db.session() as s:
            rows = {d.status: d for d in (await s.execute(select(WebhookDelivery))).scalars()}
    await hub.aclose()
    assert set(rows) == {"delivered", "pending"}
    assert rows["pending"].last_error == UNREADABLE_SECRET and rows["pending"].attempts >= 1


def test_db_reseal_moves_every_secret_to_the_new_key(tmp_path: Path) -> None:
    old, new = Fernet.generate_key(), Fernet.generate_key()
    url = f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"

    async def prepare() -> None:
        db = Database(url)
        await db.upgrade()
        account_id = await _seal_something(db, SecretBox([old]))
        async with db.session() as s:
            s.add(
                WebhookSubscription(
                    account_id=account_id,
                    url="http://127.0.0.1:1/hook",
                    event_types=[EventType.ORDER_CREATED.value],
                    secret=SecretBox([old]).encrypt_text("whsec_rotate-me-0000"),
                    enabled=True,
                )
            )
        await db.dispose()

    asyncio.run(prepare())
    done = _cli(
        tmp_path, {"MB_DATABASE_URL": url, "MB_SECRET_KEY": f"{new.decode()},{old.decode()}"}, "db", "reseal"
    )
    assert done.returncode == 0, done.stderr
    assert "2 of 2 secrets sealed" in done.stdout

    async def check() -> None:
        db = Database(url)
        hub = Hub(settings=Settings(var_dir=tmp_path), db=db, box=SecretBox([new]))
        report = await read_report(db, hub.box)
        assert report.sealed == 2 and report.unreadable == []
        async with db.session() as s:
            sub = (await s.execute(select(WebhookSubscription))).scalar_one()
        assert hub.box.decrypt_text(sub.secret) == "whsec_rotate-me-0000"
        await hub.aclose()

    asyncio.run(check())
