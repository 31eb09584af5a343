"""A third-party client of the real Partner API, unchanged, against the sandbox given only its base URL.

ya-market-api (PyPI) builds its calls from a base URL, an Api-Key, a business id and a
campaign id, sends the older version-less paths for some methods (`/campaigns`,
`/businesses/{id}/offer-mappings`, `/campaigns/{id}/orders/{orderId}`) and reads every answer
into strict pydantic models, so a missing required field or a wrong type fails here.
Nothing in the client is patched.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from ya_market_api.exception import AuthorizationError
from ya_market_api.offer.dataclass import OfferListByBusinessRequest
from ya_market_api.order.dataclass import OrderGetRequest, OrderListRequest
from ya_market_api.sync_api import SyncAPI

from tests.support.marketplaces import Market, offer, start_market

WAREHOUSE = "8201"


@pytest.fixture(scope="module")
def market() -> Iterator[Market]:
    for running in start_market("yandex-market"):
        running.seed([offer(f"TP-{n}", 800 + n, [WAREHOUSE]) for n in range(1, 4)], (WAREHOUSE,))
        yield running


def client(market: Market, api_key: str | None = None) -> SyncAPI:
    campaigns = market.call("GET", "/orders")  # warm the control API; campaigns come from the API itself
    assert isinstance(campaigns, dict)
    return SyncAPI.build(
        api_key or market.credentials["api_key"],
        base_url=market.url,
        business_id=int(market.credentials["business_id"]),
    )


def test_client_lists_campaigns_and_offers(market: Market) -> None:
    api = client(market)
    campaigns = api.campaign.get_campaign_list().campaigns
    assert [c.business.id for c in campaigns if c.business] == [int(market.credentials["business_id"])]
    offers = api.offer.get_offer_list_by_business(OfferListByBusinessRequest(limit=2))
    assert len(offers.result.offer_mappings) == 2
    token = offers.result.paging.next_page_token if offers.result.paging else None
    assert token, "a second page is announced"
    rest = api.offer.get_offer_list_by_business(OfferListByBusinessRequest(limit=2, page_token=token))
    codes = {m.offer.id for m in [*offers.result.offer_mappings, *rest.result.offer_mappings] if m.offer}
    assert codes == {"TP-1", "TP-2", "TP-3"}


def test_client_reads_orders(market: Market) -> None:
    placed = market.place([("TP-2", 1)], WAREHOUSE)
    api = client(market)
    listed = api.order.get_order_list(OrderListRequest(order_ids=[int(placed[0])]))
    assert [(o.order_id, o.status.value, o.substatus.value) for o in listed.orders] == [
        (int(placed[0]), "PROCESSING", "STARTED")
    ]
    api.config.campaign_id = listed.orders[0].campaign_id
    with pytest.warns(DeprecationWarning):
        one = api.order.get_order(OrderGetRequest(order_id=int(placed[0])))
    assert one.order.id == int(placed[0])


def test_client_reads_a_buyers_cancellation_request(market: Market) -> None:
    (placed,) = market.place([("TP-3", 1)], WAREHOUSE)
    market.move(placed, "shipped")
    market.move(placed, "cancellation-requested")
    api = client(market)
    listed = api.order.get_order_list(OrderListRequest(order_ids=[int(placed)]))
    assert [(o.status.value, o.cancel_requested) for o in listed.orders] == [("DELIVERY", True)]
    api.config.campaign_id = listed.orders[0].campaign_id
    with pytest.warns(DeprecationWarning):
        assert api.order.get_order(OrderGetRequest(order_id=int(placed))).order.cancel_requested is True


def test_client_sees_a_wrong_key_refused(market: Market) -> None:
    with pytest.raises(AuthorizationError):
        client(market, api_key="ACMA:not-the-key").campaign.get_campaign_list()
