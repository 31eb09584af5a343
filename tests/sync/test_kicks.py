"""Kicks after commit: sent once the transaction committed, never for a rolled-back one, and a
failed kick never fails the write that noted it."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from structlog.testing import capture_logs

from marketbridge.model import EventType
from marketbridge.runtime.settings import Settings
from marketbridge.store import accounts
from marketbridge.store.crypto import SecretBox
from marketbridge.store.db import Database
from marketbridge.store.events import emit
from marketbridge.sync.dispatch import JobKind
from marketbridge.sync.kicks import kick_after_commit, wake_after_commit
from marketbridge.wiring import Hub


class RecordingDispatcher:
    def __init__(self, fail: bool = False) -> None:
        self.sent: list[tuple[str, int | None]] = []
        self.fail = fail

    async def kick(self, connection_id: int, kind: JobKind) -> None:
        if self.fail:
            raise ConnectionError("the queue is down")
        self.sent.append((kind.value, connection_id))

    async def wake(self) -> None:
        if self.fail:
            raise ConnectionError("the queue is down")
        self.sent.append(("wake", None))


def _hub(db: Database, dispatcher: RecordingDispatcher) -> Hub:
    hub = Hub(settings=Settings(), db=Database(db.url), box=SecretBox([Fernet.generate_key()]))
    hub.dispatcher = dispatcher
    return hub


async def test_kicks_go_out_after_commit_only(db: Database) -> None:
    dispatcher = RecordingDispatcher()
    hub = _hub(db, dispatcher)
    try:
        async with hub.db.session() as s:
            kick_after_commit(s, 7, JobKind.STOCKS)
            kick_after_commit(s, 7, JobKind.STOCKS)  # noted twice, sent once
            kick_after_commit(s, 3, JobKind.PRICES)
            wake_after_commit(s)
            assert dispatcher.sent == []  # nothing before the commit
        assert dispatcher.sent == [("prices", 3), ("stocks", 7), ("wake", None)]

        dispatcher.sent.clear()
        with pytest.raises(RuntimeError):
            async with hub.db.session() as s:
                kick_after_commit(s, 9, JobKind.STOCKS)
                raise RuntimeError("the write failed")
        async with hub.db.session() as s:
            pass
        assert dispatcher.sent == []  # the rolled-back transaction's kick is forgotten
    finally:
        await hub.aclose()


async def test_an_event_written_wakes_the_worker(db: Database) -> None:
    dispatcher = RecordingDispatcher()
    hub = _hub(db, dispatcher)
    try:
        async with hub.db.session() as s:
            account, _ = await accounts.create_account(s, "kicks")
        assert dispatcher.sent == []
        async with hub.db.session() as s:
            await emit(s, account.id, EventType.ORDER_CREATED, {"order_id": 1})
        assert dispatcher.sent == [("wake", None)]
    finally:
        await hub.aclose()


async def test_a_failed_kick_does_not_fail_the_write(db: Database) -> None:
    hub = _hub(db, RecordingDispatcher(fail=True))
    try:
        with capture_logs() as logs:
            async with hub.db.session() as s:
                account, _ = await accounts.create_account(s, "queue down")
                kick_after_commit(s, 1, JobKind.STOCKS)
                wake_after_commit(s)
        assert [e["event"] for e in logs if e["log_level"] == "warning"] == ["kick_failed"]
        async with hub.db.session() as s:  # the write is there
            assert await s.get(type(account), account.id) is not None
    finally:
        await hub.aclose()
