"""Marketplace connections of an account: credentials sealed, settings and base URLs kept."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from marketbridge.store.crypto import SecretBox
from marketbridge.store.tables import Connection


async def create_connection(
    session: AsyncSession,
    box: SecretBox,
    *,
    account_id: int,
    kind: str,
    name: str,
    credentials: Mapping[str, str],
    base_urls: Mapping[str, str],
    settings: Mapping[str, Any] | None = None,
) -> Connection:
    row = Connection(
        account_id=account_id,
        kind=kind,
        name=name,
        credentials=box.encrypt_json(credentials),
        base_urls=dict(base_urls),
        settings=dict(settings or {}),
        push_secret=secrets.token_urlsafe(24),
    )
    session.add(row)
    await session.flush()
    return row


async def get_connection(session: AsyncSession, account_id: int, connection_id: int) -> Connection | None:
    row = await session.get(Connection, connection_id)
    if row is None or row.account_id != account_id:
        return None
    return row


async def list_connections(session: AsyncSession, account_id: int | None = None) -> list[Connection]:
    query = select(Connection).order_by(Connection.id)
    if account_id is not None:
        query = query.where(Connection.account_id == account_id)
    return list((await session.execute(query)).scalars())


def set_credentials(row: Connection, box: SecretBox, credentials: Mapping[str, str]) -> None:
    row.credentials = box.encrypt_json(credentials)
