"""Card export to Wildberries: new cards by upload, known cards by update, both followed.

Drafts with one product code make one card (vendorCode = the product code, or the offer code
without one) with one size per draft. A card the connection has imported already is sent
with `/content/v2/cards/update`, which overwrites the card: its sizes are kept with their
chrtIDs (WB only adds barcodes, never removes them), a draft of a new size adds one.
Other cards go with `/content/v2/cards/upload`. Both are asynchronous: the export id
records the vendor codes and, for updates, the card's `updatedAt` before the update; the
status is read from the cards list and `/content/v2/cards/error/list`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from marketbridge.channels.batching import batched
from marketbridge.channels.errors import ChannelError
from marketbridge.channels.roles import CardDraft, CardResult
from marketbridge.channels.wildberries import mapping
from marketbridge.channels.wildberries.client import WbApi
from marketbridge.model import ListingStatus

CARDS_PER_UPLOAD = 100
CARDS_PER_UPDATE = 100
#: The most cards a page of the cards list holds.
CARDS_PAGE = 100


def _characteristics(draft: CardDraft) -> list[dict[str, Any]]:
    return [{"id": int(k), "value": v} for k, v in draft.attributes.items() if k.isdigit()]


def _new_size(draft: CardDraft) -> dict[str, Any]:
    return {
        "techSize": draft.size or "0",
        "wbSize": draft.size or "",
        "price": int(draft.old_price or draft.price),
        "skus": list(draft.barcodes),
    }


def new_card(drafts: Sequence[CardDraft]) -> dict[str, Any]:
    """An upload entry (subject + one variant) for the drafts of one vendor code."""
    first = drafts[0]
    if not first.category_id.isdigit():
        raise ChannelError(f"wildberries: subject id {first.category_id!r} is not a number")
    variant = {
        "vendorCode": first.product_code or first.offer_code,
        "title": first.name,
        "description": first.description or first.name,
        "brand": first.brand or "",
        "characteristics": _characteristics(first),
        "sizes": [_new_size(d) for d in drafts],
    }
    return {"subjectID": int(first.category_id), "variants": [variant]}


def updated_card(card: Mapping[str, Any], drafts: Sequence[CardDraft]) -> dict[str, Any]:
    """An update entry: the card as WB holds it, overwritten with what the drafts say."""
    first = drafts[0]
    characteristics = {
        int(c["id"]): c["value"]
        for c in card.get("characteristics") or []
        if isinstance(c, dict) and "id" in c
    }
    characteristics.update({int(c["id"]): c["value"] for c in _characteristics(first)})
    sizes = [
        {
            "chrtID": s["chrtID"],
            "techSize": s.get("techSize") or "0",
            "wbSize": s.get("wbSize") or "",
            "skus": list(s.get("skus") or []),
        }
        for s in card.get("sizes") or []
    ]
    for draft in drafts:
        tech = draft.size or "0"
        same = next((s for s in sizes if s["techSize"] == tech), None)
        if same is None:
            sizes.append(_new_size(draft))
        else:
            same["skus"] += [b for b in draft.barcodes if b not in same["skus"]]
    return {
        "nmID": card["nmID"],
        "vendorCode": card["vendorCode"],
        "brand": first.brand or card.get("brand") or "",
        "title": first.name,
        "description": first.description or card.get("description") or first.name,
        "dimensions": {k: v for k, v in (card.get("dimensions") or {}).items() if k != "isValid"},
        "characteristics": [{"id": k, "value": v} for k, v in characteristics.items()],
        "sizes": sizes,
    }


async def export(api: WbApi, drafts: Sequence[CardDraft], known: Mapping[str, Mapping[str, Any]]) -> str:
    """Send the drafts; returns the export id to follow with `status`."""
    groups: dict[str, list[CardDraft]] = {}
    codes: dict[str, str] = {}
    for draft in drafts:
        vendor = draft.product_code or draft.offer_code
        groups.setdefault(vendor, []).append(draft)
        codes[draft.offer_code] = vendor
    uploads = [mapping.guarded("draft", new_card, g) for v, g in groups.items() if v not in known]
    updates = [mapping.guarded("card", updated_card, known[v], g) for v, g in groups.items() if v in known]
    before = {v: str(known[v].get("updatedAt")) for v in groups if v in known}
    for batch in batched(uploads, CARDS_PER_UPLOAD):
        await api.cards_upload(batch)
    for batch in batched(updates, CARDS_PER_UPDATE):
        await api.cards_update(batch)
    return json.dumps({"codes": codes, "updated": before}, ensure_ascii=False, sort_keys=True)


async def search_card(api: WbApi, vendor: str) -> dict[str, Any] | None:
    """The card with this vendorCode, found by WB's text search (None when there is none)."""
    body = await api.cards_list({"limit": CARDS_PAGE}, text=vendor)
    return next((c for c in mapping.dicts(body, "cards") if c.get("vendorCode") == vendor), None)


async def _errors(api: WbApi) -> dict[str, list[str]]:
    body = await api.cards_errors()
    errors: dict[str, list[str]] = {}
    for item in mapping.dicts(body, "data", "items"):
        per_card = item.get("errors")
        if not isinstance(per_card, dict):
            continue
        for vendor, texts in per_card.items():
            errors.setdefault(str(vendor), []).extend(
                str(t) for t in (texts if isinstance(texts, list) else [texts])
            )
    return errors


async def status(api: WbApi, task_id: str) -> list[CardResult] | None:
    """Per-draft results, or None while some card is still being processed."""
    try:
        task = json.loads(task_id)
        codes: dict[str, str] = dict(task["codes"])
        updated: dict[str, str] = dict(task.get("updated") or {})
    except (ValueError, KeyError, TypeError) as exc:
        raise ChannelError(f"wildberries: not a card export id: {task_id[:80]!r}") from exc
    errors = await _errors(api)
    cards: dict[str, Mapping[str, Any]] = {}
    for vendor in sorted(set(codes.values())):
        found = await search_card(api, vendor)
        if found is not None:
            cards[vendor] = found
    results: list[CardResult] = []
    for offer_code, vendor in codes.items():
        card = cards.get(vendor)
        changed = card is not None and (
            vendor not in updated or str(card.get("updatedAt")) != updated[vendor]
        )
        if card is not None and changed:
            results.append(CardResult(offer_code, ListingStatus.ACTIVE, external_id=str(card.get("nmID"))))
        elif vendor in errors:
            results.append(CardResult(offer_code, ListingStatus.REJECTED, errors=errors[vendor]))
        else:
            return None
    return results
