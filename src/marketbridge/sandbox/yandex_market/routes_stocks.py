"""Partner warehouses and stocks: the v3 business-level methods and the v2 campaign-level ones.

Both update methods take up to 2,000 items and are all or nothing: an item naming an offer
the catalog does not have (or a warehouse the business does not have) refuses the request
with 400 and one error per such item, and nothing changes. An accepted update is visible to
the reads (v3 `offers/stocks`, v2 `POST offers/stocks`) only after the documented delay;
the v2 read pages by at most 100 (the 2026-08 description lowered it from 200). The
seller's business id in place of a campaign id is answered as the real API does: an empty
success (nothing read, nothing written).
"""

from __future__ import annotations

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
from marketbridge.sandbox.yandex_market.state import Market, Warehouse

MAX_COUNT = 2_000_000_000


def _count(value: Any, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_COUNT:
        raise YmError(400, "BAD_REQUEST", f"{where}: count must be an integer from 0 to {MAX_COUNT}")
    return value


def _updated_at(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _offer_stocks(market: Market, warehouse: int, offer_ids: list[str]) -> list[dict[str, Any]]:
    """WarehouseOfferDTO / PartnerWarehouseOfferDTO of each offer, with what is visible now."""
    out = []
    for offer_id in offer_ids:
        shown = market.visible_stock(warehouse, offer_id)
        row: dict[str, Any] = {"offerId": offer_id, "stocks": []}
        if shown is not None:
            row["stocks"] = [
                {"type": "FIT", "count": shown.count},
                {"type": "AVAILABLE", "count": shown.count},
            ]
            row["updatedAt"] = shown.updated_at
        out.append(row)
    return out


def _warehouse_json(w: Warehouse) -> dict[str, Any]:
    """PartnerWarehouseDTO."""
    return {"id": w.id, "name": w.name, "models": [{"placementType": "FBS", "apiAvailability": "AVAILABLE"}]}


def _campaign(market: Market, raw: str) -> Warehouse | None:
    """The warehouse of a campaign; None for the business id passed as a campaign id."""
    return None if raw == str(market.business_id) else market.campaign(int(raw))


def router(market: Market) -> APIRouter:
    api = APIRouter()

    @api.post(ep.PARTNER_WAREHOUSES.path)
    async def warehouses(request: Request) -> dict[str, Any]:
        body = await json_object(request, required=False)
        wanted = body.get("warehouseIds")
        rows = [
            w for w in sorted(market.warehouses.values(), key=lambda w: w.id) if not wanted or w.id in wanted
        ]
        limit, start = page_limit(request, 15, ep.PAGE_LIMITS["warehouses_v3"]), page_offset(request)
        page = rows[start : start + limit]
        return ok(
            {"warehouses": [_warehouse_json(w) for w in page], "paging": paging(start, limit, len(rows))}
        )

    @api.post(ep.STOCKS_V3_UPDATE.path)
    async def update_v3(request: Request) -> dict[str, Any]:
        body = await json_object(request)
        rows = items(body, "skuItems", most=ep.MAX_ITEMS["stocks_v3_update"])
        updates: list[tuple[int, str, int, str | None]] = []
        refused: list[tuple[str, str]] = []
        for n, row in enumerate(rows):
            if not isinstance(row, dict) or not isinstance(row.get("sku"), str):
                raise YmError(400, "BAD_REQUEST", f"skuItems[{n}].sku: must not be empty")
            warehouse = row.get("partnerWarehouseId")
            if not isinstance(warehouse, int) or warehouse not in market.warehouses:
                refused.append(("WAREHOUSE_NOT_FOUND", f"Partner warehouse {warehouse} not found"))
                continue
            count = _count(row.get("count"), f"skuItems[{n}]")
            if row["sku"] not in market.offers:
                refused.append(("OFFER_NOT_FOUND", f"Offer {row['sku']} not found"))
                continue
            updates.append((warehouse, row["sku"], count, _updated_at(row.get("updatedAt"))))
        if refused:
            raise YmError(400, *refused[0], *refused[1:])
        for warehouse, sku, count, updated_at in updates:
            market.set_stock(warehouse, sku, count, updated_at)
        return ok()

    @api.post(ep.STOCKS_V3.path)
    async def read_v3(request: Request) -> dict[str, Any]:
        body = await json_object(request)
        warehouse = body.get("partnerWarehouseId")
        if not isinstance(warehouse, int) or warehouse not in market.warehouses:
            raise YmError(400, "BAD_REQUEST", f"partnerWarehouseId: warehouse {warehouse} not found")
        wanted = string_list(body.get("offerIds"), "offerIds", 500)
        ids = [o for o in market.offers if wanted is None or o in wanted]
        limit, start = page_limit(request, 50, ep.PAGE_LIMITS["stocks_v3"]), page_offset(request)
        return ok(
            {
                "partnerWarehouseId": warehouse,
                "offers": _offer_stocks(market, warehouse, ids[start : start + limit]),
                "paging": paging(start, limit, len(ids)),
            }
        )

    @api.put(ep.STOCKS_V2_UPDATE.path)
    async def update_v2(campaignId: str, request: Request) -> dict[str, Any]:
        body = await json_object(request)
        rows = items(body, "skus", most=ep.MAX_ITEMS["stocks_v2_update"])
        updates: list[tuple[str, int, str | None]] = []
        unknown: list[tuple[str, str]] = []
        for n, row in enumerate(rows):
            entries = row.get("items") if isinstance(row, dict) else None
            if not isinstance(row, dict) or not isinstance(row.get("sku"), str):
                raise YmError(400, "BAD_REQUEST", f"skus[{n}].sku: must not be empty")
            if not isinstance(entries, list) or len(entries) != 1 or not isinstance(entries[0], dict):
                raise YmError(400, "BAD_REQUEST", f"skus[{n}].items: exactly one item is expected")
            count = _count(entries[0].get("count"), f"skus[{n}].items[0]")
            if row["sku"] not in market.offers:
                unknown.append(("OFFER_NOT_FOUND", f"Offer {row['sku']} not found"))
            updates.append((row["sku"], count, _updated_at(entries[0].get("updatedAt"))))
        warehouse = _campaign(market, campaignId)
        if warehouse is None:
            return ok()  # the business id where a campaign id belongs: success, and nothing happens
        if unknown:
            raise YmError(400, *unknown[0], *unknown[1:])
        for sku, count, updated_at in updates:
            market.set_stock(warehouse.id, sku, count, updated_at)
        return ok()

    @api.post(ep.STOCKS_V2.path)
    async def read_v2(campaignId: str, request: Request) -> dict[str, Any]:
        body = await json_object(request, required=False)
        warehouse = _campaign(market, campaignId)
        if warehouse is None:
            return ok({"warehouses": []})
        wanted = string_list(body.get("offerIds"), "offerIds", 500)
        ids = [o for o in market.offers if wanted is None or o in wanted]
        limit, start = page_limit(request, 50, ep.PAGE_LIMITS["stocks_v2"]), page_offset(request)
        offers = _offer_stocks(market, warehouse.id, ids[start : start + limit])
        return ok(
            {
                "warehouses": [{"warehouseId": warehouse.id, "offers": offers}],
                "paging": paging(start, limit, len(ids)),
            }
        )

    return api
