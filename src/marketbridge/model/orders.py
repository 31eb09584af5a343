"""Orders, their lines, boxes, shipments and labels, and the unified order status machine.

Every marketplace's statuses map onto OrderStatus. The machine allows forward moves along
new → confirmed → packed → shipped → delivered (skipping steps is allowed, because a poll can
see an order only after it moved twice), cancellation before delivery, and a return after
shipping. Everything else is refused with StatusTransitionError.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from enum import StrEnum

from pydantic import Field, model_validator

from marketbridge.model.common import CanonicalModel, Code, Money


class OrderStatus(StrEnum):
    NEW = "new"
    CONFIRMED = "confirmed"
    PACKED = "packed"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    RETURNED = "returned"

    @property
    def final(self) -> bool:
        return self in _FINAL

    @property
    def holds_stock(self) -> bool:
        """Whether an order in this status still reserves stock in the hub warehouse."""
        return self in (OrderStatus.NEW, OrderStatus.CONFIRMED, OrderStatus.PACKED)


_FORWARD = (
    OrderStatus.NEW,
    OrderStatus.CONFIRMED,
    OrderStatus.PACKED,
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
)
_FINAL = frozenset({OrderStatus.DELIVERED, OrderStatus.CANCELLED, OrderStatus.RETURNED})


class StatusTransitionError(ValueError):
    def __init__(self, current: OrderStatus, target: OrderStatus) -> None:
        super().__init__(f"an order cannot move from {current.value} to {target.value}")
        self.current = current
        self.target = target


def can_transition(current: OrderStatus, target: OrderStatus) -> bool:
    """Whether the machine allows current → target (staying put is not a transition)."""
    if current == target:
        return False
    if target == OrderStatus.CANCELLED:
        return current in (OrderStatus.NEW, OrderStatus.CONFIRMED, OrderStatus.PACKED, OrderStatus.SHIPPED)
    if target == OrderStatus.RETURNED:
        return current in (OrderStatus.SHIPPED, OrderStatus.DELIVERED)
    if current in _FORWARD and target in _FORWARD:
        return _FORWARD.index(target) > _FORWARD.index(current)
    return False


def check_transition(current: OrderStatus, target: OrderStatus) -> None:
    if not can_transition(current, target):
        raise StatusTransitionError(current, target)


#: Kinds of identification data a marketplace may require per unit, besides marking codes.
META_KINDS = ("uin", "imei", "gtin", "expiration")
#: Marking codes, as a kind of required data (the box line's `marking_codes`).
MARKING = "sgtin"
#: Every kind a marketplace may require on an order line.
REQUIRED_KINDS = (MARKING, *META_KINDS)


def required_kinds(required_meta: Iterable[str] | None, requires_marking: bool) -> list[str]:
    """The kinds packing must give for a line: the ones the marketplace requires, and marking
    codes for a marked product; in REQUIRED_KINDS order."""
    kinds = set(required_meta or ()) | ({MARKING} if requires_marking else set())
    return [k for k in REQUIRED_KINDS if k in kinds]


class OrderLine(CanonicalModel):
    offer_sku: Code
    quantity: int = Field(ge=1, le=100_000)
    price: Money
    name: str | None = Field(default=None, max_length=500)
    requires_marking: bool = False
    #: the kinds of data the marketplace requires for this line's units (REQUIRED_KINDS)
    required_meta: list[str] = Field(default_factory=list, max_length=len(REQUIRED_KINDS))

    def required(self) -> list[str]:
        return required_kinds(self.required_meta, self.requires_marking)


class LineMeta(CanonicalModel):
    """Identification data other than marking codes: one value per unit, or none.

    `uin` (16 characters, jewellery), `imei` (15, phones), `gtin` (13, Belarus) and the
    expiry date of the goods (`expiration`, one for the whole line).
    """

    uin: list[str] = Field(default_factory=list, max_length=100_000)
    imei: list[str] = Field(default_factory=list, max_length=100_000)
    gtin: list[str] = Field(default_factory=list, max_length=100_000)
    expiration: date | None = None

    def given(self) -> set[str]:
        """The kinds this line carries."""
        return {k for k in META_KINDS if getattr(self, k)}


class BoxLine(CanonicalModel):
    offer_sku: Code
    quantity: int = Field(ge=1, le=100_000)
    marking_codes: list[str] = Field(default_factory=list, max_length=100_000)
    meta: LineMeta = Field(default_factory=LineMeta)

    def given(self) -> set[str]:
        """The kinds of required data this line carries for all its units (REQUIRED_KINDS)."""
        return self.meta.given() | ({MARKING} if len(self.marking_codes) == self.quantity else set())

    @model_validator(mode="after")
    def _codes_fit(self) -> BoxLine:
        if self.marking_codes and len(self.marking_codes) != self.quantity:
            raise ValueError("give one marking code per unit or none")
        for kind in ("uin", "imei", "gtin"):
            values = getattr(self.meta, kind)
            if values and len(values) != self.quantity:
                raise ValueError(f"give one {kind} per unit or none")
        return self


class Box(CanonicalModel):
    """One parcel of a packed order."""

    number: int = Field(ge=1, le=1000)
    lines: list[BoxLine] = Field(min_length=1, max_length=1000)


class LabelFormat(StrEnum):
    PDF = "pdf"
    PNG = "png"
    ZPL = "zpl"
    SVG = "svg"


class Label(CanonicalModel):
    """A shipping label as the marketplace returned it, for one box or shipment."""

    shipment_id: str
    format: LabelFormat
    content: bytes
    filename: str = "label"


class Shipment(CanonicalModel):
    """What the marketplace tracks per parcel group (a posting, an assembly task, a shipment)."""

    external_id: str
    box_numbers: list[int] = Field(default_factory=list)
    status: OrderStatus = OrderStatus.PACKED


class Order(CanonicalModel):
    external_id: str = Field(min_length=1, max_length=128)
    status: OrderStatus = OrderStatus.NEW
    created_at: datetime
    updated_at: datetime | None = None
    ship_by: datetime | None = None
    delivery_date: datetime | None = None
    warehouse: str | None = None
    currency: str = "RUB"
    lines: list[OrderLine] = Field(min_length=1, max_length=10_000)
    buyer_city: str | None = Field(default=None, max_length=200)
    shipments: list[Shipment] = Field(default_factory=list)

    def move_to(self, target: OrderStatus) -> None:
        check_transition(self.status, target)
        self.status = target

    def units(self) -> dict[str, int]:
        """Quantity ordered per offer SKU."""
        out: dict[str, int] = {}
        for line in self.lines:
            out[line.offer_sku] = out.get(line.offer_sku, 0) + line.quantity
        return out

    def packing_differences(self, boxes: list[Box]) -> list[str]:
        """One line a person can act on per SKU whose packed units differ from the ordered ones,
        e.g. "box 1: FILM-001 packed 2, ordered 1"; empty when the boxes hold the order."""
        where: dict[str, list[int]] = {}
        packed: dict[str, int] = {}
        for box in boxes:
            for line in box.lines:
                where.setdefault(line.offer_sku, []).append(box.number)
                packed[line.offer_sku] = packed.get(line.offer_sku, 0) + line.quantity
        ordered = self.units()
        out: list[str] = []
        for sku in sorted(set(ordered) | set(packed)):
            have, want = packed.get(sku, 0), ordered.get(sku, 0)
            if have == want:
                continue
            boxes_of = ", ".join(f"box {n}" for n in sorted(set(where.get(sku, []))))
            if not have:
                out.append(f"{sku}: ordered {want}, packed in no box")
            elif not want:
                out.append(f"{boxes_of}: {sku} packed {have}, not ordered")
            else:
                out.append(f"{boxes_of}: {sku} packed {have}, ordered {want}")
        return out
