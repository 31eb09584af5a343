"""Reads and messages several screens share: the account's connections, errors shown to a person."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from marketbridge.channels import registry as channel_registry
from marketbridge.channels.errors import ChannelError
from marketbridge.runtime.redaction import redact
from marketbridge.store.tables import Connection
from marketbridge.sync.errors import ActionRefused, NotFound
from marketbridge.wiring import Hub


@dataclass
class ConnectionInfo:
    id: int
    name: str
    kind: str
    title: str
    enabled: bool
    row: Connection

    @property
    def label(self) -> str:
        return self.title if self.name.lower() == self.title.lower() else f"{self.name} ({self.title})"


def channel_title(kind: str) -> str:
    try:
        return channel_registry.get(kind).title
    except KeyError:
        return kind


async def account_connections(hub: Hub, account_id: int) -> dict[int, ConnectionInfo]:
    async with hub.db.session() as s:
        rows = (
            await s.execute(
                select(Connection).where(Connection.account_id == account_id).order_by(Connection.id)
            )
        ).scalars()
        return {r.id: ConnectionInfo(r.id, r.name, r.kind, channel_title(r.kind), r.enabled, r) for r in rows}


def connector_class(conn: Connection) -> Any:
    """The connector class of a connection's marketplace (its roles and their facts), or None."""
    try:
        return channel_registry.get(conn.kind).channel_class
    except KeyError:
        return None


def failure_text(exc: Exception, t: Callable[..., str]) -> str:
    """What a person reads when an action failed: refused by the hub, or by the marketplace."""
    if isinstance(exc, ActionRefused):
        detail = f" ({'; '.join(i['message'] for i in exc.items)})" if exc.items else ""
        return f"{t('ord.refused')}: {exc.message}{detail}"
    if isinstance(exc, NotFound):
        return t("not_found.text")
    if isinstance(exc, ChannelError):
        return f"{t('ord.marketplace_error')}: {redact(str(exc))}"
    return f"{t('error.title')}: {redact(str(exc))}"


#: What an action may fail with and still be shown as a message instead of an error page.
ACTION_ERRORS = (ActionRefused, NotFound, ChannelError, ValueError)
