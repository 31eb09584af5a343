"""What is Yandex Market's own, in its sandbox and connector: the business/campaign mix-up, the
per-method and per-item limits (420), the delay before a stock update shows, the price quarantine.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from marketbridge.channels.errors import AuthError, RateLimited
from marketbridge.channels.roles import StockPush
from marketbridge.channels.yandex_market import endpoints as ep
from tests.support.marketplaces import Market, offer, start_market, wait_until

WAREHOUSE = "8301"


@pytest.fixture
def market() -> Iterator[Market]:
    for running in start_market("yandex-market"):
        running.seed([offer(f"Q-{n}", 600 + n, [WAREHOUSE]) for n in range(1, 4)], (WAREHOUSE,))
        yield running


def call(market: Market, method: str, path: str, **kwargs: Any) -> httpx.Response:
    headers = {"Api-Key": market.credentials["api_key"]}
    return httpx.request(method, market.url + path, headers=headers, timeout=30, **kwargs)


def campaign_of(market: Market) -> int:
    campaign: int = call(market, "GET", "/v2/campaigns").json()["campaigns"][0]["id"]
    return campaign


def test_the_business_id_where_a_campaign_id_belongs_is_an_empty_success(market: Market) -> None:
    business = market.credentials["business_id"]
    before = market.items("stocks")
    body = {"skus": [{"sku": "Q-1", "items": [{"count": 77}]}]}
    written = call(market, "PUT", f"/v2/campaigns/{business}/offers/stocks", json=body)
    assert (written.status_code, written.json()) == (200, {"status": "OK"})
    assert market.items("stocks") == before, "nothing was written"
    read = call(market, "POST", f"/v2/campaigns/{business}/offers/stocks", json={})
    assert read.json()["result"]["warehouses"] == []
    unknown = call(market, "PUT", "/v2/campaigns/1/offers/stocks", json=body)
    assert unknown.status_code == 404 and unknown.json()["errors"][0]["code"] == "NOT_FOUND"


async def test_the_connector_refuses_a_campaign_id_as_business_id(market: Market) -> None:
    wrong = {**market.credentials, "business_id": str(campaign_of(market))}
    channel = market.channel(wrong)
    try:
        with pytest.raises(AuthError, match="campaign"):
            await channel.check()
    finally:
        await channel.aclose()


def test_credentials_missing_is_401_and_wrong_is_403(market: Market) -> None:
    missing = httpx.get(market.url + "/v2/campaigns", timeout=30)
    wrong = httpx.get(market.url + "/v2/campaigns", headers={"Api-Key": "ACMA:nope"}, timeout=30)
    bearer = httpx.get(
        market.url + "/v2/campaigns",
        headers={"Authorization": f"Bearer {market.credentials['oauth_token']}"},
        timeout=30,
    )
    assert (missing.status_code, wrong.status_code, bearer.status_code) == (401, 403, 200)
    assert missing.json()["status"] == wrong.json()["status"] == "ERROR"


def test_item_counted_limits_charge_every_item(market: Market) -> None:
    """updateStocks (v2) counts req.skus: calls of 2,000 items run out of 100,000 a minute after
    about 50 calls (plus what refills meanwhile), where a per-request count would allow far more."""
    campaign = campaign_of(market)
    limit = ep.LIMITS["stocks_v2_update"]
    batch = ep.MAX_ITEMS["stocks_v2_update"]
    skus = [{"sku": "Q-1", "items": [{"count": 1}]}] * batch
    accepted = 0
    with market.limits():
        started = time.monotonic()
        for _ in range(limit.burst // batch * 2):
            answer = call(market, "PUT", f"/v2/campaigns/{campaign}/offers/stocks", json={"skus": skus})
            if answer.status_code == ep.LIMIT_STATUS:
                break
            assert answer.status_code == 200, answer.text
            accepted += 1
        elapsed = time.monotonic() - started
        assert market.rejected_by_limits().get("stocks_v2_update") == 1, "a call was refused with 420"
    refilled = elapsed * limit.count / limit.per_seconds
    assert limit.burst // batch <= accepted <= (limit.burst + refilled) // batch + 1


async def test_the_connector_waits_out_a_420_and_resumes(market: Market) -> None:
    channel = market.channel()
    try:
        with market.faults(rate_limit_rate=1.0), pytest.raises(RateLimited):
            await channel.check()
        assert market.fault_counters()["rate_limited"] > 1, "the 420s were retried"
        results = await channel.push_stocks([StockPush("Q-2", "Q-2", WAREHOUSE, 9)])  # type: ignore[attr-defined]
    finally:
        await channel.aclose()
    assert [r.ok for r in results] == [True]


def test_a_stock_update_shows_in_the_reads_only_after_the_delay(market: Market) -> None:
    market.call("PUT", "/timing", json={"scale": 0.05})  # 60 s become 3 s
    business = market.credentials["business_id"]
    item = {"sku": "Q-3", "partnerWarehouseId": int(WAREHOUSE), "count": 42}
    sent_at = time.monotonic()
    assert call(
        market, "POST", f"/v3/businesses/{business}/offers/stocks/update", json={"skuItems": [item]}
    ).is_success
    assert {(i["offer_code"], i["quantity"]) for i in market.items("stocks")} >= {("Q-3", 42)}

    def shown() -> int | None:
        body = {"partnerWarehouseId": int(WAREHOUSE), "offerIds": ["Q-3"]}
        offers = call(market, "POST", f"/v3/businesses/{business}/offers/stocks", json=body).json()["result"][
            "offers"
        ]
        return next((s["count"] for s in offers[0]["stocks"] if s["type"] == "FIT"), None)

    assert shown() == 10_000, "the old value is still shown right after the update"

    async def visible() -> bool:
        return shown() == 42

    asyncio.run(wait_until(visible, timeout=30, what="the stock update to show"))
    assert time.monotonic() - sent_at >= 3.0 * 0.9


def test_a_sharp_price_drop_waits_in_the_quarantine_until_confirmed(market: Market) -> None:
    business = market.credentials["business_id"]
    drop = {"offers": [{"offerId": "Q-1", "price": {"value": 100, "currencyId": "RUR"}}]}
    assert call(market, "POST", f"/v2/businesses/{business}/offer-prices/updates", json=drop).is_success
    held = {p["offer_code"]: p for p in market.items("prices")}["Q-1"]
    assert (held["price"], held["quarantined"]) == ("1000", "100")
    listed = call(market, "POST", f"/v2/businesses/{business}/price-quarantine", json={}).json()
    assert [o["offerId"] for o in listed["result"]["offers"]] == ["Q-1"]
    confirm = {"offerIds": ["Q-1"]}
    assert call(
        market, "POST", f"/v2/businesses/{business}/price-quarantine/confirm", json=confirm
    ).is_success
    held = {p["offer_code"]: p for p in market.items("prices")}["Q-1"]
    assert (held["price"], held["quarantined"]) == ("100", None)


def test_a_campaign_price_is_the_shops_own_with_its_own_quarantine(market: Market) -> None:
    campaign = campaign_of(market)
    raise_it = {"offers": [{"offerId": "Q-2", "price": {"value": 1500, "currencyId": "RUR"}}]}
    assert call(market, "POST", f"/v2/campaigns/{campaign}/offer-prices/updates", json=raise_it).is_success
    drop = {"offers": [{"offerId": "Q-2", "price": {"value": 700, "currencyId": "RUR"}}]}
    assert call(market, "POST", f"/v2/campaigns/{campaign}/offer-prices/updates", json=drop).is_success
    held = {p["offer_code"]: p for p in market.items("prices")}["Q-2"]
    assert (held["price"], held["campaign_prices"]) == ("1000", {str(campaign): "1500"}), (
        "700 < 1500 / 2: held"
    )
    business = market.credentials["business_id"]
    assert (
        call(market, "POST", f"/v2/businesses/{business}/price-quarantine", json={}).json()["result"][
            "offers"
        ]
        == []
    )
    listed = call(market, "POST", f"/v2/campaigns/{campaign}/price-quarantine", json={}).json()["result"][
        "offers"
    ]
    assert [o["offerId"] for o in listed] == ["Q-2"]
    call(market, "POST", f"/v2/campaigns/{campaign}/price-quarantine/confirm", json={"offerIds": ["Q-2"]})
    held = {p["offer_code"]: p for p in market.items("prices")}["Q-2"]
    assert held["campaign_prices"] == {str(campaign): "700"}


def test_answer_counted_limits_charge_every_item_answered(market: Market) -> None:
    """getDefaultPrices counts resp.result.offers (5,000 a minute): pages of 500 run out after
    about ten calls, where a per-request count would allow thousands."""
    market.seed([offer(f"P-{n:03d}", 1000 + n) for n in range(500)])
    business = market.credentials["business_id"]
    answers = []
    with market.limits():
        for _ in range(20):
            answer = call(
                market, "POST", f"/v2/businesses/{business}/offer-prices", params={"limit": 500}, json={}
            )
            answers.append(answer.status_code)
            if answer.status_code != 200:
                break
    assert answers[-1] == ep.LIMIT_STATUS, answers
    assert ep.LIMITS["business_prices"].burst // 500 <= answers.count(200) < 15
