"""Engines, sessions and migrations of the hub's database (SQLite file or PostgreSQL).

`Database` owns one async engine and its session factory. SQLite runs in WAL mode with
foreign keys on and a busy timeout, so the API and the in-process worker can share the file.
`upgrade()` applies the Alembic migrations; `check_migrated()` refuses to run on a database
that is not at the newest revision. On PostgreSQL a pooled connection is pinged before use
only when it sat idle PING_AFTER_IDLE_SECONDS or more, not on every check-out.

Each `Database` has its own session class (`session_class`), so after-commit hooks can be
registered for one database (`sync/kicks.py` does). A hook that starts async work puts its
task under `AFTER_COMMIT_TASKS` in `session.info`; `Database.session()` awaits those tasks
before it returns, so the caller sees the effect of its own commit. SQLAlchemy sends
`after_commit` also when a SAVEPOINT is released, before anything is committed: a hook asks
`outermost_commit` and acts only on the transaction's own commit.

On SQLite, the writers of one process take turns (`_WriteTurns`) before they begin: SQLite's
own busy handler lets a waiting writer sleep up to 100 ms after the lock came free and serves
no one first, so under many small transactions one writer could wait seconds. A turn is handed
to the next writer in the order they asked, the moment the last one commits. Writers in other
processes still meet at SQLite's lock (the busy timeout).

`read_rows` is the hot reads' way in: the statement is compiled once and its rows come straight
from the driver, without SQLAlchemy's per-row type processing; on a SQLite file the whole read
is one call in a thread of its own rather than a hand-off to the async driver's thread per step.
"""

from __future__ import annotations

import asyncio
import functools
import time
import weakref
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any

import asyncpg
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Select, create_engine, event
from sqlalchemy.engine import Connection as SyncConnection
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.util.concurrency import in_greenlet

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

#: `session.info` key: tasks started by after-commit hooks, awaited before `Database.session` returns.
AFTER_COMMIT_TASKS = "after_commit_tasks"


def outermost_commit(session: Session) -> bool:
    """Whether an `after_commit` event is the transaction's commit, not a SAVEPOINT's release
    (`begin_nested`), after which nothing is visible to anyone else yet."""
    return not session.in_nested_transaction()


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


def _sqlite_roll_back_before_close(dbapi_connection: Any, _record: Any, _exc: BaseException | None) -> None:
    """Roll back a SQLite connection the pool closes as broken (a task cancelled mid-statement): closed
    with a cursor open, it lived on holding the write lock until the garbage collector came."""
    if not in_greenlet():
        return  # the garbage collector's clean-up: nothing can be awaited there
    with suppress(Exception, asyncio.CancelledError):  # the close follows anyway
        dbapi_connection.rollback()


#: PostgreSQL connections a process keeps, all of them kept open once opened. The pool had 10
#: kept and 20 more opened for a burst and closed after it: under 50 concurrent readers that
#: meant a new connection (TCP, TLS negotiation, authentication) for a good share of requests,
#: which halved the requests a second the API served.
POSTGRES_POOL_SIZE = 30


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        event.listen(engine.sync_engine.pool, "invalidate", _sqlite_roll_back_before_close)
        return engine
    kwargs.setdefault("pool_size", POSTGRES_POOL_SIZE)
    kwargs.setdefault("max_overflow", 0)
    engine = create_async_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping"):  # the caller may still ask for a ping on every check-out
        event.listen(engine.sync_engine, "connect", _note_use)
        event.listen(engine.sync_engine, "checkin", _note_use)
        event.listen(engine.sync_engine, "checkout", _ping_if_idle(engine.dialect))
    return engine


#: A pooled PostgreSQL connection idle this long is pinged before use (one round trip), so one
#: that the server dropped meanwhile is replaced instead of failing a request. One used more
#: recently is trusted: under load no request pays for a ping, and a server that goes away
#: while the pool is busy fails the requests in flight, whose errors invalidate the pool.
PING_AFTER_IDLE_SECONDS = 2.0
_LAST_USED = "marketbridge_last_used"


def _note_use(_dbapi_connection: Any, record: Any) -> None:
    record.info[_LAST_USED] = time.monotonic()


