"""Content API of the sandbox: subjects, characteristics, cards list with its cursor, uploads.

Cards upload is asynchronous as on WB: the call only checks the format and queues the cards
for moderation (`moderation`), which lists the failed ones in the cards error list. Cards
update overwrites cards at once; the cards it cannot update go to the same list.
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request

from marketbridge.channels.wildberries import endpoints as ep
from marketbridge.sandbox.common.timing import Timing
from marketbridge.sandbox.wildberries.endpoints import SubjectId, route
from marketbridge.sandbox.wildberries.errors import WbError
from marketbridge.sandbox.wildberries.moderation import process_card_batches, update_cards
from marketbridge.sandbox.wildberries.shop import CARD_MODERATION_SECONDS, Shop, json_body, query_int
from marketbridge.sandbox.wildberries.state import Card, CardBatch, ShopState, now_utc

MAX_UPDATE = 3000


def _ok(data: Any) -> dict[str, Any]:
    return {"data": data, "error": False, "errorText": "", "additionalErrors": None}


def _parse_cursor_time(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise WbError(400, "InvalidRequestFormatContent", "Invalid request format")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise WbError(400, "InvalidRequestFormatContent", "Invalid request format") from exc


def _matches(card: Card, flt: dict[str, Any]) -> bool:
    """The cards list filter besides textSearch: subjects, brands, merged card (imtID)."""
    subjects = flt.get("objectIDs")
    brands = flt.get("brands")
    imt = flt.get("imtID")
    if isinstance(subjects, list) and subjects and card.subject_id not in subjects:
        return False
    if isinstance(brands, list) and brands and card.brand not in brands:
        return False
    return not (isinstance(imt, int) and imt and card.imt_id != imt)


def _cards_page(state: ShopState, body: Any) -> dict[str, Any]:
    """A page of the cards list: the cards after the cursor that pass the filter."""
    settings = body.get("settings") if isinstance(body, dict) else None
    if not isinstance(settings, dict):
        raise WbError(400, "InvalidRequestFormatContent", "Invalid request format")
    cursor = settings.get("cursor") or {}
    flt = settings.get("filter") or {}
    sort = settings.get("sort") or {}
    if not isinstance(cursor, dict) or not isinstance(flt, dict) or not isinstance(sort, dict):
        raise WbError(400, "InvalidRequestFormatContent", "Invalid request format")
    limit = cursor.get("limit", 100)
    if not isinstance(limit, int) or not 1 <= limit <= 100:
        raise WbError(400, "InvalidRequestFormatContent", "Invalid request format: limit must be 1..100")
    after_time = _parse_cursor_time(cursor.get("updatedAt"))
    after_nm = cursor.get("nmID")
    if after_nm is not None and not isinstance(after_nm, int):
        raise WbError(400, "InvalidRequestFormatContent", "Invalid request format")
    ascending = bool(sort.get("ascending", False))
    text = str(flt.get("textSearch") or "").lower()
    mark = (after_time, after_nm) if after_time is not None and after_nm is not None else None
    page: list[Card] = []
    for card in state.cards_after(mark, ascending):
        if text and not (
            text in card.vendor_code.lower()
            or text == str(card.nm_id)
            or any(text == sku for s in card.sizes for sku in s.skus)
        ):
            continue
        if _matches(card, flt):
            page.append(card)
            if len(page) == limit:
                break
    last = page[-1] if page else None
    reply_cursor: dict[str, Any] = {"total": len(page)}
    if last is not None:
        reply_cursor["updatedAt"] = last.as_json()["updatedAt"]
        reply_cursor["nmID"] = last.nm_id
    return {"cards": [c.as_json() for c in page], "cursor": reply_cursor}


def _check_variant(subject_id: Any, variant: Any) -> dict[str, Any]:
    if not isinstance(variant, dict) or not isinstance(subject_id, int):
        raise WbError(400, "InvalidRequestFormatContent", "Invalid request format")
    if not variant.get("vendorCode"):
        raise WbError(400, "CardCreatedWithoutVendorCode", "A card cannot be created without a vendorCode")
    sizes = variant.get("sizes", [])
    if not isinstance(sizes, list) or not all(isinstance(s, dict) for s in sizes):
        raise WbError(400, "InvalidRequestFormatContent", "Invalid request format")
    for size in sizes:
        skus = size.get("skus", [])
        if not isinstance(skus, list) or not all(isinstance(x, str) for x in skus):
            raise WbError(400, "InvalidRequestFormatContent", "Invalid request format")
    chars = variant.get("characteristics", [])
    if not isinstance(chars, list):
        raise WbError(400, "InvalidRequestFormatContent", "Invalid request format")
    return {**variant, "subjectID": subject_id}


def _subject_routes(api: APIRouter, state: ShopState) -> None:
    """Subjects (categories) and their characteristics."""

    @route(api, ep.SUBJECT_PARENTS)
    def parents() -> dict[str, Any]:
        seen: dict[int, str] = {}
        for subject in state.subjects.values():
            seen[subject.parent_id] = subject.parent_name
        return _ok([{"id": pid, "name": name, "isVisible": True} for pid, name in sorted(seen.items())])

    @route(api, ep.SUBJECTS)
    def subjects(request: Request) -> dict[str, Any]:
        limit = query_int(request, "limit", default=30, low=1, high=1000)
        offset = query_int(request, "offset", default=0, low=0)
        name = (request.query_params.get("name") or "").lower()
        parent = request.query_params.get("parentID")
        rows = [
            s
            for s in sorted(state.subjects.values(), key=lambda s: s.subject_id)
            if (not name or name in s.name.lower()) and (not parent or str(s.parent_id) == parent)
        ]
        return _ok(
            [
                {
                    "subjectID": s.subject_id,
                    "parentID": s.parent_id,
                    "subjectName": s.name,
                    "parentName": s.parent_name,
                }
                for s in rows[offset : offset + limit]
            ]
        )

    @route(api, ep.CHARCS)
    def charcs(subject_id: SubjectId) -> dict[str, Any]:
        subject = state.subjects.get(int(subject_id)) if subject_id.isdigit() else None
        if subject is None:
            raise WbError(400, "InvalidSubject", "Invalid subject id")
        return _ok(
            [{**c, "subjectName": subject.name, "subjectID": subject.subject_id} for c in subject.charcs]
        )


def _card_reads(api: APIRouter, state: ShopState) -> None:
    """The cards list and the list of cards that failed."""

    @route(api, ep.CARDS_LIST)
    async def cards_list(request: Request) -> dict[str, Any]:
        process_card_batches(state)
        return _cards_page(state, await json_body(request))

    @route(api, ep.CARDS_ERRORS)
    async def error_list(request: Request) -> dict[str, Any]:
        process_card_batches(state)
        groups: dict[str, dict[str, Any]] = {}
        for err in state.card_errors:
            item = groups.setdefault(
                err.batch_uuid,
                {"batchUUID": err.batch_uuid, "subjects": {}, "brands": {}, "vendorCodes": [], "errors": {}},
            )
            item["subjects"][err.vendor_code] = {"id": err.subject_id, "name": err.subject_name}
            item["vendorCodes"].append(err.vendor_code)
            item["errors"][err.vendor_code] = err.errors
        last = state.card_errors[-1] if state.card_errors else None
        # The cursor's fields are always there; with no errors they name no batch.
        cursor = {
            "next": False,
            "updatedAt": (last.at if last else now_utc()).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "batchUUID": last.batch_uuid if last else str(uuid.UUID(int=0)),
        }
        return _ok({"items": list(groups.values()), "cursor": cursor})


def _card_writes(api: APIRouter, state: ShopState, timing: Timing) -> None:
    """Card upload and update (moderated later) and barcode generation."""

    @route(api, ep.CARDS_UPLOAD)
    async def upload(request: Request) -> dict[str, Any]:
        body = await json_body(request)
        if not isinstance(body, list) or not body:
            raise WbError(400, "InvalidRequestFormatContent", "Invalid request format")
        if len(body) > 100:
            raise WbError(400, "InvalidRequestFormatContent", "Invalid request format: at most 100 cards")
        variants: list[dict[str, Any]] = []
        for card in body:
            if not isinstance(card, dict) or not isinstance(card.get("variants"), list):
                raise WbError(400, "InvalidRequestFormatContent", "Invalid request format")
            if not card["variants"] or len(card["variants"]) > 30:
                raise WbError(400, "InvalidRequestFormatContent", "Invalid request format: 1..30 variants")
            variants.extend(_check_variant(card.get("subjectID"), v) for v in card["variants"])
        codes = [v["vendorCode"] for v in variants]
        if len(set(codes)) != len(codes):
            raise WbError(
                400,
                "CardsVendorCodeUsedInOtherCards",
                "bad request; Unexpected the specified card's vendor code is used in other cards",
            )
        ready_at = time.monotonic() + timing.of(CARD_MODERATION_SECONDS)
        state.card_batches.append(CardBatch(str(uuid.uuid4()), ready_at, variants))
        return {"data": None, "error": False, "errorText": "", "additionalErrors": {}}

    @route(api, ep.CARDS_UPDATE)
    async def update(request: Request) -> dict[str, Any]:
        body = await json_body(request)
        if not isinstance(body, list) or not body or len(body) > MAX_UPDATE:
            raise WbError(400, "InvalidRequestFormatContent", "Invalid request format")
        for card in body:
            if not isinstance(card, dict) or not isinstance(card.get("nmID"), int):
                raise WbError(400, "InvalidRequestFormatContent", "Invalid request format")
            _check_variant(0, card)
        update_cards(state, body)
        return {"data": None, "error": False, "errorText": "", "additionalErrors": {}}

    @route(api, ep.BARCODES)
    async def barcodes(request: Request) -> dict[str, Any]:
        body = await json_body(request)
        count = body.get("count") if isinstance(body, dict) else None
        if not isinstance(count, int) or not 1 <= count <= 5000:
            raise WbError(400, "InvalidRequestFormatContent", "Invalid request format")
        made = [f"20{state.next_id(40_000_000_000):011d}" for _ in range(count)]
        return {"data": made, "error": False, "errorText": "", "additionalErrors": ""}


def router(shop: Shop) -> APIRouter:
    api = APIRouter()
    for add_routes in (_subject_routes, _card_reads):
        add_routes(api, shop.state)
    _card_writes(api, shop.state, shop.timing)
    return api
