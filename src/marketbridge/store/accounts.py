"""Accounts (tenants) and their API keys."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from marketbridge.store.crypto import hash_api_key, key_prefix, new_api_key
from marketbridge.store.tables import Account, ApiKey
from marketbridge.store.types import utcnow

SCOPES = ("read", "write")


@dataclass(frozen=True)
class Principal:
    """Who is calling: the account and what the key allows."""

    account_id: int
    key_id: int
    scope: str

    @property
    def can_write(self) -> bool:
        return self.scope == "write"


async def create_account(session: AsyncSession, name: str) -> tuple[Account, str]:
    """A new account with one read-write key; the raw key is returned once and never stored."""
    account = Account(name=name)
    session.add(account)
    await session.flush()
    raw, _ = await create_key(session, account.id, "write", name="initial")
    return account, raw


async def create_key(
    session: AsyncSession, account_id: int, scope: str, name: str = ""
) -> tuple[str, ApiKey]:
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {', '.join(SCOPES)}")
    raw = new_api_key()
    key = ApiKey(
        account_id=account_id, scope=scope, name=name, prefix=key_prefix(raw), key_hash=hash_api_key(raw)
    )
    session.add(key)
    await session.flush()
    return raw, key


async def authenticate(session: AsyncSession, raw: str) -> Principal | None:
    row = (
        await session.execute(
            select(ApiKey).where(ApiKey.key_hash == hash_api_key(raw), ApiKey.revoked_at.is_(None))
        )
    ).scalar_one_or_none()
    if row is None:
        return None
    return Principal(account_id=row.account_id, key_id=row.id, scope=row.scope)


async def revoke_key(session: AsyncSession, account_id: int, key_id: int) -> bool:
    row = await session.get(ApiKey, key_id)
    if row is None or row.account_id != account_id or row.revoked_at is not None:
        return False
    row.revoked_at = utcnow()
    return True


async def account_by_name(session: AsyncSession, name: str) -> Account | None:
    return (await session.execute(select(Account).where(Account.name == name))).scalar_one_or_none()