def _ping_if_idle(dialect: Any) -> Any:
    def ping(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        last = record.info.get(_LAST_USED)
        if last is not None and time.monotonic() - last < PING_AFTER_IDLE_SECONDS:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as exc:  # the pool drops this connection and checks out another
            raise DisconnectionError(f"a pooled connection did not answer a ping: {exc}") from exc
        record.info[_LAST_USED] = time.monotonic()

    return ping


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
        read_only: dict[str, Any] = {READ_ONLY: True}
        if self.dialect != "sqlite":
            # PostgreSQL's default isolation (read committed) gives each statement its own snapshot
            # anyway: without BEGIN and ROLLBACK a read saves two round trips.
            read_only["isolation_level"] = "AUTOCOMMIT"
        self._read_only = self.engine.execution_options(**read_only)
        self._readers = async_sessionmaker(self._read_only, expire_on_commit=False)
        where = self.engine.url
        in_memory = where.database in (None, "", ":memory:") or where.query.get("mode") == "memory"
        self._sqlite_file = self.dialect == "sqlite" and not in_memory
        self._sqlite_reads: _SqliteReads | None = None
        self._write_turns = _WriteTurns() if self.dialect == "sqlite" else None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session in a transaction: committed on success, rolled back on error.

        Work that after-commit hooks started is awaited before this returns."""
        async with self.sessions() as session:
            async with self._write_turn(), session.begin():
                yield session
            for task in session.info.pop(AFTER_COMMIT_TASKS, ()):
                await task

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A session for reads only, rolled back at the end. On SQLite it does not take the write
        lock, so the worker's frequent looks (is anything due?) never queue behind writers; on
        PostgreSQL it runs in autocommit (each statement its own snapshot, as read committed
        gives anyway), which saves the BEGIN and ROLLBACK round trips."""
        async with self._readers() as session:
            yield session  # closing the session rolls its transaction back

    @asynccontextmanager
    async def _write_turn(self) -> AsyncIterator[None]:
        if self._write_turns is None:
            yield
        else:
            async with self._write_turns.turn():
                yield

    async def exists(self, query: Select[Any]) -> bool:
        """Whether `query` finds a row, looked at in a read-only session."""
        async with self.reading() as s:
            return (await s.execute(query.limit(1))).first() is not None

    @asynccontextmanager
    async def reading_connection(self) -> AsyncIterator[AsyncConnection]:
        """A bare connection in a read-only transaction, rolled back at the end: for reads that
        want rows, not mapped objects (no session, no identity map)."""
        async with self._read_only.connect() as conn:
            yield conn  # closing the connection rolls its transaction back

    async def read_rows(self, statement: ClauseElement, params: dict[str, Any]) -> Sequence[Sequence[Any]]:
        """The rows of one read-only `statement`, for hot reads: compiled once for this database
        (`_driver_sql`) and read as on `reading_connection`, each value as the driver gives it (no
        column type applied: on SQLite a datetime is its text, a boolean 0 or 1). `params` must be
        plain values (numbers, texts) that need no conversion on the way in.

        On a SQLite file the whole read (check-out, execute, fetch) runs as one call in a thread
        of this database's own (`SQLITE_READ_THREADS`, SQLite's driver on the same file with the
        same settings): through the async driver each step is a hand-off to its thread and back.
        One statement reads one snapshot, so no BEGIN is needed. On PostgreSQL the pooled
        connection's asyncpg reads the rows itself (SQLAlchemy's async adapter and its rows
        cost more than the query); a connection the server dropped is invalidated, as
        SQLAlchemy does on its own path, so it fails this read only."""
        sql, args = _driver_sql(statement, self.engine.dialect, params)
        if self._sqlite_file:
            if self._sqlite_reads is None:
                self._sqlite_reads = _SqliteReads(self.engine)
            return await self._sqlite_reads.rows(sql, args)
        async with self.reading_connection() as conn:
            if self.dialect != "postgresql":  # SQLite in memory: one connection, the async driver's
                return (await conn.exec_driver_sql(sql, args)).all()
            driver = (await conn.get_raw_connection()).driver_connection
            try:
                rows: Sequence[Sequence[Any]] = await driver.fetch(sql, *args)  # type: ignore[union-attr]
            except Exception as exc:
                # an error the server reported leaves the connection usable; any other (the server
                # dropped it, or the client's protocol state is broken by that) means not again
                if driver.is_closed() or not isinstance(exc, asyncpg.PostgresError):  # type: ignore[union-attr]
                    await conn.invalidate()
                raise
            return rows

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
        if self._sqlite_reads is not None:
            reads, self._sqlite_reads = self._sqlite_reads, None
            await reads.close()
        await self.engine.dispose()


#: How long a writer waits for its turn before it goes to SQLite's lock without one (where the
#: busy timeout, also 30 s, decides). A writer that waits on a task which needs a turn itself
#: would otherwise wait forever; with SQLite alone it fails after the busy timeout.
WRITE_TURN_TIMEOUT = 30.0


class _WriteTurns:
    """One turn to write at a time per event loop, handed out in the order asked for.

    A task that holds the turn and opens another write session keeps it (SQLite would refuse
    the second BEGIN IMMEDIATE on another connection anyway, as it does without turns)."""

    def __init__(self) -> None:
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        self._holders: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Task[Any]] = (
            weakref.WeakKeyDictionary()
        )

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        me = asyncio.current_task()
        if me is None or self._holders.get(loop) is me:
            yield
            return
        lock = self._locks.get(loop)
        if lock is None:
            lock = self._locks[loop] = asyncio.Lock()
        try:
            async with asyncio.timeout(WRITE_TURN_TIMEOUT):
                await lock.acquire()
        except TimeoutError:
            yield  # SQLite's busy timeout decides
            return
        self._holders[loop] = me
        try:
            yield
        finally:
            del self._holders[loop]
            lock.release()


