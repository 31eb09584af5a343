"""Seller API methods for the catalog: products, cards, categories, stocks, prices, warehouses."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request

from marketbridge.channels.ozon import endpoints as api
from marketbridge.sandbox.ozon import catalog_data
from marketbridge.sandbox.ozon.backend import OzonBackend
from marketbridge.sandbox.ozon.errors import bad_request, not_found
from marketbridge.sandbox.ozon.render import product_info_json, warehouse_json
from marketbridge.sandbox.ozon.requests import (
    decode_cursor,
    encode_cursor,
    get_int,
    get_ints,
    get_limit,
    get_list,
    get_obj,
    page_after,
    read_body,
)
from marketbridge.sandbox.ozon.routing import Route, router_of
from marketbridge.sandbox.ozon.state import Product, iso, now


def _filtered_ids(backend: OzonBackend, flt: dict[str, Any]) -> list[int]:
    """Product ids (ascending) matching a product filter {offer_id[], product_id[], visibility}."""
    state = backend.state
    offer_ids = [str(o) for o in get_list(flt, "offer_id")]
    product_ids = get_ints(flt, "product_id")
    visibility = str(flt.get("visibility") or "ALL")
    if offer_ids or product_ids:
        chosen = {state.by_offer[o].product_id for o in offer_ids if o in state.by_offer}
        chosen |= {p for p in product_ids if p in state.products}
        ids = sorted(chosen)
    else:
        ids = list(state.products)  # insertion order is ascending product_id
    if visibility == "ALL":
        return ids
    return [i for i in ids if _visible(state.products[i], visibility)]


def _visible(product: Product, visibility: str) -> bool:
    if visibility == "VISIBLE":
        return product.visible
    if visibility == "INVISIBLE":
        return not product.visible
    if visibility == "ARCHIVED":
        return product.archived
    if visibility in ("STATE_FAILED", "NOT_MODERATED"):
        return product.status == "failed"
    if visibility == "EMPTY_STOCK":
        return sum(product.stocks.values()) == 0
    return True


def _batch(data: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """The non-empty list of objects a batch method takes in `name`."""
    items = get_list(data, name)
    if not items:
        raise bad_request(f"{name}: at least one item is required")
    if any(not isinstance(i, dict) for i in items):
        raise bad_request(f"{name}: objects are expected")
    return items


def _cursor_page(backend: OzonBackend, data: dict[str, Any]) -> tuple[list[Product], int, str]:
    """A cursor-paged product method's page: (products, total matching, next cursor)."""
    limit = get_limit(data, 1000)
    after = decode_cursor(data.get("cursor"))
    if after is not None and not isinstance(after, int):
        raise bad_request("cursor: invalid value")
    ids = _filtered_ids(backend, get_obj(data, "filter"))
    chunk, _more = page_after(ids, after, limit)
    return [backend.state.products[i] for i in chunk], len(ids), encode_cursor(chunk[-1]) if chunk else ""


async def product_list(backend: OzonBackend, request: Request) -> dict[str, Any]:
    data = await read_body(request, required=False)
    limit = get_limit(data, 1000, default=100)
    last_id = str(data.get("last_id") or "")
    after = decode_cursor(last_id) if last_id else None
    if after is not None and not isinstance(after, int):
        raise bad_request("last_id: invalid value")
    with backend.state.lock:
        ids = _filtered_ids(backend, get_obj(data, "filter"))
        chunk, _more = page_after(ids, after, limit)
        items = [
            {
                "product_id": p.product_id,
                "offer_id": p.offer_id,
                "archived": p.archived,
                "has_fbo_stocks": False,
                "has_fbs_stocks": sum(p.stocks.values()) > 0,
                "is_discounted": False,
            }
            for p in (backend.state.products[i] for i in chunk)
        ]
    return {
        "result": {
            "items": items,
            "total": len(ids),
            "last_id": encode_cursor(chunk[-1]) if chunk else "",
        }
    }


