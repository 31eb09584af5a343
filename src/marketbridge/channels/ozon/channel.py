"""The Ozon channel: the roles it plays over the Seller API (FBS), composed from one part per role.

Catalog and cards (catalog.py, cards.py), stocks and prices (stocks_prices.py), orders and
returns (orders.py) are parts over OzonBase (base.py); fulfilment (marking codes, packing,
labels, the hand-over act) is in fulfilment.py and pushes in push.py. Ozon has no confirm step,
so the channel is no OrderConfirmer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from marketbridge.channels.errors import NotSupported
from marketbridge.channels.ozon import endpoints as api
from marketbridge.channels.ozon import fulfilment
from marketbridge.channels.ozon.cards import OzonCards
from marketbridge.channels.ozon.orders import OzonOrders
from marketbridge.channels.ozon.push import handle_push
from marketbridge.channels.ozon.stocks_prices import OzonStocksPrices
from marketbridge.channels.roles import HandOver, HandOverResult, PackBox, PackResult, PushReply, RemoteOrder
from marketbridge.model import Label, LabelFormat


class OzonChannel(OzonCards, OzonStocksPrices, OzonOrders):
    """Every role but OrderConfirmer: Ozon has no confirm step."""

    kind = "ozon"
    # roles' facts (see channels/roles): a posting per box, handed over by an act
    multi_box = True
    hand_over_by = HandOver.ACT
    label_formats = frozenset({LabelFormat.PDF})
    stock_items_per_second = 80 / 60 * api.MAX_STOCK_BATCH  # 80 stock calls a minute, 100 pairs each
    catalog_offers_per_second = 0.0  # the read limits are far above what a hub needs

    async def pack(self, order: RemoteOrder, boxes: Sequence[PackBox]) -> PackResult:
        return await fulfilment.pack(self.api, order, boxes)

    async def labels(self, shipment_ids: Sequence[str], fmt: LabelFormat) -> list[Label]:
        if fmt != LabelFormat.PDF:
            raise NotSupported(f"ozon: labels come as PDF only, not {fmt.value}")
        return await fulfilment.labels(self.api, shipment_ids)

    async def hand_over(self, shipment_ids: Sequence[str]) -> HandOverResult:
        return await fulfilment.hand_over(self.api, shipment_ids)

    def handle_push(self, headers: Mapping[str, str], body: bytes) -> PushReply:
        return handle_push(headers, body)