#: Threads of a SQLite database's one-call reads (`Database.read_rows`). One: Python's sqlite3
#: lets the GIL go for every row it steps, so with several read threads each row's return to
#: Python queued behind the other readers and the event loop (a page of offers measured 3.7 ms
#: of CPU a request with four threads, 2.1 ms with one, at 1.7 times the requests a second).
SQLITE_READ_THREADS = 1


@functools.lru_cache(maxsize=64)
def _compiled(statement: ClauseElement, dialect: Dialect) -> SQLCompiler:
    compiled = statement.compile(dialect=dialect)
    assert isinstance(compiled, SQLCompiler) and compiled.positional
    return compiled


def _driver_sql(
    statement: ClauseElement, dialect: Dialect, params: dict[str, Any]
) -> tuple[str, tuple[Any, ...]]:
    """`statement` as the driver's SQL (compiled once per statement and dialect) and `params`
    with the statement's own literals, in the driver's positional order."""
    compiled = _compiled(statement, dialect)
    values = compiled.construct_params(params)
    return compiled.string, tuple(values[name] for name in compiled.positiontup or ())


class _SqliteReads:
    """`Database.read_rows` on a SQLite file: a synchronous engine on the same file, with the
    same connection settings, used only from its own threads."""

    def __init__(self, engine: AsyncEngine) -> None:
        url = engine.url.set(drivername="sqlite")
        self.engine = create_engine(
            url,
            connect_args={"timeout": 30, "check_same_thread": False},
            pool_size=SQLITE_READ_THREADS,
            max_overflow=0,
        )
        event.listen(self.engine, "connect", _sqlite_pragmas)  # the driver begins nothing itself
        self.threads = ThreadPoolExecutor(SQLITE_READ_THREADS, thread_name_prefix="sqlite-read")

    def _rows(self, sql: str, args: tuple[Any, ...]) -> list[Any]:
        conn = self.engine.raw_connection()
        try:
            return conn.driver_connection.execute(sql, args).fetchall()  # type: ignore[union-attr]
        finally:
            conn.close()  # back to the pool, which rolls back whatever is open

    async def rows(self, sql: str, args: tuple[Any, ...]) -> list[Any]:
        return await asyncio.get_running_loop().run_in_executor(self.threads, self._rows, sql, args)

    async def close(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self.threads, self.engine.dispose)
        self.threads.shutdown(wait=False)