async def product_info_list(backend: OzonBackend, request: Request) -> dict[str, Any]:
    data = await read_body(request)
    offer_ids = [str(o) for o in get_list(data, "offer_id")]
    product_ids = get_ints(data, "product_id")
    skus = get_ints(data, "sku")
    if len(offer_ids) + len(product_ids) + len(skus) > api.MAX_INFO_IDS:
        raise bad_request(f"at most {api.MAX_INFO_IDS} ids in total (offer_id, product_id and sku)")
    state = backend.state
    with backend.state.lock:
        found: dict[int, Product] = {}
        for o in offer_ids:
            if o in state.by_offer:
                found[state.by_offer[o].product_id] = state.by_offer[o]
        for pid in product_ids:
            if pid in state.products:
                found[pid] = state.products[pid]
        for sku in skus:
            if sku in state.by_sku:
                found[state.by_sku[sku].product_id] = state.by_sku[sku]
        return {"items": [product_info_json(p, state) for p in found.values()]}


async def product_import(backend: OzonBackend, request: Request) -> dict[str, Any]:
    items = _batch(await read_body(request), "items")
    with backend.state.lock:
        task_id = backend.shop.import_cards(items)
    return {"result": {"task_id": task_id}}


async def product_import_info(backend: OzonBackend, request: Request) -> dict[str, Any]:
    data = await read_body(request)
    task_id = get_int(data, "task_id")
    task = backend.state.import_tasks.get(task_id)
    if task is None:
        raise not_found(f"task {task_id} not found")
    pending = now() < task.ready_at
    items = [
        {
            "offer_id": i.offer_id,
            "product_id": i.product_id,
            "status": "pending" if pending else i.status,
            "errors": [] if pending else i.errors,
        }
        for i in task.items
    ]
    return {"result": {"items": items, "total": len(items)}}


async def products_stocks(backend: OzonBackend, request: Request) -> dict[str, Any]:
    items = _batch(await read_body(request), "stocks")
    for n, item in enumerate(items):
        if item.get("warehouse_id") in (None, "", 0):
            raise bad_request(
                f"Request validation error: invalid ProductsStocksRequest.Stocks[{n}]: "
                "embedded message failed validation"
            )
    with backend.state.lock:
        return {"result": backend.shop.set_stocks(items)}


async def product_info_stocks(backend: OzonBackend, request: Request) -> dict[str, Any]:
    data = await read_body(request)
    with backend.state.lock:
        products, total, cursor = _cursor_page(backend, data)
        items = []
        for p in products:
            present = sum(p.stocks.values())
            items.append(
                {
                    "product_id": p.product_id,
                    "offer_id": p.offer_id,
                    "stocks": [
                        {
                            "type": "fbs",
                            "sku": p.sku,
                            "present": present,
                            "reserved": sum(p.reserved.values()),
                            "shipment_type": "SHIPMENT_TYPE_GENERAL",
                            "warehouse_ids": [str(w) for w in sorted(p.stocks)],
                        }
                    ],
                }
            )
    return {"items": items, "total": total, "cursor": cursor}


async def stocks_by_warehouse(backend: OzonBackend, request: Request) -> dict[str, Any]:
    data = await read_body(request)
    skus = get_ints(data, "sku")
    offer_ids = [str(o) for o in get_list(data, "offer_id")]
    state = backend.state
    with backend.state.lock:
        products = [state.by_sku[s] for s in skus if s in state.by_sku]
        products += [state.by_offer[o] for o in offer_ids if o in state.by_offer]
        result = [
            {
                "sku": p.sku,
                "product_id": p.product_id,
                "offer_id": p.offer_id,
                "present": q,
                "reserved": p.reserved.get(w, 0),
                "warehouse_id": w,
                "warehouse_name": state.warehouses[w].name if w in state.warehouses else "",
            }
            for p in products
            for w, q in sorted(p.stocks.items())
        ]
    return {"result": result}


async def import_prices(backend: OzonBackend, request: Request) -> dict[str, Any]:
    items = _batch(await read_body(request), "prices")
    with backend.state.lock:
        return {"result": backend.shop.set_prices(items)}


