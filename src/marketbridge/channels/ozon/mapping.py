"""Ozon JSON <-> the channel's marketplace-neutral shapes, read leniently.

Unknown fields are ignored and missing optional ones tolerated; a missing required one (a
posting without a number, a price that is not a number) raises BadResponse naming what is
wrong. Ids: a unit is keyed by Ozon's `sku` (it appears in listings and order lines alike),
`offer_id` is the seller's article, `product_id` the card.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from marketbridge.channels.errors import BadResponse
from marketbridge.channels.ozon.return_statuses import RETURN_STATUS
from marketbridge.channels.roles import (
    CardDraft,
    RemoteOffer,
    RemoteOrder,
    RemoteOrderLine,
    RemotePrice,
    RemoteReturn,
    RemoteWarehouse,
)
from marketbridge.model import Category, CategoryAttribute, ListingStatus, OrderStatus, ReturnStatus, money

#: Ozon FBS posting status -> canonical order status.
ORDER_STATUS: dict[str, OrderStatus] = {
    "awaiting_registration": OrderStatus.NEW,
    "acceptance_in_progress": OrderStatus.NEW,
    "awaiting_approve": OrderStatus.NEW,
    "awaiting_packaging": OrderStatus.NEW,
    "awaiting_verification": OrderStatus.NEW,
    "awaiting_deliver": OrderStatus.PACKED,
    "delivering": OrderStatus.SHIPPED,
    "driver_pickup": OrderStatus.SHIPPED,
    "sent_by_seller": OrderStatus.SHIPPED,
    "arbitration": OrderStatus.SHIPPED,
    "client_arbitration": OrderStatus.SHIPPED,
    "delivered": OrderStatus.DELIVERED,
    "cancelled": OrderStatus.CANCELLED,
    "not_accepted": OrderStatus.CANCELLED,
}

#: visual.status.sys_name of a return -> canonical return status.
BRAND_ATTRIBUTE = "85"
ANNOTATION_ATTRIBUTE = "4191"


# --- lenient readers ----------------------------------------------------------------------


def obj(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise BadResponse(f"ozon: {what} is not an object")
    return value


def items(value: Any, what: str) -> list[Mapping[str, Any]]:
    """A list of objects; None counts as empty, anything else that is not a list is an error."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadResponse(f"ozon: {what} is not a list")
    return [obj(v, f"an item of {what}") for v in value]


def text(data: Mapping[str, Any], name: str, what: str) -> str:
    value = data.get(name)
    if value is None or value == "" or isinstance(value, dict | list | bool):
        raise BadResponse(f"ozon: {what} has no {name}")
    return str(value)


def count(data: Mapping[str, Any], name: str, what: str) -> int:
    """A whole number of units (missing counts 0; anything but a non-negative integer is an error)."""
    value = data.get(name, 0)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise BadResponse(f"ozon: {what} has no valid {name}: {str(value)[:40]!r}")
    return value


def opt_text(data: Mapping[str, Any], name: str) -> str | None:
    value = data.get(name)
    if value is None or value == "" or isinstance(value, dict | list):
        return None
    return str(value)


def when(value: Any, what: str) -> datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise BadResponse(f"ozon: {what} is not a date-time")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise BadResponse(f"ozon: {what} is not a date-time: {value[:40]!r}") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def amount(value: Any, what: str) -> Decimal:
    """A price given as a number, a string, or an object {amount, currency}."""
    if isinstance(value, Mapping):
        value = value.get("amount")
    if value is None or value == "" or isinstance(value, bool):
        return Decimal("0.00")
    try:
        return money(value)
    except ValueError as exc:
        raise BadResponse(f"ozon: {what} is not a price: {str(value)[:40]!r}") from exc


def opt_amount(value: Any, what: str) -> Decimal | None:
    price = amount(value, what)
    return price if price > 0 else None


# --- catalog ------------------------------------------------------------------------------


def warehouse(data: Mapping[str, Any]) -> RemoteWarehouse:
    status = str(data.get("status") or "")
    return RemoteWarehouse(
        external_id=text(data, "warehouse_id", "a warehouse"),
        name=str(data.get("name") or ""),
        active=status not in ("disabled", "blocked", "disabled_due_to_limit"),
    )


def listing_status(info: Mapping[str, Any]) -> tuple[ListingStatus, str | None]:
    statuses = info.get("statuses") if isinstance(info.get("statuses"), Mapping) else {}
    assert isinstance(statuses, Mapping)
    status = str(statuses.get("status") or "")
    if info.get("is_archived") or info.get("archived"):
        return ListingStatus.DELISTED, None
    if status in ("failed", "failed_moderation", "failed_validation", "declined"):
        reason = opt_text(statuses, "status_failed") or opt_text(statuses, "status_description")
        return ListingStatus.REJECTED, reason
    if status == "price_sent" or statuses.get("is_created"):
        return ListingStatus.ACTIVE, None
    return ListingStatus.PENDING, None


