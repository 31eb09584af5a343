"""FBS fulfilment on Yandex Market: confirming an order (READY_TO_SHIP), boxes and labels.

Market does not take an FBS order by a call of its own: the seller confirms it by moving it
from PROCESSING/STARTED to PROCESSING/READY_TO_SHIP with the status update of its campaign
(`PUT /v2/campaigns/{campaignId}/orders/{orderId}/status`). The order's campaign is read from
the business-level order list (the hub keeps the order, not its shop).

Packing lays the order out in boxes (`PUT .../orders/{orderId}/boxes`): each line names the
order item of its offer with its count, and its marking codes as the items' `instances`
(`cis`). A box's shipment id in the hub is its fulfilment id `{orderId}-{number}`, which its
label encodes. Packing a new order also moves it to READY_TO_SHIP (packed). Market checks
marking codes asynchronously and lets an order with items that require them reach
READY_TO_SHIP only once every code passed: packing such an order reads the check
(`POST .../identifiers/status`) until every code is OK (`MARKING_PATIENCE`; a code still
in the check then is TransientError, and packing again resends the same codes, whose
check Market keeps), and refuses the codes that did not pass; confirming such an order
before its codes are in leaves the move to packing. Labels are read
per order (`GET .../delivery/labels`, format A7: a page a box, in box order) and cut into one
PDF per box. Hand-over confirms the first-mile shipments that hold the orders (found by
`PUT .../first-mile/shipments` over the days around today); their acts are the document.
Cancelling is the status update to CANCELLED/SHOP_FAILED.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from marketbridge.channels.errors import BadResponse, NotSupported, RequestRejected, TransientError
from marketbridge.channels.roles import (
    HandOver,
    HandOverResult,
    PackBox,
    PackLine,
    PackResult,
    RemoteOrder,
)
from marketbridge.channels.waiting import attempts
from marketbridge.channels.yandex_market import endpoints as ep
from marketbridge.channels.yandex_market.client import KIND, field, int_of, rows
from marketbridge.channels.yandex_market.orders import YmOrders
from marketbridge.model import Label, LabelFormat
from marketbridge.runtime.pdf import merge_pdfs, page_files

READY_TO_SHIP = {"status": "PROCESSING", "substatus": "READY_TO_SHIP"}
SHOP_FAILED = {"status": "CANCELLED", "substatus": "SHOP_FAILED"}
#: Days either side of today searched for the shipments that hold the orders handed over.
SHIPMENT_DAYS = 7
LABEL_QUERY = {"format": "A7"}
#: How long packing waits for Market's check of the marking codes.
MARKING_PATIENCE = 60.0
#: Check results after which a code will not pass (CisStatusType).
CODE_REFUSED = frozenset({"INVALID", "FAILED", "NOT_ON_VALIDATION"})


def needs_codes(raw: dict[str, Any]) -> bool:
    """Whether an order has items that require marking codes (`requiredInstanceTypes`)."""
    return any(i.get("requiredInstanceTypes") for i in rows(raw, "items"))


def order_path(raw: dict[str, Any]) -> dict[str, Any]:
    """The campaign-scoped path parameters of a BusinessOrderDTO."""
    return {
        "campaignId": int_of(field(raw, "campaignId"), "campaign id"),
        "orderId": int_of(field(raw, "orderId"), "order id"),
    }


def order_of(shipment_id: str) -> str:
    """The order id of a box's fulfilment id `{orderId}-{number}`."""
    order_id, _, number = shipment_id.partition("-")
    if not order_id.isdigit() or not number.isdigit():
        raise RequestRejected(f"{KIND}: {shipment_id!r} is not a box of an order (orderId-number)")
    return order_id


def box_item(raw: dict[str, Any], line: PackLine) -> dict[str, Any]:
    """The OrderBoxLayoutItemDTO of a box line: the order item of its offer, count and codes."""
    found = [i for i in rows(raw, "items") if str(i.get("offerId")) == line.external_offer_id]
    if not found:
        raise RequestRejected(f"{KIND}: offer {line.external_offer_id} is not in order {raw.get('orderId')}")
    item: dict[str, Any] = {"id": int_of(field(found[0], "id"), "item id"), "fullCount": line.quantity}
    if line.marking_codes:
        if len(line.marking_codes) != line.quantity:
            raise RequestRejected(
                f"{KIND}: {len(line.marking_codes)} marking codes for {line.quantity} of "
                f"{line.external_offer_id}: one a unit"
            )
        item["instances"] = [{"cis": code} for code in line.marking_codes]
    return item


