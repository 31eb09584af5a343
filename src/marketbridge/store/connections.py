"""Marketplace connections of an account: credentials checked and sealed, settings and base URLs kept.

Credentials are checked when written (`clean_credentials`): surrounding whitespace (a pasted
key's trailing newline) is stripped, and a value with a control or invisible format character
inside is refused, so it can never reach a header, a log line or an error message.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from marketbridge.model.common import has_hidden_characters
from marketbridge.runtime.redaction import remember
from marketbridge.store.crypto import SecretBox
from marketbridge.store.tables import Connection

MAX_CREDENTIAL_LENGTH = 4096


class BadCredential(ValueError):
    """A credential value that cannot be stored; `field` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"credential {field!r} {message}")
        self.field = field
        self.message = message


def clean_credentials(values: Mapping[str, str]) -> dict[str, str]:
    """The credentials with surrounding whitespace stripped; BadCredential for a control character."""
    cleaned: dict[str, str] = {}
    for field, raw in values.items():
        value = raw.strip()
        if len(value) > MAX_CREDENTIAL_LENGTH:
            raise BadCredential(field, f"is longer than {MAX_CREDENTIAL_LENGTH} characters")
        if has_hidden_characters(value):
            raise BadCredential(field, "contains a control or invisible character")
        cleaned[field] = value
    remember([*values.values(), *cleaned.values()])
    return cleaned


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
        credentials=box.encrypt_json(clean_credentials(credentials)),
        base_urls=dict(base_urls),
        settings=dict(settings or {}),
        push_secret=new_push_secret(),
    )
    session.add(row)
    await session.flush()
    return row


def new_push_secret() -> str:
    """A fresh secret for a connection's push URL (32 URL-safe characters)."""
    return secrets.token_urlsafe(24)


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
    row.credentials = box.encrypt_json(clean_credentials(credentials))


def connection_secrets(row: Connection, box: SecretBox) -> list[str]:
    """Every secret value of a connection (its credentials and push secret), remembered for redaction."""
    try:
        values = list(box.decrypt_json(row.credentials).values())
    except ValueError:
        values = []
    values.append(row.push_secret)
    remember(values)
    return values
