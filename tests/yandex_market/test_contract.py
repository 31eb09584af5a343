"""Contract tests: the sandbox's answers and the connector's requests against the official description.

The connector plays every role it has against the sandbox and the sandbox-only methods are
called directly, including their refusals (no key, a wrong key, an unknown method or
campaign, a limit exceeded); afterwards every journalled request body and answer is checked
against the description, and every declared method must have been checked.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from marketbridge.channels.roles import CardDraft, PackBox, PackLine, PricePush, StockPush
from marketbridge.channels.yandex_market import YandexMarketChannel
from marketbridge.channels.yandex_market import endpoints as ep
from marketbridge.model import LabelFormat
from tests.channels.test_print_files import page_codes
from tests.support.marketplaces import Market, offer, start_market, wait_until, window
from tests.yandex_market.spec import journal_problems

KIND = "yandex-market"
WAREHOUSES = ("8101", "8102")


@pytest.fixture(scope="module")
def market() -> Iterator[Market]:
    for running in start_market(KIND):
        marked = offer("YM-M", 799, list(WAREHOUSES), requires_marking=True)
        running.seed(
            [offer(f"YM-{n}", 700 + n, list(WAREHOUSES)) for n in range(1, 6)] + [marked], WAREHOUSES
        )
        yield running


def api(market: Market, method: str, path: str, expect: int, headers: dict[str, str] | None = None,
        **kwargs: Any) -> Any:  # fmt: skip
    sent = {"Api-Key": market.credentials["api_key"]} if headers is None else headers
    reply = httpx.request(method, market.url + path, headers=sent, timeout=30, **kwargs)
    assert reply.status_code == expect, f"{method} {path}: {reply.status_code} {reply.text[:300]}"
    return reply.json() if reply.content else None


async def drive_connector(market: Market) -> None:
    channel = market.channel()
    assert isinstance(channel, YandexMarketChannel)
    try:
        await channel.check()
        assert {w.external_id for w in await channel.list_warehouses()} >= set(WAREHOUSES)
        assert len([o async for page in channel.iter_offers() for o in page]) >= 5
        leaves = [c for c in await channel.categories() if c.leaf]
        attributes = {c.id: await channel.category_attributes(c.id) for c in leaves}
        leaf = next(c for c, attrs in attributes.items() if any(a.required for a in attrs))
        drafts = [
            CardDraft("CARD-OK", "Full card", leaf, ["4600000000001"], Decimal("500"),
                      attributes={a.id: ["черный"] for a in attributes[leaf] if a.required}),
            CardDraft("CARD-BARE", "Bare card", leaf, ["4600000000002"], Decimal("500")),
            CardDraft("CARD-NOWHERE", "No such category", "1", ["4600000000003"], Decimal("500")),
        ]  # fmt: skip
        task = await channel.export_cards(drafts)
        outcome: list[Any] = []

        async def judged() -> bool:
            outcome[:] = await channel.card_export_status(task) or []
            return bool(outcome)

        await wait_until(judged, what="the cards' verdict")
        results = outcome
        assert [r.status.value for r in results] == ["active", "rejected", "rejected"]
        pushes = [StockPush("YM-1", "YM-1", WAREHOUSES[0], 3), StockPush("NOPE", "NOPE", WAREHOUSES[0], 1)]
        assert [r.ok for r in await channel.push_stocks(pushes)] == [True, False]
        prices = [PricePush("YM-2", "YM-2", Decimal("990")), PricePush("NOPE", "NOPE", Decimal("10"))]
        assert [r.ok for r in await channel.push_prices(prices)] == [True, False]
        placed = market.place([("YM-5", 2)], WAREHOUSES[0])
        since, until = window()
        listed = [o async for page in channel.iter_orders(since, until) for o in page]
        assert [o.raw_status for o in listed if o.external_id in placed] == ["PROCESSING/STARTED"]
        order = await channel.get_order(placed[0])
        assert order.lines[0].quantity == 2
        await channel.confirm(order)
        assert (await channel.get_order(placed[0])).raw_status == "PROCESSING/READY_TO_SHIP"
        await channel.confirm(order)  # a repeat changes nothing
        code = "010460043993125621JgXJ5.T\u001d91EE06\u001d92abc="
        boxes = [PackBox(1, (PackLine("YM-5", 1, (code,)),)), PackBox(2, (PackLine("YM-5", 1),))]
        packed = await channel.pack(order, boxes)
        assert packed.shipment_ids == [f"{placed[0]}-1", f"{placed[0]}-2"]
        labels = await channel.labels(packed.shipment_ids, LabelFormat.PDF)
        assert [page_codes(label.content) for label in labels] == [[[s]] for s in packed.shipment_ids]
        handed = await channel.hand_over(packed.shipment_ids)
        assert handed.document and page_codes(handed.document) == [[handed.external_id]]
        assert (await channel.get_order(placed[0])).raw_status == "PROCESSING/SHIPPED"
        await drive_marking(market, channel)
        dropped = market.place([("YM-5", 1)], WAREHOUSES[0])[0]
        await channel.cancel(dropped, "out of stock")
        assert (await channel.get_order(dropped)).raw_status == "CANCELLED/SHOP_FAILED"
        asked = market.place([("YM-5", 1)], WAREHOUSES[0])[0]
        market.move(asked, "shipped")
        market.move(asked, "cancellation-requested")  # the connector answers it as it reads
        assert (await channel.get_order(asked)).raw_status == "CANCELLED/USER_CHANGED_MIND"
        await drive_returns(market, channel)
    finally:
        await channel.aclose()


async def drive_marking(market: Market, channel: YandexMarketChannel) -> None:
    """An order with a marked item: packing waits for the codes' check, then READY_TO_SHIP."""
    placed = market.place([("YM-M", 1)], WAREHOUSES[0])[0]
    order = await channel.get_order(placed)
    await channel.confirm(order)  # left to packing: the codes are not in yet
    code = "010460043993125621Mk1\u001d91EE06"
    packed = await channel.pack(order, [PackBox(1, (PackLine("YM-M", 1, (code,)),))])
    assert (await channel.get_order(placed)).raw_status == "PROCESSING/READY_TO_SHIP"
    await channel.hand_over(packed.shipment_ids)


