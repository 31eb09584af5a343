"""Seller API methods that hand out documents: package labels and the hand-over (carriage, act).

Labels are real PDFs with one page per posting asked for: synchronously from
/v2/posting/fbs/package-label, or as tasks (/v3 create + /v2 get, and the older v2/v1 pair)
whose file is served from the sandbox as the CDN would serve it. A carriage collects the
postings awaiting delivery of one delivery method; its act is a PDF listing them.
"""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from marketbridge.channels.ozon import endpoints as api
from marketbridge.sandbox.common.documents import pdf_pages
from marketbridge.sandbox.ozon.backend import OzonBackend
from marketbridge.sandbox.ozon.errors import bad_request, not_found
from marketbridge.sandbox.ozon.requests import get_int, get_list, get_time, read_body
from marketbridge.sandbox.ozon.routing import Route, router_of
from marketbridge.sandbox.ozon.state import Carriage, LabelTask, now

LABEL_READY = frozenset({"awaiting_deliver", "delivering", "driver_pickup", "sent_by_seller", "delivered"})
FILES_PATH = "/_sandbox/files/labels"


def labels_pending(backend: OzonBackend, numbers: list[str]) -> list[str]:
    """Postings whose labels cannot be printed yet; refuses unknown and unpacked postings."""
    state = backend.state
    missing = [n for n in numbers if n not in state.postings]
    if missing:
        raise not_found(f"POSTING_NOT_FOUND: {', '.join(missing)}")
    not_packed = [n for n in numbers if state.postings[n].status not in LABEL_READY]
    if not_packed:
        raise bad_request(f"The next postings aren't ready: {', '.join(not_packed)}")
    ready_after = now() - timedelta(seconds=backend.label_wait())
    return [n for n in numbers if (state.postings[n].packed_at or ready_after) > ready_after]


def label_pdf(backend: OzonBackend, numbers: list[str]) -> bytes:
    """One label page per posting; refuses postings that are not packed, or packed too recently."""
    state = backend.state
    pending = labels_pending(backend, numbers)
    if pending:
        raise bad_request(f"The next postings aren't ready: {', '.join(pending)}")
    pages = []
    for n in numbers:
        p = state.postings[n]
        lines = [n, f"OZON FBS  order {p.order_number}", f"warehouse {p.warehouse_id}"]
        lines += [f"SKU {line.sku} x {line.quantity}  {line.offer_id}"[:60] for line in p.lines]
        lines.append(f"ship by {p.shipment_date.astimezone(UTC):%Y-%m-%d %H:%M} UTC")
        pages.append(lines)
    return pdf_pages(pages, size_mm=(75, 120))  # Ozon's label: 75×120 mm, Code 128 of the posting number