def offer(info: Mapping[str, Any]) -> RemoteOffer | None:
    """A unit from /v3/product/info/list; None for a card that has no SKU yet."""
    sku = info.get("sku")
    if not sku:
        return None
    status, reason = listing_status(info)
    category = info.get("description_category_id")
    type_id = info.get("type_id")
    barcodes = info.get("barcodes")
    return RemoteOffer(
        external_id=str(sku),
        offer_code=text(info, "offer_id", "a product"),
        product_external_id=text(info, "id", "a product"),
        name=str(info.get("name") or ""),
        barcodes=[str(b) for b in barcodes] if isinstance(barcodes, list) else [],
        category_id=f"{category}:{type_id}" if category and type_id else None,
        status=status,
        status_reason=reason,
    )


def price(item: Mapping[str, Any], sku: str) -> RemotePrice:
    """A price from /v5/product/info/prices (`sku` looked up from the product info)."""
    block = obj(item.get("price") or {}, "a price block")
    return RemotePrice(
        external_id=sku,
        offer_code=text(item, "offer_id", "a price item"),
        price=amount(block.get("price"), "price"),
        old_price=opt_amount(block.get("old_price"), "old_price"),
        min_price=opt_amount(block.get("min_price"), "min_price"),
        currency=str(block.get("currency_code") or "RUB"),
    )


def categories(tree: list[Mapping[str, Any]]) -> list[Category]:
    """The tree flattened: categories are inner nodes, (category, type) pairs are the leaves."""
    out: list[Category] = []

    def walk(node: Mapping[str, Any], parent: str | None, category_id: str | None) -> None:
        if node.get("disabled"):
            return
        children = items(node.get("children"), "category children")
        if node.get("type_id"):
            if category_id is None:
                raise BadResponse("ozon: a type outside a description category")
            out.append(
                Category(
                    id=f"{category_id}:{node['type_id']}",
                    name=str(node.get("type_name") or node["type_id"]),
                    parent_id=category_id,
                    leaf=True,
                )
            )
            return
        own = text(node, "description_category_id", "a category")
        out.append(Category(id=own, name=str(node.get("category_name") or own), parent_id=parent, leaf=False))
        for child in children:
            walk(child, own, own)

    for root in tree:
        walk(root, None, None)
    return out


def split_category(category_id: str) -> tuple[int, int]:
    """'description_category_id:type_id' -> the pair; ValueError for anything else."""
    first, _, second = category_id.partition(":")
    if not first.isdigit() or not second.isdigit():
        raise ValueError(f"an Ozon category id is 'description_category_id:type_id', got {category_id!r}")
    return int(first), int(second)


def attribute(data: Mapping[str, Any]) -> CategoryAttribute:
    return CategoryAttribute(
        id=text(data, "id", "an attribute"),
        name=str(data.get("name") or data.get("id")),
        required=bool(data.get("is_required")),
        type=str(data.get("type") or "string").lower(),
        dictionary=bool(data.get("dictionary_id")),
        multi=bool(data.get("is_collection")),
    )


def card_item(
    card: CardDraft, dictionaries: Mapping[str, Mapping[str, int]], weight_default: int = 100
) -> dict[str, Any]:
    """One item of /v3/product/import. `dictionaries` maps attribute id -> {value: dictionary id}."""
    category_id, type_id = split_category(card.category_id)
    values = {k: list(v) for k, v in card.attributes.items()}
    if card.brand and BRAND_ATTRIBUTE not in values:
        values[BRAND_ATTRIBUTE] = [card.brand]
    if card.description and ANNOTATION_ATTRIBUTE not in values:
        values[ANNOTATION_ATTRIBUTE] = [card.description]
    attributes = []
    for attribute_id, texts in values.items():
        known = dictionaries.get(attribute_id, {})
        entries: list[dict[str, Any]] = []
        for value in texts:
            entry: dict[str, Any] = {"value": value}
            if value in known:
                entry["dictionary_value_id"] = known[value]
            entries.append(entry)
        attributes.append({"complex_id": 0, "id": int(attribute_id), "values": entries})
    item: dict[str, Any] = {
        "offer_id": card.offer_code,
        "name": card.name,
        "description_category_id": category_id,
        "type_id": type_id,
        "price": format(card.price, "f"),
        "old_price": format(card.old_price, "f") if card.old_price else "0",
        "currency_code": card.currency,
        "vat": "0",
        "attributes": attributes,
        "images": list(card.images),
        "weight": card.weight_g or weight_default,
        "weight_unit": "g",
        "depth": 100,
        "width": 100,
        "height": 100,
        "dimension_unit": "mm",
    }
    if card.barcodes:
        item["barcode"] = card.barcodes[0]
    return item


