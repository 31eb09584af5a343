"""Packing, stickers and hand-over on Wildberries: supplies instead of acts.

Packing puts an assembly task into an open supply (one per warehouse and cargo type,
reused while it is open, created when there is none); WB then moves the task to `confirm`
and its sticker can be printed. Hand-over delivers the supply; its QR code is the document.
Stickers come as base64 files; PDF is made from the PNG stickers, one page per sticker.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import io
from collections.abc import Callable, Hashable, Sequence
from datetime import UTC, datetime
from typing import Any

from PIL import Image, UnidentifiedImageError

from marketbridge.channels.batching import batched
from marketbridge.channels.errors import BadResponse, ChannelError, TransientError
from marketbridge.channels.paging import Page, paginate, token_page
from marketbridge.channels.wildberries.client import WbApi
from marketbridge.channels.wildberries.mapping import dicts, guarded
from marketbridge.model import Label, LabelFormat
from marketbridge.runtime.pdf import images_to_pdf

STICKER_BATCH = 100
SUPPLY_PAGE = 1000
#: hub label format -> WB sticker type
STICKER_TYPES = {
    LabelFormat.PDF: "png",
    LabelFormat.PNG: "png",
    LabelFormat.ZPL: "zplv",
    LabelFormat.SVG: "svg",
}


def decode_file(value: Any) -> bytes:
    if not isinstance(value, str) or not value:
        raise BadResponse("wildberries: a sticker came without its file")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadResponse("wildberries: a sticker file is not base64") from exc


#: Pixels per inch of WB's PNG stickers (580 px across 58 mm).
STICKER_DPI = 254.0


def pngs_to_pdf(pngs: Sequence[bytes]) -> bytes:
    """One PDF with one page per PNG, in order, each at the sticker's real size, lossless."""
    if not pngs:
        raise ValueError("no stickers to print")
    try:
        pages = [Image.open(io.BytesIO(data)).convert("RGB") for data in pngs]
    except (UnidentifiedImageError, OSError) as exc:
        raise BadResponse("wildberries: a PNG sticker cannot be read") from exc
    # WB's PNG stickers are 580×400 px for 58×40 mm (and 400×300 for 40×30): 254 dots per inch
    return images_to_pdf(pages, dpi=STICKER_DPI)


class Supplies:
    """Finds or creates the open supply for a (warehouse, cargo type) and remembers it."""

    def __init__(self, api: WbApi) -> None:
        self.api = api
        self.open: dict[tuple[str, int], str] = {}
        self.of_task: dict[str, str] = {}
        self._lock = asyncio.Lock()  # packs running at once share one supply, not make two

    async def _is_open(self, supply_id: str) -> bool:
        body = await self.api.supply(supply_id)
        return isinstance(body, dict) and body.get("done") is False

    async def _find_open(
        self, warehouse: str, cargo: int, warehouse_of: Callable[[str], str | None]
    ) -> str | None:
        async def fetch(next_: Hashable) -> Page[dict[str, Any]]:
            assert isinstance(next_, int)
            body = await self.api.supplies(limit=SUPPLY_PAGE, next_=next_)
            supplies = dicts(body, "supplies")
            if len(supplies) < SUPPLY_PAGE:
                return Page(supplies)
            return token_page(supplies, guarded("supplies list", lambda b: int(b["next"]), body))

        async for supplies in paginate(fetch, 0, what="wildberries supplies"):
            for supply in supplies:
                if supply.get("done") or supply.get("cargoType") not in (None, 0, cargo):
                    continue
                ids = await self.api.supply_order_ids(str(supply["id"]))
                order_ids = guarded("supply tasks", lambda i: [str(x) for x in i["orderIds"]], ids)
                if not order_ids or warehouse_of(order_ids[0]) == warehouse:
                    return str(supply["id"])
        return None

    async def supply_for(self, warehouse: str, cargo: int, warehouse_of: Callable[[str], str | None]) -> str:
        async with self._lock:
            return await self._supply_for(warehouse, cargo, warehouse_of)

    async def _supply_for(self, warehouse: str, cargo: int, warehouse_of: Callable[[str], str | None]) -> str:
        key = (warehouse, cargo)
        cached = self.open.get(key)
        if cached and await self._is_open(cached):
            return cached
        found = await self._find_open(warehouse, cargo, warehouse_of)
        if found is None:
            stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
            body = await self.api.create_supply(f"marketbridge {warehouse} {stamp}")
            found = guarded("new supply", lambda: str(body["id"]))
        self.open[key] = found
        return found

    async def add(
        self, task_id: str, warehouse: str, cargo: int, warehouse_of: Callable[[str], str | None]
    ) -> str:
        supply = await self.supply_for(warehouse, cargo, warehouse_of)
        try:
            await self.api.add_to_supply(supply, [int(task_id)])
        except ChannelError as exc:
            if exc.status != 409:
                raise
            # The remembered supply may have closed meanwhile: look again once.
            self.open.pop((warehouse, cargo), None)
            supply = await self.supply_for(warehouse, cargo, warehouse_of)
            await self.api.add_to_supply(supply, [int(task_id)])
        self.of_task[task_id] = supply
        return supply


async def stickers(api: WbApi, task_ids: Sequence[str], fmt: LabelFormat) -> list[Label]:
    """Labels for the tasks; raises TransientError while some sticker is not available yet."""
    kind = STICKER_TYPES.get(fmt)
    if kind is None:
        raise ChannelError(f"wildberries: no stickers in {fmt}")
    files: dict[str, bytes] = {}
    for chunk in batched(task_ids, STICKER_BATCH):
        body = await api.stickers([int(t) for t in chunk], kind)
        for sticker in dicts(body, "stickers"):
            files[str(guarded("sticker", lambda s: int(s["orderId"]), sticker))] = decode_file(
                sticker.get("file")
            )
    missing = [t for t in task_ids if t not in files]
    if missing:
        raise TransientError(f"wildberries: stickers not ready for tasks {', '.join(missing)}")
    if fmt == LabelFormat.PDF:
        pdf = pngs_to_pdf([files[t] for t in task_ids])
        return [Label(shipment_id=",".join(task_ids), format=fmt, content=pdf, filename="stickers.pdf")]
    suffix = {"png": "png", "zplv": "zpl", "svg": "svg"}[kind]
    return [
        Label(shipment_id=t, format=fmt, content=files[t], filename=f"sticker-{t}.{suffix}") for t in task_ids
    ]


async def supply_qr_pdf(api: WbApi, supply_id: str) -> bytes:
    body = await api.supply_barcode(supply_id, "png")
    png = decode_file(body.get("file") if isinstance(body, dict) else None)
    return pngs_to_pdf([png])
