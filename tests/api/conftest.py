"""A hub with two accounts served over real HTTP on loopback, for the seller API tests."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet

from marketbridge.app import create_app
from marketbridge.runtime.settings import Settings, get_settings
from marketbridge.store import accounts
from marketbridge.store.crypto import SecretBox
from marketbridge.store.db import Database
from marketbridge.wiring import Hub
from tests.support.marketplaces import registered_kinds
from tests.support.resolver import StaticResolver
from tests.support.servers import ThreadedServer, serve_app


@dataclass
class Tenant:
    account_id: int
    key: str
    read_key: str

    def headers(self, *, read_only: bool = False) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.read_key if read_only else self.key}"}


@dataclass
class ApiEnv:
    hub: Hub
    server: ThreadedServer
    a: Tenant
    b: Tenant

    @property
    def url(self) -> str:
        return self.server.url

    def client(self, tenant: Tenant, *, read_only: bool = False, timeout: float = 30) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.server.url + "/api/v1", headers=tenant.headers(read_only=read_only), timeout=timeout
        )


def make_hub(db: Database, fernet_key: bytes, settings: Settings | None = None) -> Hub:
    """A hub on the test database; host names resolve only through a fixed table (never DNS)."""
    return Hub(
        settings=settings or Settings(),
        db=Database(db.url),
        box=SecretBox([fernet_key]),
        resolver=StaticResolver(),
    )


async def make_tenant(db: Database, name: str) -> Tenant:
    async with db.session() as s:
        account, key = await accounts.create_account(s, name)
        read_key, _ = await accounts.create_key(s, account.id, "read", name="reader")
    return Tenant(account.id, key, read_key)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh working directory (var/ under it) and secret key; settings are read again for it."""
    for name in [k for k in os.environ if k.startswith("MB_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("MB_SECRET_KEY", Fernet.generate_key().decode())
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


@pytest.fixture
def fernet_key() -> bytes:
    return Fernet.generate_key()


@pytest.fixture
async def tenants(db: Database) -> tuple[Tenant, Tenant]:
    return await make_tenant(db, "shop-a"), await make_tenant(db, "shop-b")


@pytest.fixture
def api(db: Database, tenants: tuple[Tenant, Tenant], fernet_key: bytes) -> Iterator[ApiEnv]:
    hub = make_hub(db, fernet_key)
    with serve_app(create_app(hub)) as server:
        yield ApiEnv(hub, server, *tenants)


@pytest.fixture
async def client_a(api: ApiEnv) -> AsyncIterator[httpx.AsyncClient]:
    async with api.client(api.a) as client:
        yield client


@pytest.fixture
def marketplace() -> Iterator[tuple[str, ThreadedServer, dict[str, str]]]:
    """A real marketplace sandbox on loopback (limits off): (kind, server, credentials)."""
    from marketbridge.sandbox import registry as sandboxes

    kind = registered_kinds()[0]
    spec = sandboxes.get(kind)
    credentials = spec.make_credentials()
    app = spec.create_app(credentials=credentials, demo_data=False, limits=False, push_url=None)
    with serve_app(app) as server:
        yield kind, server, credentials
