"""Canonical model validation: money, bundles, boxes, prices."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError

from marketbridge.model import (
    Box,
    BoxLine,
    Bundle,
    BundleComponent,
    Offer,
    Order,
    OrderLine,
    OrderStatus,
    Price,
    StockLevel,
    bundle_available,
    money,
)


def test_money_is_decimal_and_never_float_noise() -> None:
    assert money(0.1) == Decimal("0.10")
    assert money("199.999") == Decimal("200.00")
    assert money(1499) == Decimal("1499.00")
    for bad in ("abc", float("nan"), "inf"):
        with pytest.raises(ValueError):
            money(bad)


def test_price_serialises_money_as_string() -> None:
    price = Price(offer_sku="A-1", price=Decimal("100.50"), old_price=Decimal("120"))
    assert price.model_dump(mode="json")["price"] == "100.50"
    with pytest.raises(ValidationError):
        Price(offer_sku="A-1", price=Decimal("100"), old_price=Decimal("90"))
    with pytest.raises(ValidationError):
        Price(offer_sku="A-1", price=Decimal("100"), min_price=Decimal("101"))
    with pytest.raises(ValidationError):
        Price(offer_sku="A-1", price=Decimal("0"))


def test_available_is_on_hand_minus_reserved() -> None:
    level = StockLevel(offer_sku="A", warehouse="W1", on_hand=10, reserved=3)
    assert level.available == 7
    assert StockLevel(offer_sku="A", warehouse="W1", on_hand=2, reserved=5).available == 0


def test_bundle_available_is_min_of_floor_division() -> None:
    bundle = Bundle(
        sku="KIT",
        name="Kit",
        components=[BundleComponent(offer_sku="A", quantity=2), BundleComponent(offer_sku="B", quantity=3)],
    )
    assert bundle_available(bundle, {"A": 9, "B": 10}) == 3
    assert bundle_available(bundle, {"A": 9, "B": 2}) == 0
    assert bundle_available(bundle, {"A": 9}) == 0


def test_bundle_rejects_self_and_duplicates() -> None:
    with pytest.raises(ValidationError):
        Bundle(sku="K", name="K", components=[BundleComponent(offer_sku="K", quantity=1)])
    with pytest.raises(ValidationError):
        Bundle(
            sku="K",
            name="K",
            components=[
                BundleComponent(offer_sku="A", quantity=1),
                BundleComponent(offer_sku="A", quantity=2),
            ],
        )


def test_offer_rejects_duplicate_or_bad_barcodes() -> None:
    with pytest.raises(ValidationError):
        Offer(sku="A", barcodes=["4600000000001", "4600000000001"])
    with pytest.raises(ValidationError):
        Offer(sku="A", barcodes=["46 00"])


def _order(marking: bool = False) -> Order:
    return Order(
        external_id="P-1",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        lines=[
            OrderLine(offer_sku="A", quantity=2, price=Decimal("10"), requires_marking=marking),
            OrderLine(offer_sku="B", quantity=1, price=Decimal("5")),
        ],
    )


def test_boxes_must_hold_exactly_the_order() -> None:
    order = _order()
    whole = [
        Box(number=1, lines=[BoxLine(offer_sku="A", quantity=2)]),
        Box(number=2, lines=[BoxLine(offer_sku="B", quantity=1)]),
    ]
    assert order.packing_differences(whole) == []
    short = [Box(number=1, lines=[BoxLine(offer_sku="A", quantity=2)])]
    assert order.packing_differences(short) == ["B: ordered 1, packed in no box"]


def test_order_move_to_follows_the_machine() -> None:
    order = _order()
    order.move_to(OrderStatus.PACKED)
    with pytest.raises(ValueError):
        order.move_to(OrderStatus.CONFIRMED)
    assert order.status is OrderStatus.PACKED


def test_packing_differences_name_box_sku_and_counts() -> None:
    order = _order()
    boxes = [
        Box(number=1, lines=[BoxLine(offer_sku="A", quantity=1), BoxLine(offer_sku="Z", quantity=1)]),
        Box(number=2, lines=[BoxLine(offer_sku="A", quantity=2)]),
    ]
    assert order.packing_differences(boxes) == [
        "box 1, box 2: A packed 3, ordered 2",
        "B: ordered 1, packed in no box",
        "box 1: Z packed 1, not ordered",
    ]
