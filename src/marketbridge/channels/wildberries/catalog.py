"""The catalog roles of the Wildberries channel: cards and prices read, subjects, card export.

Offers are the sizes of WB's cards (or the cards themselves with `sizes_as_products`);
prices come from the prices API per good and size; categories are WB's subjects under
their parents; cards are exported by upload or update (card_export).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Hashable, Mapping, Sequence
from typing import Any

from marketbridge.channels.paging import Page, offset_page, paginate
from marketbridge.channels.roles import CardDraft, CardResult, RemoteOffer, RemotePrice
from marketbridge.channels.wildberries import card_export, mapping
from marketbridge.channels.wildberries.base import WbChannelBase
from marketbridge.channels.wildberries.price_push import goods_pages
from marketbridge.model import Category, CategoryAttribute, money

SUBJECTS_PAGE = 1000


class CatalogRoles(WbChannelBase):
    """CatalogSource, PriceSource and CardExporter over WB's content and prices APIs."""

    async def iter_offers(self) -> AsyncIterator[list[RemoteOffer]]:
        async for cards in self._card_pages():
            page: list[RemoteOffer] = []
            for card in cards:
                page.extend(mapping.card_offers(card, self.sizes_as_products))
                self.cards_by_vendor[str(card.get("vendorCode"))] = card
            for offer in page:
                self.unit_codes[offer.external_id] = offer.offer_code
            if page:
                yield page

    async def iter_prices(self) -> AsyncIterator[list[RemotePrice]]:
        async for goods in goods_pages(self.api):
            page = [price for good in goods for price in self._good_prices(good)]
            if page:
                yield page

    def _good_prices(self, good: Mapping[str, Any]) -> list[RemotePrice]:
        def build() -> list[RemotePrice]:
            discount = int(good.get("discount") or 0)
            vendor = str(good.get("vendorCode") or "")
            sizes = list(good["sizes"])
            out = []
            for size in sizes:
                chrt = str(int(size["sizeID"]))
                full = money(size["price"])
                code = mapping.unit_code(vendor, str(size.get("techSizeName") or "0"), len(sizes))
                out.append(
                    RemotePrice(
                        external_id=chrt,
                        offer_code=self.unit_codes.get(chrt) or code,
                        price=money(size.get("discountedPrice", full)),
                        old_price=full if discount else None,
                        currency=str(good.get("currencyIsoCode4217") or "RUB"),
                    )
                )
            return out

        return mapping.guarded("good prices", build)

    async def categories(self) -> list[Category]:
        async def fetch(offset: Hashable) -> Page[dict[str, Any]]:
            assert isinstance(offset, int)
            body = await self.api.subjects(limit=SUBJECTS_PAGE, offset=offset)
            return offset_page(mapping.dicts(body, "data"), offset, SUBJECTS_PAGE)

        out: list[Category] = []
        parents: dict[str, str] = {}
        async for rows in paginate(fetch, 0, what="wildberries subjects"):
            for row in rows:
                parent = f"parent-{row.get('parentID')}"
                parents[parent] = str(row.get("parentName") or parent)
                out.append(
                    mapping.guarded(
                        "subject",
                        lambda r, p: Category(
                            id=str(int(r["subjectID"])), name=str(r["subjectName"]), parent_id=p, leaf=True
                        ),
                        row,
                        parent,
                    )
                )
        return [Category(id=k, name=v, leaf=False) for k, v in parents.items()] + out

    async def category_attributes(self, category_id: str) -> list[CategoryAttribute]:
        body = await self.api.charcs(category_id)
        rows = mapping.dicts(body, "data")
        return [
            mapping.guarded(
                "characteristic",
                lambda r: CategoryAttribute(
                    id=str(int(r["charcID"])),
                    name=str(r["name"]),
                    required=bool(r.get("required")),
                    type="number" if r.get("charcType") == 4 else "string",
                    multi=int(r.get("maxCount") or 0) > 1,
                ),
                row,
            )
            for row in rows
        ]

    async def export_cards(self, cards: Sequence[CardDraft]) -> str:
        """New cards are uploaded; cards the marketplace already has (by vendorCode) are updated."""
        vendors = {d.product_code or d.offer_code for d in cards}
        known = {v: self.cards_by_vendor[v] for v in vendors if v in self.cards_by_vendor}
        known.update(await self._find_cards(vendors - set(known)))
        return await card_export.export(self.api, cards, known)

    async def card_export_status(self, task_id: str) -> list[CardResult] | None:
        return await card_export.status(self.api, task_id)
