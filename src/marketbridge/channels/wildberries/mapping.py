"""Wildberries JSON <-> the hub's neutral shapes.

Identifiers:
- a unit (RemoteOffer.external_id, RemoteOrderLine.external_offer_id) is the size's chrtID,
  the one id that appears both in cards and in assembly tasks; its barcode is the size's sku;
- the unit's offer_code is the card's vendorCode when the card has one size, otherwise
  vendorCode + "-" + techSize;
- product_external_id is the nmID (sizes are variants of one product), or the chrtID when
  the connection imports sizes as separate products.
Prices: the hub's (price, old_price) become WB's price (before discount) = old_price and
discount = round((1 - price / old_price) * 100); without old_price, price and discount 0.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

from marketbridge.channels.errors import BadResponse
from marketbridge.channels.roles import RemoteOffer, RemoteOrder, RemoteOrderLine, RemoteReturn
from marketbridge.model import REQUIRED_KINDS, ListingStatus, OrderStatus, ReturnStatus, money

T = TypeVar("T")

CANCELLED_WB = frozenset({"canceled", "canceled_by_client", "declined_by_client", "defect"})
MAX_DISCOUNT = 95


def guarded(what: str, build: Callable[..., T], *args: Any) -> T:
    """Run `build(*args)`, turning a malformed answer (missing key, wrong type) into BadResponse."""
    try:
        return build(*args)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise BadResponse(f"wildberries: malformed {what}: {type(exc).__name__}: {exc}") from exc


def dicts(body: Any, *path: str) -> list[dict[str, Any]]:
    """The list of objects at `path` in an answer (null: empty), else BadResponse."""
    node = body
    for key in path:
        if not isinstance(node, dict) or key not in node:
            raise BadResponse(f"wildberries: malformed answer: no {'.'.join(path)!r}")
        node = node[key]
    if node is None:
        return []
    if not isinstance(node, list) or not all(isinstance(item, dict) for item in node):
        raise BadResponse(f"wildberries: malformed answer: {'.'.join(path)!r} is not a list of objects")
    return node


def unit_code(vendor_code: str, tech_size: str, sizes_on_card: int) -> str:
    return vendor_code if sizes_on_card == 1 else f"{vendor_code}-{tech_size}"


def card_offers(card: Mapping[str, Any], sizes_as_products: bool) -> list[RemoteOffer]:
    """One RemoteOffer per size of a card."""

    def build() -> list[RemoteOffer]:
        vendor = str(card["vendorCode"])
        nm_id = str(int(card["nmID"]))
        sizes = list(card.get("sizes") or [])
        color = None
        for charc in card.get("characteristics") or []:
            if isinstance(charc, dict) and charc.get("name") == "Цвет" and charc.get("value"):
                value = charc["value"]
                color = str(value[0] if isinstance(value, list) else value)
        out = []
        for size in sizes:
            chrt = str(int(size["chrtID"]))
            tech = str(size.get("techSize") or "0")
            out.append(
                RemoteOffer(
                    external_id=chrt,
                    offer_code=unit_code(vendor, tech, len(sizes)),
                    product_external_id=chrt if sizes_as_products else nm_id,
                    name=str(card.get("title") or vendor),
                    barcodes=[str(s) for s in size.get("skus") or []],
                    product_code=vendor,
                    size=None if tech in ("0", "") else tech,
                    color=color,
                    category_id=str(card.get("subjectID")) if card.get("subjectID") is not None else None,
                    brand=str(card.get("brand")) if card.get("brand") else None,
                    status=ListingStatus.ACTIVE,
                    requires_marking=bool(card.get("needKiz")),
                )
            )
        return out

    return guarded("card", build)


def order_status(supplier: str | None, wb: str | None) -> OrderStatus:
    """supplierStatus/wbStatus onto the hub's status machine."""
    if supplier == "cancel" or wb in CANCELLED_WB:
        return OrderStatus.CANCELLED
    if wb == "sold":
        return OrderStatus.DELIVERED
    if supplier == "complete":
        return OrderStatus.SHIPPED
    if supplier == "confirm":
        return OrderStatus.PACKED
    return OrderStatus.NEW


