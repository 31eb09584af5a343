"""What happens in the Ozon shop: stock and price updates, card imports, postings and their moves.

The rules follow the Seller API's documentation: stocks only for products in `price_sent`,
at most once per product-warehouse pair in 30 s (when limits are on); postings move
awaiting_packaging -> awaiting_deliver (ship, several packages split the posting) ->
delivering -> delivered, or to cancelled; products that need marking codes ship only with
their exemplar data. Every status move is announced by a push in Ozon's format.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from marketbridge.sandbox.ozon import catalog_data
from marketbridge.sandbox.ozon.errors import OzonError, bad_request, not_found
from marketbridge.sandbox.ozon.render import PUSH_STATE
from marketbridge.sandbox.ozon.state import (
    Carriage,
    ImportItem,
    ImportTask,
    Posting,
    PostingLine,
    Product,
    ShopState,
    iso,
    now,
)

MAX_STOCK_ITEMS = 100
MAX_PRICE_ITEMS = 1000
MAX_IMPORT_ITEMS = 100
STOCK_PAIR_INTERVAL = 30.0
MAX_STOCK = 1_000_000
MODERATION_SECONDS = 0.3

#: /v2/posting/fbs/cancel-reason/list
CANCEL_REASONS: tuple[tuple[int, str, bool], ...] = (
    (352, "Товар закончился на складе продавца", True),
    (400, "Остался только бракованный товар", True),
    (401, "Продавец отклонил арбитраж", False),
    (402, "Другое (вина продавца)", True),
    (665, "Покупатель не забрал заказ", False),
    (666, "Возврат из службы доставки: нет доставки в указанный регион", False),
)
BUYER_CANCEL_REASON = (506, "Покупатель отменил заказ")

#: Statuses a posting can be cancelled from by the seller.
CANCELLABLE = frozenset(
    {"awaiting_registration", "awaiting_approve", "awaiting_packaging", "awaiting_deliver"}
)


@dataclass
class Shop:
    """The shop's behaviour on top of its state; `emit` sends a push body."""

    state: ShopState
    seller_id: int
    emit: Callable[[dict[str, Any]], None]
    enforce_pair_interval: Callable[[], bool]

    # --- stocks and prices ------------------------------------------------------------

    def set_stocks(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if len(items) > MAX_STOCK_ITEMS:
            raise bad_request(f"stocks: at most {MAX_STOCK_ITEMS} items per request, got {len(items)}")
        results = []
        changed: dict[int, Product] = {}
        seen: set[tuple[int, int]] = set()
        clock = time.monotonic()
        for item in items:
            offer_id = str(item.get("offer_id") or "")
            product_id = _as_int(item.get("product_id"))
            warehouse_id = _as_int(item.get("warehouse_id"))
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
            product.stocks[warehouse_id] = int(item["stock"])
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
        stock = _as_int(item.get("stock"), default=-1)
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
        if len(items) > MAX_PRICE_ITEMS:
            raise bad_request(f"prices: at most {MAX_PRICE_ITEMS} items per request, got {len(items)}")
        results = []
        for item in items:
            offer_id = str(item.get("offer_id") or "")
            product_id = _as_int(item.get("product_id"))
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
        if len(items) > MAX_IMPORT_ITEMS:
            raise bad_request(f"items: at most {MAX_IMPORT_ITEMS} items per request, got {len(items)}")
        ready = now() + timedelta(seconds=MODERATION_SECONDS)
        task = ImportTask(self.state.next_id() + 170_000_000, [], ready)
        for item in items:
            self.state.received_cards.append(item)
            errors = _card_errors(item)
            offer_id = str(item.get("offer_id") or "")
            if errors:
                task.items.append(ImportItem(offer_id, 0, "failed", errors))
                continue
            product = self._upsert_card(item, ready)
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

    # --- postings ---------------------------------------------------------------------

    def posting(self, posting_number: str) -> Posting:
        posting = self.state.postings.get(posting_number)
        if posting is None:
            raise not_found("POSTING_NOT_FOUND")
        return posting

    def move(self, posting: Posting, status: str, substatus: str | None = None) -> None:
        old = posting.status
        posting.status = status
        posting.substatus = substatus or PUSH_STATE.get(status, "")
        posting.status_changed_at = now()
        if status == "cancelled":
            self._release(posting, shipped=old in ("delivering", "driver_pickup", "sent_by_seller"))
            self.emit(
                {
                    "message_type": "TYPE_POSTING_CANCELLED",
                    "posting_number": posting.posting_number,
                    "products": [{"sku": line.sku, "quantity": line.quantity} for line in posting.lines],
                    "old_state": PUSH_STATE.get(old, old),
                    "new_state": "posting_canceled",
                    "changed_state_date": iso(posting.status_changed_at),
                    "reason": {"id": posting.cancel_reason_id, "message": posting.cancel_reason},
                    "warehouse_id": posting.warehouse_id,
                    "seller_id": self.seller_id,
                }
            )
            return
        if status == "delivering" and old == "awaiting_deliver":
            posting.delivering_date = posting.status_changed_at
            self._release(posting, shipped=True)
        self.emit(
            {
                "message_type": "TYPE_STATE_CHANGED",
                "posting_number": posting.posting_number,
                "new_state": PUSH_STATE.get(status, status),
                "changed_state_date": iso(posting.status_changed_at),
                "warehouse_id": posting.warehouse_id,
                "seller_id": self.seller_id,
            }
        )

    def _release(self, posting: Posting, shipped: bool) -> None:
        """Free the reserve of a posting; when it left the warehouse the units are gone too."""
        for line in posting.lines:
            product = self.state.by_sku.get(line.sku)
            if product is None:
                continue
            w = posting.warehouse_id
            product.reserved[w] = max(0, product.reserved.get(w, 0) - line.quantity)
            if shipped:
                product.stocks[w] = max(0, product.stocks.get(w, 0) - line.quantity)

    def ship(self, posting_number: str, packages: list[dict[str, Any]]) -> list[str]:
        posting = self.posting(posting_number)
        if posting.status == "cancelled":
            raise bad_request("POSTING_ALREADY_CANCELLED")
        if posting.status in ("awaiting_deliver", "delivering", "delivered", "driver_pickup"):
            raise bad_request("POSTING_ALREADY_SHIPPED")
        if posting.status != "awaiting_packaging":
            raise bad_request(f"HAS_INCORRECT_STATUS: posting is {posting.status}")
        if not packages:
            raise bad_request("packages: at least one package is required")
        boxes = [self._package(posting, package) for package in packages]
        packed: dict[int, int] = {}
        for box in boxes:
            for sku, qty in box.items():
                packed[sku] = packed.get(sku, 0) + qty
        ordered: dict[int, int] = {}
        for line in posting.lines:
            ordered[line.sku] = ordered.get(line.sku, 0) + line.quantity
        if packed != ordered:
            raise bad_request(
                f"INCORRECT_PRODUCTS_QUANTITY: packages hold {packed}, the posting has {ordered}"
            )
        self._check_exemplars(posting)
        by_sku = {line.sku: line for line in posting.lines}
        numbers = [posting.posting_number]
        posting.lines = _lines_for(boxes[0], by_sku)
        for box in boxes[1:]:
            number = self.state.next_posting_number(posting.order_number, posting.order_id)
            part = Posting(
                posting_number=number,
                order_id=posting.order_id,
                order_number=posting.order_number,
                warehouse_id=posting.warehouse_id,
                delivery_method_id=posting.delivery_method_id,
                lines=_lines_for(box, by_sku),
                in_process_at=posting.in_process_at,
                shipment_date=posting.shipment_date,
                status=posting.status,
                parent_posting_number=posting.posting_number,
                buyer_city=posting.buyer_city,
            )
            self.state.add_posting(part)
            numbers.append(number)
        self._split_exemplars(posting, [self.state.postings[n] for n in numbers])
        for number in numbers:
            self.state.postings[number].packed_at = now()
            self.move(self.state.postings[number], "awaiting_deliver")
        return numbers

    def _package(self, posting: Posting, package: dict[str, Any]) -> dict[int, int]:
        products = package.get("products") if isinstance(package, dict) else None
        if not isinstance(products, list) or not products:
            raise bad_request("packages[].products: at least one product is required")
        box: dict[int, int] = {}
        for entry in products:
            sku = _as_int(entry.get("product_id") if isinstance(entry, dict) else None)
            qty = _as_int(entry.get("quantity") if isinstance(entry, dict) else None)
            if sku <= 0 or qty <= 0:
                raise bad_request(
                    "packages[].products[]: product_id (SKU) and a positive quantity are required"
                )
            if all(line.sku != sku for line in posting.lines):
                raise bad_request(f"PRODUCT_NOT_FOUND: SKU {sku} is not in posting {posting.posting_number}")
            box[sku] = box.get(sku, 0) + qty
        return box

    def _check_exemplars(self, posting: Posting) -> None:
        for line in posting.lines:
            if not line.requires_marking:
                continue
            units = posting.exemplars.get(line.sku, [])
            if len(units) < line.quantity or any(not marks for marks in units[: line.quantity]):
                raise bad_request(
                    f"EXEMPLAR_INFO_REQUIRED: SKU {line.sku} needs a marking code (Честный ЗНАК) for each of "
                    f"{line.quantity} units; set them with /v6/fbs/posting/product/exemplar/set"
                )

    def _split_exemplars(self, original: Posting, parts: list[Posting]) -> None:
        pool = {sku: list(units) for sku, units in original.exemplars.items()}
        for part in parts:
            part.exemplars = {}
            for line in part.lines:
                units = pool.get(line.sku, [])
                part.exemplars[line.sku] = units[: line.quantity]
                pool[line.sku] = units[line.quantity :]

    def set_exemplars(self, posting: Posting, products: list[dict[str, Any]]) -> None:
        if posting.status != "awaiting_packaging":
            raise bad_request(f"HAS_INCORRECT_STATUS: posting is {posting.status}")
        lines = {line.sku: line for line in posting.lines}
        staged: dict[int, list[list[str]]] = {}
        for entry in products:
            sku = _as_int(entry.get("product_id") if isinstance(entry, dict) else None)
            line = lines.get(sku)
            if line is None:
                raise bad_request(f"PRODUCT_NOT_FOUND: SKU {sku} is not in posting {posting.posting_number}")
            exemplars = entry.get("exemplars") or []
            if not isinstance(exemplars, list) or len(exemplars) > line.quantity:
                raise bad_request(f"exemplars: SKU {sku} has {line.quantity} units")
            units = []
            for ex in exemplars:
                marks = ex.get("marks") if isinstance(ex, dict) else None
                units.append(
                    [str(m.get("mark")) for m in (marks or []) if isinstance(m, dict) and m.get("mark")]
                )
            staged[sku] = units
        posting.exemplars.update(staged)

    def exemplar_status(self, posting: Posting) -> str:
        try:
            self._check_exemplars(posting)
        except OzonError:
            return "ship_not_available"
        return "ship_available"

    def cancel(self, posting: Posting, reason_id: int, message: str, initiator: str = "Продавец") -> None:
        if posting.status == "cancelled":
            raise bad_request("POSTING_ALREADY_CANCELLED")
        if initiator == "Продавец":
            if posting.status not in CANCELLABLE:
                raise bad_request(f"HAS_INCORRECT_STATUS: a posting in {posting.status} cannot be cancelled")
            reason = next((r for r in CANCEL_REASONS if r[0] == reason_id), None)
            if reason is None or not reason[2]:
                raise bad_request(f"cancel_reason_id: {reason_id} is not available for cancellation")
            if reason_id == 402 and not message:
                raise bad_request("cancel_reason_message is required for reason 402")
            text = message or reason[1]
        else:
            text = message or BUYER_CANCEL_REASON[1]
        posting.cancel_reason_id = reason_id
        posting.cancel_reason = text
        posting.cancellation_initiator = initiator
        posting.cancelled_after_ship = posting.status in ("delivering", "driver_pickup")
        self.move(posting, "cancelled")

    def new_carriage(self, delivery_method_id: int, departure: Any) -> Carriage:
        methods = {w.delivery_method_id for w in self.state.warehouses.values()}
        if delivery_method_id not in methods:
            raise bad_request(f"delivery_method_id: unknown delivery method {delivery_method_id}")
        taken = {n for c in self.state.carriages.values() for n in c.posting_numbers}
        numbers = [
            p.posting_number
            for p in self.state.postings.values()
            if p.delivery_method_id == delivery_method_id
            and p.status == "awaiting_deliver"
            and p.posting_number not in taken
        ]
        if not numbers:
            raise bad_request(
                "NO_POSTINGS_FOR_CARRIAGE: no postings awaiting delivery for this delivery method"
            )
        carriage = Carriage(
            self.state.next_id() + 90_000_000, delivery_method_id, departure or now(), numbers
        )
        self.state.carriages[carriage.carriage_id] = carriage
        for n in numbers:
            self.state.postings[n].substatus = "posting_in_carriage"
        return carriage


def _lines_for(box: dict[int, int], by_sku: dict[int, PostingLine]) -> list[PostingLine]:
    out = []
    for sku, qty in box.items():
        line = by_sku[sku]
        out.append(
            PostingLine(
                line.sku, line.offer_id, line.name, line.price, qty, line.product_id, line.requires_marking
            )
        )
    return out


def _as_int(value: Any, default: int = 0) -> int:
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return default


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
    category_id = _as_int(item.get("description_category_id"))
    type_id = _as_int(item.get("type_id"))
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
            given[_as_int(attribute.get("id"))] = [
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
                vid = _as_int(v.get("dictionary_value_id"))
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
