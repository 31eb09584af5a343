"""Catalog import, categories and card export over the business-level catalog methods.

The catalog is the business's offer mappings (`offer-mappings`, `page_token` paging, 100 a
page): a unit's external id is the seller's offerId (Market keys stock and prices by it),
its product the Market card (marketSku) once there is one. Cards are exported with
`offer-mappings/update` (500 a call): refusals of the call itself (unknown category or
parameter) come back at once; the card's verdict (`offer-cards`) comes after processing,
with an error per missing required parameter.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Hashable, Sequence
from typing import Any

from marketbridge.channels.batching import batched
from marketbridge.channels.errors import BadResponse, ChannelError
from marketbridge.channels.paging import Page, paginate, token_page
from marketbridge.channels.roles import CardDraft, CardResult, RemoteOffer
from marketbridge.channels.yandex_market import endpoints as ep
from marketbridge.channels.yandex_market.base import YmBase
from marketbridge.channels.yandex_market.client import KIND, field, int_of, next_token, rows
from marketbridge.model import Category, CategoryAttribute, ListingStatus
from marketbridge.runtime.lru import LruDict

#: OfferCardStatusType -> the listing status it means.
CARD_STATUSES: dict[str, ListingStatus] = {
    "HAS_CARD_CAN_NOT_UPDATE": ListingStatus.ACTIVE,
    "HAS_CARD_CAN_UPDATE": ListingStatus.ACTIVE,
    "NO_CARD_ADD_TO_CAMPAIGN": ListingStatus.ACTIVE,
    "HAS_CARD_CAN_UPDATE_PROCESSING": ListingStatus.PENDING,
    "NO_CARD_PROCESSING": ListingStatus.PENDING,
    "NO_CARD_MARKET_WILL_CREATE": ListingStatus.PENDING,
    "HAS_CARD_CAN_UPDATE_ERRORS": ListingStatus.REJECTED,
    "NO_CARD_NEED_CONTENT": ListingStatus.REJECTED,
    "NO_CARD_ERRORS": ListingStatus.REJECTED,
}
#: Card exports whose offer list does not fit in a task id are remembered (a bounded memory).
EXPORTS_REMEMBERED = 1000
TASK_ID_MAX = 128


def _offer(entry: dict[str, Any]) -> RemoteOffer:
    offer = field(entry, "offer")
    if not isinstance(offer, dict):
        raise BadResponse(f"{KIND}: an offer mapping's offer is not an object")
    offer_id = str(field(offer, "offerId"))
    found = entry.get("mapping")
    mapping: dict[str, Any] = found if isinstance(found, dict) else {}
    status = CARD_STATUSES.get(str(offer.get("cardStatus")), ListingStatus.ACTIVE)
    sku = mapping.get("marketSku")
    return RemoteOffer(
        external_id=offer_id,
        offer_code=offer_id,
        product_external_id=str(sku) if sku else offer_id,
        name=str(offer.get("name") or offer_id),
        barcodes=[str(b) for b in offer.get("barcodes") or []],
        product_code=str(offer["groupId"]) if offer.get("groupId") else None,
        category_id=str(offer["marketCategoryId"]) if offer.get("marketCategoryId") is not None else None,
        brand=str(offer["vendor"]) if offer.get("vendor") else None,
        status=status,
        status_reason=str(offer.get("cardStatus")) if status != ListingStatus.ACTIVE else None,
    )


def _mapping_entry(draft: CardDraft) -> dict[str, Any]:
    """One UpdateOfferMappingDTO of a card draft (attributes named by Market's parameter ids)."""
    offer: dict[str, Any] = {
        "offerId": draft.offer_code,
        "name": draft.name[:256],
        "marketCategoryId": int_of(draft.category_id, "category id"),
        "basicPrice": {"value": float(draft.price), "currencyId": "RUR"},
    }
    if draft.old_price is not None:
        offer["basicPrice"]["discountBase"] = float(draft.old_price)
    if draft.barcodes:
        offer["barcodes"] = list(draft.barcodes)
    if draft.brand:
        offer["vendor"] = draft.brand
    if draft.description:
        offer["description"] = draft.description[:6000]
    if draft.images:
        offer["pictures"] = list(draft.images)
    values = [
        {"parameterId": int(pid), "value": value}
        for pid, values in draft.attributes.items()
        if pid.isdigit()
        for value in values
    ]
    if values:
        offer["parameterValues"] = values
    return {"offer": offer}


class YmCatalog(YmBase):
    """CatalogSource and CardExporter."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.exports: LruDict[str, dict[str, list[str]]] = LruDict(EXPORTS_REMEMBERED)

    def iter_offers(self) -> AsyncIterator[list[RemoteOffer]]:
        async def fetch(token: Hashable) -> Page[RemoteOffer]:
            query: dict[str, Any] = {"limit": ep.PAGE_LIMITS["offer_mappings"]}
            if token:
                query["page_token"] = token
            answer = await self.api.call(
                ep.OFFER_MAPPINGS,
                path={"businessId": self.business_id},
                body={"archived": False},
                query=query,
            )
            offers = [_offer(e) for e in rows(answer, "result", "offerMappings")]
            return token_page(offers, next_token(answer, "result"))

        return paginate(fetch, "", what=f"{KIND} offer mappings")

    async def categories(self) -> list[Category]:
        answer = await self.api.call(ep.CATEGORIES_TREE, body={"language": "RU"})
        out: list[Category] = []

        def walk(node: Any, parent: str | None) -> None:
            node_id = str(int_of(field(node, "id"), "category id"))
            children = node.get("children") or []
            if not isinstance(children, list):
                raise BadResponse(f"{KIND}: category children is not a list")
            out.append(
                Category(id=node_id, name=str(field(node, "name")), parent_id=parent, leaf=not children)
            )
            for child in children:
                walk(child, node_id)

        walk(field(answer, "result"), None)
        return out

    async def _parameters(self, category_id: str) -> list[dict[str, Any]]:
        """The category's parameters (CategoryParameterDTO) as Market answers them."""
        answer = await self.api.call(
            ep.CATEGORY_PARAMETERS,
            path={"categoryId": int_of(category_id, "category id")},
            query={"businessId": self.business_id},
        )
        result = field(answer, "result")
        params = (result.get("parameters") if isinstance(result, dict) else None) or []
        if not isinstance(params, list) or not all(isinstance(p, dict) for p in params):
            raise BadResponse(f"{KIND}: category parameters is not a list of objects")
        return params

    async def category_attributes(self, category_id: str) -> list[CategoryAttribute]:
        return [
            CategoryAttribute(
                id=str(int_of(field(p, "id"), "parameter id")),
                name=str(p.get("name") or field(p, "id")),
                required=bool(field(p, "required")),
                type=str(field(p, "type")).lower(),
                dictionary=field(p, "type") == "ENUM",
                multi=bool(p.get("multivalue")),
            )
            for p in await self._parameters(category_id)
        ]

    async def attribute_values(self, category_id: str, attribute_id: str) -> dict[str, int]:
        """The values a dictionary (ENUM) parameter takes: value -> Market's value id."""
        for param in await self._parameters(category_id):
            if str(param.get("id")) == attribute_id:
                values = param.get("values") or []
                if not isinstance(values, list):
                    raise BadResponse(f"{KIND}: the values of parameter {attribute_id} are not a list")
                return {str(field(v, "value")): int_of(field(v, "id"), "value id") for v in values}
        return {}

    async def export_cards(self, cards: Sequence[CardDraft]) -> str:
        refused: dict[str, list[str]] = {}
        size = ep.MAX_ITEMS["offer_mappings_update"]
        for batch in batched(list(cards), size):
            answer = await self.api.call(
                ep.OFFER_MAPPINGS_UPDATE,
                path={"businessId": self.business_id},
                body={"offerMappings": [_mapping_entry(d) for d in batch]},
                cost=len(batch),
            )
            for result in answer.get("results") or []:
                errors = [str(e.get("message") or e.get("type")) for e in result.get("errors") or []]
                if errors:
                    refused[str(field(result, "offerId"))] = errors
        codes = [c.offer_code for c in cards]
        task = json.dumps({"codes": codes}, ensure_ascii=False, separators=(",", ":"))
        if refused or len(task) > TASK_ID_MAX:
            task = f"export:{len(self.exports) + 1}:{abs(hash(task)) % 10**12}"
            self.exports[task] = {"codes": codes, **{f"refused:{k}": v for k, v in refused.items()}}
        return task

    async def card_export_status(self, task_id: str) -> list[CardResult] | None:
        remembered = self.exports.get(task_id)
        if remembered is None:
            try:
                codes = [str(c) for c in json.loads(task_id)["codes"]]
            except (ValueError, TypeError, KeyError) as exc:
                raise ChannelError(f"{KIND}: unknown card export {task_id[:80]!r}") from exc
            remembered = {"codes": codes}
        results: dict[str, CardResult] = {}
        asked = [c for c in remembered["codes"] if f"refused:{c}" not in remembered]
        for batch in batched(asked, ep.PAGE_LIMITS["offer_cards"]):
            answer = await self.api.call(
                ep.OFFER_CARDS, path={"businessId": self.business_id}, body={"offerIds": list(batch)}
            )
            for card in rows(answer, "result", "offerCards"):
                status = CARD_STATUSES.get(str(card.get("cardStatus")), ListingStatus.PENDING)
                if status == ListingStatus.PENDING:
                    return None
                errors = [str(e.get("message") or e.get("comment")) for e in card.get("errors") or []]
                offer_id = str(field(card, "offerId"))  # the offer is in the catalog: it is the unit's id
                results[offer_id] = CardResult(offer_id, status, external_id=offer_id, errors=errors)
        out = []
        for code in remembered["codes"]:
            if f"refused:{code}" in remembered:
                out.append(CardResult(code, ListingStatus.REJECTED, errors=remembered[f"refused:{code}"]))
            else:
                out.append(
                    results.get(code)
                    or CardResult(code, ListingStatus.REJECTED, errors=["not in the catalog"])
                )
        return out