def raw_status(supplier: str | None, wb: str | None) -> str:
    return f"{supplier or ''}/{wb or ''}"


def parse_time(value: Any) -> datetime:
    text = str(value).replace("Z", "+00:00")
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def required_kinds(value: Any) -> tuple[str, ...]:
    """A task's `requiredMeta` as the kinds the hub knows (REQUIRED_KINDS order); absent: none."""
    listed = {str(k) for k in value} if isinstance(value, list) else set()
    return tuple(k for k in REQUIRED_KINDS if k in listed)


#: (supplierStatus, wbStatus) of a task listed among the new ones: placed, waiting for the seller.
NEW_TASK = ("new", "waiting")


def task_order(
    raw: Mapping[str, Any],
    status: tuple[str, str] | None,
    unit_codes: Mapping[str, str],
) -> RemoteOrder:
    """An assembly task (one unit) as a RemoteOrder; `status` = (supplierStatus, wbStatus)."""

    def build() -> RemoteOrder:
        chrt = str(int(raw["chrtId"]))
        supplier, wb = status or NEW_TASK
        price = money(Decimal(int(raw.get("convertedPrice") or raw.get("price") or 0)) / 100)
        skus = raw.get("skus") or []
        address = raw.get("address") if isinstance(raw.get("address"), dict) else None
        offices = raw.get("offices") or []
        return RemoteOrder(
            external_id=str(int(raw["id"])),
            status=order_status(supplier, wb),
            raw_status=raw_status(supplier, wb),
            created_at=parse_time(raw["createdAt"]),
            lines=[
                RemoteOrderLine(
                    external_offer_id=chrt,
                    offer_code=unit_codes.get(chrt) or str(raw.get("article") or chrt),
                    quantity=1,
                    price=price,
                    barcode=str(skus[0]) if skus else None,
                    requires_marking="sgtin" in (raw.get("requiredMeta") or []),
                    required_meta=required_kinds(raw.get("requiredMeta")),
                )
            ],
            warehouse_id=str(raw["warehouseId"]) if raw.get("warehouseId") is not None else None,
            buyer_city=str(offices[0]) if offices else (address or {}).get("fullAddress"),
            group_id=str(raw["orderUid"]) if raw.get("orderUid") else None,
        )

    return guarded("assembly task", build)


def wb_price(price: Decimal, old_price: Decimal | None) -> tuple[int, int]:
    """(WB price before discount, discount %) for the hub's price and old price."""
    if old_price is not None and old_price > 0:
        discount = round((1 - price / old_price) * 100)
        return int(old_price.to_integral_value()), int(discount)
    return int(price.to_integral_value()), 0


def claim_status(claim: Mapping[str, Any], archived: bool) -> ReturnStatus:
    status = claim.get("status")
    if archived or status == 1:
        return ReturnStatus.CLOSED
    if status == 2 and claim.get("status_ex") in (8, 10):
        return ReturnStatus.IN_TRANSIT
    return ReturnStatus.OPENED


def claim_return(
    claim: Mapping[str, Any],
    archived: bool,
    task_by_rid: Mapping[str, tuple[str, str]],
    unit_codes: Mapping[str, str],
) -> RemoteReturn:
    """A buyer's claim; `task_by_rid` maps an order's rid (the claim's srid) to (task id, chrtID)."""

    def build() -> RemoteReturn:
        task = task_by_rid.get(str(claim.get("srid") or ""))
        unit = task[1] if task else str(int(claim["nm_id"]))
        return RemoteReturn(
            external_id=str(claim["id"]),
            order_external_id=task[0] if task else None,
            status=claim_status(claim, archived),
            created_at=parse_time(claim["dt"]),
            lines=[
                RemoteOrderLine(
                    external_offer_id=unit,
                    offer_code=unit_codes.get(unit) or unit,
                    quantity=1,
                    price=money(claim.get("price") or 0),
                    name=claim.get("imt_name"),
                )
            ],
            reason=claim.get("user_comment"),
        )

    return guarded("claim", build)
