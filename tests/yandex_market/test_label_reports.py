"""Labels through the asynchronous document reports: generate, follow the report, download the
file; orders not found or not boxed yet, and the requests the sandbox refuses.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.channels.test_print_files import page_codes
from tests.support.marketplaces import Market, offer, start_market, wait_until

WAREHOUSE = "8801"
GENERATE = "/v2/reports/documents/labels/generate"


@pytest.fixture
def market() -> Iterator[Market]:
    for running in start_market("yandex-market"):
        running.seed([offer("L-1", 961, [WAREHOUSE]), offer("L-2", 962, [WAREHOUSE])], (WAREHOUSE,))
        yield running


def call(market: Market, method: str, path: str, **kwargs: Any) -> httpx.Response:
    headers = {"Api-Key": market.credentials["api_key"]}
    return httpx.request(method, market.url + path, headers=headers, timeout=30, **kwargs)


def boxed(market: Market, boxes: int) -> str:
    """An order of `boxes` units of L-1 laid out one unit a box."""
    (order_id,) = market.place([("L-1", boxes)], WAREHOUSE)
    business = market.credentials["business_id"]
    raw = call(market, "POST", f"/v1/businesses/{business}/orders", json={"orderIds": [int(order_id)]})
    order = raw.json()["orders"][0]
    layout = {"boxes": [{"items": [{"id": order["items"][0]["id"], "fullCount": 1}]} for _ in range(boxes)]}
    path = f"/v2/campaigns/{order['campaignId']}/orders/{order_id}/boxes"
    assert call(market, "PUT", path, json=layout).status_code == 200
    return order_id


def download(url: str) -> httpx.Response:
    """A report's file (Market's storage asks no key)."""
    return httpx.get(url, timeout=30)


def generate(market: Market, order_ids: list[str], **extra: Any) -> str:
    body = {
        "businessId": int(market.credentials["business_id"]),
        "orderIds": [int(i) for i in order_ids],
        **extra,
    }
    reply = call(market, "POST", GENERATE, params={"format": "A9"}, json=body)
    assert reply.status_code == 200, reply.text
    report: str = reply.json()["result"]["reportId"]
    assert reply.json()["result"]["estimatedGenerationTime"] > 0
    return report


async def finished(market: Market, report: str) -> dict[str, Any]:
    """The report's info once it is no longer pending or processing."""
    info: dict[str, Any] = {}

    async def done() -> bool:
        info.update(call(market, "GET", f"/v2/reports/info/{report}").json()["result"])
        return info["status"] not in ("PENDING", "PROCESSING")

    await wait_until(done, what=f"report {report} generated")
    return info


async def test_labels_of_several_orders_in_one_file(market: Market) -> None:
    market.call("PUT", "/timing", json={"scale": 1})  # the report's real 5 seconds
    first, second = boxed(market, 2), boxed(market, 1)
    report = generate(market, [second, first], sortingType="SORT_BY_ORDER_CREATED_AT")
    early = call(market, "GET", f"/v2/reports/info/{report}").json()["result"]
    assert early["status"] in ("PENDING", "PROCESSING") and "file" not in early
    info = await finished(market, report)
    assert info["status"] == "DONE" and "subStatus" not in info
    assert download(info["file"].replace("/reports/", "/reports/x")).status_code == 404
    pdf = download(info["file"])
    assert pdf.headers["content-type"] == "application/pdf"
    assert page_codes(pdf.content) == [[f"{first}-1"], [f"{first}-2"], [f"{second}-1"]]


async def test_orders_not_found_or_not_boxed(market: Market) -> None:
    kept = boxed(market, 1)
    (loose,) = market.place([("L-2", 1)], WAREHOUSE)
    info = await finished(market, generate(market, [kept, loose, "1"]))
    assert (info["status"], info["subStatus"]) == ("DONE", "RESOURCE_NOT_FOUND")
    assert page_codes(download(info["file"]).content) == [[f"{kept}-1"]]
    none_left = await finished(market, generate(market, [loose]))
    assert (none_left["status"], none_left["subStatus"]) == ("FAILED", "RESOURCE_NOT_FOUND")
    assert "file" not in none_left


def test_refused_requests(market: Market) -> None:
    kept = int(boxed(market, 1))
    business = int(market.credentials["business_id"])
    for params, body, status in (
        ({"format": "A5"}, {"businessId": business, "orderIds": [kept]}, 400),
        ({}, {"businessId": business + 1, "orderIds": [kept]}, 403),
        ({}, {"businessId": business, "orderIds": []}, 400),
        ({}, {"businessId": business, "orderIds": [kept, kept]}, 400),
        ({}, {"businessId": business, "orderIds": [kept], "sortingType": "BY_SIZE"}, 400),
        ({}, {"businessId": business}, 400),
    ):
        reply = call(market, "POST", GENERATE, params=params, json=body)
        assert reply.status_code == status, (params, body, reply.text)
        assert reply.json()["status"] == "ERROR"
    assert call(market, "GET", "/v2/reports/info/nope").status_code == 404
