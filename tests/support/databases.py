"""Fresh, migrated databases for tests: a SQLite file, or a PostgreSQL database made from a template.

The schema is migrated once per test session into a template (a SQLite file that is copied,
a PostgreSQL template database that is cloned), so each test starts on its own empty database.
Tests run in parallel processes (`pytest -n`): each process has its own PostgreSQL template
and its own Redis database number, so no process drops or flushes another's.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import asyncpg

from marketbridge.store.db import Database

_sqlite_template: Path | None = None
_pg_template_ready: set[str] = set()

#: pytest-xdist names its worker processes gw0, gw1, ...; empty when the tests run in one process.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


def redis_for_this_worker(url: str) -> str:
    """`url` with the database number of this test process: 0 alone, 1 + the worker's number in parallel."""
    if not WORKER:
        return url
    base, _, number = url.rstrip("/").rpartition("/")
    if not number.isdigit():  # no database number in the URL
        base = url.rstrip("/")
    return f"{base}/{1 + int(WORKER.removeprefix('gw')) % 15}"


async def sqlite_database(tmp_dir: Path) -> Database:
    global _sqlite_template
    if _sqlite_template is None or not _sqlite_template.exists():
        template = Path(tmp_dir).parent / f"template-{uuid.uuid4().hex}.db"
        db = Database(f"sqlite+aiosqlite:///{template}")
        await db.upgrade()
        await db.dispose()
        _sqlite_template = template
    target = Path(tmp_dir) / "hub.db"
    shutil.copyfile(_sqlite_template, target)
    return Database(f"sqlite+aiosqlite:///{target}")


def _split(url: str) -> tuple[str, str]:
    base, _, name = url.rpartition("/")
    return base, name


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def _admin(url: str) -> asyncpg.Connection:
    base, _ = _split(url)
    return await asyncpg.connect(_dsn(f"{base}/postgres"))


async def postgres_database(url: str) -> Database:
    base, name = _split(url)
    template = f"{name}_template{WORKER}"
    if url not in _pg_template_ready:
        conn = await _admin(url)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
            await conn.execute(f'CREATE DATABASE "{template}"')
        finally:
            await conn.close()
        db = Database(f"{base}/{template}")
        await db.upgrade()
        await db.dispose()
        _pg_template_ready.add(url)
    fresh = f"{name}_{uuid.uuid4().hex[:12]}"
    conn = await _admin(url)
    try:
        await conn.execute(f'CREATE DATABASE "{fresh}" TEMPLATE "{template}"')
    finally:
        await conn.close()
    return Database(f"{base}/{fresh}")


async def drop_postgres_database(db: Database) -> None:
    await db.dispose()
    _, name = _split(db.url)
    conn = await _admin(db.url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()
