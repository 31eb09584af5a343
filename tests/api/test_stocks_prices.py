"""Stocks and prices: bulk set validated whole, read back with filters, bundles follow their components."""

from __future__ import annotations

import re

import httpx

from tests.api.conftest import ApiEnv
from tests.web.conftest import post_login


async def _catalog(client: httpx.AsyncClient) -> None:
    await client.post("/catalog/offers/bulk", json={"items": [{"sku": "A"}, {"sku": "B"}]})
    await client.post(
        "/catalog/bundles/bulk",
        json={"items": [{"sku": "KIT", "name": "kit", "components": [{"offer_sku": "A", "quantity": 2}]}]},
    )
    for code in ("W1", "W2"):
        assert (await client.post("/warehouses", json={"code": code, "name": code})).status_code == 201


async def test_stocks_bulk(api: ApiEnv, client_a: httpx.AsyncClient) -> None:
    await _catalog(client_a)
    bad = await client_a.post(
        "/stocks/bulk",
        json={
            "items": [
                {"offer_sku": "A", "warehouse": "W1", "on_hand": 5},
                {"offer_sku": "ZZZ", "warehouse": "W1", "on_hand": 1},
                {"offer_sku": "A", "warehouse": "W9", "on_hand": 1},
                {"offer_sku": "KIT", "warehouse": "W1", "on_hand": 1},
                {"offer_sku": "A", "warehouse": "W1", "on_hand": 6},
                {"offer_sku": "B", "warehouse": "W1", "on_hand": -1},
            ]
        },
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["index"] == 5  # schema errors come first and alone
    bad = await client_a.post(
        "/stocks/bulk",
        json={
            "items": [
                {"offer_sku": "A", "warehouse": "W1", "on_hand": 5},
                {"offer_sku": "ZZZ", "warehouse": "W1", "on_hand": 1},
                {"offer_sku": "A", "warehouse": "W9", "on_hand": 1},
                {"offer_sku": "KIT", "warehouse": "W1", "on_hand": 1},
                {"offer_sku": "A", "warehouse": "W1", "on_hand": 6},
            ]
        },
    )
    assert bad.status_code == 422
    assert sorted(e["index"] for e in bad.json()["errors"]) == [1, 2, 3, 4]
    assert (await client_a.get("/stocks")).json()["items"] == []

    ok = await client_a.post(
        "/stocks/bulk",
        json={
            "items": [
                {"offer_sku": "A", "warehouse": "W1", "on_hand": 5},
                {"offer_sku": "A", "warehouse": "W2", "on_hand": 3},
                {"offer_sku": "B", "warehouse": "W1", "on_hand": 0},
            ]
        },
    )
    assert ok.status_code == 200 and ok.json()["written"] == 3
    await client_a.post("/stocks/bulk", json={"items": [{"offer_sku": "A", "warehouse": "W1", "on_hand": 7}]})
    a_w1 = (await client_a.get("/stocks", params={"sku": "A", "warehouse": "W1"})).json()["items"]
    assert [(s["on_hand"], s["reserved"], s["available"]) for s in a_w1] == [(7, 0, 7)]
    page = (await client_a.get("/stocks", params={"limit": 2})).json()
    rest = (await client_a.get("/stocks", params={"limit": 2, "cursor": page["next_cursor"]})).json()
    assert len(page["items"]) == 2 and len(rest["items"]) == 1 and rest["next_cursor"] is None
    async with api.client(api.b) as other:
        assert (await other.get("/stocks")).json()["items"] == []


async def test_prices_bulk_and_price_types(api: ApiEnv, client_a: httpx.AsyncClient) -> None:
    await _catalog(client_a)
    for code in ("retail", "old"):
        assert (await client_a.post("/price-types", json={"code": code, "name": code})).status_code == 201
    bad = await client_a.post(
        "/prices/bulk",
        json={
            "items": [
                {"offer_sku": "A", "price_type": "nope", "amount": "10"},
                {"offer_sku": "Q", "price_type": "retail", "amount": "1"},
            ]
        },
    )
    assert bad.status_code == 422
    assert [(e["index"], e["field"]) for e in bad.json()["errors"]] == [
        (1, "body.items[1].offer_sku"),
        (0, "body.items[0].price_type"),
    ]
    ok = await client_a.post(
        "/prices/bulk",
        json={
            "items": [
                {"offer_sku": "A", "price_type": "retail", "amount": "199.90"},
                {"offer_sku": "A", "price_type": "old", "amount": 250},
                {"offer_sku": "KIT", "price_type": "retail", "amount": "350.5"},
            ]
        },
    )
    assert ok.status_code == 200 and ok.json()["written"] == 3
    retail = (await client_a.get("/prices", params={"price_type": "retail"})).json()["items"]
    assert {p["offer_sku"]: p["amount"] for p in retail} == {"A": "199.90", "KIT": "350.50"}
    too_precise = await client_a.post(
        "/prices/bulk", json={"items": [{"offer_sku": "A", "price_type": "retail", "amount": "1.001"}]}
    )
    assert too_precise.status_code == 422 and too_precise.json()["errors"][0]["sku"] == "A"


async def test_offers_say_whether_their_stock_is_known(api: ApiEnv, client_a: httpx.AsyncClient) -> None:
    await _catalog(client_a)

    async def unknown() -> list[str]:
        page = (await client_a.get("/catalog/offers", params={"stock_known": "false"})).json()
        return sorted(o["sku"] for o in page["items"])

    assert await unknown() == ["A", "B", "KIT"]
    ok = await client_a.post(
        "/stocks/bulk", json={"items": [{"offer_sku": "B", "warehouse": "W1", "on_hand": 0}]}
    )
    assert ok.status_code == 200, ok.text
    assert await unknown() == ["A", "KIT"]  # an explicit 0 is a known stock
    await client_a.post("/stocks/bulk", json={"items": [{"offer_sku": "A", "warehouse": "W2", "on_hand": 4}]})
    assert await unknown() == []
    known = (await client_a.get("/catalog/offers", params={"stock_known": "true"})).json()["items"]
    assert {o["sku"]: o["stock_known"] for o in known} == {"A": True, "B": True, "KIT": True}


async def test_the_dashboard_marks_the_offers_with_no_stock_yet(
    api: ApiEnv, client_a: httpx.AsyncClient
) -> None:
    await _catalog(client_a)
    await client_a.post("/stocks/bulk", json={"items": [{"offer_sku": "B", "warehouse": "W1", "on_hand": 0}]})
    async with httpx.AsyncClient(base_url=api.url, timeout=30) as person:
        assert (await post_login(person, api.a.key)).status_code == 303
        page = await person.get("/dashboard/products")
        assert page.status_code == 200
        marked = set(
            re.findall(
                r"<code>([^<]+)</code></a>(?:[^<]|<span class=\"badge\">[^<]*</span>)*"
                r" <span class=\"badge no-stock\"",
                page.text,
            )
        )
        assert marked == {"A", "KIT"}, marked
        only = await person.get("/dashboard/products", params={"status": "no_stock"})
        assert "<code>B</code>" not in only.text and "<code>A</code>" in only.text
