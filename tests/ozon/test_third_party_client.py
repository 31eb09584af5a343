"""A third-party client of the real Ozon Seller API (ozonapi-async, from PyPI) works against the
sandbox unchanged: only its public `base_url` option points it at the sandbox.

It validates every answer with its own pydantic models of the Seller API, so this is also an
independent check of the sandbox's answers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from ozonapi import SellerAPI, SellerAPIConfig
from ozonapi.seller.schemas.fbs import (
    PostingFBSListFilter,
    PostingFBSListRequest,
    PostingFBSListV3Filter,
    PostingFBSListV3Request,
)
from ozonapi.seller.schemas.prices_and_stocks import (
    ProductImportPricesItem,
    ProductImportPricesRequest,
    ProductsStocksItem,
    ProductsStocksRequest,
)

from tests.ozon.conftest import API_KEY, CLIENT_ID, Sandbox


@pytest.fixture
async def client(sandbox: Sandbox) -> AsyncIterator[SellerAPI]:
    config = SellerAPIConfig(
        client_id=CLIENT_ID,
        api_key=API_KEY,
        base_url=sandbox.url,
        max_retries=0,
        log_use_async=False,
    )
    async with SellerAPI(config=config) as api:
        yield api


@pytest.fixture
def shop(sandbox: Sandbox) -> dict[str, str]:
    seeded = sandbox.seed(
        [{"name": "Склад Москва"}],
        [
            {"offer_code": "TP-1", "name": "Чехол", "price": "990"},
            {"offer_code": "TP-2", "name": "Плёнка", "price": "290"},
        ],
    )
    return {"warehouse": seeded["warehouses"][0]["id"]}


def _period() -> tuple[str, str]:
    now = datetime.now(UTC)
    return (now - timedelta(days=1)).isoformat(), (now + timedelta(days=1)).isoformat()


async def test_updates_stocks(client: SellerAPI, sandbox: Sandbox, shop: dict[str, str]) -> None:
    reply = await client.products_stocks(
        ProductsStocksRequest(
            stocks=[
                ProductsStocksItem(offer_id="TP-1", stock=7, warehouse_id=int(shop["warehouse"])),
                ProductsStocksItem(offer_id="NO-SUCH", stock=1, warehouse_id=int(shop["warehouse"])),
            ]
        )
    )
    assert [r.updated for r in reply.result] == [True, False]
    assert reply.result[1].errors[0].code == "offer_id_not_found"
    stocks = {s["offer_code"]: s["quantity"] for s in sandbox.control.get("/_sandbox/stocks").json()["items"]}
    assert stocks == {"TP-1": 7}


async def test_updates_prices(client: SellerAPI, sandbox: Sandbox, shop: dict[str, str]) -> None:
    reply = await client.product_import_prices(
        ProductImportPricesRequest(
            prices=[ProductImportPricesItem(offer_id="TP-2", price="349", old_price="499")]
        )
    )
    assert reply.result[0].updated and not reply.result[0].errors
    prices = {p["offer_code"]: p for p in sandbox.control.get("/_sandbox/prices").json()["items"]}
    assert prices["TP-2"]["price"] == "349" and prices["TP-2"]["old_price"] == "499"


async def test_lists_postings(client: SellerAPI, sandbox: Sandbox, shop: dict[str, str]) -> None:
    sandbox.api(
        "/v2/products/stocks",
        {"stocks": [{"offer_id": "TP-1", "stock": 5, "warehouse_id": int(shop["warehouse"])}]},
    )
    placed = sandbox.control.post("/_sandbox/orders", json={"lines": [{"offer_code": "TP-1", "quantity": 2}]})
    placed.raise_for_status()
    (number,) = placed.json()["ids"]
    since, to = _period()
    v4 = await client.posting_fbs_list(
        PostingFBSListRequest(filter=PostingFBSListFilter(since=since, to=to), limit=100)
    )
    assert [p.posting_number for p in v4.postings or []] == [number]
    v3 = await client.posting_fbs_list_v3(
        PostingFBSListV3Request(filter=PostingFBSListV3Filter(since=since, to=to), limit=100, offset=0)
    )
    postings = v3.result.postings
    assert [p.posting_number for p in postings] == [number]
    assert postings[0].status == "awaiting_packaging" and postings[0].products[0].quantity == 2
