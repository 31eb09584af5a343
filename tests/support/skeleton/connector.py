"""The skeleton connector: the Channel base (check, warehouses) and one role, CatalogSource.

Everything a real connector keeps is here in small: endpoints declared once with their
rate-limit groups, every call through ApiClient, a listing paged with channels.paging,
malformed answers turned into BadResponse. Add a role by adding its methods (see
docs/channel-roles.md); `has_role` reads them off the class.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Hashable
from typing import Any

from marketbridge.channels.endpoints import ApiDeclaration, Endpoint
from marketbridge.channels.errors import BadResponse
from marketbridge.channels.http import ApiClient, decode_json
from marketbridge.channels.paging import Page, offset_page, paginate
from marketbridge.channels.roles import ConnectionConfig, RemoteOffer, RemoteWarehouse
from marketbridge.channels.spec import ChannelSpec
from marketbridge.model import Category, CategoryAttribute
from marketbridge.runtime.ratelimit import Limiter, RateLimit

KIND = "skeleton"
PAGE_SIZE = 100

WAREHOUSES = Endpoint("GET", "/v1/warehouses", group="read")
OFFERS = Endpoint("POST", "/v1/offers/list", group="read", idempotent=True)
CATEGORIES = Endpoint("GET", "/v1/categories", group="read")
ATTRIBUTES = Endpoint("GET", "/v1/categories/{category_id}/attributes", group="read")

#: The marketplace's endpoints and published limits; its sandbox enforces the same.
API = ApiDeclaration.of(
    (WAREHOUSES, OFFERS, CATEGORIES, ATTRIBUTES), {"read": RateLimit(count=20, per_seconds=1, burst=20)}
)


def _field(item: Any, name: str) -> Any:
    """A required field of an answer item; BadResponse when the answer has another shape."""
    if not isinstance(item, dict) or name not in item:
        raise BadResponse(f"{KIND}: an answer item has no {name!r}")
    return item[name]


class SkeletonChannel:
    """One connection to the skeleton marketplace."""

    kind = KIND
    catalog_offers_per_second = 20 * PAGE_SIZE

    def __init__(self, config: ConnectionConfig, limiter: Limiter) -> None:
        self.api = ApiClient(
            channel=KIND,
            hosts={"default": config.base_urls["default"]},
            headers={"Api-Key": config.credentials["api_key"]},
            key_prefix=f"{KIND}:{config.connection_id}",
            limiter=limiter,
            limits=API.limits,
        )

    async def aclose(self) -> None:
        await self.api.aclose()

    async def _call(self, endpoint: Endpoint, **kwargs: Any) -> Any:
        response = await self.api.send(endpoint, **kwargs)
        return decode_json(response, KIND)

    async def check(self) -> None:
        await self._call(WAREHOUSES)

    async def list_warehouses(self) -> list[RemoteWarehouse]:
        answer = await self._call(WAREHOUSES)
        return [
            RemoteWarehouse(external_id=str(_field(w, "id")), name=str(_field(w, "name")))
            for w in _field(answer, "warehouses")
        ]

    # --- CatalogSource --------------------------------------------------------------------

    async def _offers_page(self, offset: Hashable) -> Page[RemoteOffer]:
        assert isinstance(offset, int)
        answer = await self._call(OFFERS, json={"offset": offset, "limit": PAGE_SIZE})
        items = _field(answer, "offers")
        if not isinstance(items, list):
            raise BadResponse(f"{KIND}: offers is not a list")
        offers = [
            RemoteOffer(
                external_id=str(_field(o, "id")),
                offer_code=str(_field(o, "offer_code")),
                product_external_id=str(_field(o, "id")),
                name=str(_field(o, "name")),
                barcodes=[str(b) for b in o.get("barcodes") or []],
            )
            for o in items
        ]
        return offset_page(offers, offset, PAGE_SIZE)

    def iter_offers(self) -> AsyncIterator[list[RemoteOffer]]:
        return paginate(self._offers_page, 0, what=f"{KIND} offers")

    async def categories(self) -> list[Category]:
        answer = await self._call(CATEGORIES)
        return [
            Category(id=str(_field(c, "id")), name=str(_field(c, "name")), parent_id=c.get("parent_id"))
            for c in _field(answer, "categories")
        ]

    async def category_attributes(self, category_id: str) -> list[CategoryAttribute]:
        answer = await self._call(ATTRIBUTES, path_params={"category_id": category_id})
        return [
            CategoryAttribute(
                id=str(_field(a, "id")), name=str(_field(a, "name")), required=bool(a.get("required"))
            )
            for a in _field(answer, "attributes")
        ]


#: What the skeleton would register (channels.registry.register(SPEC)) as a real package.
SPEC = ChannelSpec(
    kind=KIND,
    title="Skeleton marketplace",
    credential_fields=("api_key",),
    default_hosts={"default": "https://api.skeleton.invalid"},
    channel_class=SkeletonChannel,
    api=API,
    # a marketplace playing OrderSource also names the calls of one order poll here
    # (order_poll_calls=...), and one playing NewOrderFeed those of one read of its feed
    # (new_order_calls=...): the polling intervals follow from their limits
)