async def drive_returns(market: Market, channel: YandexMarketChannel) -> None:
    """A return listed by the connector, then read and filtered directly, with the refusals."""
    kept = market.place([("YM-3", 1)], WAREHOUSES[1])[0]
    market.move(kept, "delivered")
    opened = market.open_return(kept, "wrong colour")
    since, _ = window()
    listed = [r async for page in channel.iter_returns(since) for r in page]
    assert [(r.external_id, r.reason) for r in listed if r.order_external_id == kept] == [
        (opened, "wrong colour")
    ]
    business = market.credentials["business_id"]
    found = api(market, "POST", f"/v1/businesses/{business}/orders", 200, json={"orderIds": [int(kept)]})
    base = f"/v2/campaigns/{found['orders'][0]['campaignId']}"
    one = api(market, "GET", f"{base}/orders/{kept}/returns/{opened}", 200)["result"]
    assert one["items"][0]["decisions"][0]["reasonType"] == "WRONG_ITEM"
    api(market, "GET", f"{base}/orders/1/returns/{opened}", 404)
    filtered = {"orderIds": [int(kept)], "statuses": ["STARTED_BY_USER"], "type": "RETURN", "limit": 500}
    assert len(api(market, "GET", f"{base}/returns", 200, params=filtered)["result"]["returns"]) == 1
    assert (
        api(market, "GET", f"{base}/returns", 200, params={"type": "UNREDEEMED"})["result"]["returns"] == []
    )
    api(market, "GET", f"{base}/returns", 400, params={"fromDate": "yesterday"})
    api(market, "GET", "/v2/campaigns/1/returns", 404)


