"""The demo leaves orders open on every marketplace for the visitor to pack, and gives a ready
command that places one more order on each sandbox."""

from __future__ import annotations

import asyncio
import json

from sqlalchemy import select

from marketbridge.demo.catalog import build_catalog
from marketbridge.demo.cycle import Play
from marketbridge.demo.world import open_world, wait_for
from marketbridge.store.db import Database
from marketbridge.store.tables import Order
from marketbridge.sync.dispatch import JobKind


async def test_the_demo_leaves_orders_to_pack_and_a_command_for_one_more(db: Database) -> None:
    catalog = build_catalog(products=40, seed=1)
    async with open_world(catalog, db) as world:
        play = Play(world, orders_per_marketplace=2, left_open=2)
        summary = await play.run()
        assert summary["ok"], summary["failures"]
        assert set(summary["open_orders"]) == set(world.markets)
        assert summary["sandboxes"] == {k: m.url for k, m in world.markets.items()}
        for kind, market in world.markets.items():
            left = summary["open_orders"][kind]
            assert len(left) == 2
            async with world.hub.db.session() as s:
                states = dict(
                    (
                        await s.execute(
                            select(Order.external_id, Order.status).where(
                                Order.connection_id == market.connection_id
                            )
                        )
                    ).all()
                )
            assert [states[e] for e in left] == ["new", "new"]  # waiting to be packed

            command = await play.order_command(kind)
            assert command.startswith(f"curl -s -X POST {market.url}/_sandbox/orders ")
            shell = await asyncio.create_subprocess_shell(command, stdout=asyncio.subprocess.PIPE)
            out, _ = await shell.communicate()
            assert shell.returncode == 0
            new_ids = [str(i) for i in json.loads(out)["ids"]]
            assert new_ids and not set(new_ids) & set(states)
            await world.hub.dispatcher.kick(market.connection_id, JobKind.ORDERS)

            async def arrived(market_id: int = market.connection_id, wanted: list[str] = new_ids) -> bool:
                async with world.hub.db.session() as s:
                    found = (
                        await s.execute(
                            select(Order.external_id).where(
                                Order.connection_id == market_id, Order.external_id.in_(wanted)
                            )
                        )
                    ).all()
                return len(found) == len(wanted)

            await wait_for(arrived, timeout=90, every=0.3)
