"""The Ozon catalog as a source: warehouses, offers (product list + infos) and category dictionaries.

Products are listed by /v3/product/list (last_id paging) and described by /v3/product/info/list
in batches; the category tree, its attributes and dictionary values are cached for an hour.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Hashable

from marketbridge.channels.errors import RequestRejected
from marketbridge.channels.ozon import endpoints as api
from marketbridge.channels.ozon import mapping
from marketbridge.channels.ozon.base import OzonBase
from marketbridge.channels.paging import Page, paginate, token_page
from marketbridge.channels.roles import RemoteOffer, RemoteWarehouse
from marketbridge.model import Category, CategoryAttribute


class OzonCatalog(OzonBase):
    """CatalogSource: warehouses, offers, categories and their attributes."""

    async def list_warehouses(self) -> list[RemoteWarehouse]:
        answer = await self.api.call(api.WAREHOUSES, {})
        return [mapping.warehouse(w) for w in mapping.items(answer.get("result"), "warehouses")]

    async def _product_ids(self) -> AsyncIterator[list[int]]:
        async def fetch(last_id: Hashable) -> Page[int]:
            answer = await self.api.call(
                api.PRODUCT_LIST,
                {"filter": {"visibility": "ALL"}, "last_id": last_id, "limit": api.PAGE_SIZE},
            )
            result = mapping.obj(answer.get("result"), "product list result")
            page = mapping.items(result.get("items"), "product list items")
            ids = [int(mapping.text(p, "product_id", "a product list item")) for p in page]
            return token_page(ids, str(result.get("last_id") or ""), has_next=len(page) >= api.PAGE_SIZE)

        async for ids in paginate(fetch, "", what="ozon product list"):
            yield ids

    async def iter_offers(self) -> AsyncIterator[list[RemoteOffer]]:
        async for ids in self._product_ids():
            offers = [o for o in (mapping.offer(i) for i in await self._infos(ids)) if o is not None]
            if offers:
                yield offers

    async def categories(self) -> list[Category]:
        cached = self._cached("tree")
        if cached is not None:
            return list(cached)
        answer = await self.api.call(api.CATEGORY_TREE, {"language": "DEFAULT"})
        tree = mapping.categories(mapping.items(answer.get("result"), "category tree"))
        self._cache["tree"] = (time.monotonic(), tree)
        return list(tree)

    async def category_attributes(self, category_id: str) -> list[CategoryAttribute]:
        key = f"attributes:{category_id}"
        cached = self._cached(key)
        if cached is not None:
            return list(cached)
        try:
            category, type_id = mapping.split_category(category_id)
        except ValueError as exc:
            raise RequestRejected(str(exc)) from exc
        answer = await self.api.call(
            api.CATEGORY_ATTRIBUTES,
            {"description_category_id": category, "type_id": type_id, "language": "DEFAULT"},
        )
        attributes = [mapping.attribute(a) for a in mapping.items(answer.get("result"), "attributes")]
        self._cache[key] = (time.monotonic(), attributes)
        return list(attributes)

    async def attribute_values(self, category_id: str, attribute_id: str) -> dict[str, int]:
        """The dictionary of an attribute, value -> dictionary_value_id (all pages, cached)."""
        key = f"values:{category_id}:{attribute_id}"
        cached = self._cached(key)
        if cached is not None:
            return dict(cached)
        category, type_id = mapping.split_category(category_id)

        async def fetch(last: Hashable) -> Page[tuple[str, int]]:
            answer = await self.api.call(
                api.ATTRIBUTE_VALUES,
                {
                    "attribute_id": int(attribute_id),
                    "description_category_id": category,
                    "type_id": type_id,
                    "language": "DEFAULT",
                    "last_value_id": last,
                    "limit": api.VALUES_PAGE,
                },
            )
            page = [
                (str(v.get("value")), v["id"])
                for v in mapping.items(answer.get("result"), "attribute values")
                if isinstance(v.get("id"), int) and not isinstance(v.get("id"), bool)
            ]
            return token_page(
                page, max((vid for _, vid in page), default=0), has_next=bool(answer.get("has_next"))
            )

        values: dict[str, int] = {}
        async for page in paginate(fetch, 0, what="ozon attribute values"):
            values.update(page)
        self._cache[key] = (time.monotonic(), values)
        return dict(values)
