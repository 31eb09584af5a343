"""The Ozon shop's catalog rules: stock and price updates and card imports.

Stocks are taken only for products in `price_sent`, at most once per product-warehouse
pair in 30 s (when limits are on); prices are checked as the Seller API checks them (a price refused by the fault
menu answers the documented refusal, updated false with its code); an
imported card is on moderation for a moment, then `price_sent`. Changes are announced by
pushes in Ozon's format.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from marketbridge.channels.ozon import endpoints as api
from marketbridge.sandbox.common.faults import Faults
from marketbridge.sandbox.ozon import catalog_data
from marketbridge.sandbox.ozon.errors import bad_request
from marketbridge.sandbox.ozon.requests import as_int
from marketbridge.sandbox.ozon.state import ImportItem, ImportTask, Product, ShopState, iso, now

STOCK_PAIR_INTERVAL = api.STOCK_PAIR_SECONDS
MAX_STOCK = 1_000_000
MODERATION_SECONDS = 0.3
#: The refusal the description documents for a price change (fault menu item price_refused):
#: the product takes part in automatic promotions and has no minimum price.
RULE_REFUSAL = {
    "code": "action_price_enabled_min_price_missing",
    "message": "automatic promotions are on and the minimum price is missing: "
    "turn them off or set the minimum price first",
}


class CatalogRules:
    """Stocks, prices and cards of the shop (a part of `Shop`)."""

    state: ShopState
    seller_id: int
    emit: Callable[[dict[str, Any]], None]
    enforce_pair_interval: Callable[[], bool]
    faults: Faults

    def set_stocks(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if len(items) > api.MAX_STOCK_BATCH:
            raise bad_request(f"stocks: at most {api.MAX_STOCK_BATCH} items per request, got {len(items)}")
        results = []
        changed: dict[int, Product] = {}
        seen: set[tuple[int, int]] = set()
        clock = time.monotonic()
        for item in items:
            offer_id = str(item.get("offer_id") or "")
            product_id = as_int(item.get("product_id"))
            warehouse_id = as_int(item.get("warehouse_id"))
            product = self.state.find_product(offer_id=offer_id, product_id=product_id)
            result = {
                "warehouse_id": warehouse_id,
                "product_id": product.product_id if product else product_id,
                "offer_id": product.offer_id if product else offer_id,
                "updated": False,
                "errors": [],
            }
            results.append(result)
            error = self._stock_error(item, product, warehouse_id, offer_id)
            if error is None and product is not None:
                pair = (product.product_id, warehouse_id)
                last = self.state.stock_updates.get(pair)
                too_soon = last is not None and clock - last < STOCK_PAIR_INTERVAL
                if pair in seen or (too_soon and self.enforce_pair_interval()):
                    error = ("TOO_MANY_REQUESTS", "Stock is updated too frequently")
                seen.add(pair)
            if error is not None:
                result["errors"] = [{"code": error[0], "message": error[1]}]
                continue
            assert product is not None
            # the seller sends the free stock: `present` also holds the units already reserved
            product.stocks[warehouse_id] = int(item["stock"]) + product.reserved.get(warehouse_id, 0)
            product.updated_at = now()
            self.state.stock_updates[(product.product_id, warehouse_id)] = clock
            result["updated"] = True
            changed[product.product_id] = product
        if changed:
            self.emit(self.stocks_changed_push(list(changed.values())))
        return results

    def _stock_error(
        self, item: dict[str, Any], product: Product | None, warehouse_id: int, offer_id: str
    ) -> tuple[str, str] | None:
        if product is None:
            if offer_id:
                return "offer_id_not_found", f"Offer {offer_id} not found"
            return "NOT_FOUND_ERROR", "Product not found"
        if warehouse_id not in self.state.warehouses:
            return "WAREHOUSE_NOT_FOUND", f"Warehouse {warehouse_id} not found"
        if product.status != "price_sent":
            return "product_is_not_created", "Product is not created yet, wait for status price_sent"
        stock = as_int(item.get("stock"), default=-1)
        if stock < 0:
            return "INVALID_STOCK", "stock must be a whole number of at least 0"
        if stock >= MAX_STOCK:
            return "STOCK_TOO_BIG", "Stock must be less than 1000000"
        return None

    def stocks_changed_push(self, products: list[Product]) -> dict[str, Any]:
        return {
            "message_type": "TYPE_STOCKS_CHANGED",
            "seller_id": self.seller_id,
            "items": [
                {
                    "product_id": p.product_id,
                    "sku": p.sku,
                    "updated_at": iso(p.updated_at),
                    "stocks": [
                        {"warehouse_id": w, "present": q, "reserved": p.reserved.get(w, 0)}
                        for w, q in sorted(p.stocks.items())
                    ],
                }
                for p in products
            ],
        }

    def set_prices(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if len(items) > api.MAX_PRICE_BATCH:
            raise bad_request(f"prices: at most {api.MAX_PRICE_BATCH} items per request, got {len(items)}")
        results = []
        for item in items:
            offer_id = str(item.get("offer_id") or "")
            product_id = as_int(item.get("product_id"))
            product = self.state.find_product(offer_id=offer_id, product_id=product_id)
            result: dict[str, Any] = {
                "product_id": product.product_id if product else product_id,
                "offer_id": product.offer_id if product else offer_id,
                "updated": False,
                "errors": [],
            }
            results.append(result)
            if product is None:
                result["errors"] = [{"code": "NOT_FOUND", "message": "Product not found"}]
                continue
            try:
                price = _price(item.get("price"))
                old_price = _price(item.get("old_price"), optional=True)
                min_price = _price(item.get("min_price"), optional=True)
            except ValueError as exc:
                result["errors"] = [{"code": "INVALID_PRICE", "message": str(exc)}]
                continue
            if price is None or price <= 0:
                result["errors"] = [{"code": "INVALID_PRICE", "message": "price must be above 0"}]
                continue
            if old_price and old_price <= price:
                result["errors"] = [
                    {
                        "code": "INVALID_OLD_PRICE",
                        "message": "old_price must be above price, or 0 to clear it",
                    }
                ]
                continue
            if min_price and min_price > price:
                result["errors"] = [
                    {"code": "INVALID_MIN_PRICE", "message": "min_price must not be above price"}
                ]
                continue
            if self.faults.price_refused(product.offer_id):
                result["errors"] = [dict(RULE_REFUSAL)]
                continue
            product.price = price
            product.old_price = old_price or None
            product.min_price = min_price or None
            if item.get("currency_code"):
                product.currency_code = str(item["currency_code"])
            product.updated_at = now()
            result["updated"] = True
        return results

    # --- cards ------------------------------------------------------------------------

    def import_cards(self, items: list[dict[str, Any]]) -> int:
        if not items:
            raise bad_request("items: at least one item is required")
        if len(items) > api.MAX_CARD_BATCH:
            raise bad_request(f"items: at most {api.MAX_CARD_BATCH} items per request, got {len(items)}")
        ready = now() + timedelta(seconds=MODERATION_SECONDS)
        task = ImportTask(self.state.next_id() + 170_000_000, [], ready)
        for item in items:
            self.state.received_cards.append(item)
            errors = _card_errors(item)
            offer_id = str(item.get("offer_id") or "")
            if errors:
                task.items.append(ImportItem(offer_id, 0, "failed", errors))
                continue
            known = self.state.by_offer.get(offer_id)
            if known is not None and self.state.last_cards.get(offer_id) == item:
                # the same card again: Ozon leaves the product as it is and says so
                task.items.append(ImportItem(offer_id, known.product_id, "skipped", []))
                continue
            product = self._upsert_card(item, ready)
            self.state.last_cards[offer_id] = item
            task.items.append(ImportItem(offer_id, product.product_id, "imported", []))
        self.state.import_tasks[task.task_id] = task
        return task.task_id

    def _upsert_card(self, item: dict[str, Any], ready: datetime) -> Product:
        offer_id = str(item["offer_id"])
        category_id = int(item["description_category_id"])
        type_id = int(item["type_id"])
        node = catalog_data.find_type(category_id, type_id)
        product = self.state.by_offer.get(offer_id)
        barcodes = [str(b) for b in (item.get("barcodes") or [])] or (
            [str(item["barcode"])] if item.get("barcode") else []
        )
        if product is None:
            product = Product(
                product_id=self.state.new_product_id(),
                sku=self.state.new_sku(),
                offer_id=offer_id,
                name=str(item["name"]),
                description_category_id=category_id,
                type_id=type_id,
                price=_price(item.get("price")) or Decimal("0"),
                status="moderating",
            )
            self.state.add_product(product)
        product.name = str(item["name"])
        product.description_category_id = category_id
        product.type_id = type_id
        product.price = _price(item.get("price")) or product.price
        product.old_price = _price(item.get("old_price"), optional=True) or None
        product.barcodes = barcodes
        product.attributes = list(item.get("attributes") or [])
        product.requires_marking = bool(node and node.requires_marking)
        if product.status != "price_sent":
            # a new card is on moderation until the import task is done; stocks wait for it
            product.status = "moderating"
            self.state.moderating[product.product_id] = ready
        product.errors = []
        product.updated_at = now()
        self.emit(
            {
                "message_type": "TYPE_CREATE_OR_UPDATE_ITEM",
                "seller_id": self.seller_id,
                "offer_id": offer_id,
                "product_id": product.product_id,
                "is_error": False,
                "changed_at": iso(product.updated_at),
            }
        )
        return product


def _price(value: Any, optional: bool = False) -> Decimal | None:
    if value is None or value == "":
        if optional:
            return None
        raise ValueError("price is required")
    try:
        amount = Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"not a price: {value!r}") from exc
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"not a price: {value!r}")
    return amount


def _card_error(code: str, field: str, message: str, attribute_id: int = 0) -> dict[str, Any]:
    return {
        "code": code,
        "field": field,
        "attribute_id": attribute_id,
        "state": "imported",
        "level": "error",
        "description": message,
        "message": message,
        "attribute_name": "",
    }


def _card_errors(item: dict[str, Any]) -> list[dict[str, Any]]:
    """Moderation of one imported card: what Ozon would refuse it for."""
    errors = []
    offer_id = str(item.get("offer_id") or "")
    if not offer_id or len(offer_id) > 50:
        errors.append(_card_error("offer_id_invalid", "offer_id", "offer_id must have 1 to 50 characters"))
    if not str(item.get("name") or "").strip():
        errors.append(_card_error("name_is_empty", "name", "name is required"))
    try:
        price = _price(item.get("price"))
    except ValueError:
        price = None
    if price is None or price <= 0:
        errors.append(_card_error("price_invalid", "price", "price must be above 0"))
    category_id = as_int(item.get("description_category_id"))
    type_id = as_int(item.get("type_id"))
    wanted = catalog_data.attributes_for(category_id, type_id)
    if wanted is None:
        errors.append(
            _card_error(
                "description_category_not_found",
                "description_category_id",
                f"no type {type_id} in description category {category_id}",
            )
        )
        return errors
    given: dict[int, list[dict[str, Any]]] = {}
    for attribute in item.get("attributes") or []:
        if isinstance(attribute, dict):
            given[as_int(attribute.get("id"))] = [
                v for v in attribute.get("values") or [] if isinstance(v, dict)
            ]
    node = catalog_data.find_type(category_id, type_id)
    type_name = node.name if node else ""
    for attr in wanted:
        values = given.get(attr.id, [])
        if attr.is_required and not any(
            str(v.get("value") or v.get("dictionary_value_id") or "") for v in values
        ):
            errors.append(
                _card_error(
                    "required_attribute_missed", "attribute", f"attribute {attr.name} is required", attr.id
                )
            )
            continue
        if attr.dictionary_id and values:
            known = dict(catalog_data.dictionary_values(attr.id, type_name))
            for v in values:
                vid = as_int(v.get("dictionary_value_id"))
                if (vid and vid not in known) or (not vid and str(v.get("value")) not in known.values()):
                    errors.append(
                        _card_error(
                            "value_not_in_dictionary",
                            "attribute",
                            f"value {v.get('value')!r} of {attr.name} is not in its dictionary",
                            attr.id,
                        )
                    )
    return errors
