"""Campaigns and the business catalog: offer mappings, offer cards, categories and their parameters.

Offer mappings are listed with `page_token` + `limit` (at most 100, a larger limit is cut
down) and filters; `offer-mappings/update` takes up to 500 offers and answers, per offer,
the validation errors of the description's OfferMappingErrorType (an offer with errors is
not saved). A saved offer's card is processed for a while, then judged against its
category's required parameters (`offer-cards` shows the verdict); `offer-cards/update`
fills parameters, with the errors of OfferContentErrorType.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request

from marketbridge.channels.yandex_market import endpoints as ep
from marketbridge.sandbox.yandex_market import categories
from marketbridge.sandbox.yandex_market.errors import (
    YmError,
    items,
    json_object,
    ok,
    page_limit,
    page_offset,
    paging,
    string_list,
)
from marketbridge.sandbox.yandex_market.state import Market, Offer, Warehouse


def campaign_json(market: Market, warehouse: Warehouse) -> dict[str, Any]:
    """CampaignDTO: one FBS shop of the business."""
    return {
        "id": warehouse.campaign_id,
        "domain": f"{warehouse.name} (FBS)",
        "business": {"id": market.business_id, "name": "Песочница"},
        "placementType": "FBS",
        "apiAvailability": "AVAILABLE",
    }


def offer_json(market: Market, offer: Offer) -> dict[str, Any]:
    """GetOfferMappingDTO: the offer as the seller described it and Market's card for it."""
    status, _ = categories.card_status(market, offer)
    category = categories.CATEGORIES[offer.category_id]
    body: dict[str, Any] = {
        "offer": {
            "offerId": offer.offer_id,
            "name": offer.name,
            "marketCategoryId": offer.category_id,
            "category": category.name,
            "vendor": offer.vendor,
            "barcodes": list(offer.barcodes) or None,
            "cardStatus": status,
            "archived": offer.archived,
            "campaigns": [
                {"campaignId": w.campaign_id, "status": "PUBLISHED"} for w in market.warehouses.values()
            ]
            or None,
        }
    }
    body["offer"] = {k: v for k, v in body["offer"].items() if v is not None}
    if offer.market_sku is not None:
        body["mapping"] = {
            "marketSku": offer.market_sku,
            "marketSkuName": offer.name,
            "marketCategoryId": offer.category_id,
            "marketCategoryName": category.name,
        }
    return body


def _param_errors(category_id: int, values: Any) -> tuple[dict[int, str], list[dict[str, Any]]]:
    """Parameter values of a request as {id: value}, and the UNKNOWN_PARAMETER errors."""
    known = {p.id: p for p in categories.parameters(category_id)}
    out: dict[int, str] = {}
    errors: list[dict[str, Any]] = []
    for value in values or []:
        pid = value.get("parameterId") if isinstance(value, dict) else None
        if not isinstance(pid, int) or pid not in known:
            errors.append({"type": "UNKNOWN_PARAMETER", "parameterId": pid if isinstance(pid, int) else 0,
                           "message": f"Category {category_id} has no parameter {pid}"})  # fmt: skip
            continue
        text = value.get("value") if value.get("value") is not None else value.get("valueId")
        out[pid] = str(text) if text is not None else ""
    return out, errors


def _category_errors(category_id: Any) -> list[dict[str, Any]]:
    if not isinstance(category_id, int) or category_id not in categories.CATEGORIES:
        return [{"type": "UNKNOWN_CATEGORY", "message": f"Unknown category {category_id}"}]
    if not categories.is_leaf(category_id):
        return [{"type": "INVALID_CATEGORY", "message": f"Category {category_id} is not a leaf"}]
    return []


def _update_mapping(market: Market, entry: Any) -> dict[str, Any] | None:
    """Save one offer of offer-mappings/update; its UpdateOfferMappingResultDTO when it has errors."""
    offer = entry.get("offer") if isinstance(entry, dict) else None
    offer_id = offer.get("offerId") if isinstance(offer, dict) else None
    if not isinstance(offer, dict) or not isinstance(offer_id, str) or not offer_id.strip():
        raise YmError(400, "BAD_REQUEST", "offerMappings[].offer.offerId: must not be empty")
    known = market.offers.get(offer_id)
    category_id = offer.get("marketCategoryId", known.category_id if known else categories.DEFAULT_CATEGORY)
    errors = _category_errors(category_id)
    params: dict[int, str] = {}
    if not errors:
        params, errors = _param_errors(category_id, offer.get("parameterValues"))
    if errors:
        return {"offerId": offer_id, "errors": errors}
    target = known or Offer(
        offer_id=offer_id, name=str(offer.get("name") or offer_id), category_id=category_id
    )
    target.name = str(offer.get("name") or target.name)
    target.category_id = category_id
    target.barcodes = [str(b) for b in offer.get("barcodes") or target.barcodes]
    target.vendor = str(offer.get("vendor") or target.vendor)
    target.params.update(params)
    market.offers[offer_id] = target
    market.start_processing(target)
    return None


