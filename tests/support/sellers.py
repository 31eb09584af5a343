"""Two sellers of one sandbox process kept apart: each sees only its own warehouses and catalog,
and a wrong key of the added seller is refused as on a sandbox of its own."""

from __future__ import annotations

import pytest

from marketbridge.channels.errors import AuthError
from marketbridge.channels.roles import CatalogSource, has_role
from tests.support.marketplaces import Market, offer


async def _seen(market: Market) -> tuple[set[str], set[str]]:
    """The warehouses and (where the channel lists a catalog) the offer codes the seller's channel sees."""
    channel = market.channel()
    try:
        await channel.check()
        warehouses = {w.external_id for w in await channel.list_warehouses()}
        codes: set[str] = set()
        if has_role(channel, CatalogSource):
            codes = {o.offer_code async for page in channel.iter_offers() for o in page}  # type: ignore[attr-defined]
    finally:
        await channel.aclose()
    return warehouses, codes


async def sellers_kept_apart(first: Market, second: Market) -> None:
    first.seed([offer("FIRST-1", 811, ["7101"])], ("7101",))
    second.seed([offer("SECOND-1", 812, ["7202"])], ("7202",))
    first_warehouses, first_codes = await _seen(first)
    second_warehouses, second_codes = await _seen(second)
    assert "7101" in first_warehouses and "7202" not in first_warehouses
    assert "7202" in second_warehouses and "7101" not in second_warehouses
    assert "SECOND-1" not in first_codes and "FIRST-1" not in second_codes
    if has_role(first.channel_spec.channel_class, CatalogSource):
        assert "FIRST-1" in first_codes and "SECOND-1" in second_codes
    assert [i["offer_code"] for i in second.items("stocks")] == ["SECOND-1"]
    channel = second.channel(second.wrong_credentials())
    try:
        with pytest.raises(AuthError):
            await channel.check()
    finally:
        await channel.aclose()
