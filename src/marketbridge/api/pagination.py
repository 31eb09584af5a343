"""Cursor pagination: `?limit=&cursor=` in, `{items, next_cursor}` out, the cursor opaque.

A cursor encodes the last id (or sequence number) the client saw, so pages stay stable while
rows are added; an unreadable cursor, or one past the largest id the databases hold, is a
400 `invalid_cursor`, and one longer than MAX_CURSOR characters a 422 (never a 500).
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field
from sqlalchemy import select

from marketbridge.api.fields import MAX_ID
from marketbridge.api.problems import Problem
from marketbridge.store.db import Database

T = TypeVar("T")

MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
MAX_CURSOR = 200


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        default=None, description="pass as `cursor` to read the next page; null when there is none"
    )


def encode_cursor(last: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": last}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    """The id after which the page starts (0 for the first page)."""
    if not cursor:
        return 0
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        after = data["after"]
        if not isinstance(after, int) or isinstance(after, bool) or not 0 <= after <= MAX_ID:
            raise ValueError(after)
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError, RecursionError) as exc:
        raise Problem(400, "invalid_cursor", "the cursor is not one this API gave out") from exc
    return after


Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="page size")]
Cursor = Annotated[str | None, Query(max_length=MAX_CURSOR, description="`next_cursor` of the previous page")]


def next_cursor(ids: list[int], limit: int) -> str | None:
    """A cursor after the last id when the page is full (there may be more)."""
    return encode_cursor(ids[-1]) if ids and len(ids) >= limit else None


async def page_rows(
    db: Database,
    table: Any,
    account_id: int,
    cursor: str | None,
    limit: int,
    where: Any = None,
    **equal: Any,
) -> list[Any]:
    """One page of the account's rows of `table` after the cursor, filtered by the non-None
    `equal` and by the SQL condition `where` when given."""
    query = select(table).where(table.account_id == account_id, table.id > decode_cursor(cursor))
    if where is not None:
        query = query.where(where)
    for column, value in equal.items():
        if value is not None:
            query = query.where(getattr(table, column) == value)
    async with db.reading() as s:
        return list((await s.execute(query.order_by(table.id).limit(limit))).scalars())
