"""The offers' answers: every field of `OfferOut`, in its order, as the response model writes it.

The offers routes write their JSON without going through the response model, so these tests
hold them to it: each answer must survive `OfferOut` unchanged, key order included, and carry
the offer's own barcodes, components and listings (not another offer's, kind's or account's).
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from marketbridge.api.offer_answers import OfferOut, page_statement
from marketbridge.api.pagination import Page
from marketbridge.store.db import Database
from marketbridge.store.tables import Connection, Link
from tests.api.conftest import ApiEnv


async def _seed(api: ApiEnv, db: Database, client: httpx.AsyncClient) -> dict[str, int]:
    offers = [
        {
            "sku": "A",
            "name": "Alpha",
            "size": "XL",
            "color": "red",
            "weight_g": 120,
            "barcodes": ["4600000000017"],
        },
        {"sku": "B", "requires_marking": True, "barcodes": ["4600000000024", "4600000000031"]},
        {"sku": "C"},
    ]
    assert (await client.post("/catalog/offers/bulk", json={"items": offers})).status_code == 200
    kit = {
        "sku": "KIT",
        "name": "kit",
        "components": [{"offer_sku": "B", "quantity": 3}, {"offer_sku": "A", "quantity": 1}],
    }
    assert (await client.post("/catalog/bundles/bulk", json={"items": [kit]})).status_code == 200
    assert (await client.post("/warehouses", json={"code": "W1", "name": "W1"})).status_code == 201
    stock = {
        "items": [
            {"offer_sku": "A", "warehouse": "W1", "on_hand": 2},
            {"offer_sku": "B", "warehouse": "W1", "on_hand": 0},
        ]
    }
    assert (await client.post("/stocks/bulk", json=stock)).status_code == 200
    page = (await client.get("/catalog/offers")).json()["items"]
    ids = {o["sku"]: o["id"] for o in page}
    async with db.session() as s:  # the test's own engine: the hub's runs in the server's loop
        mine = Connection(
            account_id=api.a.account_id, kind="k", name="one", credentials=b"-", push_secret="s"
        )
        theirs = Connection(
            account_id=api.b.account_id, kind="k", name="two", credentials=b"-", push_secret="s"
        )
        s.add_all([mine, theirs])
        await s.flush()
        links = [
            (api.a.account_id, mine.id, "offer", ids["A"], "EXT-A2", "code", "active", None),
            (api.a.account_id, mine.id, "offer", ids["A"], "EXT-A1", None, None, None),
            (api.a.account_id, mine.id, "offer", ids["B"], "EXT-B", None, "rejected", "no photo"),
            (api.a.account_id, mine.id, "offer", ids["C"], "EXT-C", None, "something new", None),
            (api.a.account_id, mine.id, "shipment", ids["A"], "SHIP-A", None, None, None),
            (api.b.account_id, theirs.id, "offer", ids["A"], "OTHER-A", None, "active", None),
        ]
        for account_id, connection_id, kind, entity_id, external_id, code, status, reason in links:
            s.add(
                Link(
                    account_id=account_id,
                    connection_id=connection_id,
                    entity_kind=kind,
                    entity_id=entity_id,
                    external_id=external_id,
                    external_code=code,
                    status=status,
                    status_reason=reason,
                )
            )
            await s.flush()  # one by one: the listings come back in this order
    return {**ids, "connection": mine.id}


def _as_the_model_writes_it(item: dict[str, Any]) -> dict[str, Any]:
    written: dict[str, Any] = json.loads(OfferOut.model_validate(item).model_dump_json())
    return written


async def test_every_field_in_the_models_order_with_the_offers_own_details(
    api: ApiEnv, db: Database, client_a: httpx.AsyncClient
) -> None:
    ids = await _seed(api, db, client_a)
    answer = await client_a.get("/catalog/offers")
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    page = answer.json()
    assert list(page) == list(Page[OfferOut].model_fields) == ["items", "next_cursor"]
    assert page["next_cursor"] is None
    items = {o["sku"]: o for o in page["items"]}
    assert [o["sku"] for o in page["items"]] == ["A", "B", "C", "KIT"]
    for item in page["items"]:
        assert list(item) == list(OfferOut.model_fields)
        assert item == _as_the_model_writes_it(item)
        assert item["updated_at"].endswith("Z")
        single = await client_a.get(f"/catalog/offers/{item['id']}")
        assert single.json() == item

    a, b, c, kit = items["A"], items["B"], items["C"], items["KIT"]
    assert (a["name"], a["size"], a["color"], a["weight_g"], a["requires_marking"]) == (
        "Alpha",
        "XL",
        "red",
        120,
        False,
    )
    assert (b["name"], b["weight_g"], b["requires_marking"], b["kind"]) == (None, None, True, "simple")
    assert b["barcodes"] == ["4600000000024", "4600000000031"] and c["barcodes"] == []
    assert kit["kind"] == "bundle" and kit["barcodes"] == []
    assert kit["components"] == [{"offer_id": ids["B"], "quantity": 3}, {"offer_id": ids["A"], "quantity": 1}]
    assert a["components"] == []
    assert [(s["external_id"], s["external_code"], s["status"]) for s in a["listings"]] == [
        ("EXT-A2", "code", "active"),
        ("EXT-A1", None, "linked"),  # no status yet: linked
    ]
    assert {s["connection_id"] for s in a["listings"]} == {ids["connection"]}
    assert [(s["status"], s["status_reason"]) for s in b["listings"]] == [("rejected", "no photo")]
    assert c["listings"][0]["status"] == "linked"  # a status this version does not know reads as linked
    assert kit["listings"] == []
    assert {o["sku"]: o["stock_known"] for o in page["items"]} == {
        "A": True,
        "B": True,
        "C": False,
        "KIT": True,
    }


async def test_pages_filters_and_cursors_keep_their_order(
    api: ApiEnv, db: Database, client_a: httpx.AsyncClient
) -> None:
    ids = await _seed(api, db, client_a)
    first = (await client_a.get("/catalog/offers", params={"limit": 2})).json()
    assert [o["sku"] for o in first["items"]] == ["A", "B"] and first["next_cursor"]
    rest = (await client_a.get("/catalog/offers", params={"limit": 2, "cursor": first["next_cursor"]})).json()
    assert [o["sku"] for o in rest["items"]] == ["C", "KIT"] and rest["next_cursor"]
    last = (await client_a.get("/catalog/offers", params={"limit": 2, "cursor": rest["next_cursor"]})).json()
    assert last == {"items": [], "next_cursor": None}

    async def skus(**params: Any) -> list[str]:
        return [o["sku"] for o in (await client_a.get("/catalog/offers", params=params)).json()["items"]]

    assert await skus(kind="bundle") == ["KIT"]
    assert await skus(sku="B") == ["B"]
    assert await skus(stock_known="false") == ["C"]
    assert await skus(stock_known="true", kind="simple") == ["A", "B"]
    assert await skus(product_id=1) == []
    other = api.client(api.b)
    async with other:
        assert (await other.get("/catalog/offers")).json() == {"items": [], "next_cursor": None}
        assert (await other.get(f"/catalog/offers/{ids['A']}")).status_code == 404


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
async def test_a_pages_listings_are_looked_up_by_offer_not_by_walking_the_accounts_links(
    db: Database,
) -> None:
    """SQLite has no statistics to go by: the listings of a page must come from the entity
    index, one look-up per offer of the page, whatever number of links the account has."""
    compiled = page_statement((), None).compile(dialect=db.engine.dialect)
    values = compiled.construct_params({"account_id": 1, "after": 0, "limit": 100})
    args = tuple(values[name] for name in compiled.positiontup or ())
    async with db.reading_connection() as conn:
        plan = (await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled.string}", args)).all()
    links = [row[-1] for row in plan if " links " in f"{row[-1]} "]
    assert links and all("ix_links_by_entity (entity_kind=? AND entity_id=?)" in step for step in links), (
        links
    )