async def product_info_prices(backend: OzonBackend, request: Request) -> dict[str, Any]:
    data = await read_body(request)
    with backend.state.lock:
        products, total, cursor = _cursor_page(backend, data)
        items = [
            {
                "product_id": p.product_id,
                "offer_id": p.offer_id,
                "acquiring": 0,
                "volume_weight": 0.1,
                "price": {
                    "price": float(p.price),
                    "old_price": float(p.old_price or 0),
                    "min_price": float(p.min_price or 0),
                    "currency_code": p.currency_code,
                    "marketing_price": float(p.price),
                    "marketing_seller_price": float(p.price),
                    "net_price": 0,
                    "retail_price": 0,
                    "vat": 0.2,
                    "auto_action_enabled": False,
                },
                "price_indexes": {"color_index": "WITHOUT_INDEX"},
            }
            for p in products
        ]
    return {"items": items, "total": total, "cursor": cursor}


async def warehouse_list(backend: OzonBackend, request: Request) -> dict[str, Any]:
    await read_body(request, required=False)
    with backend.state.lock:
        return {"result": [warehouse_json(w) for w in backend.state.warehouses.values()]}


async def category_tree(backend: OzonBackend, request: Request) -> dict[str, Any]:
    await read_body(request, required=False)
    return {"result": catalog_data.tree_json()}


async def category_attributes(backend: OzonBackend, request: Request) -> dict[str, Any]:
    data = await read_body(request)
    category_id = get_int(data, "description_category_id")
    type_id = get_int(data, "type_id")
    attributes = catalog_data.attributes_for(category_id, type_id)
    if attributes is None:
        raise bad_request(f"no type {type_id} in description category {category_id}")
    return {"result": [catalog_data.attribute_json(a) for a in attributes]}


async def attribute_values(backend: OzonBackend, request: Request) -> dict[str, Any]:
    data = await read_body(request)
    category_id = get_int(data, "description_category_id")
    type_id = get_int(data, "type_id")
    attribute_id = get_int(data, "attribute_id")
    limit = get_limit(data, 2000)
    last_value_id = get_int(data, "last_value_id", default=0)
    node = catalog_data.find_type(category_id, type_id)
    attributes = catalog_data.attributes_for(category_id, type_id)
    if node is None or attributes is None:
        raise bad_request(f"no type {type_id} in description category {category_id}")
    if all(a.id != attribute_id for a in attributes):
        raise bad_request(f"attribute {attribute_id} does not belong to this category")
    values = catalog_data.dictionary_values(attribute_id, node.name)
    keys = [v for v, _ in values]
    chunk, more = page_after(keys, last_value_id or None, limit)
    names = dict(values)
    return {
        "result": [{"id": v, "value": names[v], "info": "", "picture": ""} for v in chunk],
        "has_next": more,
    }


async def product_limit(backend: OzonBackend, request: Request) -> dict[str, Any]:
    await read_body(request, required=False)
    tomorrow = iso(now() + timedelta(days=1))
    return {
        "daily_create": {"limit": 1000, "reset_at": tomorrow, "usage": len(backend.state.received_cards)},
        "daily_update": {"limit": 5000, "reset_at": tomorrow, "usage": 0},
        "total": {"limit": 100000, "usage": len(backend.state.products)},
    }


ROUTES: tuple[Route, ...] = (
    (api.PRODUCT_LIST, product_list),
    (api.PRODUCT_INFO, product_info_list),
    (api.CARD_IMPORT, product_import),
    (api.CARD_IMPORT_INFO, product_import_info),
    (api.STOCKS, products_stocks),
    (api.STOCKS_INFO, product_info_stocks),
    (api.STOCKS_BY_WAREHOUSE, stocks_by_warehouse),
    (api.PRICES, import_prices),
    (api.PRICE_INFO, product_info_prices),
    (api.WAREHOUSES, warehouse_list),
    (api.CATEGORY_TREE, category_tree),
    (api.CATEGORY_ATTRIBUTES, category_attributes),
    (api.ATTRIBUTE_VALUES, attribute_values),
    (api.PRODUCT_LIMIT, product_limit),
)


def catalog_router(backend: OzonBackend) -> APIRouter:
    return router_of(backend, ROUTES)
