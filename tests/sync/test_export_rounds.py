"""A stock export in overlapping rounds sends every value exactly once more than it changed.

Rounds are made small so that the export reads ahead and settles behind its calls. While the
first round is out, one of its values and one of a later round change: the value of the round
in flight stays in the ledger (compare-and-delete on the version) and goes out again, the later
one goes out only in its new version. A value the marketplace refuses for good is recorded and
parked, not retried, and the export ends.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy import select

from marketbridge.channels.roles import ItemResult, StockPush
from marketbridge.store.db import Database
from marketbridge.store.tables import Connection, PendingChange, PushedValue
from marketbridge.sync import ledger, pushing
from marketbridge.sync.dispatch import ChangeKind, JobKind
from marketbridge.sync.runs import recorded_run
from tests.support.runs import shop_with_connection

REFUSED = "E-3"


def _target(conn_id: int, n: int, quantity: int) -> tuple[int, str, dict[str, Any]]:
    payload = {"external_id": f"E-{n}", "offer_code": f"S-{n}", "warehouse_id": "W", "quantity": quantity}
    return conn_id, ledger.stock_key(f"E-{n}", "W"), payload


class ChangingSink:
    """Takes stock values; during its first call the seller changes two of them."""

    stock_items_per_second = 0.0

    def __init__(self, db: Database, account_id: int, conn_id: int) -> None:
        self.db, self.account_id, self.conn_id = db, account_id, conn_id
        self.sent: list[tuple[str, int]] = []

    async def until_stock_call(self) -> None:
        return None

    async def push_stocks(self, items: Sequence[StockPush]) -> list[ItemResult]:
        if not self.sent:  # E-0 is in this round, E-7 in a later one
            async with self.db.session() as s:
                changed = [_target(self.conn_id, 0, 100), _target(self.conn_id, 7, 700)]
                await ledger.queue(s, self.account_id, ChangeKind.STOCK, changed)
        self.sent += [(i.external_id, i.quantity) for i in items]
        return [
            ItemResult(i.external_id, False, "Refused", "no such unit")
            if i.external_id == REFUSED
            else ItemResult(i.external_id, True)
            for i in items
        ]


async def test_rounds_overlap_and_lose_no_change(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pushing, "ROUND_SIZE", 3)
    async with db.session() as s:
        account, conn = await shop_with_connection(s)
        await ledger.queue(s, account.id, ChangeKind.STOCK, [_target(conn.id, n, n) for n in range(10)])
    async with db.reading() as s:
        loaded = await s.get(Connection, conn.id)
    assert loaded is not None
    sink = ChangingSink(db, account.id, conn.id)
    async with recorded_run(db, account.id, conn.id, JobKind.STOCKS.value) as rec:
        await pushing.push_pending(db, loaded, sink, ChangeKind.STOCK, rec)

    sent = [e for e, _ in sink.sent]
    assert sorted(sent) == sorted([f"E-{n}" for n in range(10)] + ["E-0"])
    assert sink.sent.count(("E-0", 0)) == 1 and sink.sent[-1] == ("E-0", 100)
    assert ("E-7", 700) in sink.sent and ("E-7", 7) not in sink.sent
    async with db.reading() as s:
        left = (await s.execute(select(PendingChange.key, PendingChange.attempts))).all()
        held = dict((await s.execute(select(PushedValue.key, PushedValue.value))).all())
    assert left == [(ledger.stock_key(REFUSED, "W"), 1)]
    assert held[ledger.stock_key("E-0", "W")]["quantity"] == 100
    assert held[ledger.stock_key("E-7", "W")]["quantity"] == 700
    assert [e["key"] for e in rec.errors] == [ledger.stock_key(REFUSED, "W")]
