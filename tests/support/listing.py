"""Listing a new card on a marketplace through the seller API, and waiting for its verdict.

Used by the order-flow tests (every marketplace with a card exporter, shortened timing) and by
the tests that run a marketplace's moderation with its real timing.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from marketbridge.demo.world import World
from marketbridge.store.tables import Connection
from marketbridge.sync.dispatch import JobKind


async def list_a_new_card(api: httpx.AsyncClient, world: World, *, checks: bool = False) -> int:
    """Create a product with complete data, map its category, list its offer on the world's one
    marketplace; returns the offer's hub id. With `checks`, the refusals on the way are asserted
    (an unknown SKU, an unknown category, a card without a price)."""
    (market,) = world.markets.values()
    conn = market.connection_id
    category = world.catalog.products[0].category_id
    body: dict[str, Any] = {
        "items": [
            {
                "sku": "NEW-CARD",
                "name": "A new card",
                "brand": "Acme",
                "category_id": category,
                "images": [{"url": "https://img.example/new.jpg", "primary": True}],
                "offers": [{"sku": "NEW-CARD-1", "barcodes": ["4600000099991"], "weight_g": 300}],
            }
        ]
    }
    assert (await api.post("/catalog/products/bulk", json=body)).status_code == 200
    refreshed = await api.post(f"/connections/{conn}/categories/refresh")
    assert refreshed.status_code == 200 and refreshed.json()["categories"] > 0
    leaves = (await api.get(f"/connections/{conn}/categories", params={"leaf": True})).json()["items"]
    leaf = leaves[0]["id"]
    attributes = await api.get(f"/connections/{conn}/categories/{leaf}/attributes")
    assert attributes.status_code == 200, attributes.text
    mapping = {"items": [{"hub_category": category, "external_category_id": leaf}]}
    assert (await api.put(f"/connections/{conn}/category-mappings", json=mapping)).status_code == 200
    if checks:
        bad = {"items": [{"hub_category": "x", "external_category_id": "no-such-category"}]}
        assert (await api.put(f"/connections/{conn}/category-mappings", json=bad)).status_code == 422
        unknown = await api.post(f"/catalog/listings/{conn}", json={"offer_skus": ["NOPE"]})
        assert unknown.status_code == 422 and unknown.json()["errors"][0]["sku"] == "NOPE"
        unpriced = await api.post(f"/catalog/listings/{conn}", json={"offer_skus": ["NEW-CARD-1"]})
        assert unpriced.status_code == 409 and unpriced.json()["code"] == "no_price", unpriced.text
    # complete data: the price in the price type mapped to the connection's price, and a value
    # (from the marketplace's dictionary where it has one) for every required attribute
    price_types = (await api.get(f"/connections/{conn}/price-mappings")).json()["items"]
    price_type = next(m["price_type"] for m in price_types if m["target"] == "price")
    price = {"items": [{"offer_sku": "NEW-CARD-1", "price_type": price_type, "amount": "1490.00"}]}
    assert (await api.post("/prices/bulk", json=price)).status_code == 200
    async with world.hub.db.session() as s:
        row = await s.get(Connection, conn)
        assert row is not None
    channel = world.hub.channels.get(row)
    filled = [
        {"attribute_id": a["id"], "values": [await _valid_value(channel, leaf, a)]}
        for a in attributes.json()
        if a["required"]
    ]
    body["items"][0]["attributes"] = filled
    assert (await api.post("/catalog/products/bulk", json=body)).status_code == 200
    listed = await api.post(f"/catalog/listings/{conn}", json={"offer_skus": ["NEW-CARD-1"]})
    assert listed.status_code == 202, listed.text
    assert listed.json()["task_id"] and listed.json()["offers"] == 1
    offer = (await api.get("/catalog/offers", params={"sku": "NEW-CARD-1"})).json()["items"][0]
    return int(offer["id"])


async def moderation_verdicts(
    api: httpx.AsyncClient, world: World, offer_id: int, *, timeout: float
) -> list[dict[str, Any]]:
    """Run the moderation job until the events feed holds a verdict on the offer's card; the verdicts."""
    (market,) = world.markets.values()
    deadline = time.monotonic() + timeout
    while True:
        await world.run(market.connection_id, JobKind.MODERATION)
        feed = (await api.get("/events", params={"limit": 500})).json()["items"]
        verdicts: list[dict[str, Any]] = [
            e
            for e in feed
            if e["type"] in ("card.moderated", "card.rejected") and e["data"]["offer_id"] == offer_id
        ]
        if verdicts:
            return verdicts
        assert time.monotonic() < deadline, f"no moderation verdict within {timeout} s"
        await asyncio.sleep(0.25)


async def _valid_value(channel: object, category_id: str, attribute: dict[str, Any]) -> str:
    """A value the marketplace accepts for a required attribute: the first of its dictionary if it
    has one (the seller API does not serve dictionaries, so they are read through the channel)."""
    if not attribute["dictionary"]:
        return "Model 1"
    values = getattr(channel, "attribute_values", None)
    assert values is not None, f"{attribute['name']} is a dictionary the channel cannot read"
    dictionary: dict[str, int] = await values(category_id, attribute["id"])
    assert dictionary, f"empty dictionary for {attribute['name']}"
    return min(dictionary, key=lambda v: dictionary[v])
