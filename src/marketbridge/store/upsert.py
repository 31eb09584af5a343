"""INSERT ... ON CONFLICT for the database in use (SQLite and PostgreSQL share the syntax)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def insert_for(session: AsyncSession, table: Any) -> Any:
    """An Insert with on_conflict_do_update / on_conflict_do_nothing for the session's dialect."""
    name = session.bind.dialect.name if session.bind is not None else "sqlite"
    if name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def chunks(items: list[Any], size: int = 900) -> list[list[Any]]:
    """Split a list for IN (...) clauses, staying under SQLite's bound-parameter limit."""
    return [items[i : i + size] for i in range(0, len(items), size)]
