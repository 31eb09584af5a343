"""The Ozon sandbox as any HTTP client sees it: auth, errors, paging, batch limits, rules of the shop."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from marketbridge.sandbox import registry
from tests.ozon.conftest import HEADERS, Sandbox, holds_within


def _period(days: int = 1) -> dict[str, str]:
    now = datetime.now(UTC)
    return {"since": (now - timedelta(days=days)).isoformat(), "to": (now + timedelta(days=1)).isoformat()}


def seed_shop(sandbox: Sandbox, offers: int = 3, marked: bool = False) -> dict[str, Any]:
    return sandbox.seed(
        [{"name": "Склад 1"}, {"name": "Склад 2"}],
        [
            {"offer_code": f"OF-{i}", "name": f"Товар {i}", "price": "100", "requires_marking": marked}
            for i in range(offers)
        ],
    )


def set_stock(sandbox: Sandbox, warehouse: str, offer: str, qty: int) -> dict[str, Any]:
    reply = sandbox.api(
        "/v2/products/stocks", {"stocks": [{"offer_id": offer, "stock": qty, "warehouse_id": int(warehouse)}]}
    )
    assert reply.status_code == 200
    result: dict[str, Any] = reply.json()["result"][0]
    return result


def order(sandbox: Sandbox, offer: str, qty: int = 1) -> str:
    reply = sandbox.control.post("/_sandbox/orders", json={"lines": [{"offer_code": offer, "quantity": qty}]})
    assert reply.status_code == 200, reply.text
    return str(reply.json()["ids"][0])


def test_registered_with_made_up_credentials() -> None:
    spec = registry.get("ozon")
    creds = spec.make_credentials()
    assert set(creds) == {"client_id", "api_key"} and creds["client_id"].isdigit()
    assert creds["client_id"] in spec.describe(creds) and creds["api_key"] in spec.describe(creds)
    assert spec.credential_options == ("client_id", "api_key") and spec.host_aliases == ("default",)


@pytest.mark.parametrize(
    ("headers", "status", "code", "message"),
    [
        ({}, 401, 16, "Client-Id and Api-Key headers are required"),
        ({"Client-Id": "424242"}, 401, 16, "Client-Id and Api-Key headers are required"),
        ({"Client-Id": "abc", "Api-Key": "x"}, 400, 3, "Client-Id header value should be positive integer"),
        ({**HEADERS, "Api-Key": "wrong"}, 404, 5, "Invalid Api-Key, please check the key and try again"),
        ({**HEADERS, "Client-Id": "1"}, 404, 5, "Invalid Api-Key, please check the key and try again"),
    ],
)
def test_credentials_are_checked_as_the_live_api_does(
    shared_sandbox: Sandbox, headers: dict[str, str], status: int, code: int, message: str
) -> None:
    reply = shared_sandbox.api("/v1/warehouse/list", {}, headers=headers)
    assert reply.status_code == status
    assert reply.json() == {"code": code, "message": message, "details": []}


@pytest.mark.parametrize(
    ("path", "body", "status", "needle"),
    [
        ("/v2/nothing/here", {}, 404, "Not Found"),
        ("/v3/posting/fbs/list", {"limit": 10}, 400, "filter"),
        ("/v3/posting/fbs/list", {"filter": _period(400), "limit": 10, "offset": 0}, 400, "one year"),
        ("/v3/posting/fbs/list", {"filter": _period(), "limit": 5000, "offset": 0}, 400, "limit"),
        (
            "/v3/posting/fbs/list",
            {"filter": _period(), "limit": 10, "offset": 20001},
            400,
            "MAX_OFFSET_EXCEEDED",
        ),
        ("/v3/posting/fbs/get", {"posting_number": "1-1-1"}, 404, "POSTING_NOT_FOUND"),
        ("/v3/product/list", {"limit": "many"}, 400, "limit"),
        ("/v4/posting/fbs/list", {"filter": _period(), "cursor": "%%%"}, 400, "cursor"),
        ("/v2/posting/fbs/package-label", {"posting_number": [str(i) for i in range(21)]}, 400, "20"),
        ("/v2/products/stocks", {"stocks": [{"offer_id": "a", "stock": 1}]}, 400, "Stocks[0]"),
        ("/v1/product/import/prices", {"prices": [{"offer_id": "a", "price": "1"}] * 1001}, 400, "1000"),
        ("/v3/product/import", {"items": [{}] * 101}, 400, "100"),
    ],
)
def test_bad_requests_get_ozon_errors(
    sandbox: Sandbox, path: str, body: Any, status: int, needle: str
) -> None:
    reply = sandbox.api(path, body)
    assert reply.status_code == status, reply.text
    data = reply.json()
    assert set(data) == {"code", "message", "details"} and needle in data["message"]


def test_malformed_bodies_never_crash(sandbox: Sandbox) -> None:
    for raw in (b"{", b"[]", b"null", b'"text"', b"\xff\xfe"):
        reply = sandbox.control.post("/v3/product/info/list", content=raw, headers=HEADERS)
        assert reply.status_code == 400 and reply.json()["code"] == 3
    reply = sandbox.api(
        "/v2/products/stocks", {"stocks": [{"offer_id": {"x": 1}, "stock": "lots", "warehouse_id": 1}]}
    )
    assert reply.status_code == 200 and reply.json()["result"][0]["updated"] is False


def test_stocks_have_per_item_errors(sandbox: Sandbox) -> None:
    shop = seed_shop(sandbox)
    w = shop["warehouses"][0]["id"]
    too_many = [{"offer_id": "OF-0", "stock": 1, "warehouse_id": int(w)}] * 101
    assert sandbox.api("/v2/products/stocks", {"stocks": too_many}).status_code == 400
    reply = sandbox.api(
        "/v2/products/stocks",
        {
            "stocks": [
                {"offer_id": "OF-0", "stock": 5, "warehouse_id": int(w)},
                {"offer_id": "NOPE", "stock": 5, "warehouse_id": int(w)},
                {"offer_id": "OF-1", "stock": 5, "warehouse_id": 777},
                {"offer_id": "OF-2", "stock": 1_000_000, "warehouse_id": int(w)},
                {"offer_id": "OF-0", "stock": 6, "warehouse_id": int(w)},
            ]
        },
    ).json()["result"]
    assert [r["updated"] for r in reply] == [True, False, False, False, False]
    assert [r["errors"][0]["code"] for r in reply[1:]] == [
        "offer_id_not_found",
        "WAREHOUSE_NOT_FOUND",
        "STOCK_TOO_BIG",
        "TOO_MANY_REQUESTS",
    ]


def test_a_pair_updates_once_per_30_seconds_when_limits_are_on(limited_sandbox: Sandbox) -> None:
    shop = seed_shop(limited_sandbox)
    w = shop["warehouses"][0]["id"]
    assert set_stock(limited_sandbox, w, "OF-0", 3)["updated"]
    again = set_stock(limited_sandbox, w, "OF-0", 4)
    assert not again["updated"] and again["errors"][0]["code"] == "TOO_MANY_REQUESTS"
    assert set_stock(limited_sandbox, shop["warehouses"][1]["id"], "OF-0", 4)["updated"]


async def test_global_rate_limit_answers_429_with_ozons_body(limited_sandbox: Sandbox) -> None:
    async with httpx.AsyncClient(base_url=limited_sandbox.url, headers=HEADERS, timeout=30) as client:
        replies = await asyncio.gather(*(client.post("/v1/warehouse/list", json={}) for _ in range(150)))
    limited = [r for r in replies if r.status_code == 429]
    assert limited, "150 calls at once must exceed 50 per second"
    assert {r.status_code for r in replies} == {200, 429}
    assert limited[0].json() == {
        "code": 8,
        "message": "You have reached request rate limit per second",
        "details": [],
    }
    assert limited_sandbox.control.get("/_sandbox/limits").json()["rejected"]["global"] == len(limited)
    limited_sandbox.control.put("/_sandbox/limits", json={"enabled": False})
    assert all(limited_sandbox.api("/v1/warehouse/list", {}).status_code == 200 for _ in range(70))


def test_product_list_pages_by_last_id(sandbox: Sandbox) -> None:
    seed_shop(sandbox, offers=7)
    seen: list[str] = []
    last_id = ""
    for _ in range(10):
        result = sandbox.api(
            "/v3/product/list", {"filter": {"visibility": "ALL"}, "last_id": last_id, "limit": 3}
        ).json()["result"]
        assert result["total"] == 7
        seen += [i["offer_id"] for i in result["items"]]
        if len(result["items"]) < 3:
            break
        last_id = result["last_id"]
    assert seen == [f"OF-{i}" for i in range(7)]


def test_posting_lists_page_by_offset_and_by_cursor(sandbox: Sandbox) -> None:
    shop = seed_shop(sandbox, offers=1)
    set_stock(sandbox, shop["warehouses"][0]["id"], "OF-0", 50)
    numbers = [order(sandbox, "OF-0") for _ in range(5)]
    by_offset: list[str] = []
    for offset in range(0, 10, 2):
        result = sandbox.api(
            "/v3/posting/fbs/list", {"filter": _period(), "limit": 2, "offset": offset}
        ).json()["result"]
        by_offset += [p["posting_number"] for p in result["postings"]]
        if not result["has_next"]:
            break
    assert by_offset == numbers
    by_cursor: list[str] = []
    cursor = ""
    while True:
        page = sandbox.api("/v4/posting/fbs/list", {"filter": _period(), "limit": 2, "cursor": cursor}).json()
        by_cursor += [p["posting_number"] for p in page["postings"]]
        if not page["has_next"]:
            break
        cursor = page["cursor"]
    assert by_cursor == numbers
    newest_first = sandbox.api(
        "/v4/posting/fbs/list", {"filter": _period(), "limit": 10, "sort_dir": "desc"}
    ).json()
    assert [p["posting_number"] for p in newest_first["postings"]] == numbers[::-1]
    unfulfilled = sandbox.api(
        "/v4/posting/fbs/unfulfilled/list",
        {"filter": {"statuses": ["awaiting_packaging"]}, "limit": 2},
    ).json()
    assert unfulfilled["count"] == 5 and len(unfulfilled["postings"]) == 2


def test_attribute_values_page_by_last_value_id(sandbox: Sandbox) -> None:
    body = {
        "attribute_id": 85,
        "description_category_id": 17028922,
        "type_id": 91565,
        "limit": 2000,
        "last_value_id": 0,
    }
    first = sandbox.api("/v1/description-category/attribute/values", body).json()
    assert len(first["result"]) == 2000 and first["has_next"] is True
    body["last_value_id"] = first["result"][-1]["id"]
    second = sandbox.api("/v1/description-category/attribute/values", body).json()
    assert second["has_next"] is False and second["result"][0]["id"] > body["last_value_id"]


def test_ship_splits_a_posting_and_keeps_marking_rules(sandbox: Sandbox) -> None:
    shop = seed_shop(sandbox, offers=1, marked=True)
    set_stock(sandbox, shop["warehouses"][0]["id"], "OF-0", 10)
    number = order(sandbox, "OF-0", 2)
    sku = int(shop["offers"][0]["external_id"])
    two_boxes = {
        "posting_number": number,
        "packages": [{"products": [{"product_id": sku, "quantity": 1}]}] * 2,
    }
    refused = sandbox.api("/v4/posting/fbs/ship", two_boxes)
    assert refused.status_code == 400 and refused.json()["message"].startswith(
        "EXEMPLAR_INFO_NOT_FILLED_COMPLETELY"
    )
    wrong = sandbox.api(
        "/v4/posting/fbs/ship",
        {"posting_number": number, "packages": [{"products": [{"product_id": sku, "quantity": 3}]}]},
    )
    assert wrong.status_code == 400 and wrong.json()["message"].startswith("HAS_INCORRECT_PRODUCT_QUANTITY")
    exemplars = sandbox.api(
        "/v6/fbs/posting/product/exemplar/create-or-get", {"posting_number": number}
    ).json()
    ids = [e["exemplar_id"] for e in exemplars["products"][0]["exemplars"]]
    assert len(ids) == 2 and exemplars["products"][0]["is_mandatory_mark_needed"]
    marks = [{"exemplar_id": i, "marks": [{"mark": f"mark-{i}", "mark_type": "mandatory_mark"}]} for i in ids]
    sandbox.api(
        "/v6/fbs/posting/product/exemplar/set",
        {"posting_number": number, "products": [{"product_id": sku, "exemplars": marks}]},
    )
    assert (
        sandbox.api("/v5/fbs/posting/product/exemplar/status", {"posting_number": number}).json()["status"]
        == "ship_available"
    )
    shipped = sandbox.api("/v4/posting/fbs/ship", two_boxes).json()["result"]
    assert shipped[0] == number and shipped[1] == number[:-1] + "2"
    parts = [sandbox.api("/v3/posting/fbs/get", {"posting_number": n}).json()["result"] for n in shipped]
    assert [p["status"] for p in parts] == ["awaiting_deliver"] * 2 and parts[1][
        "parent_posting_number"
    ] == number
    assert [p["products"][0]["quantity"] for p in parts] == [1, 1]
    again = sandbox.api("/v4/posting/fbs/ship", two_boxes)
    assert again.status_code == 400 and "POSTING_ALREADY_SHIPPED" in again.json()["message"]
    not_yet = sandbox.api("/v2/posting/fbs/package-label", {"posting_number": shipped})
    assert not_yet.status_code == 400 and "aren't ready" in not_yet.json()["message"]
    holds_within(
        lambda: sandbox.api("/v2/posting/fbs/package-label", {"posting_number": shipped}).status_code == 200,
        5,
        "the labels printable",
    )
    label = sandbox.api("/v2/posting/fbs/package-label", {"posting_number": shipped})
    assert label.headers["content-type"] == "application/pdf" and label.content.startswith(b"%PDF")


def test_labels_wait_for_packing_and_cancel_needs_a_reason(sandbox: Sandbox) -> None:
    shop = seed_shop(sandbox, offers=1)
    set_stock(sandbox, shop["warehouses"][0]["id"], "OF-0", 10)
    number = order(sandbox, "OF-0")
    not_ready = sandbox.api("/v2/posting/fbs/package-label", {"posting_number": [number]})
    assert not_ready.status_code == 400 and "aren't ready" in not_ready.json()["message"]
    assert (
        sandbox.api("/v2/posting/fbs/cancel", {"posting_number": number, "cancel_reason_id": 402}).status_code
        == 400
    )
    assert (
        sandbox.api("/v2/posting/fbs/cancel", {"posting_number": number, "cancel_reason_id": 401}).status_code
        == 400
    )
    done = sandbox.api("/v2/posting/fbs/cancel", {"posting_number": number, "cancel_reason_id": 352})
    assert done.json() == {"result": True}
    posting = sandbox.api("/v3/posting/fbs/get", {"posting_number": number}).json()["result"]
    assert posting["status"] == "cancelled" and posting["cancellation"]["cancel_reason_id"] == 352


def test_buyer_cannot_order_more_than_is_in_stock(sandbox: Sandbox) -> None:
    shop = seed_shop(sandbox, offers=1)
    set_stock(sandbox, shop["warehouses"][0]["id"], "OF-0", 1)
    order(sandbox, "OF-0")
    reply = sandbox.control.post("/_sandbox/orders", json={"lines": [{"offer_code": "OF-0", "quantity": 1}]})
    assert reply.status_code == 400 and "stock" in reply.json()["detail"]
    assert (
        sandbox.control.post("/_sandbox/orders", json={"lines": [{"offer_code": "NONE"}]}).status_code == 404
    )


def test_demo_data_has_a_shop_in_several_statuses(demo_sandbox: Sandbox) -> None:
    warehouses = demo_sandbox.api("/v1/warehouse/list", {}).json()["result"]
    assert len(warehouses) == 2
    products = demo_sandbox.api("/v3/product/list", {"limit": 1000}).json()["result"]
    assert products["total"] >= 24
    statuses = {o["status"] for o in demo_sandbox.control.get("/_sandbox/orders").json()["items"]}
    assert {"awaiting_packaging", "awaiting_deliver", "delivering", "delivered", "cancelled"} <= statuses
    postings = demo_sandbox.api("/v4/posting/fbs/unfulfilled/list", {"filter": {}, "limit": 100}).json()[
        "postings"
    ]
    assert any(p["requirements"]["products_requiring_mandatory_mark"] for p in postings)


def test_faults_answer_ozon_errors_and_spare_the_control_api(sandbox: Sandbox) -> None:
    sandbox.control.put("/_sandbox/faults", json={"error_rate": 1.0}).raise_for_status()
    reply = sandbox.api("/v1/warehouse/list", {})
    assert reply.status_code == 500 and reply.json()["message"] == "Internal error"
    assert sandbox.control.get("/_sandbox/orders").status_code == 200
    sandbox.control.put("/_sandbox/faults", json={"malformed_rate": 1.0}).raise_for_status()
    assert sandbox.api("/v1/warehouse/list", {}).content == b'{"result": ['
    counters = sandbox.control.get("/_sandbox/faults").json()["counters"]
    assert counters["errors"] == 1 and counters["malformed"] == 1


GARBAGE: list[Any] = [
    {},
    {"filter": 1, "limit": -1, "offset": "x", "cursor": 5},
    {"posting_number": {"a": 1}, "posting_numbers": "x", "task_id": [], "id": "abc"},
    {"items": [1, "x", None], "stocks": "x", "prices": [{"price": "NaN"}], "packages": [None]},
    {"filter": {"since": "yesterday", "to": 3, "statuses": "all", "warehouse_ids": ["x"]}, "limit": 10},
    {"products": [{"product_id": "x", "exemplars": "y"}], "carriage_id": True, "delivery_method_id": 1.5},
    [1, 2, 3],
]


def test_no_body_makes_any_method_fail_with_a_500(demo_sandbox: Sandbox) -> None:
    described = demo_sandbox.app.openapi()["paths"]
    paths = sorted(p for p, item in described.items() if "post" in item and not p.startswith("/_sandbox"))
    assert len(paths) > 40
    for path in paths:
        for body in GARBAGE:
            reply = demo_sandbox.api(path, body)
            assert reply.status_code in (200, 400, 404), (
                f"{path} {body}: {reply.status_code} {reply.text[:200]}"
            )
            if reply.status_code != 200:
                assert set(reply.json()) == {"code", "message", "details"}, path
