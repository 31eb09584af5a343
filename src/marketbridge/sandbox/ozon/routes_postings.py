"""Seller API methods that read FBS postings: lists, get, get-by-barcode, and returns.

Lists are served in both generations: /v3 with `offset` paging and /v4 with `cursor`
paging (plural filters, `sort_dir`). Ship, marking codes and cancel live in routes_shipping;
labels and hand-over in routes_documents.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request

from marketbridge.channels.ozon import endpoints as api
from marketbridge.sandbox.ozon.backend import OzonBackend
from marketbridge.sandbox.ozon.errors import bad_request, not_found
from marketbridge.sandbox.ozon.render import posting_json, return_json
from marketbridge.sandbox.ozon.requests import (
    decode_cursor,
    encode_cursor,
    get_int,
    get_ints,
    get_limit,
    get_list,
    get_obj,
    get_time,
    read_body,
)
from marketbridge.sandbox.ozon.routing import Route, router_of
from marketbridge.sandbox.ozon.state import UNFULFILLED_STATUSES, Posting

MAX_OFFSET = 20_000
#: The (older, shorter) posting of /v2/posting/fbs/get-by-barcode.
BY_BARCODE_FIELDS = (
    "posting_number",
    "order_id",
    "order_number",
    "status",
    "in_process_at",
    "shipment_date",
    "barcodes",
)
MAX_PERIOD = timedelta(days=366)


def _key(p: Posting) -> tuple[float, int]:
    return (p.in_process_at.timestamp(), p.seq)


def _in(moment: datetime, start: datetime | None, end: datetime | None) -> bool:
    return (start is None or moment >= start) and (end is None or moment <= end)


class PostingQuery:
    """A parsed posting filter of any list method generation."""

    def __init__(self, flt: dict[str, Any], unfulfilled: bool, plural: bool) -> None:
        self.unfulfilled = unfulfilled
        if unfulfilled:
            self.cutoff_from = get_time(flt, "cutoff_from")
            self.cutoff_to = get_time(flt, "cutoff_to")
            self.since = self.to = None
            missing = self.cutoff_from is None or self.cutoff_to is None
            if not plural and missing and get_time(flt, "delivering_date_from") is None:
                raise bad_request("filter: cutoff_from and cutoff_to (or delivering_date_*) are required")
        else:
            self.since = get_time(flt, "since", required=True)
            self.to = get_time(flt, "to", required=True)
            assert self.since is not None and self.to is not None
            if self.to < self.since:
                raise bad_request("filter: 'to' is before 'since'")
            if self.to - self.since > MAX_PERIOD:
                raise bad_request("filter: the period must not be longer than one year")
            self.cutoff_from = self.cutoff_to = None
        if plural:
            self.statuses = {str(s) for s in get_list(flt, "statuses")}
            self.warehouses = set(get_ints(flt, "warehouse_ids"))
            self.methods = set(get_ints(flt, "delivery_method_ids"))
            self.order_numbers = {str(n) for n in get_list(flt, "order_numbers")}
        else:
            status = flt.get("status")
            self.statuses = {str(status)} if status else set()
            self.warehouses = set(get_ints(flt, "warehouse_id"))
            self.methods = set(get_ints(flt, "delivery_method_id"))
            self.order_numbers = set()
        self.order_id = get_int(flt, "order_id", default=0)
        changed = get_obj(flt, "last_changed_status_date") or get_obj(flt, "last_change_status_date")
        self.changed_from = get_time(changed, "from")
        self.changed_to = get_time(changed, "to")

    def match(self, p: Posting) -> bool:
        if self.unfulfilled and p.status not in UNFULFILLED_STATUSES:
            return False
        if not _in(p.in_process_at, self.since, self.to):
            return False
        if not _in(p.shipment_date, self.cutoff_from, self.cutoff_to):
            return False
        if self.statuses and p.status not in self.statuses:
            return False
        if self.warehouses and p.warehouse_id not in self.warehouses:
            return False
        if self.methods and p.delivery_method_id not in self.methods:
            return False
        if self.order_numbers and p.order_number not in self.order_numbers:
            return False
        if self.order_id and p.order_id != self.order_id:
            return False
        return _in(p.status_changed_at, self.changed_from, self.changed_to)


def _select(backend: OzonBackend, query: PostingQuery, descending: bool) -> list[Posting]:
    found = [p for p in backend.state.postings.values() if query.match(p)]
    found.sort(key=_key, reverse=descending)
    return found


async def offset_list(backend: OzonBackend, request: Request, unfulfilled: bool) -> dict[str, Any]:
    data = await read_body(request)
    if "filter" not in data:
        raise bad_request("filter: value is required")
    limit = get_limit(data, 1000)
    offset = get_int(data, "offset", default=0)
    if offset < 0:
        raise bad_request("offset: must not be negative")
    if offset > MAX_OFFSET:
        raise bad_request("MAX_OFFSET_EXCEEDED")
    query = PostingQuery(get_obj(data, "filter"), unfulfilled, plural=False)
    descending = str(data.get("dir") or "ASC").upper() == "DESC"
    with backend.state.lock:
        found = _select(backend, query, descending)
        page = [posting_json(p, backend.state, 3) for p in found[offset : offset + limit]]
    if unfulfilled:
        return {"result": {"postings": page, "count": len(found)}}
    return {"result": {"postings": page, "has_next": offset + limit < len(found)}}


async def cursor_list(backend: OzonBackend, request: Request, unfulfilled: bool) -> dict[str, Any]:
    data = await read_body(request)
    limit = get_limit(data, 1000, default=100)
    query = PostingQuery(get_obj(data, "filter"), unfulfilled, plural=True)
    descending = str(data.get("sort_dir") or "asc").lower() == "desc"
    after = decode_cursor(data.get("cursor"))
    if after is not None and (not isinstance(after, list) or len(after) != 2):
        raise bad_request("cursor: invalid value")
    with backend.state.lock:
        found = _select(backend, query, descending)
        start = 0
        if after is not None:
            mark = (float(after[0]), int(after[1]))
            start = next(
                (i for i, p in enumerate(found) if (_key(p) < mark if descending else _key(p) > mark)),
                len(found),
            )
        chunk = found[start : start + limit]
        page = [posting_json(p, backend.state, 4) for p in chunk]
    out: dict[str, Any] = {
        "postings": page,
        "has_next": start + limit < len(found),
        "cursor": encode_cursor(list(_key(chunk[-1]))) if chunk else "",
    }
    if unfulfilled:
        out["count"] = len(found)
    return out


async def list_v3(backend: OzonBackend, request: Request) -> dict[str, Any]:
    return await offset_list(backend, request, unfulfilled=False)


async def unfulfilled_v3(backend: OzonBackend, request: Request) -> dict[str, Any]:
    return await offset_list(backend, request, unfulfilled=True)


async def list_v4(backend: OzonBackend, request: Request) -> dict[str, Any]:
    return await cursor_list(backend, request, unfulfilled=False)


async def unfulfilled_v4(backend: OzonBackend, request: Request) -> dict[str, Any]:
    return await cursor_list(backend, request, unfulfilled=True)


async def get_posting(backend: OzonBackend, request: Request) -> dict[str, Any]:
    data = await read_body(request)
    number = str(data.get("posting_number") or "")
    if not number:
        raise bad_request("posting_number: value is required")
    with backend.state.lock:
        posting = backend.shop.posting(number)
        out = posting_json(posting, backend.state, 3)
        related = [n for n in backend.state.orders.get(posting.order_id, []) if n != number]
        out["related_postings"] = {"related_posting_numbers": related}
        out["additional_data"] = []
        # list-only fields (prr_option is an object in this method)
        for key in ("prr_option", "quantum_id", "shipment_date_without_delay"):
            out.pop(key)
        out["tariffication"] = [out["tariffication"]]  # an array in this method
    return {"result": out}


#: /v1/returns/list takes at most 50 posting numbers in its filter.
RETURNS_MAX_POSTINGS = 50


async def returns_list(backend: OzonBackend, request: Request) -> dict[str, Any]:
    data = await read_body(request, required=False)
    if "limit" not in data:
        raise bad_request("limit: value is required")  # required in the description
    limit = get_limit(data, 500, default=500)
    last_id = get_int(data, "last_id", default=0)
    flt = get_obj(data, "filter")
    used = [k for k, v in flt.items() if v not in (None, "", [], {})]
    if len(used) > 1:
        raise bad_request("filter: use one filter at a time")
    numbers = {str(n) for n in get_list(flt, "posting_numbers")}
    if len(numbers) > RETURNS_MAX_POSTINGS:
        raise bad_request(f"filter.posting_numbers: at most {RETURNS_MAX_POSTINGS} postings")
    # logistic_return_date: when the return was made; visual_status_change_moment: when its
    # status last changed (so an old return whose status moved is found by the second)
    by_change = bool(get_obj(flt, "visual_status_change_moment"))
    moment = get_obj(flt, "visual_status_change_moment") or get_obj(flt, "logistic_return_date")
    start, end = get_time(moment, "time_from"), get_time(moment, "time_to")
    with backend.state.lock:
        ids = sorted(
            r.return_id
            for r in backend.state.returns.values()
            if r.return_id > last_id
            and (not numbers or r.posting_number in numbers)
            and _in(r.status_changed_at if by_change else r.created_at, start, end)
        )
        chunk = ids[:limit]
        items = [return_json(backend.state.returns[i]) for i in chunk]
    return {"returns": items, "has_next": len(ids) > limit}


async def by_barcode(backend: OzonBackend, request: Request) -> dict[str, Any]:
    data = await read_body(request)
    barcode = str(data.get("barcode") or "")
    with backend.state.lock:
        for p in backend.state.postings.values():
            if barcode in (f"{p.seq:015d}", f"%{p.seq:09d}%"):
                full = posting_json(p, backend.state, 3)
                short = {k: full[k] for k in BY_BARCODE_FIELDS}
                short["products"] = [
                    {k: x[k] for k in ("name", "offer_id", "price", "quantity", "sku")}
                    for x in full["products"]
                ]
                short["cancel_reason_id"] = p.cancel_reason_id
                short["created_at"] = full["in_process_at"]
                short["analytics_data"] = {
                    k: full["analytics_data"][k]
                    for k in (
                        "city",
                        "delivery_type",
                        "is_legal",
                        "is_premium",
                        "payment_type_group_name",
                        "region",
                    )
                }
                return {"result": short}
    raise not_found("POSTING_NOT_FOUND")


ROUTES: tuple[Route, ...] = (
    (api.POSTING_LIST_V3, list_v3),
    (api.UNFULFILLED_V3, unfulfilled_v3),
    (api.POSTING_LIST, list_v4),
    (api.UNFULFILLED, unfulfilled_v4),
    (api.POSTING_GET, get_posting),
    (api.RETURNS, returns_list),
    (api.GET_BY_BARCODE, by_barcode),
)


def postings_router(backend: OzonBackend) -> APIRouter:
    return router_of(backend, ROUTES)
