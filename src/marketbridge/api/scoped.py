"""Rows of the calling account (another account's row is a 404), and the channel of a connection."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from marketbridge.api.problems import Problem, not_found
from marketbridge.channels.roles import Channel
from marketbridge.store.tables import Connection, Link
from marketbridge.wiring import Hub

RowT = TypeVar("RowT")


async def owned(session: AsyncSession, table: type[RowT], row_id: int, account_id: int, what: str) -> RowT:
    """The row with this id if it belongs to the account; 404 otherwise, never 403."""
    row: Any = await session.get(table, row_id)
    if row is None or row.account_id != account_id:
        raise not_found(what)
    result: RowT = row
    return result


async def linked_offer_ids(session: AsyncSession, connection_id: int) -> list[int]:
    """Hub offers that have a listing on the connection."""
    query = select(Link.entity_id).where(Link.connection_id == connection_id, Link.entity_kind == "offer")
    return [r[0] for r in await session.execute(query)]


async def channel_of(hub: Hub, connection_id: int, account_id: int) -> tuple[Connection, Channel]:
    """The account's connection and its channel; 404 for another account's, 409 when it cannot be built."""
    async with hub.db.session() as s:
        conn = await owned(s, Connection, connection_id, account_id, "connection")
    try:
        return conn, hub.channels.get(conn)
    except ValueError as exc:  # credentials missing or undecryptable
        raise Problem(409, "invalid_credentials", str(exc)) from exc
