"""A connection to run jobs on, and reading its sync runs, in tests."""

from __future__ import annotations

from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from marketbridge.channels import registry
from marketbridge.store import accounts
from marketbridge.store.connections import create_connection
from marketbridge.store.crypto import SecretBox
from marketbridge.store.db import Database
from marketbridge.store.tables import Account, Connection, SyncRun


async def shop_with_connection(s: AsyncSession) -> tuple[Account, Connection]:
    """A new account with a connection of the first marketplace, to an address nobody answers on."""
    spec = next(iter(registry.load_all().values()))
    account, _ = await accounts.create_account(s, "shop")
    conn = await create_connection(
        s,
        SecretBox([Fernet.generate_key()]),
        account_id=account.id,
        kind=spec.kind,
        name="c",
        credentials={field: "x" for field in spec.credential_fields},
        base_urls={"default": "http://127.0.0.1:9"},
    )
    return account, conn


async def latest_run(db: Database, connection_id: int, kind: str) -> SyncRun:
    """The newest run of `kind` on the connection (the test fails if there is none)."""
    async with db.session() as s:
        return (
            await s.execute(
                select(SyncRun)
                .where(SyncRun.connection_id == connection_id, SyncRun.kind == kind)
                .order_by(SyncRun.id.desc())
                .limit(1)
            )
        ).scalar_one()
