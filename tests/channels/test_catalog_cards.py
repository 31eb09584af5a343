"""Catalog reads (categories, attributes) and card export with a refused card and its reason."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal

import pytest

from marketbridge.channels.roles import CardDraft, CardExporter, CardResult, CatalogSource, require
from marketbridge.model import ListingStatus
from tests.support.marketplaces import Market, kinds_with


async def leaf_with_required(channel: CatalogSource) -> tuple[str, list[str]]:
    """A leaf category that asks for at least one required attribute, and those attributes."""
    leaves = [c for c in await channel.categories() if c.leaf]
    assert leaves, "the category tree has leaves"
    for category in leaves[:50]:
        required = [a.id for a in await channel.category_attributes(category.id) if a.required]
        if required:
            return category.id, required
    raise AssertionError("no leaf category with a required attribute among the first 50")


@pytest.mark.parametrize("market", kinds_with(CatalogSource), indirect=True)
async def test_categories_and_attributes(market: Market) -> None:
    channel = require(market.channel(), CatalogSource)
    try:
        tree = await channel.categories()
        ids = {c.id for c in tree}
        assert len(ids) == len(tree), "category ids are unique"
        assert all(c.parent_id is None or c.parent_id in ids for c in tree), "parents are in the tree"
        category_id, required = await leaf_with_required(channel)
        attributes = await channel.category_attributes(category_id)
    finally:
        await channel.aclose()  # type: ignore[attr-defined]
    assert {a.id for a in attributes} >= set(required)
    assert all(a.name for a in attributes)


async def outcome(channel: CardExporter, task: str) -> list[CardResult]:
    deadline = time.monotonic() + 20
    while True:
        results = await channel.card_export_status(task)
        if results is not None:
            return results
        assert time.monotonic() < deadline, "card moderation did not end"
        await asyncio.sleep(0.1)


@pytest.mark.parametrize("market", kinds_with(CardExporter, CatalogSource), indirect=True)
async def test_card_export_refuses_a_card_and_says_why(market: Market) -> None:
    channel = market.channel()
    try:
        category_id, _ = await leaf_with_required(require(channel, CatalogSource))
        bare = CardDraft(
            offer_code="CARD-BARE-1",
            name="Card without its required attributes",
            category_id=category_id,
            barcodes=["4690000000017"],
            price=Decimal("990"),
        )
        exporter = require(channel, CardExporter)
        task = await exporter.export_cards([bare])
        results = await outcome(exporter, task)
    finally:
        await channel.aclose()
    assert [r.offer_code for r in results] == ["CARD-BARE-1"]
    assert results[0].status == ListingStatus.REJECTED
    assert results[0].errors and all(e.strip() for e in results[0].errors)
