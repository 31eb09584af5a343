"""Playing the buyer on the sandboxes: pick offers a marketplace shows in stock, place orders."""

from __future__ import annotations

from marketbridge.demo.world import World, wait_for


def orderable(world: World, count: int, min_stock: int = 2, skip: int = 0) -> list[str]:
    """Offer SKUs without marking codes that have at least `min_stock` units in the first warehouse."""
    skus = [
        o.sku
        for o in world.catalog.offers
        if not o.requires_marking
        and world.catalog.stock[o.sku].get(world.catalog.warehouses[0].code, 0) >= min_stock
    ]
    return skus[skip : skip + count]


async def buy(world: World, kind: str, lines: list[tuple[str, int]]) -> list[str]:
    """Place one purchase on a marketplace once it shows the stock; returns the marketplace's order ids."""
    whs = await world.warehouse_ids(kind)

    async def visible() -> bool:
        stocks = await world.sandbox_stocks(kind)
        return all(stocks.get((code, whs[0]), 0) >= qty for code, qty in lines)

    await wait_for(visible, timeout=60, every=0.2)
    return await place(world, kind, lines, whs[0])


async def place(world: World, kind: str, lines: list[tuple[str, int]], warehouse: str) -> list[str]:
    """Place one purchase at once (the caller knows the stock is shown); the marketplace's order ids."""
    placed = await world.markets[kind].control.post(
        "/orders",
        json={"lines": [{"offer_code": c, "quantity": q} for c, q in lines], "warehouse_id": warehouse},
    )
    if placed.status_code != 200:
        raise RuntimeError(f"{kind}: the buyer could not order: {placed.status_code} {placed.text}")
    return [str(i) for i in placed.json()["ids"]]
