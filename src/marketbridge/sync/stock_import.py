"""The stock import: a connection's marketplace stock becomes the hub's starting stock.

A live shop connected to the hub keeps showing its own stock (the hub pushes nothing for a
stock it does not know). The stock import reads what the marketplace shows for sale of each
linked unit in each mapped marketplace warehouse and writes it as on-hand stock of the hub
warehouse that feeds it (the mapped hub warehouse with the lowest id when several feed one;
the sum when one hub warehouse feeds several), plus what the hub holds reserved there, so
the available stock equals the marketplace's. A linked unit the marketplace reports nothing
for in a warehouse counts 0 there. Bundles hold no stock of their own and are skipped. The
values read count as pushed to this connection; the other connections of the same offers get
the imported stock pushed as usual.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from marketbridge.channels.roles import Channel, StockSource, require
from marketbridge.store.db import Database
from marketbridge.store.tables import Connection, Link, PushedValue, StockLevel, WarehouseMapping
from marketbridge.store.types import utcnow
from marketbridge.store.upsert import chunks, insert_for
from marketbridge.sync import ledger
from marketbridge.sync.dispatch import ChangeKind
from marketbridge.sync.runs import RunRecorder
from marketbridge.sync.stocks import set_on_hand


async def _plan(session: AsyncSession, connection_id: int) -> tuple[dict[str, int], dict[str, int]]:
    """(linked unit -> simple offer id, marketplace warehouse -> the hub warehouse it feeds)."""
    links = {
        ext: offer_id
        for ext, offer_id in await session.execute(
            select(Link.external_id, Link.entity_id).where(
                Link.connection_id == connection_id, Link.entity_kind == "offer"
            )
        )
    }
    kinds = await ledger.offer_kinds(session, set(links.values()))
    feeds: dict[str, int] = {}
    for ext_wh, hub_wh in await session.execute(
        select(WarehouseMapping.external_warehouse_id, WarehouseMapping.warehouse_id).where(
            WarehouseMapping.connection_id == connection_id
        )
    ):
        feeds[ext_wh] = min(hub_wh, feeds.get(ext_wh, hub_wh))
    return {ext: oid for ext, oid in links.items() if kinds.get(oid) != "bundle"}, feeds


async def _reserved(session: AsyncSession, keys: set[tuple[int, int]]) -> dict[tuple[int, int], int]:
    out: dict[tuple[int, int], int] = {}
    for part in chunks(sorted({offer_id for offer_id, _ in keys})):
        for offer_id, wh, reserved in await session.execute(
            select(StockLevel.offer_id, StockLevel.warehouse_id, StockLevel.reserved).where(
                StockLevel.offer_id.in_(part)
            )
        ):
            out[(offer_id, wh)] = reserved
    return out


async def import_stocks(db: Database, conn: Connection, channel: Channel, recorder: RunRecorder) -> None:
    """Take the marketplace's current stock of the linked units as the hub's on-hand stock."""
    async with db.session() as s:
        units, feeds = await _plan(s, conn.id)
    if not feeds:
        recorder.item_error("mapping", "no hub warehouse is mapped to this connection's warehouses")
        return
    remote: dict[tuple[str, str], int] = dict.fromkeys(((e, w) for e in units for w in feeds), 0)
    async for page in require(channel, StockSource).iter_stocks(sorted(units), sorted(feeds)):
        for item in page:
            if (item.external_id, item.warehouse_id) in remote:
                remote[(item.external_id, item.warehouse_id)] = item.quantity
    levels: dict[tuple[int, int], int] = defaultdict(int)
    for (ext, ext_wh), quantity in remote.items():
        levels[(units[ext], feeds[ext_wh])] += quantity
    async with db.session() as s:
        reserved = await _reserved(s, set(levels))
        await set_on_hand(
            s, conn.account_id, {key: qty + reserved.get(key, 0) for key, qty in levels.items()}, push=False
        )
        targets = await ledger.stock_targets(s, conn.account_id, set(units.values()), connection_id=conn.id)
        now = utcnow()
        held = [
            {
                "connection_id": conn.id,
                "kind": ChangeKind.STOCK,
                "key": key,
                "value": ledger.marketplace_value(payload),
                "pushed_at": now,
            }
            for _, key, payload in targets
            if remote.get((payload["external_id"], payload["warehouse_id"])) == payload["quantity"]
        ]
        if held:  # the marketplace shows these values already: nothing to push back to it
            stmt = insert_for(s, PushedValue)
            await s.execute(
                stmt.on_conflict_do_update(
                    index_elements=["connection_id", "kind", "key"],
                    set_={"value": stmt.excluded.value, "pushed_at": stmt.excluded.pushed_at},
                ),
                held,
            )
        await ledger.stock_changed(s, conn.account_id, set(units.values()))
    recorder.count("imported", len(remote))
