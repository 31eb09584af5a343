"""What every part of the Yandex Market channel shares: the API, the business id, check and warehouses.

Credentials are the Api-Key and the business id (the cabinet that holds the catalog). A
campaign (shop) is found from the key (`GET /v2/campaigns`), so none is configured. The
hub's warehouses map onto the business's partner warehouses (the v3 warehouses method); a
stock value is sent per partner warehouse.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from marketbridge.channels.errors import AuthError
from marketbridge.channels.paging import Page, paginate, token_page
from marketbridge.channels.roles import ConnectionConfig, RemoteWarehouse
from marketbridge.channels.yandex_market import endpoints as ep
from marketbridge.channels.yandex_market.client import KIND, YmApi, field, int_of, next_token, rows
from marketbridge.runtime.ratelimit import Limiter


def business_id_of(credentials: Any) -> int:
    """The business id of the credentials; AuthError (the credentials cannot work) when it is
    not a number. Checked when a call needs it, so a notification is still answered."""
    raw = str(credentials.get("business_id") or "").strip()
    if not raw.isdigit() or int(raw) < 1:
        raise AuthError(f"{KIND}: business_id must be the cabinet's numeric id, not {raw[:40]!r}")
    return int(raw)


class YmBase:
    """The connection's API client and business; `check` and the warehouses."""

    kind = KIND

    def __init__(self, config: ConnectionConfig, limiter: Limiter) -> None:
        self.credentials = config.credentials
        base = config.base_urls.get("default") or ep.DEFAULT_BASE_URL
        self.api = YmApi(config.connection_id, base, config.credentials["api_key"], limiter)

    @property
    def business_id(self) -> int:
        return business_id_of(self.credentials)

    async def aclose(self) -> None:
        await self.api.aclose()

    async def campaigns(self) -> list[dict[str, Any]]:
        """The campaigns (shops) the key opens, of every business."""

        async def fetch(token: Hashable) -> Page[dict[str, Any]]:
            query: dict[str, Any] = {"limit": ep.PAGE_LIMITS["campaigns"]}
            if token:
                query["page_token"] = token
            answer = await self.api.call(ep.CAMPAIGNS, query=query)
            return token_page(rows(answer, "campaigns"), next_token(answer))

        return [c async for page in paginate(fetch, "", what=f"{KIND} campaigns") for c in page]

    async def check(self) -> None:
        """The key works and opens the configured business (a campaign id there is a clear error)."""
        business = self.business_id
        campaigns = await self.campaigns()
        businesses = {field(c, "business", "id") for c in campaigns if isinstance(c.get("business"), dict)}
        if not campaigns or business in businesses:
            return
        if business in {c.get("id") for c in campaigns}:
            raise AuthError(
                f"{KIND}: {business} is a campaign (shop) id; business_id must be the cabinet's id "
                f"({', '.join(str(b) for b in sorted(businesses))})"
            )
        raise AuthError(f"{KIND}: the Api-Key does not open business {business}")

    async def list_warehouses(self) -> list[RemoteWarehouse]:
        async def fetch(token: Hashable) -> Page[RemoteWarehouse]:
            query: dict[str, Any] = {"limit": ep.PAGE_LIMITS["warehouses_v3"]}
            if token:
                query["page_token"] = token
            answer = await self.api.call(
                ep.PARTNER_WAREHOUSES, path={"businessId": self.business_id}, body={}, query=query
            )
            found = [
                RemoteWarehouse(
                    external_id=str(int_of(field(w, "id"), "warehouse id")),
                    name=str(field(w, "name")),
                    active=any(m.get("apiAvailability") == "AVAILABLE" for m in rows(w, "models")),
                )
                for w in rows(answer, "result", "warehouses")
            ]
            return token_page(found, next_token(answer, "result"))

        return [w async for page in paginate(fetch, "", what=f"{KIND} warehouses") for w in page]
