"""Putting the demo catalog into the hub: warehouses, products, bundles, stock and prices."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from marketbridge.demo.catalog import DemoCatalog
from marketbridge.store.catalog import upsert_bundles, upsert_products
from marketbridge.store.tables import OfferPrice, PriceType, StockLevel, Warehouse
from marketbridge.store.types import utcnow
from marketbridge.store.upsert import insert_for

PRICE_TYPES = {"base": "Base price", "old": "Strike-through price"}


@dataclass
class HubIds:
    warehouses: dict[str, int]  # code -> id
    offers: dict[str, int]  # sku -> id
    price_types: dict[str, int]  # code -> id


async def seed_hub(session: AsyncSession, account_id: int, catalog: DemoCatalog) -> HubIds:
    for wh in catalog.warehouses:
        stmt = insert_for(session, Warehouse).values(account_id=account_id, code=wh.code, name=wh.name)
        await session.execute(stmt.on_conflict_do_nothing(index_elements=["account_id", "code"]))
    warehouses = {
        code: wid
        for code, wid in await session.execute(
            select(Warehouse.code, Warehouse.id).where(Warehouse.account_id == account_id)
        )
    }
    _, offer_counts = await upsert_products(session, account_id, catalog.products)
    offers = dict(offer_counts.ids)
    if catalog.bundles:
        offers.update((await upsert_bundles(session, account_id, catalog.bundles)).ids)
    now = utcnow()
    rows = [
        {
            "account_id": account_id,
            "offer_id": offers[sku],
            "warehouse_id": warehouses[code],
            "on_hand": qty,
            "reserved": 0,
            "updated_at": now,
        }
        for sku, levels in catalog.stock.items()
        for code, qty in levels.items()
    ]
    if rows:
        stmt = insert_for(session, StockLevel)
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=["offer_id", "warehouse_id"], set_={"on_hand": stmt.excluded.on_hand}
            ),
            rows,
        )
    for code, name in PRICE_TYPES.items():
        stmt = insert_for(session, PriceType).values(
            account_id=account_id, code=code, name=name, currency="RUB"
        )
        await session.execute(stmt.on_conflict_do_nothing(index_elements=["account_id", "code"]))
    types = {
        code: tid
        for code, tid in await session.execute(
            select(PriceType.code, PriceType.id).where(PriceType.account_id == account_id)
        )
    }
    price_rows = []
    for sku, (price, old) in catalog.prices.items():
        price_rows.append(
            {
                "account_id": account_id,
                "offer_id": offers[sku],
                "price_type_id": types["base"],
                "amount": price,
            }
        )
        if old is not None:
            price_rows.append(
                {
                    "account_id": account_id,
                    "offer_id": offers[sku],
                    "price_type_id": types["old"],
                    "amount": old,
                }
            )
    if price_rows:
        stmt = insert_for(session, OfferPrice)
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=["offer_id", "price_type_id"], set_={"amount": stmt.excluded.amount}
            ),
            price_rows,
        )
    return HubIds(warehouses=warehouses, offers=offers, price_types=types)