# --- orders and returns -------------------------------------------------------------------


def order(posting: Mapping[str, Any]) -> RemoteOrder:
    """A posting of /v4/posting/fbs/list or /v3/posting/fbs/get."""
    number = text(posting, "posting_number", "a posting")
    what = f"posting {number}"
    raw_status = text(posting, "status", what)
    status = ORDER_STATUS.get(raw_status)
    if status is None:
        raise BadResponse(f"ozon: {what} has an unknown status {raw_status!r}")
    requirements = posting.get("requirements")
    marked: set[str] = set()
    if isinstance(requirements, Mapping) and isinstance(
        requirements.get("products_requiring_mandatory_mark"), list
    ):
        marked = {str(s) for s in requirements["products_requiring_mandatory_mark"]}
    lines = []
    for product in items(posting.get("products"), f"{what} products"):
        sku = text(product, "sku", f"a product of {what}")
        quantity = product.get("quantity")
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
            raise BadResponse(f"ozon: a product of {what} has no valid quantity")
        lines.append(
            RemoteOrderLine(
                external_offer_id=sku,
                offer_code=text(product, "offer_id", f"a product of {what}"),
                quantity=quantity,
                price=amount(product.get("price"), f"a price in {what}"),
                name=opt_text(product, "name"),
                requires_marking=sku in marked,
            )
        )
    if not lines:
        raise BadResponse(f"ozon: {what} has no products")
    created = when(posting.get("in_process_at"), f"{what} in_process_at")
    if created is None:
        raise BadResponse(f"ozon: {what} has no in_process_at")
    method = posting.get("delivery_method")
    analytics = posting.get("analytics_data")
    cancellation = posting.get("cancellation")
    warehouse_id = method.get("warehouse_id") if isinstance(method, Mapping) else None
    return RemoteOrder(
        external_id=number,
        status=status,
        raw_status=raw_status,
        created_at=created,
        lines=lines,
        ship_by=when(posting.get("shipment_date"), f"{what} shipment_date"),
        warehouse_id=str(warehouse_id) if warehouse_id else None,
        currency="RUB",
        buyer_city=opt_text(analytics, "city") if isinstance(analytics, Mapping) else None,
        group_id=opt_text(posting, "order_number"),
        cancel_reason=opt_text(cancellation, "cancel_reason") if isinstance(cancellation, Mapping) else None,
    )


def delivery_method_id(posting: Mapping[str, Any]) -> int:
    method = posting.get("delivery_method")
    value = method.get("id") if isinstance(method, Mapping) else None
    if not isinstance(value, int) or isinstance(value, bool):
        raise BadResponse("ozon: a posting without delivery_method.id")
    return value


def return_item(data: Mapping[str, Any]) -> RemoteReturn:
    rid = text(data, "id", "a return")
    product = obj(data.get("product") or {}, f"return {rid} product")
    visual = data.get("visual")
    status_block = visual.get("status") if isinstance(visual, Mapping) else None
    sys_name = str(status_block.get("sys_name") or "") if isinstance(status_block, Mapping) else ""
    logistic = data.get("logistic") if isinstance(data.get("logistic"), Mapping) else {}
    assert isinstance(logistic, Mapping)
    created = (
        when(logistic.get("return_date"), f"return {rid} date")
        or when(visual.get("change_moment") if isinstance(visual, Mapping) else None, f"return {rid} date")
        or datetime.now(UTC)
    )
    quantity = product.get("quantity")
    return RemoteReturn(
        external_id=rid,
        order_external_id=opt_text(data, "posting_number"),
        status=RETURN_STATUS.get(sys_name, ReturnStatus.OPENED),
        created_at=created,
        lines=[
            RemoteOrderLine(
                external_offer_id=text(product, "sku", f"return {rid} product"),
                offer_code=str(product.get("offer_id") or ""),
                quantity=quantity if isinstance(quantity, int) and quantity > 0 else 1,
                price=amount(
                    product.get("price", {}).get("price")
                    if isinstance(product.get("price"), Mapping)
                    else None,
                    "return price",
                ),
                name=opt_text(product, "name"),
            )
        ],
        reason=opt_text(data, "return_reason_name"),
    )
