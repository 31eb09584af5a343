"""A first-mile shipment's waybill and discrepancy act: given where the shipment has them,
refused (400) where it has not; the control API choosing WITHDRAW and moving the shipment on."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from tests.support.marketplaces import Market, offer, start_market
from tests.yandex_market.sandbox_order import Order
from tests.yandex_market.spec import SPEC

WAREHOUSE = "8901"
CONTROL = "/yandex-market"
READY = {"order": {"status": "PROCESSING", "substatus": "READY_TO_SHIP"}}


@pytest.fixture
def market() -> Iterator[Market]:
    for running in start_market("yandex-market"):
        running.seed([offer("S-1", 971, [WAREHOUSE])], (WAREHOUSE,))
        yield running


class Shipment:
    """The first-mile shipment holding freshly packed orders, read through the Partner API."""

    def __init__(self, market: Market, orders: int = 1) -> None:
        self.market = market
        self.orders = [Order(market, [("S-1", 1)], WAREHOUSE) for _ in range(orders)]
        first = self.orders[0]
        self.campaign = first.read()["campaignId"]
        for order in self.orders:
            laid = order.put("boxes", {"boxes": [{"items": [{"id": order.item["S-1"], "fullCount": 1}]}]})
            assert laid.status_code == 200, laid.text
        self.base = f"{market.url}/v2/campaigns/{self.campaign}/first-mile/shipments"
        days = {"dateFrom": "2020-01-01", "dateTo": "2100-01-01", "orderIds": [int(first.id)]}
        self.id = httpx.put(self.base, headers=first.headers, json=days).json()["result"]["shipments"][0][
            "id"
        ]

    def get(self, what: str = "") -> httpx.Response:
        return httpx.get(f"{self.base}/{self.id}{what}", headers=self.orders[0].headers)

    def read(self) -> dict[str, Any]:
        found: dict[str, Any] = self.get().json()["result"]
        return found

    def confirm(self) -> None:
        for order in self.orders:
            assert order.put("status", READY).status_code == 200
        headers = self.orders[0].headers
        assert httpx.post(f"{self.base}/{self.id}/confirm", headers=headers, json={}).status_code == 200

    def move(self, status: str, missing: list[int] | None = None) -> httpx.Response:
        body = {"status": status, "missing_order_ids": missing or []}
        return self.market.control.post(f"{CONTROL}/shipments/{self.id}/move", json=body)


def refused(reply: httpx.Response, says: str) -> None:
    assert reply.status_code == 400, reply.text
    assert reply.json()["status"] == "ERROR" and says in reply.json()["errors"][0]["message"]


def sheet(reply: httpx.Response) -> list[tuple[Any, ...]]:
    assert reply.status_code == 200, reply.text
    op = SPEC.operation("GET", reply.request.url.path)
    assert reply.headers["content-type"] in op.spec["responses"]["200"]["content"]
    book = load_workbook(io.BytesIO(reply.content))
    assert book.active is not None
    return [tuple(row) for row in book.active.iter_rows(values_only=True)]


def withdraw(market: Market, campaign: int) -> None:
    reply = market.control.put(
        f"{CONTROL}/campaigns/{campaign}/shipment-type", json={"shipment_type": "WITHDRAW"}
    )
    assert reply.status_code == 200, reply.text


def test_the_waybill_of_a_collected_shipment_once_it_is_confirmed(market: Market) -> None:
    shipment = Shipment(market, orders=2)
    refused(shipment.get("/transportation-waybill"), "brought by the seller")
    withdraw(market, shipment.campaign)
    assert shipment.read()["shipmentType"] == "WITHDRAW"
    refused(shipment.get("/transportation-waybill"), "once it is confirmed")
    assert "DOWNLOAD_TRANSPORTATION_WAYBILL" not in shipment.read()["availableActions"]
    shipment.confirm()
    assert shipment.read()["availableActions"] == ["DOWNLOAD_ACT", "DOWNLOAD_TRANSPORTATION_WAYBILL"]
    rows = sheet(shipment.get("/transportation-waybill"))
    assert rows[0][0] == f"Waybill {shipment.id}"
    assert [row[1] for row in rows[2:]] == [int(o.id) for o in shipment.orders]


def test_a_brought_shipment_has_no_waybill_even_confirmed(market: Market) -> None:
    shipment = Shipment(market)
    shipment.confirm()
    assert shipment.read()["shipmentType"] == "IMPORT"
    refused(shipment.get("/transportation-waybill"), "brought by the seller")


def test_the_discrepancy_act_once_accepted_with_discrepancies(market: Market) -> None:
    shipment = Shipment(market, orders=2)
    refused(shipment.get("/discrepancy-act"), "not accepted with discrepancies")
    assert shipment.move("ACCEPTED").status_code == 409, "not confirmed yet"
    shipment.confirm()
    assert shipment.move("OUTBOUND_SIGNED").status_code == 200
    refused(shipment.get("/discrepancy-act"), "not accepted with discrepancies")
    short = int(shipment.orders[1].id)
    assert shipment.move("ACCEPTED_WITH_DISCREPANCIES").status_code == 409, "which orders are missing"
    assert shipment.move("ACCEPTED_WITH_DISCREPANCIES", [1]).status_code == 409, "not an order of it"
    assert shipment.move("ACCEPTED_WITH_DISCREPANCIES", [short]).status_code == 200
    shown = shipment.read()
    assert (shown["plannedCount"], shown["factCount"]) == (2, 1)
    assert "DOWNLOAD_DISCREPANCY_ACT" in shown["availableActions"]
    rows = sheet(shipment.get("/discrepancy-act"))
    assert {row[0]: row[2] for row in rows[2:]} == {int(shipment.orders[0].id): 1, short: 0}
    assert shipment.move("FINISHED").status_code == 200
    assert sheet(shipment.get("/discrepancy-act")) == rows, "the act stays once finished"
    assert shipment.move("ACCEPTED").status_code == 409, "finished moves no further"


def test_a_shipment_accepted_in_full_has_no_discrepancy_act(market: Market) -> None:
    shipment = Shipment(market)
    shipment.confirm()
    assert shipment.move("ACCEPTED", [int(shipment.orders[0].id)]).status_code == 409
    assert shipment.move("ACCEPTED").status_code == 200
    refused(shipment.get("/discrepancy-act"), "not accepted with discrepancies")


def test_control_refusals(market: Market) -> None:
    shipment = Shipment(market)
    assert market.control.post(f"{CONTROL}/shipments/1/move", json={"status": "ACCEPTED"}).status_code == 404
    setting = {"shipment_type": "WITHDRAW"}
    assert market.control.put(f"{CONTROL}/campaigns/1/shipment-type", json=setting).status_code == 404
    wrong = market.control.put(
        f"{CONTROL}/campaigns/{shipment.campaign}/shipment-type", json={"shipment_type": "X"}
    )
    assert wrong.status_code == 422
    assert shipment.read()["shipmentType"] == "IMPORT"
    unknown = httpx.get(f"{shipment.base}/1/transportation-waybill", headers=shipment.orders[0].headers)
    assert unknown.status_code == 404
