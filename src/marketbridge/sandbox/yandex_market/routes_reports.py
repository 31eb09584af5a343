"""Labels through the asynchronous document reports: ask for a file, follow it, download it.

`POST /v2/reports/documents/labels/generate?format=A7` takes the business and up to 1,000
order ids (`sortingType`: as given, the default, or by creation) and answers a report id and
the estimated time (ms). `GET /v2/reports/info/{reportId}` says PENDING, then PROCESSING,
then DONE with the `file` to download: every box label of the orders (one page each, as the
per-order method draws them). Orders not found, or not laid out in boxes yet, give the
sub-status RESOURCE_NOT_FOUND; when none is left the report FAILED. The file is served from
`/files/reports/{reportId}.pdf` on the sandbox (Market's are on its storage host: no key).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from marketbridge.channels.yandex_market import endpoints as ep
from marketbridge.sandbox.yandex_market.errors import YmError, items, json_object, ok
from marketbridge.sandbox.yandex_market.orders import Order
from marketbridge.sandbox.yandex_market.routes_fulfilment import labels_pdf, page_size
from marketbridge.sandbox.yandex_market.state import Market

#: Real seconds a labels report takes (the description gives no figure: this sandbox's choice).
GENERATION_SECONDS = 5.0
#: Where the sandbox serves the files its reports made.
FILES = "/files/reports"
MAX_ORDERS = 1000
SORTINGS = ("SORT_BY_GIVEN_ORDER", "SORT_BY_ORDER_CREATED_AT")


@dataclass
class Report:
    id: str
    content: bytes | None  # None: nothing to print (FAILED)
    missing: bool  # some orders were not found or have no boxes
    seconds: float  # how long it takes (through Timing)
    requested: datetime = field(default_factory=lambda: datetime.now(UTC))
    started: float = field(default_factory=time.monotonic)

    def info(self, base_url: str) -> dict[str, Any]:
        """ReportInfoDTO as it stands now."""
        elapsed = time.monotonic() - self.started
        body: dict[str, Any] = {"generationRequestedAt": _iso(self.requested)}
        if elapsed < self.seconds:
            left = int((self.seconds - elapsed) * 1000)
            return {**body, "status": "PENDING" if elapsed < self.seconds / 5 else "PROCESSING",
                    "estimatedGenerationTime": left}  # fmt: skip
        body["generationFinishedAt"] = _iso(self.requested)
        if self.missing:
            body["subStatus"] = "RESOURCE_NOT_FOUND"
        if self.content is None:
            return {**body, "status": "FAILED"}
        return {**body, "status": "DONE", "file": f"{base_url}{FILES}/{self.id}.pdf"}


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def _orders(market: Market, body: dict[str, Any]) -> tuple[list[Order], bool]:
    """The laid-out orders a labels request names, in its order, and whether any was missing."""
    wanted = items(body, "orderIds", most=MAX_ORDERS)
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in wanted):
        raise YmError(400, "BAD_REQUEST", "orderIds: must be order ids")
    if len(set(wanted)) != len(wanted):
        raise YmError(400, "BAD_REQUEST", "orderIds: must not repeat")
    sorting = body.get("sortingType", SORTINGS[0])
    if sorting not in SORTINGS:
        raise YmError(400, "BAD_REQUEST", f"sortingType: one of {', '.join(SORTINGS)}")
    found = [market.orders[i] for i in wanted if i in market.orders and market.orders[i].boxes]
    if sorting == "SORT_BY_ORDER_CREATED_AT":
        found.sort(key=lambda o: (o.created, o.id))
    return found, len(found) < len(wanted)


def router(market: Market) -> APIRouter:
    api = APIRouter()
    reports: dict[str, Report] = {}

    @api.post(ep.LABELS_REPORT.path)
    async def generate(request: Request, format: str | None = None) -> dict[str, Any]:
        page_size(format)
        body = await json_object(request)
        if body.get("businessId") != market.business_id:
            raise YmError(403, "FORBIDDEN", f"Access denied to business {body.get('businessId')}")
        orders, missing = _orders(market, body)
        boxes = [(o, n) for o in orders for n in range(1, len(o.boxes) + 1)]
        report = Report(
            id=secrets.token_hex(12),
            content=labels_pdf(boxes, format) if boxes else None,
            missing=missing,
            seconds=market.timing.of(GENERATION_SECONDS),
        )
        reports[report.id] = report
        return ok({"reportId": report.id, "estimatedGenerationTime": int(report.seconds * 1000)})

    @api.get(ep.REPORT_INFO.path)
    def info(reportId: str, request: Request) -> dict[str, Any]:
        report = reports.get(reportId)
        if report is None:
            raise YmError(404, "NOT_FOUND", f"Report {reportId} not found")
        return ok(report.info(str(request.base_url).rstrip("/")))

    @api.get(FILES + "/{name}")
    def download(name: str) -> Response:
        report = reports.get(name.removesuffix(".pdf"))
        if report is None or report.content is None or report.info("")["status"] != "DONE":
            return Response(status_code=404)
        return Response(report.content, media_type="application/pdf")

    return api
