"""Ozon card export: /v3/product/import in batches with dictionary values resolved, then its task status.

An imported card is pending until Ozon's moderation makes a product of it; rejected items
carry Ozon's error messages.
"""

from __future__ import annotations

from collections.abc import Sequence

from marketbridge.channels.batching import batched
from marketbridge.channels.errors import RequestRejected
from marketbridge.channels.ozon import endpoints as api
from marketbridge.channels.ozon import mapping
from marketbridge.channels.ozon.catalog import OzonCatalog
from marketbridge.channels.roles import CardDraft, CardResult
from marketbridge.model import ListingStatus


class OzonCards(OzonCatalog):
    """CardExporter: cards need the category dictionaries of the catalog part."""

    async def export_cards(self, cards: Sequence[CardDraft]) -> str:
        task_ids = []
        for chunk in batched(cards, api.MAX_CARD_BATCH):
            payload = []
            for card in chunk:
                try:
                    dictionaries = await self._dictionaries(card)
                    payload.append(mapping.card_item(card, dictionaries))
                except ValueError as exc:
                    raise RequestRejected(f"ozon: card {card.offer_code}: {exc}") from exc
            answer = await self.api.call(api.CARD_IMPORT, {"items": payload})
            result = mapping.obj(answer.get("result"), "import result")
            task_ids.append(mapping.text(result, "task_id", "the import result"))
        return ",".join(task_ids)

    async def _dictionaries(self, card: CardDraft) -> dict[str, dict[str, int]]:
        wanted = {a.id: a for a in await self.category_attributes(card.category_id) if a.dictionary}
        given = set(card.attributes) | ({mapping.BRAND_ATTRIBUTE} if card.brand else set())
        return {aid: await self.attribute_values(card.category_id, aid) for aid in given if aid in wanted}

    async def card_export_status(self, task_id: str) -> list[CardResult] | None:
        results: list[CardResult] = []
        imported: dict[str, CardResult] = {}
        for one in (t for t in task_id.split(",") if t):
            if not one.isdigit():
                raise RequestRejected(f"ozon: not an import task id: {task_id!r}")
            answer = await self.api.call(api.CARD_IMPORT_INFO, {"task_id": int(one)})
            result = mapping.obj(answer.get("result"), "import info result")
            for item in mapping.items(result.get("items"), "import info items"):
                status = str(item.get("status") or "")
                offer_code = mapping.text(item, "offer_id", "an import item")
                if status in ("pending", "processing", ""):
                    return None
                errors = [
                    str(e.get("message") or e.get("description") or e.get("code"))
                    for e in mapping.items(item.get("errors"), "import errors")
                ]
                # skipped: the card was sent unchanged, so the product stays as it is (not a refusal)
                if status in ("imported", "skipped") and not errors:
                    card = CardResult(offer_code=offer_code, status=ListingStatus.PENDING)
                    imported[str(item.get("product_id"))] = card
                else:
                    card = CardResult(offer_code=offer_code, status=ListingStatus.REJECTED, errors=errors)
                results.append(card)
        if imported:
            for info in await self._infos([int(i) for i in imported if i.isdigit()]):
                done = imported.get(str(info.get("id")))
                offer = mapping.offer(info)
                if done is not None and offer is not None:
                    done.external_id = offer.external_id
                    done.status = offer.status
        return results
