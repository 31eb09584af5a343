"""Checking a connection's credentials with one cheap marketplace call, and recording the outcome.

The error text is stored on the connection (`last_check_error`) and shown to the seller; every
secret of the connection is redacted from it first.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from marketbridge.channels.errors import ChannelError
from marketbridge.runtime.redaction import redact
from marketbridge.store.connections import connection_secrets
from marketbridge.store.tables import Connection
from marketbridge.store.types import utcnow
from marketbridge.sync.services import Services


def _plain(exc: ChannelError) -> str:
    return type(exc).__name__


async def check_connection(
    hub: Services, row: Connection, label: Callable[[ChannelError], str] = _plain
) -> tuple[str | None, datetime]:
    """(the redacted error or None, when it was checked); `label` names a marketplace's refusal."""
    error: str | None = None
    try:
        await hub.channels.get(row).check()
    except ChannelError as exc:
        error = f"{label(exc)}: {exc}"
    except ValueError as exc:  # credentials missing or undecryptable
        error = f"invalid_credentials: {exc}"
    if error is not None:
        error = redact(error, connection_secrets(row, hub.box))
    now = utcnow()
    async with hub.db.session() as s:
        fresh = await s.get(Connection, row.id)
        if fresh is not None:
            fresh.last_check_at = now
            fresh.last_check_error = error
    return error, now
