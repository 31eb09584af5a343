"""Migrations reach head on empty SQLite and PostgreSQL, with no drift from the table models."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect
from sqlalchemy.engine import Connection as SyncConnection

from marketbridge.store.db import Database, NotMigratedError, alembic_config, head_revision
from marketbridge.store.tables import Base
from tests.conftest import postgres_url
from tests.support.databases import drop_postgres_database, postgres_database


async def _empty(kind: str, tmp_path: Path) -> Database:
    if kind == "sqlite":
        return Database(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    url = postgres_url()
    if not url:
        pytest.skip("MB_TEST_POSTGRES_URL is not set: PostgreSQL cases need scripts/test-services.sh")
    db = await postgres_database(url)
    async with db.engine.begin() as conn:
        await conn.run_sync(lambda c: Base.metadata.drop_all(c))
        await conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    return db


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
async def test_upgrade_empty_database_to_head_without_drift(kind: str, tmp_path: Path) -> None:
    db = await _empty(kind, tmp_path)
    try:
        with pytest.raises(NotMigratedError, match="marketbridge db upgrade"):
            await db.check_migrated()
        await db.upgrade()
        assert await db.current_revision() == head_revision()
        await db.check_migrated()

        def check(conn: SyncConnection) -> list[str]:
            config = alembic_config(db.url)
            config.attributes["connection"] = conn
            command.check(config)  # raises when the models and the migrations differ
            return inspect(conn).get_table_names()

        async with db.engine.connect() as conn:
            tables = await conn.run_sync(check)
        assert set(Base.metadata.tables) <= set(tables)
    finally:
        if kind == "postgres":
            await drop_postgres_database(db)
        else:
            await db.dispose()