class YmFulfilment(YmOrders):
    """OrderConfirmer and Fulfilment."""

    multi_box = True
    hand_over_by = HandOver.SHIPMENT
    label_formats = frozenset({LabelFormat.PDF})

    async def confirm(self, order: RemoteOrder) -> None:
        raw = await self.raw_order(order.external_id)
        pair = (raw.get("status"), raw.get("substatus"))
        if pair == (READY_TO_SHIP["status"], READY_TO_SHIP["substatus"]):
            return  # confirmed already (a repeat after a lost answer)
        if pair != ("PROCESSING", "STARTED"):
            raise RequestRejected(
                f"{KIND}: order {order.external_id} is {pair[0]}/{pair[1]}: it cannot be confirmed"
            )
        if needs_codes(raw):
            return  # READY_TO_SHIP needs the checked marking codes: packing makes the move
        await self.api.call(ep.ORDER_STATUS, path=order_path(raw), body={"order": READY_TO_SHIP})

    async def pack(self, order: RemoteOrder, boxes: Sequence[PackBox]) -> PackResult:
        if not boxes:
            raise RequestRejected(f"{KIND}: at least one box is needed")
        raw = await self.raw_order(order.external_id)
        body = {"boxes": [{"items": [box_item(raw, line) for line in box.lines]} for box in boxes]}
        answer = await self.api.call(ep.ORDER_BOXES, path=order_path(raw), body=body)
        laid = rows(answer, "result", "boxes")
        if len(laid) != len(boxes):
            raise BadResponse(f"{KIND}: {len(laid)} boxes laid out for {len(boxes)} sent")
        if (raw.get("status"), raw.get("substatus")) == ("PROCESSING", "STARTED"):
            if any(line.marking_codes for box in boxes for line in box.lines):
                await self.codes_checked(order_path(raw))
            await self.api.call(ep.ORDER_STATUS, path=order_path(raw), body={"order": READY_TO_SHIP})
        ids = {box.number: f"{order.external_id}-{n}" for n, box in enumerate(boxes, start=1)}
        return PackResult(shipment_ids=list(ids.values()), box_shipments=ids)

    async def codes_checked(self, path: dict[str, Any]) -> None:
        """Wait until Market's check passed every marking code of the order; RequestRejected
        for a code that did not pass, TransientError when the check takes too long."""
        async for _ in attempts(MARKING_PATIENCE):
            answer = await self.api.call(ep.ORDER_IDENTIFIERS_STATUS, path=path)
            codes = [c for item in rows(answer, "result", "items") for c in item.get("cis") or []]
            refused = [c for c in codes if c.get("status") in CODE_REFUSED]
            if refused:
                said = ", ".join(
                    f"{c.get('value')!r}: {c.get('status')} {c.get('substatus') or ''}" for c in refused
                )
                raise RequestRejected(f"{KIND}: order {path['orderId']}: marking codes refused: {said}")
            if all(c.get("status") == "OK" for c in codes):
                return
        raise TransientError(f"{KIND}: order {path['orderId']}: marking codes are still being checked")

    async def labels(self, shipment_ids: Sequence[str], fmt: LabelFormat) -> list[Label]:
        if fmt not in self.label_formats:
            raise NotSupported(f"{KIND}: labels come as PDF only, not {fmt}")
        pages: dict[str, bytes] = {}
        for order_id in dict.fromkeys(order_of(s) for s in shipment_ids):
            raw = await self.raw_order(order_id)
            content = await self.api.document(ep.ORDER_LABELS, path=order_path(raw), query=LABEL_QUERY)
            try:
                files = page_files(content)
            except ValueError as exc:
                raise BadResponse(f"{KIND}: the labels of order {order_id}: {exc}") from exc
            pages.update({f"{order_id}-{n}": page for n, page in enumerate(files, start=1)})
        missing = [s for s in shipment_ids if s not in pages]
        if missing:
            raise BadResponse(f"{KIND}: no label for boxes {', '.join(missing)}")
        return [Label(shipment_id=s, format=fmt, content=pages[s], filename=f"{s}.pdf") for s in shipment_ids]

    async def hand_over(self, shipment_ids: Sequence[str]) -> HandOverResult:
        held: dict[int, int] = {}  # shipment id -> campaign id
        today = datetime.now(UTC).date()
        dates = {
            "dateFrom": str(today - timedelta(SHIPMENT_DAYS)),
            "dateTo": str(today + timedelta(SHIPMENT_DAYS)),
        }
        for order_id in dict.fromkeys(order_of(s) for s in shipment_ids):
            campaign = order_path(await self.raw_order(order_id))["campaignId"]
            answer = await self.api.call(
                ep.SHIPMENTS, path={"campaignId": campaign}, body={**dates, "orderIds": [int(order_id)]}
            )
            found = rows(answer, "result", "shipments")
            if not found:
                raise TransientError(f"{KIND}: order {order_id} is in no first-mile shipment yet")
            held.update({int_of(field(f, "id"), "shipment id"): campaign for f in found})
        acts = []
        for shipment, campaign in held.items():
            path = {"campaignId": campaign, "shipmentId": shipment}
            answer = await self.api.call(ep.SHIPMENTS, path={"campaignId": campaign}, body=dates)
            statuses = {f.get("id"): f.get("status") for f in rows(answer, "result", "shipments")}
            if statuses.get(shipment) == "OUTBOUND_CREATED":
                await self.api.call(ep.SHIPMENT_CONFIRM, path=path, body={})
            acts.append(await self.api.document(ep.SHIPMENT_ACT, path=path))
        return HandOverResult(
            external_id=",".join(str(s) for s in held),
            document=merge_pdfs(acts),
            document_format=LabelFormat.PDF,
        )

    async def cancel(self, external_id: str, reason: str) -> None:
        raw = await self.raw_order(external_id)
        if raw.get("status") == "CANCELLED":
            return
        await self.api.call(ep.ORDER_STATUS, path=order_path(raw), body={"order": SHOP_FAILED})
