"""Fulfilment (FBS): confirm where needed, pack into boxes, labels, hand-over, cancel."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from marketbridge.channels.roles.orders import RemoteOrder
from marketbridge.model import Label, LabelFormat, LineMeta


class HandOver(StrEnum):
    """How parcels are handed to the marketplace's carrier."""

    ACT = "act"  # a transfer act (a carriage) per warehouse and day
    SUPPLY = "supply"  # a supply that collects orders and is delivered as a whole
    SHIPMENT = "shipment"  # a first-mile shipment confirmed by the seller


@dataclass(frozen=True)
class PackLine:
    external_offer_id: str
    quantity: int
    marking_codes: tuple[str, ...] = ()
    meta: LineMeta = field(default_factory=LineMeta)  # UIN, IMEI, GTIN, expiry date


@dataclass(frozen=True)
class PackBox:
    number: int
    lines: tuple[PackLine, ...]


@dataclass
class PackResult:
    """Shipments made by packing.

    Optional part: `box_shipments` where the marketplace makes one shipment per box (box
    number -> shipment id); otherwise every box belongs to the first of `shipment_ids`.
    """

    shipment_ids: list[str]
    box_shipments: dict[int, str] = field(default_factory=dict)


@dataclass
class HandOverResult:
    external_id: str
    document: bytes | None = None  # the act / supply barcode, as a document when there is one
    document_format: LabelFormat | None = None


class OrderConfirmer(Protocol):
    """For marketplaces where a new order must be confirmed (accepted) by a call before packing.

    The whole order is passed so a marketplace that confirms item by item has the lines.
    """

    async def confirm(self, order: RemoteOrder) -> None: ...


class Fulfilment(Protocol):
    """The FBS path after an order is taken.

    `multi_box`: one order may be packed into several boxes, each labelled;
    `hand_over_by`: how parcels reach the carrier; `label_formats`: the formats `labels`
    can give.
    """

    multi_box: bool
    hand_over_by: HandOver
    label_formats: frozenset[LabelFormat]

    async def pack(self, order: RemoteOrder, boxes: Sequence[PackBox]) -> PackResult: ...

    async def labels(self, shipment_ids: Sequence[str], fmt: LabelFormat) -> list[Label]:
        """Labels per shipment; raises TransientError while they are not ready yet."""
        ...

    async def hand_over(self, shipment_ids: Sequence[str]) -> HandOverResult: ...

    async def cancel(self, external_id: str, reason: str) -> None: ...
