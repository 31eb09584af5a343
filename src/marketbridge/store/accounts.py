"""Accounts (tenants), their API keys, and disabling an account without deleting anything.

A key found valid is remembered for KEY_CACHE_SECONDS (`verify`), so a busy client does not
cost a database look-up per request. Revoking a key or disabling an account forgets every
remembered key of this process once the change is committed (and a look-up that was under way
meanwhile is not remembered, nor joined by later requests), so there it takes effect at once;
other processes notice within KEY_CACHE_SECONDS. Requests that miss the memory at the same
time (a busy client whose entry just expired) share one look-up.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Row, event, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from marketbridge.runtime.lru import LruDict
from marketbridge.store.crypto import hash_api_key, key_prefix, new_api_key
from marketbridge.store.db import Database, outermost_commit
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


#: Seconds a key found valid is trusted without a database look-up.
KEY_CACHE_SECONDS = 2.0


class _VerifiedKeys:
    """Principals of recently verified keys, by database and key hash, each with its expiry."""

    def __init__(self, at_most: int = 10_000) -> None:
        self._found: LruDict[tuple[str, str], tuple[float, Principal]] = LruDict(at_most)
        #: Bumped by every forgetting: a look-up begun before it is not remembered.
        self.generation = 0
        #: Look-ups under way, by event loop, database and key hash: the requests that find a
        #: busy client's entry just expired wait for one look-up instead of each making its own.
        self.under_way: dict[tuple[int, str, str], asyncio.Future[Principal | None]] = {}

    def get(self, where: tuple[str, str]) -> Principal | None:
        hit = self._found.get(where)
        if hit is None or hit[0] < time.monotonic():
            return None
        return hit[1]

    def remember(self, where: tuple[str, str], principal: Principal, generation: int) -> None:
        if generation == self.generation:
            self._found[where] = (time.monotonic() + KEY_CACHE_SECONDS, principal)

    def forget_all(self, *_: object) -> None:
        self.generation += 1
        self._found.clear()
        self.under_way.clear()  # a request from now on looks again


_verified = _VerifiedKeys()


async def verify(db: Database, raw: str) -> Principal | None:
    """`authenticate` in a read-only session, remembered for KEY_CACHE_SECONDS when valid;
    concurrent requests with the same key share one look-up."""
    where = (db.url, hash_api_key(raw))
    known = _verified.get(where)
    if known is not None:
        return known
    flight = (id(asyncio.get_running_loop()), *where)
    pending = _verified.under_way.get(flight)
    if pending is None:
        pending = _verified.under_way[flight] = asyncio.ensure_future(_look_up(db, raw, where))

        def landed(done: asyncio.Future[Principal | None]) -> None:
            if _verified.under_way.get(flight) is done:
                del _verified.under_way[flight]

        pending.add_done_callback(landed)
    return await asyncio.shield(pending)  # one waiter cancelled does not cancel the others' look-up


async def _look_up(db: Database, raw: str, where: tuple[str, str]) -> Principal | None:
    generation = _verified.generation
    async with db.reading() as s:
        found = await authenticate(s, raw)
    if found is not None:
        _verified.remember(where, found, generation)
    return found


def _forget_keys_on_commit(session: AsyncSession) -> None:
    """Forget remembered keys now and again once `session` commits (a look-up in between read the old state)."""
    _verified.forget_all()

    def committed(sync_session: Session) -> None:
        if outermost_commit(sync_session):
            _verified.forget_all()

    event.listen(session.sync_session, "after_commit", committed)


async def key_disabled(session: AsyncSession, raw: str) -> bool:
    """True when `raw` is an active key whose account is disabled (the caller gets a distinct answer)."""
    row = await _active_key(session, raw)
    return row is not None and row.disabled_at is not None


async def revoke_key(session: AsyncSession, account_id: int, key_id: int) -> bool:
    row = await session.get(ApiKey, key_id)
    if row is None or row.account_id != account_id or row.revoked_at is not None:
        return False
    row.revoked_at = utcnow()
    _forget_keys_on_commit(session)
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
    _forget_keys_on_commit(session)
    if not disabled:
        account.disabled_at = None
    elif account.disabled_at is None:
        account.disabled_at = utcnow()
    return True


async def account_enabled(session: AsyncSession, account_id: int) -> bool:
    disabled = (await session.execute(select(Account.disabled_at).where(Account.id == account_id))).first()
    return disabled is not None and disabled[0] is None