def drive_sandbox_only(market: Market) -> None:
    business = market.credentials["business_id"]
    campaigns = api(market, "GET", "/v2/campaigns", 200)["campaigns"]
    campaign = campaigns[0]["id"]
    api(market, "GET", f"/v2/campaigns/{campaign}", 200)
    api(market, "GET", "/v2/campaigns", 401, headers={})
    api(market, "GET", "/v2/campaigns", 403, headers={"Api-Key": "ACMA:wrong"})
    api(
        market,
        "GET",
        "/v2/campaigns",
        200,
        headers={"Authorization": f"Bearer {market.credentials['oauth_token']}"},
    )
    api(market, "GET", "/v2/campaigns/1", 404)
    body = {"skus": [{"sku": "YM-3", "items": [{"count": 4}]}]}
    api(market, "PUT", f"/v2/campaigns/{campaign}/offers/stocks", 200, json=body)
    api(market, "PUT", f"/v2/campaigns/{campaign}/offers/stocks", 400, json={"skus": []})
    api(
        market, "PUT", f"/v2/campaigns/{business}/offers/stocks", 200, json=body
    )  # the business id: "success"
    api(market, "POST", f"/v2/campaigns/{campaign}/offers/stocks", 200, params={"limit": 500}, json={})
    assert (
        api(market, "POST", f"/v2/campaigns/{business}/offers/stocks", 200, json={})["result"]["warehouses"]
        == []
    )
    api(
        market,
        "POST",
        f"/v3/businesses/{business}/offers/stocks",
        200,
        json={"partnerWarehouseId": int(WAREHOUSES[0])},
    )
    api(market, "POST", f"/v3/businesses/{campaign}/offers/stocks", 403, json={"partnerWarehouseId": 1})
    api(market, "POST", f"/v2/businesses/{business}/offer-cards/update", 200,
        json={"offersContent": [{"offerId": "NOPE", "categoryId": 90533, "parameterValues": [{"parameterId": 1}]}]})  # fmt: skip
    api(market, "POST", f"/v2/businesses/{business}/offer-prices", 200, json={})
    drop = {"offers": [{"offerId": "YM-4", "price": {"value": 100, "currencyId": "RUR"}}]}
    api(market, "POST", f"/v2/campaigns/{campaign}/offer-prices/updates", 200, json=drop)
    api(market, "POST", f"/v2/businesses/{business}/offer-prices/updates", 200, json=drop)
    for scope in (f"/v2/campaigns/{campaign}", f"/v2/businesses/{business}"):
        held = api(market, "POST", f"{scope}/price-quarantine", 200, json={})["result"]["offers"]
        assert [o["offerId"] for o in held] == ["YM-4"], scope
        api(market, "POST", f"{scope}/price-quarantine/confirm", 200, json={"offerIds": ["YM-4"]})
    api(market, "POST", "/v2/categories/tree", 200, json={})
    drive_orders(market, campaign)


def drive_orders(market: Market, campaign: int) -> None:
    first, second = market.place([("YM-1", 1)], WAREHOUSES[0]), market.place([("YM-2", 1)], WAREHOUSES[0])
    base = f"/v2/campaigns/{campaign}/orders"
    api(market, "GET", f"{base}/{first[0]}", 200)
    api(market, "GET", f"{base}/1", 404)
    ready = {"order": {"status": "PROCESSING", "substatus": "READY_TO_SHIP"}}
    assert (
        api(market, "PUT", f"{base}/{first[0]}/status", 200, json=ready)["order"]["substatus"]
        == "READY_TO_SHIP"
    )
    api(market, "PUT", f"{base}/{first[0]}/status", 400, json={"order": {"status": "DELIVERED"}})
    batch = {"orders": [{"id": int(second[0]), "status": "PROCESSING", "substatus": "READY_TO_SHIP"},
                        {"id": int(first[0]), "status": "CANCELLED", "substatus": "USER_CHANGED_MIND"}]}  # fmt: skip
    verdicts = api(market, "POST", f"{base}/status-update", 200, json=batch)["result"]["orders"]
    assert [v["updateStatus"] for v in verdicts] == ["OK", "ERROR"]
    market.move(second[0], "shipped")
    market.move(second[0], "cancellation-requested")
    accept = f"{base}/{second[0]}/cancellation/accept"
    api(market, "PUT", accept, 400, json={"accepted": False})  # a refusal says why
    api(market, "PUT", accept, 200, json={"accepted": True})
    api(market, "PUT", accept, 400, json={"accepted": True})  # nothing left to answer
    drive_boxes(market, campaign)
    drive_items(market, campaign)
    business = market.credentials["business_id"]
    waiting = {"waitingForCancellationApprove": True}
    assert api(market, "POST", f"/v1/businesses/{business}/orders", 200, json=waiting)["orders"] == []
    api(market, "POST", f"/v1/businesses/{business}/orders", 200, params={"limit": 500},
        json={"statuses": ["PROCESSING"], "dates": {"creationDateFrom": "2020-01-01"}})  # fmt: skip


def drive_items(market: Market, campaign: int) -> None:
    """Item reduction: one item fewer, then a refusal (the only item left)."""
    placed = market.place([("YM-1", 2), ("YM-2", 1)], WAREHOUSES[0])[0]
    business = market.credentials["business_id"]
    found = api(market, "POST", f"/v1/businesses/{business}/orders", 200, json={"orderIds": [int(placed)]})
    first, second = (i["id"] for i in found["orders"][0]["items"])
    path = f"/v2/campaigns/{campaign}/orders/{placed}/items"
    api(
        market,
        "PUT",
        path,
        200,
        json={"items": [{"id": first, "count": 1}], "reason": "USER_REQUESTED_REMOVE"},
    )
    reply = api(market, "PUT", path, 400, json={"items": [{"id": first, "count": 0}]})
    assert "only item" in reply["errors"][0]["message"]
    assert second not in {i["id"] for i in api(market, "POST", f"/v1/businesses/{business}/orders", 200,
                          json={"orderIds": [int(placed)]})["orders"][0]["items"]}  # fmt: skip