def _pdf(content: bytes, name: str) -> Response:
    return Response(
        content=content,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _numbers(data: dict[str, Any], name: str) -> list[str]:
    numbers = [str(n) for n in get_list(data, name) if str(n)]
    if not numbers:
        raise bad_request(f"{name}: at least one posting number is required")
    return numbers


def act_pdf(backend: OzonBackend, carriage: Carriage) -> bytes:
    header = [
        f"ACT / carriage {carriage.carriage_id}",
        f"delivery method {carriage.delivery_method_id}",
        f"departure {carriage.departure_date.astimezone(UTC):%Y-%m-%d}",
        f"postings: {len(carriage.posting_numbers)}",
    ]
    pages = [
        header + carriage.posting_numbers[i : i + 12] for i in range(0, len(carriage.posting_numbers), 12)
    ]
    return pdf_pages(
        pages or [header], size_mm=(210, 297), codes=[str(carriage.carriage_id)] * max(1, len(pages)), dpi=150
    )


async def package_label(backend: OzonBackend, request: Request) -> Response:
    data = await read_body(request)
    numbers = _numbers(data, "posting_number")
    if len(numbers) > api.MAX_LABELS:
        raise bad_request(f"posting_number: at most {api.MAX_LABELS} postings per request")
    with backend.state.lock:
        content = label_pdf(backend, numbers)
    return _pdf(content, f"ticket-{numbers[0]}.pdf")


def new_tasks(backend: OzonBackend, numbers: list[str], kinds: tuple[str, ...]) -> list[dict[str, Any]]:
    labels_pending(backend, numbers)  # refuse now what could never be printed
    tasks = []
    for kind in kinds:
        task = LabelTask(backend.state.next_id() + 5_800_000_000, kind, numbers, now())
        backend.state.label_tasks[task.task_id] = task
        tasks.append({"task_id": task.task_id, "task_type": kind})
    return tasks


async def label_create_v3(backend: OzonBackend, request: Request) -> dict[str, Any]:
    data = await read_body(request)
    with backend.state.lock:
        return {"tasks": new_tasks(backend, _numbers(data, "posting_numbers"), ("big_label", "small_label"))}


async def label_create_v2(backend: OzonBackend, request: Request) -> dict[str, Any]:
    data = await read_body(request)
    with backend.state.lock:
        return {
            "result": {
                "tasks": new_tasks(backend, _numbers(data, "posting_number"), ("big_label", "small_label"))
            }
        }


async def label_create_v1(backend: OzonBackend, request: Request) -> dict[str, Any]:
    data = await read_body(request)
    with backend.state.lock:
        tasks = new_tasks(backend, _numbers(data, "posting_number"), ("big_label",))
    return {"result": {"task_id": tasks[0]["task_id"]}}


def task_of(backend: OzonBackend, data: dict[str, Any]) -> LabelTask:
    task_id = get_int(data, "task_id")
    task = backend.state.label_tasks.get(task_id)
    if task is None:
        raise not_found(f"task {task_id} not found")
    return task


async def _asked_task(backend: OzonBackend, request: Request) -> tuple[LabelTask, str, list[str]]:
    """The label task a get method asks for, its file URL and the postings not printable yet."""
    task = task_of(backend, await read_body(request))
    url = f"{str(request.base_url).rstrip('/')}{FILES_PATH}/{task.task_id}.pdf"
    with backend.state.lock:
        return task, url, labels_pending(backend, task.posting_numbers)


async def label_get_v2(backend: OzonBackend, request: Request) -> dict[str, Any]:
    task, url, pending = await _asked_task(backend, request)
    if pending:
        return {
            "status": {
                "code": "in_progress",
                "postings_count": len(task.posting_numbers),
                "printed_postings_count": len(task.posting_numbers) - len(pending),
                "unprinted_postings": [],
            }
        }
    return {
        "file_url": url,
        "status": {
            "code": "completed",
            "postings_count": len(task.posting_numbers),
            "printed_postings_count": len(task.posting_numbers),
            "unprinted_postings": [],
        },
    }


async def label_get_v1(backend: OzonBackend, request: Request) -> dict[str, Any]:
    _task, url, pending = await _asked_task(backend, request)
    if pending:
        return {"result": {"status": "in_progress", "file_url": "", "error": ""}}
    return {
        "result": {
            "status": "completed",
            "file_url": url,
            "error": "",
        }
    }


# --- hand-over ---------------------------------------------------------------------


def carriage_of(backend: OzonBackend, carriage_id: int) -> Carriage:
    carriage = backend.state.carriages.get(carriage_id)
    if carriage is None:
        raise not_found(f"carriage {carriage_id} not found")
    return carriage


async def carriage_create(backend: OzonBackend, request: Request) -> dict[str, Any]:
    data = await read_body(request)
    with backend.state.lock:
        carriage = backend.shop.new_carriage(
            get_int(data, "delivery_method_id"), get_time(data, "departure_date")
        )
    return {"carriage_id": carriage.carriage_id}


async def carriage_approve(backend: OzonBackend, request: Request) -> dict[str, Any]:
    data = await read_body(request)
    with backend.state.lock:
        carriage = carriage_of(backend, get_int(data, "carriage_id"))
        if carriage.status != "new":
            raise bad_request(f"carriage {carriage.carriage_id} is {carriage.status} already")
        start_forming(backend, carriage)
        carriage.containers_count = get_int(data, "containers_count", default=0)
    return {}


def start_forming(backend: OzonBackend, carriage: Carriage) -> None:
    """The carriage's documents are formed asynchronously: FORMING, then FORMED."""
    carriage.status = "FORMING"
    carriage.formed_at = now() + timedelta(seconds=backend.act_forming())
    backend.state.forming.add(carriage.carriage_id)
    carriage.settle()


async def carriage_get(backend: OzonBackend, request: Request) -> dict[str, Any]:
    data = await read_body(request)
    carriage = carriage_of(backend, get_int(data, "carriage_id"))
    return {
        "carriage_id": carriage.carriage_id,
        "delivery_method_id": carriage.delivery_method_id,
        "departure_date": carriage.departure_date.isoformat(),
        "status": carriage.status.lower(),
        "containers_count": carriage.containers_count,
    }


async def act_create(backend: OzonBackend, request: Request) -> dict[str, Any]:
    data = await read_body(request)
    with backend.state.lock:
        carriage = backend.shop.new_carriage(
            get_int(data, "delivery_method_id"), get_time(data, "departure_date")
        )
        start_forming(backend, carriage)
    return {"result": {"id": carriage.carriage_id}}


async def act_status(backend: OzonBackend, request: Request) -> dict[str, Any]:
    carriage = carriage_of(backend, get_int(await read_body(request), "id"))
    return {
        "result": {
            "act_type": "ozon_digital",
            "status": "ready" if carriage.status == "FORMED" else "in_process",
            "added_to_act": carriage.posting_numbers,
            "removed_from_act": [],
            "is_partial": False,
            "has_postings_for_next_carriage": False,
            "partial_num": 0,
        },
    }


async def digital_act_status(backend: OzonBackend, request: Request) -> dict[str, Any]:
    carriage = carriage_of(backend, get_int(await read_body(request), "id"))
    # the enum of the description: FORMING, FORMED, CONFIRMED, CONFIRMED_WITH_MISMATCH, NOT_FOUND,
    # UNKNOWN_ERROR; an unapproved carriage has no documents yet
    status = carriage.status if carriage.status in ("FORMING", "FORMED") else "NOT_FOUND"
    return {"id": carriage.carriage_id, "status": status}


async def act_get_pdf(backend: OzonBackend, request: Request) -> Response:
    data = await read_body(request)
    with backend.state.lock:
        carriage = carriage_of(backend, get_int(data, "id"))
        if carriage.status != "FORMED":
            state = "being formed" if carriage.status == "FORMING" else "not approved yet"
            raise bad_request(f"the documents of carriage {carriage.carriage_id} are {state}")
        content = act_pdf(backend, carriage)
    return _pdf(content, f"act-{carriage.carriage_id}.pdf")


async def act_postings(backend: OzonBackend, request: Request) -> dict[str, Any]:
    data = await read_body(request)
    carriage = carriage_of(backend, get_int(data, "id"))
    with backend.state.lock:
        return {
            "result": [
                {
                    "id": i + 1,
                    "multi_box_qty": 1,
                    "posting_number": n,
                    "status": backend.state.postings[n].status,
                    "seller_error": "",
                    "updated_at": backend.state.postings[n].status_changed_at.isoformat(),
                    "created_at": backend.state.postings[n].in_process_at.isoformat(),
                    "products": [
                        {
                            "name": line.name,
                            "offer_id": line.offer_id,
                            "price": str(line.price),
                            "quantity": line.quantity,
                            "sku": line.sku,
                        }
                        for line in backend.state.postings[n].lines
                    ],
                }
                for i, n in enumerate(carriage.posting_numbers)
            ]
        }


ROUTES: tuple[Route, ...] = (
    (api.LABEL_PDF, package_label),
    (api.LABEL_CREATE, label_create_v3),
    (api.LABEL_CREATE_V2, label_create_v2),
    (api.LABEL_CREATE_V1, label_create_v1),
    (api.LABEL_GET, label_get_v2),
    (api.LABEL_GET_V1, label_get_v1),
    (api.CARRIAGE_CREATE, carriage_create),
    (api.CARRIAGE_APPROVE, carriage_approve),
    (api.CARRIAGE_GET, carriage_get),
    (api.ACT_CREATE, act_create),
    (api.ACT_STATUS, act_status),
    (api.DIGITAL_ACT_STATUS, digital_act_status),
    (api.ACT_PDF_PAPER, act_get_pdf),
    (api.ACT_PDF, act_get_pdf),
    (api.ACT_POSTINGS, act_postings),
)


def documents_router(backend: OzonBackend) -> APIRouter:
    router = router_of(backend, ROUTES)

    @router.get(FILES_PATH + "/{name}")
    async def label_file(name: str) -> Response:
        """A label file, as Ozon's CDN serves the file_url of a label task."""
        task_id = int(name.removesuffix(".pdf")) if name.removesuffix(".pdf").isdigit() else 0
        task = backend.state.label_tasks.get(task_id)
        if task is None:
            return Response(status_code=404, content=b"Not Found")
        with backend.state.lock:
            content = label_pdf(backend, task.posting_numbers)
        return _pdf(content, name)

    return router
