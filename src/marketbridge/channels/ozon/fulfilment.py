"""FBS fulfilment on Ozon: marking codes, packing into boxes, labels and the hand-over act.

Packing sends one package per box to /v4/posting/fbs/ship; Ozon splits the posting and
answers the posting numbers in package order, so box N gets the N-th number. Marking codes
go first through the exemplar methods (create-or-get the exemplar ids, set the marks, wait
for `ship_available`). Labels come from the task pair (/v3 create, /v2 get) and are split
into one PDF per posting; the act is a carriage created and approved, then its PDF.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from pypdf import PdfReader, PdfWriter
from pypdf.errors import PdfReadError

from marketbridge.channels.batching import batched
from marketbridge.channels.errors import BadResponse, RequestRejected, TransientError
from marketbridge.channels.ozon import endpoints as api
from marketbridge.channels.ozon.client import OzonApi
from marketbridge.channels.ozon.mapping import delivery_method_id, items, obj
from marketbridge.channels.roles import HandOverResult, PackBox, PackResult, RemoteOrder
from marketbridge.channels.waiting import attempts
from marketbridge.model import Label, LabelFormat

EXEMPLAR_CHECKS = 10
POLL_SECONDS = 0.5
#: How long one label request waits for its task. Labels are printable 45-60 s after
#: shipping: the sync layer asks again with growing pauses (sync/fulfilment.py, about a minute),
#: so one request stays short and the whole wait stays bounded.
LABEL_PATIENCE = 5.0
#: A 200 from ship is not the ship: re-check the postings for this long until they leave
#: awaiting_packaging (shipped) or show substatus ship_failed.
SHIP_PATIENCE = 60.0
#: An approved carriage's documents are formed asynchronously: wait this long for FORMED.
ACT_PATIENCE = 120.0
MAX_PAUSE = 5.0
SHIP_FAILED = "ship_failed"
#: The digital act states after which its documents can be fetched.
ACT_FORMED = frozenset({"FORMED", "CONFIRMED", "CONFIRMED_WITH_MISMATCH"})


async def set_marking_codes(ozon: OzonApi, posting_number: str, boxes: Sequence[PackBox]) -> None:
    """Send the marking codes of the boxes' lines, if any, and wait until Ozon accepts them."""
    codes: dict[str, list[str]] = {}
    for box in boxes:
        for line in box.lines:
            if line.marking_codes:
                codes.setdefault(line.external_offer_id, []).extend(line.marking_codes)
    if not codes:
        return
    current = await ozon.call(api.EXEMPLAR_CREATE_OR_GET, {"posting_number": posting_number})
    products = []
    for product in items(current.get("products"), "exemplar products"):
        sku = str(product.get("product_id"))
        marks = codes.get(sku)
        if not marks:
            continue
        exemplars = items(product.get("exemplars"), "exemplars")
        if len(marks) > len(exemplars):
            raise RequestRejected(
                f"ozon: {len(marks)} marking codes for SKU {sku}, the posting has {len(exemplars)}"
            )
        products.append(
            {
                "product_id": int(sku),
                "exemplars": [
                    {
                        "exemplar_id": ex.get("exemplar_id"),
                        "is_gtd_absent": True,
                        "is_rnpt_absent": True,
                        "marks": [{"mark": mark, "mark_type": "mandatory_mark"}],
                    }
                    for ex, mark in zip(exemplars, marks, strict=False)
                ],
            }
        )
    unknown = set(codes) - {str(p["product_id"]) for p in products}
    if unknown:
        raise RequestRejected(
            f"ozon: marking codes for SKUs not in {posting_number}: {', '.join(sorted(unknown))}"
        )
    await ozon.call(
        api.EXEMPLAR_SET, {"posting_number": posting_number, "multi_box_qty": 1, "products": products}
    )
    for attempt in range(EXEMPLAR_CHECKS):
        status = await ozon.call(api.EXEMPLAR_STATUS, {"posting_number": posting_number})
        state = str(status.get("status") or "")
        if state == "ship_available":
            return
        if state == "ship_not_available":
            raise RequestRejected(f"ozon: marking codes of {posting_number} were not accepted")
        if attempt < EXEMPLAR_CHECKS - 1:
            await asyncio.sleep(POLL_SECONDS)
    raise TransientError(f"ozon: marking codes of {posting_number} are still being checked")


async def pack(ozon: OzonApi, order: RemoteOrder, boxes: Sequence[PackBox]) -> PackResult:
    if not boxes:
        raise RequestRejected("ozon: at least one box is needed")
    await set_marking_codes(ozon, order.external_id, boxes)
    packages = [
        {
            "products": [
                {"product_id": int(line.external_offer_id), "quantity": line.quantity} for line in box.lines
            ]
        }
        for box in boxes
    ]
    answer = await ozon.call(
        api.SHIP,
        {"posting_number": order.external_id, "packages": packages, "with": {"additional_data": False}},
    )
    numbers = answer.get("result")
    if (
        not isinstance(numbers, list)
        or len(numbers) != len(boxes)
        or not all(isinstance(n, str) for n in numbers)
    ):
        raise BadResponse(f"ozon: ship of {order.external_id} answered {str(numbers)[:200]}")
    await confirm_shipped(ozon, numbers)
    return PackResult(
        shipment_ids=list(numbers), box_shipments={b.number: n for b, n in zip(boxes, numbers, strict=True)}
    )


