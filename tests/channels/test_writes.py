"""Writes (stocks, prices): one result per item, bad items isolated, batches at the maximum, faults.

What the marketplace received is read back from the sandbox (its stocks, prices and the
journal of requests), never from the connector.
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import pytest

from marketbridge.channels.roles import (
    CatalogSource,
    ItemResult,
    PricePush,
    PriceSink,
    PriceSource,
    StockPush,
    StockSink,
    StockSource,
    has_role,
    require,
)
from tests.support.marketplaces import Market, kinds_with, offer, shop

BULK = 2050  # units in the batch tests: more than the largest batch a marketplace takes (2,000)
BULK_WAREHOUSE = "7401"


def stock_map(market: Market) -> dict[tuple[str, str], int]:
    return {(i["offer_code"], str(i["warehouse_id"])): int(i["quantity"]) for i in market.items("stocks")}


async def bulk(market: Market) -> list[str]:
    """BULK more units in one more warehouse (seeded once per marketplace)."""
    if "bulk" not in market.cache:
        codes = [f"BATCH-{n:04d}" for n in range(BULK)]
        market.seed([offer(c, 20_000 + n, [BULK_WAREHOUSE]) for n, c in enumerate(codes)], (BULK_WAREHOUSE,))
        market.cache["bulk"] = codes
        market.cache["bulk_ids"] = await market.unit_ids()
        market.cache["bulk_barcodes"] = {c: f"46{20_000 + n:011d}" for n, c in enumerate(codes)}
    codes: list[str] = market.cache["bulk"]
    return codes


async def bulk_stocks(market: Market, quantity: int) -> list[StockPush]:
    codes = await bulk(market)
    ids, barcodes = market.cache["bulk_ids"], market.cache["bulk_barcodes"]
    return [StockPush(ids[c], c, BULK_WAREHOUSE, quantity, barcode=barcodes[c]) for c in codes]


def batch_sizes(market: Market, mark: float, total: int) -> list[int]:
    """Item counts of the requests, since `mark`, to the one path that received `total` items
    in more than one request (the batches of a write)."""
    per_path: dict[tuple[str, str], list[int]] = {}
    for entry in market.journal_since(mark):
        body: Any = entry.get("body")
        lists = [v for v in body.values() if isinstance(v, list)] if isinstance(body, dict) else []
        if isinstance(body, list):
            lists.append(body)
        if lists:
            per_path.setdefault((entry["method"], entry["path"]), []).append(max(len(v) for v in lists))
    batched = [sizes for sizes in per_path.values() if sum(sizes) == total and len(sizes) > 1]
    assert batched, per_path
    return batched[0]


def assert_one_per_item(results: list[ItemResult], keys: list[str]) -> None:
    assert [r.key for r in results] == keys, "one ItemResult per item, in order"


@pytest.mark.parametrize("market", kinds_with(StockSink), indirect=True)
async def test_stocks_one_result_per_item_and_a_bad_item_alone_fails(market: Market) -> None:
    s = await shop(market)
    a, b = s.plain[:2]
    pushes = [
        StockPush(s.external_ids[a], a, s.warehouses[0], 5, barcode=s.barcodes[a]),
        StockPush("999999991", "NO-SUCH-OFFER", s.warehouses[0], 1, barcode="4699999999991"),
        StockPush(s.external_ids[b], b, s.warehouses[1], 0, barcode=s.barcodes[b]),
    ]
    channel = require(market.channel(), StockSink)
    sent = time.time()
    try:
        results = await channel.push_stocks(pushes)
    finally:
        await channel.aclose()  # type: ignore[attr-defined]
    answered = time.time()
    assert_one_per_item(results, [p.external_id for p in pushes])
    assert [r.ok for r in results] == [True, False, True], results
    assert results[1].code or results[1].message, "a refused item says why"
    stored = stock_map(market)
    assert stored[(a, s.warehouses[0])] == 5 and stored[(b, s.warehouses[1])] == 0
    # the read-back says when the marketplace accepted each value (the benchmarks time up to it)
    stamps = {(i["offer_code"], str(i["warehouse_id"])): i["set_at"] for i in market.items("stocks")}
    for key in ((a, s.warehouses[0]), (b, s.warehouses[1])):
        assert stamps[key] is not None and sent - 0.05 <= stamps[key] <= answered + 0.05, (
            key,
            sent,
            stamps[key],
        )


@pytest.mark.parametrize("market", kinds_with(StockSink), indirect=True)
async def test_stock_batches_split_at_the_maximum(market: Market) -> None:
    pushes = await bulk_stocks(market, 4)
    channel = require(market.channel(), StockSink)
    mark = time.time()
    try:
        results = await channel.push_stocks(pushes)
    finally:
        await channel.aclose()  # type: ignore[attr-defined]
    assert all(r.ok for r in results), [r for r in results if not r.ok][:3]
    sizes = batch_sizes(market, mark, len(pushes))
    assert all(n == sizes[0] for n in sizes[:-1]) and sizes[-1] <= sizes[0], "full batches, then the rest"
    stored = stock_map(market)
    assert all(stored[(p.offer_code, BULK_WAREHOUSE)] == 4 for p in pushes)


@pytest.mark.parametrize("market", kinds_with(StockSink), indirect=True)
async def test_429_waits_and_resumes(market: Market) -> None:
    pushes = await bulk_stocks(market, 6)
    channel = require(market.channel(), StockSink)
    before = market.fault_counters()["rate_limited"]
    try:
        with market.faults(rate_limit_rate=0.25):
            results = await channel.push_stocks(pushes)
    finally:
        await channel.aclose()  # type: ignore[attr-defined]
    assert market.fault_counters()["rate_limited"] > before
    assert all(r.ok for r in results), [r for r in results if not r.ok][:3]
    assert all(q == 6 for (code, _), q in stock_map(market).items() if code.startswith("BATCH-"))


@pytest.mark.parametrize("market", kinds_with(StockSink), indirect=True)
async def test_5xx_fails_only_its_batch_retryably_and_a_retry_completes(market: Market) -> None:
    pushes = await bulk_stocks(market, 8)
    channel = require(market.channel(), StockSink)
    before = market.fault_counters()["errors"]
    try:
        with market.faults(error_rate=0.5):
            first = await channel.push_stocks(pushes)
        assert market.fault_counters()["errors"] > before
        assert_one_per_item(first, [p.external_id for p in pushes])
        failed = [p for p, r in zip(pushes, first, strict=True) if not r.ok]
        assert all(r.retryable for r in first if not r.ok), "a 5xx is worth another try"
        again = await channel.push_stocks(failed)
    finally:
        await channel.aclose()  # type: ignore[attr-defined]
    assert all(r.ok for r in again)
    assert all(q == 8 for (code, _), q in stock_map(market).items() if code.startswith("BATCH-"))


@pytest.mark.parametrize("market", kinds_with(StockSink), indirect=True)
async def test_no_429_when_the_limits_are_respected(market: Market) -> None:
    codes = [f"PACED-{n:03d}" for n in range(150)]
    market.seed([offer(c, 30_000 + n, [BULK_WAREHOUSE]) for n, c in enumerate(codes)])
    ids = await market.unit_ids()
    pushes = [
        StockPush(ids[c], c, BULK_WAREHOUSE, 2, barcode=f"46{30_000 + n:011d}") for n, c in enumerate(codes)
    ]
    channel = market.channel()
    try:
        with market.limits():
            results = await require(channel, StockSink).push_stocks(pushes)
            if has_role(channel, CatalogSource):
                listed = [o async for page in channel.iter_offers() for o in page]  # type: ignore[attr-defined]
                assert len(listed) >= len(pushes)
            rejected = market.rejected_by_limits()
    finally:
        await channel.aclose()
    assert all(r.ok for r in results), [r for r in results if not r.ok][:2]
    assert sum(rejected.values()) == 0, rejected


@pytest.mark.parametrize("market", kinds_with(PriceSink), indirect=True)
async def test_prices_one_result_per_item_and_read_back(market: Market) -> None:
    s = await shop(market)
    a, b = s.plain[2:4]
    pushes = [
        PricePush(s.external_ids[a], a, Decimal("899")),
        PricePush("999999992", "NO-SUCH-OFFER", Decimal("100")),
        PricePush(s.external_ids[b], b, Decimal("1490")),
    ]
    channel = require(market.channel(), PriceSink)
    try:
        results = await channel.push_prices(pushes)
    finally:
        await channel.aclose()  # type: ignore[attr-defined]
    assert_one_per_item(results, [p.external_id for p in pushes])
    assert [r.ok for r in results] == [True, False, True], results

    async def applied() -> bool:
        prices = {p["offer_code"]: p for p in market.items("prices")}
        return Decimal(str(prices[a]["price"])) == Decimal("899") and Decimal(
            str(prices[b]["price"])
        ) == Decimal("1490")

    from tests.support.marketplaces import wait_until

    await wait_until(applied, what="the prices the marketplace holds")


@pytest.mark.parametrize("market", kinds_with(PriceSource), indirect=True)
async def test_price_import_reads_what_the_marketplace_holds(market: Market) -> None:
    s = await shop(market)
    held = {p["offer_code"]: Decimal(str(p["price"])) for p in market.items("prices")}
    channel = require(market.channel(), PriceSource)
    try:
        read = {p.offer_code: p async for page in channel.iter_prices() for p in page}
    finally:
        await channel.aclose()  # type: ignore[attr-defined]
    for code in s.plain:
        assert read[code].price == held[code], code
        assert read[code].external_id, code


@pytest.mark.parametrize("market", kinds_with(StockSource), indirect=True)
async def test_stock_import_reads_what_the_marketplace_holds(market: Market) -> None:
    s = await shop(market)
    held = stock_map(market)
    channel = require(market.channel(), StockSource)
    try:
        units = [s.external_ids[c] for c in s.plain]
        read = [r async for page in channel.iter_stocks(units, list(s.warehouses)) for r in page]
    finally:
        await channel.aclose()  # type: ignore[attr-defined]
    code_of = {s.external_ids[c]: c for c in s.plain}
    got = {(code_of[r.external_id], r.warehouse_id): r.quantity for r in read}
    assert got == {(c, w): held[(c, w)] for c in s.plain for w in s.warehouses}
