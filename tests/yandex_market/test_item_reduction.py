"""Item reduction in the sandbox: fewer units or items removed before READY_TO_SHIP, by
updateOrderItems or by boxes with `allowRemove`, and the description's refusals (each changes
nothing).
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.support.marketplaces import Market, offer, start_market
from tests.yandex_market.sandbox_order import Order

WAREHOUSE = "8601"


@pytest.fixture
def market() -> Iterator[Market]:
    for running in start_market("yandex-market"):
        running.seed(
            [
                offer("R-1", 901, [WAREHOUSE]),
                offer("R-2", 902, [WAREHOUSE]),
                offer("R-CHEAP", 903, [WAREHOUSE], price="5"),
                offer("R-MARKED", 904, [WAREHOUSE], requires_marking=True),
            ],
            (WAREHOUSE,),
        )
        yield running


def test_fewer_units_and_an_item_removed(market: Market) -> None:
    order = Order(market, [("R-1", 3), ("R-2", 1), ("R-CHEAP", 1)], WAREHOUSE)
    body = {"items": [{"id": order.item["R-1"], "count": 2}, {"id": order.item["R-2"], "count": 1}],
            "reason": "PARTNER_REQUESTED_REMOVE"}  # fmt: skip
    reply = order.put("items", body)
    assert (reply.status_code, reply.content) == (200, b"")
    assert order.counts() == {"R-1": 2, "R-2": 1}, "fewer of R-1, and R-CHEAP (left out) removed"


@pytest.mark.parametrize(
    ("lines", "change", "says"),
    [
        ([("R-1", 2)], {"R-1": 1}, "only item"),
        ([("R-1", 1), ("R-2", 1)], {"R-1": 2, "R-2": 1}, "only go down"),
        ([("R-1", 1), ("R-2", 1)], {"R-1": 0, "R-2": 0}, "cancel the order"),
        ([("R-1", 1), ("R-CHEAP", 1)], {"R-1": 0, "R-CHEAP": 1}, "99 %"),
        ([("R-1", 1), ("R-MARKED", 2)], {"R-1": 1, "R-MARKED": 1}, "cis"),
    ],
)
def test_refusals_change_nothing(
    market: Market, lines: list[tuple[str, int]], change: dict[str, int], says: str
) -> None:
    order = Order(market, lines, WAREHOUSE)
    before = order.counts()
    reply = order.put("items", {"items": [{"id": order.item[o], "count": c} for o, c in change.items()]})
    assert reply.status_code == 400, reply.text
    assert reply.json()["status"] == "ERROR" and says in reply.json()["errors"][0]["message"]
    assert order.counts() == before


def test_malformed_requests_are_refused(market: Market) -> None:
    order = Order(market, [("R-1", 2), ("R-2", 1)], WAREHOUSE)
    item = order.item["R-1"]
    for wrong in (
        {},
        {"items": []},
        {"items": [{"id": 1, "count": 1}]},
        {"items": [{"id": item, "count": -1}]},
        {"items": [{"id": item, "count": 1}, {"id": item, "count": 1}]},
        {"items": [{"id": item, "count": 1}], "reason": "BORED"},
    ):
        assert order.put("items", wrong).status_code == 400, wrong
    assert order.counts() == {"R-1": 2, "R-2": 1}


def test_no_change_once_ready_to_ship(market: Market) -> None:
    order = Order(market, [("R-1", 2), ("R-2", 1)], WAREHOUSE)
    ready = httpx.put(f"{order.base}/status", headers=order.headers,
                      json={"order": {"status": "PROCESSING", "substatus": "READY_TO_SHIP"}})  # fmt: skip
    assert ready.status_code == 200
    reply = order.put(
        "items", {"items": [{"id": order.item["R-1"], "count": 1}, {"id": order.item["R-2"], "count": 1}]}
    )
    assert reply.status_code == 400 and "READY_TO_SHIP" in reply.json()["errors"][0]["message"]
    assert order.counts() == {"R-1": 2, "R-2": 1}


def test_boxes_hold_fewer_units_only_with_allow_remove(market: Market) -> None:
    order = Order(market, [("R-1", 3), ("R-2", 1)], WAREHOUSE)
    boxes = {
        "boxes": [
            {"items": [{"id": order.item["R-1"], "fullCount": 2}, {"id": order.item["R-2"], "fullCount": 1}]}
        ]
    }
    assert order.put("boxes", boxes).status_code == 400
    assert order.counts() == {"R-1": 3, "R-2": 1}
    laid = order.put("boxes", {**boxes, "allowRemove": True})
    assert laid.status_code == 200, laid.text
    assert order.counts() == {"R-1": 2, "R-2": 1}
    raw = order.read()
    assert (raw["status"], raw["substatus"]) == ("PROCESSING", "STARTED")
