"""Prices at business level (every shop) and campaign level (one shop), and the price quarantine.

An update takes up to 500 (business) or 2,000 (campaign) offers and is all or nothing: an
offer the catalog does not have refuses the request with 400 naming each such offer. A new
price below half of the offer's last valid price is not applied: it waits in the price
quarantine (verdict PRICE_CHANGE) until the seller confirms it. A campaign's price is that
shop's own, over the business price, with its own quarantine (listed and confirmed per
campaign).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request

from marketbridge.channels.yandex_market import endpoints as ep
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
from marketbridge.sandbox.yandex_market.state import QUARANTINE_BELOW, Market, Offer, now_iso

CURRENCY = "RUR"


def _amount(value: Any, where: str, *, optional: bool = False) -> Decimal | None:
    if value is None and optional:
        return None
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise YmError(400, "BAD_REQUEST", f"{where}: must be a number") from exc
    if isinstance(value, bool) or not amount.is_finite() or amount <= 0:
        raise YmError(400, "BAD_REQUEST", f"{where}: must be greater than 0")
    return amount


def _price_updates(market: Market, rows: list[Any]) -> list[tuple[Offer, Decimal, Decimal | None]]:
    """(offer, price, discountBase) of each row, or 400 naming every unknown offer."""
    out: list[tuple[Offer, Decimal, Decimal | None]] = []
    unknown: list[tuple[str, str]] = []
    for n, row in enumerate(rows):
        price = row.get("price") if isinstance(row, dict) else None
        if (
            not isinstance(row, dict)
            or not isinstance(row.get("offerId"), str)
            or not isinstance(price, dict)
        ):
            raise YmError(400, "BAD_REQUEST", f"offers[{n}]: offerId and price are required")
        if price.get("currencyId", CURRENCY) != CURRENCY:
            raise YmError(400, "BAD_REQUEST", f"offers[{n}].price.currencyId: only {CURRENCY} is accepted")
        value = _amount(price.get("value"), f"offers[{n}].price.value")
        base = _amount(price.get("discountBase"), f"offers[{n}].price.discountBase", optional=True)
        assert value is not None
        offer = market.offers.get(row["offerId"])
        if offer is None:
            unknown.append(("OFFER_NOT_FOUND", f"Offer {row['offerId']} not found"))
            continue
        out.append((offer, value, base))
    if unknown:
        raise YmError(400, *unknown[0], *unknown[1:])
    return out


def _apply(offer: Offer, value: Decimal, base: Decimal | None, campaign: int | None) -> None:
    """Set a business price (campaign None) or a shop's own price, unless it goes to the quarantine."""
    valid = offer.campaign_prices.get(campaign, offer.price) if campaign is not None else offer.price
    if campaign is not None:
        if value < valid * QUARANTINE_BELOW:
            offer.campaign_quarantine[campaign] = value
        else:
            offer.campaign_prices[campaign] = value
            offer.campaign_quarantine.pop(campaign, None)
        return
    if value < valid * QUARANTINE_BELOW:
        offer.quarantined = value
        return
    offer.price, offer.discount_base, offer.quarantined = value, base, None
    offer.price_updated = now_iso()


def _held(offer: Offer, campaign: int | None) -> tuple[Decimal, Decimal] | None:
    """(held price, last valid price) of an offer in the quarantine at that level, if it is."""
    if campaign is None:
        return None if offer.quarantined is None else (offer.quarantined, offer.price)
    held = offer.campaign_quarantine.get(campaign)
    return None if held is None else (held, offer.campaign_prices.get(campaign, offer.price))


def _release(offer: Offer, campaign: int | None) -> None:
    """Confirm the held price of an offer at that level."""
    if campaign is None and offer.quarantined is not None:
        offer.price, offer.quarantined = offer.quarantined, None
        offer.price_updated = now_iso()
    elif campaign is not None and campaign in offer.campaign_quarantine:
        offer.campaign_prices[campaign] = offer.campaign_quarantine.pop(campaign)


