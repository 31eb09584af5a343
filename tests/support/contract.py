"""The smoke level of the conformance suite: what any connector + sandbox pair passes first.

`smoke_check` (the credentials check and the warehouses) and `smoke_listing` (one listing
of the units it was seeded with) run in tests/channels for every registered marketplace and,
from tests/channels/test_skeleton.py, against the skeleton pair, so the skeleton cannot rot.
"""

from __future__ import annotations

from marketbridge.channels.roles import CatalogSource, OrderSource, has_role
from tests.support.marketplaces import Market, offer, window


async def smoke_check(market: Market) -> None:
    """The credentials check passes and the seeded warehouses are listed."""
    market.seed([], ("7101",))
    channel = market.channel()
    try:
        await channel.check()
        warehouses = await channel.list_warehouses()
    finally:
        await channel.aclose()
    assert "7101" in {w.external_id for w in warehouses}


async def smoke_listing(market: Market) -> None:
    """One listing brings back what was seeded: the catalog, or else the orders."""
    codes = [f"SMOKE-{n}" for n in range(3)]
    market.seed([offer(c, 900 + n, ["7101"]) for n, c in enumerate(codes)], ("7101",))
    channel = market.channel()
    try:
        if has_role(channel, CatalogSource):
            listed = {o.offer_code async for page in channel.iter_offers() for o in page}  # type: ignore[attr-defined]
            assert set(codes) <= listed, listed
        else:
            assert has_role(channel, OrderSource), "a channel lists its catalog or its orders"
            placed = market.place([(codes[0], 1)])
            since, until = window()
            seen = {o.external_id async for page in channel.iter_orders(since, until) for o in page}  # type: ignore[attr-defined]
            assert set(placed) <= seen
    finally:
        await channel.aclose()
