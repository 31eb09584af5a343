"""The fulfilment role of the Wildberries channel: pack into supplies, stickers, hand-over, cancel.

Packing checks the metadata given against the task's `requiredMeta`, puts the task into the
open supply of its warehouse and cargo type (fulfilment.Supplies) and only then sends the
metadata (WB takes it only for a task in a supply, see metadata.py); hand-over delivers the
supplies of the tasks and returns their QR codes as one PDF.
"""

from __future__ import annotations

from collections.abc import Sequence

from marketbridge.channels.errors import ChannelError
from marketbridge.channels.roles import HandOver, HandOverResult, PackBox, PackResult, RemoteOrder
from marketbridge.channels.wildberries import fulfilment, metadata
from marketbridge.channels.wildberries.orders import OrderRoles
from marketbridge.model import Label, LabelFormat
from marketbridge.runtime.pdf import merge_pdfs


class ShippingRoles(OrderRoles):
    """Fulfilment: one box per task, handed over in supplies."""

    multi_box = False
    hand_over_by = HandOver.SUPPLY
    label_formats = frozenset({LabelFormat.PDF, LabelFormat.PNG, LabelFormat.ZPL, LabelFormat.SVG})

    async def pack(self, order: RemoteOrder, boxes: Sequence[PackBox]) -> PackResult:
        """Check the metadata, put the task into a supply, then attach the metadata to it."""
        raw = await metadata.listing(self.api, order.external_id, self.tasks.get(order.external_id) or {})
        warehouse = order.warehouse_id or str(raw.get("warehouseId") or "")
        cargo = int(raw.get("cargoType") or 1)
        given = metadata.collect(order.external_id, boxes)
        metadata.check_required(order.external_id, raw, given)
        await self.supplies.add(order.external_id, warehouse, cargo, self._warehouse_of)
        await metadata.send(self.api, int(order.external_id), given, metadata.accepted(raw))
        return PackResult(
            shipment_ids=[order.external_id], box_shipments={b.number: order.external_id for b in boxes}
        )

    async def labels(self, shipment_ids: Sequence[str], fmt: LabelFormat) -> list[Label]:
        return await fulfilment.stickers(self.api, list(shipment_ids), fmt)

    async def _supply_of(self, task_id: str) -> str:
        known = self.supplies.of_task.get(task_id)
        if known:
            return known
        raw = self.tasks.get(task_id)
        if raw is None or not raw.get("supplyId"):
            await self.get_order(task_id)
            raw = self.tasks.get(task_id) or {}
        if not raw.get("supplyId"):
            raise ChannelError(f"wildberries: task {task_id} is in no supply; pack it first")
        return str(raw["supplyId"])

    async def hand_over(self, shipment_ids: Sequence[str]) -> HandOverResult:
        supply_ids: list[str] = []
        for task_id in shipment_ids:
            supply = await self._supply_of(task_id)
            if supply not in supply_ids:
                supply_ids.append(supply)
        pdfs: list[bytes] = []
        for supply in supply_ids:
            details = await self.api.supply(supply)
            if not (isinstance(details, dict) and details.get("done")):
                await self.api.deliver(supply)
            for key, value in list(self.supplies.open.items()):
                if value == supply:
                    del self.supplies.open[key]
            pdfs.append(await fulfilment.supply_qr_pdf(self.api, supply))
        document = pdfs[0] if len(pdfs) == 1 else merge_pdfs(pdfs)
        return HandOverResult(",".join(supply_ids), document=document, document_format=LabelFormat.PDF)

    async def cancel(self, external_id: str, reason: str) -> None:
        await self.api.cancel(int(external_id))