async def confirm_shipped(ozon: OzonApi, numbers: Sequence[str]) -> None:
    """Re-read the postings a ship answered until each has left awaiting_packaging; a posting
    that shows substatus ship_failed was not shipped (RequestRejected)."""
    waiting = list(numbers)
    async for _ in attempts(SHIP_PATIENCE, POLL_SECONDS, MAX_PAUSE):
        still: list[str] = []
        for number in waiting:
            answer = await ozon.call(api.POSTING_GET, {"posting_number": number})
            posting = obj(answer.get("result"), f"posting {number}")
            if posting.get("substatus") == SHIP_FAILED:
                raise RequestRejected(f"ozon: the ship of {number} failed (substatus {SHIP_FAILED})")
            if posting.get("status") == "awaiting_packaging":
                still.append(number)
        waiting = still
        if not waiting:
            return
    raise TransientError(f"ozon: the ship of {', '.join(waiting)} is still being processed")


def split_pages(content: bytes, numbers: Sequence[str]) -> list[Label]:
    """One single-page PDF label per posting, from a PDF with one page per posting."""
    try:
        reader = PdfReader(io.BytesIO(content))
        pages = list(reader.pages)
    except (PdfReadError, ValueError, OSError) as exc:
        raise BadResponse(f"ozon: the label file is not a readable PDF: {exc}") from exc
    if len(pages) != len(numbers):
        raise BadResponse(f"ozon: {len(pages)} label pages for {len(numbers)} postings")
    labels = []
    for number, page in zip(numbers, pages, strict=True):
        writer = PdfWriter()
        writer.add_page(page)
        out = io.BytesIO()
        writer.write(out)
        labels.append(
            Label(
                shipment_id=number, format=LabelFormat.PDF, content=out.getvalue(), filename=f"{number}.pdf"
            )
        )
    return labels


async def labels(ozon: OzonApi, numbers: Sequence[str]) -> list[Label]:
    out: list[Label] = []
    for batch in batched(numbers, api.MAX_LABELS):
        chunk = list(batch)
        created = await ozon.call(api.LABEL_CREATE, {"posting_numbers": chunk})
        tasks = items(created.get("tasks"), "label tasks")
        task = next((t for t in tasks if t.get("task_type") == "big_label"), tasks[0] if tasks else None)
        if task is None or not task.get("task_id"):
            raise BadResponse("ozon: the label task was not created")
        url = await _label_url(ozon, task["task_id"])
        out.extend(split_pages(await ozon.download(url), chunk))
    return out


async def _label_url(ozon: OzonApi, task_id: Any) -> str:
    async for _ in attempts(LABEL_PATIENCE, POLL_SECONDS, MAX_PAUSE):
        answer = await ozon.call(api.LABEL_GET, {"task_id": task_id})
        status = answer.get("status")
        code = str(status.get("code") or "") if isinstance(status, Mapping) else str(status or "")
        url = answer.get("file_url")
        if code == "completed" and isinstance(url, str) and url:
            return url
        if code == "error":
            error = answer.get("error")
            raise RequestRejected(f"ozon: labels were not made: {str(error)[:200]}")
    raise TransientError("ozon: labels are not ready yet")


#: The substatus of a posting that a carriage (the day's act) includes already.
IN_CARRIAGE = "posting_in_carriage"


async def hand_over(ozon: OzonApi, numbers: Sequence[str]) -> HandOverResult:
    """A carriage per delivery method of the given postings, approved, with its act as PDF."""
    if not numbers:
        raise RequestRejected("ozon: no postings to hand over")
    methods: list[int] = []
    for number in numbers:
        answer = await ozon.call(api.POSTING_GET, {"posting_number": number})
        posting = obj(answer.get("result"), f"posting {number}")
        if posting.get("substatus") == IN_CARRIAGE or posting.get("status") != "awaiting_deliver":
            continue  # a carriage made for other postings of the day took it already
        method = delivery_method_id(posting)
        if method not in methods:
            methods.append(method)
    if not methods:
        return HandOverResult(external_id=IN_CARRIAGE)
    carriage_ids: list[str] = []
    writer = PdfWriter()
    today = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    for method in methods:
        created = await ozon.call(
            api.CARRIAGE_CREATE, {"delivery_method_id": method, "departure_date": today}
        )
        carriage_id = created.get("carriage_id")
        if not isinstance(carriage_id, int) or isinstance(carriage_id, bool):
            raise BadResponse("ozon: carriage/create answered no carriage_id")
        await ozon.call(api.CARRIAGE_APPROVE, {"carriage_id": carriage_id, "containers_count": 1})
        await wait_act_formed(ozon, carriage_id)
        content = await ozon.call_pdf(api.ACT_PDF, {"id": carriage_id, "doc_type": "act_of_acceptance"})
        try:
            writer.append(PdfReader(io.BytesIO(content)))
        except (PdfReadError, ValueError, OSError) as exc:
            raise BadResponse(f"ozon: the act of carriage {carriage_id} is not a readable PDF") from exc
        carriage_ids.append(str(carriage_id))
    out = io.BytesIO()
    writer.write(out)
    return HandOverResult(
        external_id=",".join(carriage_ids), document=out.getvalue(), document_format=LabelFormat.PDF
    )


async def wait_act_formed(ozon: OzonApi, carriage_id: int) -> None:
    """Wait until the carriage's documents are formed; they cannot be fetched before."""
    async for _ in attempts(ACT_PATIENCE, POLL_SECONDS, MAX_PAUSE):
        answer = await ozon.call(api.DIGITAL_ACT_STATUS, {"id": carriage_id})
        status = str(answer.get("status") or "")
        if status in ACT_FORMED:
            return
        if status in ("NOT_FOUND", "UNKNOWN_ERROR"):
            raise RequestRejected(f"ozon: the act of carriage {carriage_id} was not formed: {status}")
    raise TransientError(f"ozon: the act of carriage {carriage_id} is still being formed")
