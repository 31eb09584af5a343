"""Kicks after commit: the one owner of "tell the worker" once work is recorded.

Code that records work for the worker (a pending change, an inbox row, an outbox event)
notes on its session what to kick: `kick_after_commit(session, connection_id, kind)` or
`wake_after_commit(session)`; `store.events.emit` notes outbox events by itself. The hook
that `install` registers on the database's sessions sends the noted kicks through the
dispatcher after the transaction committed: never before, and never for a rolled-back
transaction. Nobody passes connection ids back up the stack to kick by hand.

A kick that fails (the queue is down) or takes longer than KICK_TIMEOUT is logged and
dropped: the work is in the database and the scheduler's next tick picks it up, so a
request that wrote stock still succeeds, and a queue that hangs does not hold it up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import structlog
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from marketbridge.store.db import AFTER_COMMIT_TASKS, Database, outermost_commit
from marketbridge.store.events import OUTBOX_WRITTEN
from marketbridge.sync.dispatch import WAKE, Dispatcher, JobKind

log = structlog.get_logger(__name__)

#: `session.info` key: the kicks noted in this transaction: (connection id, kind), or WAKE.
KICKS = "kicks"

Kick = tuple[int, JobKind] | str

#: Seconds the kicks of one commit may take before they are given up (the tick finds the work).
KICK_TIMEOUT = 2.0


def _noted(session: AsyncSession | Session) -> set[Kick]:
    kicks: set[Kick] = session.info.setdefault(KICKS, set())
    return kicks


def kick_after_commit(session: AsyncSession | Session, connection_id: int, kind: JobKind) -> None:
    """Ask for a run of `kind` on the connection once this session's transaction committed."""
    _noted(session).add((connection_id, kind))


def wake_after_commit(session: AsyncSession | Session) -> None:
    """Wake the scheduler once this session's transaction committed (e.g. a push was stored)."""
    _noted(session).add(WAKE)


class AfterCommitKicks:
    """Sends the kicks noted on a session after it committed; `dispatcher` is asked each time."""

    def __init__(self, dispatcher: Callable[[], Dispatcher]) -> None:
        self.dispatcher = dispatcher
        self._sending: set[asyncio.Task[None]] = set()

    def install(self, db: Database) -> None:
        event.listen(db.session_class, "after_commit", self._committed)
        event.listen(db.session_class, "after_transaction_end", self._ended)

    def _committed(self, session: Session) -> None:
        if not outermost_commit(session):
            return  # a SAVEPOINT was released: its kicks wait for the commit, which may not come
        kicks: set[Kick] = session.info.pop(KICKS, set())
        if session.info.pop(OUTBOX_WRITTEN, False):
            kicks.add(WAKE)
        if not kicks:
            return
        task = asyncio.get_running_loop().create_task(self._send(kicks))
        self._sending.add(task)  # a strong reference until it is done
        task.add_done_callback(self._sending.discard)
        session.info.setdefault(AFTER_COMMIT_TASKS, []).append(task)

    @staticmethod
    def _ended(session: Session, transaction: SessionTransaction) -> None:
        """A rolled-back transaction's kicks are forgotten (a committed one's were taken already)."""
        if transaction.parent is None:
            session.info.pop(KICKS, None)
            session.info.pop(OUTBOX_WRITTEN, None)

    async def _send(self, kicks: set[Kick]) -> None:
        dispatcher = self.dispatcher()

        async def send_all() -> None:
            for connection_id, kind in sorted(k for k in kicks if isinstance(k, tuple)):
                await dispatcher.kick(connection_id, kind)
            if WAKE in kicks:
                await dispatcher.wake()

        try:
            await asyncio.wait_for(send_all(), KICK_TIMEOUT)
        except Exception as exc:  # the work is recorded: the scheduler's tick finds it anyway
            log.warning("kick_failed", kicks=len(kicks), error=f"{type(exc).__name__}: {exc}")
