"""Cards of the sandbox changing: moderation of uploads and the overwrite of updates.

An upload waits CARD_MODERATION_SECONDS (through the timing switch), then is moderated card
by card: a good card is created, a refused one is listed with its errors (by batch) for `/content/v2/cards/error/list`.
An update overwrites a card at once; the cards it cannot update go to the same list.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from marketbridge.sandbox.wildberries.state import Card, CardError, ShopState, Size, now_utc

MAX_TITLE = 60


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


def _updated_sizes(state: ShopState, card: Card, raws: list[Any], errors: list[str]) -> list[Size]:
    """The sizes an update gives the card; what is wrong with them goes to `errors`."""
    current = {s.chrt_id: s for s in card.sizes}
    new_sizes: list[Size] = []
    for raw in raws:
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
    return new_sizes


def _overwrite(state: ShopState, card: Card, body: dict[str, Any], new_sizes: list[Size]) -> None:
    """Put the updated card in place of the old one, in every index of the state."""
    for size in card.sizes:
        state.by_chrt.pop(size.chrt_id, None)
        for sku in size.skus:
            state.by_sku.pop(sku, None)
    state.by_vendor.pop(card.vendor_code, None)
    for size in new_sizes:
        if size.chrt_id == 0:
            size.chrt_id = state.next_id(400_000_000)
    card.vendor_code = str(body["vendorCode"])
    card.title = str(body.get("title") or "") or card.title
    card.description = str(body.get("description") or card.description)
    card.brand = str(body.get("brand") or "")
    card.characteristics = list(body.get("characteristics") or [])
    card.sizes = new_sizes
    card.editable_size_price = card.editable_size_price or len(new_sizes) > 1
    card.updated_at = now_utc()
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
    new_sizes = _updated_sizes(state, card, body.get("sizes") or [], errors)
    if not new_sizes:
        errors.append("Карточка должна иметь хотя бы один размер")
    if errors:
        return errors
    _overwrite(state, card, body, new_sizes)
    return []


def update_cards(state: ShopState, cards: list[dict[str, Any]]) -> None:
    """Apply an update; the cards refused are listed as one batch in the error list."""
    batch = str(uuid.uuid4())
    for card in cards:
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
