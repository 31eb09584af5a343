"""Contract tests: sandbox answers and connector requests checked against the official WB specs.

The sandbox journals every request with its answer, so a whole cycle driven by the connector
is checked both ways: what the connector sent and what the sandbox answered.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx

from marketbridge.channels.roles import CardDraft, PackBox, PackLine, PricePush, StockPush
from marketbridge.channels.wildberries import WildberriesChannel
from marketbridge.model import LabelFormat, LineMeta
from marketbridge.sandbox.wildberries.endpoints import ENDPOINTS
from tests.wildberries.harness import Sandbox, place, require_meta, seed_shop, wait_for
from tests.wildberries.spec import SPEC


def check(sandbox: Sandbox, method: str, path: str, expect: int, **kwargs: Any) -> Any:
    """Send one call to the sandbox, and check its status and body against the spec."""
    response = sandbox.api(method, path, **kwargs)
    assert response.status_code == expect, f"{method} {path}: {response.status_code} {response.text[:300]}"
    schema = SPEC.response_schema(SPEC.operation(method, path), expect)
    body = response.json() if response.content else None
    if schema is not None:
        assert body is not None, f"{method} {path}: empty body where the spec has one"
        SPEC.validate(body, schema, f"{method} {path} -> {expect}")
    return body


def test_sandbox_responses_match_the_spec(sandbox: Sandbox) -> None:
    units = seed_shop(sandbox)
    require_meta(sandbox, "MUG", ["sgtin", "uin", "imei", "gtin", "expiration"])
    ids = [int(i) for i in place(sandbox, "MUG", 3)]
    check(sandbox, "GET", "/ping", 200)
    check(sandbox, "GET", "/api/v3/warehouses", 200)
    check(sandbox, "GET", "/api/v3/offices", 200)
    # content
    cards = check(
        sandbox, "POST", "/content/v2/get/cards/list", 200, json={"settings": {"cursor": {"limit": 2}}}
    )
    cursor = cards["cursor"]
    check(
        sandbox,
        "POST",
        "/content/v2/get/cards/list",
        200,
        json={"settings": {"cursor": {"limit": 2, "updatedAt": cursor["updatedAt"], "nmID": cursor["nmID"]}}},
    )
    by_subject = check(
        sandbox,
        "POST",
        "/content/v2/get/cards/list",
        200,
        json={"settings": {"cursor": {"limit": 100}, "filter": {"objectIDs": [192], "textSearch": "SHIRT"}}},
    )
    assert [c["vendorCode"] for c in by_subject["cards"]] == ["SHIRT"]
    check(sandbox, "GET", "/content/v2/object/parent/all", 200)
    check(sandbox, "GET", "/content/v2/object/all", 200, params={"limit": 10})
    check(sandbox, "GET", "/content/v2/object/charcs/3091", 200)
    upload = [{"subjectID": 3091, "variants": [{"vendorCode": "BAD-1", "title": "x", "sizes": []}]}]
    check(sandbox, "POST", "/content/v2/cards/upload", 200, json=upload)
    check(sandbox, "POST", "/content/v2/cards/upload", 400, json={"not": "a list"})
    wait_for(lambda: any(c["offer_code"] == "BAD-1" for c in sandbox.control("GET", "/cards")["items"]))
    errors = check(sandbox, "POST", "/content/v2/cards/error/list", 200, json={"cursor": {"limit": 10}})
    assert [e["vendorCodes"] for e in errors["data"]["items"]] == [["BAD-1"]]
    # prices
    nm_id = cards["cards"][0]["nmID"]
    task = check(sandbox, "POST", "/api/v2/upload/task", 200, json={"data": [{"nmID": nm_id, "price": 2100}]})
    upload_id = task["data"]["id"]
    check(sandbox, "GET", "/api/v2/buffer/tasks", 200, params={"uploadID": upload_id})
    check(sandbox, "POST", "/api/v2/upload/task", 400, json={"data": [{"nmID": nm_id, "discount": 150}]})
    wait_for(
        lambda: sandbox.api("GET", "/api/v2/history/tasks", params={"uploadID": upload_id}).status_code == 200
    )
    history = check(sandbox, "GET", "/api/v2/history/tasks", 200, params={"uploadID": upload_id})
    assert history["data"]["status"] == 3
    check(sandbox, "GET", "/api/v2/history/goods/task", 200, params={"uploadID": upload_id, "limit": 10})
    check(sandbox, "GET", "/api/v2/list/goods/filter", 200, params={"limit": 10})
    # stocks
    check(
        sandbox,
        "PUT",
        "/api/v3/stocks/901",
        204,
        json={"stocks": [{"chrtId": int(units["MUG"]), "amount": 4}]},
    )
    check(sandbox, "PUT", "/api/v3/stocks/901", 409, json={"stocks": [{"chrtId": 1, "amount": 4}]})
    check(sandbox, "PUT", "/api/v3/stocks/999", 404, json={"stocks": [{"chrtId": 1, "amount": 4}]})
    check(sandbox, "PUT", "/api/v3/stocks/901", 400, json={"stocks": []})
    check(sandbox, "POST", "/api/v3/stocks/901", 200, json={"chrtIds": [int(units["MUG"])]})
    # orders and supplies
    check(sandbox, "GET", "/api/v3/orders/new", 200)
    now = int(datetime.now(UTC).timestamp())
    check(
        sandbox,
        "GET",
        "/api/v3/orders",
        200,
        params={"limit": 10, "next": 0, "dateFrom": now - 3600, "dateTo": now},
    )
    check(sandbox, "GET", "/api/v3/orders", 400, params={"next": 0})
    check(sandbox, "POST", "/api/v3/orders/status", 200, json={"orders": ids})
    supply = check(sandbox, "POST", "/api/v3/supplies", 201, json={"name": "contract"})["id"]
    check(sandbox, "GET", "/api/v3/supplies", 200, params={"limit": 10, "next": 0})
    check(sandbox, "GET", f"/api/v3/supplies/{supply}", 200)
    check(sandbox, "GET", "/api/v3/supplies/WB-GI-0", 404)
    check(sandbox, "GET", f"/api/v3/supplies/{supply}/barcode", 409, params={"type": "png"})
    check(sandbox, "PATCH", f"/api/v3/supplies/{supply}/deliver", 409)
    check(sandbox, "PATCH", f"/api/marketplace/v3/supplies/{supply}/orders", 204, json={"orders": ids[:2]})
    check(sandbox, "GET", f"/api/marketplace/v3/supplies/{supply}/order-ids", 200)
    for kind in ("png", "svg", "zplv", "zplh"):
        stickers = check(
            sandbox,
            "POST",
            "/api/v3/orders/stickers",
            200,
            params={"type": kind, "width": 58, "height": 40},
            json={"orders": ids[:2]},
        )
        assert len(stickers["stickers"]) == 2
    code = {"sgtins": ["010460043993125621JgXJ5.T"]}
    check(sandbox, "PUT", f"/api/v3/orders/{ids[2]}/meta/sgtin", 409, json=code)  # not in a supply
    check(sandbox, "PUT", f"/api/v3/orders/{ids[0]}/meta/sgtin", 204, json=code)
    check(sandbox, "PUT", f"/api/v3/orders/{ids[0]}/meta/sgtin", 400, json={"sgtins": ["short"]})
    check(sandbox, "PUT", "/api/v3/orders/1/meta/sgtin", 404, json=code)
    check(sandbox, "PATCH", f"/api/v3/supplies/{supply}/deliver", 409)  # UIN and the rest missing
    later = (datetime.now(UTC) + timedelta(days=60)).strftime("%d.%m.%Y")
    values = {
        "uin": "1234567890123456",
        "imei": "123456789012345",
        "gtin": "4601234567890",
        "expiration": later,
    }
    for task in ids[:2]:
        if task != ids[0]:
            check(sandbox, "PUT", f"/api/v3/orders/{task}/meta/sgtin", 204, json=code)
        for kind, value in values.items():
            check(sandbox, "PUT", f"/api/v3/orders/{task}/meta/{kind}", 204, json={kind: value})
    for kind in values:
        check(sandbox, "PUT", f"/api/v3/orders/{ids[0]}/meta/{kind}", 400, json={kind: "1"})
        check(sandbox, "PUT", f"/api/v3/orders/{ids[2]}/meta/{kind}", 409, json={kind: values[kind]})
    check(sandbox, "PUT", f"/api/v3/orders/{ids[0]}/meta/expiration", 400, json={"expiration": "01.01.2020"})
    check(sandbox, "POST", "/api/marketplace/v3/orders/meta", 200, json={"orders": ids})
    check(sandbox, "PATCH", f"/api/v3/orders/{ids[2]}/cancel", 204)
    check(sandbox, "PATCH", f"/api/v3/orders/{ids[2]}/cancel", 409)
    check(sandbox, "PATCH", "/api/v3/orders/1/cancel", 404)
    check(sandbox, "PUT", f"/api/v3/orders/{ids[2]}/meta/sgtin", 409, json=code)
    check(sandbox, "PATCH", f"/api/v3/supplies/{supply}/deliver", 204)
    check(sandbox, "GET", f"/api/v3/supplies/{supply}/barcode", 200, params={"type": "svg"})
    # returns
    sandbox.control("POST", f"/orders/{ids[0]}/move", json={"status": "delivered"})
    sandbox.control("POST", "/returns", json={"order_id": str(ids[0])})
    claims = check(sandbox, "GET", "/api/v1/claims", 200, params={"is_archive": "false"})
    assert claims["total"] == 1
    check(sandbox, "GET", "/api/v1/claims", 400)
    claim_id = claims["claims"][0]["id"]
    check(sandbox, "PATCH", "/api/v1/claim", 400, json={"id": claim_id, "action": "rejectcustom"})
    check(sandbox, "PATCH", "/api/v1/claim", 200, json={"id": claim_id, "action": "approve1"})
    check(sandbox, "PATCH", "/api/v1/claim", 400, json={"id": claim_id, "action": "approve1"})
    answered = check(sandbox, "GET", "/api/v1/claims", 200, params={"is_archive": "false", "id": claim_id})
    assert answered["claims"][0]["status"] == 2 and answered["claims"][0]["actions"] == []
    # the gateway's answers
    check(sandbox, "GET", "/api/v3/orders/new", 401, token="broken")
    check(sandbox, "GET", "/api/v3/orders/new", 401, token=sandbox.mint(["content"]))
    expired = sandbox.control("POST", "/tokens", json={"ttl_seconds": -60})["token"]
    assert (
        check(sandbox, "GET", "/api/v3/orders/new", 401, token=expired)["detail"]
        == "token problem; token is expired"
    )


def test_the_429_body_matches_the_spec(demo_sandbox: Sandbox) -> None:
    with httpx.Client(base_url=demo_sandbox.url, headers={"Authorization": demo_sandbox.token}) as client:
        answers = [client.get("/api/v3/orders/new") for _ in range(30)]
    refused = [a for a in answers if a.status_code == 429]
    assert refused
    SPEC.validate(
        refused[0].json(), SPEC.response_schema(SPEC.operation("GET", "/api/v3/orders/new"), 429) or {}, "429"
    )


async def test_connector_requests_match_the_spec(sandbox: Sandbox, channel: WildberriesChannel) -> None:
    units = seed_shop(sandbox)
    require_meta(sandbox, "SHIRT", ["sgtin", "uin", "imei", "gtin", "expiration"])
    ids = place(sandbox, "SHIRT-S", 2)
    await channel.check()
    async for _ in channel.iter_offers():
        pass
    await channel.push_stocks([StockPush(units["MUG"], "MUG", "901", 3), StockPush("1", "X", "902", 1)])
    await channel.push_prices(
        [
            PricePush(units["MUG"], "MUG", Decimal("900"), Decimal("1000")),
            PricePush(units["SHIRT-S"], "SHIRT-S", Decimal("1400"), Decimal("2000")),
            PricePush(units["SHIRT-M"], "SHIRT-M", Decimal("1540"), Decimal("2200")),
        ]
    )
    async for _ in channel.iter_prices():
        pass
    now = datetime.now(UTC)
    orders = {}
    async for page in channel.iter_orders(now - timedelta(days=40), now + timedelta(minutes=1)):
        orders.update({o.external_id: o for o in page})
    first = orders[ids[0]]
    meta = LineMeta(
        uin=["1234567890123456"],
        imei=["123456789012345"],
        gtin=["4601234567890"],
        expiration=date(2031, 1, 31),
    )
    line = PackLine(first.lines[0].external_offer_id, 1, ("010460043993125621JgXJ5.T",), meta)
    await channel.pack(first, [PackBox(1, (line,))])
    await channel.labels([ids[0]], LabelFormat.PDF)
    await channel.labels([ids[0]], LabelFormat.ZPL)
    await channel.hand_over([ids[0]])
    await channel.cancel(ids[1], "no stock")
    await channel.refresh_statuses(ids)
    sandbox.control("POST", f"/orders/{ids[0]}/move", json={"status": "delivered"})
    sandbox.control("POST", "/returns", json={"order_id": ids[0]})
    async for _ in channel.iter_returns(now - timedelta(days=1)):
        pass
    await channel.categories()
    await channel.category_attributes("192")
    task = await channel.export_cards(
        [CardDraft("NEWCARD", "Новая карточка", "192", ["4600000007777"], Decimal("990"))]
    )
    await channel.card_export_status(task)

    journal = sandbox.journal()
    seen: set[str] = set()
    answers = 0
    for entry in journal:
        op = SPEC.operation(entry["method"], entry["path"])
        seen.add(f"{op.method} {op.template}")
        missing = SPEC.required_query(op) - set(entry["query"])
        assert not missing, f"{entry['method']} {entry['path']} lacks query {missing}"
        schema = SPEC.request_schema(op)
        if schema is not None:
            assert entry["body"] is not None, f"{entry['method']} {entry['path']} sent no body"
            SPEC.validate(entry["body"], schema, f"request {entry['method']} {entry['path']}")
        # ... and the sandbox's answer to it, whatever its status, is one the spec describes.
        answer_schema = SPEC.response_schema(op, entry["status"])
        if answer_schema is not None and "response" in entry:
            SPEC.validate(
                entry["response"],
                answer_schema,
                f"answer {entry['status']} to {entry['method']} {entry['path']}",
            )
            answers += 1
    expected = {
        "GET /api/v3/warehouses",
        "POST /content/v2/get/cards/list",
        "PUT /api/v3/stocks/{warehouseId}",
        "POST /api/v2/upload/task",
        "POST /api/v2/upload/task/size",
        "GET /api/v2/history/tasks",
        "GET /api/v2/list/goods/filter",
        "GET /api/v3/orders/new",
        "GET /api/v3/orders",
        "POST /api/v3/orders/status",
        "POST /api/v3/supplies",
        "PATCH /api/marketplace/v3/supplies/{supplyId}/orders",
        "PUT /api/v3/orders/{orderId}/meta/sgtin",
        "PUT /api/v3/orders/{orderId}/meta/uin",
        "PUT /api/v3/orders/{orderId}/meta/imei",
        "PUT /api/v3/orders/{orderId}/meta/gtin",
        "PUT /api/v3/orders/{orderId}/meta/expiration",
        "POST /api/v3/orders/stickers",
        "PATCH /api/v3/supplies/{supplyId}/deliver",
        "GET /api/v3/supplies/{supplyId}/barcode",
        "PATCH /api/v3/orders/{orderId}/cancel",
        "GET /api/v1/claims",
        "GET /content/v2/object/all",
        "GET /content/v2/object/charcs/{subjectId}",
        "POST /content/v2/cards/upload",
        "POST /content/v2/cards/error/list",
    }
    assert expected <= seen, expected - seen
    assert answers > 20


def test_every_sandbox_path_is_in_the_spec_with_its_category() -> None:
    for endpoint in ENDPOINTS:
        op = SPEC.operation(endpoint.method, endpoint.path)
        assert op.template == endpoint.path
        category = op.spec.get("x-category")
        expected = sorted(category) if isinstance(category, list) else [category]
        assert sorted(endpoint.categories) == expected, endpoint.path
        read_only = op.spec.get("x-readonly-method")
        if read_only is not None:
            assert endpoint.write is not read_only, f"{endpoint.method} {endpoint.path}"
