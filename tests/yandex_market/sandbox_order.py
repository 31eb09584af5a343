"""One order of the Yandex Market sandbox, placed through the control API, then read and changed
through the Partner API as a seller's program would."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.marketplaces import Market


class Order:
    """One order of the sandbox, read and changed through the Partner API."""

    def __init__(self, market: Market, lines: list[tuple[str, int]], warehouse: str) -> None:
        self.market = market
        (self.id,) = market.place(lines, warehouse)
        raw = self.read()
        self.base = f"{market.url}/v2/campaigns/{raw['campaignId']}/orders/{self.id}"
        self.item = {i["offerId"]: i["id"] for i in raw["items"]}

    def read(self) -> dict[str, Any]:
        business = self.market.credentials["business_id"]
        reply = httpx.post(
            f"{self.market.url}/v1/businesses/{business}/orders",
            headers=self.headers,
            json={"orderIds": [int(self.id)]},
        )
        found: dict[str, Any] = reply.json()["orders"][0]
        return found

    @property
    def headers(self) -> dict[str, str]:
        return {"Api-Key": self.market.credentials["api_key"]}

    def counts(self) -> dict[str, int]:
        return {i["offerId"]: i["count"] for i in self.read()["items"]}

    def put(self, what: str, body: Any) -> httpx.Response:
        return httpx.put(f"{self.base}/{what}", headers=self.headers, json=body)

    def post(self, what: str, body: Any = None) -> httpx.Response:
        return httpx.post(f"{self.base}/{what}", headers=self.headers, json=body)
