"""A third-party client of the real WB API, unchanged, against the sandbox given only its base URL.

wildberries-sdk (PyPI) is generated from the official OpenAPI files; each API section has
its own Configuration whose public `host` and `ignore_operation_servers` options point it
at another base URL. Nothing in the client is patched.
"""

from __future__ import annotations

from typing import Any

import pytest
from wildberries_sdk import communications, items, orders_fbs

from tests.wildberries.harness import Sandbox, seed_shop


def _client(module: Any, sandbox: Sandbox) -> Any:
    config = module.Configuration(
        host=sandbox.url,
        api_key={"HeaderApiKey": sandbox.token},
        ignore_operation_servers=True,
    )
    return module.DefaultApi(module.ApiClient(config))


def test_sdk_lists_cards_and_sets_stocks(sandbox: Sandbox) -> None:
    units = seed_shop(sandbox)
    api = _client(items, sandbox)
    warehouses = api.get_v3_warehouses()
    assert {w.id for w in warehouses} == {901, 902}
    request = items.PostV2GetCardsListRequest.from_dict({"settings": {"cursor": {"limit": 100}}})
    cards = api.post_v2_get_cards_list(request)
    assert {c.vendor_code for c in cards.cards} == {"SHIRT", "MUG", "CAP"}
    shirt = next(c for c in cards.cards if c.vendor_code == "SHIRT")
    assert {str(s.chrt_id) for s in shirt.sizes} == {units["SHIRT-S"], units["SHIRT-M"], units["SHIRT-L"]}
    body = items.PutV3StocksWarehouseIdRequest.from_dict(
        {"stocks": [{"chrtId": int(units["MUG"]), "amount": 42}]}
    )
    api.put_v3_stocks_warehouse_id(902, body)
    stored = {
        (s["warehouse_id"], s["external_id"]): s["quantity"]
        for s in sandbox.control("GET", "/stocks")["items"]
    }
    assert stored[("902", units["MUG"])] == 42
    with pytest.raises(items.ApiException) as caught:
        api.put_v3_stocks_warehouse_id(
            901, items.PutV3StocksWarehouseIdRequest.from_dict({"stocks": [{"chrtId": 5, "amount": 1}]})
        )
    assert caught.value.status == 409


def test_sdk_reads_new_orders_and_makes_a_supply(sandbox: Sandbox) -> None:
    seed_shop(sandbox)
    ids = sandbox.control("POST", "/orders", json={"lines": [{"offer_code": "SHIRT-M", "quantity": 2}]})[
        "ids"
    ]
    api = _client(orders_fbs, sandbox)
    new = api.get_v3_orders_new()
    assert sorted(str(o.id) for o in new.orders) == sorted(ids)
    listed = api.get_v3_orders(limit=100, next=0)
    assert {str(o.id) for o in listed.orders} == set(ids)
    supply = api.post_v3_supplies(orders_fbs.PostV3SuppliesRequest(name="sdk"))
    assert supply.id.startswith("WB-GI-")
    statuses = api.post_v3_orders_status(orders_fbs.PostV3OrdersStatusRequest(orders=[int(i) for i in ids]))
    assert {s.supplier_status for s in statuses.orders} == {"new"}


def test_sdk_reads_claims(sandbox: Sandbox) -> None:
    seed_shop(sandbox)
    ids = sandbox.control("POST", "/orders", json={"lines": [{"offer_code": "MUG", "quantity": 1}]})["ids"]
    sandbox.control("POST", f"/orders/{ids[0]}/move", json={"status": "delivered"})
    sandbox.control("POST", "/returns", json={"order_id": ids[0]})
    api = _client(communications, sandbox)
    claims = api.get_v1_claims(is_archive=False)
    assert claims.total == 1 and claims.claims[0].nm_id > 0


def test_sdk_runs_the_supply_cycle_and_a_price_task(sandbox: Sandbox) -> None:
    seed_shop(sandbox)
    sandbox.control("PUT", "/timing", json={"scale": 0})
    ids = [
        int(i)
        for i in sandbox.control("POST", "/orders", json={"lines": [{"offer_code": "MUG", "quantity": 2}]})[
            "ids"
        ]
    ]
    fbs = _client(orders_fbs, sandbox)
    supply = fbs.post_v3_supplies(orders_fbs.PostV3SuppliesRequest(name="sdk cycle")).id
    fbs.patch_v3_supplies_supply_id_orders(
        supply, orders_fbs.PatchV3SuppliesSupplyIdOrdersRequest.from_dict({"orders": ids})
    )
    stickers = fbs.post_v3_orders_stickers(
        "zplh", 58, 40, orders_fbs.PostV3OrdersStickersRequest.from_dict({"orders": ids})
    )
    assert sorted(s.order_id for s in stickers.stickers) == sorted(ids)
    fbs.patch_v3_supplies_supply_id_deliver(supply)
    statuses = fbs.post_v3_orders_status(orders_fbs.PostV3OrdersStatusRequest(orders=ids))
    assert {s.supplier_status for s in statuses.orders} == {"complete"}

    prices = _client(items, sandbox)
    nm_id = prices.get_v2_list_goods_filter(limit=10).data.list_goods[0].nm_id
    task = prices.post_v2_upload_task(
        items.PostV2UploadTaskRequest.from_dict({"data": [{"nmID": nm_id, "price": 4321, "discount": 10}]})
    )
    history = prices.get_v2_history_tasks(task.data.id)
    assert history.data.status == 3
    goods = prices.get_v2_list_goods_filter(limit=10, filter_nm_id=nm_id).data.list_goods
    assert goods[0].discount == 10 and goods[0].sizes[0].price == 4321
