"""The first-mile shipment's spreadsheets: the transportation waybill and the discrepancy act.

Both are answered as `application/vnd.ms-excel`, as the description declares them; the
workbook inside is an Office Open XML one (what Excel writes today). The waybill exists for a
shipment Market collects from the seller's warehouse (`WITHDRAW`) once it is confirmed (the
description: none when the seller brings the goods to a pick-up point or sorting centre);
the discrepancy act once the shipment was accepted with discrepancies. `waybill_error` and
`discrepancy_error` say why a shipment has no such document (400).
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from openpyxl import Workbook

from marketbridge.sandbox.yandex_market.orders import Shipment

MEDIA_TYPE = "application/vnd.ms-excel"
#: Statuses of a shipment handed over (confirmed or later, but not failed).
HANDED_OVER = frozenset(
    {"OUTBOUND_CONFIRMED", "OUTBOUND_SIGNED", "ACCEPTED", "ACCEPTED_WITH_DISCREPANCIES", "FINISHED"}
)


def waybill_error(shipment: Shipment) -> str | None:
    if shipment.shipment_type != "WITHDRAW":
        return (
            f"Shipment {shipment.id} is brought by the seller ({shipment.shipment_type}): it has no waybill"
        )
    if shipment.status not in HANDED_OVER:
        return f"Shipment {shipment.id} is {shipment.status}: the waybill exists once it is confirmed"
    return None


def discrepancy_error(shipment: Shipment) -> str | None:
    if not shipment.discrepancies:
        return f"Shipment {shipment.id} is {shipment.status}: it was not accepted with discrepancies"
    return None


def actions(shipment: Shipment) -> list[str]:
    """The ShipmentActionTypes of a shipment as it stands."""
    found = ["CONFIRM"] if shipment.status == "OUTBOUND_CREATED" else []
    found.append("DOWNLOAD_ACT")
    if waybill_error(shipment) is None:
        found.append("DOWNLOAD_TRANSPORTATION_WAYBILL")
    if discrepancy_error(shipment) is None:
        found.append("DOWNLOAD_DISCREPANCY_ACT")
    return found


def workbook(title: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
    """One sheet: the title line, the header and the rows."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title[:31]
    sheet.append([title])
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def waybill(shipment: Shipment) -> bytes:
    rows = [(n, order_id, shipment.day.isoformat()) for n, order_id in enumerate(shipment.order_ids, start=1)]
    return workbook(f"Waybill {shipment.id}", ("No", "Order", "Collected on"), rows)


def discrepancy_act(shipment: Shipment) -> bytes:
    rows = [
        (
            order_id,
            1,
            0 if order_id in shipment.missing else 1,
            "not received" if order_id in shipment.missing else "",
        )
        for order_id in shipment.order_ids
    ]
    return workbook(f"Discrepancy act {shipment.id}", ("Order", "Planned", "Accepted", "Discrepancy"), rows)
