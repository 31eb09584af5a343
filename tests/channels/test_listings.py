"""Listings: catalog, orders and returns across page boundaries; broken answers are BadResponse.

Each marketplace's sandbox is seeded with more items than any connector's page holds, so
every listing has to follow its paging; the journal of the sandbox shows it asked for more
than one page. A malformed body (fault injection) ends in BadResponse, never a KeyError or
TypeError; a share of 5xx and 429 answers is retried and the listing is still complete.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from marketbridge.channels.errors import BadResponse, NotFoundError, TransientError
from marketbridge.channels.roles import CatalogSource, OrderSource, ReturnsSource, has_role, require
from tests.support.marketplaces import Market, kinds_with, offer, registered_kinds, window

#: More than the largest page any connector asks for (1000 units, orders or returns).
MANY = 1010
WAREHOUSE = "7301"


async def drain(pages: AsyncIterator[list[Any]]) -> list[Any]:
    items: list[Any] = []
    async for page in pages:
        assert isinstance(page, list)
        items.extend(page)
    return items


def paged(market: Market, mark: float) -> bool:
    """Whether some marketplace path was called more than once since `mark` (a second page)."""
    calls = Counter((e["method"], e["path"]) for e in market.journal_since(mark))
    return any(n > 1 for n in calls.values())


def catalog(market: Market) -> list[str]:
    if "catalog" not in market.cache:
        codes = [f"BULK-{n:05d}" for n in range(MANY)]
        offers = [offer(code, 10_000 + n, [WAREHOUSE]) for n, code in enumerate(codes)]
        market.seed(offers, (WAREHOUSE,))
        market.cache["catalog"] = codes
    codes: list[str] = market.cache["catalog"]
    return codes


async def orders(market: Market) -> list[str]:
    """MANY orders placed by buyers."""
    if "orders" not in market.cache:
        codes = catalog(market)
        body = [
            ("/orders", {"lines": [{"offer_code": codes[n % 20], "quantity": 1}], "warehouse_id": WAREHOUSE})
            for n in range(MANY)
        ]
        placed = [str(i) for reply in await market.many("POST", body) for i in reply["ids"]]
        market.cache["orders"] = placed
    ids: list[str] = market.cache["orders"]
    return ids


async def returns(market: Market, count: int) -> list[str]:
    """`count` delivered orders with a return opened on each; their order ids."""
    if "returns" not in market.cache:
        chosen = (await orders(market))[:count]
        await market.many("POST", [(f"/orders/{i}/move", {"status": "delivered"}) for i in chosen])
        await market.many(
            "POST", [("/returns", {"order_id": i, "reason": "changed my mind"}) for i in chosen]
        )
        market.cache["returns"] = chosen
    ids: list[str] = market.cache["returns"]
    return ids


async def list_all(market: Market, listing: Callable[[Any], AsyncIterator[list[Any]]]) -> list[Any]:
    """Everything one listing yields from a fresh channel; asserts it asked for more than one page."""
    channel = market.channel()
    mark = time.time()
    try:
        items = await drain(listing(channel))
    finally:
        await channel.aclose()
    assert paged(market, mark), "the listing fetched a single page"
    return items


@pytest.mark.parametrize("market", kinds_with(CatalogSource), indirect=True)
async def test_catalog_crosses_pages(market: Market) -> None:
    codes = catalog(market)
    listed = Counter(o.offer_code for o in await list_all(market, lambda ch: ch.iter_offers()))
    assert set(codes) <= set(listed)
    assert all(listed[c] == 1 for c in codes), "a unit was listed twice"


@pytest.mark.parametrize("market", kinds_with(OrderSource), indirect=True)
async def test_orders_cross_pages(market: Market) -> None:
    placed = await orders(market)
    since, until = window()
    seen = Counter(o.external_id for o in await list_all(market, lambda ch: ch.iter_orders(since, until)))
    assert set(placed) <= set(seen)
    assert all(seen[i] == 1 for i in placed), "an order was listed twice"


@pytest.mark.parametrize("market", kinds_with(ReturnsSource, OrderSource), indirect=True)
async def test_returns_cross_pages(market: Market) -> None:
    opened = await returns(market, MANY // 2 + 10)
    since, _ = window()
    listed = await list_all(market, lambda ch: ch.iter_returns(since))
    assert set(opened) <= {r.order_external_id for r in listed}
    assert len(listed) == len({r.external_id for r in listed}), "a return was listed twice"


def listings(market: Market) -> dict[str, Any]:
    channel = market.channel()
    since, until = window()
    calls: dict[str, Any] = {"channel": channel}
    if has_role(channel, CatalogSource):
        calls["offers"] = lambda: channel.iter_offers()
    if has_role(channel, OrderSource):
        calls["orders"] = lambda: channel.iter_orders(since, until)
    if has_role(channel, ReturnsSource):
        calls["returns"] = lambda: channel.iter_returns(since)
    return calls


@pytest.mark.parametrize("market", registered_kinds(), indirect=True)
async def test_malformed_answers_are_bad_response(market: Market) -> None:
    catalog(market)
    calls = listings(market)
    channel = calls.pop("channel")
    assert calls, "a marketplace has at least one listing"
    try:
        with market.faults(malformed_rate=1.0):
            for name, listing in calls.items():
                with pytest.raises(BadResponse):
                    await drain(listing())
                assert market.fault_counters()["malformed"] > 0, name
    finally:
        await channel.aclose()


@pytest.mark.parametrize("market", kinds_with(CatalogSource), indirect=True)
async def test_5xx_on_reads_is_retried(market: Market) -> None:
    codes = catalog(market)
    channel = market.channel()
    try:
        before = market.fault_counters()
        with market.faults(error_rate=0.3):
            offers = await drain(channel.iter_offers())  # type: ignore[attr-defined]
        after = market.fault_counters()
    finally:
        await channel.aclose()
    assert set(codes) <= {o.offer_code for o in offers}
    assert after["errors"] > before["errors"]


@pytest.mark.parametrize("market", registered_kinds(), indirect=True)
async def test_broken_bodies_and_lasting_5xx_on_single_reads(market: Market) -> None:
    catalog(market)
    channel = market.channel()
    try:
        with market.faults(malformed_rate=1.0), pytest.raises(BadResponse):
            await channel.list_warehouses()
        with market.faults(error_rate=1.0), pytest.raises(TransientError):
            await channel.list_warehouses()
        assert WAREHOUSE in {w.external_id for w in await channel.list_warehouses()}
    finally:
        await channel.aclose()


@pytest.mark.parametrize("market", kinds_with(OrderSource), indirect=True)
async def test_one_order_read_broken_retried_and_unknown(market: Market) -> None:
    order_id = (await orders(market))[-1]
    channel = require(market.channel(), OrderSource)
    try:
        with market.faults(malformed_rate=1.0), pytest.raises(BadResponse):
            await channel.get_order(order_id)
        before = market.fault_counters()["errors"]
        with market.faults(error_rate=0.3):
            for _ in range(5):
                assert (await channel.get_order(order_id)).external_id == order_id
        assert market.fault_counters()["errors"] > before
        with pytest.raises(NotFoundError):
            await channel.get_order("999999999")
    finally:
        await channel.aclose()  # type: ignore[attr-defined]
