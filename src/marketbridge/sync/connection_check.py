"""Checking a connection's credentials with one cheap marketplace call, and what a pass sets going.

The error text is stored on the connection (`last_check_error`) and shown to the seller; every
secret of the connection is redacted from it first. A check that passes clears the
connection's error state: its error is removed, the runs that failed before it no longer make
the connection show as failing (`failing`: the dashboard's health looks only at runs after the
last passing check), and a new run of every job kind whose last run failed is asked for at once
(those failures were most likely the credentials').
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import func, select

from marketbridge.channels.errors import ChannelError
from marketbridge.runtime.redaction import redact
from marketbridge.store.connections import connection_secrets
from marketbridge.store.tables import Connection, SyncRun
from marketbridge.store.types import utcnow
from marketbridge.sync.dispatch import JobKind
from marketbridge.sync.kicks import kick_after_commit
from marketbridge.sync.services import Services


def _plain(exc: ChannelError) -> str:
    return type(exc).__name__


async def check_connection(
    hub: Services, row: Connection, label: Callable[[ChannelError], str] = _plain
) -> tuple[str | None, datetime, list[str]]:
    """(the redacted error or None, when it was checked, the job kinds asked for again);
    `label` names a marketplace's refusal."""
    error: str | None = None
    try:
        await hub.channels.get(row).check()
    except ChannelError as exc:
        error = f"{label(exc)}: {exc}"
    except ValueError as exc:  # credentials missing or undecryptable
        error = f"invalid_credentials: {exc}"
    if error is not None:
        error = redact(error, connection_secrets(row, hub.box))
    now, retried = await _record(hub, row.id, error)
    return error, now, retried


async def _record(hub: Services, connection_id: int, error: str | None) -> tuple[datetime, list[str]]:
    """Store the check's outcome; after a pass, ask for new runs of the failed kinds."""
    now = utcnow()
    retried: list[str] = []
    async with hub.db.session() as s:
        row = await s.get(Connection, connection_id)
        if row is None:
            return now, retried
        row.last_check_at = now
        row.last_check_error = error
        if error is None and row.enabled:
            newest = (
                select(SyncRun.kind, func.max(SyncRun.id).label("id"))
                .where(SyncRun.connection_id == connection_id)
                .group_by(SyncRun.kind)
                .subquery()
            )
            failed = await s.execute(
                select(SyncRun.kind).join(newest, newest.c.id == SyncRun.id).where(SyncRun.status == "failed")
            )
            for (kind,) in failed:
                if kind in JobKind.__members__.values():
                    kick_after_commit(s, connection_id, JobKind(kind))
                    retried.append(kind)
    return now, sorted(retried)


def failing(row: Connection, started_at: datetime, status: str) -> bool:
    """Whether a run counts against the connection's health: failed, and not older than the
    last passing credential check."""
    if status != "failed":
        return False
    passed = row.last_check_at if row.last_check_error is None else None
    return passed is None or started_at >= passed