def router(market: Market) -> APIRouter:
    api = APIRouter()

    @api.get(ep.CAMPAIGNS.path)
    def campaigns(request: Request) -> dict[str, Any]:
        rows = sorted(market.warehouses.values(), key=lambda w: w.campaign_id)
        limit, start = page_limit(request, 100, 100), page_offset(request)
        page = rows[start : start + limit]
        return {
            "campaigns": [campaign_json(market, w) for w in page],
            "pager": {"total": len(rows), "from": start + 1 if page else 0, "to": start + len(page)},
            "paging": paging(start, limit, len(rows)),
        }

    @api.get(ep.CAMPAIGN.path)
    def campaign(campaignId: str) -> dict[str, Any]:
        found = market.campaign(int(campaignId))
        return {"campaign": campaign_json(market, found)} if found else {}

    @api.post(ep.OFFER_MAPPINGS.path)
    async def offer_mappings(request: Request) -> dict[str, Any]:
        body = await json_object(request, required=False)
        wanted = string_list(body.get("offerIds"), "offerIds", 200)
        archived = bool(body.get("archived", False))
        category_ids = body.get("categoryIds")
        rows = [
            o
            for o in market.offers.values()
            if (wanted is None or o.offer_id in wanted)
            and o.archived == archived
            and (not category_ids or o.category_id in category_ids)
        ]
        limit, start = page_limit(request, 50, ep.PAGE_LIMITS["offer_mappings"]), page_offset(request)
        page = rows[start : start + limit]
        return ok(
            {
                "offerMappings": [offer_json(market, o) for o in page],
                "paging": paging(start, limit, len(rows)),
            }
        )

    @api.post(ep.OFFER_MAPPINGS_UPDATE.path)
    async def update_mappings(request: Request) -> dict[str, Any]:
        body = await json_object(request)
        entries = items(body, "offerMappings", most=ep.MAX_ITEMS["offer_mappings_update"])
        results = [r for r in (_update_mapping(market, e) for e in entries) if r is not None]
        return ok(results=results) if results else ok()

    @api.post(ep.OFFER_CARDS.path)
    async def offer_cards(request: Request) -> dict[str, Any]:
        body = await json_object(request, required=False)
        wanted = string_list(body.get("offerIds"), "offerIds", 200)
        rows = [o for o in market.offers.values() if wanted is None or o.offer_id in wanted]
        limit, start = page_limit(request, 100, ep.PAGE_LIMITS["offer_cards"]), page_offset(request)
        cards = []
        for offer in rows[start : start + limit]:
            status, errors = categories.card_status(market, offer)
            card: dict[str, Any] = {"offerId": offer.offer_id, "cardStatus": status}
            if offer.params:
                card["parameterValues"] = [{"parameterId": k, "value": v} for k, v in offer.params.items()]
            if errors:
                card["errors"] = errors
            cards.append(card)
        return ok({"offerCards": cards, "paging": paging(start, limit, len(rows))})

    @api.post(ep.OFFER_CARDS_UPDATE.path)
    async def update_cards(request: Request) -> dict[str, Any]:
        body = await json_object(request)
        results = []
        for entry in items(body, "offersContent", most=ep.MAX_ITEMS["offer_cards_update"]):
            if not isinstance(entry, dict) or not isinstance(entry.get("offerId"), str):
                raise YmError(400, "BAD_REQUEST", "offersContent[].offerId: must not be empty")
            offer = market.offers.get(entry["offerId"])
            if offer is None:
                results.append({"offerId": entry["offerId"], "errors": [
                    {"type": "OFFER_NOT_FOUND", "message": f"Offer {entry['offerId']} is not in the catalog"}]})  # fmt: skip
                continue
            errors = _category_errors(entry.get("categoryId"))
            params: dict[int, str] = {}
            if not errors:
                params, errors = _param_errors(entry["categoryId"], entry.get("parameterValues"))
            if errors:
                results.append({"offerId": offer.offer_id, "errors": errors})
                continue
            offer.category_id = entry["categoryId"]
            offer.params.update(params)
            market.start_processing(offer)
        return ok(results=results) if results else ok()

    @api.post(ep.CATEGORIES_TREE.path)
    async def categories_tree(request: Request) -> dict[str, Any]:
        await json_object(request, required=False)
        return ok(categories.tree())

    @api.post(ep.CATEGORY_PARAMETERS.path)
    def category_parameters(categoryId: str) -> dict[str, Any]:
        if not categoryId.isdigit() or int(categoryId) not in categories.CATEGORIES:
            raise YmError(400, "BAD_REQUEST", f"Unknown category {categoryId}")
        if not categories.is_leaf(int(categoryId)):
            raise YmError(400, "BAD_REQUEST", f"Category {categoryId} is not a leaf")
        params = [categories.parameter_json(p) for p in categories.parameters(int(categoryId))]
        return ok({"categoryId": int(categoryId), **({"parameters": params} if params else {})})

    return api
