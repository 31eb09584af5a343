"""Processing a received order push: the order is applied and its push marked done in one write.

The worker is not started here, so the push waits in the inbox until the test processes it;
the write transactions of that processing are counted on the hub's own write sessions.
"""

from __future__ import annotations

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import SessionTransaction

from marketbridge.demo.catalog import build_catalog
from marketbridge.demo.shopping import buy, orderable
from marketbridge.demo.world import open_world, wait_for
from marketbridge.store.db import Database
from marketbridge.store.tables import InboxItem, Order
from marketbridge.sync.dispatch import JobKind
from marketbridge.sync.inbox import process_inbox
from tests.sync.test_push_orders import PUSH_KINDS


@pytest.mark.parametrize("kind", PUSH_KINDS)
async def test_an_order_push_is_applied_and_done_in_one_write(kind: str, db: Database) -> None:
    catalog = build_catalog(products=6, seed=4, bundles=0)
    no_polling = {"schedule": {"orders": 0, "returns": 0, "moderation": 0}}
    async with open_world(
        catalog, db, kinds=[kind], connection_settings=no_polling, start_worker=False
    ) as world:
        await world.run(world.markets[kind].connection_id, JobKind.STOCKS)  # the buyer needs stock shown
        [external_id] = await buy(world, kind, [(orderable(world, 1)[0], 1)])

        async def stored() -> bool:
            async with world.hub.db.reading() as s:
                rows = (await s.execute(select(InboxItem.order_external_id, InboxItem.status))).all()
            return (external_id, "new") in rows

        await wait_for(stored, timeout=60, every=0.1)
        async with world.hub.db.reading() as s:
            pushes = len((await s.execute(select(InboxItem.id).where(InboxItem.status == "new"))).all())
        writes: list[object] = []

        def count(_session: object, transaction: SessionTransaction) -> None:
            if transaction.parent is None:  # a write transaction ended (not a savepoint)
                writes.append(transaction)

        event.listen(world.hub.db.session_class, "after_transaction_end", count)
        handled = await process_inbox(world.hub)
        event.remove(world.hub.db.session_class, "after_transaction_end", count)

        assert handled == pushes
        async with world.hub.db.reading() as s:
            statuses = {r[0] for r in (await s.execute(select(InboxItem.status))).all()}
            orders = [r[0] for r in (await s.execute(select(Order.external_id))).all()]
        assert statuses == {"done"}
        assert orders == [external_id]
        assert len(writes) == pushes  # one write per push: the order, its stock and the push done
