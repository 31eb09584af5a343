"""Setting stock levels in the hub: the one entry for the seller's stock, whatever calls it.

The new on-hand quantities are written and the resulting marketplace values are queued in
the same transaction; the ledger's pushers are kicked once it committed (`sync/kicks.py`).
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.ext.asyncio import AsyncSession

from marketbridge.store.tables import StockLevel
from marketbridge.store.types import utcnow
from marketbridge.store.upsert import insert_for
from marketbridge.sync import ledger


async def set_on_hand(
    session: AsyncSession, account_id: int, levels: Mapping[tuple[int, int], int], push: bool = True
) -> None:
    """Set on-hand quantities for (offer id, warehouse id) and, unless `push` is False (the
    caller queues itself), queue what the marketplaces should show."""
    now = utcnow()
    rows = [
        {
            "account_id": account_id,
            "offer_id": offer_id,
            "warehouse_id": wh,
            "on_hand": qty,
            "reserved": 0,
            "updated_at": now,
        }
        for (offer_id, wh), qty in levels.items()
    ]
    if rows:
        stmt = insert_for(session, StockLevel)
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=["offer_id", "warehouse_id"],
                set_={"on_hand": stmt.excluded.on_hand, "updated_at": stmt.excluded.updated_at},
            ),
            rows,
        )
    if push:
        await ledger.stock_changed(session, account_id, {offer_id for offer_id, _ in levels})
