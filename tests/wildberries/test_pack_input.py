"""The hub's packing input for marketplace metadata: typed, checked, refused line by line."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError

from marketbridge.model import Box, BoxLine, LineMeta, Order, OrderLine
from marketbridge.sync.errors import ActionRefused
from marketbridge.sync.fulfilment import require_data


def _order() -> Order:
    lines = [
        OrderLine(offer_sku="BOOTS", quantity=2, price=Decimal("10"), requires_marking=True),
        OrderLine(offer_sku="RING", quantity=1, price=Decimal("10"), requires_marking=True),
        OrderLine(offer_sku="MUG", quantity=1, price=Decimal("10")),
    ]
    return Order(external_id="1", created_at=datetime.now(UTC), lines=lines)


def test_missing_marking_codes_are_one_409_naming_each_line() -> None:
    boxes = [
        Box(number=1, lines=[BoxLine(offer_sku="BOOTS", quantity=2), BoxLine(offer_sku="MUG", quantity=1)]),
        Box(number=2, lines=[BoxLine(offer_sku="RING", quantity=1)]),
    ]
    with pytest.raises(ActionRefused) as refused:
        require_data(_order(), boxes)
    assert refused.value.code == "marking_codes_missing"
    assert refused.value.items == [
        {"field": "body.boxes[0].lines[0]", "sku": "BOOTS", "message": "missing: sgtin"},
        {"field": "body.boxes[1].lines[0]", "sku": "RING", "message": "missing: sgtin"},
    ]
    assert refused.value.message == (
        "box 1, BOOTS: 2 marking code(s) needed, 0 given; box 2, RING: 1 marking code(s) needed, 0 given"
    )
    codes = ["0104600439931256" + str(n) for n in range(2)]
    fine = [
        Box(number=1, lines=[BoxLine(offer_sku="BOOTS", quantity=2, marking_codes=codes)]),
        Box(number=2, lines=[BoxLine(offer_sku="RING", quantity=1, marking_codes=[codes[0]])]),
    ]
    require_data(_order(), fine)


def test_required_data_other_than_marking_is_named_per_line() -> None:
    lines = [
        OrderLine(offer_sku="PHONE", quantity=1, price=Decimal("10"), required_meta=["imei", "sgtin"]),
        OrderLine(offer_sku="MILK", quantity=2, price=Decimal("10"), required_meta=["expiration"]),
    ]
    order = Order(external_id="2", created_at=datetime.now(UTC), lines=lines)
    assert lines[0].required() == ["sgtin", "imei"]
    boxes = [
        Box(number=1, lines=[BoxLine(offer_sku="MILK", quantity=2), BoxLine(offer_sku="PHONE", quantity=1)])
    ]
    with pytest.raises(ActionRefused) as refused:
        require_data(order, boxes)
    assert refused.value.code == "required_meta_missing"
    assert refused.value.items == [
        {"field": "body.boxes[0].lines[0]", "sku": "MILK", "message": "missing: expiration"},
        {"field": "body.boxes[0].lines[1]", "sku": "PHONE", "message": "missing: sgtin, imei"},
    ]
    given = [
        BoxLine(offer_sku="MILK", quantity=2, meta=LineMeta(expiration=date(2031, 1, 31))),
        BoxLine(
            offer_sku="PHONE", quantity=1, marking_codes=["0104600439931256"], meta=LineMeta(imei=["1" * 15])
        ),
    ]
    require_data(order, [Box(number=1, lines=given)])


def test_box_line_metadata_is_typed_and_one_per_unit() -> None:
    line = BoxLine.model_validate(
        {
            "offer_sku": "RING",
            "quantity": 1,
            "meta": {"uin": ["1234567890123456"], "expiration": "2031-01-31"},
        }
    )
    assert line.meta.uin == ["1234567890123456"] and line.meta.expiration == date(2031, 1, 31)
    assert line.meta.given() == {"uin", "expiration"}
    assert BoxLine(offer_sku="MUG", quantity=1).meta == LineMeta()
    with pytest.raises(ValidationError, match="one imei per unit"):
        BoxLine.model_validate({"offer_sku": "PHONE", "quantity": 2, "meta": {"imei": ["123456789012345"]}})
    with pytest.raises(ValidationError):
        BoxLine.model_validate({"offer_sku": "X", "quantity": 1, "meta": {"expiration": "31.01.2031"}})


def test_the_packing_form_reads_metadata_per_cell() -> None:
    from marketbridge.web.views.orders import _meta_from_form

    form = {"uin-7-1": "1234567890123456\n", "exp-7-1": "2031-01-31", "imei-7-2": " 123456789012345 "}
    first = _meta_from_form(form, "7-1", None)
    assert first.uin == ["1234567890123456"] and first.expiration == date(2031, 1, 31)
    both = _meta_from_form(form, "7-2", first)
    assert both.imei == ["123456789012345"] and both.uin == ["1234567890123456"]
    assert _meta_from_form({}, "8-1", None) == LineMeta()
    with pytest.raises(ValidationError):
        _meta_from_form({"exp-7-1": "soon"}, "7-1", None)
