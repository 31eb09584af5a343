"""Engines, sessions and migrations of the hub's database (SQLite file or PostgreSQL).

`Database` owns one async engine and its session factory. SQLite runs in WAL mode with
foreign keys on and a busy timeout, so the API and the in-process worker can share the file.
`upgrade()` applies the Alembic migrations; `check_migrated()` refuses to run on a database
that is not at the newest revision.

Each `Database` has its own session class (`session_class`), so after-commit hooks can be
registered for one database (`sync/kicks.py` does). A hook that starts async work puts its
task under `AFTER_COMMIT_TASKS` in `session.info`; `Database.session()` awaits those tasks
before it returns, so the caller sees the effect of its own commit.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Select, event
from sqlalchemy.engine import Connection as SyncConnection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

#: `session.info` key: tasks started by after-commit hooks, awaited before `Database.session` returns.
AFTER_COMMIT_TASKS = "after_commit_tasks"


class NotMigratedError(RuntimeError):
    """The database is behind the code's schema."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Transactions are begun by us (BEGIN IMMEDIATE below), not by the driver.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


#: Execution option of the connections `Database.reading()` uses: a read-only transaction.
READ_ONLY = "marketbridge_read_only"


def _sqlite_begin(conn: SyncConnection) -> None:
    """Take SQLite's write lock at BEGIN: a deferred transaction that reads and then writes
    fails at once with "database is locked" when another writer committed in between. A
    read-only transaction begins deferred: in WAL mode it reads a snapshot and blocks nobody."""
    read_only = conn.get_execution_options().get(READ_ONLY, False)
    conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


@functools.cache
def head_revision() -> str:
    """The code's migration head (read from the migration scripts once per process)."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    head = script.get_current_head()
    assert head is not None
    return head


class Database:
    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        #: This database's own session class: session events registered on it see only its sessions.
        self.session_class: type[Session] = type("DatabaseSession", (Session,), {})
        self.sessions = async_sessionmaker(
            self.engine, expire_on_commit=False, sync_session_class=self.session_class
        )
        self._read_only = self.engine.execution_options(**{READ_ONLY: True})
        self._readers = async_sessionmaker(self._read_only, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session in a transaction: committed on success, rolled back on error.

        Work that after-commit hooks started is awaited before this returns."""
        async with self.sessions() as session:
            async with session.begin():
                yield session
            for task in session.info.pop(AFTER_COMMIT_TASKS, ()):
                await task

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A session for reads only, rolled back at the end. On SQLite it does not take the write
        lock, so the worker's frequent looks (is anything due?) never queue behind writers."""
        async with self._readers() as session:
            yield session  # closing the session rolls its transaction back

    async def exists(self, query: Select[Any]) -> bool:
        """Whether `query` finds a row, looked at in a read-only session."""
        async with self.reading() as s:
            return (await s.execute(query.limit(1))).first() is not None

    async def current_revision(self) -> str | None:
        def read(conn: SyncConnection) -> str | None:
            return MigrationContext.configure(conn).get_current_revision()

        async with self._read_only.connect() as conn:
            return await conn.run_sync(read)

    async def check_migrated(self) -> None:
        current = await self.current_revision()
        head = head_revision()
        if current != head:
            raise NotMigratedError(
                f"the database is at revision {current or 'none (empty)'}, the code needs {head}: "
                "run `marketbridge db upgrade` first"
            )

    async def upgrade(self, revision: str = "head") -> None:
        def run(conn: SyncConnection) -> None:
            config = alembic_config(self.url)
            config.attributes["connection"] = conn
            command.upgrade(config, revision)

        async with self.engine.begin() as conn:
            await conn.run_sync(run)

    async def dispose(self) -> None:
        await self.engine.dispose()
