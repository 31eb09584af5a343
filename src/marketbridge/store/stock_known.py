"""Whether the hub knows an offer's stock: the SQL condition the seller API and the dashboard share.

A simple offer's stock is known once the seller set (or imported) an on-hand quantity in at
least one hub warehouse; a level that only a reservation made holds NULL and does not count.
A bundle's stock is known when every component's is. Offers whose stock is unknown get no
stock pushed to any marketplace (`sync/ledger.py`).
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import and_, exists, not_, or_, select
from sqlalchemy.orm import aliased

from marketbridge.store.tables import BundleComponent, Offer, StockLevel


def _level_set(offer_id: Any) -> Any:
    return exists().where(StockLevel.offer_id == offer_id, StockLevel.on_hand.is_not(None))


@functools.cache
def stock_known_clause() -> Any:
    """A boolean SQL condition on `Offer`: true when the hub knows the offer's stock.

    Built once: SQL expressions are immutable, so every query shares it."""
    component = aliased(BundleComponent)
    unknown_component = exists(
        select(component.id).where(component.bundle_id == Offer.id, not_(_level_set(component.component_id)))
    )
    return or_(
        and_(Offer.kind != "bundle", _level_set(Offer.id)),
        and_(Offer.kind == "bundle", not_(unknown_component)),
    )
