"""Loading a row of the calling account, or answering 404 (another account's row does not exist)."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from marketbridge.api.problems import not_found

RowT = TypeVar("RowT")


async def owned(session: AsyncSession, table: type[RowT], row_id: int, account_id: int, what: str) -> RowT:
    """The row with this id if it belongs to the account; 404 otherwise, never 403."""
    row: Any = await session.get(table, row_id)
    if row is None or row.account_id != account_id:
        raise not_found(what)
    result: RowT = row
    return result