def drive_boxes(market: Market, campaign: int) -> None:
    """Boxes refused for what does not match the order, laid out, and their labels."""
    placed = market.place([("YM-4", 1)], WAREHOUSES[0])[0]
    order = f"/v2/campaigns/{campaign}/orders/{placed}"
    business = market.credentials["business_id"]
    found = api(market, "POST", f"/v1/businesses/{business}/orders", 200, json={"orderIds": [int(placed)]})
    item = found["orders"][0]["items"][0]["id"]
    api(market, "GET", f"{order}/delivery/labels", 400)  # no boxes yet
    for wrong in ({"boxes": [{"items": [{"id": item + 1, "fullCount": 1}]}]},
                  {"boxes": [{"items": [{"id": item, "fullCount": 2}]}]},
                  {"boxes": [{"items": [{"id": item, "fullCount": 1, "instances": [{}, {}]}]}]}):  # fmt: skip
        api(market, "PUT", f"{order}/boxes", 400, json=wrong)
    halves = [{"items": [{"id": item, "partialCount": {"current": n, "total": 2}}]} for n in (1, 2)]
    laid = api(market, "PUT", f"{order}/boxes", 200, json={"boxes": halves})["result"]["boxes"]
    for fmt in ("A9_HORIZONTALLY", "A9", "A4"):
        reply = httpx.get(market.url + f"{order}/delivery/labels", params={"format": fmt},
                          headers={"Api-Key": market.credentials["api_key"]})  # fmt: skip
        assert reply.status_code == 200 and len(page_codes(reply.content)) == 2
    api(market, "GET", f"{order}/delivery/labels", 400, params={"format": "A5"})
    box = f"{order}/delivery/shipments/{placed}/boxes/{laid[1]['boxId']}/label"
    reply = httpx.get(market.url + box, headers={"Api-Key": market.credentials["api_key"]})
    assert page_codes(reply.content) == [[f"{placed}-2"]]
    api(market, "GET", f"{order}/delivery/shipments/{placed}/boxes/1/label", 404)
    wanted = {"businessId": int(business), "orderIds": [int(placed), 1]}
    report = api(market, "POST", "/v2/reports/documents/labels/generate", 200, json=wanted)["result"]
    api(market, "GET", f"/v2/reports/info/{report['reportId']}", 200)
    api(market, "POST", "/v2/reports/documents/labels/generate", 400, json={"businessId": int(business)})
    api(market, "GET", "/v2/reports/info/nope", 404)
    days = {"dateFrom": "2020-01-01", "dateTo": "2100-01-01", "orderIds": [int(placed)]}
    shipments = f"/v2/campaigns/{campaign}/first-mile/shipments"
    held = api(market, "PUT", shipments, 200, json=days)["result"]["shipments"][0]
    assert api(market, "GET", f"{shipments}/{held['id']}", 200)["result"]["orderIds"] == [int(placed)]
    api(market, "POST", f"{shipments}/{held['id']}/confirm", 400, json={})  # the order is not ready
    api(market, "GET", f"{shipments}/{held['id']}/transportation-waybill", 400)  # brought, not collected
    api(market, "GET", f"{shipments}/{held['id']}/discrepancy-act", 400)  # not accepted yet
    api(market, "GET", f"{shipments}/1", 404)


def test_every_request_and_answer_matches_the_description(market: Market) -> None:
    asyncio.run(drive_connector(market))
    drive_sandbox_only(market)
    with market.limits():
        for _ in range(ep.LIMITS["categories_tree"].burst):
            api(market, "POST", "/v2/categories/tree", 200, json={})
        api(market, "POST", "/v2/categories/tree", ep.LIMIT_STATUS, json={})
    problems, seen = journal_problems(market.call("GET", "/journal", params={"limit": 5000})["items"])
    assert not problems, "\n".join(problems[:25])
    declared = {(e.method, e.path) for e in ep.SANDBOX_API.endpoints}
    assert declared <= seen, f"methods never checked: {sorted(declared - seen)}"
