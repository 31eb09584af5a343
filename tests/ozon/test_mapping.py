"""Unit: reading Ozon JSON leniently, and refusing malformed answers with BadResponse."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
import respx

from marketbridge.channels.errors import AuthError, BadResponse
from marketbridge.channels.ozon import mapping
from marketbridge.model import ListingStatus, OrderStatus, ReturnStatus
from tests.ozon.conftest import make_channel
from tests.support.specs import load_json


def v4_posting() -> dict[str, Any]:
    body: dict[str, Any] = load_json("examples/ozon/v4_posting_fbs_list.json")["responses"]["200"]["body"]
    return copy.deepcopy(body["postings"][0])


def test_spec_example_posting_maps_to_an_order() -> None:
    posting = v4_posting()
    order = mapping.order(posting)
    assert order.external_id == posting["posting_number"] and order.status == OrderStatus.NEW
    line = order.lines[0]
    assert line.external_offer_id == str(posting["products"][0]["sku"])
    assert line.offer_code == posting["products"][0]["offer_id"] and line.price == Decimal("12990.00")
    assert order.group_id == posting["order_number"] and order.buyer_city == "Москва"


def test_v3_posting_with_unknown_fields_and_nulls_is_read() -> None:
    posting: dict[str, Any] = copy.deepcopy(
        load_json("examples/ozon/v3_posting_fbs_get.json")["responses"]["200"]["body"]["result"]
    )
    posting["something_new"] = {"x": 1}
    order = mapping.order(posting)
    assert order.raw_status == "awaiting_packaging" and order.lines[0].price == Decimal("279.00")
    assert order.buyer_city is None


@pytest.mark.parametrize(
    ("status", "canonical"),
    [
        ("awaiting_registration", OrderStatus.NEW),
        ("acceptance_in_progress", OrderStatus.NEW),
        ("awaiting_approve", OrderStatus.NEW),
        ("awaiting_packaging", OrderStatus.NEW),
        ("awaiting_deliver", OrderStatus.PACKED),
        ("delivering", OrderStatus.SHIPPED),
        ("driver_pickup", OrderStatus.SHIPPED),
        ("sent_by_seller", OrderStatus.SHIPPED),
        ("arbitration", OrderStatus.SHIPPED),
        ("client_arbitration", OrderStatus.SHIPPED),
        ("delivered", OrderStatus.DELIVERED),
        ("cancelled", OrderStatus.CANCELLED),
        ("not_accepted", OrderStatus.CANCELLED),
    ],
)
def test_statuses_map_and_keep_the_raw_one(status: str, canonical: OrderStatus) -> None:
    posting = v4_posting()
    posting["status"] = status
    order = mapping.order(posting)
    assert order.status == canonical and order.raw_status == status


@pytest.mark.parametrize(
    "breakage",
    [
        lambda p: p.pop("posting_number"),
        lambda p: p.update(status="teleported"),
        lambda p: p.update(products="many"),
        lambda p: p.update(products=[]),
        lambda p: p["products"][0].update(quantity="2"),
        lambda p: p["products"][0].update(price={"amount": "a lot"}),
        lambda p: p.update(in_process_at="soon"),
        lambda p: p["products"][0].pop("sku"),
    ],
)
def test_malformed_postings_raise_bad_response(breakage: Any) -> None:
    posting = v4_posting()
    breakage(posting)
    with pytest.raises(BadResponse):
        mapping.order(posting)


def test_offers_prices_returns_and_categories() -> None:
    info = copy.deepcopy(
        load_json("examples/ozon/v3_product_info_list.json")["responses"]["200"]["body"]["items"][0]
    )
    # the sample is synthesized from the schema (zeros): give it the ids a created card has
    info.update(sku=1100526203, id=223681945, description_category_id=17028922, type_id=91565)
    info["statuses"]["status"] = "price_sent"
    offer = mapping.offer(info)
    assert (
        offer is not None and offer.external_id == str(info["sku"]) and offer.offer_code == info["offer_id"]
    )
    assert offer.category_id == "17028922:91565" and offer.status == ListingStatus.ACTIVE
    info["is_archived"] = True
    assert mapping.listing_status(info)[0] == ListingStatus.DELISTED
    assert mapping.offer({**info, "sku": 0}) is None
    item = load_json("examples/ozon/v5_product_info_prices.json")["responses"]["200"]["body"]["items"][0]
    price = mapping.price(item, "42")
    assert (
        price.price == Decimal("499.00") and price.old_price == Decimal("579.00") and price.min_price is None
    )
    ret = mapping.return_item(
        load_json("examples/ozon/v1_returns_list.json")["responses"]["200"]["body"]["returns"][0]
    )
    assert ret.order_external_id == "58544282-0057-1" and ret.status == ReturnStatus.IN_TRANSIT
    assert ret.lines[0].price == Decimal("3318.00")
    tree = mapping.categories(
        load_json("examples/ozon/v1_description_category_tree.json")["responses"]["200"]["body"]["result"]
    )
    assert [c.id for c in tree if c.leaf] == ["17029016:970778135"]
    with pytest.raises(ValueError):
        mapping.split_category("17029016")


@respx.mock
async def test_wrong_key_is_an_auth_error_and_a_broken_answer_is_bad_response() -> None:
    channel = make_channel("https://ozon.test")
    try:
        respx.post("https://ozon.test/v1/warehouse/list").mock(
            return_value=httpx.Response(
                404,
                json={
                    "code": 5,
                    "message": "Invalid Api-Key, please check the key and try again",
                    "details": [],
                },
            )
        )
        with pytest.raises(AuthError):
            await channel.check()
        respx.post("https://ozon.test/v4/posting/fbs/list").mock(
            return_value=httpx.Response(200, json={"postings": "x"})
        )
        with pytest.raises(BadResponse):
            [page async for page in channel.iter_orders(*_window())]
        respx.post("https://ozon.test/v3/posting/fbs/get").mock(
            return_value=httpx.Response(200, content=b"<html>")
        )
        with pytest.raises(BadResponse):
            await channel.get_order("1-1-1")
    finally:
        await channel.aclose()


def _window() -> tuple[datetime, datetime]:
    now = datetime.now(UTC)
    return now - timedelta(hours=1), now
