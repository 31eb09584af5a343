"""Accounts (tenants), their API keys, and disabling an account without deleting anything."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Row, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from marketbridge.store.crypto import hash_api_key, key_prefix, new_api_key
from marketbridge.store.tables import Account, ApiKey, Connection
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


@dataclass(frozen=True)
class AccountSummary:
    """An account as an operator sees it: never its keys, only how many are active."""

    id: int
    name: str
    created_at: datetime
    disabled_at: datetime | None
    active_keys: int
    connections: int

    @property
    def status(self) -> str:
        return "disabled" if self.disabled_at is not None else "active"


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


async def _active_key(session: AsyncSession, raw: str) -> Row[int, int, str, datetime | None] | None:
    """(key id, account id, scope, the account's disabled_at) of an active (not revoked) key."""
    return (
        await session.execute(
            select(ApiKey.id, ApiKey.account_id, ApiKey.scope, Account.disabled_at)
            .join(Account, Account.id == ApiKey.account_id)
            .where(ApiKey.key_hash == hash_api_key(raw), ApiKey.revoked_at.is_(None))
        )
    ).one_or_none()


async def authenticate(session: AsyncSession, raw: str) -> Principal | None:
    """The caller of an active key of an enabled account; None otherwise (see `key_disabled`)."""
    row = await _active_key(session, raw)
    if row is None or row.disabled_at is not None:
        return None
    return Principal(account_id=row.account_id, key_id=row.id, scope=row.scope)


async def key_disabled(session: AsyncSession, raw: str) -> bool:
    """True when `raw` is an active key whose account is disabled (the caller gets a distinct answer)."""
    row = await _active_key(session, raw)
    return row is not None and row.disabled_at is not None


async def revoke_key(session: AsyncSession, account_id: int, key_id: int) -> bool:
    row = await session.get(ApiKey, key_id)
    if row is None or row.account_id != account_id or row.revoked_at is not None:
        return False
    row.revoked_at = utcnow()
    return True


async def account_by_name(session: AsyncSession, name: str) -> Account | None:
    return (await session.execute(select(Account).where(Account.name == name))).scalar_one_or_none()


async def list_accounts(session: AsyncSession, account_id: int | None = None) -> list[AccountSummary]:
    """Every account (or the one with `account_id`), oldest first, with its key and connection counts."""
    keys = (
        select(ApiKey.account_id, func.count().label("n"))
        .where(ApiKey.revoked_at.is_(None))
        .group_by(ApiKey.account_id)
        .subquery()
    )
    conns = select(Connection.account_id, func.count().label("n")).group_by(Connection.account_id).subquery()
    query = (
        select(Account, func.coalesce(keys.c.n, 0), func.coalesce(conns.c.n, 0))
        .outerjoin(keys, keys.c.account_id == Account.id)
        .outerjoin(conns, conns.c.account_id == Account.id)
        .order_by(Account.id)
    )
    if account_id is not None:
        query = query.where(Account.id == account_id)
    return [
        AccountSummary(a.id, a.name, a.created_at, a.disabled_at, int(k), int(c))
        for a, k, c in (await session.execute(query)).all()
    ]


async def set_disabled(session: AsyncSession, account_id: int, disabled: bool) -> bool:
    """Disable or enable an account; nothing else changes. False when there is no such account.

    Disabling an account that is disabled already keeps its first `disabled_at`.
    """
    account = await session.get(Account, account_id)
    if account is None:
        return False
    if not disabled:
        account.disabled_at = None
    elif account.disabled_at is None:
        account.disabled_at = utcnow()
    return True


async def account_enabled(session: AsyncSession, account_id: int) -> bool:
    disabled = (await session.execute(select(Account.disabled_at).where(Account.id == account_id))).first()
    return disabled is not None and disabled[0] is None