def _quarantine_json(offer: Offer, held: Decimal, valid: Decimal) -> dict[str, Any]:
    """QuarantineOfferDTO of an offer whose new price waits for confirmation."""
    params = [
        {"name": "CURRENT_PRICE", "value": str(held)},
        {"name": "LAST_VALID_PRICE", "value": str(valid)},
        {"name": "CURRENCY", "value": CURRENCY},
    ]
    return {"offerId": offer.offer_id, "verdicts": [{"type": "PRICE_CHANGE", "params": params}]}


def router(market: Market) -> APIRouter:
    api = APIRouter()

    async def update(request: Request, most: int, campaign: int | None) -> dict[str, Any]:
        body = await json_object(request)
        for offer, value, base in _price_updates(market, items(body, "offers", most=most)):
            _apply(offer, value, base, campaign)
        return ok()

    @api.post(ep.BUSINESS_PRICES_UPDATE.path)
    async def business_update(request: Request) -> dict[str, Any]:
        return await update(request, ep.MAX_ITEMS["business_prices_update"], None)

    @api.post(ep.CAMPAIGN_PRICES_UPDATE.path)
    async def campaign_update(campaignId: str, request: Request) -> dict[str, Any]:
        if campaignId == str(market.business_id):
            return ok()  # the business id where a campaign id belongs: success, and nothing happens
        return await update(request, ep.MAX_ITEMS["campaign_prices_update"], int(campaignId))

    @api.post(ep.BUSINESS_PRICES.path)
    async def business_prices(request: Request) -> dict[str, Any]:
        body = await json_object(request, required=False)
        wanted = string_list(body.get("offerIds"), "offerIds", 200)
        rows = [o for o in market.offers.values() if wanted is None or o.offer_id in wanted]
        limit, start = page_limit(request, 250, ep.PAGE_LIMITS["business_prices"]), page_offset(request)
        offers = []
        for offer in rows[start : start + limit]:
            price: dict[str, Any] = {"value": float(offer.price), "currencyId": CURRENCY}
            if offer.discount_base is not None:
                price["discountBase"] = float(offer.discount_base)
            offers.append({"offerId": offer.offer_id, "price": {**price, "updatedAt": offer.price_updated}})
        return ok({"offers": offers, "paging": paging(start, limit, len(rows))})

    async def quarantine(request: Request, campaign: int | None) -> dict[str, Any]:
        body = await json_object(request, required=False)
        wanted = string_list(body.get("offerIds"), "offerIds", 200)
        rows = [
            (o, held)
            for o in market.offers.values()
            if (held := _held(o, campaign)) is not None and (wanted is None or o.offer_id in wanted)
        ]
        limit, start = page_limit(request, 100, ep.PAGE_LIMITS["business_quarantine"]), page_offset(request)
        page = [_quarantine_json(o, *held) for o, held in rows[start : start + limit]]
        return ok({"offers": page, "paging": paging(start, limit, len(rows))})

    async def confirm(request: Request, campaign: int | None) -> dict[str, Any]:
        body = await json_object(request)
        for offer_id in items(body, "offerIds", most=ep.MAX_ITEMS["business_quarantine_confirm"]):
            offer = market.offers.get(offer_id) if isinstance(offer_id, str) else None
            if offer is not None:
                _release(offer, campaign)
        return ok()

    @api.post(ep.BUSINESS_QUARANTINE.path)
    async def business_quarantine(request: Request) -> dict[str, Any]:
        return await quarantine(request, None)

    @api.post(ep.CAMPAIGN_QUARANTINE.path)
    async def campaign_quarantine(campaignId: str, request: Request) -> dict[str, Any]:
        if campaignId == str(market.business_id):
            return ok({"offers": []})
        return await quarantine(request, int(campaignId))

    @api.post(ep.BUSINESS_QUARANTINE_CONFIRM.path)
    async def business_confirm(request: Request) -> dict[str, Any]:
        return await confirm(request, None)

    @api.post(ep.CAMPAIGN_QUARANTINE_CONFIRM.path)
    async def campaign_confirm(campaignId: str, request: Request) -> dict[str, Any]:
        if campaignId == str(market.business_id):
            return ok()
        return await confirm(request, int(campaignId))

    return api
