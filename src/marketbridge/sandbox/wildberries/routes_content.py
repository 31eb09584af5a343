"""Content API of the sandbox: subjects, characteristics, cards list with its cursor, uploads.

Cards upload is asynchronous as on WB: the call only checks the format; moderation runs
later, creating the good cards and listing the failed ones in `/content/v2/cards/error/list`.
Cards update overwrites cards at once; the cards it cannot update go to the same list.
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request

from marketbridge.channels.wildberries import endpoints as ep
from marketbridge.sandbox.wildberries.endpoints import SubjectId, route
from marketbridge.sandbox.wildberries.errors import WbError
from marketbridge.sandbox.wildberries.shop import Shop, json_body, query_int
from marketbridge.sandbox.wildberries.state import Card, CardBatch, CardError, ShopState, Size, now_utc

MAX_TITLE = 60
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


def process_card_batches(state: ShopState) -> None:
    """Run moderation of the uploads whose time has come."""
    moment = time.monotonic()
    for batch in state.card_batches:
        if batch.processed or batch.ready_at > moment:
            continue
        batch.processed = True
        for variant in batch.variants:
            _moderate(state, batch.uuid, variant)


def _moderate(state: ShopState, batch_uuid: str, variant: dict[str, Any]) -> None:
    subject_id = variant["subjectID"]
    subject = state.subjects.get(subject_id)
    vendor = str(variant.get("vendorCode") or "")
    errors: list[str] = []
    if subject is None:
        errors.append(f"Предмет {subject_id} не существует")
    title = str(variant.get("title") or "")
    if len(title) > MAX_TITLE:
        errors.append(f"Наименование длиннее {MAX_TITLE} символов")
    if vendor in state.by_vendor:
        errors.append("Артикул продавца уже используется в другой карточке")
    given = {c.get("id") for c in variant.get("characteristics") or [] if isinstance(c, dict)}
    if subject is not None:
        for charc in subject.charcs:
            if charc["required"] and charc["charcID"] not in given:
                errors.append(f"Не заполнена обязательная характеристика «{charc['name']}»")
    sizes = variant.get("sizes") or [{"techSize": "0", "wbSize": "", "skus": []}]
    for size in sizes:
        for sku in size.get("skus") or []:
            if sku in state.by_sku:
                errors.append(f"Баркод {sku} уже используется")
    if errors:
        state.card_errors.append(
            CardError(batch_uuid, vendor, subject_id, subject.name if subject else "", errors, now_utc())
        )
        return
    assert subject is not None
    moment = now_utc()
    nm_id = state.next_id(300_000_000)
    card = Card(
        nm_id=nm_id,
        imt_id=state.next_id(200_000_000),
        subject_id=subject_id,
        subject_name=subject.name,
        vendor_code=vendor,
        title=title,
        brand=str(variant.get("brand") or ""),
        description=str(variant.get("description") or ""),
        sizes=[
            Size(
                chrt_id=state.next_id(400_000_000),
                tech_size=str(s.get("techSize") or "0"),
                wb_size=str(s.get("wbSize") or ""),
                skus=[str(x) for x in s.get("skus") or []],
                price=int(s.get("price") or 0),
            )
            for s in sizes
        ],
        characteristics=list(variant.get("characteristics") or []),
        created_at=moment,
        updated_at=moment,
    )
    state.add_card(card)


def update_card(state: ShopState, body: dict[str, Any]) -> list[str]:
    """Overwrite a card as WB's update does; returns the errors that keep it unchanged.

    Sizes given with their chrtID are kept (their barcodes may only grow), sizes without one
    are added, sizes left out are dropped. Prices of existing sizes do not change.
    """
    card = state.cards.get(body["nmID"])
    if card is None:
        return [f"Карточка {body['nmID']} не найдена"]
    vendor = str(body["vendorCode"])
    other = state.by_vendor.get(vendor)
    errors: list[str] = []
    if other is not None and other is not card:
        errors.append("Артикул продавца уже используется в другой карточке")
    title = str(body.get("title") or "")
    if len(title) > MAX_TITLE:
        errors.append(f"Наименование длиннее {MAX_TITLE} символов")
    current = {s.chrt_id: s for s in card.sizes}
    new_sizes: list[Size] = []
    for raw in body.get("sizes") or []:
        skus = [str(x) for x in raw.get("skus") or []]
        chrt = raw.get("chrtID")
        clash = [x for x in skus if x in state.by_sku and state.by_sku[x] != chrt]
        if clash:
            errors.append(f"Баркод {clash[0]} уже используется")
        if chrt is not None:
            old = current.get(chrt)
            if old is None:
                errors.append(f"Размер {chrt} не относится к карточке")
                continue
            lost = [x for x in old.skus if x not in skus]
            skus = old.skus + [x for x in skus if x not in old.skus] if lost else skus
            new_sizes.append(
                Size(
                    chrt,
                    str(raw.get("techSize") or old.tech_size),
                    str(raw.get("wbSize") or ""),
                    skus,
                    old.price,
                )
            )
        else:
            new_sizes.append(
                Size(
                    0,
                    str(raw.get("techSize") or "0"),
                    str(raw.get("wbSize") or ""),
                    skus,
                    int(raw.get("price") or 0),
                )
            )
    if not new_sizes:
        errors.append("Карточка должна иметь хотя бы один размер")
    if errors:
        return errors
    for size in card.sizes:
        state.by_chrt.pop(size.chrt_id, None)
        for sku in size.skus:
            state.by_sku.pop(sku, None)
    state.by_vendor.pop(card.vendor_code, None)
    for size in new_sizes:
        if size.chrt_id == 0:
            size.chrt_id = state.next_id(400_000_000)
    card.vendor_code = vendor
    card.title = title or card.title
    card.description = str(body.get("description") or card.description)
    card.brand = str(body.get("brand") or "")
    card.characteristics = list(body.get("characteristics") or [])
    card.sizes = new_sizes
    card.editable_size_price = card.editable_size_price or len(new_sizes) > 1
    card.updated_at = now_utc()
    state.add_card(card)
    return []


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


def router(shop: Shop) -> APIRouter:
    api = APIRouter()
    state = shop.state

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

    @route(api, ep.CARDS_LIST)
    async def cards_list(request: Request) -> dict[str, Any]:
        process_card_batches(state)
        body = await json_body(request)
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
        state.card_batches.append(CardBatch(str(uuid.uuid4()), time.monotonic() + state.card_delay, variants))
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
        batch = str(uuid.uuid4())
        for card in body:
            errors = update_card(state, card)
            if errors:
                found = state.cards.get(card["nmID"])
                state.card_errors.append(
                    CardError(
                        batch,
                        str(card.get("vendorCode") or ""),
                        found.subject_id if found else 0,
                        found.subject_name if found else "",
                        errors,
                        now_utc(),
                    )
                )
        return {"data": None, "error": False, "errorText": "", "additionalErrors": {}}

    @route(api, ep.BARCODES)
    async def barcodes(request: Request) -> dict[str, Any]:
        body = await json_body(request)
        count = body.get("count") if isinstance(body, dict) else None
        if not isinstance(count, int) or not 1 <= count <= 5000:
            raise WbError(400, "InvalidRequestFormatContent", "Invalid request format")
        made = [f"20{state.next_id(40_000_000_000):011d}" for _ in range(count)]
        return {"data": made, "error": False, "errorText": "", "additionalErrors": ""}

    return api
