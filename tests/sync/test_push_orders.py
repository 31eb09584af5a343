"""Orders by push: duplicated and out-of-order notifications still make exactly one order each.

Polling is switched off here, so every order reaches the hub through the push receiver, the
inbox and its processing alone.
"""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select

from marketbridge.channels import registry
from marketbridge.channels.roles import PushHandler, has_role
from marketbridge.channels.spec import ChannelSpec
from marketbridge.demo.catalog import build_catalog
from marketbridge.demo.shopping import buy, orderable
from marketbridge.demo.world import open_world, wait_for
from marketbridge.store.db import Database
from marketbridge.store.tables import InboxItem, Order


def _pushes_orders(spec: ChannelSpec) -> bool:
    return has_role(spec.channel_class, PushHandler)


PUSH_KINDS = sorted(kind for kind, spec in registry.load_all().items() if _pushes_orders(spec))


def test_a_registered_marketplace_takes_pushes() -> None:
    """The tests below take one parameter per push-capable marketplace: with none, they would be
    reported as skipped; this makes an empty list a failure."""
    assert PUSH_KINDS, "no registered channel plays PushHandler"


@pytest.mark.parametrize("kind", PUSH_KINDS)
async def test_duplicated_and_reordered_pushes_make_one_order_each(kind: str, db: Database) -> None:
    catalog = build_catalog(products=12, seed=9, bundles=1)
    no_polling = {"schedule": {"orders": 0, "returns": 0, "moderation": 0}}
    async with open_world(catalog, db, kinds=[kind], connection_settings=no_polling) as world:
        market = world.markets[kind]
        push = (await market.control.get("/push")).json()
        assert push["url"], "the world points the sandbox's pushes at the hub"
        (
            await market.control.put(
                "/push", json={"url": push["url"], "duplicate_rate": 1.0, "reorder_rate": 0.5}
            )
        ).raise_for_status()
        placed: list[str] = []
        for sku in orderable(world, 6):
            placed += await buy(world, kind, [(sku, 1)])
        # the buyer cancels two of them: more pushes, some overtaking others
        for external_id in placed[:2]:
            (
                await market.control.post(f"/orders/{external_id}/move", json={"status": "cancelled"})
            ).raise_for_status()

        async def settled() -> bool:
            async with world.hub.db.session() as s:
                rows = (await s.execute(select(Order.external_id, Order.status))).all()
            states = dict(rows)
            return (
                sorted(states) == sorted(placed)
                and all(states[e] == "cancelled" for e in placed[:2])
                and all(states[e] == "new" for e in placed[2:])
            )

        await wait_for(settled, timeout=60, every=0.3)
        async with world.hub.db.session() as s:
            externals = [r[0] for r in (await s.execute(select(Order.external_id))).all()]
            inbox = (await s.execute(select(InboxItem.dedup_key, InboxItem.status))).all()
        assert Counter(externals) == Counter(placed)  # exactly once each
        assert {status for _, status in inbox} <= {"done", "new"}
        delivered = (await market.control.get("/push")).json()["delivered"]
        assert delivered > len(inbox)  # duplicates arrived and were acknowledged without a second inbox row
